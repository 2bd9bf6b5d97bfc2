"""Issue 16, item 4: our CSV export opened in LibreOffice headless with "," and with ";" as the
separator, formulas evaluated (the worst a person can choose in the import dialog): no cell is a
formula. The same text written without the guard does become formulas there, so the test can fail.

Needs `soffice` (Debian's libreoffice-calc; .ci/run installs it): skipped without it, except in CI."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest

from tests.conftest import skip_or_fail
from tests.factories import World
from workspace.extensions import db
from workspace.models import ItemLevel

# What a participant could type into text fields of a proposal (Lokasi, Indikator, Satuan, Sumber dana, the name).
HOSTILE_TEXT = {
    "location": 'Sambas,=HYPERLINK(CHAR(104)&"ttp://contoh.invalid","klik")',
    "indicator": "Jumlah Laporan; @SUM(1+1)",
    "unit": "Laporan,+1+cmd|' /C calc'!A0",
    "name": "Sub kegiatan\t=1+1, -2+3",
    "funding_source": "=SUM(2+2)",
}
SEPARATORS = {",": 44, ";": 59}


def _soffice() -> str:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if not found:
        skip_or_fail("the LibreOffice CSV test needs `soffice` (apt-get install libreoffice-calc)")
    return str(found)


def _open_in_libreoffice(soffice: str, csv_files: list[Path], separator: str, work: Path) -> list[Path]:
    """Each CSV as LibreOffice reads it with `separator` and formulas evaluated, saved as XLSX."""
    # CSV filter tokens: separator, text delimiter ("), UTF-8, first line 1, cell formats, language,
    # quoted field as text (no), special numbers (yes), 9-12 export-only, evaluate formulas (yes).
    options = f"{SEPARATORS[separator]},34,76,1,,0,false,true,false,false,false,,true"
    out = work / f"out-{SEPARATORS[separator]}"
    subprocess.run(
        [soffice, f"-env:UserInstallation=file://{work / 'profile'}", "--headless", f"--infilter=CSV:{options}",
         "--convert-to", "xlsx", "--outdir", str(out), *map(str, csv_files)],
        check=True, capture_output=True, timeout=180,
    )
    return [out / f"{path.stem}.xlsx" for path in csv_files]


def _cells(xlsx: Path) -> list[tuple[str, object]]:
    sheet = openpyxl.load_workbook(xlsx).active
    return [(cell.data_type, cell.value) for row in sheet.iter_rows() for cell in row if cell.value is not None]


def _without_guard(guarded_csv: bytes) -> bytes:
    """The same rows with each cell's text as typed: what an unguarded export would have written."""
    rows = list(csv.reader(io.StringIO(guarded_csv.decode("utf-8-sig")), delimiter=";"))
    typed = {value.replace("'", "") for value in HOSTILE_TEXT.values()}
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    for row in rows:
        writer.writerow([cell.replace("'", "") if cell.replace("'", "") in typed else cell for cell in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


@pytest.mark.parametrize("databases", ["sqlite"], indirect=True)  # the CSV is the same on PostgreSQL
def test_exported_csv_opens_in_libreoffice_without_any_formula(
    world: World, login_as: Callable, tmp_path: Path
) -> None:
    soffice = _soffice()
    sub_kegiatan = next(item for item in world.proposal.items if item.level is ItemLevel.SUBKEGIATAN)
    for field, text in HOSTILE_TEXT.items():
        setattr(sub_kegiatan, field, text)
    db.session.commit()
    response = login_as(world.organiser).get(f"/usulan/{world.proposal.id}/ekspor.csv")
    assert response.status_code == 200
    guarded = tmp_path / "guarded.csv"
    guarded.write_bytes(response.data)
    unguarded = tmp_path / "unguarded.csv"
    unguarded.write_bytes(_without_guard(response.data))

    for separator in SEPARATORS:
        guarded_xlsx, unguarded_xlsx = _open_in_libreoffice(soffice, [guarded, unguarded], separator, tmp_path)
        cells = _cells(guarded_xlsx)
        formulas = [value for kind, value in cells if kind == "f"]
        assert formulas == [], (separator, formulas)
        # The hostile text is there, as text: the file was read, not emptied.
        text = " ".join(str(value) for _kind, value in cells)
        for piece in ("HYPERLINK", "SUM(1+1)", "cmd|", "SUM(2+2)"):
            assert piece in text, (separator, piece, text[:300])
        # The control: the same rows unguarded do run as formulas in LibreOffice.
        assert any(kind == "f" for kind, _value in _cells(unguarded_xlsx)), separator
