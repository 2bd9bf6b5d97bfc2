"""Read side of realisation: each item of a proposal with its four quarters and what they make —
the cumulative achievement by the item's formula, the budget absorption, the band — and the
budget-weighted roll-up to the proposal (core/achievement.py has the rules)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa

from workspace.core.achievement import (
    Band,
    FormulaType,
    Weighted,
    absorption,
    band_of,
    cumulative_achievement,
    roll_up,
)
from workspace.extensions import db
from workspace.models import ItemLevel, Proposal, ProposalItem, Realisation


def target_value(text: str) -> Decimal | None:
    """An item's target as a number ("4", "75,5"); words ("Tersedia") have none."""
    try:
        return Decimal(text.replace(".", "").replace(",", ".")) if text else None
    except InvalidOperation:
        return None


def _physical(text: str) -> Decimal | None:
    try:
        return Decimal(text.replace(",", ".")) if text else None
    except InvalidOperation:
        return None


@dataclass(frozen=True)
class ItemProgress:
    item: ProposalItem
    quarters: list[Realisation | None]  # I … IV
    achievement: Decimal | None
    absorption: Decimal | None
    band: Band | None


def progress_of(proposal: Proposal, bands: tuple[Band, ...]) -> tuple[list[ItemProgress], Decimal | None]:
    """Every sub kegiatan's progress, and the proposal's roll-up (weighted by pagu)."""
    subs = [item for item in proposal.items if item.level is ItemLevel.SUBKEGIATAN]
    rows = db.session.scalars(sa.select(Realisation).where(Realisation.item_id.in_([i.id for i in subs])))
    by_item: dict[int, list[Realisation | None]] = {item.id: [None] * 4 for item in subs}
    for row in rows:
        by_item[row.item_id][row.quarter - 1] = row
    progress = []
    for item in subs:
        quarters = by_item[item.id]
        formula = FormulaType(item.formula) if item.formula in FormulaType._value2member_map_ else FormulaType.POSITIVE
        achievement = cumulative_achievement(
            formula, target_value(item.target), [_physical(q.physical) if q else None for q in quarters]
        )
        absorbed = absorption(item.budget, [q.budget if q else None for q in quarters])
        progress.append(ItemProgress(item, quarters, achievement, absorbed, band_of(achievement, bands)))
    overall = roll_up([Weighted(p.achievement, p.item.budget) for p in progress])
    return progress, overall
