"""The real app under eventlet in a subprocess, with real python-socketio clients over WebSocket."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from tests.conftest import app_config
from tests.databases import query
from tests.live_clients import LiveClient, cell_values, wait_until
from tests.servers import RunningServer, start_server
from workspace.services.demo import DEMO_PASSWORD

pytestmark = pytest.mark.server

EDITORS = ["peserta.sambas", "kesbangpol.sambas", "uji.sambas.1", "uji.sambas.2", "uji.sambas.3"]


@pytest.fixture
def sambas_server(tmp_path: Path, live_database: str, server_async_mode: str) -> Iterator[tuple[RunningServer, dict]]:
    """The demo rakor plus three more participants of Kesbangpol Kab. Sambas, on a real server."""
    from workspace import create_app
    from workspace.extensions import db
    from workspace.models import Agency, ItemLevel, Membership, Proposal, ProposalItem, Role, User

    instance = tmp_path / "instance"
    instance.mkdir()
    app = create_app(app_config(instance, live_database))
    with app.app_context():
        agency = db.session.scalar(sa.select(Agency).where(Agency.short_name == "Kesbangpol Kab. Sambas"))
        proposal = db.session.scalar(sa.select(Proposal).where(Proposal.agency_id == agency.id))
        template_user = db.session.scalar(sa.select(User).where(User.username == "peserta.sambas"))
        for username in EDITORS[2:]:
            user = User(
                username=username, name=f"Peserta {username}", agency=agency, password_hash=template_user.password_hash
            )
            db.session.add_all([user, Membership(event=proposal.event, user=user, role=Role.PARTICIPANT)])
        db.session.commit()
        items = list(
            db.session.scalars(
                sa.select(ProposalItem.id)
                .where(ProposalItem.proposal_id == proposal.id, ProposalItem.level == ItemLevel.SUBKEGIATAN)
                .order_by(ProposalItem.id)
            )
        )
        info = {"proposal_id": proposal.id, "items": items}
        db.engine.dispose()
    server = start_server(instance, live_database, {"SINERGI_ASYNC": server_async_mode})
    info["database"] = live_database
    yield server, info
    server.stop()


def open_clients(server: RunningServer, usernames: list[str], proposal_id: int) -> list[LiveClient]:
    clients = []
    for username in usernames:
        client = LiveClient(server.url, username, DEMO_PASSWORD)
        client.connect()
        answer = client.join(proposal_id)
        assert answer["ok"], answer
        clients.append(client)
    return clients


def test_edits_by_one_client_reach_all_others_with_consecutive_revisions(sambas_server) -> None:
    server, info = sambas_server
    clients = open_clients(server, [*EDITORS[:3], "peninjau", "proyektor"], info["proposal_id"])
    editor, watchers = clients[0], clients[1:]
    item = info["items"][0]
    current = cell_values(editor.get(f"/usulan/{info['proposal_id']}/pohon"))[(item, "target")]
    for step in range(1, 11):
        value = str(100 + step)
        response = editor.edit(item, "target", value, current)
        assert response.status_code == 200, response.text
        assert response.headers["X-Sinergi-Revision"] == str(step)
        current = value
    for watcher in watchers:
        assert watcher.wait_for_revision(10), f"{watcher.username} got {watcher.revisions()}"
        assert watcher.revisions() == list(range(1, 11))
        last = watcher.changes[-1]
        assert cell_values(last["fragments"][f"item-{item}"])[(item, "target")] == "110"
    for client in clients:
        client.disconnect()


def test_randomised_concurrent_edits_lose_nothing_and_conflict_honestly(sambas_server) -> None:
    """5 clients, 500 edits, many on the same fields: every accepted edit has exactly one Revision,
    every rejected one got a conflict, and the database ends at the last accepted value of each field."""
    server, info = sambas_server
    proposal_id = info["proposal_id"]
    items = info["items"][:3]
    fields = ["target", "location", "budget"]
    clients = open_clients(server, EDITORS, proposal_id)
    initial = cell_values(clients[0].get(f"/usulan/{proposal_id}/pohon"))
    outcomes: list[dict] = []
    outcome_lock = threading.Lock()
    errors: list[str] = []

    def run(client: LiveClient, seed: int) -> None:
        rng = random.Random(seed)
        known = dict(initial)
        seen_revisions = 0
        try:
            for attempt in range(100):
                # Learn what the broadcasts said so far (in revision order), like the browser does.
                with client.lock:
                    fresh = sorted(client.changes[seen_revisions:], key=lambda c: c["revision"])
                    seen_revisions = len(client.changes)
                for change in fresh:
                    for fragment in change["fragments"].values():
                        known.update(cell_values(fragment))
                item, field = rng.choice(items), rng.choice(fields)
                # Unique per client and attempt: a value equal to the stored one would be a no-op.
                unique = (seed + 1) * 1000 + attempt
                value = {
                    "target": str(unique),
                    "location": f"Kecamatan {rng.randrange(1, 100)} ({client.username}, {attempt})",
                    "budget": f"{unique:,}.000.000".replace(",", "."),
                }[field]
                base = known[(item, field)]
                response = client.edit(item, field, value, base)
                record = {
                    "client": client.username,
                    "item": item,
                    "field": field,
                    "status": response.status_code,
                    "revision": int(response.headers.get("X-Sinergi-Revision", "0")),
                    "attempt": attempt,
                    "value": value,
                }
                if response.status_code == 200:
                    known[(item, field)] = cell_values(response.text).get((item, field), base)
                    record["stored"] = known[(item, field)]
                elif response.status_code == 409:
                    assert "Orang lain mengubah isian ini" in response.text
                with outcome_lock:
                    outcomes.append(record)
                if rng.random() < 0.3:
                    time.sleep(rng.random() * 0.01)
        except Exception as exc:  # surfaced below: a thread's assertion must fail the test
            errors.append(f"{client.username}: {exc!r}")

    threads = [threading.Thread(target=run, args=(client, seed)) for seed, client in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=240)
    assert not errors, errors
    assert len(outcomes) == 500
    statuses = {record["status"] for record in outcomes}
    assert statuses <= {200, 409}, statuses
    accepted = [r for r in outcomes if r["status"] == 200 and "stored" in r]
    conflicts = [r for r in outcomes if r["status"] == 409]
    assert len(accepted) + len(conflicts) == 500
    assert len(conflicts) > 0, "the run must exercise conflicts"
    print(f"randomised run: {len(accepted)} accepted, {len(conflicts)} conflicts")

    accepted_revisions = sorted(r["revision"] for r in accepted)
    assert len(set(accepted_revisions)) == len(accepted_revisions), "one revision per accepted edit"
    rows = query(
        info["database"],
        "select proposal_revision, item_id, field, new_value from revision "
        "where proposal_id = :p and action = 'update' order by proposal_revision",
        {"p": proposal_id},
    )
    assert [row[0] for row in rows] == accepted_revisions == list(range(1, len(accepted) + 1))
    by_revision = {r["revision"]: r for r in accepted}
    for revision_number, item_id, field, new_value in rows:
        record = by_revision[revision_number]
        assert (record["item"], record["field"], record["stored"]) == (item_id, field, new_value)

    final = cell_values(clients[0].get(f"/usulan/{proposal_id}/pohon"))
    for item in items:
        for field in fields:
            last = [r for r in accepted if (r["item"], r["field"]) == (item, field)]
            expected = max(last, key=lambda r: r["revision"])["stored"] if last else initial[(item, field)]
            assert final[(item, field)] == expected, (item, field)

    # Every client received every revision exactly once: nothing lost, nothing duplicated.
    for client in clients:
        assert client.wait_for_revision(len(accepted), timeout=15)
        received = client.revisions()
        assert sorted(received) == list(range(1, len(accepted) + 1)), client.username
    for client in clients:
        client.disconnect()


def test_a_client_that_was_offline_catches_up_to_a_fresh_load(sambas_server) -> None:
    """The server side of catch-up (the browser side is in tests/e2e): while a client is away it is
    sent nothing; on its return the join answer shows the gap, and one re-fetch of the tree brings
    it to exactly what a fresh page load shows."""
    server, info = sambas_server
    proposal_id = info["proposal_id"]
    editor, traveller = open_clients(server, EDITORS[:2], proposal_id)
    tree_path = f"/usulan/{proposal_id}/pohon"
    state = cell_values(traveller.get(tree_path))
    local_revision = traveller.join(proposal_id)["revision"]
    state_before = dict(state)

    traveller.disconnect()  # the hotel Wi-Fi drops
    known = cell_values(editor.get(tree_path))
    for step, item in enumerate(info["items"][:4]):
        response = editor.edit(item, "budget", f"{step + 1}.000.000", known[(item, "budget")])
        assert response.status_code == 200
    kegiatan_parent = editor.post(f"/usulan/{proposal_id}/butir", {"name": "Program Lokal Perbatasan"})
    assert kegiatan_parent.status_code == 200
    assert traveller.revisions() == []  # nothing arrived while offline

    traveller.reconnect()
    answer = traveller.join(proposal_id)
    assert answer["revision"] == local_revision + 5
    # The client sees the gap and re-fetches over HTTP, as static/js/app.js does.
    caught_up_tree = traveller.get(tree_path)
    state = cell_values(caught_up_tree)
    assert state != state_before  # there was something to catch up on
    fresh = LiveClient(server.url, "bappeda.sambas", DEMO_PASSWORD)
    fresh_tree = fresh.get(tree_path)
    assert state == cell_values(fresh_tree)
    assert caught_up_tree == fresh_tree
    assert "Program Lokal Perbatasan" in caught_up_tree
    editor.disconnect()
    traveller.disconnect()


def test_cross_origin_socket_connections_are_refused(sambas_server) -> None:
    server, _info = sambas_server
    client = LiveClient(server.url, "peserta.sambas", DEMO_PASSWORD)
    handshake = f"{server.url}/socket.io/?EIO=4&transport=polling"
    foreign = client.http.get(handshake, headers={"Origin": "http://evil.example"}, timeout=10)
    assert foreign.status_code == 400
    own = client.http.get(handshake, headers={"Origin": server.url}, timeout=10)
    assert own.status_code == 200 and own.text.startswith("0{")
    anonymous = requests.get(handshake, timeout=10)
    sid = anonymous.text[1:].split('"sid":"')[1].split('"')[0]
    refused = requests.post(f"{handshake}&sid={sid}", data="40", timeout=10)
    assert refused.status_code == 200
    answer = requests.get(f"{handshake}&sid={sid}", timeout=10).text
    assert answer.startswith("44"), answer  # CONNECT_ERROR: an anonymous socket is refused


def test_a_burst_of_joins_sends_the_room_one_list_per_window(sambas_server) -> None:
    """When the plenary opens one proposal on every laptop at once, the people already in the room
    get one presence list per window (0.2 s), not one per join; the last one names everybody, and
    every joiner has the list in its own join answer. (With SINERGI_PRESENCE_WINDOW=0 on the server
    the watcher gets one list per join and this fails: 10 lists for 10 joins.)"""
    server, info = sambas_server
    proposal_id = info["proposal_id"]
    (watcher,) = open_clients(server, ["proyektor"], proposal_id)
    joiners = [LiveClient(server.url, username, DEMO_PASSWORD) for username in EDITORS * 2]
    for client in joiners:
        client.connect()
    assert wait_until(lambda: len(watcher.received("proposal:presence")) >= 1)
    time.sleep(0.5)
    lists_before = len(watcher.received("proposal:presence"))
    answers: list[dict] = []
    start = threading.Barrier(len(joiners))

    def join(client: LiveClient) -> None:
        start.wait()
        answers.append(client.join(proposal_id))

    started = time.monotonic()
    threads = [threading.Thread(target=join, args=(client,)) for client in joiners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    span = time.monotonic() - started
    assert len(answers) == len(joiners) and all(answer["ok"] for answer in answers)
    assert all(len(answer["viewers"]) >= 2 for answer in answers)  # the watcher and oneself at least
    everybody = {"proyektor", *EDITORS}

    def names_everybody() -> bool:
        lists = watcher.received("proposal:presence")
        return len(lists) > lists_before and len(lists[-1]["viewers"]) == len(everybody)

    assert wait_until(names_everybody), watcher.received("proposal:presence")[-1]
    time.sleep(0.5)
    lists = len(watcher.received("proposal:presence")) - lists_before
    windows = int(span / 0.2) + 2  # the windows the joins could fall into
    assert 1 <= lists <= min(windows, len(joiners) - 1), (lists, span)
    for client in [watcher, *joiners]:
        client.disconnect()
