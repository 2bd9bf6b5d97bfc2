"""Read side of realisation (issue 18): each item of a proposal with its four quarters and what
they make — the achievement by the item's formula, per quarter and cumulative, the budget
absorption, the band, the budget-weighted roll-up to kegiatan, program and proposal
(core/achievement.py has the rules) — against the agreed target as the baseline; and where each
quarter of a proposal stands: belum diisi, diisi, diverifikasi, dikembalikan, late or overdue.

Everything for many proposals is loaded in a handful of queries (the dashboard reads the whole
event at once: 15 agencies × 200 items × 4 quarters).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Protocol

import sqlalchemy as sa

from workspace.core.achievement import (
    Band,
    FormulaType,
    Weighted,
    absorption,
    band_of,
    cumulative_achievements,
    quarter_achievement,
    roll_up,
)
from workspace.core.permissions import works_on
from workspace.extensions import db
from workspace.formatting import local_date, local_today
from workspace.models import (
    Agency,
    Evidence,
    ItemLevel,
    Membership,
    Proposal,
    ProposalItem,
    QuarterReview,
    Realisation,
    ReviewStatus,
    Role,
    User,
)
from workspace.queries.agreements import standing_agreements
from workspace.queries.monitoring import Quarter, bands_of, quarters_of

QUARTERS = (1, 2, 3, 4)


def target_value(text: str) -> Decimal | None:
    """An item's target as a number ("4", "75,5", "1.250"); words ("Tersedia") have none."""
    try:
        return Decimal(text.replace(".", "").replace(",", ".")) if text else None
    except InvalidOperation:
        return None


def physical_value(text: str) -> Decimal | None:
    try:
        return Decimal(text.replace(",", ".")) if text else None
    except InvalidOperation:
        return None


def formula_of(item: ProposalItem) -> FormulaType:
    return FormulaType(item.formula) if item.formula in FormulaType._value2member_map_ else FormulaType.POSITIVE


@dataclass(frozen=True, slots=True)
class QuarterValues:
    """What is stored for one item's quarter (read without the ORM: the dashboard reads 12 000)."""

    item_id: int
    quarter: int
    physical: str
    budget: int | None
    problem: str
    solution: str


QUARTER_COLUMNS = (
    Realisation.item_id,
    Realisation.quarter,
    Realisation.physical,
    Realisation.budget,
    Realisation.problem,
    Realisation.solution,
)
FILLED = sa.or_(
    Realisation.physical != "", Realisation.budget.is_not(None), Realisation.problem != "", Realisation.solution != ""
)


@dataclass
class ItemProgress:
    """One item: its own indicator's figures and, for a program or kegiatan, the roll-up of its
    children. `achievement[q]`, `absorption[q]`, `progress[q]`: cumulative to quarter q + 1."""

    item: ProposalItem
    depth: int
    quarters: list[QuarterValues | None]  # I … IV
    target: str  # the baseline: the agreed target where an agreement holds one
    changed_target: str | None  # the target now, when it differs from the agreed one
    achievement: list[Decimal | None]  # of the item's own indicator
    physical: list[Decimal | None]  # each quarter's value of the indicator
    absorption: list[Decimal | None] = field(default_factory=lambda: [None] * 4)
    progress: list[Decimal | None] = field(default_factory=lambda: [None] * 4)  # what its band says
    bands: list[Band | None] = field(default_factory=lambda: [None] * 4)
    budget_realised: list[int | None] = field(default_factory=lambda: [None] * 4)  # this quarter, Rp
    evidence: list[int] = field(default_factory=lambda: [0] * 4)  # files per quarter
    pagu: int = 0  # its budget; a parent's, the sum of its sub kegiatan's
    leaf: bool = False  # a sub kegiatan (read once: ORM attributes are slow in the dashboard's loops)

    def quarter_achievement(self, quarter: int) -> Decimal | None:
        """That quarter alone against the year's target (core/achievement.quarter_achievement)."""
        return quarter_achievement(formula_of(self.item), target_value(self.target), self.physical, quarter)

    @property
    def is_leaf(self) -> bool:
        return self.leaf

    def value(self, quarter: int, name: str) -> str:
        row = self.quarters[quarter - 1]
        if row is None:
            return ""
        stored = getattr(row, name)
        return "" if stored is None else str(stored)


class Standing(enum.StrEnum):
    EMPTY = "belum_diisi"
    FILLED = "diisi"
    VERIFIED = "diverifikasi"
    RETURNED = "dikembalikan"


@dataclass(frozen=True)
class QuarterStanding:
    quarter: Quarter
    standing: Standing
    review: QuarterReview | None
    first_reported: date | None
    late: bool  # reported after the deadline
    overdue: bool  # nothing reported, and the deadline has passed

    @property
    def open(self) -> bool:
        """Whether its values may still change (not verified)."""
        return self.standing is not Standing.VERIFIED


@dataclass
class ProposalProgress:
    proposal: Proposal
    items: list[ItemProgress]  # in tree order
    progress: list[Decimal | None]  # the proposal's roll-up, cumulative to each quarter
    absorption: list[Decimal | None]
    bands: list[Band | None]
    standings: list[QuarterStanding]

    def item(self, item_id: int) -> ItemProgress | None:
        return next((row for row in self.items if row.item.id == item_id), None)


def agreed_targets(proposal_ids: list[int]) -> dict[int, str]:
    targets: dict[int, str] = {}
    for agreement in standing_agreements(proposal_ids).values():
        for record in (agreement.snapshot or {}).get("items", []):
            targets[record["id"]] = record.get("target", "")
    return targets


def _tree(items: Iterable[ProposalItem]) -> list[tuple[ProposalItem, int]]:
    children: dict[int | None, list[ProposalItem]] = {}
    for item in items:
        children.setdefault(item.parent_id, []).append(item)
    ordered: list[tuple[ProposalItem, int]] = []

    def walk(parent_id: int | None, depth: int) -> None:
        for child in sorted(children.get(parent_id, []), key=lambda i: (i.position, i.id)):
            ordered.append((child, depth))
            walk(child.id, depth + 1)

    walk(None, 0)
    return ordered


def _own(item: ProposalItem, depth: int, quarters: list[QuarterValues | None], agreed: str | None) -> ItemProgress:
    baseline = agreed if agreed is not None else item.target
    formula, target = formula_of(item), target_value(baseline)
    physical = [physical_value(row.physical) if row else None for row in quarters]
    return ItemProgress(
        item=item,
        depth=depth,
        quarters=quarters,
        target=baseline,
        changed_target=item.target if agreed is not None and agreed != item.target else None,
        achievement=cumulative_achievements(formula, target, physical),
        physical=physical,
        leaf=item.level is ItemLevel.SUBKEGIATAN,
    )


def _roll_up(rows: list[ItemProgress], bands: Sequence[Band]) -> None:
    """A sub kegiatan's progress is its own achievement, its absorption its own; a kegiatan's and
    a program's are those of the sub kegiatan beneath it (core/achievement.py: budget-weighted
    mean over the ones with an achievement; Σ realised ÷ Σ pagu). Flat over the leaves, so a
    filtered view (one Amanat Presiden) rolls up by the same rule."""
    ordered = tuple(sorted(bands, key=lambda band: band.minimum, reverse=True))
    by_id = {row.item.id: row for row in rows}
    leaves_under: dict[int, list[ItemProgress]] = {row.item.id: [] for row in rows if not row.leaf}
    for row in rows:  # the leaves first: their parents' figures are made of theirs
        if not row.leaf:
            continue
        row.pagu = row.item.budget or 0
        spent = 0
        for q in range(4):
            stored = row.quarters[q]
            row.budget_realised[q] = stored.budget if stored is not None else None
            spent += row.budget_realised[q] or 0
            row.progress[q] = row.achievement[q]
            reported = any(row.budget_realised[i] is not None for i in range(q + 1))
            row.absorption[q] = absorption(row.pagu, [spent]) if reported else None
            row.bands[q] = band_of(row.progress[q], ordered)
        parent_id = row.item.parent_id
        while parent_id is not None and parent_id in by_id:
            leaves_under[parent_id].append(row)
            parent_id = by_id[parent_id].item.parent_id
    for row in rows:
        if row.leaf:
            continue
        leaves = leaves_under[row.item.id]
        row.pagu = sum(leaf.pagu for leaf in leaves)
        for q in range(4):
            row.progress[q] = leaf_roll_up(leaves, q)
            realised = [value for leaf in leaves if (value := leaf.budget_realised[q]) is not None]
            row.budget_realised[q] = sum(realised) if realised else None
            row.absorption[q] = leaf_absorption(leaves, q)
            row.bands[q] = band_of(row.progress[q], ordered)


class Rolled(Protocol):
    """What a roll-up reads of a sub kegiatan (ItemProgress, or the dashboard's lean Leaf)."""

    @property
    def pagu(self) -> int: ...
    @property
    def progress(self) -> list[Decimal | None]: ...
    @property
    def budget_realised(self) -> list[int | None]: ...


def leaf_roll_up(leaves: Sequence[Rolled], q: int) -> Decimal | None:
    """The budget-weighted achievement of these sub kegiatan to quarter q + 1."""
    return roll_up([Weighted(leaf.progress[q], leaf.pagu) for leaf in leaves])


def leaf_absorption(leaves: Sequence[Rolled], q: int) -> Decimal | None:
    """Σ rupiah realised to quarter q + 1 ÷ Σ pagu of these sub kegiatan (None: nothing realised)."""
    spent = [value for leaf in leaves for i in range(q + 1) if (value := leaf.budget_realised[i]) is not None]
    return absorption(sum(leaf.pagu for leaf in leaves), spent) if spent else None


def standings_of(proposal_ids: list[int], quarters: Sequence[Quarter], today: date) -> dict[int, list[QuarterStanding]]:
    """Where each quarter of each proposal stands (two queries)."""
    first_reported = {
        (proposal_id, quarter): moment
        for proposal_id, quarter, moment in db.session.execute(
            sa.select(ProposalItem.proposal_id, Realisation.quarter, sa.func.min(Realisation.reported_at))
            .join(ProposalItem)
            .where(ProposalItem.proposal_id.in_(proposal_ids), FILLED, Realisation.reported_at.is_not(None))
            .group_by(ProposalItem.proposal_id, Realisation.quarter)
        )
        if moment is not None
    }
    return _standings(proposal_ids, quarters, today, first_reported)


def _standings(
    proposal_ids: list[int],
    quarters: Sequence[Quarter],
    today: date,
    first_reported: dict[tuple[int, int], datetime],
) -> dict[int, list[QuarterStanding]]:
    reviews = {
        (review.proposal_id, review.quarter): review
        for review in db.session.scalars(sa.select(QuarterReview).where(QuarterReview.proposal_id.in_(proposal_ids)))
    }
    first = {key: local_date(moment) for key, moment in first_reported.items()}
    standings: dict[int, list[QuarterStanding]] = {}
    for proposal_id in proposal_ids:
        result = []
        for quarter in quarters:
            key = (proposal_id, quarter.number)
            review, reported = reviews.get(key), first.get(key)
            if review is not None:
                standing = Standing.VERIFIED if review.status is ReviewStatus.VERIFIED else Standing.RETURNED
            else:
                standing = Standing.FILLED if reported else Standing.EMPTY
            late = reported is not None and quarter.is_late(reported)
            overdue = reported is None and today > quarter.deadline
            result.append(QuarterStanding(quarter, standing, review, reported, late, overdue))
        standings[proposal_id] = result
    return standings


def _filled(row: Realisation | QuarterValues) -> bool:
    return bool(row.physical or row.budget is not None or row.problem or row.solution)


def progress_of_proposals(
    proposals: Sequence[Proposal], quarters: Sequence[Quarter], bands: Sequence[Band], today: date
) -> dict[int, ProposalProgress]:
    """The progress of each proposal (one event's): five queries whatever their number."""
    ids = [proposal.id for proposal in proposals]
    if not ids:
        return {}
    items = list(db.session.scalars(sa.select(ProposalItem).where(ProposalItem.proposal_id.in_(ids))))
    rows = [
        QuarterValues(*row)
        for row in db.session.execute(
            sa.select(*QUARTER_COLUMNS).join(ProposalItem).where(ProposalItem.proposal_id.in_(ids))
        )
    ]
    by_item: dict[int, list[QuarterValues | None]] = {item.id: [None] * 4 for item in items}
    for row in rows:
        by_item[row.item_id][row.quarter - 1] = row
    evidence = db.session.execute(
        sa.select(Evidence.item_id, Evidence.quarter, sa.func.count())
        .join(ProposalItem)
        .where(ProposalItem.proposal_id.in_(ids))
        .group_by(Evidence.item_id, Evidence.quarter)
    )
    files = {(item_id, quarter): count for item_id, quarter, count in evidence}
    agreed = agreed_targets(ids)
    standings = standings_of(ids, quarters, today)
    per_proposal: dict[int, list[ProposalItem]] = {}
    for item in items:
        per_proposal.setdefault(item.proposal_id, []).append(item)
    result = {}
    for proposal in proposals:
        progress = [
            _own(item, depth, by_item[item.id], agreed.get(item.id))
            for item, depth in _tree(per_proposal.get(proposal.id, []))
        ]
        for figures in progress:
            figures.evidence = [files.get((figures.item.id, q), 0) for q in QUARTERS]
        _roll_up(progress, bands)
        leaves = [row for row in progress if row.is_leaf]
        overall = [leaf_roll_up(leaves, q) for q in range(4)]
        result[proposal.id] = ProposalProgress(
            proposal=proposal,
            items=progress,
            progress=overall,
            absorption=[leaf_absorption(leaves, q) for q in range(4)],
            bands=[band_of(value, bands) for value in overall],
            standings=standings[proposal.id],
        )
    return result


def proposal_progress(proposal: Proposal) -> ProposalProgress:
    """One proposal's progress with its event's quarters and bands, as of today."""
    event = proposal.event
    return progress_of_proposals([proposal], quarters_of(event), bands_of(event), local_today())[proposal.id]


def quarter_row(item_id: int, quarter: int) -> Realisation | None:
    return db.session.scalar(
        sa.select(Realisation).where(Realisation.item_id == item_id, Realisation.quarter == quarter)
    )


def stored_text(realisation: Realisation | None, name: str) -> str:
    """A stored value as the text a write compares with (`base`): "" for nothing."""
    if realisation is None:
        return ""
    value = getattr(realisation, name)
    return "" if value is None else str(value)


def has_values(proposal: Proposal, quarter: int) -> bool:
    """Whether anything is reported for this quarter of the proposal."""
    rows = db.session.scalars(
        sa.select(Realisation)
        .join(ProposalItem)
        .where(ProposalItem.proposal_id == proposal.id, Realisation.quarter == quarter)
    )
    return any(_filled(row) for row in rows)


def reporters_of(proposal: Proposal) -> list[User]:
    """The people responsible for the proposal's realisation: the event's participants of the
    agencies that work on it (active accounts)."""
    people = db.session.scalars(
        sa.select(User)
        .join(Membership, Membership.user_id == User.id)
        .join(Agency, Agency.id == User.agency_id)
        .where(Membership.event_id == proposal.event_id, Membership.role == Role.PARTICIPANT, User.active.is_(True))
        .where(Agency.region_code == proposal.agency.region_code)
        .order_by(User.id)
    )
    return [person for person in dict.fromkeys(people) if works_on(person.agency, proposal)]
