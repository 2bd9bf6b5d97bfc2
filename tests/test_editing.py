"""Editing over HTTP: every field, compare-and-set conflicts, validation, permissions, tree changes."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from tests.conftest import htmx_post
from tests.factories import World, make_catalog_entry, make_direction
from workspace.extensions import db
from workspace.models import CatalogLevel, ItemLevel, Proposal, ProposalItem, Revision


def sub_items(proposal: Proposal) -> list[ProposalItem]:
    return sorted((i for i in proposal.items if i.level is ItemLevel.SUBKEGIATAN), key=lambda i: i.position)


def snapshot(proposal_id: int) -> tuple:
    """Everything stored about a proposal, to prove a refused request changed nothing."""
    db.session.expire_all()
    proposal = db.session.get(Proposal, proposal_id)
    items = tuple(
        (
            i.id,
            i.parent_id,
            i.level.value,
            i.position,
            i.code,
            i.name,
            i.indicator,
            i.target,
            i.unit,
            i.location,
            i.budget,
            i.funding_source,
            i.forward_target,
            i.forward_budget,
            tuple(d.number for d in i.directions),
        )
        for i in sorted(proposal.items, key=lambda i: i.id)
    )
    revisions = db.session.scalar(sa.select(sa.func.count(Revision.id)).where(Revision.proposal_id == proposal_id))
    return proposal.revision, items, revisions


def edit(client: FlaskClient, item_id: int, field: str, value: str | list[str], base: str, token: str | None = None):
    return htmx_post(client, f"/usulan/butir/{item_id}/ubah/{field}", {"value": value, "base": base}, token)


@pytest.fixture
def participant(world: World, login_as: Callable) -> FlaskClient:
    return login_as(world.participant)


@pytest.mark.parametrize(
    ("field", "typed", "stored", "shown"),
    [
        ("indicator", "Jumlah Dokumen Kebijakan", "Jumlah Dokumen Kebijakan", "Jumlah Dokumen Kebijakan"),
        ("target", "12", "12", "12"),
        ("unit", "Dokumen", "Dokumen", "Dokumen"),
        ("location", "Kecamatan Tebas, Sambas", "Kecamatan Tebas, Sambas", "Kecamatan Tebas"),
        ("budget", "1.250.000.000", 1_250_000_000, "Rp 1.250.000.000"),
        ("budget", "Rp 75.500.000,-", 75_500_000, "Rp 75.500.000"),
        ("funding_source", "DAK", "DAK", "DAK"),
        ("forward_target", "5", "5", "5"),
        ("forward_budget", "300 000 000", 300_000_000, "Rp 300.000.000"),
    ],
)
def test_each_field_is_saved_with_a_revision(
    world: World, participant: FlaskClient, field: str, typed: str, stored: object, shown: str
) -> None:
    item = sub_items(world.proposal)[0]
    base = "" if getattr(item, field) is None else str(getattr(item, field))
    before = world.proposal.revision
    response = edit(participant, item.id, field, typed, base)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["X-Sinergi-Revision"] == str(before + 1)
    assert shown in response.get_data(as_text=True)
    db.session.expire_all()
    assert getattr(db.session.get(ProposalItem, item.id), field) == stored
    revision = db.session.scalar(sa.select(Revision).where(Revision.proposal_id == world.proposal.id))
    assert (revision.field, revision.old_value, revision.new_value) == (field, base, str(stored))
    assert revision.user_id == world.participant.id and revision.proposal_revision == before + 1


def test_directions_are_tagged(world: World, participant: FlaskClient) -> None:
    for number in (1, 7, 8):
        make_direction(number)
    item = sub_items(world.proposal)[0]
    response = edit(participant, item.id, "directions", ["8", "1"], "")
    assert response.status_code == 200
    db.session.expire_all()
    assert [d.number for d in db.session.get(ProposalItem, item.id).directions] == [1, 8]
    assert edit(participant, item.id, "directions", ["9"], "1,8").status_code == 422


def test_same_value_again_is_not_a_new_revision(world: World, participant: FlaskClient) -> None:
    item = sub_items(world.proposal)[0]
    response = edit(participant, item.id, "target", "4", "4")
    assert response.status_code == 200
    assert snapshot(world.proposal.id)[0] == 0


def test_concurrent_edit_of_the_same_field_is_a_conflict_with_both_values(world: World, login_as: Callable) -> None:
    from workspace.models import Membership, Role, User

    colleague = User(username="rekan", name="Rudi Rekan, S.Sos.", agency_id=world.agency.id)
    colleague.password_hash = world.participant.password_hash
    db.session.add_all([colleague, Membership(event=world.event, user=colleague, role=Role.PARTICIPANT)])
    db.session.commit()
    first, second = login_as(world.participant), login_as(colleague)
    item = sub_items(world.proposal)[0]
    assert edit(first, item.id, "target", "6", "4").status_code == 200
    conflict = edit(second, item.id, "target", "8", "4")
    assert conflict.status_code == 409
    page = conflict.get_data(as_text=True)
    assert "Orang lain mengubah isian ini" in page
    assert ">8<" in page and ">6<" in page  # mine and theirs
    assert world.participant.display_name in page  # who made the other change
    assert conflict.headers["HX-Retarget"] == f"#item-{item.id}-target"
    db.session.expire_all()
    assert db.session.get(ProposalItem, item.id).target == "6"
    # Resolving: keep mine on top of theirs (the conflict form sends theirs as the new base).
    assert edit(second, item.id, "target", "8", "6").status_code == 200
    db.session.expire_all()
    assert db.session.get(ProposalItem, item.id).target == "8"


def test_edits_to_different_fields_of_one_item_both_apply(world: World, participant: FlaskClient) -> None:
    item = sub_items(world.proposal)[0]
    assert edit(participant, item.id, "target", "6", "4").status_code == 200
    assert edit(participant, item.id, "location", "Kecamatan Paloh", item.location).status_code == 200
    db.session.expire_all()
    stored = db.session.get(ProposalItem, item.id)
    assert (stored.target, stored.location) == ("6", "Kecamatan Paloh")


def test_edit_of_an_item_someone_deleted_gets_a_clear_message(world: World, participant: FlaskClient) -> None:
    item = sub_items(world.proposal)[0]
    assert htmx_post(participant, f"/usulan/butir/{item.id}/hapus").status_code == 200
    response = edit(participant, item.id, "target", "9", "4")
    assert response.status_code == 410
    assert f"telah dihapus oleh {world.participant.display_name}" in response.get_data(as_text=True)


BAD_VALUES = [
    ("budget", "-5.000", "bilangan bulat yang tidak negatif"),
    ("budget", "12,5", "bilangan bulat"),
    ("budget", "satu juta", "bilangan bulat"),
    ("budget", "1" + "0" * 15, "melebihi Rp 100 triliun"),
    ("forward_budget", "1e9", "bilangan bulat"),
    ("target", "empat", "bilangan bulat untuk satuan Laporan"),
    ("target", "4,5", "bilangan bulat untuk satuan Laporan"),
    ("indicator", "", "wajib diisi"),
    ("unit", "   ", "wajib diisi"),
    ("indicator", "x" * 301, "Paling banyak 300 karakter"),
    ("location", "x" * 201, "Paling banyak 200 karakter"),
    ("funding_source", "x" * 61, "Paling banyak 60 karakter"),
    ("name", "Nama baru", "tidak dapat diubah pada butir ini"),
    ("directions", "99", "tidak dikenal"),
]


@pytest.mark.parametrize(("field", "value", "message"), BAD_VALUES)
def test_bad_values_get_a_message_beside_the_field_and_change_nothing(
    world: World, participant: FlaskClient, field: str, value: str, message: str
) -> None:
    item = sub_items(world.proposal)[0]
    before = snapshot(world.proposal.id)
    base = "" if getattr(item, field, None) is None or field == "directions" else str(getattr(item, field))
    response = edit(participant, item.id, field, value, base)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page
    assert 'class="field-error"' in page
    assert field == "directions" or 'aria-invalid="true"' in page
    assert snapshot(world.proposal.id) == before


def test_percentage_targets(world: World, participant: FlaskClient) -> None:
    item = sub_items(world.proposal)[0]
    assert edit(participant, item.id, "unit", "Persen", "Laporan").status_code == 200
    assert edit(participant, item.id, "target", "101", "4").status_code == 422
    assert edit(participant, item.id, "target", "87,5", "4").status_code == 200
    db.session.expire_all()
    assert db.session.get(ProposalItem, item.id).target == "87,5"


def test_unknown_field_and_item_are_404(world: World, participant: FlaskClient) -> None:
    item = sub_items(world.proposal)[0]
    assert edit(participant, item.id, "password_hash", "x", "").status_code == 404
    assert participant.get(f"/usulan/butir/{item.id}/ubah/nothing").status_code == 404
    assert edit(participant, 999_999, "target", "1", "").status_code == 410


@pytest.mark.parametrize("actor", ["other_participant", "observer", "reviewer", "facilitator", "organiser"])
def test_only_the_owning_agency_edits(world: World, login_as: Callable, actor: str) -> None:
    item = sub_items(world.proposal)[0]
    before = snapshot(world.proposal.id)
    client = login_as(world.user(actor))
    response = edit(client, item.id, "target", "9", "4")
    assert response.status_code == 403
    assert "Hanya peserta dari" in response.get_data(as_text=True)
    assert htmx_post(client, f"/usulan/butir/{item.id}/hapus").status_code == 403
    assert htmx_post(client, f"/usulan/{world.proposal.id}/butir", {"name": "Lokal"}).status_code == 403
    assert client.get(f"/usulan/butir/{item.id}/ubah/target").status_code == 403
    assert snapshot(world.proposal.id) == before


def test_outsider_cannot_even_see(world: World, login_as: Callable) -> None:
    item = sub_items(world.proposal)[0]
    before = snapshot(world.proposal.id)
    client = login_as(world.outsider)
    assert edit(client, item.id, "target", "9", "4").status_code in (403, 404)
    assert client.get(f"/usulan/{world.proposal.id}/pohon").status_code == 403
    assert snapshot(world.proposal.id) == before


def test_forged_post_without_csrf_is_refused(world: World, participant: FlaskClient) -> None:
    item = sub_items(world.proposal)[0]
    before = snapshot(world.proposal.id)
    response = edit(participant, item.id, "target", "9", "4", token=False)
    assert response.status_code == 400
    response = edit(participant, item.id, "target", "9", "4", token="forged-token")
    assert response.status_code == 400
    assert snapshot(world.proposal.id) == before


def test_locked_proposal_refuses_edits(world: World, participant: FlaskClient) -> None:
    world.proposal.locked = True
    db.session.commit()
    item = sub_items(world.proposal)[0]
    before = snapshot(world.proposal.id)
    response = edit(participant, item.id, "target", "9", "4")
    assert response.status_code == 403
    assert "dikunci oleh fasilitator" in response.get_data(as_text=True)
    assert snapshot(world.proposal.id) == before


def catalogue_for_world() -> dict[str, object]:
    return {
        "program": make_catalog_entry("8.01.06", CatalogLevel.PROGRAM, "PROGRAM KEWASPADAAN", "both"),
        "kegiatan": make_catalog_entry("8.01.06.2.01", CatalogLevel.KEGIATAN, "Kewaspadaan Nasional"),
        "kegiatan_province": make_catalog_entry("8.01.06.1.01", CatalogLevel.KEGIATAN, "Kewaspadaan", "provinsi"),
        "sub": make_catalog_entry(
            "8.01.06.2.01.0006",
            CatalogLevel.SUBKEGIATAN,
            "Forkopimda",
            "kabkota",
            "Jumlah Laporan Pelaksanaan Kegiatan",
            "Laporan",
        ),
    }


def test_add_items_from_the_catalogue_with_its_defaults(world: World, participant: FlaskClient) -> None:
    catalogue = catalogue_for_world()
    pid = world.proposal.id
    form = participant.get(f"/usulan/{pid}/butir/baru").get_data(as_text=True)
    assert "8.01.06 PROGRAM KEWASPADAAN" in form and "8.01.02" not in form.split("<select")[1].split("</select>")[0]
    assert htmx_post(participant, f"/usulan/{pid}/butir", {"catalog_entry": catalogue["program"].id}).status_code == 200
    program = db.session.scalar(sa.select(ProposalItem).where(ProposalItem.code == "8.01.06"))
    kegiatan_form = participant.get(f"/usulan/{pid}/butir/baru?parent={program.id}").get_data(as_text=True)
    assert "8.01.06.2.01" in kegiatan_form and "8.01.06.1.01" not in kegiatan_form  # level digit of a kabupaten
    htmx_post(participant, f"/usulan/{pid}/butir", {"catalog_entry": catalogue["kegiatan"].id, "parent": program.id})
    kegiatan = db.session.scalar(sa.select(ProposalItem).where(ProposalItem.code == "8.01.06.2.01"))
    htmx_post(participant, f"/usulan/{pid}/butir", {"catalog_entry": catalogue["sub"].id, "parent": kegiatan.id})
    sub = db.session.scalar(sa.select(ProposalItem).where(ProposalItem.code == "8.01.06.2.01.0006"))
    assert sub.parent_id == kegiatan.id and not sub.outside_catalog
    assert (sub.indicator, sub.unit) == ("Jumlah Laporan Pelaksanaan Kegiatan", "Laporan")
    actions = list(db.session.scalars(sa.select(Revision.action).where(Revision.proposal_id == pid)))
    assert actions == ["create", "create", "create"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"catalog_entry": "kegiatan_province", "parent": "program"}, "tingkat ini"),
        ({"catalog_entry": "sub", "parent": "program"}, "tingkat ini"),
        ({"catalog_entry": "kegiatan", "parent": "existing_program"}, "tidak termasuk di bawah 8.01.02"),
        ({"name": ""}, "Nama wajib diisi"),
        ({"name": "x" * 501}, "Paling banyak 500 karakter"),
        ({"name": "Lokal", "code": "8.01.06.2.01"}, "tidak berbentuk kode program"),
        ({"name": "Lokal", "code": "8.01.09.2.01", "parent": "existing_program"}, "harus diawali 8.01.02"),
        ({"name": "Lokal", "code": "8.01.02.1.05", "parent": "existing_program"}, "Digit tingkat pada kode harus 2"),
        ({"name": "Lokal", "code": "8.01.02.2.01", "parent": "existing_program"}, "sudah memuat 8.01.02.2.01"),
        ({"name": "Lokal", "parent": "existing_sub"}, "tidak dapat memiliki butir"),
    ],
)
def test_add_item_validation(world: World, participant: FlaskClient, data: dict, message: str) -> None:
    catalogue = catalogue_for_world()
    htmx_post(participant, f"/usulan/{world.proposal.id}/butir", {"catalog_entry": catalogue["program"].id})
    program = db.session.scalar(sa.select(ProposalItem).where(ProposalItem.code == "8.01.06"))
    existing_program = next(i for i in world.proposal.items if i.level is ItemLevel.PROGRAM)
    names = {
        "program": program.id,
        "existing_program": existing_program.id,
        "existing_sub": sub_items(world.proposal)[0].id,
    }
    names.update({key: entry.id for key, entry in catalogue.items()})
    form = {key: str(names.get(value, value)) for key, value in data.items()}
    before = snapshot(world.proposal.id)
    response = htmx_post(participant, f"/usulan/{world.proposal.id}/butir", form)
    assert response.status_code == 422, response.get_data(as_text=True)
    assert message in response.get_data(as_text=True)
    assert snapshot(world.proposal.id) == before


def test_add_a_local_item_outside_the_catalogue(world: World, participant: FlaskClient) -> None:
    kegiatan = next(i for i in world.proposal.items if i.level is ItemLevel.KEGIATAN)
    response = htmx_post(
        participant,
        f"/usulan/{world.proposal.id}/butir",
        {"parent": kegiatan.id, "name": "Sosialisasi Wawasan Kebangsaan di Perbatasan Aruk"},
    )
    assert response.status_code == 200
    item = db.session.scalar(sa.select(ProposalItem).where(ProposalItem.name.like("Sosialisasi%")))
    assert item.outside_catalog and item.level is ItemLevel.SUBKEGIATAN and item.code == ""
    tree = participant.get(f"/usulan/{world.proposal.id}/pohon").get_data(as_text=True)
    assert "di luar nomenklatur" in tree
    # A local item's name can be edited; a catalogue item's cannot.
    assert edit(participant, item.id, "name", "Sosialisasi di Aruk", item.name).status_code == 200


def test_delete_removes_the_subtree_and_keeps_history(world: World, participant: FlaskClient) -> None:
    kegiatan = next(i for i in world.proposal.items if i.level is ItemLevel.KEGIATAN)
    assert htmx_post(participant, f"/usulan/butir/{kegiatan.id}/hapus").status_code == 200
    db.session.expire_all()
    remaining = db.session.scalars(sa.select(ProposalItem).where(ProposalItem.proposal_id == world.proposal.id)).all()
    assert [i.level for i in remaining] == [ItemLevel.PROGRAM]
    revision = db.session.scalar(sa.select(Revision).where(Revision.action == "delete"))
    assert "Sub kegiatan 1" in revision.old_value and "Sub kegiatan 2" in revision.old_value
    assert htmx_post(participant, f"/usulan/butir/{kegiatan.id}/hapus").status_code == 410


def test_move_reorders_siblings(world: World, participant: FlaskClient) -> None:
    first, second = sub_items(world.proposal)
    assert htmx_post(participant, f"/usulan/butir/{second.id}/pindah", {"direction": "up"}).status_code == 200
    db.session.expire_all()
    assert [i.id for i in sub_items(db.session.get(Proposal, world.proposal.id))] == [second.id, first.id]
    revision_before = db.session.get(Proposal, world.proposal.id).revision
    assert htmx_post(participant, f"/usulan/butir/{second.id}/pindah", {"direction": "up"}).status_code == 200
    assert db.session.get(Proposal, world.proposal.id).revision == revision_before  # already first: no change
    assert htmx_post(participant, f"/usulan/butir/{second.id}/pindah", {"direction": "left"}).status_code == 422


def test_history_and_restore(world: World, participant: FlaskClient) -> None:
    item = sub_items(world.proposal)[0]
    edit(participant, item.id, "budget", "150.000.000", "100000000")
    history = participant.get(f"/usulan/{world.proposal.id}/riwayat").get_data(as_text=True)
    assert world.participant.display_name in history and "Rp 100.000.000" in history and "Rp 150.000.000" in history
    revision = db.session.scalar(sa.select(Revision).where(Revision.field == "budget"))
    assert htmx_post(participant, f"/usulan/riwayat/{revision.id}/pulihkan").status_code == 200
    db.session.expire_all()
    assert db.session.get(ProposalItem, item.id).budget == 100_000_000
    restore = db.session.scalar(sa.select(Revision).where(Revision.action == "restore"))
    assert (restore.old_value, restore.new_value) == ("150000000", "100000000")
    assert htmx_post(participant, "/usulan/riwayat/999999/pulihkan").status_code == 404


def test_totals_follow_budget_edits(world: World, participant: FlaskClient) -> None:
    item = sub_items(world.proposal)[0]
    edit(participant, item.id, "budget", "1.000.000.000", "100000000")
    tree = participant.get(f"/usulan/{world.proposal.id}/pohon").get_data(as_text=True)
    assert tree.count("Rp 1.250.000.000") >= 3  # kegiatan, program and proposal totals


def test_proposal_page_for_editor_and_reader(world: World, participant: FlaskClient, login_as: Callable) -> None:
    page = participant.get(f"/usulan/{world.proposal.id}").get_data(as_text=True)
    assert 'data-can-edit="true"' in page and "Riwayat" in page
    reader = login_as(world.reviewer).get(f"/usulan/{world.proposal.id}").get_data(as_text=True)
    assert 'data-can-edit="false"' in reader and "Hanya baca" in reader


def test_a_deleted_item_id_is_never_reused(world: World, participant: FlaskClient) -> None:
    """An editor still open on a deleted item, or its history, must not land on a newer item."""
    kegiatan = next(i for i in world.proposal.items if i.level is ItemLevel.KEGIATAN)
    htmx_post(participant, f"/usulan/{world.proposal.id}/butir", {"parent": kegiatan.id, "name": "Butir A"})
    first = db.session.scalar(sa.select(ProposalItem).where(ProposalItem.name == "Butir A"))
    first_id = first.id
    assert edit(participant, first_id, "budget", "9.000.000", "").status_code == 200
    htmx_post(participant, f"/usulan/butir/{first_id}/hapus")
    htmx_post(participant, f"/usulan/{world.proposal.id}/butir", {"parent": kegiatan.id, "name": "Butir B"})
    second = db.session.scalar(sa.select(ProposalItem).where(ProposalItem.name == "Butir B"))
    assert second.id != first_id
    assert edit(participant, first_id, "budget", "1.000.000", "9000000").status_code == 410
    revision = db.session.scalar(sa.select(Revision).where(Revision.item_id == first_id, Revision.field == "budget"))
    assert htmx_post(participant, f"/usulan/riwayat/{revision.id}/pulihkan").status_code == 410
    db.session.expire_all()
    assert db.session.get(ProposalItem, second.id).budget is None


def test_htmx_requests_of_a_signed_out_user_get_401_not_the_login_page(world: World, client: FlaskClient) -> None:
    response = client.get(f"/usulan/{world.proposal.id}/pohon", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/masuk?next=")
    assert response.get_data(as_text=True) == ""
    assert client.get(f"/usulan/{world.proposal.id}/pohon").status_code == 302


def test_row_fragment_carries_its_revision(world: World, participant: FlaskClient) -> None:
    item = sub_items(world.proposal)[0]
    edit(participant, item.id, "target", "5", "4")
    response = participant.get(f"/usulan/butir/{item.id}/baris", headers={"HX-Request": "true"})
    assert response.headers["X-Sinergi-Revision"] == "1"
