"""Facilitation: sessions and agenda, attendance, breakouts, locks, spotlight, timer,
announcements and agreements. Everything is stored (it survives a restart) and announced live.

Each action: check `can_facilitate` → one short write transaction → commit → announce to the
session's room (and to the rooms of the proposals or people it concerns).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from workspace.core.permissions import can_facilitate, can_plan_sessions, can_view_event
from workspace.extensions import db
from workspace.models import (
    AgendaItem,
    Agreement,
    AgreementDecision,
    Attendance,
    Event,
    Proposal,
    ProposalItem,
    ProposalStatus,
    Session,
    SessionKind,
    SessionStatus,
    User,
)
from workspace.models.base import utcnow
from workspace.queries.sessions import (  # noqa: F401  (re-exported until callers import the queries)
    TimerState,
    agreement_history,
    breakout_of,
    current_agreements,
    live_session_for,
    proposals_of,
    timer_state,
)
from workspace.services.changes import ChangeResult, announce, bump_revision
from workspace.services.errors import NotFound, PermissionDenied, ValidationFailed
from workspace.services.transactions import write_transaction

DECISION_STATUS = {
    AgreementDecision.AGREED: ProposalStatus.AGREED,
    AgreementDecision.AGREED_WITH_NOTES: ProposalStatus.AGREED_WITH_NOTES,
    AgreementDecision.NOT_AGREED: ProposalStatus.NOT_AGREED,
}
MAX_TIMER_MINUTES = 8 * 60


def _text(raw: str, limit: int, field: str, required: bool = False) -> str:
    text = re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", "", raw.replace("\r\n", "\n")).strip()
    if required and not text:
        raise ValidationFailed({field: _("This field is required.")})
    if len(text) > limit:
        raise ValidationFailed({field: _("At most %(max)d characters.", max=limit)})
    return text


def session_for_viewer(user: User, session_id: int) -> Session:
    session = db.session.get(Session, session_id)
    if session is None or not can_view_event(user, session.event):
        raise NotFound(_("The page or data you are looking for does not exist."))
    return session


def facilitated_session(user: User, session_id: int) -> Session:
    session = session_for_viewer(user, session_id)
    if not can_facilitate(user, session.event):
        raise PermissionDenied(_("Only facilitators can do this."))
    return session


# ---- Read side ------------------------------------------------------------------------------


















# ---- Write side -----------------------------------------------------------------------------


def create_session(actor: User, event: Event, title: str, agenda: list[tuple[str, int]]) -> Session:
    if not can_plan_sessions(actor, event):
        raise PermissionDenied(_("Only facilitators and organisers can plan sessions."))
    name = _text(title, 200, "title", required=True)
    cleaned = []
    for agenda_title, minutes in agenda:
        item_title = _text(agenda_title, 200, "agenda")
        if not item_title:
            continue
        if not 0 <= minutes <= 600:
            raise ValidationFailed({"agenda": _("An agenda item lasts 0 to 600 minutes.")})
        cleaned.append((item_title, minutes))
    with write_transaction():
        position = (
            db.session.scalar(sa.select(sa.func.max(Session.position)).where(Session.event_id == event.id)) or 0
        ) + 1
        session = Session(event_id=event.id, kind=SessionKind.PLENARY, title=name, position=position)
        db.session.add(session)
        db.session.flush()
        for index, (item_title, minutes) in enumerate(cleaned):
            db.session.add(
                AgendaItem(session_id=session.id, position=index, title=item_title, duration_minutes=minutes)
            )
    _announce_event(session.event_id)
    return session


def _planned_session(actor: User, session_id: int) -> Session:
    session = session_for_viewer(actor, session_id)
    if not can_plan_sessions(actor, session.event):
        raise PermissionDenied(_("Only facilitators and organisers can plan sessions."))
    return session


def add_agenda_item(actor: User, session_id: int, title: str, minutes: str, starts_at: str = "") -> AgendaItem:
    """An agenda item at the end of a session's agenda (optionally with its start time, HH:MM local)."""
    session = _planned_session(actor, session_id)
    name = _text(title, 200, "agenda_title", required=True)
    minutes_text = minutes.strip()
    if not re.fullmatch(r"[0-9]{1,3}", minutes_text) or not 0 <= int(minutes_text) <= 600:
        raise ValidationFailed({"agenda_minutes": _("An agenda item lasts 0 to 600 minutes.")})
    start = None
    if starts_at.strip():
        match = re.fullmatch(r"([01]?[0-9]|2[0-3])[:.]([0-5][0-9])", starts_at.strip())
        if match is None:
            raise ValidationFailed({"agenda_start": _("Enter a time such as 08.30.")})
        day = session.scheduled_start or datetime.combine(session.event.starts_on, datetime.min.time())
        zone = ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Asia/Jakarta"))
        local = datetime.combine(day.date(), datetime.min.time()).replace(
            hour=int(match.group(1)), minute=int(match.group(2)), tzinfo=zone
        )
        start = local.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)
    with write_transaction():
        position = (
            db.session.scalar(sa.select(sa.func.max(AgendaItem.position)).where(AgendaItem.session_id == session_id))
            or 0
        ) + 1
        item = AgendaItem(
            session_id=session_id, position=position, title=name, duration_minutes=int(minutes_text), starts_at=start
        )
        db.session.add(item)
    _announce_event(session.event_id)
    return item


def remove_agenda_item(actor: User, agenda_item_id: int) -> Session:
    item = db.session.get(AgendaItem, agenda_item_id)
    if item is None:
        raise NotFound(_("The page or data you are looking for does not exist."))
    session = _planned_session(actor, item.session_id)
    with write_transaction():
        db.session.delete(db.session.get(AgendaItem, agenda_item_id))
    _announce_event(session.event_id)
    return session


def set_status(actor: User, session_id: int, status: SessionStatus) -> Session:
    """Open (live) or close a session. Closing a plenary closes its breakouts."""
    session = facilitated_session(actor, session_id)
    with write_transaction():
        session = db.session.get(Session, session_id)
        session.status = status
        ended = []
        if status is SessionStatus.LIVE:
            session.opened_at = session.opened_at or utcnow()
        else:
            session.closed_at = utcnow()
            ended = _close_live_breakouts(session)
    _send_home(session, ended)
    _announce_event(session.event_id)
    if session.locked:  # whether its lock applies changed
        _announce_locks(session, proposals_of(session))
    return session


def _close_live_breakouts(plenary: Session) -> list[Session]:
    """Inside the transaction: close the plenary's live breakouts; returns them."""
    ended = [b for b in plenary.breakouts if b.is_live]
    for breakout in ended:
        breakout.status = SessionStatus.CLOSED
        breakout.closed_at = utcnow()
    return ended


def _send_home(plenary: Session, ended: list[Session]) -> None:
    """After the commit: everyone of the ended breakouts back to the plenary, every screen told."""
    for breakout in ended:
        for member in breakout.members:
            _move(member.id, plenary, _("The breakouts have ended: back to the plenary."))
        _announce_session(breakout, "state")
        if breakout.locked:  # its lock no longer applies
            _announce_locks(breakout, proposals_of(breakout))
    _announce_session(plenary, "state")


def join(user: User, session_id: int, explicit: bool = False) -> Attendance | None:
    """Opening a live session records attendance (first time kept); check-in marks it explicit."""
    session = session_for_viewer(user, session_id)
    if not session.is_live:
        if explicit:
            raise ValidationFailed({"": _("This session is not live.")})
        return None
    existing = db.session.scalar(
        sa.select(Attendance).where(Attendance.session_id == session_id, Attendance.user_id == user.id)
    )
    if existing is not None and (existing.checked_in or not explicit):
        return existing
    with write_transaction():
        attendance = db.session.scalar(
            sa.select(Attendance).where(Attendance.session_id == session_id, Attendance.user_id == user.id)
        )
        if attendance is None:
            attendance = Attendance(session_id=session_id, user_id=user.id)
            db.session.add(attendance)
        if explicit:
            attendance.checked_in = True
    _announce_session(session, "attendance")
    return attendance


@dataclass(frozen=True)
class BreakoutPlan:
    title: str
    user_ids: list[int]
    proposal_ids: list[int]


def create_breakout(actor: User, plenary_id: int, plan: BreakoutPlan) -> Session:
    plenary = facilitated_session(actor, plenary_id)
    if plenary.kind is not SessionKind.PLENARY or not plenary.is_live:
        raise ValidationFailed({"": _("Breakouts are made from a live plenary.")})
    title = _text(plan.title, 200, "title", required=True)
    members = _event_people(plenary.event, plan.user_ids)
    proposals = _event_proposals(plenary.event, plan.proposal_ids)
    if not proposals:
        raise ValidationFailed({"proposals": _("Give the breakout at least one proposal.")})
    with write_transaction():
        breakout = Session(
            event_id=plenary.event_id,
            parent_id=plenary.id,
            kind=SessionKind.BREAKOUT,
            title=title,
            position=len(plenary.breakouts) + 1,
        )
        db.session.add(breakout)
        db.session.flush()
        _assign(plenary, breakout, members)
        breakout.proposals = proposals
    _announce_session(plenary, "state")
    return breakout


def _event_people(event: Event, user_ids: list[int]) -> list[User]:
    from workspace.models import Membership

    people = list(
        db.session.scalars(
            sa.select(User).where(
                User.id.in_(user_ids), User.id.in_(sa.select(Membership.user_id).where(Membership.event_id == event.id))
            )
        )
    )
    if len(people) != len(set(user_ids)):
        raise ValidationFailed({"people": _("Choose people of this event.")})
    return people


def _event_proposals(event: Event, proposal_ids: list[int]) -> list[Proposal]:
    proposals = list(
        db.session.scalars(sa.select(Proposal).where(Proposal.id.in_(proposal_ids), Proposal.event_id == event.id))
    )
    if len(proposals) != len(set(proposal_ids)):
        raise ValidationFailed({"proposals": _("Choose proposals of this event.")})
    return proposals


def _assign(plenary: Session, breakout: Session, people: list[User]) -> None:
    """A person is in one breakout of a plenary at a time."""
    for other in plenary.breakouts:
        if other.id != breakout.id and other.status is not SessionStatus.CLOSED:  # earlier rounds keep their record
            other.members = [m for m in other.members if m not in people]
    breakout.members = list({m.id: m for m in [*breakout.members, *people]}.values())


def start_breakouts(actor: User, plenary_id: int) -> list[Session]:
    plenary = facilitated_session(actor, plenary_id)
    with write_transaction():
        plenary = db.session.get(Session, plenary_id)
        started = [b for b in plenary.breakouts if b.status is SessionStatus.SCHEDULED]
        for breakout in started:
            breakout.status = SessionStatus.LIVE
            breakout.opened_at = utcnow()
    for breakout in started:
        for member in breakout.members:
            _move(member.id, breakout, _("You are now in the breakout %(title)s.", title=breakout.title))
    _announce_session(plenary, "state")
    return started


def move_person(actor: User, plenary_id: int, breakout_id: int, user_id: int) -> Session:
    plenary = facilitated_session(actor, plenary_id)
    breakout = db.session.get(Session, breakout_id)
    if breakout is None or breakout.parent_id != plenary.id:
        raise ValidationFailed({"": _("Choose a breakout of this plenary.")})
    people = _event_people(breakout.event, [user_id])
    with write_transaction():
        breakout = db.session.get(Session, breakout_id)
        _assign(breakout.parent, breakout, people)
    if breakout.is_live:
        _move(user_id, breakout, _("The facilitator moved you to the breakout %(title)s.", title=breakout.title))
    _announce_session(breakout.parent, "state")
    return breakout


def end_breakouts(actor: User, plenary_id: int) -> None:
    plenary = facilitated_session(actor, plenary_id)
    with write_transaction():
        plenary = db.session.get(Session, plenary_id)
        ended = _close_live_breakouts(plenary)
    _send_home(plenary, ended)


def set_proposal_lock(actor: User, session_id: int, proposal_id: int, locked: bool) -> None:
    session = facilitated_session(actor, session_id)
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None or proposal.event_id != session.event_id:
        raise NotFound(_("The page or data you are looking for does not exist."))
    with write_transaction():
        proposal = db.session.get(Proposal, proposal_id)
        proposal.locked = locked
        proposal.locked_by_id = actor.id if locked else None
        proposal.locked_at = utcnow() if locked else None
    _announce_locks(session, [proposal])


def set_session_lock(actor: User, session_id: int, locked: bool) -> None:
    session = facilitated_session(actor, session_id)
    with write_transaction():
        session = db.session.get(Session, session_id)
        session.locked = locked
    _announce_locks(session, proposals_of(session))


def set_spotlight(actor: User, session_id: int, proposal_id: int | None, item_id: int | None) -> None:
    session = facilitated_session(actor, session_id)
    if proposal_id is not None:
        proposal = db.session.get(Proposal, proposal_id)
        if proposal is None or proposal.event_id != session.event_id:
            raise ValidationFailed({"spotlight": _("Choose a proposal of this event.")})
    if item_id is not None:
        item = db.session.get(ProposalItem, item_id)
        if item is None or item.proposal_id != proposal_id:
            raise ValidationFailed({"spotlight": _("Choose an item of that proposal.")})
    with write_transaction():
        session = db.session.get(Session, session_id)
        session.spotlight_proposal_id = proposal_id
        session.spotlight_item_id = item_id if proposal_id is not None else None
    _announce_session(session, "spotlight")


def start_timer(actor: User, session_id: int, minutes: str, label: str) -> None:
    session = facilitated_session(actor, session_id)
    if not re.fullmatch(r"[0-9]{1,4}", minutes.strip()) or not 1 <= int(minutes) <= MAX_TIMER_MINUTES:
        raise ValidationFailed({"minutes": _("A timer runs 1 to %(max)d minutes.", max=MAX_TIMER_MINUTES)})
    text = _text(label, 200, "label")
    with write_transaction():
        session = db.session.get(Session, session_id)
        session.timer_label = text
        session.timer_ends_at = utcnow() + timedelta(minutes=int(minutes))
    _announce_session(session, "timer")


def stop_timer(actor: User, session_id: int) -> None:
    session = facilitated_session(actor, session_id)
    with write_transaction():
        session = db.session.get(Session, session_id)
        session.timer_ends_at = None
        session.timer_label = ""
    _announce_session(session, "timer")


def set_announcement(actor: User, session_id: int, text: str) -> None:
    session = facilitated_session(actor, session_id)
    message = _text(text, 500, "announcement")
    with write_transaction():
        session = db.session.get(Session, session_id)
        session.announcement = message
        session.announcement_at = utcnow() if message else None
    _announce_session(session, "announcement")


def record_agreement(actor: User, session_id: int, proposal_id: int, decision: str, note: str) -> Agreement:
    """Sepakat / sepakat dengan catatan / belum sepakat (note required for the last two)."""
    session = facilitated_session(actor, session_id)
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None or proposal.event_id != session.event_id:
        raise NotFound(_("The page or data you are looking for does not exist."))
    if not session.holds(proposal):
        raise ValidationFailed({"proposal": _("This proposal is not discussed in this session.")})
    if decision not in AgreementDecision._value2member_map_:
        raise ValidationFailed({"decision": _("Choose a decision.")})
    kind = AgreementDecision(decision)
    text = _text(note, 2000, "note", required=kind.requires_note)
    with write_transaction():
        revision = bump_revision(proposal_id)
        for earlier in db.session.scalars(
            sa.select(Agreement).where(
                Agreement.session_id == session_id,
                Agreement.proposal_id == proposal_id,
                Agreement.superseded_at.is_(None),
            )
        ):
            earlier.superseded_at = utcnow()
        agreement = Agreement(
            session_id=session_id, proposal_id=proposal_id, decision=kind, note=text, recorded_by_id=actor.id
        )
        db.session.add(agreement)
        db.session.get(Proposal, proposal_id).status = DECISION_STATUS[kind]
    announce(ChangeResult(proposal_id=proposal_id, revision=revision, actor=actor, status_changed=True))
    _announce_session(session, "agreements")
    return agreement


# ---- Announcements --------------------------------------------------------------------------
# After the commit; a failed broadcast is logged, never reported as a failed action (screens catch
# up when they reconnect).


def _safely(send: Callable[[], None]) -> None:
    try:
        send()
    except Exception:
        current_app.logger.exception("session broadcast failed")


def _move(user_id: int, session: Session, message: str) -> None:
    from workspace.realtime.broadcast import emit_to_user

    emit_to_user(
        user_id, "session:moved", {"session_id": session.id, "message": message, "url": f"/sesi/{session.id}?pindah=1"}
    )


def _announce_session(session: Session, part: str) -> None:
    from workspace.realtime.broadcast import emit_session_part

    _safely(lambda: emit_session_part(session, part))


def _announce_event(event_id: int) -> None:
    from workspace.realtime.broadcast import emit_event_sessions

    _safely(lambda: emit_event_sessions(event_id))


def _announce_locks(session: Session, proposals: list[Proposal]) -> None:
    from workspace.realtime.broadcast import emit_lock_change

    for proposal in proposals:
        _safely(lambda p=proposal: emit_lock_change(p))
    _announce_session(session, "proposals")
