"""Socket.IO handlers: thin. Authenticate, check the same permission as the page, join rooms,
and keep presence and focus. Writes never come over the socket; they go over HTTP."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any

from flask import current_app, request
from flask_login import current_user
from flask_socketio import join_room, leave_room

from workspace.extensions import db, socketio
from workspace.models import Proposal, ProposalItem
from workspace.permissions import can_edit_proposal, can_view_proposal
from workspace.realtime.broadcast import proposal_room, user_room
from workspace.realtime.presence import Focus, Viewer, as_payload, current_presence
from workspace.services.item_fields import FIELDS
from workspace.views.access import access

# This process's sockets: sid → the sign-in it was opened with (to end it when the sign-in ends),
# and sid → [tokens, last refill, refused in a row] of its event-rate bucket.
_socket_logins: dict[str, str] = {}
_socket_users: dict[str, int] = {}
_buckets: dict[str, list[float]] = {}


def rate_limited(handler: Callable[..., Any]) -> Callable[..., Any]:
    """Per connection, at most SOCKET_EVENT_RATE events a second after a burst of
    SOCKET_EVENT_BURST: one client cannot flood a room. Refused events get `rate_limited`; a client
    that keeps flooding after that is disconnected."""

    @functools.wraps(handler)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        rate = float(current_app.config.get("SOCKET_EVENT_RATE", 10))
        burst = float(current_app.config.get("SOCKET_EVENT_BURST", 30))
        now = time.monotonic()
        bucket = _buckets.setdefault(_sid(), [burst, now, 0])
        bucket[0] = min(burst, bucket[0] + (now - bucket[1]) * rate)
        bucket[1] = now
        if bucket[0] < 1:
            bucket[2] += 1
            if bucket[2] > burst:
                socketio.server.disconnect(_sid(), namespace="/")
            return _refusal("rate_limited")
        bucket[0] -= 1
        bucket[2] = 0
        return handler(*args, **kwargs)

    return wrapper


def disconnect_login(token: str | None) -> None:
    """Close this process's sockets of a sign-in that just ended (other processes' sweepers
    close theirs within a heartbeat)."""
    if not token:
        return
    for sid, login in list(_socket_logins.items()):
        if login == token:
            socketio.server.disconnect(sid, namespace="/")


def disconnect_user(user_id: int, keep: str | None = None) -> None:
    """Close this process's sockets of a person (deactivated, or a new password), but `keep`'s."""
    for sid, login in list(_socket_logins.items()):
        if _socket_users.get(sid) == user_id and login != keep:
            socketio.server.disconnect(sid, namespace="/")


def _sweep_ended_logins() -> None:
    from workspace.services.accounts import active_logins

    tokens = set(_socket_logins.values())
    ended = tokens - active_logins(list(tokens))
    for token in ended:
        disconnect_login(token)


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


def _positive_int(payload: Any, key: str) -> int | None:
    if not isinstance(payload, dict):
        return None
    value = payload.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0 or value > 2**53:
        return None
    return value


def _refusal(reason: str) -> dict[str, Any]:
    return {"ok": False, "error": reason}


def _sid() -> str:
    return request.sid  # type: ignore[attr-defined]


@socketio.on("connect")
@access("signed-in")
@releases_db_session
def on_connect(_auth: object = None) -> bool:
    """Refuse a socket without a logged-in session; join the user's own room."""
    if not current_user.is_authenticated:
        return False
    _socket_logins[_sid()] = current_user.login_token
    _socket_users[_sid()] = current_user.id
    join_room(user_room(current_user.id))
    start_presence_keeper(current_app._get_current_object())  # type: ignore[attr-defined]
    return True


_keeper_started: set[int] = set()


def start_presence_keeper(app: Any) -> None:
    """Once per app: a background task refreshes this process's heartbeat and tells rooms when the
    people of a dead process leave (shared presence only; in memory there is nothing to do)."""
    if id(app) in _keeper_started or not app.config.get("SOCKETIO_MESSAGE_QUEUE"):
        return
    _keeper_started.add(id(app))
    interval = max(app.config["SINERGI_PRESENCE_TTL"] / 3, 0.2)

    def keep() -> None:
        while True:
            with app.app_context():
                store = current_presence()
                try:
                    _sweep_ended_logins()
                    store.heartbeat()
                    for room in store.rooms_with_departed():
                        proposal_id = int(room.split(":", 1)[1])
                        _emit_presence(room, proposal_id)
                        _emit_focus(room, proposal_id)
                except Exception:  # Redis briefly away: try again at the next beat
                    app.logger.warning("presence keeper: Redis unavailable", exc_info=True)
            socketio.sleep(interval)

    socketio.start_background_task(keep)


def _emit_presence(room: str, proposal_id: int) -> None:
    socketio.emit(
        "proposal:presence",
        {"proposal_id": proposal_id, "viewers": as_payload(current_presence().viewers(room))},
        to=room,
    )


def _emit_focus(room: str, proposal_id: int) -> None:
    socketio.emit(
        "proposal:focus", {"proposal_id": proposal_id, "focus": as_payload(current_presence().focuses(room))}, to=room
    )


@socketio.on("proposal:join")
@access("event")
@rate_limited
@releases_db_session
def on_join_proposal(payload: Any = None) -> dict[str, Any]:
    """Join a proposal's room if the user may read the proposal; answer with its current revision."""
    if not current_user.is_authenticated:
        return _refusal("unauthenticated")
    proposal_id = _positive_int(payload, "proposal_id")
    if proposal_id is None:
        return _refusal("invalid")
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None or not can_view_proposal(current_user, proposal):
        return _refusal("forbidden")
    room = proposal_room(proposal_id)
    join_room(room)
    agency = current_user.agency.short_name if current_user.agency else ""
    current_presence().join(
        room, _sid(), Viewer(user_id=current_user.id, name=current_user.display_name, agency=agency)
    )
    revision, can_edit = proposal.revision, can_edit_proposal(current_user, proposal)
    _emit_presence(room, proposal_id)
    return {
        "ok": True,
        "revision": revision,
        "can_edit": can_edit,
        "viewers": as_payload(current_presence().viewers(room)),
        "focus": as_payload(current_presence().focuses(room)),
    }


@socketio.on("proposal:leave")
@access("event")
@rate_limited
@releases_db_session
def on_leave_proposal(payload: Any = None) -> dict[str, Any]:
    proposal_id = _positive_int(payload, "proposal_id")
    if proposal_id is None:
        return _refusal("invalid")
    room = proposal_room(proposal_id)
    if not current_presence().is_in(room, _sid()):
        return _refusal("not-joined")  # nothing to leave, and no broadcast to a room one is not in
    leave_room(room)
    current_presence().leave(room, _sid())
    _emit_presence(room, proposal_id)
    _emit_focus(room, proposal_id)
    return {"ok": True}


@socketio.on("proposal:focus")
@access("proposal-editor")
@rate_limited
@releases_db_session
def on_focus(payload: Any = None) -> dict[str, Any]:
    """Someone started editing a field: show their name on it for everyone in the room."""
    if not current_user.is_authenticated:
        return _refusal("unauthenticated")
    proposal_id = _positive_int(payload, "proposal_id")
    item_id = _positive_int(payload, "item_id")
    field = payload.get("field") if isinstance(payload, dict) else None
    if proposal_id is None or item_id is None or not isinstance(field, str) or field not in FIELDS:
        return _refusal("invalid")
    room = proposal_room(proposal_id)
    if not current_presence().is_in(room, _sid()):
        return _refusal("not-joined")
    item = db.session.get(ProposalItem, item_id)
    if item is None or item.proposal_id != proposal_id or not can_edit_proposal(current_user, item.proposal):
        return _refusal("forbidden")
    current_presence().set_focus(
        room, _sid(), Focus(user_id=current_user.id, name=current_user.display_name, item_id=item_id, field=field)
    )
    _emit_focus(room, proposal_id)
    return {"ok": True}


@socketio.on("proposal:blur")
@access("event")
@rate_limited
@releases_db_session
def on_blur(payload: Any = None) -> dict[str, Any]:
    proposal_id = _positive_int(payload, "proposal_id")
    if proposal_id is None:
        return _refusal("invalid")
    room = proposal_room(proposal_id)
    if not current_presence().is_in(room, _sid()):
        return _refusal("not-joined")
    current_presence().clear_focus(room, _sid())
    _emit_focus(room, proposal_id)
    return {"ok": True}


@socketio.on("disconnect")
@access("signed-in")
@releases_db_session
def on_disconnect(*_args: Any) -> None:
    """Closing the laptop: the person leaves every room's presence and focus."""
    sid = _sid()
    _socket_logins.pop(sid, None)
    _socket_users.pop(sid, None)
    _buckets.pop(sid, None)
    for room in current_presence().rooms_of(sid):
        current_presence().leave(room, sid)
        proposal_id = int(room.split(":", 1)[1])
        _emit_presence(room, proposal_id)
        _emit_focus(room, proposal_id)


@socketio.on("session:join")
@access("event")
@rate_limited
@releases_db_session
def on_join_session(payload: Any = None) -> dict[str, Any]:
    """Join a session's room (same right as its page); answer with the timer on the server's clock."""
    from workspace.models import Session
    from workspace.permissions import can_view_event
    from workspace.realtime.broadcast import session_room
    from workspace.services.facilitation import timer_state

    if not current_user.is_authenticated:
        return _refusal("unauthenticated")
    session_id = _positive_int(payload, "session_id")
    if session_id is None:
        return _refusal("invalid")
    session = db.session.get(Session, session_id)
    if session is None or not can_view_event(current_user, session.event):
        return _refusal("forbidden")
    join_room(session_room(session_id))
    timer = timer_state(session)
    return {
        "ok": True,
        "status": session.status.value,
        "timer": {"ends_at_ms": timer.ends_at_ms, "server_now_ms": timer.server_now_ms, "label": timer.label},
    }


@socketio.on("event:join")
@access("event")
@rate_limited
@releases_db_session
def on_join_event(payload: Any = None) -> dict[str, Any]:
    from workspace.models import Event
    from workspace.permissions import can_view_event
    from workspace.realtime.broadcast import event_room

    event_id = _positive_int(payload, "event_id")
    if event_id is None or not current_user.is_authenticated:
        return _refusal("invalid")
    event = db.session.get(Event, event_id)
    if event is None or not can_view_event(current_user, event):
        return _refusal("forbidden")
    join_room(event_room(event_id))
    return {"ok": True}
