"""Facilitation: sessions, attendance, breakouts, locks, spotlight, timer, announcements and
agreements; every action refused for everyone but facilitators; every broadcast."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import htmx_post, login
from tests.factories import World, make_session
from workspace.core.changes import (
    Change,
    EventSessionsChanged,
    LockChanged,
    PersonMoved,
    SessionPartChanged,
    StatusChanged,
)
from workspace.extensions import db, socketio
from workspace.fragments.sessions import SESSION_PARTS
from workspace.models import (
    Agreement,
    Attendance,
    ItemLevel,
    Proposal,
    ProposalItem,
    ProposalStatus,
    Session,
    SessionStatus,
)
from workspace.services import facilitation


def state() -> tuple:
    db.session.expire_all()
    sessions = db.session.execute(
        sa.select(
            Session.id,
            Session.status,
            Session.locked,
            Session.spotlight_proposal_id,
            Session.timer_ends_at,
            Session.announcement,
            Session.parent_id,
        )
    ).all()
    proposals = db.session.execute(sa.select(Proposal.id, Proposal.locked, Proposal.status)).all()
    agreements = db.session.scalar(sa.select(sa.func.count(Agreement.id)))
    return tuple(map(tuple, sessions)), tuple(map(tuple, proposals)), agreements


def actions(world: World, session_id: int) -> dict[str, tuple[str, dict]]:
    return {
        "open": (f"/sesi/{session_id}/status", {"status": "live"}),
        "close": (f"/sesi/{session_id}/status", {"status": "closed"}),
        "lock_proposal": (f"/sesi/{session_id}/kunci", {"proposal": world.proposal.id, "locked": "1"}),
        "lock_session": (f"/sesi/{session_id}/kunci", {"locked": "1"}),
        "spotlight": (f"/sesi/{session_id}/sorot", {"proposal": world.proposal.id}),
        "timer": (f"/sesi/{session_id}/timer", {"minutes": "10", "label": "Sinkronisasi"}),
        "announce": (f"/sesi/{session_id}/pengumuman", {"text": "Rehat kopi 15 menit"}),
        "agreement": (f"/sesi/{session_id}/kesepakatan", {"proposal": world.proposal.id, "decision": "agreed"}),
        "breakout": (
            f"/sesi/{session_id}/kelompok",
            {"title": "Ideologi", "people": world.participant.id, "proposals": world.proposal.id},
        ),
        "start_breakouts": (f"/sesi/{session_id}/kelompok/mulai", {}),
        "end_breakouts": (f"/sesi/{session_id}/kelompok/selesai", {}),
    }


ACTIONS = [
    "open",
    "close",
    "lock_proposal",
    "lock_session",
    "spotlight",
    "timer",
    "announce",
    "agreement",
    "breakout",
    "start_breakouts",
    "end_breakouts",
]


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize(
    "actor", ["organiser", "participant", "other_participant", "reviewer", "observer", "outsider", "anonymous"]
)
def test_every_facilitator_action_is_refused_for_everyone_else(
    world: World, login_as: Callable, client: FlaskClient, actor: str, action: str
) -> None:
    session = make_session(world.event)
    path, data = actions(world, session.id)[action]
    before = state()
    if actor == "anonymous":
        response = htmx_post(client, path, data, token=False)
        assert response.status_code in (400, 401)
    else:
        response = htmx_post(login_as(world.user(actor)), path, data)
        assert response.status_code == (404 if actor == "outsider" else 403)
        if actor != "outsider":
            assert "Hanya fasilitator" in response.get_data(as_text=True)
    assert state() == before


@pytest.mark.parametrize("action", ACTIONS)
def test_every_facilitator_action_works_for_the_facilitator(world: World, login_as: Callable, action: str) -> None:
    session = make_session(world.event)
    path, data = actions(world, session.id)[action]
    response = htmx_post(login_as(world.facilitator), path, data)
    assert response.status_code == 204, response.get_data(as_text=True)


def test_forged_socket_events_change_nothing(loose_app: Flask, loose_world: World) -> None:
    with loose_app.app_context():
        session_id = make_session(db.session.merge(loose_world.event)).id
        before = state()
    http = loose_app.test_client()
    login(http, loose_world.participant.username)
    client = socketio.test_client(loose_app, flask_test_client=http)
    for name in (
        "session:spotlight",
        "session:lock",
        "session:timer",
        "session:announce",
        "agreement:record",
        "proposal:lock",
        "session:moved",
    ):
        client.emit(name, {"session_id": session_id, "proposal_id": loose_world.proposal.id, "locked": True})
    assert client.emit("session:join", {"session_id": "x"}, callback=True) == {"ok": False, "error": "invalid"}
    with loose_app.app_context():
        assert state() == before
    client.disconnect()


def test_joining_records_attendance_and_check_in(world: World, login_as: Callable) -> None:
    # Issue 16: opening the room records nothing (the berita acara prints attendance); the
    # "Hadir" button's POST records it, once.
    session = make_session(world.event)
    participant = login_as(world.participant)
    room = participant.get(f"/sesi/{session.id}")
    assert room.status_code == 200 and "Hadir (presensi)" in room.get_data(as_text=True)
    participant.get(f"/sesi/{session.id}")
    assert db.session.scalar(sa.select(sa.func.count(Attendance.id))) == 0
    answer = htmx_post(participant, f"/sesi/{session.id}/hadir")
    assert answer.status_code == 200 and "tercatat hadir" in answer.get_data(as_text=True)
    assert answer.headers["HX-Retarget"] == f"#session-{session.id}-check-in"
    assert htmx_post(participant, f"/sesi/{session.id}/hadir").status_code == 200
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(Attendance.id))) == 1
    assert db.session.scalar(sa.select(Attendance.checked_in))
    page = login_as(world.facilitator).get(f"/sesi/{session.id}").get_data(as_text=True)
    assert world.participant.display_name in page and "presensi" in page
    home = participant.get(f"/rakor/{world.event.id}").get_data(as_text=True)
    assert "Gabung" in home and world.participant.display_name in home


def test_lock_refuses_edits_on_the_server(world: World, login_as: Callable) -> None:
    session = make_session(world.event)
    facilitator, participant = login_as(world.facilitator), login_as(world.participant)
    item = next(i for i in world.proposal.items if i.level is ItemLevel.SUBKEGIATAN)
    htmx_post(facilitator, f"/sesi/{session.id}/kunci", {"proposal": world.proposal.id, "locked": "1"})
    response = htmx_post(participant, f"/usulan/butir/{item.id}/ubah/target", {"value": "9", "base": "4"})
    assert response.status_code == 403 and "dikunci oleh fasilitator" in response.get_data(as_text=True)
    htmx_post(facilitator, f"/sesi/{session.id}/kunci", {"proposal": world.proposal.id, "locked": "0"})
    assert (
        htmx_post(participant, f"/usulan/butir/{item.id}/ubah/target", {"value": "9", "base": "4"}).status_code == 200
    )
    # Locking the whole (plenary) session locks every proposal in it.
    htmx_post(facilitator, f"/sesi/{session.id}/kunci", {"locked": "1"})
    response = htmx_post(participant, f"/usulan/butir/{item.id}/ubah/target", {"value": "7", "base": "9"})
    assert response.status_code == 403
    page = participant.get(f"/usulan/{world.proposal.id}").get_data(as_text=True)
    assert 'data-can-edit="false"' in page and "Terkunci" in page


def test_agreements_set_the_status_and_keep_history(world: World, login_as: Callable) -> None:
    session = make_session(world.event)
    facilitator = login_as(world.facilitator)
    url = f"/sesi/{session.id}/kesepakatan"
    before = state()
    for data in (
        {"proposal": world.proposal.id, "decision": "agreed_with_notes", "note": ""},
        {"proposal": world.proposal.id, "decision": "not_agreed", "note": "  "},
        {"proposal": world.proposal.id, "decision": "maybe"},
    ):
        response = htmx_post(facilitator, url, data)
        assert response.status_code == 422
    assert state() == before
    htmx_post(facilitator, url, {"proposal": world.proposal.id, "decision": "not_agreed", "note": "Pagu belum sinkron"})
    htmx_post(facilitator, url, {"proposal": world.proposal.id, "decision": "agreed_with_notes", "note": "Target naik"})
    db.session.expire_all()
    assert db.session.get(Proposal, world.proposal.id).status is ProposalStatus.AGREED_WITH_NOTES
    rows = db.session.scalars(sa.select(Agreement).order_by(Agreement.id)).all()
    assert [r.decision.value for r in rows] == ["not_agreed", "agreed_with_notes"]
    assert rows[0].superseded_at is not None and rows[1].superseded_at is None
    assert rows[1].recorded_by_id == world.facilitator.id
    page = facilitator.get(f"/sesi/{session.id}").get_data(as_text=True)
    assert "Sepakat dengan catatan" in page and "Target naik" in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"minutes": "0"}, "1 sampai 480"),
        ({"minutes": "abc"}, "1 sampai 480"),
        ({"minutes": "481"}, "1 sampai 480"),
        ({"minutes": "5", "label": "x" * 201}, "Paling banyak 200"),
    ],
)
def test_bad_timer_input(world: World, login_as: Callable, data: dict, message: str) -> None:
    session = make_session(world.event)
    before = state()
    response = htmx_post(login_as(world.facilitator), f"/sesi/{session.id}/timer", data)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert state() == before


def test_spotlight_must_be_of_this_event(world: World, login_as: Callable) -> None:
    session = make_session(world.event)
    facilitator = login_as(world.facilitator)
    other_item = next(i for i in world.other_proposal.items)
    before = state()
    assert htmx_post(facilitator, f"/sesi/{session.id}/sorot", {"proposal": 999999}).status_code == 422
    assert (
        htmx_post(
            facilitator, f"/sesi/{session.id}/sorot", {"proposal": world.proposal.id, "item": other_item.id}
        ).status_code
        == 422
    )
    assert htmx_post(facilitator, f"/sesi/{session.id}/sorot", {"proposal": "x"}).status_code == 400
    assert state() == before


def test_breakouts_assign_people_and_proposals(world: World, login_as: Callable) -> None:
    plenary = make_session(world.event)
    facilitator, participant = login_as(world.facilitator), login_as(world.participant)
    htmx_post(
        facilitator,
        f"/sesi/{plenary.id}/kelompok",
        {"title": "Ideologi", "people": [world.participant.id], "proposals": [world.proposal.id]},
    )
    htmx_post(
        facilitator,
        f"/sesi/{plenary.id}/kelompok",
        {"title": "Kewaspadaan", "people": [world.other_participant.id], "proposals": [world.other_proposal.id]},
    )
    breakouts = db.session.scalars(sa.select(Session).where(Session.parent_id == plenary.id).order_by(Session.id)).all()
    assert [b.title for b in breakouts] == ["Ideologi", "Kewaspadaan"]
    htmx_post(facilitator, f"/sesi/{plenary.id}/kelompok/mulai")
    # The participant lands in their breakout, which shows only its proposals.
    response = participant.get(f"/sesi/{plenary.id}")
    assert response.status_code == 302 and response.headers["Location"] == f"/sesi/{breakouts[0].id}"
    page = participant.get(f"/sesi/{breakouts[0].id}").get_data(as_text=True)
    assert world.agency.short_name in page and world.other_agency.short_name not in page.split("Usulan di sesi ini")[1]
    # Move the person, then end all breakouts: everyone back in the plenary.
    assert (
        htmx_post(
            facilitator, f"/sesi/{plenary.id}/pindahkan", {"user": world.participant.id, "breakout": breakouts[1].id}
        ).status_code
        == 204
    )
    assert participant.get(f"/sesi/{plenary.id}").headers["Location"] == f"/sesi/{breakouts[1].id}"
    htmx_post(facilitator, f"/sesi/{plenary.id}/kelompok/selesai")
    assert participant.get(f"/sesi/{plenary.id}").status_code == 200
    bad = htmx_post(
        facilitator, f"/sesi/{plenary.id}/kelompok", {"title": "Tanpa usulan", "people": [world.participant.id]}
    )
    assert bad.status_code == 422 and "paling sedikit satu usulan" in bad.get_data(as_text=True)
    bad = htmx_post(
        facilitator,
        f"/sesi/{plenary.id}/kelompok",
        {"title": "Orang luar", "people": [world.outsider.id], "proposals": [world.proposal.id]},
    )
    assert bad.status_code == 422


def test_every_session_change_is_broadcast(loose_app: Flask, loose_world: World) -> None:
    with loose_app.app_context():
        session_id = make_session(db.session.merge(loose_world.event)).id
        item_id = db.session.scalar(
            sa.select(ProposalItem.id).where(ProposalItem.proposal_id == loose_world.proposal.id)
        )
    facilitator_http = loose_app.test_client()
    login(facilitator_http, loose_world.facilitator.username)
    watcher_http = loose_app.test_client()
    login(watcher_http, loose_world.participant.username)
    watcher = socketio.test_client(loose_app, flask_test_client=watcher_http)
    answer = watcher.emit("session:join", {"session_id": session_id}, callback=True)
    assert answer["ok"] and answer["timer"]["ends_at_ms"] is None and answer["timer"]["server_now_ms"] > 0
    watcher.emit("proposal:join", {"proposal_id": loose_world.proposal.id}, callback=True)
    watcher.get_received()

    def last(name: str) -> dict:
        events = [e["args"][0] for e in watcher.get_received() if e["name"] == name]
        assert events, f"no {name}"
        return events[-1]

    htmx_post(facilitator_http, f"/sesi/{session_id}/sorot", {"proposal": loose_world.proposal.id, "item": item_id})
    change = last("session:changed")
    assert change["part"] == "spotlight" and "Kesbangpol" in change["fragments"][f"session-{session_id}-spotlight"]
    htmx_post(facilitator_http, f"/sesi/{session_id}/timer", {"minutes": "15", "label": "Sinkronisasi"})
    timer = last("session:changed")["timer"]
    assert timer["label"] == "Sinkronisasi"
    assert 14.9 * 60_000 <= timer["ends_at_ms"] - timer["server_now_ms"] <= 15 * 60_000
    htmx_post(facilitator_http, f"/sesi/{session_id}/pengumuman", {"text": "Rehat kopi"})
    assert "Rehat kopi" in last("session:changed")["fragments"][f"session-{session_id}-announcement"]
    htmx_post(facilitator_http, f"/sesi/{session_id}/kunci", {"proposal": loose_world.proposal.id, "locked": "1"})
    lock = last("proposal:lock")
    assert lock["locked"] is True and "Terkunci" in lock["fragments"][f"proposal-{loose_world.proposal.id}-status"]
    htmx_post(
        facilitator_http, f"/sesi/{session_id}/kesepakatan", {"proposal": loose_world.proposal.id, "decision": "agreed"}
    )
    received = watcher.get_received()
    status = next(e["args"][0] for e in received if e["name"] == "proposal:changed")
    assert "Sepakat" in status["fragments"][f"proposal-{loose_world.proposal.id}-status"]
    summary = next(e["args"][0] for e in received if e["name"] == "session:changed")
    assert "Sepakat" in summary["fragments"][f"session-{session_id}-proposals"]
    htmx_post(
        facilitator_http,
        f"/sesi/{session_id}/kelompok",
        {"title": "Ideologi", "people": [loose_world.participant.id], "proposals": [loose_world.proposal.id]},
    )
    watcher.get_received()
    htmx_post(facilitator_http, f"/sesi/{session_id}/kelompok/mulai")
    moved = last("session:moved")
    assert moved["url"].startswith("/sesi/") and "Ideologi" in moved["message"]
    watcher.disconnect()


def test_facilitator_creates_a_session_with_its_agenda(world: World, login_as: Callable) -> None:
    from tests.conftest import csrf_token_of

    facilitator = login_as(world.facilitator)
    token = csrf_token_of(facilitator, f"/rakor/{world.event.id}")
    data = {
        "title": "Pleno II: Perumusan Kesepakatan",
        "agenda_title": ["Paparan", "Tanya jawab", ""],
        "agenda_minutes": ["30", "45", ""],
        "csrf_token": token,
    }
    response = facilitator.post(f"/rakor/{world.event.id}/sesi", data=data)
    assert response.status_code == 302
    session = db.session.scalar(sa.select(Session).where(Session.title.like("Pleno II%")))
    assert [(a.title, a.duration_minutes) for a in session.agenda_items] == [("Paparan", 30), ("Tanya jawab", 45)]
    assert session.status is SessionStatus.SCHEDULED
    before = state()
    for bad in ({"title": ""}, {"title": "x" * 201}, {"title": "Ok", "agenda_title": ["A"], "agenda_minutes": ["999"]}):
        facilitator.post(f"/rakor/{world.event.id}/sesi", data={**bad, "csrf_token": token})
    assert state() == before
    participant = login_as(world.participant)
    response = participant.post(
        f"/rakor/{world.event.id}/sesi", data={"title": "Sesi liar", "csrf_token": csrf_token_of(participant, "/")}
    )
    assert response.status_code == 403 and state() == before


def test_attendance_is_broadcast_to_the_session(loose_app: Flask, loose_world: World) -> None:
    with loose_app.app_context():
        session_id = make_session(db.session.merge(loose_world.event)).id
    facilitator_http = loose_app.test_client()
    login(facilitator_http, loose_world.facilitator.username)
    console = socketio.test_client(loose_app, flask_test_client=facilitator_http)
    console.emit("session:join", {"session_id": session_id}, callback=True)
    console.get_received()
    participant = loose_app.test_client()
    login(participant, loose_world.participant.username)
    participant.get(f"/sesi/{session_id}")  # opening the room is not attendance (issue 16)
    assert not [e for e in console.get_received() if e["name"] == "session:changed"]
    htmx_post(participant, f"/sesi/{session_id}/hadir")
    changes = [e["args"][0] for e in console.get_received() if e["name"] == "session:changed"]
    assert changes and "Budi Peserta" in changes[-1]["fragments"][f"session-{session_id}-attendance"]
    console.disconnect()


@pytest.mark.parametrize("bad", ["²", "9" * 5000, "-1", "1.5", "١"])
def test_malformed_ids_are_400_not_500(world: World, login_as: Callable, bad: str) -> None:
    session = make_session(world.event)
    facilitator = login_as(world.facilitator)
    before = state()
    for path, data in (
        (f"/sesi/{session.id}/sorot", {"proposal": bad}),
        (f"/sesi/{session.id}/kesepakatan", {"proposal": bad, "decision": "agreed"}),
        (f"/sesi/{session.id}/kelompok", {"title": "X", "people": bad, "proposals": bad}),
    ):
        assert htmx_post(facilitator, path, data).status_code == 400
    assert htmx_post(facilitator, f"/sesi/{session.id}/timer", {"minutes": bad}).status_code == 422
    assert (
        htmx_post(facilitator, f"/usulan/{world.proposal.id}/komentar", {"body": "x", "item": bad}).status_code == 400
    )
    assert state() == before


def test_a_plain_form_refusal_is_403_too(world: World, login_as: Callable) -> None:
    from tests.conftest import csrf_token_of

    session = make_session(world.event)
    participant = login_as(world.participant)
    response = participant.post(
        f"/sesi/{session.id}/pengumuman", data={"text": "Palsu", "csrf_token": csrf_token_of(participant, "/")}
    )
    assert response.status_code == 403


def test_agreements_only_for_proposals_of_the_session_and_earlier_rounds_kept(world: World, login_as: Callable) -> None:
    plenary = make_session(world.event)
    facilitator = login_as(world.facilitator)
    htmx_post(
        facilitator,
        f"/sesi/{plenary.id}/kelompok",
        {"title": "Ronde 1", "people": [world.participant.id], "proposals": [world.proposal.id]},
    )
    htmx_post(facilitator, f"/sesi/{plenary.id}/kelompok/mulai")
    first = db.session.scalar(sa.select(Session).where(Session.title == "Ronde 1"))
    response = htmx_post(
        facilitator, f"/sesi/{first.id}/kesepakatan", {"proposal": world.other_proposal.id, "decision": "agreed"}
    )
    assert response.status_code == 422 and "tidak dibahas di sesi ini" in response.get_data(as_text=True)
    htmx_post(facilitator, f"/sesi/{plenary.id}/kelompok/selesai")
    htmx_post(
        facilitator,
        f"/sesi/{plenary.id}/kelompok",
        {"title": "Ronde 2", "people": [world.participant.id], "proposals": [world.proposal.id]},
    )
    db.session.expire_all()
    assert [m.id for m in db.session.get(Session, first.id).members] == [world.participant.id]




def _described(changes: list[Change]) -> list[tuple]:
    """Each change as (type name, what it is about), ids and revisions aside."""
    about = {
        SessionPartChanged: lambda c: c.part,
        LockChanged: lambda c: c.proposal_id,
        StatusChanged: lambda c: c.proposal_id,
        PersonMoved: lambda c: c.user_id,
        EventSessionsChanged: lambda c: c.event_id,
    }
    return [(type(c).__name__, about[type(c)](c)) for c in changes]


def test_each_action_records_its_typed_changes_in_one_unit_of_work(
    world: World, login_as: Callable, received: list[list[Change]]
) -> None:
    session = make_session(world.event)
    facilitator = login_as(world.facilitator)
    proposal_id = world.proposal.id
    expected = {
        "spotlight": [("SessionPartChanged", "spotlight")],
        "timer": [("SessionPartChanged", "timer")],
        "announce": [("SessionPartChanged", "announcement")],
        "lock_proposal": [("LockChanged", proposal_id), ("SessionPartChanged", "proposals")],
        "agreement": [("StatusChanged", proposal_id), ("SessionPartChanged", "agreements")],
        "breakout": [("SessionPartChanged", "state")],
        "start_breakouts": [("PersonMoved", world.participant.id), ("SessionPartChanged", "state")],
    }
    for action, changes in expected.items():
        received.clear()
        path, data = actions(world, session.id)[action]
        assert htmx_post(facilitator, path, data).status_code == 204, action
        assert [_described(batch) for batch in received] == [changes], action
    db.session.expire_all()
    revision = db.session.get(Proposal, proposal_id).revision
    received.clear()
    htmx_post(facilitator, *actions(world, session.id)["agreement"])
    (status, _part) = received[0]
    assert isinstance(status, StatusChanged) and status.revision == revision + 1
    assert (status.event_id, status.actor_id) == (world.event.id, world.facilitator.id)
    # Ending the breakouts: their members back to the plenary, both rooms' state told once.
    received.clear()
    htmx_post(facilitator, *actions(world, session.id)["end_breakouts"])
    (batch,) = received
    breakout_id = db.session.scalar(sa.select(Session.id).where(Session.parent_id == session.id))
    assert PersonMoved(world.participant.id, session.id, f"/sesi/{session.id}?pindah=1", batch[0].message) in batch
    assert {(c.session_id, c.part) for c in batch if isinstance(c, SessionPartChanged)} == {
        (breakout_id, "state"),
        (session.id, "state"),
    }


def test_a_refused_or_invalid_action_records_nothing(
    world: World, login_as: Callable, received: list[list[Change]]
) -> None:
    session = make_session(world.event)
    htmx_post(login_as(world.participant), f"/sesi/{session.id}/pengumuman", {"text": "Palsu"})
    htmx_post(login_as(world.facilitator), f"/sesi/{session.id}/timer", {"minutes": "0"})
    assert received == []


def test_a_failure_after_changes_were_recorded_stores_and_publishes_nothing(
    world: World, login_as: Callable, received: list[list[Change]], monkeypatch: pytest.MonkeyPatch
) -> None:
    plenary = make_session(world.event)
    facilitator = login_as(world.facilitator)
    htmx_post(facilitator, *actions(world, plenary.id)["breakout"])
    received.clear()
    before = state()

    def broken(*_args: object) -> None:
        raise RuntimeError("the unit of work fails after recording who moves")

    # start_breakouts records each member's PersonMoved, then the plenary's state: make that fail.
    monkeypatch.setattr(facilitation, "SessionPartChanged", broken)
    with pytest.raises(RuntimeError):
        facilitation.start_breakouts(world.facilitator, plenary.id)
    assert received == [] and state() == before


def test_what_changed_while_disconnected_is_in_the_next_session_join(loose_app: Flask, loose_world: World) -> None:
    """Hotel Wi-Fi: the announcement, spotlight and agreement made while a screen was away come
    with its next session:join answer, fresh from the database."""
    with loose_app.app_context():
        session_id = make_session(db.session.merge(loose_world.event)).id
    facilitator = loose_app.test_client()
    login(facilitator, loose_world.facilitator.username)
    participant = loose_app.test_client()
    login(participant, loose_world.participant.username)
    screen = socketio.test_client(loose_app, flask_test_client=participant)
    first = screen.emit("session:join", {"session_id": session_id}, callback=True)
    assert first["ok"] and "Kopi pagi" not in first["fragments"][f"session-{session_id}-announcement"]
    screen.disconnect()

    proposal_id = loose_world.proposal.id
    for path, data in (
        (f"/sesi/{session_id}/pengumuman", {"text": "Kopi pagi di lobi"}),
        (f"/sesi/{session_id}/sorot", {"proposal": proposal_id}),
        (f"/sesi/{session_id}/kesepakatan", {"proposal": proposal_id, "decision": "agreed_with_notes", "note": "Naik"}),
    ):
        assert htmx_post(facilitator, path, data).status_code == 204, path

    again = socketio.test_client(loose_app, flask_test_client=participant)
    answer = again.emit("session:join", {"session_id": session_id}, callback=True)
    fragments = answer["fragments"]
    assert answer["ok"] and set(fragments) == {f"session-{session_id}-{part}" for part in SESSION_PARTS}
    assert "Kopi pagi di lobi" in fragments[f"session-{session_id}-announcement"]
    spotlight = fragments[f"session-{session_id}-spotlight"]
    assert f'data-proposal-id="{proposal_id}"' in spotlight and loose_world.agency.name in spotlight
    proposals = fragments[f"session-{session_id}-proposals"]
    assert "Sepakat dengan catatan" in proposals and "Naik" in proposals
    again.disconnect()


def test_moving_a_person_ends_their_presence_in_the_old_breakout(world: World, login_as: Callable) -> None:
    # Issue 17, item 11: someone moved is no longer listed as present where they were.
    plenary = make_session(world.event)
    facilitator, participant = login_as(world.facilitator), login_as(world.participant)
    for title, people in (("Kelompok A", [world.participant.id]), ("Kelompok B", [])):
        plan = {"title": title, "people": people, "proposals": [world.proposal.id]}
        htmx_post(facilitator, f"/sesi/{plenary.id}/kelompok", plan)
    htmx_post(facilitator, f"/sesi/{plenary.id}/kelompok/mulai")
    first, second = db.session.scalars(sa.select(Session).where(Session.parent_id == plenary.id).order_by(Session.id))
    assert htmx_post(participant, f"/sesi/{first.id}/hadir").status_code == 200
    name = world.participant.display_name
    assert name in facilitator.get(f"/sesi/{first.id}").get_data(as_text=True)

    response = htmx_post(
        facilitator, f"/sesi/{plenary.id}/pindahkan", {"breakout": second.id, "user": world.participant.id}
    )
    assert response.status_code == 204
    db.session.expire_all()
    present = facilitator.get(f"/sesi/{first.id}").get_data(as_text=True)
    section = present[present.index(f'id="session-{first.id}-attendance"') :]
    section = section[: section.index("</section>")]
    assert name not in section and "1 orang dipindahkan ke kelompok lain" in section
    record = db.session.scalar(sa.select(Attendance).where(Attendance.session_id == first.id))
    assert record is not None and record.left_at is not None  # the record of having been there stays
    assert htmx_post(participant, f"/sesi/{second.id}/hadir").status_code == 200
    assert name in facilitator.get(f"/sesi/{second.id}").get_data(as_text=True)
