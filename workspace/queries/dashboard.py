"""The province's monitoring dashboard (issue 18, item 6): for one quarter (cumulative to it), a
region × program heatmap of achievement, each agency's physical achievement and budget absorption
per quarter, the quarters overdue and those returned; filtered by program, Amanat Presiden and
band. Built from `progress_of_proposals` (one batch for the whole event) and rolled up by the same
rule as the realisation page (core/achievement.py): budget-weighted over the sub kegiatan that
pass the filter.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from workspace.core.achievement import Band, band_of
from workspace.extensions import db
from workspace.models import AgencyLevel, Event, ItemLevel, NationalDirection, Proposal, item_directions
from workspace.queries.monitoring import bands_of, quarters_of
from workspace.queries.realisation import (
    ItemProgress,
    ProposalProgress,
    QuarterStanding,
    Standing,
    leaf_absorption,
    leaf_roll_up,
    progress_of_proposals,
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


def _direction_items(item_ids: list[int], number: int) -> set[int]:
    rows = db.session.execute(
        sa.select(item_directions.c.item_id)
        .join(NationalDirection, NationalDirection.id == item_directions.c.direction_id)
        .where(NationalDirection.number == number, item_directions.c.item_id.in_(item_ids))
    )
    return {item_id for (item_id,) in rows}


def _programs_of(figures: ProposalProgress) -> dict[int, ItemProgress]:
    """Each item's program row (the tree's root above it)."""
    by_id = {row.item.id: row for row in figures.items}
    program_of: dict[int, ItemProgress] = {}
    for row in figures.items:
        top = row
        while top.item.parent_id is not None and top.item.parent_id in by_id:
            top = by_id[top.item.parent_id]
        program_of[row.item.id] = top
    return program_of


def _leaves(figures: ProposalProgress, filters: DashboardFilters, tagged: set[int] | None) -> list[ItemProgress]:
    program_of = _programs_of(figures)
    return [
        row
        for row in figures.items
        if row.item.level is ItemLevel.SUBKEGIATAN
        and (not filters.program or program_of[row.item.id].item.code == filters.program)
        and (tagged is None or row.item.id in tagged)
    ]


def build_dashboard(event: Event, filters: DashboardFilters, today: date) -> Dashboard:
    proposals = list(db.session.scalars(sa.select(Proposal).where(Proposal.event_id == event.id)))
    bands = bands_of(event)
    quarter = filters.quarter or default_quarter(event, today)
    figures = progress_of_proposals(proposals, quarters_of(event), bands, today)
    item_ids = [row.item.id for f in figures.values() for row in f.items]
    tagged = _direction_items(item_ids, filters.direction) if filters.direction else None
    q = quarter - 1
    regions: dict[str, tuple[int, str]] = {}
    programs: dict[str, str] = {}
    leaves_by_cell: dict[tuple[str, str], list[ItemProgress]] = {}
    cell_proposals: dict[tuple[str, str], list[Proposal]] = {}
    dashboard = Dashboard(event, quarter, filters, bands, [], [])
    for proposal in sorted(proposals, key=lambda p: (p.agency.level is not AgencyLevel.PROVINSI, p.agency.name)):
        agency = proposal.agency
        regions.setdefault(agency.region_code, (0 if agency.level is AgencyLevel.PROVINSI else 1, agency.region_name))
        progress = figures[proposal.id]
        leaves = _leaves(progress, filters, tagged)
        program_of = _programs_of(progress)
        for leaf in leaves:
            program = program_of[leaf.item.id].item
            key = (agency.region_code, program.code or program.name)
            programs.setdefault(program.code or program.name, program.name)
            leaves_by_cell.setdefault(key, []).append(leaf)
            if proposal not in cell_proposals.setdefault(key, []):
                cell_proposals[key].append(proposal)
        for row in progress.items:
            if row.item.level is ItemLevel.PROGRAM:
                dashboard.all_programs.append((row.item.code or row.item.name, row.item.name))
        bars = AgencyBars(
            proposal,
            achievement=[leaf_roll_up(leaves, i) for i in range(4)],
            absorption=[leaf_absorption(leaves, i) for i in range(4)],
            bands=[],
        )
        bars.bands = [band_of(value, bands) for value in bars.achievement]
        shown_band = bars.bands[q]
        if not filters.band or (shown_band is not None and shown_band.key == filters.band):
            dashboard.agencies.append(bars)
        _attention(dashboard, proposal, progress.standings, quarter)
    for key, leaves in leaves_by_cell.items():
        value = leaf_roll_up(leaves, q)
        band = band_of(value, bands)
        if filters.band and (band is None or band.key != filters.band):
            continue
        dashboard.cells[key] = Cell(value, band, tuple(cell_proposals[key]))
    dashboard.regions = [(code, name) for code, (_order, name) in sorted(regions.items(), key=lambda r: (r[1], r[0]))]
    dashboard.programs = sorted(programs.items())
    dashboard.all_programs = sorted(set(dashboard.all_programs))
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
