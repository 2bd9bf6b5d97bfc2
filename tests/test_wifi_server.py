"""Hotel Wi-Fi, server half, on a real eventlet server: a stalled link (packets stop, nothing is
closed) is noticed by the client within 10 s and by the server within 15 s, when the person leaves
the presence of the other screens; a server refuses to start on a port another process listens on.

The stall is a TCP proxy in the test (127.0.0.1 only) that stops forwarding without closing either
side. The figures are printed (run with -s); the asserts are functional bounds (DESIGN.md §8).
"""

from __future__ import annotations

import contextlib
import select
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from engineio import packet as engineio_packet

from tests.live_clients import LiveClient, wait_until
from tests.servers import PROJECT_ROOT, RunningServer, start_server
from workspace.services.demo import DEMO_PASSWORD

pytestmark = pytest.mark.server

NOTICE_BOUND = 10.0  # the frozen client knows it is cut off within this (seconds)
PRESENCE_BOUND = 15.0  # the other screens no longer show the frozen person within this


class StallingProxy:
    """Forwards TCP between 127.0.0.1:<port> and the server until frozen; then forwards nothing
    more, in either direction, and closes nothing: what a stalled hotel access point does."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.frozen = threading.Event()
        self.stopped = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.connections: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        self.listener.settimeout(0.2)
        while not self.stopped.is_set():
            try:
                client, _address = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            self.connections += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        while not self.stopped.is_set():
            if self.frozen.is_set():  # read nothing more: the bytes wait in the kernel, unforwarded
                time.sleep(0.05)
                continue
            readable, _, _ = select.select([source], [], [], 0.05)
            if not readable or self.frozen.is_set():
                continue
            try:
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
            except OSError:
                break
        if not self.frozen.is_set():
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self.stopped.set()
        self.listener.close()
        for connection in self.connections:
            connection.close()


@pytest.fixture
def real_server(tmp_path: Path, live_database: str, server_async_mode: str) -> Iterator[RunningServer]:
    """The real app as `make run` serves it (eventlet, and gevent), with the default heartbeat."""
    instance = tmp_path / "instance"
    instance.mkdir()
    server = start_server(instance, live_database, {"SINERGI_ASYNC": server_async_mode})
    yield server
    server.stop()


def heartbeats(client: LiveClient) -> list[float]:
    """When the client receives each Engine.IO PING from now on (it answers each with a PONG)."""
    engine = client.sio.eio
    received = engine._receive_packet
    seen: list[float] = []

    def note(pkt: engineio_packet.Packet) -> None:
        if pkt.packet_type == engineio_packet.PING:
            seen.append(time.monotonic())
        received(pkt)

    engine._receive_packet = note
    return seen


def viewer_ids(client: LiveClient) -> set[int] | None:
    presence = client.received("proposal:presence")
    return {viewer["user_id"] for viewer in presence[-1]["viewers"]} if presence else None


def test_a_stalled_link_is_noticed_and_the_person_leaves_presence(real_server: RunningServer) -> None:
    proxy = StallingProxy(real_server.port)
    try:
        watcher = LiveClient(real_server.url, "kesbangpol.sambas", DEMO_PASSWORD)
        proposal_id = int(watcher.get("/rakor/1").split('href="/usulan/')[1].split('"')[0])
        watcher.connect()
        assert watcher.join(proposal_id)["ok"]

        frozen = LiveClient(proxy.url, "peserta.sambas", DEMO_PASSWORD)  # HTTP and socket through the proxy
        frozen_id = int(frozen.get("/").split('data-user-id="')[1].split('"')[0])
        cut_off = threading.Event()
        frozen.sio.on("disconnect", lambda *_reason: cut_off.set())
        frozen.connect()
        assert frozen.join(proposal_id)["ok"]
        assert wait_until(lambda: frozen_id in (viewer_ids(watcher) or set()))
        # The worst moment: just after a heartbeat went through (its PONG forwarded), so that both
        # ends wait a whole interval before they even miss one.
        pings = heartbeats(frozen)
        assert wait_until(lambda: len(pings) >= 1, timeout=10), "no heartbeat"
        time.sleep(0.2)

        stalled_at = time.monotonic()
        proxy.frozen.set()
        left_presence = noticed = None
        while time.monotonic() - stalled_at < PRESENCE_BOUND + 5 and (left_presence is None or noticed is None):
            if noticed is None and cut_off.is_set():
                noticed = time.monotonic() - stalled_at
            if left_presence is None and frozen_id not in (viewer_ids(watcher) or {frozen_id}):
                left_presence = time.monotonic() - stalled_at
            time.sleep(0.05)

        def seconds(value: float | None) -> str:
            return "never" if value is None else f"{value:.1f} s"

        print(
            f"\n{real_server.env['SINERGI_ASYNC']}, stalled link: the frozen client noticed after {seconds(noticed)}; "
            f"the other screen dropped the person from presence after {seconds(left_presence)} "
            "(ping interval 4 s, ping timeout 5 s)"
        )
        assert noticed is not None and noticed < NOTICE_BOUND, "python-socketio's client missed the stall"
        assert left_presence is not None and left_presence < PRESENCE_BOUND, watcher.received("proposal:presence")[-1]
        watcher.disconnect()
    finally:
        proxy.close()


def test_the_heartbeat_is_the_configured_one(real_server: RunningServer) -> None:
    """What the browser is told in the Engine.IO handshake (it times out on pingInterval + pingTimeout)."""
    watcher = LiveClient(real_server.url, "kesbangpol.sambas", DEMO_PASSWORD)
    handshake = watcher.http.get(f"{real_server.url}/socket.io/?EIO=4&transport=polling", timeout=10).text
    assert '"pingInterval":4000' in handshake and '"pingTimeout":5000' in handshake


def test_a_port_in_use_is_refused_at_once(real_server: RunningServer, tmp_path: Path) -> None:
    """eventlet listens with SO_REUSEPORT: without the check a second server would silently share
    the port with the first. It exits at once instead, naming the port and SINERGI_PORT."""
    started = time.monotonic()
    second = subprocess.run(
        [sys.executable, "app.py"],
        cwd=PROJECT_ROOT,
        env={**real_server.env, "SINERGI_INSTANCE_PATH": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    took = time.monotonic() - started
    mode = real_server.env["SINERGI_ASYNC"]
    print(f"\n{mode}, a second server on the taken port: exit {second.returncode} after {took:.1f} s")
    print(second.stderr.strip())
    assert second.returncode != 0
    assert f"port {real_server.port}" in second.stderr and "SINERGI_PORT" in second.stderr
    assert "Address already in use" in second.stderr
    assert "Sinergi: http://" not in second.stdout  # it never started serving
    assert real_server.process.poll() is None  # the first one still serves
