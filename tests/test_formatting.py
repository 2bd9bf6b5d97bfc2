from __future__ import annotations

import pytest

from workspace.formatting import format_rupiah, parse_rupiah


@pytest.mark.parametrize(
    ("amount", "text"),
    [(1_250_000_000, "Rp 1.250.000.000"), (0, "Rp 0"), (999, "Rp 999"), (1000, "Rp 1.000"), (None, "–")],
)
def test_format_rupiah(amount: int | None, text: str) -> None:
    assert format_rupiah(amount) == text


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("1250000000", 1_250_000_000),
        ("1.250.000.000", 1_250_000_000),
        ("1,250,000", 1_250_000),
        ("1 250 000", 1_250_000),
        ("Rp 1.250.000", 1_250_000),
        ("Rp1.250.000,-", 1_250_000),
        ("Rp 1.250.000,00", 1_250_000),
        ("  75000 ", 75_000),
        ("", None),
    ],
)
def test_parse_rupiah_accepts_what_people_type(text: str, amount: int | None) -> None:
    assert parse_rupiah(text) == amount


@pytest.mark.parametrize("text", ["-5000", "12,5", "1.25", "abc", "1.2.3", "1e9", "Rp", "10.000,50", "١٢٣"])
def test_parse_rupiah_refuses_non_whole_or_negative_amounts(text: str) -> None:
    with pytest.raises(ValueError):
        parse_rupiah(text)
