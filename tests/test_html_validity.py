"""Issue 19, item 2: the Nu Html Checker (vnu.jar, `make vnu`) finds no error in the main pages.

The pages are rendered as their users get them — signed in as the participant of an agency, the
facilitator, the organiser (Admin rakor), the reviewer and the observer of the demo rakor, with its
monitoring year for Monev — after a little of a real meeting happened (edits, a discussion with a
suggestion and a mention, a spotlight, a timer, an announcement, a breakout, an agreement, a check-in,
final minutes, an evidence file, a review verdict). A few htmx fragments are checked too, each in a
minimal document. Every page goes to ONE `java -jar vnu.jar --errors-only --format json` run (the
JVM starts slowly); the test fails listing each error with its page, address, line and message.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image

from tests.conftest import PROJECT_ROOT, csrf_token_of, login, skip_or_fail
from tests.factories import make_user
from workspace.extensions import db
from workspace.models import (
    Agency,
    Comment,
    Event,
    EventPhase,
    Evidence,
    ItemLevel,
    Membership,
    MinutesDocument,
    Proposal,
    ProposalItem,
    Role,
    Session,
    User,
)
from workspace.services import agreements, comments, documents, editing, facilitation, review
from workspace.services.demo import DEMO_EVENT_SLUG, DEMO_PASSWORD
from workspace.services.demo_monitoring import MONITORING_SLUG

pytestmark = pytest.mark.one_engine  # the markup does not depend on the database engine

DEFAULT_JAR = PROJECT_ROOT / ".cache" / "vnu" / "vnu.jar"
# A fragment is checked inside a minimal document; a table row needs its table around it.
DOCUMENT = (
    '<!DOCTYPE html>\n<html lang="id"><head><meta charset="utf-8"><title>{name}</title></head><body>\n'
    "{body}\n</body></html>\n"
)
IN_TABLE = "<table><tbody>\n{body}\n</tbody></table>"
# Checked with the pages: proof that the checker read them (a run that reports nothing about this
# one checked nothing).
CANARY = DOCUMENT.format(name="canary", body="<p><div>misplaced</div></p>")
CANARY_MESSAGE = "No “p” element in scope but a “p” end tag seen."


@dataclass(frozen=True)
class Page:
    name: str
    who: str
    path: str
    html: str
    offset: int = 0  # lines of the minimal document above a fragment


def vnu_command() -> list[str]:
    """java and the jar, or a skip (a failure with CI=true) that says how to get them."""
    java = shutil.which("java")
    if java is None:
        skip_or_fail("the HTML validity test needs Java (apt-get install default-jre-headless)")
    jar = Path(os.environ.get("VNU_JAR") or DEFAULT_JAR)
    if not jar.is_file():
        skip_or_fail(f"the HTML validity test needs the Nu Html Checker at {jar}: run `make vnu` (or set VNU_JAR)")
    return [str(java), "-jar", str(jar), "--errors-only", "--format", "json", "--stdout", "--exit-zero-always"]


@dataclass
class Demo:
    event: Event
    monev: Event
    plenary: Session
    proposal: Proposal
    item: ProposalItem
    monev_proposal: Proposal
    monev_item: ProposalItem
    minutes: MinutesDocument


def _user(username: str) -> User:
    return db.session.scalar(sa.select(User).where(User.username == username))


def _proposal_of(event: Event, short_name: str) -> Proposal:
    agency = db.session.scalar(sa.select(Agency).where(Agency.short_name == short_name))
    return db.session.scalar(sa.select(Proposal).where(Proposal.event_id == event.id, Proposal.agency_id == agency.id))


def _first_sub(proposal: Proposal) -> ProposalItem:
    return next(i for i in sorted(proposal.items, key=lambda i: i.id) if i.level is ItemLevel.SUBKEGIATAN)


def _evidence(item: ProposalItem, user: User) -> None:
    png = io.BytesIO()
    Image.new("RGB", (4, 4), (10, 20, 30)).save(png, format="PNG")
    content = png.getvalue()
    evidence = Evidence(
        item_id=item.id, quarter=1, filename="foto-kegiatan.png", content_type="image/png", size=len(content),
        sha256=hashlib.sha256(content).hexdigest(), content=content, thumbnail=content, uploaded_by_id=user.id,
    )  # fmt: skip
    db.session.add(evidence)
    db.session.commit()


def a_meeting_happened() -> Demo:
    """The demo rakor after a little of its plenary: what each page has to show."""
    event = db.session.scalar(sa.select(Event).where(Event.slug == DEMO_EVENT_SLUG))
    monev = db.session.scalar(sa.select(Event).where(Event.slug == MONITORING_SLUG))
    plenary = next(s for s in event.sessions if s.parent_id is None)
    proposal = _proposal_of(event, "Kesbangpol Kab. Sambas")
    item = _first_sub(proposal)
    participant, facilitator, organiser = _user("peserta.sambas"), _user("fasilitator"), _user("sekretariat")
    editing.update_field(participant, item.id, "location", "Sambas, Sajingan Besar", item.location)
    comments.post_comment(participant, proposal.id, "Mohon @peninjau memeriksa target tahun ini.")
    comments.post_comment(facilitator, proposal.id, "Target diselaraskan dengan provinsi?", item_id=item.id)
    comments.reply(participant, db.session.scalar(sa.select(sa.func.max(Comment.id))), "Sudah, sesuai RPJMD.")
    comments.post_comment(
        _user("kesbangpol.sambas"), proposal.id, "Usul target 12.", item_id=item.id, field="target", suggestion="12"
    )
    facilitation.check_in(participant, plenary.id)
    facilitation.set_spotlight(facilitator, plenary.id, proposal.id, item.id)
    facilitation.start_timer(facilitator, plenary.id, "10", "Paparan Kab. Sambas")
    facilitation.set_announcement(facilitator, plenary.id, "Ishoma pukul 12.00 WIB di Ballroom.")
    other = _proposal_of(event, "Kesbangpol Kab. Mempawah")
    facilitation.create_breakout(
        facilitator,
        plenary.id,
        facilitation.BreakoutPlan("Kelompok I: Ideologi", [participant.id, _user("peserta.mempawah").id], [other.id]),
    )
    agreements.record_agreement(facilitator, plenary.id, proposal.id, "agreed_with_notes", "Target disesuaikan.")
    day = {"document_date": event.starts_on.isoformat()}
    minutes = documents.finalise_minutes(organiser, event.id, plenary.id, day)
    monev_proposal = _proposal_of(monev, "Kesbangpol Kab. Sambas")
    monev_item = _first_sub(monev_proposal)
    _evidence(monev_item, participant)
    organiser.is_platform_admin = True
    db.session.commit()
    return Demo(event, monev, plenary, proposal, item, monev_proposal, monev_item, minutes)


# (name, who, path, kind): "page" a whole page; "fragment" what htmx fetches (asked as htmx does),
# checked inside a minimal document; "row" a fragment that is a table row.
def page_list(demo: Demo) -> list[tuple[str, str, str, str]]:
    e, m, s, p, i = demo.event.id, demo.monev.id, demo.plenary.id, demo.proposal.id, demo.item.id
    mp, mi = demo.monev_proposal.id, demo.monev_item.id
    return [
        ("sign-in", "anonymous", "/masuk", "page"),
        ("join", "anonymous", "/gabung", "page"),
        ("event-home", "participant", f"/rakor/{e}", "page"),
        ("proposals", "participant", f"/rakor/{e}/usulan", "page"),
        ("proposal-editing", "participant", f"/usulan/{p}", "page"),
        ("history", "participant", f"/usulan/{p}/riwayat", "fragment"),
        ("discussion", "participant", f"/usulan/{p}/diskusi", "fragment"),
        ("tree", "participant", f"/usulan/{p}/pohon", "fragment"),
        ("item-row", "participant", f"/usulan/butir/{i}/baris", "row"),
        ("field-editor", "participant", f"/usulan/butir/{i}/ubah/target", "fragment"),
        ("add-item-form", "participant", f"/usulan/{p}/butir/baru", "fragment"),
        ("comment-form", "participant", f"/usulan/{p}/komentar/baru?item={i}&field=target&kind=suggestion", "fragment"),
        ("proposal-list-fragment", "participant", f"/rakor/{e}/usulan?status=draft", "fragment"),
        ("session-participant", "participant", f"/sesi/{s}", "page"),
        ("notifications", "reviewer", "/notifikasi", "page"),
        ("own-password", "participant", "/kata-sandi", "page"),
        ("import", "participant", f"/usulan/{p}/impor", "page"),
        ("my-proposal", "participant", f"/rakor/{e}/usulan-saya", "page"),
        ("realisation", "participant", f"/usulan/{mp}/realisasi", "page"),
        ("realisation-table", "participant", f"/usulan/{mp}/realisasi/tabel/2", "fragment"),
        ("realisation-row", "participant", f"/usulan/butir/{mi}/realisasi/2", "row"),
        ("realisation-editor", "participant", f"/usulan/butir/{mi}/realisasi/4/physical", "fragment"),
        ("formula-editor", "participant", f"/usulan/butir/{mi}/rumus", "fragment"),
        ("realisation-import", "participant", f"/usulan/{mp}/realisasi/impor", "page"),
        ("evidence", "participant", f"/usulan/butir/{mi}/realisasi/1/bukti", "page"),
        ("follow-ups", "participant", f"/rakor/{m}/tindak-lanjut", "page"),
        ("session-console", "facilitator", f"/sesi/{s}", "page"),
        ("console", "facilitator", f"/sesi/{s}/konsol", "fragment"),
        ("console-items", "facilitator", f"/sesi/{s}/konsol/butir?proposal={p}", "fragment"),
        ("projector", "observer", f"/sesi/{s}/proyektor", "page"),
        ("spotlight", "observer", f"/sesi/{s}/sorotan", "fragment"),
        ("proposal-read-only", "observer", f"/usulan/{p}", "page"),
        ("event-home-observer", "observer", f"/rakor/{e}", "page"),
        ("outputs", "facilitator", f"/rakor/{e}/keluaran", "page"),
        ("matrix", "facilitator", f"/rakor/{e}/matriks", "page"),
        ("matrix-fragment", "facilitator", f"/rakor/{e}/matriks?program=8.01.02", "fragment"),
        ("directions", "facilitator", f"/rakor/{e}/amanat-presiden", "page"),
        ("minutes-draft", "facilitator", f"/rakor/{e}/berita-acara", "page"),
        ("minutes-session-draft", "facilitator", f"/rakor/{e}/berita-acara?sesi={s}", "page"),
        ("minutes-final", "facilitator", f"/rakor/{e}/berita-acara/{demo.minutes.id}", "page"),
        ("attendance", "facilitator", f"/rakor/{e}/daftar-hadir", "page"),
        ("follow-ups-keeper", "facilitator", f"/rakor/{m}/tindak-lanjut", "page"),
        ("admin-event", "organiser", f"/rakor/{e}/admin", "page"),
        ("admin-agencies", "organiser", f"/rakor/{e}/admin/perangkat-daerah", "page"),
        ("admin-people", "organiser", f"/rakor/{e}/admin/orang", "page"),
        ("admin-person", "organiser", f"/rakor/{e}/admin/orang/{_user('peserta.sambas').id}", "page"),
        ("admin-people-import", "organiser", f"/rakor/{e}/admin/orang/impor", "page"),
        ("admin-sessions", "organiser", f"/rakor/{e}/admin/sesi", "page"),
        ("admin-catalogue", "organiser", f"/rakor/{e}/admin/nomenklatur", "page"),
        ("admin-documents", "organiser", f"/rakor/{e}/admin/dokumen", "page"),
        ("admin-audit", "organiser", f"/rakor/{e}/admin/jejak", "page"),
        ("admin-monitoring", "organiser", f"/rakor/{m}/admin/monev", "page"),
        ("review-desk-organiser", "organiser", f"/rakor/{e}/tinjauan", "page"),
        ("dashboard", "organiser", f"/rakor/{m}/monev", "page"),
        ("dashboard-reviewer", "reviewer", f"/rakor/{m}/monev", "page"),
        ("realisation-verifier", "reviewer", f"/usulan/{mp}/realisasi?tw=2", "page"),
        ("platform", "organiser", "/platform", "page"),
        ("not-found", "participant", "/tidak/ada", "page"),
        ("forbidden", "observer", f"/rakor/{e}/admin", "page"),
    ]


# Pages of the review phase (the event moved on after the meeting).
def review_page_list(demo: Demo) -> list[tuple[str, str, str, str]]:
    e, p = demo.event.id, demo.proposal.id
    return [
        ("review-desk", "reviewer", f"/rakor/{e}/tinjauan", "page"),
        ("proposal-review", "reviewer", f"/usulan/{p}", "page"),
        ("proposal-reviewed", "participant", f"/usulan/{p}", "page"),
        ("my-proposal-review", "participant", f"/rakor/{e}/usulan-saya", "page"),
        ("event-home-review", "organiser", f"/rakor/{e}", "page"),
    ]


USERNAMES = {
    "participant": "peserta.sambas",
    "facilitator": "fasilitator",
    "organiser": "sekretariat",
    "reviewer": "peninjau",
    "observer": "proyektor",
}
EXPECTED_STATUS = {"not-found": 404, "forbidden": 403}


def _clients(app: Flask) -> dict[str, FlaskClient]:
    clients = {"anonymous": app.test_client()}
    for role, username in USERNAMES.items():
        clients[role] = app.test_client()
        login(clients[role], username, DEMO_PASSWORD)
    return clients


def fetch(clients: dict[str, FlaskClient], specs: list[tuple[str, str, str, str]]) -> list[Page]:
    fetched, wrong = [], []
    for name, who, path, kind in specs:
        headers = {"HX-Request": "true"} if kind != "page" else {}
        response = clients[who].get(path, headers=headers, follow_redirects=kind == "page")
        if response.status_code != EXPECTED_STATUS.get(name, 200):
            wrong.append(f"{name} ({who}, {path}): {response.status_code}")
            continue
        html = response.get_data(as_text=True)
        if kind == "page":
            fetched.append(Page(name, who, path, html))
            continue
        body = IN_TABLE.format(body=html) if kind == "row" else html
        offset = DOCUMENT.split("{body}")[0].count("\n") + (kind == "row")
        fetched.append(Page(name, who, path, DOCUMENT.format(name=name, body=body), offset))
    assert not wrong, "pages not served as expected:\n" + "\n".join(wrong)
    return fetched


def posted_pages(clients: dict[str, FlaskClient], demo: Demo) -> list[Page]:
    """Pages that answer a form: a refused sign-in, the name-tag cards, the desk's code screen, and
    the platform administrator's new event with its first organiser's join code."""
    anonymous = clients["anonymous"]
    refused = anonymous.post(
        "/masuk", data={"username": "peserta.sambas", "password": "salah", "csrf_token": csrf_token_of(anonymous)}
    )
    organiser = clients["organiser"]
    token = csrf_token_of(organiser, f"/rakor/{demo.event.id}/admin/orang")
    people = [_user(name).id for name in ("peserta.sambas", "bappeda.sambas")]
    cards, screen = (
        organiser.post(
            f"/rakor/{demo.event.id}/admin/kode", data={"people": people, "format": output, "csrf_token": token}
        )
        for output in ("html", "screen")
    )
    new_event = {
        "slug": "rakor-uji-2024", "title": "Rakor Uji 2024", "theme": "", "venue": "Aula", "city": "Pontianak",
        "plan_year": "2025", "starts_on": "2024-03-12", "ends_on": "2024-03-13",
        "organiser_username": "sekretariat.uji", "organiser_name": "Sekretariat Uji", "csrf_token": token,
    }  # fmt: skip
    created = organiser.post("/platform/rakor", data=new_event)
    answers = [
        ("platform-created", "organiser", "POST /platform/rakor", created, 201),
        ("sign-in-refused", "anonymous", "POST /masuk", refused, 400),
        ("name-tag-cards", "organiser", f"POST /rakor/{demo.event.id}/admin/kode", cards, 200),
        ("code-screen", "organiser", f"POST /rakor/{demo.event.id}/admin/kode", screen, 200),
    ]
    wrong = [f"{name}: {answer.status_code}" for name, _, _, answer, status in answers if answer.status_code != status]
    assert not wrong, f"forms not answered as expected: {wrong}"
    return [Page(name, who, path, answer.get_data(as_text=True)) for name, who, path, answer, _ in answers]


def events_index(app: Flask, demo: Demo) -> Page:
    """The list of one's rakor: for someone in two, neither taking place today."""
    person = make_user(demo.monev, (Role.REVIEWER,))
    other = db.session.scalar(sa.select(Event).where(Event.slug == "rakor-uji-2024"))
    db.session.add(Membership(event=other, user=person, role=Role.OBSERVER))
    db.session.commit()
    client = app.test_client()
    login(client, person.username)
    response = client.get("/")
    assert response.status_code == 200, response.status_code
    return Page("events", person.username, "/", response.get_data(as_text=True))


def checked(pages: list[Page], folder: Path) -> list[dict]:
    """ONE run of the checker over every page (and the canary): its error messages, each with its page."""
    canary = Page("canary", "-", "-", CANARY, DOCUMENT.split("{body}")[0].count("\n"))
    files = {}
    for page in [*pages, canary]:
        path = folder / f"{page.name}.html"
        path.write_text(page.html, encoding="utf-8")
        files[path.resolve().as_uri().removeprefix("file://")] = page
    result = subprocess.run([*vnu_command(), *map(str, files)], capture_output=True, text=True, timeout=240)
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"vnu.jar gave no JSON report (exit {result.returncode}):\n{result.stderr[-2000:]}")
    errors = [
        {**message, "page": files.get(message.get("url", "").removeprefix("file:"))} for message in report["messages"]
    ]
    from_canary = [error for error in errors if error["page"] is canary]
    assert [error["message"] for error in from_canary] == [CANARY_MESSAGE], (
        f"the checker missed the canary: {from_canary}"
    )
    return [error for error in errors if error["page"] is not canary]


def describe(error: dict) -> str:
    page: Page | None = error["page"]
    where = f"{page.name} ({page.who}, {page.path})" if page else error.get("url", "?")
    line = error.get("lastLine", 0) - (page.offset if page else 0)
    extract = " ".join(error.get("extract", "").split())
    return f"{where} line {line}: {error['message']} [{extract[:160]}]"


def test_the_main_pages_have_no_html_errors(demo_app: Flask, tmp_path: Path) -> None:
    vnu_command()  # skip (or fail in CI) before any work when java or the jar is missing
    demo = a_meeting_happened()
    clients = _clients(demo_app)
    pages = fetch(clients, page_list(demo)) + posted_pages(clients, demo) + [events_index(demo_app, demo)]
    review.set_phase(_user("sekretariat"), demo.event, EventPhase.REVIEW)
    review.give_verdict(_user("peninjau"), demo.proposal.id, "needs_revision", "Indikator belum terukur.")
    pages += fetch(clients, review_page_list(demo))
    folder = tmp_path / "pages"
    folder.mkdir()
    errors = checked(pages, folder)
    assert not errors, f"{len(errors)} HTML errors in {len(pages)} pages:\n" + "\n".join(map(describe, errors))
