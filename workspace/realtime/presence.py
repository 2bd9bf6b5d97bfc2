"""Who is in a room and who is editing which field, per Socket.IO connection (sid).

One process keeps it in memory; several processes share it through Redis (see RedisPresence).
A person with two tabs open appears once.
"""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import asdict, dataclass
from typing import Protocol

from flask import Flask, current_app

from workspace.extensions import db, socketio
from workspace.queries.accounts import active_logins
from workspace.realtime import connections


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
    def heartbeat(self) -> None: ...
    def rooms_with_departed(self) -> list[str]: ...


class MemoryPresence:
    """Presence of one process. Green-thread safe: the lock is monkey-patched under eventlet."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._members: dict[str, dict[str, Viewer]] = {}
        self._focus: dict[str, dict[str, Focus]] = {}

    def heartbeat(self) -> None:
        """Nothing to refresh: one process knows its own sockets."""

    def rooms_with_departed(self) -> list[str]:
        return []

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


def _text(value: bytes | str) -> str:
    """A key or member as Redis answered it: bytes (the client does not decode responses), though
    the client's types allow str too."""
    return value.decode() if isinstance(value, bytes) else value


class RedisPresence:
    """Presence shared by every server process through Redis.

    Each entry carries the id of the process holding that socket. Every process refreshes a
    heartbeat key with a TTL; entries of a process whose heartbeat expired (it was killed) are
    ignored and swept, so its people disappear within `ttl` plus one sweep interval.
    """

    def __init__(self, url: str, namespace: str, ttl_seconds: float) -> None:
        import redis

        self.redis = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self.namespace = namespace
        self.ttl_ms = max(int(ttl_seconds * 1000), 1000)
        self.process_id = uuid.uuid4().hex

    def _key(self, kind: str, name: str = "") -> str:
        return f"{self.namespace}:{kind}:{name}" if name else f"{self.namespace}:{kind}"

    def heartbeat(self) -> None:
        self.redis.set(self._key("process", self.process_id), "1", px=self.ttl_ms)

    def _alive(self, process_ids: set[str]) -> set[str]:
        ids = sorted(process_ids)
        if not ids:
            return set()
        pipeline = self.redis.pipeline()
        for process_id in ids:
            pipeline.exists(self._key("process", process_id))
        return {process_id for process_id, exists in zip(ids, pipeline.execute(), strict=True) if exists}

    def _entries(self, kind: str, room: str) -> dict[str, dict]:
        raw = self.redis.hgetall(self._key(kind, room))
        entries = {_text(sid): json.loads(value) for sid, value in raw.items()}
        alive = self._alive({entry["process"] for entry in entries.values()})
        dead = [sid for sid, entry in entries.items() if entry["process"] not in alive]
        if dead:
            self.redis.hdel(self._key(kind, room), *dead)
        return {sid: entry for sid, entry in entries.items() if entry["process"] in alive}

    def join(self, room: str, sid: str, viewer: Viewer) -> None:
        self.heartbeat()
        pipeline = self.redis.pipeline()
        pipeline.hset(self._key("members", room), sid, json.dumps({"process": self.process_id, **asdict(viewer)}))
        pipeline.sadd(self._key("sid-rooms", sid), room)
        pipeline.sadd(self._key("rooms"), room)
        pipeline.execute()

    def leave(self, room: str, sid: str) -> None:
        pipeline = self.redis.pipeline()
        pipeline.hdel(self._key("members", room), sid)
        pipeline.hdel(self._key("focus", room), sid)
        pipeline.srem(self._key("sid-rooms", sid), room)
        pipeline.execute()

    def rooms_of(self, sid: str) -> list[str]:
        return sorted(_text(room) for room in self.redis.smembers(self._key("sid-rooms", sid)))

    def is_in(self, room: str, sid: str) -> bool:
        return bool(self.redis.hexists(self._key("members", room), sid))

    def viewers(self, room: str) -> list[Viewer]:
        unique: dict[int, Viewer] = {}
        for entry in self._entries("members", room).values():
            unique[entry["user_id"]] = Viewer(user_id=entry["user_id"], name=entry["name"], agency=entry["agency"])
        return sorted(unique.values(), key=lambda viewer: viewer.name)

    def set_focus(self, room: str, sid: str, focus: Focus) -> None:
        self.redis.hset(self._key("focus", room), sid, json.dumps({"process": self.process_id, **asdict(focus)}))

    def clear_focus(self, room: str, sid: str) -> None:
        self.redis.hdel(self._key("focus", room), sid)

    def focuses(self, room: str) -> list[Focus]:
        unique: dict[tuple, Focus] = {}
        for entry in self._entries("focus", room).values():
            focus = Focus(user_id=entry["user_id"], name=entry["name"], item_id=entry["item_id"], field=entry["field"])
            unique[(focus.user_id, focus.item_id, focus.field)] = focus
        return sorted(unique.values(), key=lambda f: (f.item_id, f.field, f.name))

    def rooms_with_departed(self) -> list[str]:
        """Rooms that still list sockets of a process that is gone (their entries are removed)."""
        changed = []
        for raw_room in self.redis.smembers(self._key("rooms")):
            room = _text(raw_room)
            before = self.redis.hlen(self._key("members", room)) + self.redis.hlen(self._key("focus", room))
            members = self._entries("members", room)
            focus = self._entries("focus", room)
            if len(members) + len(focus) != before:
                changed.append(room)
            if not members and not focus:
                self.redis.srem(self._key("rooms"), room)
        return changed


def create_presence(config: dict) -> PresenceStore:
    """Redis-backed when the app runs with a Redis message queue (several processes), else in memory."""
    queue = config.get("SOCKETIO_MESSAGE_QUEUE") or ""
    if queue.startswith(("redis://", "rediss://", "unix://")):
        return RedisPresence(queue, config["SINERGI_REDIS_NAMESPACE"], config["SINERGI_PRESENCE_TTL"])
    return MemoryPresence()


def current_presence() -> PresenceStore:
    return current_app.extensions["sinergi.presence"]


def emit_presence(room: str, proposal_id: int) -> None:
    socketio.emit(
        "proposal:presence",
        {"proposal_id": proposal_id, "viewers": as_payload(current_presence().viewers(room))},
        to=room,
    )


def emit_focus(room: str, proposal_id: int) -> None:
    socketio.emit(
        "proposal:focus", {"proposal_id": proposal_id, "focus": as_payload(current_presence().focuses(room))}, to=room
    )


PRESENCE, FOCUS = "presence", "focus"
_EMITTERS = {PRESENCE: emit_presence, FOCUS: emit_focus}


class RoomLists:
    """The room's presence and focus lists, sent at most once per window.

    When the plenary opens one proposal on 65 laptops in the same minute (or 500 sockets join at
    once), every join would send the whole list to everyone already there: n joins, n² messages.
    Instead the first change of a room starts a window; the joins, leaves and focus moves inside
    it are sent as one list each when it closes. The joiner has the lists in its join answer at
    once. With a window of 0 (the in-process tests) every change is sent at once.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: dict[str, set[str]] = {}

    def changed(self, room: str, proposal_id: int, *kinds: str) -> None:
        window = float(current_app.config.get("SINERGI_PRESENCE_WINDOW", 0))
        if window <= 0:
            for kind in kinds:
                _EMITTERS[kind](room, proposal_id)
            return
        with self._lock:
            already_waiting = room in self._pending
            self._pending.setdefault(room, set()).update(kinds)
        if not already_waiting:
            app = current_app._get_current_object()  # type: ignore[attr-defined]
            socketio.start_background_task(self._send_after, app, window, room, proposal_id)

    def _send_after(self, app: Flask, window: float, room: str, proposal_id: int) -> None:
        socketio.sleep(window)  # type: ignore[arg-type]  # typed int, takes seconds as float
        with self._lock:
            kinds = self._pending.pop(room, set())
        with app.app_context():
            try:
                for kind in (PRESENCE, FOCUS):
                    if kind in kinds:
                        _EMITTERS[kind](room, proposal_id)
            except Exception:  # Redis briefly away: the next change or the keeper sends the lists
                app.logger.warning("presence: lists of %s not sent", room, exc_info=True)
            finally:
                db.session.remove()


room_lists = RoomLists()


_keeper_started: set[int] = set()


def start_presence_keeper(app: Flask) -> None:
    """Once per app: a background task refreshes this process's heartbeat, cuts the sockets of
    sign-ins that ended in other processes, and tells rooms when the people of a dead process
    leave (shared presence only; in memory there is nothing to do)."""
    if id(app) in _keeper_started or not app.config.get("SOCKETIO_MESSAGE_QUEUE"):
        return
    _keeper_started.add(id(app))
    interval = max(app.config["SINERGI_PRESENCE_TTL"] / 3, 0.2)

    def keep() -> None:
        while True:
            with app.app_context():
                store = current_presence()
                try:
                    tokens = connections.open_logins()
                    for token in tokens - active_logins(list(tokens)):
                        connections.disconnect_login(token)
                    store.heartbeat()
                    for room in store.rooms_with_departed():
                        room_lists.changed(room, int(room.split(":", 1)[1]), PRESENCE, FOCUS)
                except Exception:  # Redis briefly away: try again at the next beat
                    app.logger.warning("presence keeper: Redis unavailable", exc_info=True)
                finally:
                    db.session.remove()
            socketio.sleep(interval)

    socketio.start_background_task(keep)
