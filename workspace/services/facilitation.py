"""Facilitation: sessions and agenda, attendance, breakouts, locks, spotlight, timer,
announcements and agreements. Everything is stored (it survives a restart) and announced live.

Each action: check `can_facilitate` → one short unit of work that records what it changed (a
session part, the event's session list, a lock, a person sent to another room, a proposal's
status) → commit → the publisher (`realtime/publish.py`) tells every screen concerned.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from workspace.core.access import deactivated_agency_refusal
from workspace.core.changes import EventSessionsChanged, LockChanged, PersonMoved, SessionPartChanged
from workspace.core.errors import NotFound, PermissionDenied, ValidationFailed
from workspace.core.numbers import typed_number
from workspace.core.permissions import can_check_in, can_facilitate, can_plan_sessions, can_view_event
from workspace.core.texts import N_, Text
from workspace.core.uow import record, write_transaction
from workspace.extensions import db
from workspace.models import (
    AgendaItem,
    Attendance,
    Event,
    Membership,
    Proposal,
    ProposalItem,
    Session,
    SessionKind,
    SessionStatus,
    User,
)
from workspace.models.base import utcnow
from workspace.queries.sessions import proposals_of

MAX_TIMER_MINUTES = 8 * 60
T = TypeVar("T")


# What each field of the facilitator's forms is called, so that a refusal names it: the console's
# forms show the message alone, away from the field ("Catatan: Isian ini wajib diisi.").
FIELD_LABELS = {
    "title": _l("Name"),
    "agenda": _l("Agenda item"),
    "agenda_title": _l("Agenda item"),
    "label": _l("Timer label"),
    "announcement": _l("Announcement"),
    "note": _l("Agreement note"),
}


def clean_text(raw: str, limit: int, field: str, required: bool = False) -> str:
    text = re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", "", raw.replace("\r\n", "\n")).strip()
    label = FIELD_LABELS.get(field, "")
    if required and not text:
        raise ValidationFailed({field: _named(label, _("This field is required."))})
    if len(text) > limit:
        raise ValidationFailed({field: _named(label, _("At most %(max)d characters.", max=limit))})
    return text


def _named(label: object, message: str) -> str:
    return f"{label}: {message}" if label else message


def _missing() -> NotFound:
    return NotFound(_("The page or data you are looking for does not exist."))


def _found(row: T | None) -> T:
    if row is None:
        raise _missing()
    return row


# ---- Who may: each returns what the action is about, or refuses ------------------------------


def session_for_viewer(user: User, session_id: int) -> Session:
    """The session, if the person may see its event (to anyone else it does not exist)."""
    session = db.session.get(Session, session_id)
    if session is None or not can_view_event(user, session.event):
        raise _missing()
    return session


def facilitated_session(user: User, session_id: int) -> Session:
    session = session_for_viewer(user, session_id)
    if not can_facilitate(user, session.event):
        raise PermissionDenied(_("Only facilitators can do this."))
    return session


def _require_planner(user: User, event: Event) -> None:
    if not can_plan_sessions(user, event):
        raise PermissionDenied(_("Only facilitators and organisers can plan sessions."))


def planned_event(user: User, event_id: int) -> Event:
    """An event whose sessions the person may plan."""
    event = db.session.get(Event, event_id)
    if event is None or not can_view_event(user, event):
        raise _missing()
    _require_planner(user, event)
    return event


def planned_session(user: User, session_id: int) -> Session:
    """A session whose agenda the person may plan."""
    session = session_for_viewer(user, session_id)
    _require_planner(user, session.event)
    return session


def planned_agenda_item(user: User, agenda_item_id: int) -> AgendaItem:
    item = _found(db.session.get(AgendaItem, agenda_item_id))
    planned_session(user, item.session_id)
    return item


# ---- Inside a unit of work: the rows a write decides on, read again, and what it records -------


def _fresh(session_id: int) -> Session:
    """The session and its breakouts as stored now (a request keeps what it loaded earlier); their
    lists (members, proposals, agenda, attendance) are read again when next used."""
    rows = db.session.scalars(
        sa.select(Session)
        .where(sa.or_(Session.id == session_id, Session.parent_id == session_id))
        .execution_options(populate_existing=True)
    ).all()
    return _found(next((row for row in rows if row.id == session_id), None))


def fresh_proposal(proposal_id: int) -> Proposal:
    return _found(db.session.get(Proposal, proposal_id, populate_existing=True))


def _send_to(user_id: int, session: Session, message: Text) -> None:
    """Tell one person's screens to go to another session room."""
    record(PersonMoved(user_id=user_id, session_id=session.id, url=f"/sesi/{session.id}?pindah=1", message=message))


def _locks_changed(session_id: int, proposals: list[Proposal]) -> None:
    """Who may edit these proposals changed: their pages, and the session's list of proposals."""
    for proposal in proposals:
        record(LockChanged(proposal.id))
    record(SessionPartChanged(session_id, "proposals"))


# ---- Planning: sessions and their agenda -----------------------------------------------------


def create_session(actor: User, event: Event, title: str, agenda: list[tuple[str, int]]) -> Session:
    _require_planner(actor, event)
    name = clean_text(title, 200, "title", required=True)
    cleaned = []
    for agenda_title, minutes in agenda:
        item_title = clean_text(agenda_title, 200, "agenda")
        if not item_title:
            continue
        if not 0 <= minutes <= 600:
            raise ValidationFailed({"agenda": _("An agenda item lasts 0 to 600 minutes.")})
        cleaned.append((item_title, minutes))
    event_id = event.id
    with write_transaction() as unit:
        position = (
            db.session.scalar(sa.select(sa.func.max(Session.position)).where(Session.event_id == event_id)) or 0
        ) + 1
        session = Session(event=event, kind=SessionKind.PLENARY, title=name, position=position)
        db.session.add(session)
        for index, (item_title, minutes) in enumerate(cleaned):
            session.agenda_items.append(AgendaItem(position=index, title=item_title, duration_minutes=minutes))
        unit.record(EventSessionsChanged(event_id))
    return session


def _agenda_start(session: Session, starts_at: str) -> datetime | None:
    """An agenda item's start time (HH:MM or HH.MM, local) on the session's day, in UTC."""
    if not starts_at.strip():
        return None
    match = re.fullmatch(r"([01]?[0-9]|2[0-3])[:.]([0-5][0-9])", starts_at.strip())
    if match is None:
        raise ValidationFailed({"agenda_start": _("Enter a time such as 08.30.")})
    day = session.scheduled_start or datetime.combine(session.event.starts_on, datetime.min.time())
    zone = ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Asia/Jakarta"))
    local = datetime.combine(day.date(), datetime.min.time()).replace(
        hour=int(match.group(1)), minute=int(match.group(2)), tzinfo=zone
    )
    return local.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def add_agenda_item(actor: User, session_id: int, title: str, minutes: str, starts_at: str = "") -> AgendaItem:
    """An agenda item at the end of a session's agenda (optionally with its start time, HH:MM local)."""
    session = planned_session(actor, session_id)
    name = clean_text(title, 200, "agenda_title", required=True)
    duration = typed_number(minutes, "agenda_minutes", _("An agenda item lasts 0 to 600 minutes."), 0, 600)
    start = _agenda_start(session, starts_at)
    event_id = session.event_id
    with write_transaction() as unit:
        position = (
            db.session.scalar(sa.select(sa.func.max(AgendaItem.position)).where(AgendaItem.session_id == session_id))
            or 0
        ) + 1
        item = AgendaItem(position=position, title=name, duration_minutes=duration, starts_at=start)
        _fresh(session_id).agenda_items.append(item)
        unit.record(EventSessionsChanged(event_id))
    return item


def remove_agenda_item(actor: User, agenda_item_id: int) -> Session:
    session = planned_agenda_item(actor, agenda_item_id).session
    event_id = session.event_id
    with write_transaction() as unit:
        item = _found(db.session.get(AgendaItem, agenda_item_id))
        _fresh(item.session_id).agenda_items.remove(item)
        db.session.delete(item)
        unit.record(EventSessionsChanged(event_id))
    return session


# ---- Running a session: open and close, attendance ---------------------------------------------


def set_status(actor: User, session_id: int, status: SessionStatus) -> Session:
    """Open (live) or close a session. Closing a plenary closes its breakouts."""
    facilitated_session(actor, session_id)
    with write_transaction() as unit:
        session = _fresh(session_id)
        session.status = status
        ended = []
        if status is SessionStatus.LIVE:
            session.opened_at = session.opened_at or utcnow()
        else:
            session.closed_at = utcnow()
            ended = _close_live_breakouts(session)
        if session.locked:  # whether its lock applies changed
            _locks_changed(session.id, proposals_of(session))
        _send_home(session, ended)
        unit.record(EventSessionsChanged(session.event_id))
    return session


def _close_live_breakouts(plenary: Session) -> list[Session]:
    """Inside the transaction: close the plenary's live breakouts; returns them."""
    ended = [b for b in plenary.breakouts if b.is_live]
    for breakout in ended:
        breakout.status = SessionStatus.CLOSED
        breakout.closed_at = utcnow()
    return ended


def _send_home(plenary: Session, ended: list[Session]) -> None:
    """Inside the unit of work: everyone of the ended breakouts back to the plenary, every screen
    of the breakouts and of the plenary told."""
    for breakout in ended:
        for member in breakout.members:
            _send_to(member.id, plenary, N_("The breakouts have ended: back to the plenary."))
        if breakout.locked:  # its lock no longer applies
            _locks_changed(breakout.id, proposals_of(breakout))
        record(SessionPartChanged(breakout.id, "state"))
    record(SessionPartChanged(plenary.id, "state"))


def _attendance_of(session_id: int, user_id: int) -> Attendance | None:
    return db.session.scalar(
        sa.select(Attendance).where(Attendance.session_id == session_id, Attendance.user_id == user_id)
    )


def check_in(user: User, session_id: int) -> Attendance:
    """The "Hadir" button (a POST): recorded once. Opening a page records nothing: the berita acara
    prints this list, and a link followed must not put anyone in it."""
    session = session_for_viewer(user, session_id)
    if not can_check_in(user, session.event):
        raise deactivated_agency_refusal(user, session.event) or PermissionDenied(
            _("You do not have the right to open this page or do this.")
        )
    if not session.is_live:
        raise ValidationFailed({"": _("This session is not live.")})
    with write_transaction() as unit:  # a second press finds the first one's row and writes nothing
        attendance = _attendance_of(session_id, user.id)
        if attendance is None:
            attendance = Attendance(user_id=user.id, checked_in=True)
            _fresh(session_id).attendances.append(attendance)
            unit.record(SessionPartChanged(session_id, "attendance"))
        elif attendance.left_at is not None:  # moved away, then back: present again
            attendance.left_at = None
            unit.record(SessionPartChanged(session_id, "attendance"))
    return attendance


def join(user: User, session_id: int, explicit: bool = True) -> Attendance:
    return check_in(user, session_id)  # the former name; every attendance is explicit now


# ---- Breakouts ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BreakoutPlan:
    title: str
    user_ids: list[int]
    proposal_ids: list[int]


def create_breakout(actor: User, plenary_id: int, plan: BreakoutPlan) -> Session:
    plenary = facilitated_session(actor, plenary_id)
    if plenary.kind is not SessionKind.PLENARY or not plenary.is_live:
        raise ValidationFailed({"": _("Breakouts are made from a live plenary.")})
    title = clean_text(plan.title, 200, "title", required=True)
    members = _event_people(plenary.event, plan.user_ids)
    proposals = _event_proposals(plenary.event, plan.proposal_ids)
    if not proposals:
        raise ValidationFailed({"proposals": _("Give the breakout at least one proposal.")})
    with write_transaction() as unit:
        plenary = _fresh(plenary_id)
        breakout = Session(
            event_id=plenary.event_id, kind=SessionKind.BREAKOUT, title=title, position=len(plenary.breakouts) + 1
        )
        plenary.breakouts.append(breakout)
        db.session.flush()
        _assign(plenary, breakout, members)
        breakout.proposals = proposals
        unit.record(SessionPartChanged(plenary_id, "state"))
    return breakout


def _event_people(event: Event, user_ids: list[int]) -> list[User]:
    members = sa.select(Membership.user_id).where(Membership.event_id == event.id)
    people = list(db.session.scalars(sa.select(User).where(User.id.in_(user_ids), User.id.in_(members))))
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
    """A person is in one breakout of a plenary at a time: taken out of another open breakout, they
    are no longer present there either (their attendance there ends; the record stays)."""
    moved = {person.id for person in people}
    for other in plenary.breakouts:
        if other.id != breakout.id and other.status is not SessionStatus.CLOSED:  # earlier rounds keep their record
            other.members = [m for m in other.members if m not in people]
            _end_attendance(other, moved)
    breakout.members = list({m.id: m for m in [*breakout.members, *people]}.values())


def _end_attendance(session: Session, user_ids: set[int]) -> None:
    ended = [a for a in session.attendances if a.user_id in user_ids and a.left_at is None]
    for attendance in ended:
        attendance.left_at = utcnow()
    if ended:
        record(SessionPartChanged(session.id, "attendance"))


def start_breakouts(actor: User, plenary_id: int) -> list[Session]:
    facilitated_session(actor, plenary_id)
    with write_transaction() as unit:
        plenary = _fresh(plenary_id)
        started = [b for b in plenary.breakouts if b.status is SessionStatus.SCHEDULED]
        for breakout in started:
            breakout.status = SessionStatus.LIVE
            breakout.opened_at = utcnow()
            for member in breakout.members:
                _send_to(member.id, breakout, N_("You are now in the breakout %(title)s.", title=breakout.title))
        unit.record(SessionPartChanged(plenary_id, "state"))
    return started


def move_person(actor: User, plenary_id: int, breakout_id: int, user_id: int) -> Session:
    plenary = facilitated_session(actor, plenary_id)
    breakout = db.session.get(Session, breakout_id)
    if breakout is None or breakout.parent_id != plenary.id:
        raise ValidationFailed({"": _("Choose a breakout of this plenary.")})
    people = _event_people(breakout.event, [user_id])
    with write_transaction() as unit:
        plenary = _fresh(plenary_id)
        breakout = next((b for b in plenary.breakouts if b.id == breakout_id), None)
        if breakout is None:
            raise ValidationFailed({"": _("Choose a breakout of this plenary.")})
        _assign(plenary, breakout, people)
        if breakout.is_live:
            message = N_("The facilitator moved you to the breakout %(title)s.", title=breakout.title)
            _send_to(user_id, breakout, message)
        unit.record(SessionPartChanged(plenary_id, "state"))
    return breakout


def end_breakouts(actor: User, plenary_id: int) -> None:
    facilitated_session(actor, plenary_id)
    with write_transaction():
        plenary = _fresh(plenary_id)
        _send_home(plenary, _close_live_breakouts(plenary))


# ---- Locks, spotlight, timer, announcement -------------------------------------------------------


def proposal_of_event(session: Session, proposal_id: int | None) -> Proposal:
    proposal = db.session.get(Proposal, proposal_id) if proposal_id is not None else None
    if proposal is None or proposal.event_id != session.event_id:
        raise _missing()
    return proposal


def set_proposal_lock(actor: User, session_id: int, proposal_id: int, locked: bool) -> None:
    session = facilitated_session(actor, session_id)
    proposal_of_event(session, proposal_id)
    with write_transaction():
        proposal = fresh_proposal(proposal_id)
        proposal.locked = locked
        proposal.locked_by_id = actor.id if locked else None
        proposal.locked_at = utcnow() if locked else None
        _locks_changed(session_id, [proposal])


def set_session_lock(actor: User, session_id: int, locked: bool) -> None:
    facilitated_session(actor, session_id)
    with write_transaction():
        session = _fresh(session_id)
        session.locked = locked
        _locks_changed(session_id, proposals_of(session))


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
    with write_transaction() as unit:
        session = _fresh(session_id)
        session.spotlight_proposal_id = proposal_id
        session.spotlight_item_id = item_id if proposal_id is not None else None
        unit.record(SessionPartChanged(session_id, "spotlight"))


def start_timer(actor: User, session_id: int, minutes: str, label: str) -> None:
    facilitated_session(actor, session_id)
    duration = typed_number(
        minutes, "minutes", _("A timer runs 1 to %(max)d minutes.", max=MAX_TIMER_MINUTES), 1, MAX_TIMER_MINUTES
    )
    text = clean_text(label, 200, "label")
    with write_transaction() as unit:
        session = _fresh(session_id)
        session.timer_label = text
        session.timer_ends_at = utcnow() + timedelta(minutes=duration)
        unit.record(SessionPartChanged(session_id, "timer"))


def stop_timer(actor: User, session_id: int) -> None:
    facilitated_session(actor, session_id)
    with write_transaction() as unit:
        session = _fresh(session_id)
        session.timer_ends_at = None
        session.timer_label = ""
        unit.record(SessionPartChanged(session_id, "timer"))


def set_announcement(actor: User, session_id: int, text: str) -> None:
    facilitated_session(actor, session_id)
    message = clean_text(text, 500, "announcement")
    with write_transaction() as unit:
        session = _fresh(session_id)
        session.announcement = message
        session.announcement_at = utcnow() if message else None
        unit.record(SessionPartChanged(session_id, "announcement"))
