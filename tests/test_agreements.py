"""Issue 17, item 1: an agreement freezes the proposal as agreed. The berita acara prints that
snapshot; a proposal changed since says so wherever its status shows, live, with agreed against
now; agreeing again makes a new snapshot. And the plenary's berita acara and room consolidate
what its breakouts agreed, naming the breakout."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import htmx_post, login
from tests.factories import World, make_session
from workspace.exports.minutes import build_minutes
from workspace.exports.minutes_pdf import minutes_pdf
from workspace.extensions import db, socketio
from workspace.models import Agreement, ItemLevel, Proposal, ProposalItem, Session
from workspace.queries.agreements import agreement_state, snapshot_totals


def _subs(proposal_id: int) -> list[ProposalItem]:
    return list(
        db.session.scalars(
            sa.select(ProposalItem)
            .where(ProposalItem.proposal_id == proposal_id, ProposalItem.level == ItemLevel.SUBKEGIATAN)
            .order_by(ProposalItem.position)
        )
    )


def _agree(facilitator: FlaskClient, session_id: int, proposal_id: int, decision: str = "agreed", note: str = ""):
    response = htmx_post(
        facilitator, f"/sesi/{session_id}/kesepakatan", {"proposal": proposal_id, "decision": decision, "note": note}
    )
    assert response.status_code == 204, response.get_data(as_text=True)


def _edit(participant: FlaskClient, item: ProposalItem, field: str, value: str) -> None:
    base = str(getattr(item, field) or "")
    response = htmx_post(participant, f"/usulan/butir/{item.id}/ubah/{field}", {"value": value, "base": base})
    assert response.status_code == 200, response.get_data(as_text=True)


def test_an_agreement_freezes_the_proposal_as_agreed(world: World, login_as: Callable) -> None:
    session = make_session(world.event)
    first, second = _subs(world.proposal.id)
    first.directions  # noqa: B018 (loaded: the snapshot keeps the tags)
    _agree(login_as(world.facilitator), session.id, world.proposal.id)
    db.session.expire_all()
    agreement = db.session.scalar(sa.select(Agreement))
    proposal = db.session.get(Proposal, world.proposal.id)
    assert agreement.at_revision == proposal.revision
    snapshot = agreement.snapshot
    assert snapshot["revision"] == proposal.revision
    by_id = {item["id"]: item for item in snapshot["items"]}
    assert set(by_id) == {item.id for item in proposal.items}
    frozen = by_id[first.id]
    assert (frozen["code"], frozen["indicator"], frozen["target"], frozen["unit"], frozen["budget"]) == (
        first.code, first.indicator, first.target, first.unit, str(first.budget),
    )
    assert frozen["location"] == first.location and frozen["funding_source"] == "APBD"
    assert frozen["directions"] == ",".join(str(d.number) for d in first.directions)
    assert snapshot_totals(snapshot).budget == first.budget + second.budget
    # The tree's order: program, kegiatan, then the sub kegiatan.
    assert [item["level"] for item in snapshot["items"]][:2] == ["program", "kegiatan"]


def test_the_berita_acara_prints_what_was_agreed_and_the_proposal_says_it_changed(
    world: World, login_as: Callable
) -> None:
    session = make_session(world.event)
    facilitator, participant = login_as(world.facilitator), login_as(world.participant)
    first, second = _subs(world.proposal.id)
    agreed_budget = first.budget + second.budget
    _agree(facilitator, session.id, world.proposal.id, "agreed_with_notes", "Pagu disepakati")
    page = participant.get(f"/usulan/{world.proposal.id}").get_data(as_text=True)
    assert "Isi usulan sama dengan yang disepakati" in page and "perubahan sejak kesepakatan" not in page

    _edit(participant, first, "budget", "150000000")
    assert htmx_post(participant, f"/usulan/butir/{second.id}/hapus").status_code == 200
    db.session.expire_all()

    minutes = build_minutes(world.event, db.session.get(Session, session.id))
    line = next(line for line in minutes.proposals if line.agency == world.agency.name)
    assert (line.subkegiatan_count, line.budget) == (2, agreed_budget)  # the snapshot, not the 1 / 150 M now
    assert line.changed_since and any("berubah setelah kesepakatan" in remark for remark in line.remarks)
    print_view = facilitator.get(f"/rakor/{world.event.id}/berita-acara?sesi={session.id}").get_data(as_text=True)
    assert "Rp 350.000.000" in print_view and "berubah setelah kesepakatan" in print_view
    assert minutes_pdf(minutes).startswith(b"%PDF")

    page = participant.get(f"/usulan/{world.proposal.id}").get_data(as_text=True)
    assert "2 perubahan sejak kesepakatan" in page
    assert "Rp 100.000.000" in page and "Rp 150.000.000" in page  # agreed against now
    assert "Dihapus setelah kesepakatan" in page and "Sub kegiatan 2" in page
    region = world.agency.region_code
    cell = db.session.scalar(sa.select(ProposalItem.code).where(ProposalItem.id == first.id))
    for where in (
        f"/rakor/{world.event.id}/usulan",
        f"/sesi/{session.id}",  # the room's proposal list, beside the facilitator's console
        f"/rakor/{world.event.id}/keluaran",
        f"/rakor/{world.event.id}/matriks/sel?baris={cell[:7]}&wilayah={region}",
    ):
        assert "2 perubahan sejak kesepakatan" in facilitator.get(where).get_data(as_text=True), where

    # Agreeing again freezes the proposal as it is now: no change since, the new totals printed.
    _agree(facilitator, session.id, world.proposal.id)
    db.session.expire_all()
    state = agreement_state(db.session.get(Proposal, world.proposal.id))
    assert state is not None and not state.changed and state.agreed_totals.budget == 150_000_000
    assert db.session.scalar(sa.select(sa.func.count(Agreement.id))) == 2
    minutes = build_minutes(world.event, db.session.get(Session, session.id))
    line = next(line for line in minutes.proposals if line.agency == world.agency.name)
    assert (line.subkegiatan_count, line.budget, line.changed_since) == (1, 150_000_000, False)


def test_an_edit_undone_is_no_change_since_the_agreement(world: World, login_as: Callable) -> None:
    session = make_session(world.event)
    participant = login_as(world.participant)
    first = _subs(world.proposal.id)[0]
    _agree(login_as(world.facilitator), session.id, world.proposal.id)
    _edit(participant, first, "target", "9")
    db.session.expire_all()
    assert agreement_state(db.session.get(Proposal, world.proposal.id)).changed
    _edit(participant, db.session.get(ProposalItem, first.id), "target", "4")
    db.session.expire_all()
    state = agreement_state(db.session.get(Proposal, world.proposal.id))
    assert state is not None and state.differences == []


def test_a_change_after_the_agreement_shows_live_on_every_page_of_the_event(
    loose_app: Flask, loose_world: World
) -> None:
    with loose_app.app_context():
        session_id = make_session(db.session.merge(loose_world.event)).id
        item = _subs(loose_world.proposal.id)[0]
        item_id, target = item.id, item.target
    facilitator = loose_app.test_client()
    login(facilitator, loose_world.facilitator.username)
    participant = loose_app.test_client()
    login(participant, loose_world.participant.username)
    # A reviewer with the event's proposal list open (the event room) and one on the proposal page.
    lister_http = loose_app.test_client()
    login(lister_http, loose_world.reviewer.username)
    lister = socketio.test_client(loose_app, flask_test_client=lister_http)
    assert lister.emit("event:join", {"event_id": loose_world.event.id}, callback=True)["ok"]
    reader = socketio.test_client(loose_app, flask_test_client=lister_http)
    assert reader.emit("proposal:join", {"proposal_id": loose_world.proposal.id}, callback=True)["ok"]
    _agree(facilitator, session_id, loose_world.proposal.id)
    status_id = f"proposal-{loose_world.proposal.id}-status"
    signal = [e["args"][0] for e in lister.get_received() if e["name"] == "event:proposal-changed"]
    assert signal and "Sepakat" in signal[-1]["fragments"][status_id]
    reader.get_received()

    response = htmx_post(participant, f"/usulan/butir/{item_id}/ubah/target", {"value": "9", "base": target})
    assert response.status_code == 200
    signal = [e["args"][0] for e in lister.get_received() if e["name"] == "event:proposal-changed"]
    assert signal and "1 perubahan sejak kesepakatan" in signal[-1]["fragments"][status_id]
    change = [e["args"][0] for e in reader.get_received() if e["name"] == "proposal:changed"][-1]
    panel = change["fragments"][f"proposal-{loose_world.proposal.id}-agreement"]
    assert "Target" in panel and "<del>4</del>" in panel and "<ins>9</ins>" in panel
    assert "1 perubahan sejak kesepakatan" in change["fragments"][status_id]
    lister.disconnect()
    reader.disconnect()


def test_the_plenary_consolidates_what_its_breakouts_agreed(world: World, login_as: Callable) -> None:
    plenary = make_session(world.event)
    facilitator = login_as(world.facilitator)
    htmx_post(
        facilitator,
        f"/sesi/{plenary.id}/kelompok",
        {"title": "Kelompok Ideologi", "people": [world.participant.id], "proposals": [world.proposal.id]},
    )
    htmx_post(facilitator, f"/sesi/{plenary.id}/kelompok/mulai")
    breakout = db.session.scalar(sa.select(Session).where(Session.title == "Kelompok Ideologi"))
    _agree(facilitator, breakout.id, world.proposal.id, "agreed_with_notes", "Target dinaikkan")
    db.session.expire_all()

    minutes = build_minutes(world.event, db.session.get(Session, plenary.id))
    line = next(line for line in minutes.proposals if line.agency == world.agency.name)
    assert line.decision_label == "Sepakat dengan catatan" and line.breakout_title == "Kelompok Ideologi"
    assert line.remarks[:2] == ["Disepakati di Kelompok Ideologi", "Target dinaikkan"]
    room = facilitator.get(f"/sesi/{plenary.id}").get_data(as_text=True)
    assert "di Kelompok Ideologi" in room and "Sepakat dengan catatan" in room
    print_view = facilitator.get(f"/rakor/{world.event.id}/berita-acara?sesi={plenary.id}").get_data(as_text=True)
    assert "Disepakati di Kelompok Ideologi" in print_view
    # The breakout's own document names no breakout: it is its own.
    line = next(
        line for line in build_minutes(world.event, breakout).proposals if line.agency == world.agency.name
    )
    assert line.breakout_title == "" and line.remarks == ["Target dinaikkan"]
