"""The viewer's language on every path (issue 19, item 3), below the browser: texts stored or sent
to someone else are translated where they are read; a socket follows its sign-in's language
switch at once (this process) and at every reconnect. The browser test is
tests/e2e/test_browser_language.py."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale

from tests.conftest import csrf_token_of, htmx_post, login
from tests.factories import World, make_session
from tests.test_monev_validation import _deadline_in
from tests.test_realtime import events_named, join, sub_item_ids
from tests.test_seam import stored
from workspace.core.texts import N_, Text, stored_text
from workspace.extensions import db, socketio
from workspace.models import Notification
from workspace.services import reminders


def in_language(client: FlaskClient, language: str) -> FlaskClient:
    """The language switch in the page header, as a browser sends it."""
    response = client.post("/bahasa", data={"language": language, "csrf_token": csrf_token_of(client, "/")})
    assert response.status_code == 302
    return client


def test_a_text_keeps_its_msgid_and_is_translated_where_it_is_shown(app: Flask) -> None:
    verdict = N_("%(name)s: %(verdict)s for %(agency)s", name="Rina", verdict=N_("needs revision"), agency="Sambas")
    with force_locale("en"):
        assert str(verdict) == "Rina: needs revision for Sambas"
    with force_locale("id"):
        assert str(verdict) == "Rina: perlu perbaikan untuk usulan Sambas"
    kept = verdict.to_json()
    assert "perlu" not in kept and Text.from_data(json.loads(kept)) == verdict
    with force_locale("id"):
        assert stored_text(kept, "fallback") == "Rina: perlu perbaikan untuk usulan Sambas"
        # Rows from before the column, or a damaged one: the text stored in the default language.
        assert stored_text(None, "disimpan") == "disimpan"
        assert stored_text('{"msgid": 3}', "disimpan") == "disimpan"
        assert stored_text('{"msgid": "x", "params": {"a": [1]}}', "disimpan") == "disimpan"
        assert stored_text("not json", "disimpan") == "disimpan"


def notes_page(client: FlaskClient) -> str:
    return client.get("/notifikasi").get_data(as_text=True)


def test_a_notification_is_read_in_the_readers_language_whoever_wrote_it(world: World, login_as: Callable) -> None:
    reviewer = in_language(login_as(world.reviewer), "en")  # writes in English
    participant = login_as(world.participant)  # reads in Indonesian (the default)
    body = f"@{world.participant.username} please check the target"
    assert htmx_post(reviewer, f"/usulan/{world.proposal.id}/komentar", {"body": body}).status_code == 200
    note = db.session.scalar(sa.select(Notification).where(Notification.user_id == world.participant.id))
    assert note.kind == "mention" and "menyebut Anda" in note.message  # kept in the default language too
    assert "menyebut Anda" in notes_page(participant) and "mentioned you" not in notes_page(participant)
    in_language(participant, "en")
    assert "mentioned you on" in notes_page(participant) and "menyebut Anda" not in notes_page(participant)


def test_a_verdict_notification_translates_its_verdict_too(world: World, login_as: Callable) -> None:
    from workspace.models import EventPhase

    world.event.phase = EventPhase.REVIEW
    db.session.commit()
    reviewer = in_language(login_as(world.reviewer), "en")
    verdict = {"verdict": "needs_revision", "note": "Target belum terukur"}
    assert htmx_post(reviewer, f"/usulan/{world.proposal.id}/putusan", verdict).status_code == 200
    page = notes_page(login_as(world.participant))
    assert "perlu perbaikan untuk usulan" in page and "needs revision" not in page


def test_a_reminder_written_by_the_background_loop_is_read_in_each_readers_language(
    monitoring: World, login_as: Callable
) -> None:
    today = _deadline_in(monitoring, 3, quarter=1)
    assert reminders.send_deadline_reminders(monitoring.event, today) == 2
    english = in_language(login_as(monitoring.participant), "en")
    assert "The realisation of quarter I of" in notes_page(english)
    assert "Realisasi triwulan I" in notes_page(login_as(monitoring.other_participant))
    assert reminders.send_deadline_reminders(monitoring.event, today + timedelta(days=1)) == 0


def _screens(loose_app: Flask, username: str, languages: tuple[str, ...]) -> list:
    """One sign-in (and socket) of the same person per language: a laptop and a phone."""
    screens = []
    for language in languages:
        http = loose_app.test_client()
        login(http, username)
        in_language(http, language)
        screens.append(socketio.test_client(loose_app, flask_test_client=http))
    return screens


def test_the_notice_of_a_move_reaches_each_screen_in_its_language(loose_app: Flask, loose_world: World) -> None:
    with loose_app.app_context():
        plenary = make_session(db.session.merge(loose_world.event)).id
    facilitator = loose_app.test_client()
    login(facilitator, loose_world.facilitator.username)  # Indonesian
    english, indonesian = _screens(loose_app, loose_world.participant.username, ("en", "id"))
    try:
        made = htmx_post(
            facilitator,
            f"/sesi/{plenary}/kelompok",
            {"title": "Ideologi", "people": [loose_world.participant.id], "proposals": [loose_world.proposal.id]},
        )
        assert made.status_code == 204
        for screen in (english, indonesian):
            screen.get_received()
        assert htmx_post(facilitator, f"/sesi/{plenary}/kelompok/mulai").status_code == 204
        (seen_in_english,) = events_named(english, "session:moved")
        (seen_in_indonesian,) = events_named(indonesian, "session:moved")
        assert seen_in_english["message"] == "You are now in the breakout Ideologi."
        assert seen_in_indonesian["message"] == "Anda sekarang berada di kelompok Ideologi."
        assert seen_in_english["url"] == seen_in_indonesian["url"]
    finally:
        english.disconnect()
        indonesian.disconnect()


def _edit_target(loose_app: Flask, http: FlaskClient, item_id: int, value: str) -> None:
    base = stored(loose_app, item_id, "target")
    response = htmx_post(http, f"/usulan/butir/{item_id}/ubah/target", {"value": value, "base": base})
    assert response.status_code == 200


def _revision_labels(client, proposal_id: int) -> list[str]:
    return [m["fragments"][f"proposal-{proposal_id}-revision"] for m in events_named(client, "proposal:changed")]


def test_a_socket_follows_its_sign_ins_language_switch_at_once_and_at_a_reconnect(
    loose_app: Flask, connect: Callable, loose_world: World
) -> None:
    proposal_id = loose_world.proposal.id
    item_id = sub_item_ids(loose_app, proposal_id)[0]
    socket, http = connect(loose_world.participant)  # Indonesian
    (other_device,) = _screens(loose_app, loose_world.participant.username, ("id",))
    try:
        for client in (socket, other_device):
            assert join(client, proposal_id)["ok"]
            client.get_received()
        # Another tab of the same browser switches to English: this socket follows, the other
        # device (another sign-in) does not.
        in_language(http, "en")
        _edit_target(loose_app, http, item_id, "21")
        (label,) = _revision_labels(socket, proposal_id)
        assert label.endswith(">Revision 1</span>")
        (other_label,) = _revision_labels(other_device, proposal_id)
        assert "Revisi 1" in other_label
        # Leaving and joining again stays in the new language (no room of the old one is left over).
        assert socket.emit("proposal:leave", {"proposal_id": proposal_id}, callback=True)["ok"]
        assert join(socket, proposal_id)["ok"]
        socket.get_received()
        _edit_target(loose_app, http, item_id, "22")
        assert ["Revision 2" in label for label in _revision_labels(socket, proposal_id)] == [True]
        # A reconnect reads the sign-in's language from its cookie again.
        socket.disconnect()
        in_language(http, "id")
        socket.connect()
        assert join(socket, proposal_id)["ok"]
        socket.get_received()
        _edit_target(loose_app, http, item_id, "23")
        assert ["Revisi 3" in label for label in _revision_labels(socket, proposal_id)] == [True]
    finally:
        other_device.disconnect()


def test_signing_out_keeps_the_chosen_language(world: World, login_as: Callable) -> None:
    english = in_language(login_as(world.participant), "en")
    signed_out = english.post("/keluar", data={"csrf_token": csrf_token_of(english, "/")}, follow_redirects=True)
    page = signed_out.get_data(as_text=True)
    assert '<html lang="en">' in page and "You have signed out." in page
    assert english.get("/notifikasi").status_code == 302  # signed out all the same


def test_a_final_berita_acara_is_sealed_in_the_meetings_language_whoever_finalises_it(
    world: World, login_as: Callable
) -> None:
    from tests.test_documents import _documents, _finalise, _meeting, _pdf_text, _set_up

    _set_up(world, login_as)
    session = _meeting(world, login_as)
    english = in_language(login_as(world.facilitator), "en")
    draft = _pdf_text(english.get(f"/rakor/{world.event.id}/berita-acara.pdf?sesi={session.id}").data)
    assert "On this day" in draft  # the draft follows its reader's language
    assert _finalise(english, world, session).status_code == 302
    (document,) = _documents()
    sealed = _pdf_text(document.pdf)
    assert "Pada hari ini" in sealed and "On this day" not in sealed
    assert 'lang="id"' in document.html and "Pada hari ini" in document.html
