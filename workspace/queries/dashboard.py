"""The province's monitoring dashboard (issue 18, item 6): for one quarter (cumulative to it), a
region × program heatmap of achievement, each agency's physical achievement and budget absorption
per quarter, the quarters overdue and those returned; filtered by program, Amanat Presiden and
band. Read lean (rows, not ORM objects: 15 agencies × 200 items × 4 quarters) and rolled up by the same
rules as the realisation page (core/achievement.py; queries/realisation.py): the agreed target as
the baseline, budget-weighted over the sub kegiatan that pass the filter.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from workspace.core.achievement import Band, FormulaType, band_of, cumulative_achievements
from workspace.extensions import db
from workspace.models import (
    AgencyLevel,
    Event,
    ItemLevel,
    NationalDirection,
    Proposal,
    ProposalItem,
    Realisation,
    item_directions,
)
from workspace.queries.monitoring import bands_of, quarters_of
from workspace.queries.realisation import (
    QuarterStanding,
    Standing,
    agreed_targets,
    leaf_absorption,
    leaf_roll_up,
    physical_value,
    standings_of,
    target_value,
)


@dataclass(frozen=True)
class DashboardFilters:
    quarter: int | None = None  # None: the latest quarter whose deadline has passed, or the first
    program: str = ""  # a program's code
    direction: int | None = None  # an Amanat Presiden's number
    band: str = ""  # a band's key

    @classmethod
    def from_args(cls, args: Mapping[str, Any]) -> DashboardFilters:
        def number(name: str, low: int, high: int) -> int | None:
            raw = str(args.get(name) or "")
            return int(raw) if raw.isdigit() and low <= int(raw) <= high else None

        return cls(
            quarter=number("tw", 1, 4),
            program=str(args.get("program") or "")[:40],
            direction=number("amanat", 1, 99),
            band=str(args.get("band") or "")[:20],
        )


@dataclass(frozen=True)
class Cell:
    """A region's program: the achievement of its agencies' sub kegiatan under it."""

    value: Decimal | None
    band: Band | None
    proposals: tuple[Proposal, ...]


@dataclass
class AgencyBars:
    proposal: Proposal
    achievement: list[Decimal | None]  # to each quarter
    absorption: list[Decimal | None]
    bands: list[Band | None]


@dataclass(frozen=True)
class Attention:
    """A quarter that needs someone: overdue (nothing reported after the deadline) or returned."""

    proposal: Proposal
    standing: QuarterStanding


@dataclass
class Dashboard:
    event: Event
    quarter: int
    filters: DashboardFilters
    bands: tuple[Band, ...]
    regions: list[tuple[str, str]]  # (code, name): the province first
    programs: list[tuple[str, str]]  # (code, name)
    cells: dict[tuple[str, str], Cell] = field(default_factory=dict)
    agencies: list[AgencyBars] = field(default_factory=list)
    overdue: list[Attention] = field(default_factory=list)
    returned: list[Attention] = field(default_factory=list)
    late: list[Attention] = field(default_factory=list)
    directions: list[tuple[int, str]] = field(default_factory=list)
    all_programs: list[tuple[str, str]] = field(default_factory=list)


def default_quarter(event: Event, today: date) -> int:
    """The latest quarter whose deadline has passed (what should be in), or the first."""
    passed = [q.number for q in quarters_of(event) if q.deadline < today]
    return passed[-1] if passed else 1


def _direction_items(proposal_ids: list[int], number: int) -> set[int]:
    rows = db.session.execute(
        sa.select(item_directions.c.item_id)
        .join(NationalDirection, NationalDirection.id == item_directions.c.direction_id)
        .join(ProposalItem, ProposalItem.id == item_directions.c.item_id)
        .where(NationalDirection.number == number, ProposalItem.proposal_id.in_(proposal_ids))
    )
    return {item_id for (item_id,) in rows}


@dataclass(slots=True)
class Leaf:
    """One sub kegiatan as the dashboard reads it: no ORM objects (it reads 3 000 of them)."""

    item_id: int
    proposal_id: int
    program: str  # the code (or the name) of its program
    pagu: int
    progress: list[Decimal | None]
    budget_realised: list[int | None]


# The leaves of an event as of its proposals' revisions (every write to a proposal, its
# realisation, its reviews and its agreements included, bumps its revision): the 65 screens that
# re-fetch the dashboard after a change share one computation. Plain data, no ORM objects.
_LEAVES_CACHE: OrderedDict[tuple[int, tuple[tuple[int, int], ...]], tuple[list[Leaf], dict[str, str]]] = OrderedDict()
_CACHE_SIZE = 8
_cache_lock = threading.Lock()


def cached_leaves(event_id: int, proposals: list[Proposal]) -> tuple[list[Leaf], dict[str, str]]:
    key = (event_id, tuple(sorted((proposal.id, proposal.revision) for proposal in proposals)))
    with _cache_lock:
        if key in _LEAVES_CACHE:
            _LEAVES_CACHE.move_to_end(key)
            return _LEAVES_CACHE[key]
    found = _leaves([proposal.id for proposal in proposals])
    with _cache_lock:
        _LEAVES_CACHE[key] = found
        while len(_LEAVES_CACHE) > _CACHE_SIZE:
            _LEAVES_CACHE.popitem(last=False)
    return found


def _leaves(proposal_ids: list[int]) -> tuple[list[Leaf], dict[str, str]]:
    """Every sub kegiatan of these proposals with its achievement to each quarter (by its formula,
    against the agreed target) and its rupiah per quarter; and the programs' names by code."""
    items = db.session.execute(
        sa.select(
            ProposalItem.id,
            ProposalItem.proposal_id,
            ProposalItem.parent_id,
            ProposalItem.level,
            ProposalItem.code,
            ProposalItem.name,
            ProposalItem.target,
            ProposalItem.budget,
            ProposalItem.formula,
        ).where(ProposalItem.proposal_id.in_(proposal_ids))
    ).all()
    quarters: dict[int, list[tuple[str, int | None] | None]] = {}
    for item_id, quarter, stored_physical, stored_budget in db.session.execute(
        sa.select(Realisation.item_id, Realisation.quarter, Realisation.physical, Realisation.budget)
        .join(ProposalItem)
        .where(ProposalItem.proposal_id.in_(proposal_ids))
    ):
        quarters.setdefault(item_id, [None] * 4)[quarter - 1] = (stored_physical, stored_budget)
    agreed = agreed_targets(proposal_ids)
    by_id = {row.id: row for row in items}
    programs: dict[str, str] = {}
    leaves = []
    for row in items:
        if row.level is not ItemLevel.SUBKEGIATAN:
            continue
        top = row
        while top.parent_id is not None and top.parent_id in by_id:
            top = by_id[top.parent_id]
        program = top.code or top.name
        programs.setdefault(program, top.name)
        stored = quarters.get(row.id, [None] * 4)
        formula = FormulaType(row.formula) if row.formula in FormulaType._value2member_map_ else FormulaType.POSITIVE
        target = target_value(agreed.get(row.id, row.target))
        realised = [physical_value(value[0]) if value else None for value in stored]
        leaves.append(
            Leaf(
                item_id=row.id,
                proposal_id=row.proposal_id,
                program=program,
                pagu=row.budget or 0,
                progress=cumulative_achievements(formula, target, realised),
                budget_realised=[value[1] if value else None for value in stored],
            )
        )
    return leaves, programs


def build_dashboard(event: Event, filters: DashboardFilters, today: date) -> Dashboard:
    proposals = list(
        db.session.scalars(
            sa.select(Proposal).where(Proposal.event_id == event.id).options(selectinload(Proposal.agency))
        )
    )
    proposals.sort(key=lambda p: (p.agency.level is not AgencyLevel.PROVINSI, p.agency.name))
    ids = [proposal.id for proposal in proposals]
    bands = bands_of(event)
    quarter = filters.quarter or default_quarter(event, today)
    q = quarter - 1
    leaves, programs = cached_leaves(event.id, proposals)
    dashboard = Dashboard(event, quarter, filters, bands, [], [])
    dashboard.all_programs = sorted(programs.items())
    tagged = _direction_items(ids, filters.direction) if filters.direction else None
    chosen = [
        leaf
        for leaf in leaves
        if (not filters.program or leaf.program == filters.program) and (tagged is None or leaf.item_id in tagged)
    ]
    per_proposal: dict[int, list[Leaf]] = {}
    for leaf in chosen:
        per_proposal.setdefault(leaf.proposal_id, []).append(leaf)
    standings = standings_of(ids, quarters_of(event), today)
    regions: dict[str, tuple[int, str]] = {}
    cells: dict[tuple[str, str], list[Leaf]] = {}
    cell_proposals: dict[tuple[str, str], list[Proposal]] = {}
    for proposal in proposals:
        agency = proposal.agency
        regions.setdefault(agency.region_code, (0 if agency.level is AgencyLevel.PROVINSI else 1, agency.region_name))
        mine = per_proposal.get(proposal.id, [])
        for leaf in mine:
            key = (agency.region_code, leaf.program)
            cells.setdefault(key, []).append(leaf)
            if proposal not in cell_proposals.setdefault(key, []):
                cell_proposals[key].append(proposal)
        bars = AgencyBars(
            proposal,
            achievement=[leaf_roll_up(mine, i) for i in range(4)],
            absorption=[leaf_absorption(mine, i) for i in range(4)],
            bands=[],
        )
        bars.bands = [band_of(value, bands) for value in bars.achievement]
        shown_band = bars.bands[q]
        if not filters.band or (shown_band is not None and shown_band.key == filters.band):
            dashboard.agencies.append(bars)
        _attention(dashboard, proposal, standings[proposal.id], quarter)
    for key, in_cell in cells.items():
        value = leaf_roll_up(in_cell, q)
        band = band_of(value, bands)
        if filters.band and (band is None or band.key != filters.band):
            continue
        dashboard.cells[key] = Cell(value, band, tuple(cell_proposals[key]))
    dashboard.regions = [(code, name) for code, (_order, name) in sorted(regions.items(), key=lambda r: (r[1], r[0]))]
    dashboard.programs = sorted({leaf.program: programs[leaf.program] for leaf in chosen}.items())
    dashboard.directions = [
        (d.number, d.title) for d in db.session.scalars(sa.select(NationalDirection).order_by(NationalDirection.number))
    ]
    return dashboard


def _attention(dashboard: Dashboard, proposal: Proposal, standings: list[QuarterStanding], quarter: int) -> None:
    for standing in standings[:quarter]:
        if standing.overdue:
            dashboard.overdue.append(Attention(proposal, standing))
        elif standing.standing is Standing.RETURNED:
            dashboard.returned.append(Attention(proposal, standing))
        elif standing.late:
            dashboard.late.append(Attention(proposal, standing))
