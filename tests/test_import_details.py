"""Issue 17, item 10: import details. A new row takes the place it has in the file (not the end of
its kegiatan); a name that differs from the nomenclature is shown in the preview and kept as a
local name only when the user ticks it; the preview of a new row shows every field."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from flask.testing import FlaskClient

from tests.test_importing import ImportWorld, apply_preview, edited_xlsx, export, first_row, imports, login_as, preview
from workspace.extensions import db
from workspace.models import ItemLevel, ProposalItem

__all__ = ["imports", "login_as"]  # the fixtures, shared with test_importing


def _subs_in_order(proposal_id: int, parent_id: int) -> list[str]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(ProposalItem.code)
            .where(ProposalItem.proposal_id == proposal_id, ProposalItem.parent_id == parent_id)
            .order_by(ProposalItem.position)
        )
    )


def _insert_row_after(sheet, row: int, values: list) -> None:
    sheet.insert_rows(row + 1)
    for column, value in enumerate(values, start=1):
        sheet.cell(row=row + 1, column=column).value = value


def test_a_new_row_takes_its_place_in_the_file_and_the_preview_shows_every_field(
    imports: ImportWorld, login_as: Callable[..., FlaskClient]
) -> None:
    owner = login_as(imports.source_owner)
    content = export(owner, imports.source.id)
    state: dict = {}

    def insert(sheet) -> None:
        first = first_row(sheet, "Sub Kegiatan")
        state["code"] = sheet.cell(row=first, column=1).value
        state["new"] = "Sub kegiatan di tengah"
        _insert_row_after(
            sheet, first,
            ["", state["new"], "Sub Kegiatan", "Jumlah dokumen uji", 3, "Dokumen", "Kabupaten Uji", 12_500_000,
             "APBD", 4, 13_000_000, "2", "Ya"],
        )  # fmt: skip

    changed = edited_xlsx(content, insert)
    first_sub = db.session.scalar(
        sa.select(ProposalItem).where(ProposalItem.proposal_id == imports.source.id, ProposalItem.code == state["code"])
    )
    before = _subs_in_order(imports.source.id, first_sub.parent_id)
    page = preview(owner, imports.source.id, changed).get_data(as_text=True)
    assert "1 butir ditambahkan" in page
    for shown in ("Jumlah dokumen uji", "Dokumen", "Kabupaten Uji", "Rp 12.500.000", "APBD", "Rp 13.000.000"):
        assert shown in page, shown  # every field of the new row, not only code, name and budget
    assert apply_preview(owner, imports.source.id, page).status_code == 204
    after = db.session.scalars(
        sa.select(ProposalItem)
        .where(ProposalItem.proposal_id == imports.source.id, ProposalItem.parent_id == first_sub.parent_id)
        .order_by(ProposalItem.position)
    ).all()
    assert [item.name for item in after][1] == state["new"]  # right after the first, as in the file
    assert [item.code for item in after if item.code] == [code for code in before if code]
    assert len({item.position for item in after}) == len(after)


def test_a_name_that_differs_from_the_nomenclature_is_kept_only_when_ticked(
    imports: ImportWorld, login_as: Callable[..., FlaskClient]
) -> None:
    owner = login_as(imports.source_owner)
    content = export(owner, imports.source.id)
    state: dict = {}

    def rename(sheet) -> None:
        row = first_row(sheet, "Sub Kegiatan")
        state["row"], state["code"] = row, sheet.cell(row=row, column=1).value
        state["nomenclature"] = sheet.cell(row=row, column=2).value
        sheet.cell(row=row, column=2).value = "Nama setempat untuk sub kegiatan ini"

    changed = edited_xlsx(content, rename)
    item = db.session.scalar(
        sa.select(ProposalItem).where(ProposalItem.proposal_id == imports.source.id, ProposalItem.code == state["code"])
    )
    page = preview(owner, imports.source.id, changed).get_data(as_text=True)
    assert "Nama yang berbeda dari nomenklatur" in page
    assert "Nama setempat untuk sub kegiatan ini" in page and state["nomenclature"] in page
    assert f'name="keep_name" value="{state["row"]}"' in page

    # Not ticked: the nomenclature's name stays (and nothing else changed: nothing to apply).
    assert apply_preview(owner, imports.source.id, page).status_code in (200, 204)
    db.session.expire_all()
    assert db.session.get(ProposalItem, item.id).name == state["nomenclature"]

    # Ticked: the file's name is kept as a local name, with its history line.
    page = preview(owner, imports.source.id, changed).get_data(as_text=True)
    assert apply_preview(owner, imports.source.id, page, keep_name=str(state["row"])).status_code == 204
    db.session.expire_all()
    kept = db.session.get(ProposalItem, item.id)
    assert kept.name == "Nama setempat untuk sub kegiatan ini" and kept.code == state["code"]
    assert kept.level is ItemLevel.SUBKEGIATAN

    bad = apply_preview(owner, imports.source.id, page, keep_name="dua")
    assert bad.status_code == 400
