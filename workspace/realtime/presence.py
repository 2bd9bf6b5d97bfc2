"""Who is in a room and who is editing which field, per Socket.IO connection (sid).

One process keeps it in memory; several processes share it through Redis (see RedisPresence).
A person with two tabs open appears once.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass
from typing import Protocol


@dataclass(frozen=True)
class Viewer:
    user_id: int
    name: str
    agency: str


@dataclass(frozen=True)
class Focus:
    user_id: int
    name: str
    item_id: int
    field: str


class PresenceStore(Protocol):
    def join(self, room: str, sid: str, viewer: Viewer) -> None: ...
    def leave(self, room: str, sid: str) -> None: ...
    def rooms_of(self, sid: str) -> list[str]: ...
    def viewers(self, room: str) -> list[Viewer]: ...
    def set_focus(self, room: str, sid: str, focus: Focus) -> None: ...
    def clear_focus(self, room: str, sid: str) -> None: ...
    def focuses(self, room: str) -> list[Focus]: ...
    def is_in(self, room: str, sid: str) -> bool: ...


class MemoryPresence:
    """Presence of one process. Green-thread safe: the lock is monkey-patched under eventlet."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._members: dict[str, dict[str, Viewer]] = {}
        self._focus: dict[str, dict[str, Focus]] = {}

    def join(self, room: str, sid: str, viewer: Viewer) -> None:
        with self._lock:
            self._members.setdefault(room, {})[sid] = viewer

    def leave(self, room: str, sid: str) -> None:
        with self._lock:
            self._members.get(room, {}).pop(sid, None)
            self._focus.get(room, {}).pop(sid, None)
            if not self._members.get(room):
                self._members.pop(room, None)
                self._focus.pop(room, None)

    def rooms_of(self, sid: str) -> list[str]:
        with self._lock:
            return [room for room, members in self._members.items() if sid in members]

    def is_in(self, room: str, sid: str) -> bool:
        with self._lock:
            return sid in self._members.get(room, {})

    def viewers(self, room: str) -> list[Viewer]:
        with self._lock:
            unique = {viewer.user_id: viewer for viewer in self._members.get(room, {}).values()}
        return sorted(unique.values(), key=lambda viewer: viewer.name)

    def set_focus(self, room: str, sid: str, focus: Focus) -> None:
        with self._lock:
            self._focus.setdefault(room, {})[sid] = focus

    def clear_focus(self, room: str, sid: str) -> None:
        with self._lock:
            self._focus.get(room, {}).pop(sid, None)

    def focuses(self, room: str) -> list[Focus]:
        with self._lock:
            unique = {(f.user_id, f.item_id, f.field): f for f in self._focus.get(room, {}).values()}
        return sorted(unique.values(), key=lambda f: (f.item_id, f.field, f.name))


def as_payload(entries: list[Viewer] | list[Focus]) -> list[dict]:
    return [asdict(entry) for entry in entries]


presence: PresenceStore = MemoryPresence()
