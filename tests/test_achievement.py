"""Issue 18, item 4: capaian computed, never typed — by formula type, per quarter and cumulative;
budget absorption; bands; the budget-weighted roll-up. Zero targets, missing quarters and negative
indicators included. Pure functions: no database, no app."""

from __future__ import annotations

from decimal import Decimal

import pytest

from workspace.core.achievement import (
    DEFAULT_BANDS,
    Band,
    FormulaType,
    Weighted,
    absorption,
    band_of,
    cumulative_achievement,
    cumulative_achievements,
    cumulative_realisation,
    quarter_achievement,
    roll_up,
    shown,
)

D = Decimal
POS, NEG, PCT, FINAL = FormulaType.POSITIVE, FormulaType.NEGATIVE, FormulaType.PERCENTAGE, FormulaType.FINAL_VALUE


@pytest.mark.parametrize(
    ("formula", "target", "quarters", "up_to", "expected"),
    [
        # positif: the quarters add up against the year's target
        (POS, D(12), [D(3), D(3), D(3), D(3)], 4, D(100)),
        (POS, D(12), [D(3), D(3), None, None], 2, D(50)),
        (POS, D(12), [D(3), None, D(3), None], 4, D(50)),  # a missing quarter is skipped, not 0
        (POS, D(4), [D(2), D(2), D(2), None], 4, D(150)),  # beyond the target
        (POS, D(0), [D(1), None, None, None], 4, None),  # nothing to divide by
        (POS, None, [D(1), None, None, None], 4, None),
        (POS, D(10), [None, None, None, None], 4, None),  # nothing reported yet
        (POS, D(10), [], 4, None),
        # negatif: lower is better, target ÷ Σ
        (NEG, D(5), [D(1), D(1), D(2), D(1)], 4, D(100)),
        (NEG, D(5), [D(2), D(3), D(3), D(2)], 4, D(50)),
        (NEG, D(5), [D(0), D(0), None, None], 2, D(100)),  # nothing happened: fully achieved
        (NEG, D(0), [D(0), None, None, None], 1, D(100)),  # target 0, none happened: met exactly
        (NEG, D(0), [D(2), None, None, None], 1, D(0)),  # target 0, two happened: 0 %
        (NEG, None, [D(2), None, None, None], 1, None),
        # persentase / nilai akhir: the last value reported, never summed
        (PCT, D(80), [D(60), D(70), D(76), None], 4, D(95)),
        (PCT, D(80), [D(60), D(70), None, None], 1, D(75)),
        (FINAL, D(3.5), [None, D(3.5), None, None], 4, D(100)),
        (FINAL, D(0), [D(3)], 4, None),
    ],
)
def test_cumulative_achievement_by_formula(formula, target, quarters, up_to, expected) -> None:
    assert cumulative_achievement(formula, target, quarters, up_to) == expected


def test_per_quarter_is_that_quarter_alone_against_the_years_target() -> None:
    quarters = [D(3), None, D(6), D(3)]
    assert [quarter_achievement(POS, D(12), quarters, q) for q in (1, 2, 3, 4)] == [D(25), None, D(50), D(25)]
    assert quarter_achievement(NEG, D(4), [D(2), D(0)], 2) == D(100)
    assert quarter_achievement(PCT, D(80), [D(40), D(80)], 2) == D(100)
    with pytest.raises(ValueError):
        quarter_achievement(POS, D(12), quarters, 5)
    with pytest.raises(ValueError):
        cumulative_achievement(POS, D(12), quarters, 0)


def test_the_cumulative_realisation_sums_counts_and_keeps_levels() -> None:
    assert cumulative_realisation(POS, [D(1), D(2), None, D(4)]) == D(7)
    assert cumulative_realisation(NEG, [D(1), D(2)], up_to=1) == D(1)
    assert cumulative_realisation(PCT, [D(40), D(55), None, None]) == D(55)
    assert cumulative_realisation(FINAL, [None, None, None, None]) is None


def test_budget_absorption() -> None:
    assert absorption(200_000_000, [50_000_000, None, 30_000_000]) == D(40)
    assert absorption(0, [1]) is None and absorption(None, [1]) is None
    assert absorption(100, [None, None]) is None
    assert absorption(100, [0]) == D(0)


@pytest.mark.parametrize(
    ("achievement", "band"),
    [
        (D(100), "sangat_baik"), (D(91), "sangat_baik"), (D("90.99"), "baik"), (D(76), "baik"),
        (D("75.9"), "cukup"), (D(66), "cukup"), (D(65), "kurang"), (D(51), "kurang"),
        (D(50), "sangat_kurang"), (D(0), "sangat_kurang"), (D(-5), "sangat_kurang"), (D(250), "sangat_baik"),
    ],
)  # fmt: skip
def test_bands_by_their_lower_bounds(achievement: Decimal, band: str) -> None:
    assert band_of(achievement).key == band


def test_bands_are_configurable_and_none_has_no_band() -> None:
    assert band_of(None) is None
    strict = (Band("ok", "Tercapai", D(100), "#1b6e3a"), Band("no", "Belum", D(0), "#9b1c1c"))
    assert band_of(D(99), strict).key == "no" and band_of(D(100), strict).key == "ok"
    assert [band.minimum for band in DEFAULT_BANDS] == [91, 76, 66, 51, 0]


def test_roll_up_is_budget_weighted_and_skips_what_has_no_value() -> None:
    children = [Weighted(D(100), 300_000_000), Weighted(D(50), 100_000_000), Weighted(None, 600_000_000)]
    assert roll_up(children) == D("87.5")  # (100 × 3 + 50 × 1) ÷ 4: the unreported child weighs nothing
    assert roll_up([Weighted(D(80), 0), Weighted(D(40), None)]) == D(60)  # no budgets: the plain mean
    assert roll_up([Weighted(None, 10)]) is None and roll_up([]) is None
    # The roll-up of roll-ups: a program over two kegiatan.
    kegiatan = [roll_up([Weighted(D(100), 50), Weighted(D(80), 50)]), roll_up([Weighted(D(60), 100)])]
    assert roll_up([Weighted(kegiatan[0], 100), Weighted(kegiatan[1], 100)]) == D(75)


def test_shown_rounds_half_up_with_an_indonesian_comma() -> None:
    assert shown(D("87.25")) == "87,3" and shown(D("87.24")) == "87,2"
    assert shown(D("1234.5")) == "1.234,5" and shown(D(100)) == "100,0" and shown(None) == "–"
    assert shown(D(200) / D(3)) == "66,7"


@pytest.mark.parametrize("formula", list(FormulaType))
@pytest.mark.parametrize(
    "values",
    [
        (Decimal(1), None, Decimal("2.5"), Decimal(0)),
        (None, None, None, None),
        (Decimal(3),),
        (None, Decimal(4), None, Decimal(1)),
    ],
)
@pytest.mark.parametrize("target", [Decimal(4), Decimal(0), None])
def test_the_one_pass_cumulative_achievements_equal_the_quarter_by_quarter_ones(
    formula: FormulaType, values: tuple, target: Decimal | None
) -> None:
    expected = [cumulative_achievement(formula, target, values, q) for q in range(1, 5)]
    assert cumulative_achievements(formula, target, values) == expected
