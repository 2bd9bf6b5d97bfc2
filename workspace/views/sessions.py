"""Ruang sesi, the facilitator's console and the projector view.

Thin: `@access` loads the session (or event, or agenda item) and refuses before any form is read;
every action is one services.facilitation call, whose recorded changes the publisher carries to
every screen. Service errors answer through the one error handler (views/errors.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from workspace.core.access import Loader, access
from workspace.core.numbers import form_id, form_ids, query_id, required_form_id, whole_number
from workspace.core.permissions import can_check_in, can_facilitate
from workspace.exports.spreadsheet import ordered_items
from workspace.extensions import db
from workspace.fragments import render
from workspace.models import AgendaItem, Event, ProposalItem, Session, SessionKind, SessionStatus, User
from workspace.queries.proposals import load_proposal_tree
from workspace.queries.sessions import (
    attendance_of,
    breakout_board,
    breakout_of,
    console_people,
    current_agreements,
    event_proposals,
    proposals_of,
    run_state,
    timer_state,
)
from workspace.services import agreements, facilitation
from workspace.views.auth import safe_next_url
from workspace.views.replies import is_htmx

blueprint = Blueprint("sessions", __name__)


def _actor() -> User:
    return current_user._get_current_object()


def _loaded(find: Callable[[User, int], Any], url_name: str, name: str) -> Loader:
    """A loader that asks the service for the route's object: 404 to a person of another event,
    403 with the reason to a person of the event without the right."""

    def load(arguments: dict[str, Any]) -> tuple[str, Any]:
        return name, find(_actor(), arguments[url_name])

    return load


viewed = _loaded(facilitation.session_for_viewer, "session_id", "session")
facilitated = _loaded(facilitation.facilitated_session, "session_id", "session")
planned = _loaded(facilitation.planned_session, "session_id", "session")
planned_event = _loaded(facilitation.planned_event, "event_id", "event")
planned_agenda_item = _loaded(facilitation.planned_agenda_item, "agenda_item_id", "agenda_item")


def _done(session: Session) -> Response | tuple[str, int]:
    """An action went through: the broadcast updates every screen, this one included."""
    if not is_htmx():
        return redirect(url_for("sessions.room", session_id=session.id))
    return "", 204


def _back_to(default: str) -> str:
    """Where a planning form came from (the organiser's sessions page), if it is one of ours."""
    return safe_next_url(request.form.get("next", "")) or default


def _room_context(session: Session) -> dict[str, Any]:
    spotlight = load_proposal_tree(session.spotlight_proposal_id) if session.spotlight_proposal_id else None
    return {
        "session": session,
        "event": session.event,
        "proposals": proposals_of(session),
        "agreements": current_agreements(session),
        "timer": timer_state(session),
        "spotlight_proposal": spotlight,
        "is_facilitator": can_facilitate(current_user, session.event),
        "my_attendance": attendance_of(session, current_user.id),
        "may_check_in": can_check_in(current_user, session.event),
    }


def _console_context(session: Session) -> dict[str, Any]:
    """What the facilitator's console adds to the room: the event's people and proposals, the run
    mode, the breakout board, and the items of the proposal spotlighted now."""
    board = breakout_board(session) if session.kind is SessionKind.PLENARY else []
    return {
        "people": console_people(session.event),
        "all_proposals": event_proposals(session.event),
        "run": run_state(session),
        "board": board,
        "placed": {person.id: breakout for breakout, members, _proposals in board for person in members},
        "spotlight_items": _items_of(session, session.spotlight_proposal_id),
    }


def _items_of(session: Session, proposal_id: int | None) -> list[Any]:
    """The items of one proposal of the session's event, in the tree's order (none: no proposal)."""
    if proposal_id is None:
        return []
    proposal = load_proposal_tree(proposal_id)
    if proposal is None or proposal.event_id != session.event_id:
        return []
    return ordered_items(proposal)


# ---- Pages ----------------------------------------------------------------------------------


@blueprint.route("/sesi/<int:session_id>")
@access("event", load=viewed)
@login_required
def room(session_id: int, session: Session) -> str | Response:
    if not can_facilitate(current_user, session.event) and session.parent_id is None:
        breakout = breakout_of(current_user, session)
        if breakout is not None:  # a reconnecting participant lands in their breakout
            return redirect(url_for("sessions.room", session_id=breakout.id))
    # Opening the room records nothing: attendance is the "Hadir" button's POST (check_in below).
    if request.args.get("pindah"):
        flash(_("You are now in %(title)s.", title=session.title), "info")
    context = _room_context(session)
    if context["is_facilitator"]:
        context.update(_console_context(session))
    return render_template("sessions/room.html", **context)


@blueprint.route("/sesi/<int:session_id>/konsol")
@access("facilitator", load=facilitated)
@login_required
def console(session_id: int, session: Session) -> str:
    """The facilitator's console alone: the room re-fetches it after a reconnect and whenever the
    room's state changed (a breakout made in another window), unless the facilitator is using it."""
    return render_template("sessions/_console.html", **_room_context(session), **_console_context(session))


@blueprint.route("/sesi/<int:session_id>/konsol/butir")
@access("facilitator", load=facilitated)
@login_required
def console_items(session_id: int, session: Session) -> str:
    """The spotlight's item choices for the proposal just chosen in the console (only its items)."""
    proposal_id = query_id(request.args.get("proposal"))
    return render_template(
        "sessions/_console_items.html", session=session, spotlight_items=_items_of(session, proposal_id)
    )


@blueprint.route("/sesi/<int:session_id>/proyektor")
@access("event", load=viewed)
@login_required
def projector(session_id: int, session: Session) -> str:
    return render_template("sessions/projector.html", **_room_context(session))


@blueprint.route("/sesi/<int:session_id>/sorotan")
@access("event", load=viewed)
@login_required
def spotlight(session_id: int, session: Session) -> str:
    """The spotlight fragment (a client re-fetches it after a reconnect)."""
    return str(render(f"session-{session_id}-spotlight") or "")


# ---- Planning -------------------------------------------------------------------------------


def _minutes(text: str) -> int:
    """An agenda item's minutes as typed; -1 (refused by the service, 422) when not a number."""
    number = whole_number(text.strip(), max_digits=4)
    return -1 if number is None else number


@blueprint.route("/rakor/<int:event_id>/sesi", methods=["POST"])
@access("session-planner", load=planned_event)
@login_required
def create(event_id: int, event: Event) -> Response:
    titles = request.form.getlist("agenda_title")
    minutes = request.form.getlist("agenda_minutes")
    agenda = [(t, _minutes(m)) for t, m in zip(titles, minutes, strict=False)]
    session = facilitation.create_session(_actor(), event, request.form.get("title", ""), agenda)
    return redirect(_back_to(url_for("sessions.room", session_id=session.id)))


@blueprint.route("/sesi/<int:session_id>/agenda", methods=["POST"])
@access("session-planner", load=planned)
@login_required
def add_agenda_item(session_id: int, session: Session) -> Response:
    facilitation.add_agenda_item(
        _actor(),
        session_id,
        request.form.get("agenda_title", ""),
        request.form.get("agenda_minutes", ""),
        request.form.get("agenda_start", ""),
    )
    return redirect(_back_to(url_for("sessions.room", session_id=session_id)))


@blueprint.route("/agenda/<int:agenda_item_id>/hapus", methods=["POST"])
@access("session-planner", load=planned_agenda_item)
@login_required
def remove_agenda_item(agenda_item_id: int, agenda_item: AgendaItem) -> Response:
    session = facilitation.remove_agenda_item(_actor(), agenda_item_id)
    return redirect(_back_to(url_for("sessions.room", session_id=session.id)))


# ---- Running the session --------------------------------------------------------------------


@blueprint.route("/sesi/<int:session_id>/status", methods=["POST"])
@access("facilitator", load=facilitated)
@login_required
def status(session_id: int, session: Session) -> Response | tuple[str, int]:
    value = request.form.get("status", "")
    if value not in (SessionStatus.LIVE.value, SessionStatus.CLOSED.value):
        abort(400)
    facilitation.set_status(_actor(), session_id, SessionStatus(value))
    return _done(session)


@blueprint.route("/sesi/<int:session_id>/hadir", methods=["POST"])
@access("event", load=viewed)
@login_required
def check_in(session_id: int, session: Session) -> Response | tuple[str, int, dict[str, str]]:
    """The "Hadir" button: the person is recorded present (once); the button becomes the time
    they were recorded, and the broadcast adds them to every screen's list of who is present."""
    attendance = facilitation.check_in(_actor(), session_id)
    if not is_htmx():
        flash(_("You are recorded as present."), "info")
        return redirect(url_for("sessions.room", session_id=session_id))
    body = render_template("sessions/_check_in.html", session=session, my_attendance=attendance, may_check_in=True)
    return body, 200, {"HX-Retarget": f"#session-{session_id}-check-in", "HX-Reswap": "outerHTML"}


@blueprint.route("/sesi/<int:session_id>/kelompok", methods=["POST"])
@access("facilitator", load=facilitated)
@login_required
def create_breakout(session_id: int, session: Session) -> Response | tuple[str, int]:
    plan = facilitation.BreakoutPlan(
        title=request.form.get("title", ""),
        user_ids=form_ids(request.form.getlist("people")),
        proposal_ids=form_ids(request.form.getlist("proposals")),
    )
    facilitation.create_breakout(_actor(), session_id, plan)
    return _done(session)


@blueprint.route("/sesi/<int:session_id>/kelompok/mulai", methods=["POST"])
@access("facilitator", load=facilitated)
@login_required
def start_breakouts(session_id: int, session: Session) -> Response | tuple[str, int]:
    facilitation.start_breakouts(_actor(), session_id)
    return _done(session)


@blueprint.route("/sesi/<int:session_id>/kelompok/selesai", methods=["POST"])
@access("facilitator", load=facilitated)
@login_required
def end_breakouts(session_id: int, session: Session) -> Response | tuple[str, int]:
    facilitation.end_breakouts(_actor(), session_id)
    return _done(session)


@blueprint.route("/sesi/<int:session_id>/pindahkan", methods=["POST"])
@access("facilitator", load=facilitated)
@login_required
def move_person(session_id: int, session: Session) -> Response | tuple[str, int]:
    """Move a person into a breakout of this plenary (`breakout`), at any time."""
    user_id = required_form_id(request.form.get("user"))
    breakout_id = required_form_id(request.form.get("breakout"))
    facilitation.move_person(_actor(), session_id, breakout_id, user_id)
    return _done(session)


@blueprint.route("/sesi/<int:session_id>/kunci", methods=["POST"])
@access("facilitator", load=facilitated)
@login_required
def lock(session_id: int, session: Session) -> Response | tuple[str, int]:
    locked = request.form.get("locked", "1") == "1"
    proposal_id = form_id(request.form.get("proposal"))
    if proposal_id is None:
        facilitation.set_session_lock(_actor(), session_id, locked)
    else:
        facilitation.set_proposal_lock(_actor(), session_id, proposal_id, locked)
    return _done(session)


@blueprint.route("/sesi/<int:session_id>/sorot", methods=["POST"])
@access("facilitator", load=facilitated)
@login_required
def set_spotlight(session_id: int, session: Session) -> Response | tuple[str, int]:
    proposal_id = form_id(request.form.get("proposal"))
    item_id = form_id(request.form.get("item"))
    if item_id is not None and proposal_id is None:
        # One item chosen: its proposal is the one in the spotlight.
        item = db.session.get(ProposalItem, item_id)
        proposal_id = item.proposal_id if item is not None else None
    facilitation.set_spotlight(_actor(), session_id, proposal_id, item_id)
    return _done(session)


@blueprint.route("/sesi/<int:session_id>/timer", methods=["POST"])
@access("facilitator", load=facilitated)
@login_required
def timer(session_id: int, session: Session) -> Response | tuple[str, int]:
    if request.form.get("stop"):
        facilitation.stop_timer(_actor(), session_id)
    else:
        minutes, label = request.form.get("minutes", ""), request.form.get("label", "")
        facilitation.start_timer(_actor(), session_id, minutes, label)
    return _done(session)


@blueprint.route("/sesi/<int:session_id>/pengumuman", methods=["POST"])
@access("facilitator", load=facilitated)
@login_required
def announcement(session_id: int, session: Session) -> Response | tuple[str, int]:
    facilitation.set_announcement(_actor(), session_id, request.form.get("text", "")[:2000])
    return _done(session)


@blueprint.route("/sesi/<int:session_id>/kesepakatan", methods=["POST"])
@access("facilitator", load=facilitated)
@login_required
def agreement(session_id: int, session: Session) -> Response | tuple[str, int]:
    proposal_id = required_form_id(request.form.get("proposal"))
    decision, note = request.form.get("decision", ""), request.form.get("note", "")[:4000]
    agreements.record_agreement(_actor(), session_id, proposal_id, decision, note)
    return _done(session)
