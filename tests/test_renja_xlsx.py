"""Issue 17, item 6: the Renja XLSX prints. Landscape A4, one page wide, the header row repeated,
margins and a "Halaman x dari y" footer; wrapped text with rows tall enough never to overlap;
every formula carries its cached value (a viewer that does not recalculate shows the number, not a
blank); the Ringkasan in Indonesian. Converted to PDF by LibreOffice headless, one agency's
15-item proposal is one page wide.

The LibreOffice part needs `soffice` (Debian's libreoffice-calc; .ci/run installs it)."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from tests.conftest import PROJECT_ROOT, skip_or_fail
from tests.factories import World, make_agency, make_proposal
from workspace.exports.spreadsheet import proposals_xlsx
from workspace.exports.xlsx_finish import formula_values, wrapped_lines
from workspace.extensions import db
from workspace.models import ItemLevel, Proposal

LONG_NAME = (
    "Fasilitasi Pembinaan Wawasan Kebangsaan, Ketahanan Ekonomi, Sosial dan Budaya bagi Tokoh "
    "Masyarakat, Tokoh Agama dan Generasi Muda di Wilayah Perbatasan"
)


def _fifteen_items(world: World) -> Proposal:
    """Program, kegiatan and 13 sub kegiatan: the 15-item proposal of the issue, one name long."""
    agency = make_agency(region="Kabupaten Ketapang", event=world.event)
    proposal = make_proposal(world.event, agency, budgets=tuple(10_000_000 * n for n in range(1, 14)))
    sub = next(i for i in proposal.items if i.level is ItemLevel.SUBKEGIATAN)
    sub.name = LONG_NAME
    db.session.commit()
    return proposal


def test_every_formula_has_its_cached_value_equal_to_the_sum(world: World) -> None:
    proposal = _fifteen_items(world)
    content = proposals_xlsx(world.event, [world.proposal, proposal])
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        sheets = [name for name in archive.namelist() if name.startswith("xl/worksheets/sheet")]
        xml = "".join(archive.read(name).decode() for name in sheets)
    formulas = re.findall(r"<f>[^<]*</f><v>([^<]*)</v>", xml)
    assert len(formulas) == xml.count("<f>") > 0 and all(formulas), "a formula without a cached value"

    cached = load_workbook(io.BytesIO(content), data_only=True)  # what a viewer that does not recalculate shows
    sheet = cached.worksheets[2]
    rows = {row[0].value: row for row in sheet.iter_rows(min_row=6) if row[0].value}
    subs = [i for i in proposal.items if i.level is ItemLevel.SUBKEGIATAN]
    assert rows["8.01.02"][7].value == sum(i.budget for i in subs) == 910_000_000
    total = next(row for row in sheet.iter_rows(min_row=6) if row[1].value == "JUMLAH")
    assert total[7].value == 910_000_000  # SUBTOTAL skips the nested SUBTOTALs: each rupiah once
    summary = cached["Ringkasan"]
    assert summary["C7"].value == world.proposal.total_budget + 910_000_000
    assert {summary["E5"].value, summary["E6"].value} == {"Draf"}  # Indonesian, not `draft`


def test_the_cached_values_are_computed_from_the_sheet_itself(world: World) -> None:
    """A formula this module cannot compute is an error here, not a blank in someone's viewer."""
    from openpyxl import Workbook

    sheet = Workbook().active
    sheet["A1"], sheet["A2"], sheet["A3"] = 5, "=SUBTOTAL(9,A1:A1)", "=SUBTOTAL(9,A1:A2)"
    sheet["B1"] = "=SUM(A1:A3)"
    assert formula_values(sheet) == {"A2": 5, "A3": 5, "B1": 15}
    sheet["C1"] = "=AVERAGE(A1:A3)"
    with pytest.raises(ValueError, match="AVERAGE"):
        formula_values(sheet)


def test_a_proposal_sheet_is_set_up_to_print(world: World) -> None:
    proposal = _fifteen_items(world)
    sheet = load_workbook(io.BytesIO(proposals_xlsx(world.event, [proposal]))).active
    setup = sheet.page_setup
    assert (setup.orientation, setup.paperSize, setup.fitToWidth, setup.fitToHeight) == ("landscape", 9, 1, 0)
    assert sheet.sheet_properties.pageSetUpPr.fitToPage and sheet.print_title_rows == "$5:$5"
    assert sheet.page_margins.left == sheet.page_margins.right == 0.4
    assert "Halaman &P dari &N" in sheet.oddFooter.center.text
    long_row = next(row for row in sheet.iter_rows(min_row=6) if row[1].value == LONG_NAME)[0].row
    lines = wrapped_lines(LONG_NAME, 60 - 4)
    assert lines >= 3 and sheet.row_dimensions[long_row].height >= 15 * lines
    assert sheet.cell(row=long_row, column=2).alignment.wrap_text
    assert sheet.cell(row=long_row, column=7).alignment.wrap_text  # Lokasi wraps too, never spills


def _soffice() -> str:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if not found:
        skip_or_fail("the LibreOffice XLSX test needs `soffice` (apt-get install libreoffice-calc)")
    return str(found)


@pytest.mark.parametrize("databases", ["sqlite"], indirect=True)  # the file is the same on PostgreSQL
def test_libreoffice_prints_a_fifteen_item_proposal_one_page_wide(world: World, tmp_path: Path) -> None:
    soffice = _soffice()
    proposal = _fifteen_items(world)
    source = tmp_path / "renja.xlsx"
    source.write_bytes(proposals_xlsx(world.event, [proposal]))
    subprocess.run(
        [soffice, f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless", "--convert-to", "pdf",
         "--outdir", str(tmp_path), str(source)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    pdf = (tmp_path / "renja.pdf").read_bytes()
    pages = PdfReader(io.BytesIO(pdf)).pages
    for number, page in enumerate(pages, start=1):
        text = re.sub(r"\s+", " ", page.extract_text())
        width, height = page.mediabox.width, page.mediabox.height
        assert width > height, "landscape"
        # Each page holds the first and the last column: nothing was pushed to a page of its own.
        assert "Kode" in text and "Amanat Presiden" in text, f"page {number} is not the whole width"
        assert f"Halaman {number} dari {len(pages)}" in text
    assert len(pages) <= 2
    whole = " ".join(re.sub(r"\s+", " ", page.extract_text()) for page in pages)
    assert "910.000.000" in whole or "910,000,000" in whole  # the JUMLAH, computed
    out = PROJECT_ROOT / "test-output"
    out.mkdir(exist_ok=True)
    (out / "renja-15-items.pdf").write_bytes(pdf)
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-r", "60", "-png", str(out / "renja-15-items.pdf"), str(out / "renja-15-items")],
                       check=True, timeout=60)  # fmt: skip
