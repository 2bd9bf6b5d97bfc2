"""Room names, and the language rooms beside them.

Every room a socket joins it joins twice: `proposal:7`, and `proposal:7|en` for the language its
sign-in chose (`socket_locale`). Messages that carry fragments or texts go to the language rooms,
each rendered in that language; messages without text go to the plain room.
"""

from __future__ import annotations

from flask import current_app, session
from flask_socketio import join_room, leave_room

from workspace.realtime import connections
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
    """The language this socket's language rooms are in: the sign-in's choice (`session["locale"]`,
    as the HTTP requests read it) when the socket connected — a reconnect reads the cookie again —
    or the language the sign-in switched to since, through this process (`follow_language`)."""
    chosen = connections.switched_locale(connections.sid()) or session.get("locale")
    if isinstance(chosen, str) and chosen in current_app.config["LANGUAGES"]:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def follow_language(login_token: str, locale: str) -> None:
    """A sign-in switched its language (in any of its tabs): its sockets in this process move to
    that language's rooms now, so what they receive matches what their pages fetch from now on.
    Sockets held by other processes (a message queue) follow at their next connect."""
    socket_server = server()
    if socket_server is None or locale not in current_app.config["LANGUAGES"]:
        return
    for socket_id in connections.sockets_of_login(login_token):
        for room in list(socket_server.manager.get_rooms(socket_id, "/") or ()):
            base, separator, joined_in = room.rpartition("|")
            if separator and joined_in != locale and joined_in in current_app.config["LANGUAGES"]:
                socket_server.leave_room(socket_id, room, namespace="/")
                socket_server.enter_room(socket_id, localized(base, locale), namespace="/")
        connections.set_switched_locale(socket_id, locale)


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
