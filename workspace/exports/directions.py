"""The national-directions view: for each of the eight Amanat Presiden, what each agency tagged."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from workspace.extensions import db
from workspace.models import Agency, Event, NationalDirection, Proposal, ProposalItem, item_directions


@dataclass
class AgencyTags:
    proposal: Proposal
    items: list[ProposalItem] = field(default_factory=list)

    @property
    def total_budget(self) -> int:
        return sum(item.budget or 0 for item in self.items)


@dataclass
class DirectionOverview:
    direction: NationalDirection
    agencies: list[AgencyTags]
    agencies_without: list[Agency]

    @property
    def total_budget(self) -> int:
        return sum(tags.total_budget for tags in self.agencies)

    @property
    def item_count(self) -> int:
        return sum(len(tags.items) for tags in self.agencies)


def directions_overview(event: Event) -> list[DirectionOverview]:
    proposals = list(
        db.session.scalars(
            sa.select(Proposal)
            .join(Agency, Agency.id == Proposal.agency_id)
            .where(Proposal.event_id == event.id)
            .options(selectinload(Proposal.agency))
            .order_by(Agency.region_code, Agency.kind, Agency.name)
        )
    )
    proposal_by_id = {p.id: p for p in proposals}
    tagged = db.session.execute(
        sa.select(item_directions.c.direction_id, ProposalItem)
        .join(ProposalItem, ProposalItem.id == item_directions.c.item_id)
        .where(ProposalItem.proposal_id.in_(list(proposal_by_id)))
        .order_by(ProposalItem.proposal_id, ProposalItem.code, ProposalItem.id)
    )
    by_direction: dict[int, dict[int, list[ProposalItem]]] = defaultdict(lambda: defaultdict(list))
    for direction_id, item in tagged:
        by_direction[direction_id][item.proposal_id].append(item)
    overview = []
    for direction in db.session.scalars(sa.select(NationalDirection).order_by(NationalDirection.number)):
        per_proposal = by_direction.get(direction.id, {})
        overview.append(
            DirectionOverview(
                direction=direction,
                agencies=[AgencyTags(p, per_proposal[p.id]) for p in proposals if p.id in per_proposal],
                agencies_without=[p.agency for p in proposals if p.id not in per_proposal],
            )
        )
    return overview
