"""Catch-up beyond the proposal page: what a reconnecting page re-fetches is current."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask

from tests.conftest import htmx_post
from tests.factories import World, make_session
from tests.test_realtime import events_named


def test_the_console_fragment_shows_a_breakout_made_in_another_window(world: World, login_as: Callable) -> None:
    plenary = make_session(world.event)
    first_window, second_window = login_as(world.facilitator), login_as(world.facilitator)
    before = first_window.get(f"/sesi/{plenary.id}/konsol")
    assert before.status_code == 200 and "Kelompok Ketahanan" not in before.get_data(as_text=True)
    created = htmx_post(
        second_window,
        f"/sesi/{plenary.id}/kelompok",
        {"title": "Kelompok Ketahanan", "people": [world.participant.id], "proposals": [world.proposal.id]},
    )
    assert created.status_code < 400
    console = first_window.get(f"/sesi/{plenary.id}/konsol", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert f'id="session-{plenary.id}-console"' in console and "Kelompok Ketahanan" in console


def test_the_console_is_the_facilitators_only(world: World, login_as: Callable) -> None:
    plenary = make_session(world.event)
    assert login_as(world.participant).get(f"/sesi/{plenary.id}/konsol").status_code == 403
    assert login_as(world.outsider).get(f"/sesi/{plenary.id}/konsol").status_code in (403, 404)


def test_a_socket_learns_its_unread_count_when_it_connects(
    loose_app: Flask, connect: Callable, loose_world: World
) -> None:
    reviewer, reviewer_http = connect(loose_world.reviewer)
    reviewer.disconnect()
    # While the reviewer's laptop is away, the participant mentions them.
    _participant, http = connect(loose_world.participant)
    body = f"@{loose_world.reviewer.username} mohon dicek"
    assert htmx_post(http, f"/usulan/{loose_world.proposal.id}/komentar", {"body": body}).status_code == 200
    from workspace.extensions import socketio

    back = socketio.test_client(loose_app, flask_test_client=reviewer_http)
    try:
        assert events_named(back, "notifications:count") == [{"unread": 1}]
    finally:
        back.disconnect()
