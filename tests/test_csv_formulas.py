"""Issue 16, item 4: a CSV text cell cannot start a formula at its start nor after any separator a
spreadsheet might split on, and the import reads our own guarded cells back exactly. The file opened
in LibreOffice with "," and with ";" is tested in test_csv_in_libreoffice."""

from __future__ import annotations

import csv
import io

import pytest

from workspace.exports.sheet_reading import _csv_value
from workspace.exports.spreadsheet import _csv_text

HOSTILE = [
    "Sambas,=HYPERLINK(CHAR(104)&\"ttp://x\",\"klik\")",
    "=1+1",
    "Sambas; @SUM(A1)",
    "a\t+cmd|' /C calc'!A0",
    "Kab. Sambas|-2+3+cmd",
]
HARMLESS = ["Rp 1.000,-", "1.000,- per kegiatan", "Program A - Kegiatan B", "Sajingan, Sambas"]


@pytest.mark.parametrize("text", HOSTILE)
def test_no_piece_of_an_exported_cell_starts_a_formula(text: str) -> None:
    guarded = _csv_text(text)
    for separator in (",", ";", "\t", "|"):
        for cell in next(csv.reader(io.StringIO(guarded), delimiter=separator)):
            assert cell.strip()[:1] not in ("=", "+", "-", "@"), (text, separator, cell)


@pytest.mark.parametrize("text", HOSTILE + HARMLESS)
def test_guarded_cells_read_back_exactly(text: str) -> None:
    assert _csv_value(_csv_text(text)) == text


@pytest.mark.parametrize("text", HARMLESS)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert _csv_text(text) == text
