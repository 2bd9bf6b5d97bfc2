"""Beyond one process: two servers on different ports sharing PostgreSQL and the Redis message
queue behave as one; a slow query blocks nobody; a killed worker loses no committed edit."""

from __future__ import annotations

import signal
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.databases import query
from tests.live_clients import LiveClient, cell_values, wait_until
from tests.servers import RunningServer, start_server
from workspace.services.demo import DEMO_PASSWORD

pytestmark = [pytest.mark.server, pytest.mark.postgres, pytest.mark.redis]

PRESENCE_TTL = 2.0  # seconds a killed process's people may linger (production default: 15)


@pytest.fixture(params=["eventlet", "gevent"])
def async_mode(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def cluster(tmp_path: Path, postgres_demo, redis_url: str, async_mode: str) -> Iterator[dict]:
    """Two server processes, A and B, on one PostgreSQL database and one Redis namespace."""
    postgres, template = postgres_demo
    database_url = postgres.clone(template, tmp_path)
    namespace = f"sinergi-test-{uuid.uuid4().hex[:8]}"
    env = {
        "SOCKETIO_MESSAGE_QUEUE": redis_url,
        "SINERGI_REDIS_NAMESPACE": namespace,
        "SINERGI_PRESENCE_TTL": str(PRESENCE_TTL),
        "SINERGI_ASYNC": async_mode,
    }
    servers = {}
    for name in ("a", "b"):
        instance = tmp_path / f"instance-{name}"
        instance.mkdir()
        # With tests/hooks.py: the slow-query route the test of the event loop below needs.
        servers[name] = start_server(instance, database_url, env, with_hooks=True)
    sambas = LiveClient(servers["a"].url, "peserta.sambas", DEMO_PASSWORD)
    proposal_id = int(sambas.get("/rakor/1").split('href="/usulan/')[1].split('"')[0])
    yield {"a": servers["a"], "b": servers["b"], "proposal_id": proposal_id, "database_url": database_url}
    for server in servers.values():
        server.stop()
    postgres.drop(database_url)


def client_on(server: RunningServer, username: str, proposal_id: int) -> LiveClient:
    client = LiveClient(server.url, username, DEMO_PASSWORD)
    client.connect()
    assert client.join(proposal_id)["ok"]
    return client


def latest(client: LiveClient, name: str) -> object:
    with client.lock:
        matching = [payload for event, payload in client.events if event == name]
    return matching[-1] if matching else None


def test_two_processes_behave_as_one(cluster: dict) -> None:
    proposal_id = cluster["proposal_id"]
    on_a = client_on(cluster["a"], "peserta.sambas", proposal_id)
    on_b = client_on(cluster["b"], "kesbangpol.sambas", proposal_id)
    tree = cell_values(on_a.get(f"/usulan/{proposal_id}/pohon"))
    item = sorted({key[0] for key in tree if key[1] == "location"})[0]  # a sub kegiatan

    # Presence: the user on A and the user on B appear on both.
    names = {"Syarif Hamid Rahman", on_b.get("/").split('data-user-name="')[1].split('"')[0].split(",")[0]}

    def sees_both(client: LiveClient) -> bool:
        viewers = latest(client, "proposal:presence")
        return bool(viewers) and {v["name"] for v in viewers["viewers"]} >= names

    assert wait_until(lambda: sees_both(on_a)), latest(on_a, "proposal:presence")
    assert sees_both(on_b) or wait_until(lambda: sees_both(on_b))

    # An edit through B reaches the client on A.
    response = on_b.edit(item, "target", "321", tree[(item, "target")])
    assert response.status_code == 200
    assert on_a.wait_for_revision(int(response.headers["X-Sinergi-Revision"]))

    # Focus on B shows on A.
    on_b.sio.call("proposal:focus", {"proposal_id": proposal_id, "item_id": item, "field": "budget"}, timeout=10)
    assert wait_until(lambda: (latest(on_a, "proposal:focus") or {}).get("focus"))
    assert latest(on_a, "proposal:focus")["focus"][0]["field"] == "budget"

    # A conflict is detected across processes: both start from the same value.
    base = tree[(item, "location")]
    first = on_a.edit(item, "location", "Kecamatan Tebas", base)
    second = on_b.edit(item, "location", "Kecamatan Paloh", base)
    assert (first.status_code, second.status_code) == (200, 409)

    # A comment made through B reaches A.
    reviewer_on_b = LiveClient(cluster["b"].url, "peninjau", DEMO_PASSWORD)
    assert reviewer_on_b.post(f"/usulan/{proposal_id}/komentar", {"body": "Dari proses B"}).status_code == 200
    assert wait_until(lambda: any("Dari proses B" in html for change in on_a.changes for html in change["threads"]))

    # A facilitator on B locks the proposal and spotlights it: screens on A follow.
    facilitator_on_b = LiveClient(cluster["b"].url, "fasilitator", DEMO_PASSWORD)
    plenary = int(facilitator_on_b.get("/rakor/1").split('href="/sesi/')[1].split('"')[0])
    assert on_a.sio.call("session:join", {"session_id": plenary}, timeout=10)["ok"]
    assert facilitator_on_b.post(f"/sesi/{plenary}/kunci", {"proposal": proposal_id, "locked": "1"}).status_code == 204
    assert wait_until(lambda: any(lock["locked"] for lock in on_a.received("proposal:lock")))
    assert facilitator_on_b.post(f"/sesi/{plenary}/sorot", {"proposal": proposal_id}).status_code == 204
    assert wait_until(lambda: any(change["part"] == "spotlight" for change in on_a.received("session:changed")))
    refused = on_a.edit(item, "unit", "Dokumen", tree[(item, "unit")])
    assert refused.status_code == 403  # the lock holds on A too
    on_a.disconnect()
    on_b.disconnect()


def test_people_of_a_killed_process_disappear(cluster: dict) -> None:
    proposal_id = cluster["proposal_id"]
    on_a = client_on(cluster["a"], "peserta.sambas", proposal_id)
    client_on(cluster["b"], "kesbangpol.sambas", proposal_id)

    def viewer_count() -> int:
        presence = latest(on_a, "proposal:presence")
        return len(presence["viewers"]) if presence else 0

    assert wait_until(lambda: viewer_count() == 2)
    killed_at = time.monotonic()
    cluster["b"].stop(signal.SIGKILL)  # no disconnect handler runs on B
    assert wait_until(lambda: viewer_count() == 1, timeout=PRESENCE_TTL * 5), latest(on_a, "proposal:presence")
    assert time.monotonic() - killed_at < PRESENCE_TTL * 5
    on_a.disconnect()


def test_killing_a_worker_loses_no_committed_edit(cluster: dict) -> None:
    proposal_id = cluster["proposal_id"]
    editors = [client_on(cluster["a"], name, proposal_id) for name in ("peserta.sambas", "kesbangpol.sambas")]
    tree = cell_values(editors[0].get(f"/usulan/{proposal_id}/pohon"))
    items = sorted({key[0] for key in tree if key[1] == "location"})[:2]  # two sub kegiatan
    committed: list[tuple[int, str, str]] = []
    stop = threading.Event()

    def keep_editing(client: LiveClient, item: int) -> None:
        current = tree[(item, "target")]
        for step in range(10_000):
            if stop.is_set():
                return
            value = str(1000 + step)
            try:
                response = client.edit(item, "target", value, current)
            except requests.RequestException:
                return  # the worker died under us
            if response.status_code == 200:
                committed.append((item, "target", value))
                current = value

    threads = [threading.Thread(target=keep_editing, args=(c, i)) for c, i in zip(editors, items, strict=True)]
    for thread in threads:
        thread.start()
    assert wait_until(lambda: len(committed) >= 10, timeout=20)
    cluster["a"].stop(signal.SIGKILL)
    stop.set()
    for thread in threads:
        thread.join(timeout=30)

    # The clients reconnect, to the other worker, and catch up to a fresh load.
    survivor = cluster["b"]
    for client in editors:
        client.base_url = survivor.url
        client.reconnect()
        assert client.join(proposal_id)["ok"]
    fresh = LiveClient(survivor.url, "bappeda.sambas", DEMO_PASSWORD).get(f"/usulan/{proposal_id}/pohon")
    for client in editors:
        assert client.get(f"/usulan/{proposal_id}/pohon") == fresh
    final = cell_values(fresh)
    for item in items:
        acknowledged = [value for i, _f, value in committed if i == item]
        stored = [
            row[0]
            for row in query(
                cluster["database_url"],
                "SELECT new_value FROM revision WHERE item_id = :item AND field = 'target' ORDER BY proposal_revision",
                {"item": item},
            )
        ]
        # Every acknowledged edit is in the history, in order; at most one more edit committed
        # whose answer the killed worker never sent (the client could not know it succeeded).
        assert stored[: len(acknowledged)] == acknowledged, "an acknowledged edit was lost"
        assert len(stored) - len(acknowledged) <= 1
        assert final[(item, "target")] == stored[-1]


@pytest.mark.alone  # 300 ms beside one slow query, not under the load of the rest of the suite
def test_a_slow_query_does_not_block_the_loop(cluster: dict) -> None:
    """One request sits in pg_sleep(2); another client's edit still reaches others within 300 ms."""
    proposal_id = cluster["proposal_id"]
    server = cluster["a"]
    editor = client_on(server, "peserta.sambas", proposal_id)
    watcher = client_on(server, "kesbangpol.sambas", proposal_id)
    tree = cell_values(editor.get(f"/usulan/{proposal_id}/pohon"))
    item = sorted({key[0] for key in tree if key[1] == "location"})[0]  # a sub kegiatan
    slow = threading.Thread(target=lambda: editor.http.get(f"{server.url}/_uji/kueri-lambat?detik=2", timeout=10))
    slow.start()
    time.sleep(0.3)  # the slow query is running now
    started = time.monotonic()
    response = editor.edit(item, "target", "4242", tree[(item, "target")])
    revision = int(response.headers["X-Sinergi-Revision"])
    assert watcher.wait_for_revision(revision, timeout=1.0)
    elapsed = time.monotonic() - started
    assert slow.is_alive(), "the slow request must still be running during the edit"
    assert elapsed < 0.3, f"edit-to-broadcast took {elapsed * 1000:.0f} ms while a slow query ran"
    slow.join()
    editor.disconnect()
    watcher.disconnect()


def test_healthz_reports_database_and_queue(cluster: dict) -> None:
    answer = requests.get(f"{cluster['a'].url}/healthz", timeout=5)
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok", "database": "ok", "message_queue": "ok"}


def test_signing_out_on_one_process_cuts_sockets_on_the_other(cluster: dict) -> None:
    """The browser's socket lives on B; it signs out through A: B's sweeper closes it."""
    browser = LiveClient(cluster["a"].url, "peserta.sambas", DEMO_PASSWORD)
    cookie = "; ".join(f"{c.name}={c.value}" for c in browser.http.cookies)
    browser.sio.connect(cluster["b"].url, headers={"Cookie": cookie}, transports=["websocket"], wait_timeout=10)
    assert browser.join(cluster["proposal_id"])["ok"]
    colleague = client_on(cluster["b"], "kesbangpol.sambas", cluster["proposal_id"])
    answer = browser.http.post(f"{cluster['a'].url}/keluar", data={"csrf_token": browser.csrf}, timeout=10)
    assert answer.status_code == 200
    deadline = time.monotonic() + PRESENCE_TTL + 2
    while browser.sio.connected and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not browser.sio.connected, "the socket on the other process outlived the sign-in"
    assert colleague.sio.connected
    colleague.disconnect()
