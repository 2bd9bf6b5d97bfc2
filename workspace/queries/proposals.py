"""Read side of proposals: the filtered list and the full tree of one proposal."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from workspace.core.numbers import query_id
from workspace.core.permissions import works_on
from workspace.extensions import db
from workspace.models import (
    Agency,
    CatalogEntry,
    CatalogLevel,
    Event,
    ItemLevel,
    Proposal,
    ProposalItem,
    ProposalStatus,
    Revision,
    event_agencies,
)


@dataclass(frozen=True)
class ProposalFilters:
    agency_id: int | None = None
    program_code: str | None = None
    status: ProposalStatus | None = None

    @classmethod
    def from_args(cls, args: dict[str, str]) -> ProposalFilters:
        """Query-string filters: an unknown status means 'no filter'; a malformed agency id ("²", 25
        digits) is a 400 with its message (core/numbers.py), never a 500."""
        status = args.get("status", "")
        program = args.get("program", "").strip()
        return cls(
            agency_id=query_id(args.get("agency")),
            program_code=program[:32] or None,
            status=ProposalStatus(status) if status in ProposalStatus._value2member_map_ else None,
        )


def list_proposals(event: Event, filters: ProposalFilters) -> list[Proposal]:
    query = (
        sa.select(Proposal)
        .join(Agency, Agency.id == Proposal.agency_id)
        .where(Proposal.event_id == event.id)
        .options(selectinload(Proposal.agency), selectinload(Proposal.items))
        .order_by(Agency.region_code, Agency.kind, Agency.name)
    )
    if filters.agency_id is not None:
        query = query.where(Proposal.agency_id == filters.agency_id)
    if filters.status is not None:
        query = query.where(Proposal.status == filters.status)
    if filters.program_code:
        has_program = (
            sa.select(ProposalItem.id)
            .where(
                ProposalItem.proposal_id == Proposal.id,
                ProposalItem.level == ItemLevel.PROGRAM,
                ProposalItem.code == filters.program_code,
            )
            .exists()
        )
        query = query.where(has_program)
    return list(db.session.scalars(query))


def program_choices() -> list[tuple[str, str]]:
    """(code, name) of the catalogue's programs, one per code (the penunjang program has two names)."""
    rows = db.session.execute(
        sa.select(CatalogEntry.code, sa.func.min(CatalogEntry.name))
        .where(CatalogEntry.level == CatalogLevel.PROGRAM)
        .group_by(CatalogEntry.code)
        .order_by(CatalogEntry.code)
    )
    return [(code, name) for code, name in rows]


def _with_trees(query: sa.Select) -> sa.Select:
    return query.options(
        selectinload(Proposal.agency),
        selectinload(Proposal.event),
        selectinload(Proposal.items).selectinload(ProposalItem.children),
        selectinload(Proposal.items).selectinload(ProposalItem.directions),
    )


def load_proposal_tree(proposal_id: int) -> Proposal | None:
    """The proposal with its whole tree and tags loaded in a handful of queries."""
    return db.session.scalar(_with_trees(sa.select(Proposal).where(Proposal.id == proposal_id)))


def load_event_trees(event: Event) -> list[Proposal]:
    """Every proposal of the event with its tree, in the same handful of queries (for exports)."""
    query = (
        sa.select(Proposal)
        .join(Agency, Agency.id == Proposal.agency_id)
        .where(Proposal.event_id == event.id)
        .order_by(Agency.region_code, Agency.kind, Agency.name)
    )
    return list(db.session.scalars(_with_trees(query)))


HISTORY_LENGTH = 100


def recent_revisions(proposal_id: int, limit: int = HISTORY_LENGTH) -> list[Revision]:
    """The latest changes of a proposal, newest first (the history panel)."""
    return list(
        db.session.scalars(
            sa.select(Revision)
            .where(Revision.proposal_id == proposal_id)
            .order_by(Revision.proposal_revision.desc())
            .limit(limit)
        )
    )


def proposals_worked_on(user: Any, event: Event) -> list[Proposal]:
    """The event's proposals the person's agency works on (`permissions.works_on`): its own, and for
    a Bappeda, its region's while the event lets a region's agencies co-edit. Own first."""
    agency = getattr(user, "agency", None)
    if agency is None:
        return []
    candidates = db.session.scalars(
        sa.select(Proposal)
        .join(Agency, Agency.id == Proposal.agency_id)
        .where(Proposal.event_id == event.id, Agency.region_code == agency.region_code)
        .order_by(Agency.kind, Agency.name)
    )
    worked_on = [proposal for proposal in candidates if works_on(agency, proposal)]
    return sorted(worked_on, key=lambda proposal: proposal.agency_id != agency.id)


def coeditors_of(proposal: Proposal) -> list[Agency]:
    """Every agency that works on the proposal (its own first): what its page says about who edits."""
    agencies = db.session.scalars(
        sa.select(Agency)
        .join(event_agencies, event_agencies.c.agency_id == Agency.id)
        .where(event_agencies.c.event_id == proposal.event_id, Agency.region_code == proposal.agency.region_code)
    )
    editing = [agency for agency in agencies if works_on(agency, proposal)]
    return sorted(editing, key=lambda agency: (agency.id != proposal.agency_id, agency.name))
