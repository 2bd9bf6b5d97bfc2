"""The one number converter (workspace/core/numbers.py), and the findings of issue 16's
penetration test that it closes: a 500 on `?agency=²`, on 23–5,000-digit numbers, on `parent=²`
(an observer must get 403 first) and on a 25-digit `catalog_entry`."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa

from tests.conftest import htmx_post
from tests.factories import World, make_session
from workspace.core import numbers
from workspace.core.errors import ValidationFailed
from workspace.extensions import db
from workspace.models import ItemLevel

UNICODE_DIGITS = ["²", "٣", "５", "𝟙", "١٢", "१"]
HUGE = ["9" * 23, "1" + "0" * 24, "9" * 4301, "9" * 5000]
SIGNED_OR_SPACED = ["-1", "+1", " 1", "1 ", "1_000", "0x1F", "1e3", "1.0", "", " "]


@pytest.mark.parametrize("text", UNICODE_DIGITS + HUGE + SIGNED_OR_SPACED + ["abc", None, 3, "0"])
def test_database_id_takes_ascii_digits_of_a_bounded_length_only(text: object) -> None:
    assert numbers.database_id(text) is None


def test_database_id_and_whole_number_read_what_pages_send() -> None:
    assert numbers.database_id("12") == 12
    assert numbers.database_id(str(2**53)) == 2**53
    assert numbers.database_id(str(2**53 + 1)) is None
    assert numbers.whole_number("0") == 0
    assert numbers.whole_number("1234", max_digits=3) is None
    assert numbers.digit_count("Rp 1.250.000,-") == 7


@pytest.mark.parametrize(
    "payload", [{"id": True}, {"id": 0}, {"id": -3}, {"id": 2**53 + 1}, {"id": "5"}, {"id": 1.0}, [5]]
)
def test_payload_id_takes_a_json_integer_only(payload: object) -> None:
    assert numbers.payload_id(payload, "id") is None
    assert numbers.payload_id({"id": 5}, "id") == 5


def test_form_and_query_ids_refuse_with_a_message(app) -> None:
    for bad in UNICODE_DIGITS + HUGE + ["-1", "1.5"]:
        with pytest.raises(numbers.MalformedNumber) as refused:
            numbers.form_id(bad)
        assert refused.value.status == 400 and "Formulir" in refused.value.message
        with pytest.raises(numbers.MalformedNumber) as refused:
            numbers.query_id(bad)
        assert "angka yang tidak sah" in refused.value.message
    assert numbers.form_id("") is None and numbers.query_id(None) is None
    assert numbers.form_ids(["3", "", "4"]) == [3, 4]


def test_typed_numbers_are_422_on_their_field(app) -> None:
    assert numbers.typed_number(" 15 ", "minutes", "x", 1, 480) == 15
    for bad in UNICODE_DIGITS + HUGE + ["-1", "0", "481", "1,5"]:
        with pytest.raises(ValidationFailed) as refused:
            numbers.typed_number(bad, "minutes", "Timer 1 sampai 480 menit.", 1, 480)
        assert refused.value.errors == {"minutes": "Timer 1 sampai 480 menit."}


# ---- Paths: the route converter --------------------------------------------------------------


@pytest.mark.parametrize("segment", UNICODE_DIGITS + HUGE + ["-1", "+1", "0", "1.0", "%201"])
def test_a_malformed_id_in_a_path_is_a_404(world: World, login_as: Callable, segment: str) -> None:
    session = make_session(world.event)
    client = login_as(world.facilitator)
    assert client.get(f"/sesi/{session.id}").status_code == 200
    for path in (
        f"/sesi/{segment}",
        f"/usulan/{segment}",
        f"/rakor/{segment}/usulan",
        f"/usulan/butir/{segment}/baris",
    ):
        response = client.get(path)
        assert response.status_code == 404, (path, response.status_code)
        assert "Halaman atau data yang Anda cari tidak ada." in response.get_data(as_text=True)
    before = db.session.scalar(sa.select(sa.func.count()).select_from(sa.text("work_session")))
    assert htmx_post(client, f"/sesi/{segment}/pengumuman", {"text": "x"}).status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(sa.text("work_session"))) == before


def test_arabic_indic_digits_do_not_reach_the_session_they_look_like(world: World, login_as: Callable) -> None:
    """werkzeug's own `\\d+` matched "٣" and int() made it 3: the same page under another address."""
    session = make_session(world.event)
    arabic = str(session.id).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    assert login_as(world.participant).get(f"/sesi/{arabic}").status_code == 404


# ---- Queries ----------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", UNICODE_DIGITS + HUGE + ["-1", "1.5"])
def test_a_malformed_agency_filter_is_a_400_with_a_message(world: World, login_as: Callable, bad: str) -> None:
    client = login_as(world.observer)
    response = client.get(f"/rakor/{world.event.id}/usulan", query_string={"agency": bad})
    assert response.status_code == 400
    assert "Alamat ini memuat angka yang tidak sah" in response.get_data(as_text=True)
    fine = client.get(f"/rakor/{world.event.id}/usulan", query_string={"agency": world.agency.id})
    assert fine.status_code == 200
    # A person of another event is told nothing about the event, malformed filter or not.
    assert login_as(world.outsider).get(f"/rakor/{world.event.id}/usulan?agency={bad}").status_code in (403, 404)


@pytest.mark.parametrize("bad", ["²", "9" * 5000, "-1"])
def test_parent_in_the_add_form_query_refuses_the_observer_first(world: World, login_as: Callable, bad: str) -> None:
    url = f"/usulan/{world.proposal.id}/butir/baru"
    observer = login_as(world.observer).get(url, query_string={"parent": bad})
    assert observer.status_code == 403  # the permission check comes before the number is read
    participant = login_as(world.participant).get(url, query_string={"parent": bad})
    assert participant.status_code == 400 and "angka yang tidak sah" in participant.get_data(as_text=True)


def test_berita_acara_session_filter_is_a_404_when_malformed(world: World, login_as: Callable) -> None:
    client = login_as(world.organiser)
    for bad in ["²", "9" * 25, "9" * 5000]:
        assert client.get(f"/rakor/{world.event.id}/berita-acara", query_string={"sesi": bad}).status_code == 404


# ---- Forms ------------------------------------------------------------------------------------


def _tree() -> list[tuple]:
    db.session.expire_all()
    return [tuple(row) for row in db.session.execute(sa.text("SELECT * FROM proposal_item ORDER BY id"))]


@pytest.mark.parametrize("bad", ["9" * 25, "²", "５", "9" * 5000, "-1"])
def test_a_malformed_catalog_entry_or_parent_is_refused_and_stores_nothing(
    world: World, login_as: Callable, bad: str
) -> None:
    participant = login_as(world.participant)
    before = _tree()
    for data in ({"catalog_entry": bad}, {"parent": bad, "name": "Program Lokal", "code": "8.01.09"}):
        response = htmx_post(participant, f"/usulan/{world.proposal.id}/butir", data)
        assert response.status_code == 400, response.get_data(as_text=True)
        assert "Formulir tidak lengkap" in response.get_data(as_text=True)
    assert _tree() == before
    observer = htmx_post(login_as(world.observer), f"/usulan/{world.proposal.id}/butir", {"catalog_entry": bad})
    assert observer.status_code == 403 and _tree() == before


@pytest.mark.parametrize("bad", ["٣", "9" * 5000, "9" * 23, "-5", "1 5"])
def test_typed_minutes_are_422_in_indonesian_and_store_nothing(world: World, login_as: Callable, bad: str) -> None:
    session = make_session(world.event)
    facilitator = login_as(world.facilitator)
    timer = htmx_post(facilitator, f"/sesi/{session.id}/timer", {"minutes": bad, "label": "x"})
    assert timer.status_code == 422 and "menit" in timer.get_data(as_text=True)
    agenda = htmx_post(facilitator, f"/sesi/{session.id}/agenda", {"agenda_title": "Rehat", "agenda_minutes": bad})
    assert agenda.status_code == 422 and "menit" in agenda.get_data(as_text=True)
    db.session.expire_all()
    stored = db.session.execute(sa.text(f"SELECT timer_ends_at FROM work_session WHERE id = {session.id}")).scalar()
    assert stored is None
    assert db.session.execute(sa.text("SELECT count(*) FROM agenda_item")).scalar() == 0


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("budget", "9" * 5000, "Rp 100 triliun"),
        ("budget", "9" * 23, "Rp 100 triliun"),
        ("budget", "１２３", "bilangan bulat"),
        ("target", "٣", "bilangan bulat"),
        ("target", "9" * 61, "60"),
        ("directions", "²", "tidak dikenal"),
    ],
)
def test_money_and_target_fields_refuse_foreign_and_huge_numbers(
    world: World, login_as: Callable, field: str, value: str, message: str
) -> None:
    item = next(i for i in world.proposal.items if i.level is ItemLevel.SUBKEGIATAN)
    base = {"budget": str(item.budget or ""), "target": item.target or "", "directions": ""}[field]
    before = _tree()
    response = htmx_post(
        login_as(world.participant), f"/usulan/butir/{item.id}/ubah/{field}", {"value": value, "base": base}
    )
    assert response.status_code == 422 and message in response.get_data(as_text=True), response.get_data(as_text=True)
    assert _tree() == before


def test_money_keeps_its_accepted_formats(world: World, login_as: Callable) -> None:
    item = next(i for i in world.proposal.items if i.level is ItemLevel.SUBKEGIATAN)
    participant = login_as(world.participant)
    base = str(item.budget or "")
    for typed, stored in (("1.250.000", 1_250_000), ("Rp 2.500.000,-", 2_500_000), ("3 000 000", 3_000_000)):
        response = htmx_post(participant, f"/usulan/butir/{item.id}/ubah/budget", {"value": typed, "base": base})
        assert response.status_code == 200, response.get_data(as_text=True)
        db.session.expire_all()
        assert db.session.execute(sa.text(f"SELECT budget FROM proposal_item WHERE id = {item.id}")).scalar() == stored
        base = str(stored)
