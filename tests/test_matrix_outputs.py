"""Issue 17, item 5: the matrix leaves the screen. Its XLSX has the same cells as the screen (the
hand-computed table of test_outputs), the gaps marked, totals whose cached values are the
matrix's, frozen panes, A4 landscape one page wide, print titles; its filters are the page's. The
landscape print is checked in Chromium by tests/e2e/test_browser_outputs.py."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook

from tests.test_outputs import MILLION, SyncWorld, build_sync_world, region
from workspace.exports.matrix import build_matrix


@pytest.fixture
def sync(app: Flask) -> SyncWorld:
    return build_sync_world()


def _workbook(client: FlaskClient, sync: SyncWorld, query: str = "", data_only: bool = False):
    response = client.get(f"/rakor/{sync.event.id}/matriks.xlsx{query}")
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert f"matriks-sinkronisasi-{sync.event.slug}.xlsx" in response.headers["Content-Disposition"]
    return load_workbook(io.BytesIO(response.data), data_only=data_only)


def test_the_matrix_xlsx_has_the_screens_cells_gaps_and_totals(
    sync: SyncWorld, login_as: Callable[..., FlaskClient]
) -> None:
    client = login_as(sync.observer)  # whoever sees the matrix takes it home
    workbook = _workbook(client, sync)
    assert workbook.sheetnames == ["Pagu indikatif", "Jumlah sub kegiatan"]
    sheet = workbook["Pagu indikatif"]
    headers = [cell.value for cell in sheet[6]]
    assert headers == [
        "Kode", "Program / Kegiatan", "Prov. Kalimantan Barat", "Kab. Sambas", "Kota Singkawang", "Kab. Mempawah",
        "Jumlah", "Keselarasan", "Pendukung",
    ]  # fmt: skip
    rows = {row[0].value: row for row in sheet.iter_rows(min_row=7) if row[0].value}
    assert [c.value for c in rows["8.01.02"][2:6]] == [150 * MILLION, 50 * MILLION, "–", "–"]
    assert rows["8.01.02"][4].fill.fgColor.rgb.endswith("FBE3E3")  # a gap is marked
    assert [c.value for c in rows["8.01.03"][2:6]] == ["–", 10 * MILLION, 12 * MILLION, "–"]
    assert rows["8.01.02"][7].value == "Sebagian selaras" and rows["8.01.02"][8].value == 1
    local = next(row for row in sheet.iter_rows(min_row=7) if "Kegiatan Lokal" in str(row[1].value))
    assert "(di luar nomenklatur)" in local[1].value

    counts = {row[0].value: row for row in workbook["Jumlah sub kegiatan"].iter_rows(min_row=7) if row[0].value}
    assert [c.value for c in counts["8.01.03"][2:6]] == ["–", 1, 2, "–"]

    cached = _workbook(client, sync, data_only=True)["Pagu indikatif"]
    matrix = build_matrix(sync.event)
    total = next(row for row in cached.iter_rows(min_row=7) if row[1].value == "JUMLAH (program)")
    regions = [region(sync, p) for p in (sync.province, sync.sambas, sync.singkawang)]
    assert [c.value for c in total[2:5]] == [matrix.column_budget(code) for code in regions]
    assert total[6].value == matrix.total_budget == 222 * MILLION
    by_code = {row[0].value: row for row in cached.iter_rows(min_row=7) if row[0].value}
    assert by_code["8.01.03"][6].value == 22 * MILLION  # the row's Jumlah, cached


def test_the_matrix_xlsx_is_set_up_to_print_and_follows_the_filters(
    sync: SyncWorld, login_as: Callable[..., FlaskClient]
) -> None:
    client = login_as(sync.participant)
    sheet = _workbook(client, sync, "?program=8.01.03&status=draft")["Pagu indikatif"]
    assert sheet.freeze_panes == "C7"
    setup = sheet.page_setup
    assert (setup.orientation, setup.fitToWidth, setup.fitToHeight) == ("landscape", 1, 0)
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.print_title_rows == "$6:$6" and sheet.print_title_cols == "$A:$B"
    assert "Halaman &P dari &N" in sheet.oddFooter.center.text
    assert "Program 8.01.03" in sheet["A3"].value and "status Draf" in sheet["A3"].value
    codes = [row[0].value for row in sheet.iter_rows(min_row=7) if row[0].value]
    assert codes and all(code.startswith("8.01.03") for code in codes)


def test_the_matrix_xlsx_is_refused_outside_the_event(
    sync: SyncWorld, login_as: Callable[..., FlaskClient], client: FlaskClient
) -> None:
    assert login_as(sync.outsider).get(f"/rakor/{sync.event.id}/matriks.xlsx").status_code == 403
    response = client.get(f"/rakor/{sync.event.id}/matriks.xlsx")
    assert response.status_code == 302 and "/masuk" in response.headers["Location"]


def test_the_matrix_page_offers_the_print_and_the_xlsx_with_its_filters(
    sync: SyncWorld, login_as: Callable[..., FlaskClient]
) -> None:
    page = login_as(sync.reviewer).get(f"/rakor/{sync.event.id}/matriks?program=8.01.02").get_data(as_text=True)
    assert f"/rakor/{sync.event.id}/matriks.xlsx?program=8.01.02" in page
    assert "print-landscape.css" in page and 'media="print"' in page
    assert 'data-short="150,0"' in page  # the printed cell: millions of rupiah
    assert "celah: wilayah tidak mengusulkan apa pun di sini" in page
