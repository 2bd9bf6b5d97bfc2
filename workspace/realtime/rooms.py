"""Room names, and the language rooms beside them.

Every room a socket joins it joins twice: `proposal:7`, and `proposal:7|en` for the language its
page is in. Messages that carry fragments go to the language rooms, each rendered in that
language; messages without text go to the plain room.
"""

from __future__ import annotations

from flask import current_app, session
from flask_socketio import join_room, leave_room

from workspace.realtime.connections import server


def proposal_room(proposal_id: int) -> str:
    return f"proposal:{proposal_id}"


def event_room(event_id: int) -> str:
    return f"event:{event_id}"


def user_room(user_id: int) -> str:
    return f"user:{user_id}"


def session_room(session_id: int) -> str:
    return f"session:{session_id}"


def localized(room: str, locale: str) -> str:
    return f"{room}|{locale}"


def socket_locale() -> str:
    """The language of the page that opened this socket (the sign-in's choice)."""
    chosen = session.get("locale")
    if isinstance(chosen, str) and chosen in current_app.config["LANGUAGES"]:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def join(room: str) -> None:
    join_room(room)
    join_room(localized(room, socket_locale()))


def leave(room: str) -> None:
    leave_room(room)
    leave_room(localized(room, socket_locale()))


def languages_in(room: str) -> list[str]:
    """The languages someone in the room reads. With several processes (a message queue) the
    other processes' sockets are not visible here: then every configured language."""
    configured = list(current_app.config["LANGUAGES"])
    socket_server = server()
    if current_app.config.get("SOCKETIO_MESSAGE_QUEUE") or socket_server is None:
        return configured
    rooms = socket_server.manager.rooms.get("/", {})
    return [locale for locale in configured if rooms.get(localized(room, locale))]
