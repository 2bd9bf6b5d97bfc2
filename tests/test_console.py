"""Issue 17, item 7: a console for a real room. Run mode walks the session's proposals (the current
one spotlighted, its totals and open discussions, agreement choices inline, previous / next); the
breakout board names each breakout's people and proposals, with a type-ahead picker and move
buttons; the item spotlight offers the chosen proposal's items only; a refusal names its field.
The browser test (tests/e2e/test_browser_facilitation.py) checks it live and at 1366 × 768."""

from __future__ import annotations

import re
from collections.abc import Callable

import sqlalchemy as sa

from tests.conftest import htmx_post
from tests.factories import World, make_session
from workspace.extensions import db
from workspace.models import Agreement, ItemLevel, ProposalItem, Session


def _console(client, session_id: int) -> str:
    return client.get(f"/sesi/{session_id}/konsol", headers={"HX-Request": "true"}).get_data(as_text=True)


def test_run_mode_walks_the_proposals_with_totals_and_records_inline(world: World, login_as: Callable) -> None:
    session = make_session(world.event)
    facilitator = login_as(world.facilitator)
    first = _console(facilitator, session.id)
    assert "2 usulan dalam agenda" in first and "Mulai dari yang pertama" in first
    proposals = sorted([world.proposal, world.other_proposal], key=lambda p: (p.agency.region_code, p.agency.name))
    start = re.search(r'name="proposal" value="(\d+)">\s*<button[^>]*>Mulai dari yang pertama', first)
    assert start and int(start.group(1)) == proposals[0].id
    assert htmx_post(facilitator, f"/sesi/{session.id}/sorot", {"proposal": start.group(1)}).status_code == 204

    running = _console(facilitator, session.id)
    subs = [i for i in proposals[0].items if i.level is ItemLevel.SUBKEGIATAN]
    budget = f"Rp {sum(i.budget for i in subs):,}".replace(",", ".")
    assert "Usulan 1 dari 2" in running and proposals[0].agency.short_name in running
    assert f"{len(subs)} sub kegiatan" in running and budget in running and "0 diskusi terbuka" in running
    assert "Berikutnya →" in running and "← Sebelumnya" not in running

    # The inline agreement: a missing note names its field; "Sepakat" needs none.
    refused = htmx_post(
        facilitator, f"/sesi/{session.id}/kesepakatan", {"proposal": proposals[0].id, "decision": "not_agreed"}
    )
    assert refused.status_code == 422
    assert "Catatan kesepakatan: Isian ini wajib diisi." in refused.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Agreement.id))) == 0
    ok = htmx_post(facilitator, f"/sesi/{session.id}/kesepakatan", {"proposal": proposals[0].id, "decision": "agreed"})
    assert ok.status_code == 204

    next_id = re.search(r'name="proposal" value="(\d+)">\s*<button[^>]*>Berikutnya', running).group(1)
    htmx_post(facilitator, f"/sesi/{session.id}/sorot", {"proposal": next_id})
    second = _console(facilitator, session.id)
    assert "Usulan 2 dari 2" in second and "← Sebelumnya" in second and "Berikutnya →" not in second


def test_the_spotlight_offers_the_chosen_proposals_items_only(world: World, login_as: Callable) -> None:
    session = make_session(world.event)
    facilitator = login_as(world.facilitator)
    page = facilitator.get(f"/sesi/{session.id}/konsol/butir?proposal={world.proposal.id}").get_data(as_text=True)
    own = db.session.scalars(sa.select(ProposalItem).where(ProposalItem.proposal_id == world.proposal.id)).all()
    others = db.session.scalars(
        sa.select(ProposalItem).where(ProposalItem.proposal_id == world.other_proposal.id)
    ).all()
    assert all(f'value="{item.id}"' in page for item in own)
    assert not any(f'value="{item.id}"' in page for item in others)
    console = _console(facilitator, session.id)
    choices = console.split(f'id="spotlight-items-{session.id}"')[1].split("</select>")[0]
    assert choices.count("<option") == 1  # before a proposal is chosen: the whole proposal only
    assert "— seluruh usulan —" in facilitator.get(f"/sesi/{session.id}/konsol/butir").get_data(as_text=True)
    assert facilitator.get(f"/sesi/{session.id}/konsol/butir?proposal=abc").status_code == 400
    assert login_as(world.participant).get(f"/sesi/{session.id}/konsol/butir").status_code == 403


def test_the_breakout_board_names_people_and_proposals_and_offers_moves(world: World, login_as: Callable) -> None:
    plenary = make_session(world.event)
    facilitator = login_as(world.facilitator)
    for title, person, proposal in (
        ("Ideologi", world.participant, world.proposal),
        ("Kewaspadaan", world.other_participant, world.other_proposal),
    ):
        response = htmx_post(
            facilitator,
            f"/sesi/{plenary.id}/kelompok",
            {"title": title, "people": [person.id], "proposals": [proposal.id]},
        )
        assert response.status_code == 204
    board = _console(facilitator, plenary.id)
    cards = board.split('class="breakout-card"')[1:]
    assert "Ideologi" in cards[0] and world.participant.name in cards[0] and world.agency.short_name in cards[0]
    assert "Kewaspadaan" in cards[1] and world.other_participant.name in cards[1]
    picker = board.split('class="person-picker"')[1]
    entry = picker.split(f'data-search="{world.participant.display_name}')[1].split("</li>")[0]
    assert world.agency.short_name in entry and "ke Kewaspadaan" in entry and "ke Ideologi" not in entry

    refused = htmx_post(facilitator, f"/sesi/{plenary.id}/kelompok", {"title": "", "proposals": [world.proposal.id]})
    assert refused.status_code == 422 and "Nama: Isian ini wajib diisi." in refused.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Session.id)).where(Session.parent_id == plenary.id)) == 2
