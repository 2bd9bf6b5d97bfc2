"""Connections, on a real server started as app.py starts it (eventlet, a subprocess on a free port):
idle, half-sent and trickled connections are closed; one address holds a bounded number of
connections while others are still served; live sockets (WebSocket and long-polling) outlive the
idle timeout; one person holds a bounded number of sockets, and their events share one budget.
Also the measurement the per-address default comes from: the connections one Chromium holds to
a proposal page in normal use.

The timeouts are set short here by environment variable; the asserts are functional bounds, the
figures are printed (run with -s).
"""

from __future__ import annotations

import contextlib
import http.client
import select
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest
import requests
import socketio

from tests.live_clients import LiveClient, wait_until
from tests.servers import RunningServer, start_server
from workspace.config import connection_settings
from workspace.services.demo import DEMO_PASSWORD

# TCP connections and socket caps: nothing here touches the database engine.
pytestmark = [pytest.mark.server, pytest.mark.one_engine]

OTHER_ADDRESS = "127.0.0.2"  # loopback too (all of 127/8): a second "laptop" for the per-address cap
CLOSE_BOUND = 10.0  # seconds: a connection the server should drop is gone within this (functional)
REFUSED = "Terlalu banyak koneksi dari jaringan Anda"


@pytest.fixture
def start(tmp_path: Path, live_database: str) -> Iterator[Callable[..., RunningServer]]:
    """`start(**env)` → app.py under eventlet on the demo rakor, with these settings."""
    started: list[RunningServer] = []

    def _start(**env: str) -> RunningServer:
        instance = tmp_path / f"instance-{len(started)}"
        instance.mkdir()
        server = start_server(instance, live_database, {"SINERGI_ASYNC": "eventlet", **env})
        started.append(server)
        return server

    yield _start
    for server in started:
        server.stop()


def raw_connection(server: RunningServer, source: str = "127.0.0.1") -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=CLOSE_BOUND + 5, source_address=(source, 0))


def seconds_until_closed(connection: socket.socket, bound: float = CLOSE_BOUND) -> float | None:
    """Read (and drop) whatever the server sends until it closes; None if still open after `bound`."""
    started = time.monotonic()
    connection.settimeout(0.2)
    while time.monotonic() - started < bound:
        try:
            if connection.recv(65536) == b"":
                return time.monotonic() - started
        except TimeoutError:
            continue
        except ConnectionResetError:
            return time.monotonic() - started
    return None


def get(server: RunningServer, path: str = "/masuk", source: str = "127.0.0.1") -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10, source_address=(source, 0))
    connection.request("GET", path)
    return connection.getresponse()


def proposal_of(client: LiveClient) -> int:
    return int(client.get("/rakor/1").split('href="/usulan/')[1].split('"')[0])


# ---- Idle, half-sent and trickled connections ----------------------------------------------------


def test_an_idle_connection_is_closed_after_the_idle_timeout(start) -> None:
    server = start(SINERGI_IDLE_TIMEOUT="2", SINERGI_HEADER_TIMEOUT="3")
    silent = raw_connection(server)
    closed_after = seconds_until_closed(silent)
    # Keep-alive: after an answered request, waiting for the next one counts as idle too.
    kept = raw_connection(server)
    kept.sendall(b"GET /masuk HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    kept_closed_after = seconds_until_closed(kept)  # reads the answer, then waits for the close
    print(f"\nidle timeout 2 s: a silent connection closed after {closed_after}, a kept-alive one {kept_closed_after}")
    assert closed_after is not None, "an idle connection was still open"
    assert kept_closed_after is not None, "an idle kept-alive connection was still open"
    assert get(server).status == 200  # the server itself is fine


def test_a_half_sent_request_head_is_closed(start) -> None:
    server = start(SINERGI_IDLE_TIMEOUT="2", SINERGI_HEADER_TIMEOUT="3")
    half = raw_connection(server)
    half.sendall(b"GET /masuk HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Half: ")
    closed_after = seconds_until_closed(half)
    print(f"\na half-sent request head was closed after {closed_after} s")
    assert closed_after is not None, "a half-sent request was still held"
    assert get(server).status == 200


def test_a_trickled_request_head_is_closed_at_the_head_deadline(start) -> None:
    """A byte every 0.4 s never lets a read wait 2 s (the idle timeout): only the deadline for the
    whole head, 3 s after its first byte, can end it. Trickled to the end it would take 80 s."""
    server = start(SINERGI_IDLE_TIMEOUT="2", SINERGI_HEADER_TIMEOUT="3")
    trickle = raw_connection(server)
    head = b"GET /masuk HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 200 + b"\r\n\r\n"
    started = time.monotonic()
    closed_after = None
    for byte in head:
        try:
            trickle.sendall(bytes([byte]))
        except OSError:  # reset: closed
            closed_after = time.monotonic() - started
            break
        readable, _, _ = select.select([trickle], [], [], 0.4)
        if readable and trickle.recv(65536) == b"":
            closed_after = time.monotonic() - started
            break
        if time.monotonic() - started > CLOSE_BOUND:
            break
    print(f"\na request head trickled at a byte per 0.4 s was closed after {closed_after} s (deadline 3 s)")
    assert closed_after is not None, "a trickled request head was still being read"
    assert get(server).status == 200


# ---- One address, many connections ---------------------------------------------------------------


def test_the_per_address_cap_refuses_the_extra_connection_while_others_are_served(start) -> None:
    """Five connections of one address busy sending their heads (none idle to make room for a
    newcomer): the sixth is refused with a message; other addresses are served meanwhile."""
    server = start(SINERGI_MAX_CONNECTIONS_PER_ADDRESS="5", SINERGI_HEADER_TIMEOUT="30")
    held = [raw_connection(server, OTHER_ADDRESS) for _ in range(5)]
    for connection in held:
        connection.sendall(b"GET /masuk HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # not finished
    time.sleep(0.3)  # accepted, counted, reading
    extra = raw_connection(server, OTHER_ADDRESS)
    extra.sendall(b"GET /masuk HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    answer = b""
    extra.settimeout(5)
    with contextlib.suppress(OSError):
        while chunk := extra.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 503"), answer[:200]
    assert REFUSED in answer.decode("utf-8"), answer
    assert b"Retry-After:" in answer
    # Another address is served meanwhile; so is this one once a connection of it is closed.
    assert get(server).status == 200
    held.pop().close()
    assert wait_until(lambda: get(server, source=OTHER_ADDRESS).status == 200, timeout=5)
    for connection in held:
        connection.close()


def test_at_the_cap_a_newcomer_takes_the_place_of_an_idle_connection(start) -> None:
    """Silent connections cannot lock out the other laptops behind the same address: at the cap,
    the longest-idle connection of that address is closed and the newcomer served."""
    server = start(SINERGI_MAX_CONNECTIONS_PER_ADDRESS="5")
    silent = [raw_connection(server, OTHER_ADDRESS) for _ in range(5)]
    time.sleep(0.3)
    assert get(server, source=OTHER_ADDRESS).status == 200
    assert seconds_until_closed(silent[0], bound=2) is not None, "the longest-idle connection was kept"
    assert seconds_until_closed(silent[-1], bound=0.5) is None  # only as many as needed made room
    for connection in silent:
        connection.close()


# ---- Live sockets --------------------------------------------------------------------------------


def test_live_sockets_outlive_the_idle_timeout(start) -> None:
    """WebSocket and long-polling (ping every 4 s) stay connected for four idle timeouts and still
    answer; meanwhile an idle plain connection is closed."""
    server = start(SINERGI_IDLE_TIMEOUT="2", SINERGI_HEADER_TIMEOUT="2")
    websocket = LiveClient(server.url, "peserta.sambas", DEMO_PASSWORD)
    proposal_id = proposal_of(websocket)
    websocket.connect()
    polling = LiveClient(server.url, "kesbangpol.sambas", DEMO_PASSWORD)
    cookie = "; ".join(f"{c.name}={c.value}" for c in polling.http.cookies)
    polling.sio.connect(server.url, headers={"Cookie": cookie}, transports=["polling"], wait_timeout=10)
    cut: list[str] = []
    for client in (websocket, polling):
        client.sio.on("disconnect", lambda *_reason, name=client.username: cut.append(name))
        assert client.join(proposal_id)["ok"]
    idle = raw_connection(server)
    time.sleep(8)
    assert cut == []
    assert websocket.sio.transport() == "websocket" and polling.sio.transport() == "polling"
    for client in (websocket, polling):
        assert client.sio.connected and client.join(proposal_id)["ok"]
    assert seconds_until_closed(idle, bound=0.5) is not None, "the idle connection was not closed meanwhile"
    for client in (websocket, polling):
        client.disconnect()


# ---- One person, many sockets --------------------------------------------------------------------


def open_socket(client: LiveClient, refusals: list | None = None) -> socketio.Client:
    """Another socket (a tab) of a signed-in person; what a refused connect said goes to `refusals`."""
    extra = socketio.Client(reconnection=False)
    extra.on("connect_error", lambda data: (refusals if refusals is not None else []).append(data))
    cookie = "; ".join(f"{c.name}={c.value}" for c in client.http.cookies)
    extra.connect(client.base_url, headers={"Cookie": cookie}, transports=["websocket"], wait_timeout=10)
    return extra


def test_one_person_holds_a_bounded_number_of_sockets(start) -> None:
    server = start(SINERGI_SOCKETS_PER_USER="3")
    person = LiveClient(server.url, "proyektor", DEMO_PASSWORD)
    tabs = [open_socket(person) for _ in range(3)]  # several tabs are normal
    refusals: list = []
    with pytest.raises(socketio.exceptions.ConnectionError):
        open_socket(person, refusals)
    assert refusals == [{"message": "too_many_sockets"}]
    colleague = LiveClient(server.url, "peninjau", DEMO_PASSWORD)  # someone else is not held up
    colleague.connect()
    assert colleague.sio.connected
    tabs.pop().disconnect()  # a tab closed: room for another

    def reopened() -> bool:
        try:
            tabs.append(open_socket(person))
            return True
        except socketio.exceptions.ConnectionError:
            return False

    assert wait_until(reopened, timeout=5)
    for tab in tabs:
        tab.disconnect()
    colleague.disconnect()


def test_one_persons_events_share_one_budget_across_their_sockets(start) -> None:
    """8 sockets of one participant × 15 `proposal:join` at once: without a per-person budget the
    viewer would receive 120 presence lists (the list window is off here: one list per join)."""
    server = start(SINERGI_SOCKET_EVENT_RATE="5", SINERGI_SOCKET_EVENT_BURST="10", SINERGI_PRESENCE_WINDOW="0")
    viewer = LiveClient(server.url, "kesbangpol.sambas", DEMO_PASSWORD)
    proposal_id = proposal_of(viewer)
    viewer.connect()
    assert viewer.join(proposal_id)["ok"]
    flooder = LiveClient(server.url, "peserta.sambas", DEMO_PASSWORD)
    sockets = [open_socket(flooder) for _ in range(8)]
    time.sleep(0.5)
    lists_before = len(viewer.received("proposal:presence"))
    answers: list[str] = []
    lock = threading.Lock()

    def flood(client: socketio.Client) -> None:
        for _ in range(15):
            try:
                answer = client.call("proposal:join", {"proposal_id": proposal_id}, timeout=5)
                outcome = "ok" if answer.get("ok") else answer.get("error", "?")
            except Exception:  # cut for flooding on
                outcome = "cut"
            with lock:
                answers.append(outcome)

    started = time.monotonic()
    threads = [threading.Thread(target=flood, args=(client,)) for client in sockets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    elapsed = time.monotonic() - started
    time.sleep(0.5)  # the last lists arrive
    lists = len(viewer.received("proposal:presence")) - lists_before
    accepted, refused, cut = answers.count("ok"), answers.count("rate_limited"), answers.count("cut")
    bound = 10 + 5 * elapsed + 1
    print(
        f"\n8 sockets × 15 joins of one person in {elapsed:.1f} s: {accepted} accepted, {refused} rate_limited, "
        f"{cut} on sockets cut for flooding; the viewer received {lists} presence lists (bound {bound:.0f})"
    )
    assert len(answers) == 120 and accepted + refused + cut == 120
    assert accepted <= bound and refused > 0
    assert lists <= bound
    assert viewer.join(proposal_id)["ok"]  # the viewer's own budget is untouched
    for client in sockets:
        with contextlib.suppress(Exception):
            client.disconnect()
    viewer.disconnect()


# ---- What one Chromium holds ---------------------------------------------------------------------


def established(process_id: int, port: int) -> int:
    """The server's established TCP connections on its port (each one a client's connection)."""
    connections = psutil.Process(process_id).net_connections(kind="tcp")
    return sum(1 for c in connections if c.status == psutil.CONN_ESTABLISHED and c.laddr and c.laddr.port == port)


class ConnectionSampler:
    """Counts the server's client connections every 20 ms in the background; the peak and a trace."""

    def __init__(self, server: RunningServer) -> None:
        self.server = server
        self.peak = 0
        self.samples: list[int] = []
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stopped.is_set():
            count = established(self.server.process.pid, self.server.port)
            self.samples.append(count)
            self.peak = max(self.peak, count)
            time.sleep(0.02)

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join(5)


@pytest.mark.browser
def test_one_chromium_holds_few_connections_to_a_proposal_page(browser, browser_server: RunningServer) -> None:
    """Normal use of a proposal page, measured: sign in, open the proposal, edit two cells, write a
    comment (with a mention lookup), reload, go to the event home and back. The default per-address cap
    must fit 65 such browsers behind one hotel address. It also checks that Chromium opens the
    page's WebSocket under connect-src 'self' (no CSP violation, no fall-back to polling)."""
    from playwright.sync_api import expect

    from tests.e2e.test_browser_coediting import first_sub_item, open_editor, open_proposal

    sampler = ConnectionSampler(browser_server)
    websockets: list[str] = []
    problems: list[str] = []
    try:
        context, page = open_proposal(browser, browser_server, "peserta.sambas")
        page.on("websocket", lambda ws: websockets.append(ws.url))
        page.on("console", lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None)
        item = first_sub_item(page)
        _cell, editor = open_editor(page, item, "target")
        editor.locator("input[name=value]").fill("42")
        editor.get_by_role("button", name="Simpan").click()
        expect(page.locator(f"#item-{item}-target")).to_have_text("42", timeout=5000)
        _cell, editor = open_editor(page, item, "location")
        editor.locator("input[name=value]").fill("Sambas, Pemangkat")
        editor.get_by_role("button", name="Simpan").click()
        expect(page.locator(f"#item-{item}-location")).to_contain_text("Pemangkat", timeout=5000)
        page.get_by_role("button", name="Komentar baru").click()
        form = page.locator("form.comment-form")
        form.locator("textarea[name=body]").press_sequentially("Mohon cek target, @peninjau terima kasih.")
        form.get_by_role("button", name="Kirim").click()
        expect(page.locator(".thread").first).to_contain_text("Mohon cek target", timeout=5000)
        page.reload()
        page.locator("#connection-status[data-state=online]").wait_for(timeout=10_000)
        page.goto(browser_server.url + "/rakor/1")
        page.go_back()
        page.locator("#connection-status[data-state=online]").wait_for(timeout=10_000)
        time.sleep(2)  # settled: the page at rest with its socket
        at_rest = established(browser_server.process.pid, browser_server.port)
        transport = page.evaluate("window.sinergiSocket ? window.sinergiSocket.io.engine.transport.name : null")
        context.close()
    finally:
        sampler.stop()
    default_cap = int(connection_settings()["SINERGI_MAX_CONNECTIONS_PER_ADDRESS"])
    print(
        f"\none Chromium, normal use of a proposal page: at most {sampler.peak} connections to the server "
        f"({at_rest} at rest; 65 laptops × {sampler.peak} = {65 * sampler.peak}; default cap {default_cap}); "
        f"WebSockets opened: {len(websockets)}, transport {transport}; "
        f"samples by count: {dict(sorted(Counter(sampler.samples).items()))}"
    )
    assert sampler.peak >= 1
    assert 65 * sampler.peak <= default_cap, "the default per-address cap would lock a hotel out"
    assert websockets and all(url.startswith("ws://127.0.0.1") for url in websockets)
    assert problems == []
    requests.get(browser_server.url + "/masuk", timeout=10).raise_for_status()
