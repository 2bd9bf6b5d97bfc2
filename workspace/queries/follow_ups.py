"""Read side of follow-up actions (tindak lanjut): the event's, and the previous year's rakor's
for the agencies of this one, with how they ended."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from workspace.extensions import db
from workspace.models import Agency, Agreement, Event, FollowUp, Proposal, Session


def follow_ups_of(event: Event) -> list[FollowUp]:
    """Every follow-up of the event, by agency (region first) then due date."""
    return list(
        db.session.scalars(
            sa.select(FollowUp)
            .join(Proposal, Proposal.id == FollowUp.proposal_id)
            .join(Agency, Agency.id == Proposal.agency_id)
            .where(FollowUp.event_id == event.id)
            .options(selectinload(FollowUp.proposal).selectinload(Proposal.agency))
            .order_by(Agency.region_code, Agency.kind, FollowUp.due_on, FollowUp.id)
        )
    )


def previous_year_follow_ups(event: Event) -> list[FollowUp]:
    """The follow-ups of last year's rakor (plan year − 1) for the agencies of this event: what the
    next rakor looks back on."""
    agency_ids = [agency.id for agency in event.agencies]
    if not agency_ids:
        return []
    return list(
        db.session.scalars(
            sa.select(FollowUp)
            .join(Event, Event.id == FollowUp.event_id)
            .join(Proposal, Proposal.id == FollowUp.proposal_id)
            .join(Agency, Agency.id == Proposal.agency_id)
            .where(Event.plan_year == event.plan_year - 1, Proposal.agency_id.in_(agency_ids), Event.id != event.id)
            .options(selectinload(FollowUp.proposal).selectinload(Proposal.agency))
            .order_by(Agency.region_code, Agency.kind, FollowUp.due_on, FollowUp.id)
        )
    )


def standing_agreement(proposal: Proposal) -> Agreement | None:
    """The latest agreement that stands for the proposal in its event (any session)."""
    return db.session.scalar(
        sa.select(Agreement)
        .join(Session, Session.id == Agreement.session_id)
        .where(
            Agreement.proposal_id == proposal.id,
            Session.event_id == proposal.event_id,
            Agreement.superseded_at.is_(None),
        )
        .order_by(Agreement.recorded_at.desc(), Agreement.id.desc())
        .limit(1)
    )
