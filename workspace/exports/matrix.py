"""The synchronisation matrix (matriks sinkronisasi).

Rows are the programs and kegiatan of the catalogue, matched across levels by their code without
the level digit (`8.01.03.1.01` and `8.01.03.2.01` are one row), followed by the coded and
uncoded items agencies proposed outside the catalogue. Columns are the regions of the event: the
province and the 14 kabupaten/kota; a cell adds up what that region's agencies propose there.

Everything is read in three flat queries and assembled in Python: the matrix for 15 agencies ×
200 items is one request, and it is re-fetched live whenever a proposal changes.
"""

from __future__ import annotations

import enum
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import sqlalchemy as sa

from workspace.core.item_fields import COUNT_UNITS
from workspace.extensions import db
from workspace.models import (
    Agency,
    AgencyLevel,
    CatalogEntry,
    CatalogLevel,
    Event,
    ItemLevel,
    NationalDirection,
    Proposal,
    ProposalItem,
    ProposalStatus,
    item_directions,
)

LOCAL_KEY_PREFIX = "~"


class Alignment(enum.StrEnum):
    ALIGNED = "aligned"  # the province and every kabupaten/kota that has a proposal
    PARTIAL = "partial"  # the province and some kabupaten/kota
    PROVINCE_ONLY = "province_only"
    LOCAL_ONLY = "local_only"  # kabupaten/kota without the province
    UNUSED = "unused"


def row_code(code: str) -> str:
    """`8.01.03.1.01` → `8.01.03.x.01`: the catalogue code without its level digit."""
    segments = code.split(".")
    if len(segments) >= 5:
        segments[3] = "x"
    return ".".join(segments)


def _local_key(name: str) -> str:
    return LOCAL_KEY_PREFIX + re.sub(r"\s+", " ", name).strip().lower()


@dataclass(frozen=True)
class MatrixFilters:
    program_code: str | None = None
    direction_number: int | None = None
    status: ProposalStatus | None = None

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> MatrixFilters:
        """Lenient parsing of the query string: an unknown value means 'no filter'."""
        program = args.get("program", "").strip()[:32]
        direction = args.get("arah", "").strip()
        status = args.get("status", "")
        return cls(
            program_code=program or None,
            direction_number=int(direction)
            if direction.isascii() and direction.isdigit() and len(direction) < 4
            else None,
            status=ProposalStatus(status) if status in ProposalStatus._value2member_map_ else None,
        )

    def as_args(self) -> dict[str, str]:
        args = {}
        if self.program_code:
            args["program"] = self.program_code
        if self.direction_number is not None:
            args["arah"] = str(self.direction_number)
        if self.status is not None:
            args["status"] = self.status.value
        return args


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    short_name: str
    is_province: bool
    has_proposal: bool


@dataclass
class Cell:
    subkegiatan_count: int = 0
    budget: int = 0
    forward_budget: int = 0
    # Targets added up per unit where the unit counts things; other targets listed as written.
    target_totals: dict[str, int] = field(default_factory=dict)
    other_targets: list[str] = field(default_factory=list)
    agencies: set[str] = field(default_factory=set)
    present: bool = False

    @property
    def is_gap(self) -> bool:
        return not self.present

    @property
    def targets(self) -> list[str]:
        summed = [f"{total} {unit}" for unit, total in sorted(self.target_totals.items())]
        return summed + self.other_targets


@dataclass
class MatrixRow:
    key: str
    level: ItemLevel
    code: str
    name: str
    program_key: str
    in_catalog: bool
    cells: dict[str, Cell] = field(default_factory=dict)
    alignment: Alignment = Alignment.UNUSED
    supporting_regions: int = 0

    @property
    def total_budget(self) -> int:
        return sum(cell.budget for cell in self.cells.values())

    @property
    def total_subkegiatan(self) -> int:
        return sum(cell.subkegiatan_count for cell in self.cells.values())


@dataclass
class Matrix:
    regions: list[Region]
    rows: list[MatrixRow]
    filters: MatrixFilters
    local_regions_with_proposal: int

    def column_budget(self, region_code: str) -> int:
        return sum(row.cells[region_code].budget for row in self.rows if row.level is ItemLevel.PROGRAM)

    @property
    def total_budget(self) -> int:
        return sum(row.total_budget for row in self.rows if row.level is ItemLevel.PROGRAM)

    @property
    def gap_count(self) -> int:
        return sum(1 for row in self.rows for cell in row.cells.values() if cell.is_gap)


@dataclass(frozen=True)
class _ItemRow:
    id: int
    proposal_id: int
    parent_id: int | None
    level: ItemLevel
    code: str
    name: str
    target: str
    unit: str
    budget: int | None
    forward_budget: int | None


@dataclass(frozen=True)
class _ProposalRow:
    id: int
    region_code: str
    agency_short_name: str
    status: ProposalStatus


# (program row key, kegiatan row key or None) of every item, by id: see _item_keys().
_RowKeys = dict[int, tuple[str, str | None]]


def regions_of(event: Event, proposal_regions: Iterable[str] = ()) -> list[Region]:
    """The event's regions, province first then by Kemendagri code, one column each."""
    with_proposal = set(proposal_regions)
    seen: dict[str, Region] = {}
    for agency in sorted(event.agencies, key=lambda a: (a.level is not AgencyLevel.PROVINSI, a.region_code)):
        if agency.region_code in seen:
            continue
        seen[agency.region_code] = Region(
            code=agency.region_code,
            name=agency.region_name,
            short_name=short_region_name(agency.region_name),
            is_province=agency.level is AgencyLevel.PROVINSI,
            has_proposal=agency.region_code in with_proposal,
        )
    return list(seen.values())


def short_region_name(region_name: str) -> str:
    return region_name.replace("Kabupaten ", "Kab. ").replace("Provinsi ", "Prov. ")


def _catalog_rows() -> dict[str, MatrixRow]:
    """One row per program and per kegiatan of the catalogue, merged across the two levels."""
    rows: dict[str, MatrixRow] = {}
    entries = db.session.execute(
        sa.select(CatalogEntry.code, CatalogEntry.level, CatalogEntry.name, CatalogEntry.applies_to)
        .where(CatalogEntry.level.in_([CatalogLevel.PROGRAM, CatalogLevel.KEGIATAN]))
        .order_by(CatalogEntry.code, CatalogEntry.applies_to.desc())  # provinsi before kabkota
    )
    for code, level, name, _scope in entries:
        key = row_code(code)
        if key in rows:
            continue
        item_level = ItemLevel.PROGRAM if level is CatalogLevel.PROGRAM else ItemLevel.KEGIATAN
        rows[key] = MatrixRow(
            key=key,
            level=item_level,
            code=key,
            name=name,
            program_key=key if item_level is ItemLevel.PROGRAM else ".".join(key.split(".")[:3]),
            in_catalog=True,
        )
    return rows


def _load(event: Event, filters: MatrixFilters) -> tuple[list[_ProposalRow], list[_ItemRow], dict[int, set[int]]]:
    proposal_query = (
        sa.select(Proposal.id, Agency.region_code, Agency.short_name, Proposal.status)
        .join(Agency, Agency.id == Proposal.agency_id)
        .where(Proposal.event_id == event.id)
    )
    if filters.status is not None:
        proposal_query = proposal_query.where(Proposal.status == filters.status)
    proposals = [_ProposalRow(*row) for row in db.session.execute(proposal_query)]
    proposal_ids = [p.id for p in proposals]
    if not proposal_ids:
        return proposals, [], {}
    # By column name: for a select of this many columns SQLAlchemy's typing leaves the row's length open.
    items = [
        _ItemRow(**row._asdict())
        for row in db.session.execute(
            sa.select(
                ProposalItem.id,
                ProposalItem.proposal_id,
                ProposalItem.parent_id,
                ProposalItem.level,
                ProposalItem.code,
                ProposalItem.name,
                ProposalItem.target,
                ProposalItem.unit,
                ProposalItem.budget,
                ProposalItem.forward_budget,
            )
            .where(ProposalItem.proposal_id.in_(proposal_ids))
            .order_by(ProposalItem.proposal_id, ProposalItem.position, ProposalItem.id)
        )
    ]
    directions: dict[int, set[int]] = defaultdict(set)
    if filters.direction_number is not None:
        tagged = db.session.execute(
            sa.select(item_directions.c.item_id, NationalDirection.number)
            .join(NationalDirection, NationalDirection.id == item_directions.c.direction_id)
            .join(ProposalItem, ProposalItem.id == item_directions.c.item_id)
            .where(ProposalItem.proposal_id.in_(proposal_ids))
        )
        for item_id, number in tagged:
            directions[item_id].add(number)
    return proposals, items, directions


def _item_keys(items: list[_ItemRow]) -> _RowKeys:
    """(program row key, kegiatan row key or None) of every item, by id."""
    by_id = {item.id: item for item in items}
    keys: _RowKeys = {}

    def own_key(item: _ItemRow) -> str:
        return row_code(item.code) if item.code else _local_key(item.name)

    def resolve(item: _ItemRow) -> tuple[str, str | None]:
        if item.id in keys:
            return keys[item.id]
        if item.level is ItemLevel.PROGRAM or item.parent_id not in by_id:
            result: tuple[str, str | None] = (own_key(item), None)
        elif item.level is ItemLevel.KEGIATAN:
            program_key = resolve(by_id[item.parent_id])[0]
            kegiatan_key = row_code(item.code) if item.code else f"{program_key}/{_local_key(item.name)}"
            result = (program_key, kegiatan_key)
        else:
            result = resolve(by_id[item.parent_id])
        keys[item.id] = result
        return result

    for item in items:
        resolve(item)
    return keys


def _matches_direction(
    item: _ItemRow, by_id: dict[int, _ItemRow], directions: dict[int, set[int]], number: int
) -> bool:
    node: _ItemRow | None = item
    while node is not None:
        if number in directions.get(node.id, ()):
            return True
        node = by_id.get(node.parent_id) if node.parent_id is not None else None
    return False


def _in_direction(
    item: _ItemRow, by_id: dict[int, _ItemRow], directions: dict[int, set[int]], filters: MatrixFilters
) -> bool:
    """Whether a sub kegiatan passes the direction filter (every one does without a filter)."""
    return filters.direction_number is None or _matches_direction(item, by_id, directions, filters.direction_number)


def _add_target(cell: Cell, target: str, unit: str) -> None:
    if not target:
        return
    unit_word = unit.strip().lower()
    if unit_word in COUNT_UNITS and target.isascii() and target.isdigit():
        cell.target_totals[unit_word] = cell.target_totals.get(unit_word, 0) + int(target)
    else:
        text = f"{target} {unit}".strip()
        if text not in cell.other_targets:
            cell.other_targets.append(text)


def build_matrix(event: Event, filters: MatrixFilters | None = None) -> Matrix:
    filters = filters or MatrixFilters()
    proposals, items, directions = _load(event, filters)
    regions = regions_of(event, (p.region_code for p in proposals))
    rows = _catalog_rows()
    keys = _item_keys(items)
    _add_proposed_rows(rows, items, keys)
    cells = _fill_cells(proposals, items, keys, directions, filters)
    local_with_proposal = sum(1 for r in regions if not r.is_province and r.has_proposal)
    ordered = _ordered_rows(rows, filters)
    for row in ordered:
        row.cells = {region.code: cells.get((row.key, region.code)) or Cell() for region in regions}
        _judge_alignment(row, regions, local_with_proposal)
    return Matrix(regions=regions, rows=ordered, filters=filters, local_regions_with_proposal=local_with_proposal)


def _add_proposed_rows(rows: dict[str, MatrixRow], items: list[_ItemRow], keys: _RowKeys) -> None:
    """Every program and kegiatan an agency proposes gets a row, with or without a code (the
    catalogue's rows are there already; the first item of a key names a row outside it)."""
    for item in items:
        program_key, kegiatan_key = keys[item.id]
        if item.level is ItemLevel.PROGRAM:
            _row_outside_catalog(rows, program_key, item, program_key)
        elif item.level is ItemLevel.KEGIATAN and kegiatan_key is not None:
            _row_outside_catalog(rows, kegiatan_key, item, program_key)


def _row_outside_catalog(rows: dict[str, MatrixRow], key: str, item: _ItemRow, program_key: str) -> None:
    if key not in rows:
        rows[key] = MatrixRow(
            key=key,
            level=item.level,
            code=row_code(item.code) if item.code else "",
            name=item.name,
            program_key=program_key,
            in_catalog=False,
        )


def _fill_cells(
    proposals: list[_ProposalRow],
    items: list[_ItemRow],
    keys: _RowKeys,
    directions: dict[int, set[int]],
    filters: MatrixFilters,
) -> dict[tuple[str, str], Cell]:
    """The cells by (row key, region code): each sub kegiatan adds to its program's and its
    kegiatan's cell in its region."""
    proposal_by_id = {p.id: p for p in proposals}
    by_id = {item.id: item for item in items}
    cells: dict[tuple[str, str], Cell] = defaultdict(Cell)
    for item in items:
        proposal = proposal_by_id[item.proposal_id]
        program_key, kegiatan_key = keys[item.id]
        row_keys = [program_key] + ([kegiatan_key] if kegiatan_key else [])
        if item.level is ItemLevel.SUBKEGIATAN:
            if not _in_direction(item, by_id, directions, filters):
                continue
            for key in row_keys:
                _add_subkegiatan(cells[(key, proposal.region_code)], item, proposal, with_target=key == kegiatan_key)
        elif filters.direction_number is None:
            # Without a direction filter, proposing the program or kegiatan itself fills the cell.
            cell = cells[(row_keys[-1], proposal.region_code)]
            cell.present = True
            cell.agencies.add(proposal.agency_short_name)
    return cells


def _add_subkegiatan(cell: Cell, item: _ItemRow, proposal: _ProposalRow, with_target: bool) -> None:
    """One sub kegiatan's count and budgets into a cell; its target into its kegiatan's cell only."""
    cell.present = True
    cell.agencies.add(proposal.agency_short_name)
    cell.subkegiatan_count += 1
    cell.budget += item.budget or 0
    cell.forward_budget += item.forward_budget or 0
    if with_target:
        _add_target(cell, item.target, item.unit)


def _ordered_rows(rows: dict[str, MatrixRow], filters: MatrixFilters) -> list[MatrixRow]:
    """The rows in the matrix's order, only the filtered program's when there is a program filter."""
    ordered = sorted(rows.values(), key=_row_order)
    if filters.program_code:
        wanted = row_code(filters.program_code)
        ordered = [row for row in ordered if row.program_key == wanted]
    return ordered


def _row_order(row: MatrixRow) -> tuple[str, int, str]:
    # Programs then their kegiatan; uncoded rows (keys starting with "~") after the coded ones.
    return (row.program_key, 0 if row.level is ItemLevel.PROGRAM else 1, row.key)


def _judge_alignment(row: MatrixRow, regions: list[Region], local_with_proposal: int) -> None:
    province = any(row.cells[r.code].present for r in regions if r.is_province)
    local = sum(1 for r in regions if not r.is_province and row.cells[r.code].present)
    row.supporting_regions = local
    if province and local and local >= local_with_proposal:
        row.alignment = Alignment.ALIGNED
    elif province and local:
        row.alignment = Alignment.PARTIAL
    elif province:
        row.alignment = Alignment.PROVINCE_ONLY
    elif local:
        row.alignment = Alignment.LOCAL_ONLY
    else:
        row.alignment = Alignment.UNUSED


@dataclass(frozen=True)
class CellItem:
    item: ProposalItem
    proposal: Proposal
    program: ProposalItem | None
    kegiatan: ProposalItem | None


def items_in_cell(event: Event, row_key: str, region_code: str, filters: MatrixFilters) -> list[CellItem]:
    """The sub kegiatan (and bare program / kegiatan items) behind one cell, for the drill-down."""
    proposals, items, directions = _load(event, filters)
    proposal_ids = {p.id for p in proposals if p.region_code == region_code}
    wanted = _cell_item_ids(items, directions, filters, row_key, proposal_ids)
    if not wanted:
        return []
    loaded = {item.id: item for item in db.session.scalars(sa.select(ProposalItem).where(ProposalItem.id.in_(wanted)))}
    return [_cell_item(loaded[item_id]) for item_id in wanted]


def _cell_item_ids(
    items: list[_ItemRow], directions: dict[int, set[int]], filters: MatrixFilters, row_key: str, proposal_ids: set[int]
) -> list[int]:
    """The ids of the items that fill the cell, in the matrix's item order."""
    keys = _item_keys(items)
    by_id = {item.id: item for item in items}
    parents = {item.parent_id for item in items}
    wanted: list[int] = []
    for item in items:
        if item.proposal_id not in proposal_ids or row_key not in keys[item.id]:
            continue
        if item.level is ItemLevel.SUBKEGIATAN:
            if _in_direction(item, by_id, directions, filters):
                wanted.append(item.id)
        elif filters.direction_number is None and item.id not in parents:
            wanted.append(item.id)  # a program or kegiatan with nothing below it yet
    return wanted


def _cell_item(found: ProposalItem) -> CellItem:
    """An item with its proposal and the program and kegiatan above it."""
    chain = [found]
    while (parent := chain[-1].parent) is not None:
        chain.append(parent)
    by_level = {node.level: node for node in chain}
    return CellItem(
        item=found,
        proposal=found.proposal,
        program=by_level.get(ItemLevel.PROGRAM),
        kegiatan=by_level.get(ItemLevel.KEGIATAN),
    )
