"""The hotel morning: importing the participant list (every error case, all or nothing, idempotent),
join codes (single use, expiry with the event, reissue, brute force limited, hashed), the
organiser's screens for the event, agencies, people and roles, the catalogue, and the audit."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import Workbook
from pypdf import PdfReader

from tests.conftest import csrf_token_of, login
from tests.factories import World, make_agency, make_user
from workspace.core.changes import Change, SignInsEnded
from workspace.extensions import db, socketio
from workspace.models import (
    AgencyLevel,
    AuditEntry,
    EventPhase,
    JoinCode,
    LoginSession,
    Membership,
    Role,
    User,
)
from workspace.services import accounts
from workspace.services.onboarding import join_codes

HEADER = ["Nama", "NIP", "Jabatan", "Perangkat Daerah", "Email", "Telepon", "Peran"]


@pytest.fixture
def hotel(world: World) -> World:
    """The small world, happening today and tomorrow (so join codes are valid)."""
    world.event.starts_on = date.today()
    world.event.ends_on = date.today() + timedelta(days=1)
    world.event.phase = EventPhase.MEETING
    db.session.commit()
    return world


def xlsx(rows: list[list[object]], header: list[str] = HEADER) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Daftar peserta Rakor"])
    sheet.append([])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def everything() -> dict[str, list]:
    db.session.expire_all()
    return {
        table.name: sorted((tuple(map(str, row)) for row in db.session.execute(sa.select(table))), key=str)
        for table in db.metadata.sorted_tables
        if table.name != "login_session"
    }


def upload(client: FlaskClient, path: str, content: bytes, filename: str = "peserta.xlsx"):
    token = csrf_token_of(client, "/")
    return client.post(
        path, data={"csrf_token": token, "file": (io.BytesIO(content), filename)}, content_type="multipart/form-data"
    )


def hidden(page: str, name: str) -> str:
    import html

    return html.unescape(re.search(rf'name="{name}" value="([^"]*)"', page).group(1))


def import_list(client: FlaskClient, event_id: int, content: bytes, filename: str = "peserta.xlsx"):
    preview = upload(client, f"/rakor/{event_id}/admin/orang/impor", content, filename)
    page = preview.get_data(as_text=True)
    if preview.status_code != 200:
        return preview, None
    token = csrf_token_of(client, "/")
    applied = client.post(
        f"/rakor/{event_id}/admin/orang/impor/terapkan",
        data={"csrf_token": token, "content": hidden(page, "content"), "filename": hidden(page, "filename")},
    )
    return preview, applied


def sambas_rows(hotel: World) -> list[list[object]]:
    return [
        ["Agus Salim, S.Sos.", "198001012005011001", "Kepala Bidang", "kab. sambas kesbangpol", "", "", "peserta"],
        ["Rina Wati", "", "Analis", "KESBANGPOL KABUPATEN SAMBAS", "rina@example.id", "", "peserta"],
        [
            "Hendra Gunawan",
            "198202022006021002",
            "Sekretaris",
            "Kesbangpol Kota Singkawang",
            "",
            "0812-3456-7890",
            "Peserta, Fasilitator",
        ],
        ["Wahyu Ādi", "", "Peninjau Bappeda", "Kesbangpol Provinsi Kalimantan Barat", "", "", "peninjau"],
    ]


def test_the_participant_list_imports_with_tolerant_agency_names(
    hotel: World, login_as: Callable[..., FlaskClient]
) -> None:
    # The world's agencies are named "Kesbangpol <region> <n>"; the list writes them as people do.
    for agency in (hotel.agency, hotel.other_agency):
        agency.name = f"Badan Kesatuan Bangsa dan Politik {agency.region_name}"
        agency.short_name = f"Kesbangpol {agency.region_name.replace('Kabupaten', 'Kab.')}"
    province = next(a for a in hotel.event.agencies if a.level is AgencyLevel.PROVINSI)
    province.name = "Badan Kesatuan Bangsa dan Politik Provinsi Kalimantan Barat"
    db.session.commit()
    client = login_as(hotel.organiser)
    preview, applied = import_list(client, hotel.event.id, xlsx(sambas_rows(hotel)))
    assert preview.status_code == 200, preview.get_data(as_text=True)
    assert "4 orang ditambahkan, 0 diperbarui, 0 tidak berubah" in preview.get_data(as_text=True)
    assert applied.status_code == 302
    db.session.expire_all()
    agus = db.session.scalar(sa.select(User).where(User.nip == "198001012005011001"))
    assert agus.agency_id == hotel.agency.id and agus.username == "agus.salim" and agus.password_hash is None
    assert agus.roles_in(hotel.event) == {Role.PARTICIPANT}
    hendra = db.session.scalar(sa.select(User).where(User.nip == "198202022006021002"))
    assert hendra.roles_in(hotel.event) == {Role.PARTICIPANT, Role.FACILITATOR}
    assert hendra.phone == "081234567890" and hendra.agency_id == hotel.other_agency.id
    assert db.session.scalar(sa.select(User).where(User.name == "Wahyu Ādi")).username == "wahyu.adi"
    audit = db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.event_id == hotel.event.id)).all()
    assert audit.count("person.create") == 4 and "people.import" in audit

    # The same list again, with one change: people are updated, never duplicated.
    people_before = db.session.scalar(sa.select(sa.func.count(User.id)))
    rows = sambas_rows(hotel)
    rows[1][2] = "Analis Kebijakan Ahli Muda"
    preview, applied = import_list(client, hotel.event.id, xlsx(rows))
    assert "0 orang ditambahkan, 1 diperbarui, 3 tidak berubah" in preview.get_data(as_text=True)
    assert "Analis → Analis Kebijakan Ahli Muda" in preview.get_data(as_text=True)
    assert applied.status_code == 302
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == people_before
    assert db.session.scalar(sa.select(User.position).where(User.email == "rina@example.id")) == (
        "Analis Kebijakan Ahli Muda"
    )
    # And a third time, unchanged: nothing written at all.
    before = everything()
    preview, applied = import_list(client, hotel.event.id, xlsx(rows))
    assert "0 orang ditambahkan, 0 diperbarui, 4 tidak berubah" in preview.get_data(as_text=True)
    after = everything()
    after.pop("audit_entry"), before.pop("audit_entry")  # the import itself is recorded
    assert after == before


IMPORT_ERRORS = {
    "unknown agency": (["Budi", "", "Staf", "Dinas Pariwisata Sambas", "", "", "peserta"], "tidak dikenal"),
    "missing agency": (["Budi", "", "Staf", "", "", "", "peserta"], "Perangkat daerah belum diisi"),
    "missing name": (["", "", "Staf", "Kesbangpol Kabupaten Sambas", "", "", "peserta"], "Nama: Isian ini wajib"),
    "NIP typed as a number": (
        ["Budi", 198001012005011001, "Staf", "Kesbangpol Kabupaten Sambas", "", "", "peserta"],
        "kehilangan digit terakhirnya",
    ),
    "bad NIP": (["Budi", "12345", "Staf", "Kesbangpol Kabupaten Sambas", "", "", "peserta"], "NIP terdiri dari 18"),
    "bad e-mail": (["Budi", "", "Staf", "Kesbangpol Kabupaten Sambas", "budi@", "", "peserta"], "bukan alamat e-mail"),
    "bad phone": (["Budi", "", "Staf", "Kesbangpol Kabupaten Sambas", "", "12ab", "peserta"], "8 sampai 15 digit"),
    "unknown role": (["Budi", "", "Staf", "Kesbangpol Kabupaten Sambas", "", "", "bupati"], "Peran tidak dikenal"),
    "too long name": (["B" * 121, "", "Staf", "Kesbangpol Kabupaten Sambas", "", "", "peserta"], "Paling banyak 120"),
}


@pytest.mark.parametrize("case", sorted(IMPORT_ERRORS))
def test_each_participant_list_error_is_listed_by_row_and_nothing_is_written(
    hotel: World, login_as: Callable[..., FlaskClient], case: str
) -> None:
    hotel.agency.name = "Badan Kesatuan Bangsa dan Politik Kabupaten Sambas"
    db.session.commit()
    row, message = IMPORT_ERRORS[case]
    good = ["Rina Wati", "", "Analis", "Kesbangpol Kabupaten Sambas", "", "", "peserta"]
    client = login_as(hotel.organiser)
    before = everything()
    response = upload(client, f"/rakor/{hotel.event.id}/admin/orang/impor", xlsx([good, row]))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "tidak ada yang diimpor" in page and "Impor orang-orang ini" not in page
    assert re.search(rf"Baris 5: [^<]*{re.escape(message)}", page), page[page.find("import-errors") :][:500]
    assert everything() == before
    token = csrf_token_of(client, "/")
    import base64

    forced = client.post(
        f"/rakor/{hotel.event.id}/admin/orang/impor/terapkan",
        data={"csrf_token": token, "content": base64.b64encode(xlsx([good, row])).decode(), "filename": "x.xlsx"},
    )
    assert forced.status_code == 422
    assert everything() == before


@pytest.mark.parametrize(
    ("content", "filename", "message"),
    [
        (b"", "kosong.xlsx", "Pilih daftar peserta"),
        (b"PK\x03\x04broken", "rusak.xlsx", "tidak dapat dibaca"),
        (b"Kode;Nama Kegiatan\n1;x\n", "salah.csv", "tidak dapat dibaca"),
        (b"Nama;Perangkat Daerah\n", "kosong.csv", "tidak berisi baris orang"),
    ],
)
def test_unreadable_participant_lists_are_refused(
    hotel: World, login_as: Callable[..., FlaskClient], content: bytes, filename: str, message: str
) -> None:
    before = everything()
    response = upload(login_as(hotel.organiser), f"/rakor/{hotel.event.id}/admin/orang/impor", content, filename)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert everything() == before


def test_a_csv_list_with_the_same_person_twice_is_refused(hotel: World, login_as: Callable[..., FlaskClient]) -> None:
    csv_text = "Nama;NIP;Perangkat Daerah;Peran\n" + "".join(
        f"Agus Salim;198001012005011001;{hotel.agency.name};peserta\n" for _ in range(2)
    )
    response = upload(
        login_as(hotel.organiser), f"/rakor/{hotel.event.id}/admin/orang/impor", csv_text.encode(), "peserta.csv"
    )
    assert response.status_code == 422
    assert "Baris 3: Orang yang sama dengan baris 2." in response.get_data(as_text=True)


# ---- Join codes ------------------------------------------------------------------------------


def issue(client: FlaskClient, event_id: int, user_ids: list[int], output: str = "html") -> list[str]:
    token = csrf_token_of(client, "/")
    response = client.post(
        f"/rakor/{event_id}/admin/kode",
        data={"csrf_token": token, "people": [str(i) for i in user_ids], "format": output},
    )
    assert response.status_code == 200
    return re.findall(r'class="card-code(?: big)?">([A-Z0-9-]+)<', response.get_data(as_text=True))


def join(app: Flask, code: str) -> tuple[FlaskClient, object]:
    browser = app.test_client()
    token = csrf_token_of(browser, "/gabung")
    return browser, browser.post("/gabung", data={"csrf_token": token, "code": code})


def test_a_join_code_signs_in_once_then_asks_for_a_password(hotel: World, app: Flask, login_as) -> None:
    newcomer = make_user(hotel.event, (Role.PARTICIPANT,), hotel.agency, name="Yohanes Baru")
    newcomer.password_hash = None
    db.session.commit()
    [code] = issue(login_as(hotel.organiser), hotel.event.id, [newcomer.id])
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", code)
    stored = db.session.scalar(sa.select(JoinCode).where(JoinCode.user_id == newcomer.id))
    assert code.replace("-", "") not in stored.code_hash and len(stored.code_hash) == 64  # only a keyed hash

    # Opening the QR link does not spend the code; posting it does.
    preview_browser = app.test_client()
    assert code in preview_browser.get(f"/gabung?kode={code}").get_data(as_text=True)
    browser, answer = join(app, code.lower().replace("-", " "))  # typed loosely
    assert answer.status_code == 302 and answer.headers["Location"] == "/kata-sandi"
    # Until the password is set, every page leads to the password form.
    assert browser.get(f"/rakor/{hotel.event.id}").headers["Location"] == "/kata-sandi"
    page = browser.get("/kata-sandi").get_data(as_text=True)
    assert newcomer.username in page and "Lanjut dengan kode" not in page
    token = csrf_token_of(browser, "/kata-sandi")
    short = browser.post("/kata-sandi", data={"csrf_token": token, "password": "pendek", "confirmation": "pendek"})
    assert short.status_code == 422 and "paling sedikit 8" in short.get_data(as_text=True).lower()
    mismatch = browser.post(
        "/kata-sandi", data={"csrf_token": token, "password": "rahasia-baru-1", "confirmation": "rahasia-baru-2"}
    )
    assert mismatch.status_code == 422 and "tidak sama" in mismatch.get_data(as_text=True)
    done = browser.post(
        "/kata-sandi", data={"csrf_token": token, "password": "rahasia-baru-1", "confirmation": "rahasia-baru-1"}
    )
    assert done.status_code == 302
    assert browser.get(f"/rakor/{hotel.event.id}").status_code == 200
    db.session.expire_all()
    assert db.session.get(User, newcomer.id).check_password("rahasia-baru-1")
    assert db.session.scalar(sa.select(LoginSession.expires_at).where(LoginSession.user_id == newcomer.id)) is None

    # The code worked once.
    _other, again = join(app, code)
    assert again.status_code == 400 and "sudah dipakai" in again.get_data(as_text=True)


def test_the_organiser_may_let_a_code_sign_in_last_until_the_event_ends(hotel: World, app: Flask, login_as) -> None:
    hotel.event.code_sign_in_lasts = True
    db.session.commit()
    [code] = issue(login_as(hotel.organiser), hotel.event.id, [hotel.participant.id])
    browser, answer = join(app, code)
    assert answer.status_code == 302
    assert "Lanjut dengan kode di laptop ini" in browser.get("/kata-sandi").get_data(as_text=True)
    assert browser.get(f"/usulan/{hotel.proposal.id}").status_code == 200  # no password needed
    ends = db.session.scalar(
        sa.select(LoginSession.expires_at).where(
            LoginSession.user_id == hotel.participant.id, LoginSession.expires_at.is_not(None)
        )
    )
    assert ends is not None and ends.date() in (hotel.event.ends_on, hotel.event.ends_on + timedelta(days=1))
    # When the event is over, that sign-in is over too.
    db.session.execute(
        sa.update(LoginSession).where(LoginSession.expires_at.is_not(None)).values(expires_at=ends - timedelta(days=10))
    )
    db.session.commit()
    assert browser.get(f"/usulan/{hotel.proposal.id}").status_code == 302


def test_reissuing_a_code_stops_the_old_one_and_resets_a_forgotten_password(hotel: World, app: Flask, login_as) -> None:
    organiser = login_as(hotel.organiser)
    [old] = issue(organiser, hotel.event.id, [hotel.participant.id])
    [new] = issue(organiser, hotel.event.id, [hotel.participant.id], output="screen")
    _browser, refused = join(app, old)
    assert refused.status_code == 400 and "diganti" in refused.get_data(as_text=True)
    browser, answer = join(app, new)
    assert answer.status_code == 302
    token = csrf_token_of(browser, "/kata-sandi")
    browser.post(
        "/kata-sandi", data={"csrf_token": token, "password": "lupa-lalu-baru", "confirmation": "lupa-lalu-baru"}
    )
    db.session.expire_all()
    assert db.session.get(User, hotel.participant.id).check_password("lupa-lalu-baru")
    actions = db.session.scalars(
        sa.select(AuditEntry.action).where(AuditEntry.target == f"user:{hotel.participant.id}")
    )
    assert {"codes.redeem", "person.password"} <= set(actions)


def test_codes_expire_with_the_event(hotel: World, app: Flask, login_as) -> None:
    [code] = issue(login_as(hotel.organiser), hotel.event.id, [hotel.participant.id])
    db.session.execute(sa.update(JoinCode).values(expires_at=datetime(2000, 1, 1)))
    db.session.commit()
    _browser, answer = join(app, code)
    assert answer.status_code == 400 and "kedaluwarsa" in answer.get_data(as_text=True)


def test_codes_of_deactivated_people_do_not_work(hotel: World, app: Flask, login_as) -> None:
    organiser = login_as(hotel.organiser)
    [code] = issue(organiser, hotel.event.id, [hotel.participant.id])
    token = csrf_token_of(organiser, "/")
    organiser.post(
        f"/rakor/{hotel.event.id}/admin/orang/{hotel.participant.id}/status", data={"csrf_token": token, "active": "0"}
    )
    _browser, answer = join(app, code)
    assert answer.status_code == 400 and "tidak aktif" in answer.get_data(as_text=True)


@pytest.mark.parametrize("typed", ["", "ABCD", "ABCD-EFGH-JKMN", "\x00" * 12, "😀" * 12, "A" * 40, "' OR 1=1 --"])
def test_wrong_codes_get_a_clear_message(hotel: World, app: Flask, typed: str) -> None:
    before = everything()
    _browser, answer = join(app, typed)
    assert answer.status_code == 400
    assert "kode" in answer.get_data(as_text=True).lower()
    assert everything() == before


def test_guessing_codes_is_rate_limited(hotel: World, app: Flask) -> None:
    app.config["JOIN_CODE_RATE_LIMIT"] = "5 per minute"
    browser = app.test_client()
    token = csrf_token_of(browser, "/gabung")
    answers = [
        browser.post("/gabung", data={"csrf_token": token, "code": f"AAAA-BBBB-CC{n:02d}"}).status_code
        for n in range(8)
    ]
    assert answers[:5] == [400] * 5 and answers[5:] == [429] * 3


def test_name_tag_cards_as_a_pdf_with_codes_and_qr(hotel: World, login_as) -> None:
    organiser = login_as(hotel.organiser)
    token = csrf_token_of(organiser, "/")
    people = [hotel.participant.id, hotel.other_participant.id, hotel.reviewer.id]
    response = organiser.post(
        f"/rakor/{hotel.event.id}/admin/kode",
        data={"csrf_token": token, "people": [str(i) for i in people], "format": "pdf"},
    )
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    assert "Budi Peserta" in text and "Sari Peserta" in text and "Dewi Peninjau" in text
    assert len(re.findall(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", text)) == 3
    active = db.session.scalar(sa.select(sa.func.count(JoinCode.id)).where(JoinCode.revoked_at.is_(None)))
    assert active == 3


# ---- Organiser screens ---------------------------------------------------------------------


def test_the_organiser_edits_the_event_and_every_change_is_audited(hotel: World, login_as) -> None:
    client = login_as(hotel.organiser)
    token = csrf_token_of(client, "/")
    form = {
        "csrf_token": token,
        "title": "Rakor Sinkronisasi 2025",
        "theme": "Sinergi",
        "venue": "Hotel Uji",
        "city": "Pontianak",
        "plan_year": "2026",
        "starts_on": "2025-03-10",
        "ends_on": "2025-03-11",
        "phase": "review",
    }
    assert client.post(f"/rakor/{hotel.event.id}/admin", data=form).status_code == 302
    db.session.expire_all()
    assert (hotel.event.title, hotel.event.plan_year, hotel.event.phase) == (
        "Rakor Sinkronisasi 2025",
        2026,
        EventPhase.REVIEW,
    )
    page = client.get(f"/rakor/{hotel.event.id}/admin/jejak").get_data(as_text=True)
    assert "event.update" in page and "phase: meeting → review" in page and "Rina Organiser" in page


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"title": ""}, "Isian ini wajib diisi"),
        ({"plan_year": "20x4"}, "Tahun rencana"),
        ({"starts_on": "14-03-2025"}, "YYYY-MM-DD"),
        ({"ends_on": "2025-03-01"}, "tidak dapat berakhir sebelum"),
        ({"phase": "party"}, "Pilih fase"),
        ({"title": "x" * 301}, "Paling banyak 300"),
    ],
)
def test_bad_event_details_are_refused(hotel: World, login_as, change: dict, message: str) -> None:
    client = login_as(hotel.organiser)
    token = csrf_token_of(client, "/")
    form = {
        "csrf_token": token,
        "title": "Rakor",
        "theme": "",
        "venue": "",
        "city": "",
        "plan_year": "2025",
        "starts_on": "2025-03-10",
        "ends_on": "2025-03-11",
        "phase": "meeting",
        **change,
    }
    before = everything()
    response = client.post(f"/rakor/{hotel.event.id}/admin", data=form)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert everything() == before


def test_agencies_are_added_edited_and_deactivated(hotel: World, login_as) -> None:
    client = login_as(hotel.organiser)
    token = csrf_token_of(client, "/")
    new = {
        "csrf_token": token,
        "name": "Badan Perencanaan Pembangunan Daerah Kabupaten Sambas",
        "short_name": "Bappeda Kab. Sambas",
        "level": "kabupaten",
        "kind": "bappeda",
        "region_code": "61.01",
        "region_name": "Kabupaten Sambas",
    }
    assert client.post(f"/rakor/{hotel.event.id}/admin/perangkat-daerah", data=new).status_code == 302
    again = client.post(f"/rakor/{hotel.event.id}/admin/perangkat-daerah", data=new)
    assert again.status_code == 422 and "sudah ikut" in again.get_data(as_text=True)
    bad = client.post(
        f"/rakor/{hotel.event.id}/admin/perangkat-daerah", data={**new, "name": "Lain", "region_code": "Sambas"}
    )
    assert bad.status_code == 422 and "kode wilayah" in bad.get_data(as_text=True).lower()
    db.session.expire_all()
    bappeda = next(a for a in hotel.event.agencies if a.short_name == "Bappeda Kab. Sambas")
    edit = {**new, "short_name": "Bappeda Sambas"}
    assert client.post(f"/rakor/{hotel.event.id}/admin/perangkat-daerah/{bappeda.id}", data=edit).status_code == 302
    client.post(
        f"/rakor/{hotel.event.id}/admin/perangkat-daerah/{bappeda.id}/status", data={"csrf_token": token, "active": "0"}
    )
    db.session.expire_all()
    assert bappeda.short_name == "Bappeda Sambas" and bappeda.active is False
    actions = set(db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.event_id == hotel.event.id)))
    assert {"agency.add", "agency.update", "agency.deactivate"} <= actions


def test_people_are_added_given_roles_and_deactivated_never_deleted(hotel: World, app: Flask, login_as) -> None:
    client = login_as(hotel.organiser)
    token = csrf_token_of(client, "/")
    form = {
        "csrf_token": token,
        "name": "Siti Aminah, S.IP.",
        "position": "Analis",
        "agency_id": str(hotel.agency.id),
        "nip": "",
        "email": "",
        "phone": "",
        "roles": ["participant"],
    }
    assert client.post(f"/rakor/{hotel.event.id}/admin/orang", data=form).status_code == 302
    siti = db.session.scalar(sa.select(User).where(User.name == "Siti Aminah, S.IP."))
    assert siti.username == "siti.aminah" and siti.roles_in(hotel.event) == {Role.PARTICIPANT}
    no_role = client.post(f"/rakor/{hotel.event.id}/admin/orang", data={**form, "name": "Tanpa Peran", "roles": []})
    assert no_role.status_code == 422 and "Pilih paling sedikit satu peran" in no_role.get_data(as_text=True)
    foreign = make_agency(AgencyLevel.KABUPATEN, "Kabupaten Landak")  # not in this event
    wrong = client.post(
        f"/rakor/{hotel.event.id}/admin/orang", data={**form, "name": "X", "agency_id": str(foreign.id)}
    )
    assert wrong.status_code == 422
    edit = {**form, "roles": ["participant", "facilitator"], "position": "Kepala Bidang"}
    assert client.post(f"/rakor/{hotel.event.id}/admin/orang/{siti.id}", data=edit).status_code == 302
    db.session.expire_all()
    assert siti.roles_in(hotel.event) == {Role.PARTICIPANT, Role.FACILITATOR} and siti.position == "Kepala Bidang"
    # Someone who edited is deactivated, not deleted; their sign-ins end.
    from workspace.services import editing

    item = next(i for i in hotel.proposal.items if i.code.count(".") == 5)
    editing.update_field(hotel.participant, item.id, "location", "Paloh", item.location)
    participant = login_as(hotel.participant)
    page = client.get(f"/rakor/{hotel.event.id}/admin/orang/{hotel.participant.id}").get_data(as_text=True)
    assert "hanya dapat dinonaktifkan" in page and "Hapus" not in page
    client.post(
        f"/rakor/{hotel.event.id}/admin/orang/{hotel.participant.id}/status", data={"csrf_token": token, "active": "0"}
    )
    db.session.expire_all()
    assert db.session.get(User, hotel.participant.id).active is False
    assert participant.get(f"/usulan/{hotel.proposal.id}").status_code == 302
    myself = client.post(
        f"/rakor/{hotel.event.id}/admin/orang/{hotel.organiser.id}/status", data={"csrf_token": token, "active": "0"}
    )
    assert myself.status_code == 422
    actions = [a for a in db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.event_id == hotel.event.id))]
    assert {"person.create", "person.update", "person.deactivate"} <= set(actions)
    assert db.session.scalar(sa.select(sa.func.count(Membership.id)).where(Membership.user_id == siti.id)) == 2


def test_the_catalogue_is_imported_through_the_same_validation_and_searchable(hotel: World, login_as) -> None:
    hotel.organiser.is_platform_admin = True  # the nomenclature is shared: only they import it
    db.session.commit()
    client = login_as(hotel.organiser)
    good = (
        "kode,tingkat,nama,berlaku_untuk,indikator_contoh,satuan,status_sumber\n"
        "8,urusan,UNSUR PEMERINTAHAN UMUM,both,,,verified\n"
        "8.01,bidang,KESATUAN BANGSA DAN POLITIK,both,,,verified\n"
        "8.01.02,program,PROGRAM PENGUATAN IDEOLOGI PANCASILA,both,,,verified\n"
    )
    response = upload(client, "/platform/nomenklatur", good.encode(), "nomenklatur.csv")
    assert response.status_code == 302
    page = client.get(f"/rakor/{hotel.event.id}/admin/nomenklatur?q=ideologi").get_data(as_text=True)
    assert "PROGRAM PENGUATAN IDEOLOGI PANCASILA" in page and "UNSUR PEMERINTAHAN UMUM" not in page
    before = everything()
    bad = good + "8.01.02.9.01,kegiatan,SALAH,both,,,verified\n"
    refused = upload(client, "/platform/nomenklatur", bad.encode(), "nomenklatur.csv")
    assert refused.status_code == 422 and "Baris 5" in refused.get_data(as_text=True)
    assert everything() == before


def test_sessions_and_agenda_are_planned_by_organisers(hotel: World, login_as) -> None:
    client = login_as(hotel.organiser)
    token = csrf_token_of(client, "/")
    back = f"/rakor/{hotel.event.id}/admin/sesi"
    created = client.post(
        f"/rakor/{hotel.event.id}/sesi", data={"csrf_token": token, "title": "Pleno II", "next": back}
    )
    assert created.status_code == 302 and created.headers["Location"] == back
    session_id = hotel.event.sessions[-1].id
    added = client.post(
        f"/sesi/{session_id}/agenda",
        data={
            "csrf_token": token,
            "agenda_title": "Pembukaan",
            "agenda_minutes": "30",
            "agenda_start": "08.30",
            "next": back,
        },
    )
    assert added.status_code == 302
    page = client.get(back).get_data(as_text=True)
    assert "Pembukaan" in page and "08.30" in page
    bad = client.post(
        f"/sesi/{session_id}/agenda",
        data={"csrf_token": token, "agenda_title": "X", "agenda_minutes": "900", "next": back},
        follow_redirects=True,
    )
    assert "0 sampai 600 menit" in bad.get_data(as_text=True)
    participant = login_as(hotel.participant)
    token_p = csrf_token_of(participant, "/")
    assert (
        participant.post(
            f"/sesi/{session_id}/agenda", data={"csrf_token": token_p, "agenda_title": "Y", "agenda_minutes": "5"}
        ).status_code
        == 403
    )


def test_only_organisers_reach_the_administration(hotel: World, login_as) -> None:
    for key in ("facilitator", "participant", "reviewer", "observer", "outsider"):
        client = login_as(hotel.user(key))
        for path in ("admin", "admin/orang", "admin/perangkat-daerah", "admin/jejak", "admin/nomenklatur"):
            assert client.get(f"/rakor/{hotel.event.id}/{path}").status_code == 403, (key, path)


# ---- Found by review: one event's organisers stay inside their event -------------------------


def test_an_organiser_cannot_take_over_an_account_of_another_event(hotel: World, login_as) -> None:
    from tests.factories import make_event

    other_event = make_event()
    victim = make_user(other_event, (Role.ORGANISER,), hotel.agency, name="Organiser Lain")
    victim.email = "organiser.lain@example.id"
    db.session.commit()
    client = login_as(hotel.organiser)
    before = everything()
    # By import, matching the victim's e-mail: refused, nothing written.
    row = ["Siapa Saja", "", "Staf", hotel.agency.name, "organiser.lain@example.id", "", "peserta"]
    response = upload(client, f"/rakor/{hotel.event.id}/admin/orang/impor", xlsx([row]))
    assert response.status_code == 422 and "milik akun rakor lain" in response.get_data(as_text=True)
    assert everything() == before
    # A person of both events: editing, deactivating and issuing a code are refused.
    db.session.add(Membership(event_id=hotel.event.id, user_id=victim.id, role=Role.PARTICIPANT))
    db.session.commit()
    before = everything()
    token = csrf_token_of(client, "/")
    edit = client.post(
        f"/rakor/{hotel.event.id}/admin/orang/{victim.id}",
        data={"csrf_token": token, "name": "Diambil Alih", "agency_id": str(hotel.agency.id), "roles": ["participant"]},
    )
    assert edit.status_code == 403 and "juga ikut dalam rakor lain" in edit.get_data(as_text=True)
    status = client.post(
        f"/rakor/{hotel.event.id}/admin/orang/{victim.id}/status", data={"csrf_token": token, "active": "0"}
    )
    assert status.status_code == 403
    codes = client.post(
        f"/rakor/{hotel.event.id}/admin/kode", data={"csrf_token": token, "people": [str(victim.id)], "format": "html"}
    )
    assert codes.status_code == 302
    assert everything() == before
    assert db.session.scalar(sa.select(sa.func.count(JoinCode.id)).where(JoinCode.user_id == victim.id)) == 0


def test_an_agency_of_several_events_is_not_changed_from_one(hotel: World, login_as) -> None:
    from tests.factories import make_event

    other_event = make_event()
    other_event.agencies.append(hotel.agency)
    db.session.commit()
    client = login_as(hotel.organiser)
    token = csrf_token_of(client, "/")
    before = everything()
    form = {
        "csrf_token": token,
        "name": "Nama Baru",
        "short_name": "Baru",
        "level": "kabupaten",
        "kind": "kesbangpol",
        "region_code": "61.01",
        "region_name": "Kabupaten Sambas",
    }
    edit = client.post(f"/rakor/{hotel.event.id}/admin/perangkat-daerah/{hotel.agency.id}", data=form)
    assert edit.status_code == 403
    status = client.post(
        f"/rakor/{hotel.event.id}/admin/perangkat-daerah/{hotel.agency.id}/status",
        data={"csrf_token": token, "active": "0"},
    )
    assert status.status_code == 403
    assert everything() == before


def test_printing_the_same_person_twice_gives_one_working_card(hotel: World, app: Flask, login_as) -> None:
    codes = issue(login_as(hotel.organiser), hotel.event.id, [hotel.participant.id, hotel.participant.id])
    assert len(codes) == 1
    _browser, answer = join(app, codes[0])
    assert answer.status_code == 302


def test_an_ended_code_sign_in_does_not_trap_the_browser(hotel: World, app: Flask, login_as) -> None:
    [code] = issue(login_as(hotel.organiser), hotel.event.id, [hotel.participant.id])
    browser, _answer = join(app, code)
    db.session.execute(sa.update(LoginSession).values(ended_at=datetime(2000, 1, 1)))
    db.session.commit()
    page = browser.get("/masuk")
    assert page.status_code == 200 and "Masuk ke Sinergi" in page.get_data(as_text=True)
    assert browser.get("/kata-sandi").status_code == 302
    assert browser.get("/masuk").status_code == 200


def test_a_new_password_ends_the_other_sign_ins_and_needs_the_current_one(hotel: World, app: Flask, login_as) -> None:
    elsewhere = login_as(hotel.participant)  # e.g. the laptop where a lost card was used
    here = login_as(hotel.participant)
    token = csrf_token_of(here, "/kata-sandi")
    wrong = here.post(
        "/kata-sandi",
        data={"csrf_token": token, "current": "salah", "password": "sandi-baru-123", "confirmation": "sandi-baru-123"},
    )
    assert wrong.status_code == 422 and "Kata sandi saat ini salah" in wrong.get_data(as_text=True)
    from tests.factories import PASSWORD

    done = here.post(
        "/kata-sandi",
        data={"csrf_token": token, "current": PASSWORD, "password": "sandi-baru-123", "confirmation": "sandi-baru-123"},
    )
    assert done.status_code == 302
    assert here.get(f"/usulan/{hotel.proposal.id}").status_code == 200
    assert elsewhere.get(f"/usulan/{hotel.proposal.id}").status_code == 302


def test_redirects_stay_on_this_site(hotel: World, app: Flask, login_as) -> None:
    from workspace.views.auth import safe_next_url

    for target in ("/\\evil.example", "/\t/evil.example", "//evil.example", "https://evil.example", "/ok\r\n"):
        assert safe_next_url(target) is None, target
    assert safe_next_url("/rakor/1") == "/rakor/1"
    client = login_as(hotel.organiser)
    token = csrf_token_of(client, "/")
    answer = client.post(
        f"/rakor/{hotel.event.id}/sesi", data={"csrf_token": token, "title": "Pleno X", "next": "/\\evil.example"}
    )
    assert answer.status_code == 302 and "evil" not in answer.headers["Location"]


def test_huge_ids_and_dates_are_refused_cleanly(hotel: World, login_as) -> None:
    client = login_as(hotel.organiser)
    assert client.get("/usulan/" + "9" * 25).status_code == 404
    assert client.get(f"/rakor/{hotel.event.id}/admin/orang/" + "9" * 25).status_code == 404
    token = csrf_token_of(client, "/")
    before = everything()
    form = {
        "csrf_token": token,
        "title": "Rakor",
        "plan_year": "2025",
        "starts_on": "2025-03-10",
        "ends_on": "9999-12-31",
        "phase": "meeting",
    }
    assert client.post(f"/rakor/{hotel.event.id}/admin", data=form).status_code == 422
    person = {"csrf_token": token, "name": "X", "agency_id": "9" * 25, "roles": ["participant"]}
    assert client.post(f"/rakor/{hotel.event.id}/admin/orang", data=person).status_code == 422
    assert everything() == before


def test_renaming_someone_shows_at_once_in_cached_fragments(hotel: World, login_as) -> None:
    from workspace.services import comments

    comments.post_comment(hotel.participant, hotel.proposal.id, "Mohon dicek.")
    viewer = login_as(hotel.reviewer)
    assert "Budi Peserta" in viewer.get(f"/usulan/{hotel.proposal.id}/diskusi").get_data(as_text=True)
    client = login_as(hotel.organiser)
    token = csrf_token_of(client, "/")
    client.post(
        f"/rakor/{hotel.event.id}/admin/orang/{hotel.participant.id}",
        data={"csrf_token": token, "name": "Budi Santoso", "agency_id": str(hotel.agency.id), "roles": ["participant"]},
    )
    assert "Budi Santoso" in viewer.get(f"/usulan/{hotel.proposal.id}/diskusi").get_data(as_text=True)


# ---- On the seam: each write one unit of work, its changes published after the commit ---------




def event_form(token: str, **change: str) -> dict[str, str]:
    return {
        "csrf_token": token,
        "title": "Rakor",
        "plan_year": "2025",
        "starts_on": date.today().isoformat(),
        "ends_on": (date.today() + timedelta(days=1)).isoformat(),
        "phase": "meeting",
        **change,
    }


def test_a_new_phase_reaches_the_open_pages_of_the_event_at_once(loose_app: Flask, loose_world: World) -> None:
    http = loose_app.test_client()
    login(http, loose_world.participant.username)
    page = socketio.test_client(loose_app, flask_test_client=http)
    assert page.emit("event:join", {"event_id": loose_world.event.id}, callback=True)["ok"]
    page.get_received()
    organiser = loose_app.test_client()
    login(organiser, loose_world.organiser.username)
    token = csrf_token_of(organiser, "/")
    url = f"/rakor/{loose_world.event.id}/admin"
    assert organiser.post(url, data=event_form(token, title="Rakor Baru")).status_code == 302
    assert [e for e in page.get_received() if e["name"] == "event:phase"] == []  # details only: rights unchanged
    assert organiser.post(url, data=event_form(token, title="Rakor Baru", phase="closed")).status_code == 302
    phases = [e["args"][0] for e in page.get_received() if e["name"] == "event:phase"]
    assert phases == [{"event_id": loose_world.event.id, "phase": "closed", "accepts_edits": False}]
    page.disconnect()


def test_a_refused_event_form_publishes_nothing(hotel: World, login_as, received: list[list[Change]]) -> None:
    client = login_as(hotel.organiser)
    token = csrf_token_of(client, "/")
    answer = client.post(f"/rakor/{hotel.event.id}/admin", data=event_form(token, phase="closed", title=""))
    assert answer.status_code == 422
    assert received == []
    db.session.expire_all()
    assert hotel.event.phase is EventPhase.MEETING


def test_a_new_password_is_one_unit_of_work(
    hotel: World, login_as, received: list[list[Change]], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.factories import PASSWORD

    elsewhere = login_as(hotel.participant)
    here = login_as(hotel.participant)
    token = csrf_token_of(here, "/kata-sandi")
    form = {"csrf_token": token, "current": PASSWORD, "password": "sandi-baru-123", "confirmation": "sandi-baru-123"}

    def fails(_token: str | None) -> None:
        raise RuntimeError("the last step of the password change fails")

    monkeypatch.setattr(accounts, "_keep_login", fails)
    with pytest.raises(RuntimeError):
        here.post("/kata-sandi", data=form)
    monkeypatch.undo()
    db.session.expire_all()
    assert db.session.get(User, hotel.participant.id).check_password(PASSWORD)  # nothing of it stayed
    assert elsewhere.get(f"/usulan/{hotel.proposal.id}").status_code == 200
    assert received == []

    assert here.post("/kata-sandi", data=form).status_code == 302
    [[ended]] = received
    assert isinstance(ended, SignInsEnded) and ended.user_id == hotel.participant.id and ended.keep_token
    assert here.get(f"/usulan/{hotel.proposal.id}").status_code == 200
    assert elsewhere.get(f"/usulan/{hotel.proposal.id}").status_code == 302


def test_a_code_is_not_spent_without_its_sign_in(
    hotel: World, app: Flask, login_as, monkeypatch: pytest.MonkeyPatch
) -> None:
    [code] = issue(login_as(hotel.organiser), hotel.event.id, [hotel.participant.id])

    def fails(*_arguments: object, **_options: object) -> str:
        raise RuntimeError("the sign-in cannot be stored")

    monkeypatch.setattr(join_codes, "open_login", fails)
    with pytest.raises(RuntimeError):
        join(app, code)
    monkeypatch.undo()
    db.session.expire_all()
    stored = db.session.scalar(sa.select(JoinCode).where(JoinCode.user_id == hotel.participant.id))
    assert stored.used_at is None
    browser, answer = join(app, code)  # the card still works
    assert answer.status_code == 302
    assert browser.get("/kata-sandi").status_code == 200
