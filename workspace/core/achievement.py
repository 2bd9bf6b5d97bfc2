"""Capaian (achievement) of an indicator, computed, never typed (issue 18; DESIGN.md §9).

An indicator has a target for the year and up to four quarterly realisations (triwulan I–IV);
how they make an achievement depends on its formula type (*rumus*):

* **positif** — higher is better, the quarters add up: Σ realisation ÷ target × 100.
* **negatif** — lower is better (cases of conflict, days of delay), the quarters add up:
  target ÷ Σ realisation × 100; a realisation of 0 against a positive target is fully achieved
  (100 %), as nothing of what should stay low happened.
* **persentase** and **nilai akhir** — a level, not a count (a percentage, an index): the last
  quarter reported ÷ target × 100, never summed.

"Per quarter" is that quarter alone against the year's target (for the level types: its own
value); "cumulative" is everything reported to that quarter (s.d. triwulan n). A quarter not
reported is skipped, not zero. A target of 0 (or none) gives no achievement — there is nothing to
divide by; the page says so — except a negatif indicator realised at 0 against a target of 0,
which met its target exactly (100 %). Values are Decimals, rounded half-up to one decimal only
when shown.

**Roll-up** (kegiatan, program, agency, region): the budget-weighted mean of the achievements of
the sub kegiatan beneath — each weighs its pagu (indicative budget); those without an achievement
(nothing reported, no numeric target) are left out; when none of them has a budget, the plain
mean. Budget absorption likewise: Σ rupiah realised ÷ Σ pagu of the sub kegiatan beneath. (A
program's or kegiatan's own outcome/output indicator has its own achievement, shown beside it.)

**Bands** (configurable per event): ≥ 91 Sangat Baik, ≥ 76 Baik, ≥ 66 Cukup, ≥ 51 Kurang, below
Sangat Kurang — a value belongs to the highest band whose lower bound it reaches (90.5 is Baik).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

HUNDRED = Decimal(100)
QUARTERS = 4
# What a quarter's realisation holds: the indicator's value (K), rupiah, permasalahan, solusi.
REALISATION_FIELDS = ("physical", "budget", "problem", "solution")


class FormulaType(enum.StrEnum):
    POSITIVE = "positif"
    NEGATIVE = "negatif"
    PERCENTAGE = "persentase"
    FINAL_VALUE = "nilai_akhir"

    @property
    def sums_quarters(self) -> bool:
        return self in (FormulaType.POSITIVE, FormulaType.NEGATIVE)


Realisations = Sequence[Decimal | None]  # quarter I … IV; None: not reported


def _ratio(formula: FormulaType, target: Decimal | None, realised: Decimal) -> Decimal | None:
    if formula is FormulaType.NEGATIVE:
        if realised == 0:
            return HUNDRED if target is not None and target >= 0 else None
        if target is None or target < 0:
            return None
        return target / realised * HUNDRED
    if target is None or target == 0:
        return None
    return realised / target * HUNDRED


def _reported(realisations: Realisations, up_to: int) -> list[Decimal]:
    if not 1 <= up_to <= QUARTERS:
        raise ValueError(f"quarter {up_to} is not 1 to {QUARTERS}")
    return [value for value in list(realisations)[:up_to] if value is not None]


def cumulative_realisation(formula: FormulaType, realisations: Realisations, up_to: int = QUARTERS) -> Decimal | None:
    """What counts to that quarter: the sum (positif, negatif) or the last value reported."""
    reported = _reported(realisations, up_to)
    if not reported:
        return None
    return sum(reported, Decimal(0)) if formula.sums_quarters else reported[-1]


def cumulative_achievement(
    formula: FormulaType, target: Decimal | None, realisations: Realisations, up_to: int = QUARTERS
) -> Decimal | None:
    """Capaian s.d. triwulan `up_to`, in percent (None: nothing reported, or no target)."""
    realised = cumulative_realisation(formula, realisations, up_to)
    return None if realised is None else _ratio(formula, target, realised)


def cumulative_achievements(
    formula: FormulaType, target: Decimal | None, realisations: Realisations
) -> list[Decimal | None]:
    """`cumulative_achievement` to each quarter, I … IV, in one pass (the dashboard's 12 000)."""
    achieved: list[Decimal | None] = []
    counted: Decimal | None = None
    for value in list(realisations)[:QUARTERS]:
        if value is not None:
            counted = value if counted is None or not formula.sums_quarters else counted + value
        achieved.append(None if counted is None else _ratio(formula, target, counted))
    return achieved + [achieved[-1] if achieved else None] * (QUARTERS - len(achieved))


def quarter_achievement(
    formula: FormulaType, target: Decimal | None, realisations: Realisations, quarter: int
) -> Decimal | None:
    """That quarter alone against the year's target (None when it was not reported)."""
    values = list(realisations)
    if not 1 <= quarter <= QUARTERS:
        raise ValueError(f"quarter {quarter} is not 1 to {QUARTERS}")
    value = values[quarter - 1] if quarter <= len(values) else None
    return None if value is None else _ratio(formula, target, value)


def absorption(budget: int | None, realised: Sequence[int | None]) -> Decimal | None:
    """Budget absorption: Σ rupiah realised ÷ pagu × 100 (None: no pagu, or nothing reported)."""
    spent = [value for value in realised if value is not None]
    if not budget or not spent:
        return None
    return Decimal(sum(spent)) / Decimal(budget) * HUNDRED


@dataclass(frozen=True)
class Weighted:
    """One child in a roll-up: its achievement (or absorption) and its weight, the pagu."""

    value: Decimal | None
    budget: int | None


def roll_up(children: Sequence[Weighted]) -> Decimal | None:
    """The budget-weighted mean of the children that have a value; the plain mean when none of
    them has a budget; None when no child has a value."""
    valued = [(child.value, Decimal(child.budget or 0)) for child in children if child.value is not None]
    if not valued:
        return None
    weight = sum((budget for _value, budget in valued), Decimal(0))
    if weight > 0:
        return sum((value * budget for value, budget in valued), Decimal(0)) / weight
    return sum((value for value, _budget in valued), Decimal(0)) / len(valued)


@dataclass(frozen=True)
class Band:
    key: str
    label: str
    minimum: Decimal  # the lowest achievement (percent) of the band
    colour: str  # a CSS colour with AA contrast against white text


DEFAULT_BANDS = (
    Band("sangat_baik", "Sangat Baik", Decimal(91), "#1b6e3a"),
    Band("baik", "Baik", Decimal(76), "#3d7d1f"),
    Band("cukup", "Cukup", Decimal(66), "#8a6100"),
    Band("kurang", "Kurang", Decimal(51), "#a4470f"),
    Band("sangat_kurang", "Sangat Kurang", Decimal(0), "#9b1c1c"),
)


def band_of(achievement: Decimal | None, bands: Sequence[Band] = DEFAULT_BANDS) -> Band | None:
    """The highest band whose lower bound the achievement reaches (None: no achievement)."""
    if achievement is None:
        return None
    ordered = sorted(bands, key=lambda band: band.minimum, reverse=True)
    for band in ordered:
        if achievement >= band.minimum:
            return band
    return ordered[-1]  # below every bound (a negative value): the lowest band


def shown(value: Decimal | None) -> str:
    """`87.25` → `87,3` (one decimal, half up, Indonesian comma); None → `–`."""
    if value is None:
        return "–"
    rounded = value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return f"{rounded:,.1f}".replace(",", " ").replace(".", ",").replace(" ", ".")
