"""Issue 17, item 9: name tags and accounts. Usernames are made from the name without academic
titles or honorifics, unique; names are stored with their spaces collapsed; the people list has
select-all and filters by agency and "belum punya kata sandi"; the QR codes carry the public address
(the event's setting, SINERGI_PUBLIC_URL, or the address in use, with a warning when that is the
server itself); the card header is measured and never clipped."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from flask import Flask
from pypdf import PdfReader

from tests.conftest import csrf_token_of
from tests.factories import World, make_user
from workspace.extensions import db
from workspace.models import Event, Role, User
from workspace.services.onboarding.people import unique_username

DEMO_TITLE = "Rakor dan Sinkronisasi Perencanaan Perangkat Daerah Kesbangpol se Kalimantan Barat 2023"


@pytest.mark.parametrize(
    ("name", "username"),
    [
        ("Dra. Hj. Siti Aminah, M.Si.", "siti.aminah"),
        ("Drs. Usman Effendi", "usman.effendi"),
        ("dr. Budi Santoso, Sp.PD", "budi.santoso"),
        ("Ir. H. Ahmad Yani M.T.", "ahmad.yani"),
        ("Prof. Dr. Ir. Rina Wati", "rina.wati"),
        ("H. Sutarmidji S.H., M.Hum.", "sutarmidji"),
        ("Yohanes Don Bosco Sembiring", "yohanes.sembiring"),
        ("Wahyu Ādi", "wahyu.adi"),
        ("Agus Kurniawan, S.Sos.", "agus.kurniawan"),
        ("Dr.", "peserta"),
    ],
)
def test_usernames_leave_out_titles_and_keep_the_surname(app: Flask, name: str, username: str) -> None:
    assert unique_username(name) == username


def test_usernames_are_unique(app: Flask) -> None:
    make_user(name="Siti Aminah").username = "siti.aminah"
    db.session.commit()
    taken: set[str] = set()
    assert unique_username("Dra. Siti Aminah", taken) == "siti.aminah2"
    assert unique_username("Hj. Siti Aminah, S.E.", taken) == "siti.aminah3"


def _post(client, path: str, data: dict):
    return client.post(path, data={**data, "csrf_token": csrf_token_of(client, "/")})


def test_a_name_is_stored_with_its_spaces_collapsed(world: World, login_as: Callable) -> None:
    organiser = login_as(world.organiser)
    response = _post(
        organiser,
        f"/rakor/{world.event.id}/admin/orang",
        {"name": "  Dra.  Hj.   Siti    Aminah,  M.Si. ", "position": "Kepala   Bidang", "roles": "reviewer"},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    person = db.session.scalar(sa.select(User).where(User.name.like("%Siti%")))
    assert person.name == "Dra. Hj. Siti Aminah, M.Si." and person.position == "Kepala Bidang"
    assert person.username == "siti.aminah"
    edited = _post(
        organiser,
        f"/rakor/{world.event.id}/admin/orang/{person.id}",
        {"name": "Siti \t  Aminah", "position": "Kepala Bidang", "roles": "reviewer"},
    )
    assert edited.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, person.id).name == "Siti Aminah"


def test_the_people_list_filters_by_agency_and_by_no_password_and_selects_all(
    world: World, login_as: Callable
) -> None:
    newcomer = make_user(world.event, (Role.PARTICIPANT,), world.agency, name="Pendatang Baru")
    newcomer.password_hash = None
    db.session.commit()
    organiser = login_as(world.organiser)
    base = f"/rakor/{world.event.id}/admin/orang"
    by_agency = organiser.get(f"{base}?agency={world.agency.id}").get_data(as_text=True)
    assert "Budi Peserta" in by_agency and "Pendatang Baru" in by_agency and "Sari Peserta" not in by_agency
    no_password = organiser.get(f"{base}?tanpa_sandi=1").get_data(as_text=True)
    assert "Pendatang Baru" in no_password and "Budi Peserta" not in no_password
    assert 'data-select-all="people"' in no_password and "Pilih semua yang tampil" in no_password
    assert organiser.get(f"{base}?agency=abc").status_code == 400


def test_the_qr_codes_carry_the_public_address_and_a_loopback_one_is_warned_of(
    world: World, login_as: Callable, app: Flask
) -> None:
    organiser = login_as(world.organiser)
    people = f"/rakor/{world.event.id}/admin/orang"
    warned = organiser.get(people).get_data(as_text=True)  # the test client is "localhost"
    assert "hanya dapat dijangkau oleh server itu sendiri" in warned and "http://localhost" in warned

    form = {
        "title": world.event.title, "theme": world.event.theme, "venue": world.event.venue, "city": world.event.city,
        "plan_year": str(world.event.plan_year), "phase": world.event.phase.value,
        "starts_on": world.event.starts_on.isoformat(), "ends_on": world.event.ends_on.isoformat(),
    }  # fmt: skip
    for bad in ("ftp://192.168.1.10", "http://", "http://a:b@192.168.1.10", "http://192.168.1.10:99999", "x" * 301):
        refused = _post(organiser, f"/rakor/{world.event.id}/admin", {**form, "public_url": bad})
        assert refused.status_code == 422, bad
        assert "Alamat publik (untuk kode QR): Isi alamat seperti" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Event, world.event.id).public_url == ""

    saved = _post(organiser, f"/rakor/{world.event.id}/admin", {**form, "public_url": "http://192.168.1.10:5000/"})
    assert saved.status_code == 302
    page = organiser.get(people).get_data(as_text=True)
    assert "Kode QR membuka http://192.168.1.10:5000." in page and "hanya dapat dijangkau" not in page

    from workspace.views.admin import _card
    from workspace.views.helpers import public_address

    with app.test_request_context("/", base_url="http://127.0.0.1:5000"):
        event = db.session.get(Event, world.event.id)
        address = public_address(event)
        assert address.base == "http://192.168.1.10:5000" and not address.is_loopback
        event.public_url = ""
        app.config["SINERGI_PUBLIC_URL"] = "https://sinergi.kesbangpol.kalbarprov.go.id"
        assert public_address(event).source == "config"
        app.config["SINERGI_PUBLIC_URL"] = ""
        fallback = public_address(event)
        assert fallback.base == "http://127.0.0.1:5000" and fallback.is_loopback
        from workspace.services.onboarding.join_codes import IssuedCode

        card = _card(IssuedCode(user=world.participant, code="ABCD-EFGH-JKLM"), address)
        assert card.url == "http://192.168.1.10:5000/gabung?kode=ABCD-EFGH-JKLM"
    db.session.rollback()


def test_the_card_header_is_measured_never_clipped(app: Flask) -> None:
    from workspace.exports.name_tags import CARD_WIDTH, Card, cards_pdf, header_lines
    from workspace.exports.pdf import SinergiPDF

    pdf = SinergiPDF()
    for title in ("Rakor 2023", DEMO_TITLE, DEMO_TITLE + " — Hotel Aston Pontianak, 21–22 Maret 2023, Sesi Pleno"):
        size, lines = header_lines(pdf, title, CARD_WIDTH - 6)
        pdf.set_font("DejaVu", "B", size)
        assert 1 <= len(lines) <= 2 and all(pdf.get_string_width(line) <= CARD_WIDTH - 6 for line in lines)
    size, lines = header_lines(pdf, DEMO_TITLE, CARD_WIDTH - 6)
    assert " ".join(lines) == DEMO_TITLE  # the whole title, not "…Daerah Kesbang"
    card = Card("Siti Aminah", "Kepala Bidang", "Kesbangpol", "siti.aminah", "ABCD-EFGH-JKLM", "http://x/gabung")
    import io

    text = re.sub(r"\s+", " ", PdfReader(io.BytesIO(cards_pdf([card], DEMO_TITLE))).pages[0].extract_text())
    assert DEMO_TITLE in text
