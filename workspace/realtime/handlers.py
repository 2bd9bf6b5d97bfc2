"""Socket.IO handlers: joins only. Authenticate, check the same permission as the page, join the
rooms (and their language rooms), answer with what the page needs to be current. Writes never
come over the socket; they go over HTTP through the services."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_login import current_user
from flask_socketio import emit
from socketio.exceptions import ConnectionRefusedError as SocketRefused  # type: ignore[import-untyped]

from workspace.core.access import access
from workspace.core.achievement import REALISATION_FIELDS
from workspace.core.item_fields import FIELDS
from workspace.core.numbers import payload_id
from workspace.core.permissions import can_edit_proposal, can_report_realisation, can_view_event, can_view_proposal
from workspace.extensions import db, socketio
from workspace.fragments import Memo, render
from workspace.fragments.sessions import SESSION_PARTS
from workspace.models import Event, EventPhase, Proposal, ProposalItem, Session
from workspace.queries.comments import unread_counts
from workspace.realtime import connections
from workspace.realtime.connections import rate_limited, refusal, releases_db_session, sid
from workspace.realtime.presence import (
    FOCUS,
    PRESENCE,
    Focus,
    Viewer,
    as_payload,
    current_presence,
    room_lists,
    start_presence_keeper,
)
from workspace.realtime.publish import timer_payload
from workspace.realtime.rooms import event_room, join, leave, proposal_room, session_room, socket_locale, user_room


@socketio.on("connect")
@access("signed-in")
@releases_db_session
def on_connect(_auth: object = None) -> bool:
    """Refuse a socket without a logged-in session, or one more than a person may hold
    (SINERGI_SOCKETS_PER_USER: the client's connect_error says `too_many_sockets`); join the
    user's own room."""
    if not current_user.is_authenticated:
        return False
    if not connections.may_open_socket(current_user.id):
        raise SocketRefused("too_many_sockets")
    connections.register(current_user.login_token, current_user.id)
    join(user_room(current_user.id))
    start_presence_keeper(current_app._get_current_object())  # type: ignore[attr-defined]
    try:  # catch-up of the header's badge: what arrived while this laptop was away
        emit("notifications:count", {"unread": unread_counts([current_user.id])[current_user.id]})
    except Exception:  # the message queue briefly away: the badge catches up at the next change
        current_app.logger.warning("unread count not sent on connect", exc_info=True)
    return True


@socketio.on("proposal:join")
@access("event")
@rate_limited
@releases_db_session
def on_join_proposal(payload: Any = None) -> dict[str, Any]:
    """Join a proposal's room if the user may read the proposal; answer with its current revision."""
    if not current_user.is_authenticated:
        return refusal("unauthenticated")
    proposal_id = payload_id(payload, "proposal_id")
    if proposal_id is None:
        return refusal("invalid")
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None or not can_view_proposal(current_user, proposal):
        return refusal("forbidden")
    room = proposal_room(proposal_id)
    join(room)
    agency = current_user.agency.short_name if current_user.agency else ""
    current_presence().join(room, sid(), Viewer(user_id=current_user.id, name=current_user.display_name, agency=agency))
    revision, can_edit = proposal.revision, _may_write(proposal, payload)
    room_lists.changed(room, proposal_id, PRESENCE)
    return {
        "ok": True,
        "revision": revision,
        "can_edit": can_edit,
        "viewers": as_payload(current_presence().viewers(room)),
        "focus": as_payload(current_presence().focuses(room)),
    }


def _may_write(proposal: Proposal, payload: Any) -> bool:
    """On the realisation page (`mode: realisation`), the right to report its realisation now;
    elsewhere the right to edit the proposal."""
    if isinstance(payload, dict) and payload.get("mode") == "realisation":
        return can_report_realisation(current_user, proposal) and proposal.event.phase is EventPhase.MONITORING
    return can_edit_proposal(current_user, proposal)


def _focusable(field: Any) -> str | None:
    """`target` (a proposal's field) or `q2_physical` / `formula` (a realisation's): the kind."""
    if not isinstance(field, str):
        return None
    if field in FIELDS:
        return "edit"
    quarter, _sep, name = field.partition("_")
    if field == "formula" or (quarter in ("q1", "q2", "q3", "q4") and name in REALISATION_FIELDS):
        return "realisation"
    return None


@socketio.on("proposal:leave")
@access("event")
@rate_limited
@releases_db_session
def on_leave_proposal(payload: Any = None) -> dict[str, Any]:
    proposal_id = payload_id(payload, "proposal_id")
    if proposal_id is None:
        return refusal("invalid")
    room = proposal_room(proposal_id)
    if not current_presence().is_in(room, sid()):
        return refusal("not-joined")  # nothing to leave, and no broadcast to a room one is not in
    leave(room)
    current_presence().leave(room, sid())
    room_lists.changed(room, proposal_id, PRESENCE, FOCUS)
    return {"ok": True}


@socketio.on("proposal:focus")
@access("proposal-editor")
@rate_limited
@releases_db_session
def on_focus(payload: Any = None) -> dict[str, Any]:
    """Someone started editing a field: show their name on it for everyone in the room."""
    if not current_user.is_authenticated:
        return refusal("unauthenticated")
    proposal_id = payload_id(payload, "proposal_id")
    item_id = payload_id(payload, "item_id")
    field = payload.get("field") if isinstance(payload, dict) else None
    kind = _focusable(field)
    if proposal_id is None or item_id is None or kind is None:
        return refusal("invalid")
    room = proposal_room(proposal_id)
    if not current_presence().is_in(room, sid()):
        return refusal("not-joined")
    item = db.session.get(ProposalItem, item_id)
    if item is None or item.proposal_id != proposal_id:
        return refusal("forbidden")
    if not _may_write(item.proposal, {"mode": kind}):
        return refusal("forbidden")
    current_presence().set_focus(
        room, sid(), Focus(user_id=current_user.id, name=current_user.display_name, item_id=item_id, field=str(field))
    )
    room_lists.changed(room, proposal_id, FOCUS)
    return {"ok": True}


@socketio.on("proposal:blur")
@access("event")
@rate_limited
@releases_db_session
def on_blur(payload: Any = None) -> dict[str, Any]:
    proposal_id = payload_id(payload, "proposal_id")
    if proposal_id is None:
        return refusal("invalid")
    room = proposal_room(proposal_id)
    if not current_presence().is_in(room, sid()):
        return refusal("not-joined")
    current_presence().clear_focus(room, sid())
    room_lists.changed(room, proposal_id, FOCUS)
    return {"ok": True}


@socketio.on("disconnect")
@access("signed-in")
@releases_db_session
def on_disconnect(*_args: Any) -> None:
    """Closing the laptop: the person leaves every room's presence and focus."""
    socket_id = sid()
    connections.forget(socket_id)
    for room in current_presence().rooms_of(socket_id):
        current_presence().leave(room, socket_id)
        room_lists.changed(room, int(room.split(":", 1)[1]), PRESENCE, FOCUS)


@socketio.on("session:join")
@access("event")
@rate_limited
@releases_db_session
def on_join_session(payload: Any = None) -> dict[str, Any]:
    """Join a session's room (same right as its page); answer with the timer on the server's clock
    and every part of the room, fresh from the database (what changed while away)."""
    if not current_user.is_authenticated:
        return refusal("unauthenticated")
    session_id = payload_id(payload, "session_id")
    if session_id is None:
        return refusal("invalid")
    session = db.session.get(Session, session_id)
    if session is None or not can_view_event(current_user, session.event):
        return refusal("forbidden")
    join(session_room(session_id))
    memo = Memo()
    with force_locale(socket_locale()):
        fragments = {
            f"session-{session_id}-{part}": render(f"session-{session_id}-{part}", memo) for part in SESSION_PARTS
        }
    return {
        "ok": True,
        "status": session.status.value,
        "timer": timer_payload(session),
        "fragments": {fragment_id: str(html) for fragment_id, html in fragments.items() if html is not None},
    }


@socketio.on("event:join")
@access("event")
@rate_limited
@releases_db_session
def on_join_event(payload: Any = None) -> dict[str, Any]:
    event_id = payload_id(payload, "event_id")
    if event_id is None or not current_user.is_authenticated:
        return refusal("invalid")
    event = db.session.get(Event, event_id)
    if event is None or not can_view_event(current_user, event):
        return refusal("forbidden")
    join(event_room(event_id))
    return {"ok": True, "phase": event.phase.value, "accepts_edits": event.accepts_edits}
