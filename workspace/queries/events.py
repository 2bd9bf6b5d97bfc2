"""Read side of events: what the event home shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from workspace.extensions import db
from workspace.models import Attendance, Event, Membership, Proposal, Session, SessionStatus, User
from workspace.queries.proposals import proposals_worked_on


@dataclass(frozen=True)
class EventHome:
    event: Event
    live_sessions: list[Session]
    sessions: list[Session]
    present: list[Attendance]
    my_proposal: Proposal | None
    people_count: int


def events_of(user: User) -> list[Event]:
    return list(
        db.session.scalars(
            sa.select(Event)
            .join(Membership, Membership.event_id == Event.id)
            .where(Membership.user_id == user.id)
            .distinct()
            .order_by(Event.starts_on.desc())
        )
    )


def landing_event(events: list[Event], today: date) -> Event | None:
    """Where a person lands after signing in: their only event, or the one taking place today
    (a rakor is two days: its people go straight to it); otherwise they choose."""
    if len(events) == 1:
        return events[0]
    today_events = [event for event in events if event.starts_on <= today <= event.ends_on]
    return today_events[0] if len(today_events) == 1 else None


def event_home(event: Event, viewer: User) -> EventHome:
    sessions = list(
        db.session.scalars(
            sa.select(Session)
            .where(Session.event_id == event.id, Session.parent_id.is_(None))
            .options(selectinload(Session.agenda_items), selectinload(Session.breakouts))
            .order_by(Session.position, Session.id)
        )
    )
    live_sessions = [s for s in sessions if s.status is SessionStatus.LIVE]
    present: list[Attendance] = []
    if live_sessions:
        present = list(
            db.session.scalars(
                sa.select(Attendance)
                .where(Attendance.session_id.in_([s.id for s in live_sessions]))
                .options(selectinload(Attendance.user).selectinload(User.agency))
                .order_by(Attendance.joined_at)
            )
        )
    worked_on = proposals_worked_on(viewer, event)
    my_proposal = worked_on[0] if worked_on else None
    people_count = db.session.scalar(
        sa.select(sa.func.count(sa.distinct(Membership.user_id))).where(Membership.event_id == event.id)
    )
    return EventHome(
        event=event,
        live_sessions=live_sessions,
        sessions=sessions,
        present=present,
        my_proposal=my_proposal,
        people_count=people_count or 0,
    )
