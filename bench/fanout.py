"""Live fan-out: how long an edit takes to reach every client of a proposal, against the bare
python-socketio baseline on the same machine.

    .venv/bin/python bench/fanout.py                      # 65 clients at 5 edits/s, 500 at 10 edits/s
    .venv/bin/python bench/fanout.py --runs 65@5 200@10 --seconds 15 --json
    .venv/bin/python bench/fanout.py --database-url postgresql://postgres@127.0.0.1/test \\
                                     --redis-url redis://127.0.0.1:6379/0
    .venv/bin/python bench/fanout.py --runs 500@10 --database-url postgresql://postgres@127.0.0.1/test \\
                                     --redis-url redis://127.0.0.1:6379/0 --edits-via-second-process

For each N@rate: N real Socket.IO clients (one asyncio process, WebSocket transport, signed in,
joined to one proposal's room) connect to the real app (eventlet, its own process); an editor
changes fields through the app's real HTTP edit path at `rate` edits a second, each value carrying
its send time; every client notes when the change reaches it. Then the same N clients join a room
of a bare python-socketio echo server (eventlet, no Flask, no database; `echo_server.py`) and a
sender emits the same number of messages of the app's broadcast size at the same rate.

Printed per run: edits sent, deliveries expected and received (lost and duplicated), latency
p50 / p95 / p99 for the app and the baseline and their ratio, the server's CPU seconds and peak
RSS during the run, RSS per connected client, and how long the N clients took to join the room
at once (every join answered). With `--edits-via-second-process` (needs `--redis-url`) a second app
process shares the database and the Redis message queue: the clients stay on the first, the edits
go through the second, so every delivery crosses processes. Bounded: every run lasts `--seconds` plus a
two-second drain, and everything talks to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import psutil
from support import (
    PROJECT_ROOT,
    machine_description,
    print_table,
    running_app,
    signed_in,
    sqlite_database,
)

from tests.live_clients import cell_values
from tests.servers import free_port

CONNECT_BATCH = 50


@dataclass
class Delivery:
    latencies_ms: list[float] = field(default_factory=list)
    seen: set[tuple[int, int]] = field(default_factory=set)
    duplicates: int = 0
    payload_bytes: list[int] = field(default_factory=list)

    def note(self, client: int, sequence: int, sent_ns: int) -> None:
        key = (client, sequence)
        if key in self.seen:
            self.duplicates += 1
            return
        self.seen.add(key)
        self.latencies_ms.append((time.time_ns() - sent_ns) / 1e6)


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


class ServerWatch:
    """CPU seconds and peak RSS of a server process while a run lasts (sampled every 50 ms)."""

    def __init__(self, pid: int) -> None:
        self.process = psutil.Process(pid)
        self.peak = 0
        self._stop = threading.Event()

    def rss(self) -> int:
        return self.process.memory_info().rss

    def cpu(self) -> float:
        times = self.process.cpu_times()
        return times.user + times.system

    @contextmanager
    def watching(self):  # type: ignore[no-untyped-def]
        self.peak = self.rss()
        self._stop.clear()
        start_cpu = self.cpu()
        sampler = threading.Thread(target=self._sample, daemon=True)
        sampler.start()
        result: dict[str, float] = {}
        try:
            yield result
        finally:
            self._stop.set()
            sampler.join()
            result["cpu_s"] = self.cpu() - start_cpu
            result["peak_rss_mb"] = self.peak / 2**20

    def _sample(self) -> None:
        while not self._stop.wait(0.05):
            self.peak = max(self.peak, self.rss())


def web_session() -> aiohttp.ClientSession:
    """One HTTP session for many sockets: no cap on connections, and cookies kept for 127.0.0.1."""
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0), cookie_jar=aiohttp.CookieJar(unsafe=True))


class LeanSocket:
    """A Socket.IO v5 client over one WebSocket (Engine.IO v4), as lean as a client can be.

    The load generator must not be the bottleneck: python-socketio's client decodes every
    message's JSON, which for 500 clients × 10 broadcasts a second of 9 KB each costs more CPU than
    the server spends. This client hands each raw frame to `on_frame`, which reads the few numbers it
    needs with a regular expression; acknowledgements and pings are handled here. The same client
    is used for the app and for the baseline, so both are measured the same way.
    """

    def __init__(self, on_frame: Callable[[str], None] | None = None) -> None:
        self.on_frame = on_frame
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self._acks: dict[int, asyncio.Future] = {}
        self._next_ack = 0
        self._reader: asyncio.Task | None = None

    @property
    def connected(self) -> bool:
        return self.ws is not None and not self.ws.closed

    async def connect(self, session: aiohttp.ClientSession, base_url: str, cookie: str | None = None) -> None:
        url = base_url.replace("http://", "ws://", 1) + "/socket.io/?EIO=4&transport=websocket"
        headers = {"Cookie": cookie} if cookie else None
        self.ws = await session.ws_connect(url, headers=headers, max_msg_size=0, autoping=True)
        opening = await self.ws.receive_str(timeout=20)
        if not opening.startswith("0"):
            raise ConnectionError(f"no Engine.IO open packet: {opening[:80]}")
        await self.ws.send_str("40")
        answer = await self.ws.receive_str(timeout=20)
        while answer.startswith("42"):  # an event the connect handler sent (the unread count) first
            answer = await self.ws.receive_str(timeout=20)
        if not answer.startswith("40"):
            await self.ws.close()
            raise ConnectionError(f"refused: {answer[:120]}")
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.ws is not None
        async for message in self.ws:
            if message.type is not aiohttp.WSMsgType.TEXT:
                continue
            text = message.data
            if text == "2":  # Engine.IO ping
                await self.ws.send_str("3")
            elif text.startswith("43"):  # acknowledgement: 43<id>[...]
                bracket = text.index("[")
                future = self._acks.pop(int(text[2:bracket]), None)
                if future is not None and not future.done():
                    future.set_result(json.loads(text[bracket:])[0] if len(text) > bracket + 2 else None)
            elif text.startswith("42") and self.on_frame is not None:
                self.on_frame(text)

    async def call(self, event: str, data: Any, timeout: float = 30) -> Any:
        assert self.ws is not None
        self._next_ack += 1
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        self._acks[self._next_ack] = future
        await self.ws.send_str(f"42{self._next_ack}" + json.dumps([event, data]))
        return await asyncio.wait_for(future, timeout)

    async def emit(self, event: str, data: Any) -> None:
        assert self.ws is not None
        await self.ws.send_str("42" + json.dumps([event, data]))

    async def disconnect(self) -> None:
        if self.ws is not None and not self.ws.closed:
            await self.ws.close()
        if self._reader is not None:
            self._reader.cancel()


async def connect_many(
    url: str, count: int, cookie: str | None, on_frame_for: Callable[[int], Callable[[str], None]] | None
) -> tuple[list[LeanSocket], aiohttp.ClientSession]:
    """`count` clients, connected in batches (the listen backlog is finite)."""
    session = web_session()
    clients: list[LeanSocket] = []

    async def one(index: int) -> None:
        client = LeanSocket(on_frame_for(index) if on_frame_for else None)
        await client.connect(session, url, cookie)
        clients.append(client)

    for start in range(0, count, CONNECT_BATCH):
        await asyncio.gather(*(one(i) for i in range(start, min(count, start + CONNECT_BATCH))))
    return clients, session


async def disconnect_all(clients: list[LeanSocket], session: aiohttp.ClientSession) -> None:
    await asyncio.gather(*(client.disconnect() for client in clients), return_exceptions=True)
    await session.close()


CHANGED_CELL = re.compile(r'"item_ids": ?\[(\d+)\], ?"field": ?"(\w+)"')
ECHO_STAMP = re.compile(r'"seq": ?(\d+), ?"ts": ?(\d+)')


async def app_run(
    server_url: str,
    watch: ServerWatch,
    clients_count: int,
    rate: float,
    seconds: float,
    viewer_cookie: str,
    editor: dict[str, Any],
    edit_url: str | None = None,
) -> dict[str, Any]:
    delivery = Delivery()
    edit_url = edit_url or server_url
    proposal_id = editor["proposal_id"]

    def on_frame_for(index: int) -> Callable[[str], None]:
        def on_frame(text: str) -> None:
            if not text.startswith('42["proposal:changed"'):
                return
            # The changed cell, named by the broadcast itself (a row holds other bench values too).
            change = CHANGED_CELL.search(text)
            if change is None:
                return
            item, field_name = change.groups()
            cell = re.search(rf'id=\\"item-{item}-{field_name}\\"[^>]*?data-value=\\"bench (\d+) (\d+)\\"', text)
            if cell:
                delivery.note(index, int(cell.group(1)), int(cell.group(2)))
                if index == 0:
                    delivery.payload_bytes.append(len(text))

        return on_frame

    rss_before = watch.rss()
    clients, session = await connect_many(server_url, clients_count, viewer_cookie, on_frame_for)
    joins = (c.call("proposal:join", {"proposal_id": proposal_id}, timeout=180) for c in clients)
    join_started = time.monotonic()
    answers = await asyncio.gather(*joins)
    join_seconds = time.monotonic() - join_started
    assert all(a and a.get("ok") for a in answers), answers[:3]
    await asyncio.sleep(1.0)
    rss_connected = watch.rss()

    sent = failed = 0
    answered_ms: list[float] = []
    me = psutil.Process()
    client_cpu_start = sum(me.cpu_times()[:2])
    bases = dict(editor["bases"])
    cells = list(bases)
    async with aiohttp.ClientSession(cookies=editor["cookies"], cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        with watch.watching() as usage:
            started = time.monotonic()
            tasks = []
            sequence = 0
            while time.monotonic() - started < seconds:
                item, field_name = cells[sequence % len(cells)]
                value = f"bench {sequence} {time.time_ns()}"
                base = bases[(item, field_name)]
                bases[(item, field_name)] = value

                async def post(
                    item: int = item, field_name: str = field_name, value: str = value, base: str = base
                ) -> int:
                    request_started = time.monotonic()
                    async with http.post(
                        f"{edit_url}/usulan/butir/{item}/ubah/{field_name}",
                        data={"value": value, "base": base},
                        headers={"HX-Request": "true", "X-CSRFToken": editor["csrf"]},
                    ) as response:
                        await response.read()
                        answered_ms.append((time.monotonic() - request_started) * 1000)
                        return response.status

                tasks.append(asyncio.create_task(post()))
                sequence += 1
                await asyncio.sleep(max(0.0, started + sequence / rate - time.monotonic()))
            statuses = await asyncio.gather(*tasks)
            sent = sum(1 for s in statuses if s == 200)
            failed = len(statuses) - sent
            await asyncio.sleep(2.0)
    client_cpu = sum(me.cpu_times()[:2]) - client_cpu_start
    await disconnect_all(clients, session)
    return {
        "join_s": join_seconds,
        "client_cpu_s": client_cpu,
        "http_p99_ms": percentile(answered_ms, 0.99),
        "http_p50_ms": percentile(answered_ms, 0.5),
        "sent": sent,
        "failed_requests": failed,
        "delivery": delivery,
        "usage": usage,
        "rss_per_client_kb": (rss_connected - rss_before) / max(clients_count, 1) / 1024,
        "payload_bytes": int(statistics.median(delivery.payload_bytes)) if delivery.payload_bytes else 0,
    }


async def baseline_run(
    echo_url: str, watch: ServerWatch, clients_count: int, rate: float, seconds: float, payload_bytes: int
) -> dict[str, Any]:
    delivery = Delivery()

    def on_frame_for(index: int) -> Callable[[str], None]:
        def on_frame(text: str) -> None:
            stamp = ECHO_STAMP.search(text)
            if stamp:
                delivery.note(index, int(stamp.group(1)), int(stamp.group(2)))

        return on_frame

    rss_before = watch.rss()
    clients, session = await connect_many(echo_url, clients_count, None, on_frame_for)
    await asyncio.gather(*(c.call("join", "bench") for c in clients))
    await asyncio.sleep(1.0)
    rss_connected = watch.rss()
    sender = LeanSocket()
    await sender.connect(session, echo_url)
    padding = "x" * max(0, payload_bytes - 60)
    with watch.watching() as usage:
        started = time.monotonic()
        sequence = 0
        while time.monotonic() - started < seconds:
            await sender.emit("echo", {"room": "bench", "seq": sequence, "ts": time.time_ns(), "pad": padding})
            sequence += 1
            await asyncio.sleep(max(0.0, started + sequence / rate - time.monotonic()))
        await asyncio.sleep(2.0)
    await disconnect_all([*clients, sender], session)
    return {
        "sent": sequence,
        "delivery": delivery,
        "usage": usage,
        "rss_per_client_kb": (rss_connected - rss_before) / max(clients_count, 1) / 1024,
    }


def editor_session(server_url: str) -> dict[str, Any]:
    http = signed_in(server_url, "peserta.sambas")
    home = http.get(f"{server_url}/rakor/1", timeout=30).text
    proposal_id = int(home.split('href="/usulan/')[1].split('"')[0])
    tree = http.get(f"{server_url}/usulan/{proposal_id}/pohon", headers={"HX-Request": "true"}, timeout=30).text
    values = cell_values(tree)
    bases = {cell: value for cell, value in values.items() if cell[1] in ("location", "indicator", "funding_source")}
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', http.get(f"{server_url}/", timeout=30).text).group(1)
    return {"proposal_id": proposal_id, "bases": bases, "csrf": csrf, "cookies": dict(http.cookies)}


def summarise(n: int, rate: float, app: dict[str, Any], base: dict[str, Any]) -> dict[str, Any]:
    app_latency, base_latency = app["delivery"].latencies_ms, base["delivery"].latencies_ms
    expected_app, expected_base = n * app["sent"], n * base["sent"]
    app_p99, base_p99 = percentile(app_latency, 0.99), percentile(base_latency, 0.99)
    return {
        "clients": n,
        "rate_per_s": rate,
        "edits_sent": app["sent"],
        "failed_requests": app["failed_requests"],
        "expected": expected_app,
        "received": len(app["delivery"].seen),
        "lost": expected_app - len(app["delivery"].seen),
        "duplicated": app["delivery"].duplicates,
        "app_p50_ms": round(percentile(app_latency, 0.5), 1),
        "app_p95_ms": round(percentile(app_latency, 0.95), 1),
        "app_p99_ms": round(app_p99, 1),
        "base_p50_ms": round(percentile(base_latency, 0.5), 1),
        "base_p95_ms": round(percentile(base_latency, 0.95), 1),
        "base_p99_ms": round(base_p99, 1),
        "p99_ratio": round(app_p99 / base_p99, 2) if base_p99 else float("nan"),
        "base_lost": expected_base - len(base["delivery"].seen),
        "base_duplicated": base["delivery"].duplicates,
        "app_cpu_s": round(app["usage"]["cpu_s"], 2),
        "app_peak_rss_mb": round(app["usage"]["peak_rss_mb"], 1),
        "app_rss_per_client_kb": round(app["rss_per_client_kb"], 1),
        "base_cpu_s": round(base["usage"]["cpu_s"], 2),
        "base_rss_per_client_kb": round(base["rss_per_client_kb"], 1),
        "payload_bytes": app["payload_bytes"],
        "all_joined_s": round(app["join_s"], 2),
        "edit_http_p50_ms": round(app["http_p50_ms"], 1),
        "edit_http_p99_ms": round(app["http_p99_ms"], 1),
        "load_generator_cpu_s": round(app["client_cpu_s"], 2),
    }


@contextmanager
def echo_server():  # type: ignore[no-untyped-def]
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("echo_server.py")), str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        cwd=PROJECT_ROOT,
    )
    assert process.stdout is not None
    process.stdout.readline()  # "echo server on PORT"
    try:
        yield process, f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextmanager
def database(options: argparse.Namespace):  # type: ignore[no-untyped-def]
    if not options.database_url:
        with sqlite_database(items_per_proposal=40, agencies=15) as (instance, url, _event_id):
            yield instance, url
        return
    import tempfile
    import uuid

    import sqlalchemy as sa
    from support import build_database

    from workspace.config import normalise_database_url

    admin = sa.create_engine(normalise_database_url(options.database_url), isolation_level="AUTOCOMMIT")
    name = f"sinergi_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = normalise_database_url(options.database_url).rsplit("/", 1)[0] + f"/{name}"
    try:
        with tempfile.TemporaryDirectory(prefix="sinergi-bench-") as folder:
            build_database(url, Path(folder), items_per_proposal=40, agencies=15)
            yield Path(folder), url
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


async def bench(options: argparse.Namespace) -> dict[str, Any]:
    runs = []
    env = {"SINERGI_SOCKET_EVENT_RATE": "1000", "SINERGI_SOCKET_EVENT_BURST": "1000"}
    if options.redis_url:
        env["SOCKETIO_MESSAGE_QUEUE"] = options.redis_url
    if options.edits_via_second_process and not options.redis_url:
        raise SystemExit("--edits-via-second-process needs --redis-url (the processes share the message queue)")
    with (
        database(options) as (instance, url),
        running_app(instance, url, env) as server,
        (running_app(instance, url, env) if options.edits_via_second_process else nullcontext(server)) as editing,
        echo_server() as (echo_process, echo_url),
    ):
        viewer = signed_in(server.url, "proyektor")
        viewer_cookie = "; ".join(f"{k}={v}" for k, v in viewer.cookies.items())
        editor = editor_session(editing.url)
        app_watch, echo_watch = ServerWatch(server.process.pid), ServerWatch(echo_process.pid)
        for spec in options.runs:
            n_text, rate_text = spec.split("@")
            n, rate = int(n_text), float(rate_text)
            app = await app_run(server.url, app_watch, n, rate, options.seconds, viewer_cookie, editor, editing.url)
            editor = editor_session(editing.url)  # fresh bases
            base = await baseline_run(echo_url, echo_watch, n, rate, options.seconds, app["payload_bytes"] or 2000)
            runs.append(summarise(n, rate, app, base))
    return {
        "bench": "fanout",
        "date": time.strftime("%Y-%m-%d"),
        "machine": machine_description(),
        "database": "postgresql" if options.database_url else "sqlite",
        "message_queue": "redis" if options.redis_url else "none",
        "edits_via": "second process" if options.edits_via_second_process else "the clients' process",
        "seconds_per_run": options.seconds,
        "results": runs,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", nargs="+", default=["65@5", "500@10"], help="CLIENTS@EDITS_PER_SECOND")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--database-url")
    parser.add_argument("--redis-url")
    parser.add_argument("--edits-via-second-process", action="store_true")
    parser.add_argument("--json", action="store_true")
    options = parser.parse_args()
    import resource

    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    report = asyncio.run(bench(options))
    if options.json:
        json.dump(report, sys.stdout, indent=2)
        print()
        return
    print(f"Sinergi fan-out bench, {report['date']}, {report['machine']}")
    print(f"database {report['database']}, message queue {report['message_queue']}, {options.seconds:g} s per run")
    print_table(report["results"])


if __name__ == "__main__":
    main()
