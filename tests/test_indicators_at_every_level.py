"""Issue 18, item 1: indicators at every level, as the Renja form has them — a program's outcome
indicator, a kegiatan's output indicator, each with target and unit — and a catatan penting on
every item. Edited through the live path like every other field, in the XLSX/CSV export and
import, and in the matrix drill-down."""

from __future__ import annotations

import io
from collections.abc import Callable

import sqlalchemy as sa
from openpyxl import load_workbook

from tests.conftest import htmx_post
from tests.factories import World
from tests.test_importing import ImportWorld, apply_preview, edited_xlsx, export, first_row, imports, preview
from tests.test_importing import login_as as demo_login_as
from workspace.extensions import db
from workspace.models import ItemLevel, ProposalItem, Revision

__all__ = ["demo_login_as", "imports"]  # fixtures shared with test_importing


def _item(world: World, level: ItemLevel) -> ProposalItem:
    return next(i for i in world.proposal.items if i.level is level)


def _edit(client, item: ProposalItem, field: str, value: str):
    base = str(getattr(item, field) or "")
    return htmx_post(client, f"/usulan/butir/{item.id}/ubah/{field}", {"value": value, "base": base})


def _fresh(item_id: int) -> ProposalItem:
    db.session.expire_all()
    return db.session.get(ProposalItem, item_id)


def test_a_programs_outcome_and_a_kegiatans_output_are_edited_live_with_history(
    world: World, login_as: Callable
) -> None:
    participant = login_as(world.participant)
    program, kegiatan = _item(world, ItemLevel.PROGRAM), _item(world, ItemLevel.KEGIATAN)
    for field, value in (("indicator", "Persentase potensi konflik yang tertangani"), ("unit", "persen")):
        response = _edit(participant, _fresh(program.id), field, value)
        assert response.status_code == 200, response.get_data(as_text=True)
    response = _edit(participant, _fresh(program.id), "target", "90")
    assert response.status_code == 200 and "Outcome" in response.get_data(as_text=True)
    assert _edit(participant, _fresh(kegiatan.id), "indicator", "Jumlah dokumen kebijakan").status_code == 200
    assert _edit(participant, _fresh(kegiatan.id), "note", "Selaras dengan RPJMD 2023–2026").status_code == 200
    stored = _fresh(program.id)
    assert (stored.indicator, stored.target, stored.unit) == (
        "Persentase potensi konflik yang tertangani",
        "90",
        "persen",
    )
    assert _fresh(kegiatan.id).note == "Selaras dengan RPJMD 2023–2026"
    fields = set(db.session.scalars(sa.select(Revision.field).where(Revision.proposal_id == world.proposal.id)))
    assert {"indicator", "unit", "target", "note"} <= fields
    page = participant.get(f"/usulan/{world.proposal.id}").get_data(as_text=True)
    assert f'id="item-{program.id}-indicator"' in page and f'id="item-{kegiatan.id}-note"' in page
    assert "Catatan penting" in page and "Keluaran" in page


def test_bad_values_at_the_upper_levels_are_refused_and_change_nothing(world: World, login_as: Callable) -> None:
    participant = login_as(world.participant)
    program, sub = _item(world, ItemLevel.PROGRAM), _item(world, ItemLevel.SUBKEGIATAN)
    assert _edit(participant, _fresh(program.id), "unit", "persen").status_code == 200
    for field, value, message in (
        ("target", "sembilan puluh", "persentase antara 0 dan 100"),
        ("target", "120", "persentase antara 0 dan 100"),
        ("note", "x" * 1001, "Paling banyak 1000 karakter"),
    ):
        before = _fresh(program.id)
        before_value = getattr(before, field)
        response = _edit(participant, before, field, value)
        assert response.status_code == 422 and message in response.get_data(as_text=True), (field, value)
        assert getattr(_fresh(program.id), field) == before_value
    assert _edit(participant, _fresh(program.id), "indicator", "").status_code == 200  # optional up there
    refused = _edit(participant, _fresh(sub.id), "indicator", "")
    assert refused.status_code == 422 and _fresh(sub.id).indicator  # required on a sub kegiatan


def test_the_upper_levels_indicators_and_the_notes_go_out_and_come_back_in_the_spreadsheet(
    world: World, login_as: Callable
) -> None:
    participant = login_as(world.participant)
    program, kegiatan = _item(world, ItemLevel.PROGRAM), _item(world, ItemLevel.KEGIATAN)
    _edit(participant, _fresh(program.id), "indicator", "Indeks kerukunan")
    _edit(participant, _fresh(kegiatan.id), "note", "Catatan uji")
    exported = participant.get(f"/usulan/{world.proposal.id}/ekspor.xlsx").data
    workbook = load_workbook(io.BytesIO(exported))
    sheet = workbook.active
    headers = [cell.value for cell in sheet[5]]
    assert headers[-1] == "Catatan Penting"
    rows = {row[0].value: row for row in sheet.iter_rows(min_row=6) if row[0].value}
    assert rows[program.code][headers.index("Indikator")].value == "Indeks kerukunan"
    assert rows[kegiatan.code][headers.index("Catatan Penting")].value == "Catatan uji"
    csv_text = participant.get(f"/usulan/{world.proposal.id}/ekspor.csv").data.decode("utf-8-sig")
    assert csv_text.splitlines()[0].endswith(";Catatan Penting") and "Indeks kerukunan" in csv_text


def test_the_upper_levels_indicators_and_notes_come_back_through_the_import(
    imports: ImportWorld, demo_login_as: Callable
) -> None:
    """On the demo (its nomenclature): a program's outcome and a kegiatan's note changed in the
    exported file are listed in the preview and stored by the apply."""
    owner = demo_login_as(imports.source_owner)
    content = export(owner, imports.source.id)
    state: dict = {}

    def edit(sheet) -> None:
        headers = [cell.value for cell in sheet[5]]
        program, kegiatan = first_row(sheet, "Program"), first_row(sheet, "Kegiatan")
        state["program"], state["kegiatan"] = (
            sheet.cell(row=program, column=1).value,
            sheet.cell(row=kegiatan, column=1).value,
        )
        sheet.cell(row=program, column=headers.index("Indikator") + 1).value = "Indeks kerukunan umat beragama"
        sheet.cell(row=program, column=headers.index("Target") + 1).value = "75"
        sheet.cell(row=program, column=headers.index("Satuan") + 1).value = "persen"
        sheet.cell(row=kegiatan, column=headers.index("Catatan Penting") + 1).value = "Catatan dari berkas"

    changed = edited_xlsx(content, edit)
    page = preview(owner, imports.source.id, changed).get_data(as_text=True)
    assert "2 butir diubah" in page and "Indeks kerukunan umat beragama" in page and "Catatan dari berkas" in page
    assert apply_preview(owner, imports.source.id, page).status_code == 204
    db.session.expire_all()
    by_code = {
        item.code: item
        for item in db.session.scalars(sa.select(ProposalItem).where(ProposalItem.proposal_id == imports.source.id))
    }
    program = by_code[state["program"]]
    assert (program.indicator, program.target, program.unit) == ("Indeks kerukunan umat beragama", "75", "persen")
    assert by_code[state["kegiatan"]].note == "Catatan dari berkas"


def test_the_matrix_drill_down_shows_the_output_and_outcome_above_the_sub_kegiatan(
    world: World, login_as: Callable
) -> None:
    participant = login_as(world.participant)
    program, kegiatan = _item(world, ItemLevel.PROGRAM), _item(world, ItemLevel.KEGIATAN)
    _edit(participant, _fresh(kegiatan.id), "indicator", "Jumlah kebijakan teknis")
    _edit(participant, _fresh(program.id), "indicator", "Indeks kerukunan")
    row = kegiatan.code.replace(f".{world.agency.level.code_level_digit}.", ".x.", 1)
    drill = participant.get(
        f"/rakor/{world.event.id}/matriks/sel?baris={row}&wilayah={world.agency.region_code}"
    ).get_data(as_text=True)
    assert f"Keluaran · {kegiatan.code}: Jumlah kebijakan teknis" in drill
    assert f"Outcome · {program.code}: Indeks kerukunan" in drill
