"""Issue 16 (from demo to a real rakor, safely): a real event without the demo, the demo seeded once,
sign-ins that expire, guessing that slows the guesser and not the hotel, organisers who cannot take
over each other, and what one event's organiser may do to what other events share."""

from __future__ import annotations

import re
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import csrf_token_of, login
from tests.factories import PASSWORD, World, make_event, make_user
from tests.test_auth import post_login
from tests.test_onboarding import everything, hotel, issue, join, upload  # noqa: F401  (hotel: a fixture)
from workspace.extensions import db
from workspace.models import (
    AuditEntry,
    CatalogEntry,
    Event,
    EventPhase,
    JoinCode,
    LoginSession,
    Membership,
    Role,
    User,
)
from workspace.models.base import utcnow
from workspace.services import deployment
from workspace.services.demo import DEMO_PASSWORD

CATALOG_HEADER = "kode,tingkat,nama,berlaku_untuk,indikator_contoh,satuan,status_sumber\n"


def event_form(**values: str) -> dict[str, str]:
    form = {
        "slug": "rakor-kesbangpol-2025",
        "title": "Rakor Perencanaan Kesbangpol se Kalimantan Barat 2025",
        "starts_on": (date.today() + timedelta(days=30)).isoformat(),
        "ends_on": (date.today() + timedelta(days=31)).isoformat(),
        "plan_year": "2026",
        "venue": "Hotel Mercure Pontianak",
        "city": "Pontianak",
    }
    form.update(values)
    return form


# ---- 1. A real rakor without the demo --------------------------------------------------------------


def create_event_args(**values: str) -> list[str]:
    form = event_form(**values)
    args = ["create-event", "--organiser", values.get("organiser", "sekretariat.kesbangpol")]
    for name in ("slug", "title", "starts_on", "ends_on", "plan_year", "venue", "city"):
        args += [f"--{name.replace('_', '-')}", form[name]]
    return args


def test_create_event_on_the_command_line_makes_a_real_rakor_without_demo_accounts(app: Flask) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[*create_event_args(), "--organiser-name", "Drs. Hendri Gunawan, M.Si."],
        input="kata-sandi-sekretariat\nkata-sandi-sekretariat\n",
    )
    assert result.exit_code == 0, result.output
    event = db.session.scalar(sa.select(Event).where(Event.slug == "rakor-kesbangpol-2025"))
    assert event is not None and event.phase is EventPhase.PREPARATION and event.plan_year == 2026
    organiser = db.session.scalar(sa.select(User).where(User.username == "sekretariat.kesbangpol"))
    assert organiser.roles_in(event) == {Role.ORGANISER}
    assert not organiser.has_demo_password and organiser.check_password("kata-sandi-sekretariat")
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 1  # nobody else: no demo
    assert deployment.accounts_with_published_password() == []
    audit = db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.event_id == event.id)).all()
    assert audit == ["event.create"]
    client = app.test_client()
    login(client, "sekretariat.kesbangpol", "kata-sandi-sekretariat")
    assert client.get(f"/rakor/{event.id}/admin").status_code == 200
    # An existing account becomes the organiser of the next event; its password stays.
    again = runner.invoke(args=create_event_args(slug="rakor-kesbangpol-2026", plan_year="2027"))
    assert again.exit_code == 0, again.output
    assert "existing account" in again.output
    assert organiser.check_password("kata-sandi-sekretariat")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"slug": "Rakor 2025!"}, "huruf kecil"),
        ({"ends_on": (date.today() + timedelta(days=1)).isoformat()}, "tidak dapat berakhir sebelum"),
        ({"plan_year": "²⁰²⁶"}, "tahun rencana"),
        ({"starts_on": "besok"}, "YYYY-MM-DD"),
    ],
)
def test_create_event_refuses_bad_input_and_stores_nothing(app: Flask, change: dict, message: str) -> None:
    before = everything()
    result = app.test_cli_runner().invoke(
        args=[*create_event_args(**change), "--organiser-name", "Hendri", "--password", "kata-sandi-panjang"]
    )
    assert result.exit_code == 1
    assert message.lower() in result.output.lower()
    assert everything() == before


def test_create_event_refuses_a_taken_slug_a_weak_or_the_demo_password(app: Flask) -> None:
    runner = app.test_cli_runner()
    base = [*create_event_args(), "--organiser-name", "Hendri"]
    assert runner.invoke(args=[*base, "--password", "kata-sandi-panjang"]).exit_code == 0
    before = everything()
    taken = runner.invoke(
        args=[*create_event_args(organiser="orang.lain"), "--organiser-name", "X", "--password", "x" * 12]
    )
    assert taken.exit_code == 1 and "sudah dipakai" in taken.output
    other = [*create_event_args(slug="rakor-lain", organiser="orang.lain"), "--organiser-name", "X", "--password"]
    short = runner.invoke(args=[*other, "pendek"])
    assert short.exit_code == 1 and "paling sedikit 8" in short.output.lower()
    published = runner.invoke(args=[*other, DEMO_PASSWORD])
    assert published.exit_code == 1 and "demo" in published.output.lower()
    assert everything() == before


def make_platform_admin(world: World) -> User:
    admin = make_user(world.event, (), world.agency, name="Admin Platform")
    admin.is_platform_admin = True
    db.session.commit()
    return admin


def test_a_platform_administrator_creates_the_next_event_and_its_organiser_gets_a_join_code(
    world: World, app: Flask, login_as
) -> None:
    admin = login_as(make_platform_admin(world))
    assert "Administrasi platform" in admin.get("/platform").get_data(as_text=True)
    token = csrf_token_of(admin, "/platform")
    form = event_form() | {"organiser_username": "sekretariat.baru", "organiser_name": "Sri Wahyuni, S.E."}
    response = admin.post("/platform/rakor", data={"csrf_token": token, **form})
    assert response.status_code == 201
    [code] = re.findall(r"<strong>([A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4})</strong>", response.get_data(as_text=True))
    event = db.session.scalar(sa.select(Event).where(Event.slug == form["slug"]))
    newcomer = db.session.scalar(sa.select(User).where(User.username == "sekretariat.baru"))
    assert newcomer.roles_in(event) == {Role.ORGANISER} and newcomer.password_hash is None
    browser, answer = join(app, code)
    assert answer.status_code == 302  # the code signs them in and asks for their own password
    assert browser.get(f"/rakor/{event.id}/admin").status_code == 302


def test_the_platform_screen_refuses_bad_input_and_everyone_but_its_administrators(world: World, login_as) -> None:
    admin = login_as(make_platform_admin(world))
    token = csrf_token_of(admin, "/platform")
    before = everything()
    form = event_form(slug="x", ends_on="2000-01-01") | {"organiser_username": "baru", "organiser_name": ""}
    refused = admin.post("/platform/rakor", data={"csrf_token": token, **form})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "Nama singkat" in page and "tidak dapat berakhir sebelum" in page and "wajib diisi" in page
    assert everything() == before
    organiser = login_as(world.organiser)
    token = csrf_token_of(organiser, "/")
    assert organiser.get("/platform").status_code == 403
    good = event_form() | {"organiser_username": world.organiser.username}
    assert organiser.post("/platform/rakor", data={"csrf_token": token, **good}).status_code == 403
    assert everything() == before


# ---- The demo: created once, never given back ------------------------------------------------------


def test_seed_demo_changes_nothing_once_the_demo_exists_and_never_regrants_a_removed_role(app: Flask) -> None:
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0 and "created" in first.output and DEMO_PASSWORD in first.output
    facilitator = db.session.scalar(sa.select(User).where(User.username == "fasilitator"))
    db.session.execute(
        sa.delete(Membership).where(Membership.user_id == facilitator.id, Membership.role == Role.ORGANISER)
    )
    db.session.commit()
    before = everything()
    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code == 0 and "already present" in again.output
    assert everything() == before
    db.session.expire_all()
    assert Role.ORGANISER not in {m.role for m in facilitator.memberships}


def test_the_published_demo_password_cannot_be_chosen_as_ones_own(world: World, login_as) -> None:
    client = login_as(world.participant)
    token = csrf_token_of(client, "/kata-sandi")
    response = client.post(
        "/kata-sandi",
        data={"csrf_token": token, "current": PASSWORD, "password": DEMO_PASSWORD, "confirmation": DEMO_PASSWORD},
    )
    assert response.status_code == 422 and "kata sandi demo" in response.get_data(as_text=True).lower()
    db.session.expire_all()
    assert db.session.get(User, world.participant.id).check_password(PASSWORD)


def test_beyond_loopback_the_start_is_refused_while_demo_passwords_exist(demo_app: Flask) -> None:
    assert deployment.check_before_listening(demo_app, "127.0.0.1") == deployment.StartVerdict()
    verdict = deployment.check_before_listening(demo_app, "0.0.0.0")
    assert verdict.refusal and "create-event" in verdict.refusal and "SINERGI_LAN_DEMO=1" in verdict.refusal
    assert "sekretariat" in verdict.refusal
    assert len(deployment.accounts_with_published_password()) >= 60  # nothing was changed


def test_a_lan_demo_on_purpose_replaces_every_demo_password_and_prints_them(demo_app: Flask) -> None:
    from workspace.queries.accounts import authenticate

    demo_app.config["SINERGI_LAN_DEMO"] = True
    verdict = deployment.check_before_listening(demo_app, "192.168.1.20")
    assert verdict.refusal is None and verdict.notice
    printed = dict(re.findall(r"^  (\S+)\s+([a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4})$", verdict.notice, re.M))
    assert len(printed) >= 60 and len(set(printed.values())) == len(printed)
    assert authenticate("sekretariat", DEMO_PASSWORD) is None
    assert authenticate("sekretariat", printed["sekretariat"]) is not None
    assert deployment.accounts_with_published_password() == []
    assert deployment.check_before_listening(demo_app, "0.0.0.0") == deployment.StartVerdict()  # next start: fine
    saved = Path(demo_app.instance_path) / "lan-demo-logins.txt"
    assert printed["sekretariat"] in saved.read_text(encoding="utf-8")


def test_loopback_addresses() -> None:
    assert all(deployment.is_loopback(host) for host in ("127.0.0.1", "127.0.1.1", "localhost", "::1", "[::1]"))
    assert not any(deployment.is_loopback(host) for host in ("0.0.0.0", "::", "192.168.1.20", "sinergi.local"))


# ---- 9. Sign-ins expire ----------------------------------------------------------------------------


def _signed_in(app: Flask, user: User) -> FlaskClient:
    client = app.test_client()
    login(client, user.username)
    return client


def test_an_idle_sign_in_ends_after_the_idle_timeout(world: World, app: Flask) -> None:
    client = _signed_in(app, world.participant)
    page = f"/rakor/{world.event.id}"
    assert client.get(page).status_code == 200
    db.session.execute(sa.update(LoginSession).values(last_seen_at=utcnow() - timedelta(hours=11, minutes=50)))
    db.session.commit()
    assert client.get(page).status_code == 200  # used within 12 hours: still going, and noted
    db.session.expire_all()
    seen = db.session.scalar(sa.select(LoginSession.last_seen_at))
    assert utcnow() - seen < timedelta(minutes=1)
    db.session.execute(sa.update(LoginSession).values(last_seen_at=utcnow() - timedelta(hours=12, minutes=1)))
    db.session.commit()
    response = client.get(page)
    assert response.status_code == 302 and "/masuk" in response.headers["Location"]


def test_no_sign_in_lasts_longer_than_thirty_days_and_remember_me_neither(world: World, app: Flask) -> None:
    client = app.test_client()
    response = post_login(client, world.participant.username, PASSWORD, remember="y")
    cookie = next(value for value in response.headers.getlist("Set-Cookie") if value.startswith("remember_token="))
    expires = re.search(r"Expires=([^;]+)", cookie).group(1)
    from email.utils import parsedate_to_datetime

    lifetime = parsedate_to_datetime(expires).replace(tzinfo=None) - utcnow()
    assert timedelta(days=29) < lifetime <= timedelta(days=30, minutes=1)
    db.session.execute(sa.update(LoginSession).values(created_at=utcnow() - timedelta(days=30, minutes=1)))
    db.session.commit()
    assert client.get("/").status_code == 302


def test_a_code_sign_in_ends_a_day_after_the_event_and_follows_its_dates(hotel: World, app: Flask, login_as) -> None:  # noqa: F811
    hotel.event.code_sign_in_lasts = True
    db.session.commit()
    [code] = issue(login_as(hotel.organiser), hotel.event.id, [hotel.participant.id])
    browser, _answer = join(app, code)
    assert browser.get(f"/usulan/{hotel.proposal.id}").status_code == 200
    ends = db.session.scalar(sa.select(LoginSession.expires_at).where(LoginSession.event_id == hotel.event.id))
    assert ends is not None and ends.date() == hotel.event.ends_on + timedelta(days=1)
    # The organiser moves the event two days earlier: it ended yesterday, its code sign-ins end now.
    organiser = login_as(hotel.organiser)
    token = csrf_token_of(organiser, "/")
    moved = {
        "csrf_token": token,
        "title": hotel.event.title,
        "plan_year": str(hotel.event.plan_year),
        "starts_on": (date.today() - timedelta(days=3)).isoformat(),
        "ends_on": (date.today() - timedelta(days=2)).isoformat(),
        "phase": hotel.event.phase.value,
        "code_sign_in_lasts": "1",
    }
    assert organiser.post(f"/rakor/{hotel.event.id}/admin", data=moved).status_code in (200, 302)
    assert browser.get(f"/usulan/{hotel.proposal.id}").status_code == 302


# ---- 10. Guessing slows the guesser, not the hotel -------------------------------------------------


def test_the_wait_is_not_a_lock(world: World, app: Flask, client: FlaskClient) -> None:
    app.config["SIGN_IN_MAX_WAIT"] = 1
    for _ in range(8):
        post_login(client, world.participant.username, "salah")
    assert post_login(client, world.participant.username, PASSWORD).status_code == 429
    time.sleep(1.1)
    assert post_login(client, world.participant.username, PASSWORD).status_code == 302


def test_a_browser_that_signed_in_before_is_not_held_up_by_someone_guessing(world: World, app: Flask) -> None:
    own_laptop = app.test_client()
    assert post_login(own_laptop, world.participant.username, PASSWORD).status_code == 302
    own_laptop.post("/keluar", data={"csrf_token": csrf_token_of(own_laptop, "/")})
    attacker = app.test_client()  # same address in the test client: the hotel's NAT
    for _ in range(12):
        post_login(attacker, world.participant.username, "tebakan")
    assert post_login(attacker, world.participant.username, PASSWORD).status_code == 429
    assert post_login(own_laptop, world.participant.username, PASSWORD).status_code == 302


def test_unknown_usernames_are_slowed_per_address_without_holding_up_real_accounts(
    world: World, app: Flask, client: FlaskClient
) -> None:
    app.config["SIGN_IN_UNKNOWN_FREE_FAILURES"] = 3
    statuses = [post_login(client, f"tidak.ada.{n}", "apa-saja").status_code for n in range(5)]
    assert statuses[:4] == [400] * 4 and statuses[4] == 429
    assert post_login(app.test_client(), world.reviewer.username, PASSWORD).status_code == 302


def test_a_right_join_code_works_whatever_others_on_the_address_typed(hotel: World, app: Flask, login_as) -> None:  # noqa: F811
    app.config["JOIN_CODE_RATE_LIMIT"] = "5 per minute"
    [code] = issue(login_as(hotel.organiser), hotel.event.id, [hotel.participant.id])
    guesser = app.test_client()
    token = csrf_token_of(guesser, "/gabung")
    answers = [
        guesser.post("/gabung", data={"csrf_token": token, "code": f"AAAA-BBBB-CC{n:02d}"}).status_code
        for n in range(8)
    ]
    assert answers[:5] == [400] * 5 and answers[5:] == [429] * 3
    _browser, answer = join(app, code)
    assert answer.status_code == 302


def test_one_typed_code_is_limited_on_its_own(hotel: World, app: Flask) -> None:  # noqa: F811
    app.config["JOIN_CODE_PER_CODE_LIMIT"] = "3 per 10 minutes"
    browser = app.test_client()
    token = csrf_token_of(browser, "/gabung")
    same = [browser.post("/gabung", data={"csrf_token": token, "code": "ZZZZ-ZZZZ-ZZZZ"}).status_code for _ in range(4)]
    assert same == [400, 400, 400, 429]
    assert "Terlalu banyak kode salah" in browser.post(
        "/gabung", data={"csrf_token": token, "code": "ZZZZ-ZZZZ-ZZZZ"}
    ).get_data(as_text=True)
    other = browser.post("/gabung", data={"csrf_token": token, "code": "YYYY-YYYY-YYYY"})
    assert other.status_code == 400


# ---- 7. Organisers cannot take over each other -----------------------------------------------------


def test_an_organiser_cannot_issue_a_code_for_a_fellow_organiser(world: World, login_as) -> None:
    fellow = make_user(world.event, (Role.ORGANISER,), world.agency, name="Organiser Kedua")
    organiser = login_as(world.organiser)
    token = csrf_token_of(organiser, "/")
    codes_before = db.session.scalar(sa.select(sa.func.count(JoinCode.id)))
    response = organiser.post(
        f"/rakor/{world.event.id}/admin/kode", data={"csrf_token": token, "people": [str(fellow.id)]}
    )
    assert response.status_code == 302  # back to the list of people, with the reason
    assert "dari administrator platform" in organiser.get(response.headers["Location"]).get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(JoinCode.id))) == codes_before
    refused = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "codes.refused"))
    assert refused is not None and refused.actor_id == world.organiser.id and "Organiser Kedua" in refused.detail
    # …nor for a participant and an organiser together (nobody's code is issued)
    both = organiser.post(
        f"/rakor/{world.event.id}/admin/kode",
        data={"csrf_token": token, "people": [str(world.participant.id), str(fellow.id)]},
    )
    assert both.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(JoinCode.id))) == codes_before
    # A platform administrator who organises the event may (audited as an issue).
    world.organiser.is_platform_admin = True
    db.session.commit()
    assert len(issue(organiser, world.event.id, [fellow.id])) == 1


# ---- 5. Scope: what events share -------------------------------------------------------------------


def test_an_agency_of_another_event_is_taken_in_only_by_someone_who_organises_it(world: World, login_as) -> None:
    other_event = make_event()
    foreign_organiser = make_user(other_event, (Role.ORGANISER,), world.agency, name="Organiser Lain")
    client = login_as(foreign_organiser)
    token = csrf_token_of(client, "/")
    before = everything()
    form = {
        "csrf_token": token,
        "name": world.agency.name,
        "short_name": "Dicuri",
        "level": world.agency.level.value,
        "kind": world.agency.kind.value,
        "region_code": "61.01",  # a valid code (the factory numbers its regions past 99)
        "region_name": world.agency.region_name,
    }
    response = client.post(f"/rakor/{other_event.id}/admin/perangkat-daerah", data=form)
    assert response.status_code == 403 and "administrator platform" in response.get_data(as_text=True)
    assert everything() == before
    # The event's own organiser still manages it.
    own = login_as(world.organiser)
    own_token = csrf_token_of(own, "/")
    status = own.post(
        f"/rakor/{world.event.id}/admin/perangkat-daerah/{world.agency.id}/status",
        data={"csrf_token": own_token, "active": "0"},
    )
    assert status.status_code in (200, 302)
    # Someone who organises both events may take it in (the secretariat's next rakor).
    db.session.add(Membership(event_id=world.event.id, user_id=foreign_organiser.id, role=Role.ORGANISER))
    db.session.commit()
    assert client.post(f"/rakor/{other_event.id}/admin/perangkat-daerah", data=form).status_code in (200, 302)
    assert world.agency.id in {a.id for a in db.session.get(Event, other_event.id).agencies}


def test_only_a_platform_administrator_imports_the_nomenclature_and_every_event_audits_it(
    world: World, login_as
) -> None:
    csv_text = CATALOG_HEADER + "8,urusan,UNSUR PEMERINTAHAN UMUM (BARU),both,,,verified\n"
    organiser = login_as(world.organiser)
    before = everything()
    refused = upload(organiser, "/platform/nomenklatur", csv_text.encode(), "nomenklatur.csv")
    assert refused.status_code == 403
    assert everything() == before
    admin = login_as(make_platform_admin(world))
    assert upload(admin, "/platform/nomenklatur", csv_text.encode(), "nomenklatur.csv").status_code == 302
    entry = db.session.scalar(sa.select(CatalogEntry).where(CatalogEntry.code == "8"))
    assert entry.name == "UNSUR PEMERINTAHAN UMUM (BARU)"
    events = set(db.session.scalars(sa.select(Event.id)))
    audited = set(db.session.scalars(sa.select(AuditEntry.event_id).where(AuditEntry.action == "catalog.import")))
    assert audited == events and len(events) >= 2


def test_the_command_line_catalogue_import_is_audited_in_every_event(world: World, app: Flask, tmp_path) -> None:
    csv_file = tmp_path / "nomenklatur.csv"
    csv_file.write_text(CATALOG_HEADER + "8,urusan,UNSUR PEMERINTAHAN UMUM,both,,,verified\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["import-catalog", str(csv_file)])
    assert result.exit_code == 0, result.output
    events = set(db.session.scalars(sa.select(Event.id)))
    audited = set(db.session.scalars(sa.select(AuditEntry.event_id).where(AuditEntry.action == "catalog.import")))
    assert audited == events


def test_the_server_command_line_resets_an_organisers_password_and_ends_their_sign_ins(
    world: World, app: Flask
) -> None:
    browser = _signed_in(app, world.organiser)
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["reset-password", "--username", world.organiser.username], input="sandi-baru-123\nsandi-baru-123\n"
    )
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.get(User, world.organiser.id).check_password("sandi-baru-123")
    assert browser.get(f"/rakor/{world.event.id}").status_code == 302  # signed out everywhere
    before = everything()
    unknown = runner.invoke(
        args=["reset-password", "--username", "tidak.ada"], input="sandi-baru-123\nsandi-baru-123\n"
    )
    assert unknown.exit_code == 1 and "Tidak ada akun" in unknown.output
    weak = runner.invoke(args=["reset-password", "--username", world.organiser.username], input="pendek\npendek\n")
    assert weak.exit_code == 1
    assert everything() == before


# ---- The real start: python app.py -----------------------------------------------------------------


@pytest.mark.one_engine  # the start-up check reads one flag per account: the same on both engines
def test_app_py_refuses_to_listen_on_the_network_with_the_demo_and_serves_a_lan_demo_on_purpose(
    tmp_path: Path, live_database: str
) -> None:
    import requests

    from tests.servers import RunningServer, start_server

    with pytest.raises(RuntimeError) as refused:
        start_server(tmp_path, live_database, extra_env={"SINERGI_HOST": "0.0.0.0"}, timeout=60)
    message = str(refused.value)
    assert "server exited with 1" in message
    assert "published demo password" in message and "create-event" in message and "SINERGI_LAN_DEMO=1" in message
    server: RunningServer = start_server(
        tmp_path, live_database, extra_env={"SINERGI_HOST": "0.0.0.0", "SINERGI_LAN_DEMO": "1"}, timeout=90
    )
    try:
        printed = dict(re.findall(r"^  (\S+)\s+([a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4})$", server.log(), re.M))
        assert "sekretariat" in printed
        http = requests.Session()
        page = http.get(f"{server.url}/masuk", timeout=10).text
        token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
        answer = http.post(
            f"{server.url}/masuk",
            data={"username": "sekretariat", "password": DEMO_PASSWORD, "csrf_token": token},
            allow_redirects=False,
            timeout=10,
        )
        assert answer.status_code == 400  # the published password no longer works
        answer = http.post(
            f"{server.url}/masuk",
            data={"username": "sekretariat", "password": printed["sekretariat"], "csrf_token": token},
            allow_redirects=False,
            timeout=10,
        )
        assert answer.status_code == 302
    finally:
        server.stop()
