"""Fifty people writing at the same moment to one SQLite database through the real server: no
"database is locked" reaches anyone, and no write is lost."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.databases import query
from tests.live_clients import LiveClient, cell_values
from tests.servers import RunningServer, start_server
from workspace.services.demo import DEMO_PASSWORD

pytestmark = pytest.mark.server

WRITERS = 50
EDITS_EACH = 4
FIELDS = ("location", "indicator", "funding_source", "budget", "forward_budget", "forward_target", "target")


@pytest.fixture
def sqlite_server(tmp_path: Path, live_database: str) -> Iterator[RunningServer]:
    instance = tmp_path / "instance"
    instance.mkdir()
    # Fifty sign-ins of one account from one address in a second: lift the login limits.
    env = {
        "SINERGI_LOGIN_RATE_LIMIT": "1000 per minute",
        "SINERGI_LOGIN_ADDRESS_RATE_LIMIT": "1000 per minute",
        "SINERGI_COMMENT_RATE_LIMIT": "1000 per minute",
    }
    server = start_server(instance, live_database, env)
    yield server
    server.stop()


@pytest.mark.parametrize("databases", ["sqlite"], indirect=True)
def test_fifty_concurrent_writers_on_sqlite_lose_nothing(sqlite_server: RunningServer, live_database: str) -> None:
    first = LiveClient(sqlite_server.url, "peserta.sambas", DEMO_PASSWORD)
    proposal_id = int(first.get("/rakor/1").split('href="/usulan/')[1].split('"')[0])
    tree = cell_values(first.get(f"/usulan/{proposal_id}/pohon"))
    sub_items = sorted({item for (item, field) in tree if field == "budget"})
    cells = [(item, field) for item in sub_items for field in FIELDS][:WRITERS]
    assert len(cells) >= 20, "the demo proposal should offer enough distinct cells"
    revision_before = query(live_database, "SELECT revision FROM proposal WHERE id = :id", {"id": proposal_id})[0][0]

    writers = [first] + [LiveClient(sqlite_server.url, "peserta.sambas", DEMO_PASSWORD) for _ in range(WRITERS - 1)]
    start = threading.Barrier(WRITERS)
    answers: list[tuple[int, str]] = []
    lock = threading.Lock()
    final: dict[tuple[int, str], str] = {}

    def write(index: int, client: LiveClient) -> None:
        start.wait(timeout=30)
        if index >= len(cells):  # more writers than cells: they comment, which writes too
            for edit in range(EDITS_EACH):
                response = client.post(f"/usulan/{proposal_id}/komentar", {"body": f"Penulis {index}, catatan {edit}"})
                with lock:
                    answers.append((response.status_code, response.text[:200]))
            return
        item, field = cells[index]
        base = tree[(item, field)]
        for edit in range(EDITS_EACH):
            value = str(1_000_000 * (index + 1) + edit) if field.endswith("budget") else f"Penulis {index} #{edit}"
            if field in ("forward_target", "target"):
                value = str(index * 10 + edit + 1)
            response = client.edit(item, field, value, base)
            with lock:
                answers.append((response.status_code, response.text[:200]))
            if response.status_code == 200:
                base = value
        with lock:
            final[(item, field)] = base

    threads = [threading.Thread(target=write, args=(i, c)) for i, c in enumerate(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert len(answers) == WRITERS * EDITS_EACH
    failures = [(status, text) for status, text in answers if status not in (200, 204)]
    assert failures == [], failures[:5]
    assert "database is locked" not in sqlite_server.log()
    # Every write is stored, and each took exactly one revision: nothing lost, nothing doubled.
    stored = cell_values(first.get(f"/usulan/{proposal_id}/pohon"))
    for cell, value in final.items():
        assert stored[cell] == value, cell
    field_edits = len(final) * EDITS_EACH
    revisions = query(
        live_database,
        "SELECT proposal_revision FROM revision WHERE proposal_id = :id AND proposal_revision > :before"
        " ORDER BY proposal_revision",
        {"id": proposal_id, "before": revision_before},
    )
    numbers = [row[0] for row in revisions]
    comments = (WRITERS - len(cells)) * EDITS_EACH
    assert len(numbers) == field_edits
    revision_after = query(live_database, "SELECT revision FROM proposal WHERE id = :id", {"id": proposal_id})[0][0]
    assert revision_after == revision_before + field_edits + comments
    assert numbers == sorted(set(numbers))
    stored_comments = query(live_database, "SELECT count(*) FROM comment WHERE body LIKE 'Penulis %'")[0][0]
    assert stored_comments == comments
