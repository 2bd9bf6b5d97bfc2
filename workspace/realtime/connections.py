"""This process's sockets: which sign-in and person each was opened by, how many each person
holds, each person's event budget across all their sockets, and cutting them when a sign-in ends."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import current_app, request

from workspace.extensions import db, socketio

# sid → the sign-in it was opened with (to end it when the sign-in ends), and sid → person.
_socket_logins: dict[str, str] = {}
_socket_users: dict[str, int] = {}
# sid → the language its sign-in switched to after it connected (rooms.follow_language).
_socket_locales: dict[str, str] = {}


@dataclass
class People:
    """Per app (the tests create many apps; a server has one): each person's open sockets and
    their event bucket, [tokens, last refill, refused in a row], shared by all their sockets."""

    sockets: dict[int, set[str]] = field(default_factory=dict)
    buckets: dict[int | str, list[float]] = field(default_factory=dict)


def _people() -> People:
    people = current_app.extensions.get("sinergi.socket-people")
    if people is None:
        people = current_app.extensions["sinergi.socket-people"] = People()
    return people


def sid() -> str:
    return request.sid  # type: ignore[attr-defined]  # set by Flask-SocketIO on a socket event's request


def server() -> Any:
    """This process's python-socketio Server (None until `init_app`). Flask-SocketIO's stubs leave
    the attribute out (private), and python-socketio is untyped."""
    return socketio.server  # type: ignore[attr-defined]


def may_open_socket(user_id: int) -> bool:
    """Whether this person may open one more socket here (SINERGI_SOCKETS_PER_USER; 0: no cap)."""
    cap = int(current_app.config.get("SINERGI_SOCKETS_PER_USER", 0))
    return not cap or len(_people().sockets.get(user_id, ())) < cap


def register(login_token: str, user_id: int) -> None:
    _socket_logins[sid()] = login_token
    _socket_users[sid()] = user_id
    _people().sockets.setdefault(user_id, set()).add(sid())


def forget(socket_id: str) -> None:
    _socket_logins.pop(socket_id, None)
    _socket_locales.pop(socket_id, None)
    user_id = _socket_users.pop(socket_id, None)
    if user_id is None:
        return
    people = _people().sockets
    people.get(user_id, set()).discard(socket_id)
    if not people.get(user_id, True):
        del people[user_id]
    # The person's bucket stays: closing and reopening sockets does not refill it.


def sockets_of_login(token: str) -> list[str]:
    """This process's sockets opened by one sign-in (every tab of that browser)."""
    return [socket_id for socket_id, login in _socket_logins.items() if login == token]


def switched_locale(socket_id: str) -> str | None:
    return _socket_locales.get(socket_id)


def set_switched_locale(socket_id: str, locale: str) -> None:
    if socket_id in _socket_logins:
        _socket_locales[socket_id] = locale


def open_logins() -> set[str]:
    return set(_socket_logins.values())


def refusal(reason: str) -> dict[str, Any]:
    return {"ok": False, "error": reason}


def disconnect_login(token: str | None) -> None:
    """Close this process's sockets of a sign-in that just ended (other processes' keepers close
    theirs within a heartbeat)."""
    if not token:
        return
    for socket_id, login in list(_socket_logins.items()):
        if login == token:
            server().disconnect(socket_id, namespace="/")


def disconnect_user(user_id: int, keep: str | None = None) -> None:
    """Close this process's sockets of a person (deactivated, or a new password), but `keep`'s."""
    for socket_id, login in list(_socket_logins.items()):
        if _socket_users.get(socket_id) == user_id and login != keep:
            server().disconnect(socket_id, namespace="/")


def rate_limited(handler: Callable[..., Any]) -> Callable[..., Any]:
    """Per person, across all their sockets in this process, at most SOCKET_EVENT_RATE events a
    second after a burst of SOCKET_EVENT_BURST: one person cannot flood a room, however many
    sockets they open. Refused events get `rate_limited`; once more than a burst of events in a
    row was refused, each further one also disconnects the socket that sent it."""

    @functools.wraps(handler)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        rate = float(current_app.config.get("SOCKET_EVENT_RATE", 10))
        burst = float(current_app.config.get("SOCKET_EVENT_BURST", 30))
        now = time.monotonic()
        # Every socket is registered to its person at connect; the sid is only a fallback.
        owner: int | str = _socket_users.get(sid(), sid())
        bucket = _people().buckets.setdefault(owner, [burst, now, 0])
        bucket[0] = min(burst, bucket[0] + (now - bucket[1]) * rate)
        bucket[1] = now
        if bucket[0] < 1:
            bucket[2] += 1
            if bucket[2] > burst:
                server().disconnect(sid(), namespace="/")
            return refusal("rate_limited")
        bucket[0] -= 1
        bucket[2] = 0
        return handler(*args, **kwargs)

    return wrapper


def releases_db_session(handler: Callable[..., Any]) -> Callable[..., Any]:
    """Give the connection back to the pool after every socket event, whatever happens."""

    @functools.wraps(handler)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return handler(*args, **kwargs)
        finally:
            db.session.remove()

    wrapper.releases_db_session = True  # type: ignore[attr-defined]
    return wrapper
