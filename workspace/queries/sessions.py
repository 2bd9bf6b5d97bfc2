"""Read side of session rooms: their proposals, agreements, breakouts and the timer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from workspace.extensions import db
from workspace.models import (
    Agreement,
    Attendance,
    Comment,
    Event,
    ItemLevel,
    Proposal,
    Session,
    SessionKind,
    User,
)
from workspace.models.base import utcnow


def proposals_of(session: Session) -> list[Proposal]:
    """A breakout's proposals; a plenary without a list shows every proposal of the event."""
    if session.proposals:
        return sorted(session.proposals, key=lambda p: (p.agency.region_code, p.agency.name))
    if session.kind is SessionKind.PLENARY:
        return sorted(session.event.proposals, key=lambda p: (p.agency.region_code, p.agency.name))
    return []


def attendance_of(session: Session, user_id: int) -> Attendance | None:
    """The person's attendance in the session (their "Hadir"), if they checked in."""
    return db.session.scalar(
        sa.select(Attendance).where(Attendance.session_id == session.id, Attendance.user_id == user_id)
    )


def current_agreements(session: Session) -> dict[int, Agreement]:
    """The agreement standing for each proposal in the session: a plenary's include those of its
    breakouts (the latest recorded stands), so what a breakout agreed shows in the plenary."""
    session_ids = [session.id] + ([b.id for b in session.breakouts] if session.kind is SessionKind.PLENARY else [])
    rows = db.session.scalars(
        sa.select(Agreement)
        .where(Agreement.session_id.in_(session_ids), Agreement.superseded_at.is_(None))
        .order_by(Agreement.recorded_at, Agreement.id)
    )
    return {agreement.proposal_id: agreement for agreement in rows}


def console_people(event: Event) -> list[User]:
    """The people a facilitator can put in a breakout or move: everyone of the event, by name."""
    return sorted({membership.user for membership in event.memberships}, key=lambda user: user.name)


def event_proposals(event: Event) -> list[Proposal]:
    """Every proposal of the event, as the console lists them to spotlight, lock or assign."""
    return sorted(event.proposals, key=lambda proposal: proposal.agency.region_code)


def agreement_history(proposal_id: int) -> list[Agreement]:
    return list(
        db.session.scalars(
            sa.select(Agreement)
            .where(Agreement.proposal_id == proposal_id)
            .order_by(Agreement.recorded_at.desc(), Agreement.id.desc())
        )
    )


def breakout_of(user: User, plenary: Session) -> Session | None:
    """The live breakout of this plenary the person is assigned to, if any."""
    for breakout in plenary.breakouts:
        if breakout.is_live and user in breakout.members:
            return breakout
    return None


def live_session_for(user: User, event: Event) -> Session | None:
    """Where a person belongs now: their live breakout, else the live plenary."""
    plenaries = [s for s in event.sessions if s.parent_id is None and s.is_live]
    for plenary in plenaries:
        breakout = breakout_of(user, plenary)
        if breakout is not None:
            return breakout
    return plenaries[0] if plenaries else None


@dataclass(frozen=True)
class TimerState:
    label: str
    ends_at_ms: int | None
    server_now_ms: int


def timer_state(session: Session) -> TimerState:
    now = utcnow()
    ends = session.timer_ends_at
    return TimerState(
        label=session.timer_label,
        ends_at_ms=_epoch_ms(ends) if ends else None,
        server_now_ms=_epoch_ms(now),
    )


def _epoch_ms(moment: datetime) -> int:
    return int((moment - datetime(1970, 1, 1)).total_seconds() * 1000)


@dataclass(frozen=True)
class RunState:
    """The console's run mode: the session's proposals in order, the one spotlighted now (the
    current one), its totals and open discussions, and its neighbours for previous / next."""

    proposals: list[Proposal]
    current: Proposal | None
    index: int  # of the current one, -1 when none of the session's proposals is spotlighted
    subkegiatan_count: int
    budget: int
    open_threads: int

    @property
    def previous(self) -> Proposal | None:
        return self.proposals[self.index - 1] if self.index > 0 else None

    @property
    def next(self) -> Proposal | None:
        if self.index < 0:
            return self.proposals[0] if self.proposals else None
        return self.proposals[self.index + 1] if self.index + 1 < len(self.proposals) else None


def run_state(session: Session) -> RunState:
    proposals = proposals_of(session)
    index = next((i for i, p in enumerate(proposals) if p.id == session.spotlight_proposal_id), -1)
    current = proposals[index] if index >= 0 else None
    if current is None:
        return RunState(proposals, None, -1, 0, 0, 0)
    subs = [item for item in current.items if item.level is ItemLevel.SUBKEGIATAN]
    open_threads = db.session.scalar(
        sa.select(sa.func.count(Comment.id)).where(
            Comment.proposal_id == current.id,
            Comment.parent_id.is_(None),
            Comment.resolved_at.is_(None),
            Comment.deleted_at.is_(None),
            Comment.hidden_at.is_(None),
        )
    )
    return RunState(proposals, current, index, len(subs), sum(i.budget or 0 for i in subs), open_threads or 0)


def breakout_board(plenary: Session) -> list[tuple[Session, list[User], list[Proposal]]]:
    """Each breakout of a plenary with its people (by name, agency loaded) and its proposals."""
    return [
        (
            breakout,
            sorted(breakout.members, key=lambda user: user.name),
            sorted(breakout.proposals, key=lambda p: p.agency.region_code),
        )
        for breakout in plenary.breakouts
    ]
