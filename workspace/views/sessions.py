"""Ruang sesi, the facilitator's console and the projector view. Thin: every action is a
services.facilitation call; the broadcast carries the result to every screen."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from workspace.core.permissions import can_facilitate
from workspace.extensions import db
from workspace.models import ProposalItem, Session, SessionStatus
from workspace.queries.proposals import load_proposal_tree
from workspace.services import facilitation
from workspace.services.errors import NotFound, PermissionDenied, ServiceError
from workspace.views.access import access
from workspace.views.editing import is_htmx
from workspace.views.helpers import event_for_viewer

blueprint = Blueprint("sessions", __name__)


def _session(session_id: int) -> Session:
    try:
        return facilitation.session_for_viewer(current_user, session_id)
    except NotFound:
        abort(404)


def _is_id(value: str) -> bool:
    """ASCII digits, at most 12 ("²".isdigit() is true, and int() of 5,000 digits raises)."""
    return re.fullmatch(r"[0-9]{1,12}", value) is not None


def _ids(values: list[str]) -> list[int]:
    if any(not _is_id(v) for v in values):
        abort(400)
    return [int(v) for v in values]


def _optional_id(value: str | None) -> int | None:
    if not value:
        return None
    if not _is_id(value):
        abort(400)
    return int(value)


def facilitators_only(view: Callable[..., object]) -> Callable[..., object]:
    """Refuse non-facilitators before reading the form: a refusal does not depend on the input."""

    @functools.wraps(view)
    def checked(session_id: int, **kwargs: object) -> object:
        try:
            facilitation.facilitated_session(current_user, session_id)
        except NotFound:
            abort(404)
        except PermissionDenied as refusal:
            if not is_htmx():
                abort(403)
            return render_template("proposals/_cell_message.html", message=refusal.message), 403
        return view(session_id, **kwargs)

    return checked


def _act(session_id: int, action) -> object:  # noqa: ANN001 - a facilitation call
    _session(session_id)
    try:
        action()
    except ServiceError as error:
        status = 403 if isinstance(error, PermissionDenied) else 404 if isinstance(error, NotFound) else 422
        if not is_htmx():
            if status != 422:
                abort(status)  # a refusal is a refusal, for a plain form too
            flash(error.message, "error")
            return redirect(url_for("sessions.room", session_id=session_id))
        return render_template("proposals/_cell_message.html", message=error.message), status
    if not is_htmx():
        return redirect(url_for("sessions.room", session_id=session_id))
    return "", 204


def _room_context(session: Session) -> dict:
    spotlight = load_proposal_tree(session.spotlight_proposal_id) if session.spotlight_proposal_id else None
    return {
        "session": session,
        "event": session.event,
        "proposals": facilitation.proposals_of(session),
        "agreements": facilitation.current_agreements(session),
        "timer": facilitation.timer_state(session),
        "spotlight_proposal": spotlight,
        "is_facilitator": can_facilitate(current_user, session.event),
    }


@blueprint.route("/sesi/<int:session_id>")
@access("event")
@login_required
def room(session_id: int) -> str | Response:
    session = _session(session_id)
    if not can_facilitate(current_user, session.event) and session.parent_id is None:
        breakout = facilitation.breakout_of(current_user, session)
        if breakout is not None:  # a reconnecting participant lands in their breakout
            return redirect(url_for("sessions.room", session_id=breakout.id))
    facilitation.join(current_user, session_id)
    db.session.expire_all()
    session = db.session.get(Session, session_id)
    if request.args.get("pindah"):
        flash(_("You are now in %(title)s.", title=session.title), "info")
    context = _room_context(session)
    if context["is_facilitator"]:
        context["people"] = sorted({m.user for m in session.event.memberships}, key=lambda u: u.name)
        context["all_proposals"] = sorted(session.event.proposals, key=lambda p: p.agency.region_code)
    return render_template("sessions/room.html", **context)


@blueprint.route("/sesi/<int:session_id>/proyektor")
@access("event")
@login_required
def projector(session_id: int) -> str:
    session = _session(session_id)
    return render_template("sessions/projector.html", **_room_context(session))


@blueprint.route("/sesi/<int:session_id>/sorotan")
@access("event")
@login_required
def spotlight(session_id: int) -> str:
    """The spotlight fragment (a client re-fetches it after a reconnect)."""
    session = _session(session_id)
    return render_template("sessions/_spotlight.html", **_room_context(session))


@blueprint.route("/rakor/<int:event_id>/sesi", methods=["POST"])
@access("session-planner")
@login_required
def create(event_id: int) -> Response:
    event = event_for_viewer(event_id)
    titles = request.form.getlist("agenda_title")
    minutes = request.form.getlist("agenda_minutes")
    agenda = [(t, int(m) if re.fullmatch(r"[0-9]{1,4}", m) else -1) for t, m in zip(titles, minutes, strict=False)]
    try:
        session = facilitation.create_session(current_user, event, request.form.get("title", ""), agenda)
    except PermissionDenied:
        abort(403)
    except ServiceError as error:
        flash(error.message, "error")
        return redirect(_back_to(url_for("events.home", event_id=event_id)))
    return redirect(_back_to(url_for("sessions.room", session_id=session.id)))


def _back_to(default: str) -> str:
    """Where a planning form came from (the organiser's sessions page), if it is one of ours."""
    from workspace.views.auth import safe_next_url

    return safe_next_url(request.form.get("next", "")) or default


@blueprint.route("/sesi/<int:session_id>/agenda", methods=["POST"])
@access("session-planner")
@login_required
def add_agenda_item(session_id: int) -> Response:
    _session(session_id)
    try:
        facilitation.add_agenda_item(
            current_user,
            session_id,
            request.form.get("agenda_title", ""),
            request.form.get("agenda_minutes", ""),
            request.form.get("agenda_start", ""),
        )
    except PermissionDenied:
        abort(403)
    except ServiceError as error:
        flash(error.message, "error")
    return redirect(_back_to(url_for("sessions.room", session_id=session_id)))


@blueprint.route("/agenda/<int:agenda_item_id>/hapus", methods=["POST"])
@access("session-planner")
@login_required
def remove_agenda_item(agenda_item_id: int) -> Response:
    try:
        session = facilitation.remove_agenda_item(current_user, agenda_item_id)
    except PermissionDenied:
        abort(403)
    except NotFound:
        abort(404)
    return redirect(_back_to(url_for("sessions.room", session_id=session.id)))


@blueprint.route("/sesi/<int:session_id>/status", methods=["POST"])
@access("facilitator")
@login_required
@facilitators_only
def status(session_id: int) -> object:
    value = request.form.get("status", "")
    if value not in (SessionStatus.LIVE.value, SessionStatus.CLOSED.value):
        abort(400)
    return _act(session_id, lambda: facilitation.set_status(current_user, session_id, SessionStatus(value)))


@blueprint.route("/sesi/<int:session_id>/hadir", methods=["POST"])
@access("event")
@login_required
def check_in(session_id: int) -> object:
    return _act(session_id, lambda: facilitation.join(current_user, session_id, explicit=True))


@blueprint.route("/sesi/<int:session_id>/kelompok", methods=["POST"])
@access("facilitator")
@login_required
@facilitators_only
def create_breakout(session_id: int) -> object:
    plan = facilitation.BreakoutPlan(
        title=request.form.get("title", ""),
        user_ids=_ids(request.form.getlist("people")),
        proposal_ids=_ids(request.form.getlist("proposals")),
    )
    return _act(session_id, lambda: facilitation.create_breakout(current_user, session_id, plan))


@blueprint.route("/sesi/<int:session_id>/kelompok/mulai", methods=["POST"])
@access("facilitator")
@login_required
@facilitators_only
def start_breakouts(session_id: int) -> object:
    return _act(session_id, lambda: facilitation.start_breakouts(current_user, session_id))


@blueprint.route("/sesi/<int:session_id>/kelompok/selesai", methods=["POST"])
@access("facilitator")
@login_required
@facilitators_only
def end_breakouts(session_id: int) -> object:
    return _act(session_id, lambda: facilitation.end_breakouts(current_user, session_id))


@blueprint.route("/sesi/<int:session_id>/pindahkan", methods=["POST"])
@access("facilitator")
@login_required
@facilitators_only
def move_person(session_id: int) -> object:
    """Move a person into a breakout of this plenary (`breakout`), at any time."""
    user_id = _optional_id(request.form.get("user"))
    breakout_id = _optional_id(request.form.get("breakout"))
    if user_id is None or breakout_id is None:
        abort(400)
    return _act(session_id, lambda: facilitation.move_person(current_user, session_id, breakout_id, user_id))


@blueprint.route("/sesi/<int:session_id>/kunci", methods=["POST"])
@access("facilitator")
@login_required
@facilitators_only
def lock(session_id: int) -> object:
    locked = request.form.get("locked", "1") == "1"
    proposal_id = _optional_id(request.form.get("proposal"))
    if proposal_id is None:
        return _act(session_id, lambda: facilitation.set_session_lock(current_user, session_id, locked))
    return _act(session_id, lambda: facilitation.set_proposal_lock(current_user, session_id, proposal_id, locked))


@blueprint.route("/sesi/<int:session_id>/sorot", methods=["POST"])
@access("facilitator")
@login_required
@facilitators_only
def set_spotlight(session_id: int) -> object:
    proposal_id = _optional_id(request.form.get("proposal"))
    item_id = _optional_id(request.form.get("item"))
    if item_id is not None and proposal_id is None:
        # One item chosen: its proposal is the one in the spotlight.
        item = db.session.get(ProposalItem, item_id)
        proposal_id = item.proposal_id if item is not None else None
    return _act(session_id, lambda: facilitation.set_spotlight(current_user, session_id, proposal_id, item_id))


@blueprint.route("/sesi/<int:session_id>/timer", methods=["POST"])
@access("facilitator")
@login_required
@facilitators_only
def timer(session_id: int) -> object:
    if request.form.get("stop"):
        return _act(session_id, lambda: facilitation.stop_timer(current_user, session_id))
    minutes, label = request.form.get("minutes", ""), request.form.get("label", "")
    return _act(session_id, lambda: facilitation.start_timer(current_user, session_id, minutes, label))


@blueprint.route("/sesi/<int:session_id>/pengumuman", methods=["POST"])
@access("facilitator")
@login_required
@facilitators_only
def announcement(session_id: int) -> object:
    text = request.form.get("text", "")[:2000]
    return _act(session_id, lambda: facilitation.set_announcement(current_user, session_id, text))


@blueprint.route("/sesi/<int:session_id>/kesepakatan", methods=["POST"])
@access("facilitator")
@login_required
@facilitators_only
def agreement(session_id: int) -> object:
    proposal_id = _optional_id(request.form.get("proposal"))
    if proposal_id is None:
        abort(400)
    decision, note = request.form.get("decision", ""), request.form.get("note", "")[:4000]
    return _act(
        session_id, lambda: facilitation.record_agreement(current_user, session_id, proposal_id, decision, note)
    )
