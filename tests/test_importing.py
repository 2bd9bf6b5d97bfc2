"""Import of a Renja spreadsheet into a proposal: the export → import round trip reproduces a
proposal exactly; every row error is listed with its row number and writes nothing; applying goes
through the write path (revisions, broadcast); stale previews and other agencies are refused."""

from __future__ import annotations

import base64
import html
import io
import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook

from tests.conftest import csrf_token_of, login
from tests.factories import PASSWORD, make_user
from workspace.extensions import db, socketio
from workspace.models import (
    Agency,
    AgencyKind,
    AgencyLevel,
    Event,
    ItemLevel,
    Proposal,
    ProposalItem,
    Revision,
    Role,
    User,
)
from workspace.services.demo import DEMO_EVENT_SLUG, DEMO_PASSWORD

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class ImportWorld:
    event: Event
    source: Proposal
    target: Proposal
    owner: User
    source_owner: User
    organiser: User
    observer: User


@pytest.fixture
def login_as(demo_app: Flask) -> Callable[..., FlaskClient]:
    """The conftest's `login_as`, on the demo app."""

    def _login(user: User, password: str = PASSWORD) -> FlaskClient:
        client = demo_app.test_client()
        login(client, user.username, password)
        return client

    return _login


@pytest.fixture
def imports(demo_app: Flask) -> ImportWorld:
    """The demo rakor, an empty proposal of Bappeda Kab. Mempawah and its participant."""
    event = db.session.scalar(sa.select(Event).where(Event.slug == DEMO_EVENT_SLUG))
    sambas = db.session.scalar(sa.select(Agency).where(Agency.short_name == "Kesbangpol Kab. Sambas"))
    mempawah = db.session.scalar(
        sa.select(Agency).where(
            Agency.level == AgencyLevel.KABUPATEN,
            Agency.kind == AgencyKind.BAPPEDA,
            Agency.region_name == "Kabupaten Mempawah",
        )
    )
    source = db.session.scalar(
        sa.select(Proposal).where(Proposal.event_id == event.id, Proposal.agency_id == sambas.id)
    )
    target = Proposal(event=event, agency=mempawah, plan_year=event.plan_year)
    db.session.add(target)
    # A local kegiatan outside the nomenclature, with a sub kegiatan of its own, travels too.
    program = source.root_items[0]
    local = ProposalItem(
        proposal=source,
        parent=program,
        level=ItemLevel.KEGIATAN,
        code="",
        position=99,
        name="Kegiatan Lokal: Sekolah Kebangsaan",
        outside_catalog=True,
    )
    db.session.add(local)
    db.session.add(
        ProposalItem(
            proposal=source,
            parent=local,
            level=ItemLevel.SUBKEGIATAN,
            code="",
            name="Kemah Kebangsaan Pelajar",
            outside_catalog=True,
            indicator="Jumlah pelajar",
            target="75,5",
            unit="persen",
            location="Sambas",
            budget=123_456_789,
            funding_source="APBD",
            forward_target="80",
            forward_budget=130_000_001,
        )
    )
    db.session.commit()
    return ImportWorld(
        event=event,
        source=source,
        target=target,
        owner=make_user(event, (Role.PARTICIPANT,), mempawah, name="Yohanes Bappeda Mempawah"),
        source_owner=make_user(event, (Role.PARTICIPANT,), sambas, name="Agus Kesbangpol Sambas"),
        organiser=make_user(event, (Role.ORGANISER,), None, name="Rina Sekretariat"),
        observer=make_user(event, (Role.OBSERVER,), None, name="Layar"),
    )


def tree_of(proposal_id: int) -> list[tuple]:
    """The proposal as an ordered list of rows, without ids: what an import must reproduce."""
    from workspace.exports.spreadsheet import ordered_items

    db.session.expire_all()
    proposal = db.session.get(Proposal, proposal_id)
    return [
        (
            item.level.value,
            item.parent.code if item.parent else None,
            item.code,
            item.name,
            item.outside_catalog,
            item.catalog_entry_id,
            item.indicator,
            item.target,
            item.unit,
            item.location,
            item.budget,
            item.funding_source,
            item.forward_target,
            item.forward_budget,
            tuple(d.number for d in item.directions),
        )
        for item in ordered_items(proposal)
    ]


def stored_state(proposal_id: int) -> tuple:
    db.session.expire_all()
    revision = db.session.get(Proposal, proposal_id).revision
    revisions = db.session.scalar(sa.select(sa.func.count(Revision.id)).where(Revision.proposal_id == proposal_id))
    return revision, revisions, tree_of(proposal_id)


def export(client: FlaskClient, proposal_id: int, kind: str = "xlsx") -> bytes:
    response = client.get(f"/usulan/{proposal_id}/ekspor.{kind}")
    assert response.status_code == 200
    return response.data


def preview(client: FlaskClient, proposal_id: int, content: bytes, filename: str = "renja.xlsx", **form):
    token = csrf_token_of(client, f"/usulan/{proposal_id}/impor")
    data = {"csrf_token": token, "file": (io.BytesIO(content), filename), **form}
    return client.post(
        f"/usulan/{proposal_id}/impor", data=data, content_type="multipart/form-data", headers={"HX-Request": "true"}
    )


def hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert match, f"no hidden {name} in the preview"
    return html.unescape(match.group(1))


def apply_preview(client: FlaskClient, proposal_id: int, page: str, **overrides: str):
    token = csrf_token_of(client, f"/usulan/{proposal_id}/impor")
    data = {
        "csrf_token": token,
        "content": hidden(page, "content"),
        "filename": hidden(page, "filename"),
        "revision": hidden(page, "revision"),
    }
    if 'name="delete_missing"' in page:
        data["delete_missing"] = "1"
    data.update(overrides)
    return client.post(f"/usulan/{proposal_id}/impor/terapkan", data=data, headers={"HX-Request": "true"})


def edited_xlsx(content: bytes, edit: Callable) -> bytes:
    workbook = load_workbook(io.BytesIO(content))
    edit(workbook.active)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def first_row(sheet, level: str, after: int = 0) -> int:
    for row in range(6, sheet.max_row + 1):
        if sheet.cell(row=row, column=3).value == level and row > after:
            return row
    raise AssertionError(level)


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_export_then_import_into_an_empty_proposal_reproduces_it_exactly(
    imports: ImportWorld, login_as: Callable[..., FlaskClient], kind: str
) -> None:
    content = export(login_as(imports.organiser), imports.source.id, kind)
    owner = login_as(imports.owner)
    response = preview(owner, imports.target.id, content, filename=f"renja.{kind}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page
    expected = tree_of(imports.source.id)
    assert f"{len(expected)} butir ditambahkan" in page
    applied = apply_preview(owner, imports.target.id, page)
    assert applied.status_code == 204 and applied.headers["HX-Redirect"] == f"/usulan/{imports.target.id}"

    assert tree_of(imports.target.id) == expected
    assert sum(1 for row in expected if row[0] == "subkegiatan" and row[4]) == 1
    creations = db.session.scalars(
        sa.select(Revision).where(Revision.proposal_id == imports.target.id).order_by(Revision.proposal_revision)
    ).all()
    assert [r.action for r in creations] == ["create"] * len(expected)
    assert {r.user_id for r in creations} == {imports.owner.id}
    assert [r.proposal_revision for r in creations] == list(range(1, len(expected) + 1))
    assert db.session.get(Proposal, imports.target.id).revision == len(expected)

    # The same file again: nothing to import, nothing written.
    before = stored_state(imports.target.id)
    again = preview(owner, imports.target.id, content, filename=f"renja.{kind}").get_data(as_text=True)
    assert "tidak ada yang perlu diimpor" in again and "Terapkan impor" not in again
    assert stored_state(imports.target.id) == before


def test_the_event_workbook_imports_the_sheet_of_the_proposal_agency(
    imports: ImportWorld, login_as: Callable[..., FlaskClient]
) -> None:
    workbook = login_as(imports.organiser).get(f"/rakor/{imports.event.id}/ekspor.xlsx").data
    owner = login_as(imports.source_owner)
    page = preview(owner, imports.source.id, workbook).get_data(as_text=True)
    assert "tidak ada yang perlu diimpor" in page  # it found Sambas's own sheet, identical to the proposal
    other = login_as(imports.owner)
    empty_sheet = preview(other, imports.target.id, workbook)  # Mempawah's own sheet has no rows yet
    assert empty_sheet.status_code == 422
    assert "Berkas tidak berisi baris butir" in empty_sheet.get_data(as_text=True)
    without = load_workbook(io.BytesIO(workbook))
    del without[next(name for name in without.sheetnames if "Mempawah" in name)]
    buffer = io.BytesIO()
    without.save(buffer)
    refused = preview(other, imports.target.id, buffer.getvalue())
    assert refused.status_code == 422
    assert "tidak berisi baris untuk" in refused.get_data(as_text=True)
    event_csv = login_as(imports.organiser).get(f"/rakor/{imports.event.id}/ekspor.csv").data
    refused = preview(other, imports.target.id, event_csv, filename="rakor.csv")
    assert "tidak berisi baris untuk" in refused.get_data(as_text=True)
    assert "tidak ada yang perlu diimpor" in preview(owner, imports.source.id, event_csv, filename="r.csv").get_data(
        as_text=True
    )


def test_an_import_changes_fields_with_revisions(imports: ImportWorld, login_as: Callable[..., FlaskClient]) -> None:
    owner = login_as(imports.source_owner)
    content = export(owner, imports.source.id)
    sub = None

    def edit(sheet) -> None:
        nonlocal sub
        sub = first_row(sheet, "Sub Kegiatan")
        sheet.cell(row=sub, column=8).value = 987_654_321  # budget
        sheet.cell(row=sub, column=5).value = 9  # target
        sheet.cell(row=sub, column=12).value = "2, 3"  # directions

    changed = edited_xlsx(content, edit)
    code = load_workbook(io.BytesIO(changed)).active.cell(row=sub, column=1).value
    item = db.session.scalar(
        sa.select(ProposalItem).where(ProposalItem.proposal_id == imports.source.id, ProposalItem.code == code)
    )
    old_budget = item.budget
    page = preview(owner, imports.source.id, changed).get_data(as_text=True)
    assert "0 butir ditambahkan, 1 butir diubah" in page
    assert "Rp 987.654.321" in page and f"Rp {old_budget:,}".replace(",", ".") in page
    revision_before = db.session.get(Proposal, imports.source.id).revision
    assert apply_preview(owner, imports.source.id, page).status_code == 204

    db.session.expire_all()
    item = db.session.get(ProposalItem, item.id)
    assert (item.budget, item.target, [d.number for d in item.directions]) == (987_654_321, "9", [2, 3])
    history = db.session.scalars(
        sa.select(Revision).where(
            Revision.proposal_id == imports.source.id, Revision.proposal_revision > revision_before
        )
    ).all()
    assert {(r.action, r.field) for r in history} == {
        ("import", "budget"),
        ("import", "target"),
        ("import", "directions"),
    }
    assert next(r for r in history if r.field == "budget").old_value == str(old_budget)
    assert db.session.get(Proposal, imports.source.id).revision == revision_before + 3
    detail = owner.get(f"/usulan/{imports.source.id}").get_data(as_text=True)
    assert "mengimpor" in detail  # the history panel shows the imported changes


def test_an_applied_import_is_broadcast_once_with_the_changed_rows(loose_app: Flask, loose_world) -> None:
    from tests.factories import make_catalog_entry
    from workspace.models import CatalogLevel

    world = loose_world
    with loose_app.app_context():
        make_catalog_entry("8.01.02", CatalogLevel.PROGRAM, applies_to="both")
        make_catalog_entry("8.01.02.2.01", CatalogLevel.KEGIATAN)
        for n in (1, 2):
            make_catalog_entry(f"8.01.02.2.01.000{n}", CatalogLevel.SUBKEGIATAN)
    owner = loose_app.test_client()
    login(owner, world.participant.username)
    watcher_http = loose_app.test_client()
    login(watcher_http, world.organiser.username)
    watcher = socketio.test_client(loose_app, flask_test_client=watcher_http)
    assert watcher.emit("proposal:join", {"proposal_id": world.proposal.id}, callback=True)["ok"]
    assert watcher.emit("event:join", {"event_id": world.event.id}, callback=True)["ok"]
    watcher.get_received()

    content = edited_xlsx(export(owner, world.proposal.id), _sub_row_edit(8, 444_555_666))
    page = preview(owner, world.proposal.id, content).get_data(as_text=True)
    assert "1 butir diubah" in page
    assert watcher.get_received() == []  # a preview changes nothing, so tells nobody
    assert apply_preview(owner, world.proposal.id, page).status_code == 204
    received = watcher.get_received()
    changes = [e["args"][0] for e in received if e["name"] == "proposal:changed"]
    assert len(changes) == 1
    # One change: the tree's order and the rows it changed (fragments/structure.py), not the tree.
    fragments = changes[0]["fragments"]
    assert f"proposal-{world.proposal.id}-tree" not in fragments
    (item_id,) = changes[0]["change"]["item_ids"]
    assert "444.555.666" in fragments[f"item-{item_id}"]
    program, kegiatan = [i for _program, ids in changes[0]["order"] for i in ids][:2]
    for above in (f"item-{program}", f"item-{kegiatan}", f"proposal-{world.proposal.id}-totals"):
        assert "694.555.666" in fragments[above]  # 444,555,666 + the other sub kegiatan's 250,000,000
    assert [h for h in changes[0]["history"] if "mengimpor" in h]
    signals = [e["args"][0] for e in received if e["name"] == "event:proposal-changed"]
    assert signals == [{"proposal_id": world.proposal.id, "revision": changes[0]["revision"]}]
    watcher.disconnect()


def test_items_missing_from_the_file_are_kept_unless_removal_is_asked(
    imports: ImportWorld, login_as: Callable[..., FlaskClient]
) -> None:
    owner = login_as(imports.source_owner)
    content = export(owner, imports.source.id)
    removed_code = None

    def drop_a_sub(sheet) -> None:
        nonlocal removed_code
        row = first_row(sheet, "Sub Kegiatan")
        removed_code = sheet.cell(row=row, column=1).value
        sheet.delete_rows(row)

    shorter = edited_xlsx(content, drop_a_sub)
    kept = preview(owner, imports.source.id, shorter).get_data(as_text=True)
    assert "dipertahankan" in kept and "tidak ada yang perlu diimpor" in kept
    removing = preview(owner, imports.source.id, shorter, delete_missing="1").get_data(as_text=True)
    assert "1 butir akan dihapus" in removing
    assert apply_preview(owner, imports.source.id, removing).status_code == 204
    db.session.expire_all()
    codes = set(db.session.scalars(sa.select(ProposalItem.code).where(ProposalItem.proposal_id == imports.source.id)))
    assert removed_code not in codes
    deletion = db.session.scalar(
        sa.select(Revision).where(Revision.proposal_id == imports.source.id, Revision.action == "delete")
    )
    assert deletion is not None and removed_code in deletion.item_label


def _sub_row_edit(column: int, value: object) -> Callable:
    def edit(sheet) -> None:
        sheet.cell(row=first_row(sheet, "Sub Kegiatan"), column=column).value = value

    return edit


def _duplicate_code(sheet) -> None:
    first = first_row(sheet, "Sub Kegiatan")
    second = first_row(sheet, "Sub Kegiatan", after=first)
    sheet.cell(row=second, column=1).value = sheet.cell(row=first, column=1).value


def _kegiatan_code_on_a_sub(sheet) -> None:
    kegiatan = first_row(sheet, "Kegiatan")
    sheet.cell(row=first_row(sheet, "Sub Kegiatan"), column=1).value = sheet.cell(row=kegiatan, column=1).value


def _province_digit(sheet) -> None:
    row = first_row(sheet, "Sub Kegiatan")
    code = sheet.cell(row=row, column=1).value.split(".")
    code[3] = "1"
    sheet.cell(row=row, column=1).value = ".".join(code)


def _unknown_code(sheet) -> None:
    row = first_row(sheet, "Sub Kegiatan")
    sheet.cell(row=row, column=1).value = sheet.cell(row=row, column=1).value[:-4] + "9999"


IMPORT_ERRORS = {
    "bad code": (_sub_row_edit(1, "8.01.AB.2.01.0001"), "bukan kode nomenklatur"),
    "code of the wrong level": (_kegiatan_code_on_a_sub, "adalah kode kegiatan, tetapi baris ini sub kegiatan"),
    "province code in a kabupaten proposal": (_province_digit, "Digit tingkat pada"),
    "code outside the nomenclature": (_unknown_code, "tidak ada dalam nomenklatur"),
    "non-numeric budget": (_sub_row_edit(8, "seratus juta"), "Pagu indikatif: Isi jumlah rupiah"),
    "negative budget": (_sub_row_edit(8, -5_000_000), "Pagu indikatif: Isi jumlah rupiah"),
    "budget with a fraction": (_sub_row_edit(8, 1_250_000.5), "Pagu indikatif: Rupiah adalah bilangan bulat"),
    "huge budget": (_sub_row_edit(8, 10**15), "Pagu indikatif: Jumlahnya melebihi Rp 100 triliun"),
    "non-numeric forward budget": (_sub_row_edit(11, "1,5 M"), "Pagu n+1: Isi jumlah rupiah"),
    "missing indicator": (_sub_row_edit(4, None), "Indikator: Isian ini wajib diisi"),
    "missing unit": (_sub_row_edit(6, "  "), "Satuan: Isian ini wajib diisi"),
    "target not a number for a count unit": (_sub_row_edit(5, "empat"), "Target: Target harus berupa bilangan bulat"),
    "unknown direction": (_sub_row_edit(12, "3, 9"), "Amanat Presiden nomor 9 tidak dikenal"),
    "unknown level": (_sub_row_edit(3, "Subkeg"), "tidak dikenal: gunakan Program, Kegiatan atau Sub Kegiatan"),
    "duplicate code": (_duplicate_code, "muncul dua kali"),
    "too long location": (_sub_row_edit(7, "x" * 201), "Lokasi: Paling banyak 200 karakter"),
}


@pytest.mark.parametrize("case", sorted(IMPORT_ERRORS))
def test_each_import_error_is_listed_with_its_row_and_nothing_is_written(
    imports: ImportWorld, login_as: Callable[..., FlaskClient], case: str
) -> None:
    edit, message = IMPORT_ERRORS[case]
    owner = login_as(imports.source_owner)
    original = export(owner, imports.source.id)
    content = edited_xlsx(original, edit)
    sheet = load_workbook(io.BytesIO(original)).active
    bad_row = first_row(sheet, "Sub Kegiatan")
    if case == "duplicate code":
        bad_row = first_row(sheet, "Sub Kegiatan", after=bad_row)
    before = stored_state(imports.source.id)
    response = preview(owner, imports.source.id, content)
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    assert "tidak ada yang diimpor" in page
    assert f"Baris {bad_row}: " in page and message in page, page[page.find("import-errors") :][:600]
    assert "Terapkan impor" not in page
    assert stored_state(imports.source.id) == before

    # Sending the bad file straight to "apply" (no preview) is refused the same way.
    token = csrf_token_of(owner, f"/usulan/{imports.source.id}/impor")
    forced = owner.post(
        f"/usulan/{imports.source.id}/impor/terapkan",
        data={
            "csrf_token": token,
            "content": base64.b64encode(content).decode(),
            "filename": "x.xlsx",
            "revision": str(before[0]),
        },
        headers={"HX-Request": "true"},
    )
    assert forced.status_code == 422 and message in html.unescape(forced.get_data(as_text=True))
    assert stored_state(imports.source.id) == before


def test_every_error_of_a_file_is_listed_in_row_order(
    imports: ImportWorld, login_as: Callable[..., FlaskClient]
) -> None:
    csv_text = "\ufeff" + "\r\n".join(
        [
            "Kode;Program / Kegiatan / Sub Kegiatan;Tingkat;Indikator;Target;Satuan;Lokasi;Pagu Indikatif (Rp);"
            "Sumber Dana;Target n+1;Pagu n+1 (Rp);Amanat Presiden;Di Luar Nomenklatur",
            "8.01.02.2.01.0001;Sub tanpa kegiatan;Sub Kegiatan;Jumlah;1;dokumen;;1000;;;;;",
            "8.01.02;PROGRAM;Program;;;;;;;;;;",
            ";;Kegiatan;;;;;;;;;;",
            ";Kegiatan lokal;Kegiatan;;;;;;;;;;Ya",
            ";Sub lokal;Sub Kegiatan;;1;dokumen;;abc;;;;;Ya",
            "8.01.03.2.01;Kegiatan di program lain;Kegiatan;;;;;;;;;;",
        ]
    )
    owner = login_as(imports.owner)
    before = stored_state(imports.target.id)
    response = preview(owner, imports.target.id, csv_text.encode("utf-8"), filename="renja.csv")
    page = html.unescape(response.get_data(as_text=True))
    rows = [int(n) for n in re.findall(r'data-row="(\d+)"', page)]
    assert response.status_code == 422
    assert rows == sorted(rows) and set(rows) == {2, 4, 6, 7}
    assert "Baris 2: Baris sub kegiatan ini tidak memiliki kegiatan di atasnya." in page
    assert "Baris 4: Baris tidak memiliki tingkat" not in page  # it has a level; it lacks a code
    assert "Baris 4: Kode kosong" in page
    assert "Baris 6: Indikator: Isian ini wajib diisi" in page and "Baris 6: Pagu indikatif" in page
    assert "Baris 7: 8.01.03.2.01 tidak berada di bawah 8.01.02." in page
    assert stored_state(imports.target.id) == before


@pytest.mark.parametrize(
    ("content", "filename", "message"),
    [
        (b"", "kosong.xlsx", "Pilih berkas XLSX atau CSV"),
        (b"PK\x03\x04 not really a zip", "rusak.xlsx", "Berkas ini tidak dapat dibaca"),
        (b"Nama;Jabatan\nBudi;Analis\n", "peserta.csv", "Berkas ini tidak dapat dibaca"),
        (b"Kode;Program / Kegiatan / Sub Kegiatan\n", "kosong.csv", "Berkas tidak berisi baris butir"),
        (b"\x00\xff\xfe garbage \x00", "sampah.csv", "Berkas ini tidak dapat dibaca"),
    ],
)
def test_unreadable_files_are_refused_with_a_clear_message(
    imports: ImportWorld, login_as: Callable[..., FlaskClient], content: bytes, filename: str, message: str
) -> None:
    owner = login_as(imports.owner)
    before = stored_state(imports.target.id)
    response = preview(owner, imports.target.id, content, filename=filename)
    assert response.status_code == 422
    assert message in html.unescape(response.get_data(as_text=True))
    assert stored_state(imports.target.id) == before


def test_a_damaged_preview_is_refused(imports: ImportWorld, login_as: Callable[..., FlaskClient]) -> None:
    owner = login_as(imports.owner)
    before = stored_state(imports.target.id)
    token = csrf_token_of(owner, f"/usulan/{imports.target.id}/impor")
    response = owner.post(
        f"/usulan/{imports.target.id}/impor/terapkan",
        data={"csrf_token": token, "content": "!!not base64!!", "filename": "x.xlsx", "revision": "0"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 422 and "rusak" in response.get_data(as_text=True)
    for revision in ("", "-1", "abc", "9" * 20):
        response = owner.post(
            f"/usulan/{imports.target.id}/impor/terapkan",
            data={"csrf_token": token, "content": "", "revision": revision},
            headers={"HX-Request": "true"},
        )
        assert response.status_code == 400
    assert stored_state(imports.target.id) == before


def test_a_preview_that_went_stale_is_not_applied(imports: ImportWorld, login_as: Callable[..., FlaskClient]) -> None:
    owner = login_as(imports.source_owner)
    content = edited_xlsx(export(owner, imports.source.id), _sub_row_edit(8, 111_111_111))
    page = preview(owner, imports.source.id, content).get_data(as_text=True)
    # Meanwhile a colleague edits the proposal live.
    from workspace.services import editing

    item = next(i for i in db.session.get(Proposal, imports.source.id).items if i.level is ItemLevel.SUBKEGIATAN)
    editing.update_field(imports.source_owner, item.id, "location", "Sajingan Besar", item.location)
    before = stored_state(imports.source.id)
    response = apply_preview(owner, imports.source.id, page)
    text = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Usulan berubah sejak pratinjau" in text and "Terapkan impor" in text  # a new preview to confirm
    assert stored_state(imports.source.id) == before


@pytest.mark.parametrize("who", ["owner", "organiser", "observer"])
def test_only_the_agency_participants_import_into_its_proposal(
    imports: ImportWorld, login_as: Callable[..., FlaskClient], who: str
) -> None:
    client = login_as(getattr(imports, who))
    content = export(login_as(imports.organiser), imports.source.id)
    before = stored_state(imports.source.id)
    assert client.get(f"/usulan/{imports.source.id}/impor").status_code == 403
    response = preview(client, imports.source.id, content)
    assert response.status_code == 403
    assert "Hanya peserta dari" in response.get_data(as_text=True)
    assert stored_state(imports.source.id) == before


def test_import_needs_a_csrf_token(imports: ImportWorld, login_as: Callable[..., FlaskClient]) -> None:
    owner = login_as(imports.owner)
    before = stored_state(imports.target.id)
    response = owner.post(
        f"/usulan/{imports.target.id}/impor",
        data={"file": (io.BytesIO(b"x"), "x.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert stored_state(imports.target.id) == before


def _zip_with_dimension(content: bytes, dimension: str) -> bytes:
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename.startswith("xl/worksheets/sheet"):
                data = re.sub(rb'<dimension ref="[^"]*"/>', f'<dimension ref="{dimension}"/>'.encode(), data)
            target.writestr(info, data)
    return buffer.getvalue()


def test_a_workbook_with_a_wrong_dimension_is_still_read_whole(
    imports: ImportWorld, login_as: Callable[..., FlaskClient]
) -> None:
    """Some tools write a <dimension> smaller than the sheet; every row and column is read anyway."""
    owner = login_as(imports.source_owner)
    narrowed = _zip_with_dimension(export(owner, imports.source.id), "A1:C4")
    page = preview(owner, imports.source.id, narrowed, delete_missing="1").get_data(as_text=True)
    assert "tidak ada yang perlu diimpor" in page and "0 butir akan dihapus" in page


def test_oversized_imports_are_refused_before_they_stall_the_server(
    imports: ImportWorld, login_as: Callable[..., FlaskClient]
) -> None:
    import zipfile

    owner = login_as(imports.owner)
    before = stored_state(imports.target.id)
    header = "Kode;Program / Kegiatan / Sub Kegiatan;Tingkat\n"
    many = header + "".join(f";Program lokal {n};Program\n" for n in range(3001))
    response = preview(owner, imports.target.id, many.encode(), filename="banyak.csv")
    assert response.status_code == 422 and "lebih dari 3000 baris" in response.get_data(as_text=True)
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (50 * 1024 * 1024))
    response = preview(owner, imports.target.id, bomb.getvalue())
    assert response.status_code == 422 and "menuntut kerja jauh lebih banyak" in response.get_data(as_text=True)
    # A stray carriage return splits a row (a row error, not a crash); a giant field is unreadable.
    stray = preview(owner, imports.target.id, (header + ";Program\rlokal;Program\n").encode(), filename="r.csv")
    assert stray.status_code == 422 and "Baris" in stray.get_data(as_text=True)
    giant = preview(owner, imports.target.id, (header + ";" + "x" * 200_000 + ";Program\n").encode(), filename="g.csv")
    assert giant.status_code == 422 and "menuntut kerja jauh lebih banyak" in giant.get_data(as_text=True)
    token = csrf_token_of(owner, f"/usulan/{imports.target.id}/impor")
    huge = owner.post(
        f"/usulan/{imports.target.id}/impor/terapkan",
        data={"csrf_token": token, "content": "A" * (6 * 1024 * 1024), "filename": "x.xlsx", "revision": "0"},
        headers={"HX-Request": "true"},
    )
    assert huge.status_code == 422 and "lebih besar dari" in huge.get_data(as_text=True)
    assert stored_state(imports.target.id) == before


def test_decimal_money_and_foreign_files_are_caught_in_the_preview(
    imports: ImportWorld, login_as: Callable[..., FlaskClient]
) -> None:
    owner = login_as(imports.source_owner)
    content = edited_xlsx(export(owner, imports.source.id), _sub_row_edit(8, 12.345))
    page = html.unescape(preview(owner, imports.source.id, content).get_data(as_text=True))
    assert "Pagu indikatif: Rupiah adalah bilangan bulat" in page
    other = login_as(imports.owner)
    foreign = html.unescape(preview(other, imports.target.id, export(owner, imports.source.id)).get_data(as_text=True))
    assert "Berkas ini adalah usulan Badan Kesatuan Bangsa dan Politik Kabupaten Sambas" in foreign
    assert "Terapkan impor" in foreign  # a warning: copying a neighbour's plan is allowed, knowingly


def test_a_local_item_named_jumlah_is_not_taken_for_the_total_row(
    imports: ImportWorld, login_as: Callable[..., FlaskClient]
) -> None:
    program = imports.source.root_items[0]
    db.session.add(
        ProposalItem(
            proposal=imports.source,
            parent=program,
            level=ItemLevel.KEGIATAN,
            code="",
            name="Jumlah",
            outside_catalog=True,
            position=120,
        )
    )
    db.session.commit()
    owner = login_as(imports.source_owner)
    content = export(owner, imports.source.id)
    page = preview(owner, imports.source.id, content, delete_missing="1").get_data(as_text=True)
    assert "tidak ada yang perlu diimpor" in page and "0 butir akan dihapus" in page


def test_a_long_agreement_note_is_printed_in_full_after_the_pdf_table(
    demo_app: Flask, login_as: Callable[..., FlaskClient]
) -> None:
    from pypdf import PdfReader

    from workspace.models import Session as MeetingSession
    from workspace.services import agreements

    event = db.session.scalar(sa.select(Event).where(Event.slug == DEMO_EVENT_SLUG))
    facilitator = db.session.scalar(sa.select(User).where(User.username == "fasilitator"))
    plenary = db.session.scalar(sa.select(MeetingSession).where(MeetingSession.event_id == event.id))
    proposal = event.proposals[0]
    note = "Catatan panjang tentang indikator. " * 57  # about 2,000 characters, the longest allowed
    agreements.record_agreement(facilitator, plenary.id, proposal.id, "agreed_with_notes", note[:2000])
    response = login_as(facilitator, DEMO_PASSWORD).get(f"/rakor/{event.id}/berita-acara.pdf?sesi={plenary.id}")
    assert response.status_code == 200
    text = re.sub(r"\s+", " ", " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages))
    assert "Catatan lengkap" in text and text.count("Catatan panjang tentang indikator.") > 50
