"""Issue 18, item 7: the realisation of a proposal updated by uploading the evaluation form
(`exports/evaluation_columns.py`): a preview listing every change and every error with its row,
applied all or nothing through the realisation's write path (compare-and-set against what the
preview showed, a history line per value); other agencies, other phases and hostile files refused."""

from __future__ import annotations

import base64
import html
import io
import re
import zipfile
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from openpyxl import Workbook, load_workbook

from tests.conftest import csrf_token_of, htmx_post
from tests.factories import World
from workspace.core.errors import ValidationFailed
from workspace.exports.evaluation_columns import COLUMNS, SHEET_TITLE
from workspace.extensions import db
from workspace.models import (
    EventPhase,
    ItemLevel,
    Proposal,
    ProposalItem,
    QuarterReview,
    Realisation,
    ReviewStatus,
    Revision,
)
from workspace.queries.realisation import proposal_progress
from workspace.services.realisation import canonical
from workspace.services.realisation_import import cell_text

FIRST_ROW = 6  # title, agency, quarter label, blank, header; then the items


def tree(proposal: Proposal) -> list[ProposalItem]:
    """program, kegiatan, sub kegiatan 1, sub kegiatan 2: the rows FIRST_ROW … FIRST_ROW + 3."""
    return [figures.item for figures in proposal_progress(proposal).items]


def evaluation_xlsx(
    items: list[ProposalItem], values: dict[int, dict[str, object]] | None = None, label: str | None = "Triwulan: II"
) -> bytes:
    """The evaluation form as the export lays it out; `values`: {item id: {column key: cell}}."""
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET_TITLE
    sheet["A1"] = "EVALUASI TERHADAP HASIL RENJA PERANGKAT DAERAH"
    sheet["A2"] = "Perangkat Daerah: Kesbangpol"
    if label:
        sheet["A3"] = label
    for column, (_key, header) in enumerate(COLUMNS, start=1):
        sheet.cell(row=FIRST_ROW - 1, column=column, value=header)
    for row, item in enumerate(items, start=FIRST_ROW):
        cells = {"number": row - FIRST_ROW + 1, "code": item.code, "name": item.name, "item_id": item.id}
        cells.update((values or {}).get(item.id, {}))
        for column, (key, _header) in enumerate(COLUMNS, start=1):
            sheet.cell(row=row, column=column, value=cells.get(key))
    total = FIRST_ROW + len(items)
    sheet.cell(row=total, column=4, value="JUMLAH")
    sheet.cell(row=total, column=11, value=999)  # the total row's money: never read
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def import_url(proposal: Proposal, step: str = "") -> str:
    return f"/usulan/{proposal.id}/realisasi/impor{step}"


def preview(client: FlaskClient, proposal: Proposal, content: bytes, filename: str = "evaluasi.xlsx"):
    token = csrf_token_of(client, "/")
    return client.post(
        import_url(proposal),
        data={"csrf_token": token, "file": (io.BytesIO(content), filename)},
        content_type="multipart/form-data",
        headers={"HX-Request": "true"},
    )


def hidden(response, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', response.get_data(as_text=True))
    assert match, f"no hidden {name} in the preview"
    return html.unescape(match.group(1))


def apply_preview(client: FlaskClient, proposal: Proposal, previewed):
    data = {name: hidden(previewed, name) for name in ("content", "filename", "bases")}
    return htmx_post(client, import_url(proposal, "/terapkan"), data)


def stored() -> list[tuple]:
    db.session.expire_all()
    rows = db.session.scalars(sa.select(Realisation).order_by(Realisation.item_id, Realisation.quarter))
    return [(r.item_id, r.quarter, r.physical, r.budget, r.problem, r.solution) for r in rows]


def history() -> list[tuple]:
    db.session.expire_all()
    rows = db.session.execute(
        sa.select(Revision.item_id, Revision.action, Revision.field, Revision.old_value, Revision.new_value)
        .where(Revision.action == "realisation")
        .order_by(Revision.id)
    )
    return [tuple(row) for row in rows]


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def row_of(page: str, row: int) -> str:
    """The cells of the preview's (or error list's) line for a sheet row."""
    return " ".join(re.findall(rf'<tr data-row="{row}">(.*?)</tr>', page, re.S))


def test_cells_become_the_text_the_write_path_validates() -> None:
    assert [cell_text(v) for v in (12.5, 25_000_000.0, 3, 100.0, "12,5", None, " x ")] == [
        "12,5", "25000000", "3", "100", "12,5", "", "x",
    ]  # fmt: skip
    for refused in (float("nan"), float("inf"), -1.0, -3, True):
        for name in ("physical", "budget"):
            with pytest.raises(ValidationFailed):
                canonical(name, cell_text(refused))


def test_the_preview_lists_every_change_with_its_row_and_writes_nothing(monitoring: World, login_as: Callable) -> None:
    program, _kegiatan, first, second = tree(monitoring.proposal)
    content = evaluation_xlsx(
        tree(monitoring.proposal),
        {
            program.id: {"q1_physical": 40},
            first.id: {"q1_physical": 12.5, "q1_budget": 25_000_000.0, "problem": "Narasumber mundur"},
            second.id: {"q2_physical": "3", "solution": "Jadwal ulang"},
        },
    )
    response = preview(login_as(monitoring.participant), monitoring.proposal, content)
    page = text_of(response)
    assert response.status_code == 200, page
    assert "6 nilai akan diubah" in page and "triwulan II" in page
    assert "Realisasi TW I (K)" in row_of(page, FIRST_ROW) and "40" in row_of(page, FIRST_ROW)
    line = row_of(page, FIRST_ROW + 2)
    assert first.code in line and "12,5" in line and "Rp 25.000.000" in line and "Narasumber mundur" in line
    assert "Permasalahan" in line and "Realisasi TW I (Rp)" in line
    assert "Jadwal ulang" in row_of(page, FIRST_ROW + 3) and "Solusi / Tindak Lanjut" in row_of(page, FIRST_ROW + 3)
    assert "Terapkan impor" in page
    assert stored() == [] and history() == []


def test_applying_stores_every_value_with_its_history_line_and_revision(monitoring: World, login_as: Callable) -> None:
    _program, _kegiatan, first, second = tree(monitoring.proposal)
    revision = monitoring.proposal.revision
    participant = login_as(monitoring.participant)
    content = evaluation_xlsx(
        tree(monitoring.proposal),
        {
            first.id: {"q1_physical": 1.5, "q1_budget": "Rp 25.000.000", "q2_physical": 2, "problem": "Mundur"},
            second.id: {"q4_budget": 60_000_000},
        },
    )
    applied = apply_preview(participant, monitoring.proposal, preview(participant, monitoring.proposal, content))
    assert applied.status_code == 204 and applied.headers["HX-Redirect"].endswith(
        f"/usulan/{monitoring.proposal.id}/realisasi"
    )
    assert stored() == [
        (first.id, 1, "1,5", 25_000_000, "", ""),
        (first.id, 2, "2", None, "Mundur", ""),
        (second.id, 4, "", 60_000_000, "", ""),
    ]
    assert sorted(history()) == sorted(
        [
            (first.id, "realisation", "q1_physical", "", "1,5"),
            (first.id, "realisation", "q1_budget", "", "25000000"),
            (first.id, "realisation", "q2_physical", "", "2"),
            (first.id, "realisation", "q2_problem", "", "Mundur"),
            (second.id, "realisation", "q4_budget", "", "60000000"),
        ]
    )
    assert db.session.get(Proposal, monitoring.proposal.id).revision == revision + 5
    assert applied.headers["X-Sinergi-Revision"] == str(revision + 5)
    # The same file again: nothing to change.
    again = text_of(preview(participant, monitoring.proposal, content))
    assert "sudah sesuai dengan berkas" in again and "Terapkan impor" not in again


def test_a_programs_rupiah_that_is_its_sub_kegiatans_sum_is_the_formula_and_ignored(
    monitoring: World, login_as: Callable
) -> None:
    program, kegiatan, first, second = tree(monitoring.proposal)
    content = evaluation_xlsx(
        tree(monitoring.proposal),
        {
            program.id: {"q1_budget": 30_000_000},  # the sum as the file makes it
            kegiatan.id: {"q1_budget": 0},  # the sum as stored (nothing yet): a stale formula
            first.id: {"q1_budget": 10_000_000},
            second.id: {"q1_budget": 20_000_000},
        },
    )
    page = text_of(preview(login_as(monitoring.participant), monitoring.proposal, content))
    assert "2 nilai akan diubah" in page and "Terapkan impor" in page


def test_every_error_is_listed_with_its_row_and_column_and_nothing_is_stored(
    monitoring: World, login_as: Callable
) -> None:
    program, kegiatan, first, second = tree(monitoring.proposal)
    db.session.add(QuarterReview(proposal_id=monitoring.proposal.id, quarter=3, status=ReviewStatus.VERIFIED))
    db.session.commit()
    other = next(i for i in monitoring.other_proposal.items if i.level is ItemLevel.SUBKEGIATAN)
    items = [program, kegiatan, first, second, first, second, second]
    content = evaluation_xlsx(
        items,
        {
            program.id: {"q1_budget": 5_000},  # not the sum of its sub kegiatan
            kegiatan.id: {"q1_physical": "tiga"},
            first.id: {"q2_physical": -1, "problem": "x" * 2001},
            second.id: {"q3_physical": 4, "q2_budget": 1.5},  # quarter III is verified
        },
    )
    book = load_workbook(io.BytesIO(content))
    sheet = book.active
    id_column = [key for key, _header in COLUMNS].index("item_id") + 1
    sheet.cell(row=FIRST_ROW + 4, column=id_column, value=999_999)  # unknown
    sheet.cell(row=FIRST_ROW + 5, column=id_column, value=other.id)  # another proposal's
    buffer = io.BytesIO()
    book.save(buffer)
    before = (stored(), history(), monitoring.proposal.revision)
    response = preview(login_as(monitoring.participant), monitoring.proposal, buffer.getvalue())
    page = text_of(response)
    assert response.status_code == 422 and "tidak ada yang diimpor" in page and "Terapkan impor" not in page
    assert "Realisasi TW I (Rp)" in row_of(page, FIRST_ROW) and "jumlah realisasi sub kegiatannya" in row_of(
        page, FIRST_ROW
    )
    assert "Realisasi fisik: angka 0 atau lebih" in row_of(page, FIRST_ROW + 1)
    assert "Realisasi TW II (K)" in row_of(page, FIRST_ROW + 2) and "Paling banyak 2000 karakter" in row_of(
        page, FIRST_ROW + 2
    )
    assert "Realisasi anggaran: jumlah rupiah bulat" in row_of(page, FIRST_ROW + 3)
    assert "sudah diverifikasi" in row_of(page, FIRST_ROW + 3) and "Realisasi TW III (K)" in row_of(page, FIRST_ROW + 3)
    assert "ID 999999 bukan butir usulan ini" in row_of(page, FIRST_ROW + 4)
    assert f"ID {other.id} adalah butir usulan lain" in row_of(page, FIRST_ROW + 5)
    assert f"sudah ada di baris {FIRST_ROW + 3}" in row_of(page, FIRST_ROW + 6)  # the same item twice
    # Nothing was stored; a forged apply of the same file is refused too.
    forged = htmx_post(
        login_as(monitoring.participant),
        import_url(monitoring.proposal, "/terapkan"),
        {"content": base64.b64encode(buffer.getvalue()).decode(), "filename": "e.xlsx", "bases": "{}"},
    )
    assert forged.status_code == 422 and "ID 999999" in text_of(forged)
    db.session.expire_all()
    assert (stored(), history(), db.session.get(Proposal, monitoring.proposal.id).revision) == before


def test_one_error_keeps_every_other_value_out(monitoring: World, login_as: Callable) -> None:
    _program, _kegiatan, first, second = tree(monitoring.proposal)
    participant = login_as(monitoring.participant)
    good = evaluation_xlsx(tree(monitoring.proposal), {first.id: {"q1_physical": 1}, second.id: {"q1_physical": 2}})
    previewed = preview(participant, monitoring.proposal, good)
    bad = evaluation_xlsx(tree(monitoring.proposal), {first.id: {"q1_physical": 1}, second.id: {"q1_physical": "dua"}})
    # The apply re-reads the file: one bad cell, nothing stored (the preview's form carries another file).
    data = {"content": base64.b64encode(bad).decode(), "filename": "e.xlsx", "bases": hidden(previewed, "bases")}
    refused = htmx_post(participant, import_url(monitoring.proposal, "/terapkan"), data)
    assert refused.status_code == 422 and "Realisasi fisik" in text_of(refused)
    assert stored() == [] and history() == []


def test_rows_are_found_by_code_when_the_id_is_empty_and_the_name_is_checked(
    monitoring: World, login_as: Callable
) -> None:
    _program, _kegiatan, first, second = tree(monitoring.proposal)
    participant = login_as(monitoring.participant)
    content = evaluation_xlsx(tree(monitoring.proposal), {first.id: {"item_id": None, "q1_physical": 3}})
    page = text_of(preview(participant, monitoring.proposal, content))
    assert "1 nilai akan diubah" in page and first.code in row_of(page, FIRST_ROW + 2)
    renamed = evaluation_xlsx(
        tree(monitoring.proposal), {second.id: {"item_id": None, "name": "Lain", "q1_physical": 3}}
    )
    page = text_of(preview(participant, monitoring.proposal, renamed))
    assert "bernama “Sub kegiatan 2” di usulan" in row_of(page, FIRST_ROW + 3)
    unknown = evaluation_xlsx(tree(monitoring.proposal), {second.id: {"item_id": None, "code": "9.99.99"}})
    assert "Tidak ada butir usulan ini dengan kode 9.99.99" in text_of(
        preview(participant, monitoring.proposal, unknown)
    )


def test_notes_need_the_quarter_the_sheet_names(monitoring: World, login_as: Callable) -> None:
    _program, _kegiatan, first, _second = tree(monitoring.proposal)
    participant = login_as(monitoring.participant)
    numbers_only = evaluation_xlsx(tree(monitoring.proposal), {first.id: {"q1_physical": 1}}, label=None)
    assert "1 nilai akan diubah" in text_of(preview(participant, monitoring.proposal, numbers_only))
    notes = evaluation_xlsx(tree(monitoring.proposal), {first.id: {"problem": "Hujan"}}, label=None)
    refused = preview(participant, monitoring.proposal, notes)
    assert refused.status_code == 422 and "tidak menyebut triwulan" in row_of(text_of(refused), FIRST_ROW + 2)
    fourth = evaluation_xlsx(tree(monitoring.proposal), {first.id: {"problem": "Hujan"}}, label="Triwulan: IV")
    page = text_of(preview(participant, monitoring.proposal, fourth))
    assert "triwulan IV" in page and "Hujan" in row_of(page, FIRST_ROW + 2)


def test_a_value_changed_since_the_preview_refuses_the_whole_import(monitoring: World, login_as: Callable) -> None:
    _program, _kegiatan, first, second = tree(monitoring.proposal)
    participant, colleague = login_as(monitoring.participant), login_as(monitoring.participant)
    content = evaluation_xlsx(tree(monitoring.proposal), {first.id: {"q1_physical": 1}, second.id: {"q1_physical": 2}})
    previewed = preview(participant, monitoring.proposal, content)
    typed = htmx_post(colleague, f"/usulan/butir/{second.id}/realisasi/1/physical", {"value": "7", "base": ""})
    assert typed.status_code == 200
    before = (stored(), history())
    refused = apply_preview(participant, monitoring.proposal, previewed)
    again = text_of(refused)
    assert refused.status_code == 409 and "berubah sejak pratinjau" in again
    assert "Terapkan impor" in again and "7" in row_of(again, FIRST_ROW + 3)  # the new preview: 7 → 2
    assert (stored(), history()) == before  # the first value was not written either
    assert apply_preview(participant, monitoring.proposal, refused).status_code == 204
    assert [row[2] for row in stored()] == ["1", "2"]


def test_only_the_agencies_working_on_it_import_and_only_in_monitoring(world: World, login_as: Callable) -> None:
    content = evaluation_xlsx(tree(world.proposal), {tree(world.proposal)[2].id: {"q1_physical": 1}})
    participant = login_as(world.participant)
    early = preview(participant, world.proposal, content)
    assert early.status_code == 422 and "tahap Monev" in text_of(early)
    assert "tahap Monev" in text_of(participant.get(import_url(world.proposal)))
    world.event.phase = EventPhase.MONITORING
    db.session.commit()
    form = participant.get(import_url(world.proposal))
    assert form.status_code == 200 and 'name="file"' in form.get_data(as_text=True)
    for person in (world.other_participant, world.facilitator, world.reviewer, world.observer):
        client = login_as(person)
        assert client.get(import_url(world.proposal)).status_code == 403
        assert preview(client, world.proposal, content).status_code == 403
    assert stored() == []


@pytest.mark.parametrize(
    ("content", "filename", "message"),
    [
        (b"not a spreadsheet at all", "evaluasi.xlsx", "Berkas ini tidak dapat dibaca"),
        (b"PK\x03\x04 not really a zip", "evaluasi.xlsx", "Berkas ini tidak dapat dibaca"),
        (b"", "evaluasi.xlsx", "Pilih berkas XLSX"),
    ],
)
def test_files_that_are_not_the_form_are_refused(
    monitoring: World, login_as: Callable, content: bytes, filename: str, message: str
) -> None:
    response = preview(login_as(monitoring.participant), monitoring.proposal, content, filename)
    assert response.status_code == 422 and message in text_of(response)
    assert stored() == []


def test_a_zip_bomb_is_refused_without_reading_it(monitoring: World, login_as: Callable) -> None:
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (50 * 1024 * 1024))
    assert len(bomb.getvalue()) < 200_000
    response = preview(login_as(monitoring.participant), monitoring.proposal, bomb.getvalue())
    assert response.status_code == 422 and "menuntut kerja jauh lebih banyak" in text_of(response)
    assert stored() == []


def test_the_exported_evaluation_form_filled_in_imports_back(monitoring: World, login_as: Callable) -> None:
    exporter = pytest.importorskip("workspace.exports.renja_evaluation")
    _program, _kegiatan, first, second = tree(monitoring.proposal)
    participant = login_as(monitoring.participant)
    htmx_post(participant, f"/usulan/butir/{first.id}/realisasi/1/physical", {"value": "12,50", "base": ""})
    proposal = db.session.get(Proposal, monitoring.proposal.id)
    exported = exporter.agency_evaluation_xlsx(proposal_progress(proposal), 2)
    # Exported as it is: nothing to change (12,50 is the 12.5 the sheet holds).
    assert "sudah sesuai dengan berkas" in text_of(preview(participant, monitoring.proposal, exported))
    book = load_workbook(io.BytesIO(exported))
    sheet = book[SHEET_TITLE]
    header = next(row for row in range(1, 16) if sheet.cell(row=row, column=3).value == "Kode")
    columns = {sheet.cell(row=header, column=c).value: c for c in range(1, sheet.max_column + 1)}
    rows = {sheet.cell(row=r, column=columns["ID"]).value: r for r in range(header + 1, sheet.max_row + 1)}
    for item, physical, budget, problem in ((first, 3, 40_000_000, "Hujan"), (second, 1.5, 7_500_000, "")):
        sheet.cell(row=rows[item.id], column=columns["Realisasi TW II (K)"], value=physical)
        sheet.cell(row=rows[item.id], column=columns["Realisasi TW II (Rp)"], value=budget)
        sheet.cell(row=rows[item.id], column=columns["Permasalahan"], value=problem or None)
    buffer = io.BytesIO()
    book.save(buffer)
    previewed = preview(participant, monitoring.proposal, buffer.getvalue())
    assert "5 nilai akan diubah" in text_of(previewed)
    assert apply_preview(participant, monitoring.proposal, previewed).status_code == 204
    assert stored() == [
        (first.id, 1, "12,50", None, "", ""),
        (first.id, 2, "3", 40_000_000, "Hujan", ""),
        (second.id, 2, "1,5", 7_500_000, "", ""),
    ]
