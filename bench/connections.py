"""Idle connections one server process holds: connected, signed-in Socket.IO clients, RSS per
client, handshake failures, and how many are still there after a quiet spell.

    .venv/bin/python bench/connections.py                 # 2,000 clients
    .venv/bin/python bench/connections.py --clients 3000 --hold 30 --json

The app runs under eventlet in its own process with `SINERGI_MAX_CONNECTIONS` (eventlet's default
is 1,024 simultaneous connections) and its file-descriptor limit raised to the hard limit; this
process raises its own too. Clients connect over WebSocket in batches of 100, each joins the event's
room (a page's usual first step) and then stays idle; the same is then done against the bare
python-socketio echo server for comparison. Loopback only; bounded by `--clients` and `--hold`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
import time
from typing import Any

from fanout import LeanSocket, ServerWatch, disconnect_all, echo_server, web_session
from support import machine_description, print_table, running_app, signed_in, sqlite_database

BATCH = 100


async def hold(
    url: str, watch: ServerWatch, count: int, headers: dict[str, str], join: tuple[str, Any], seconds: float
) -> dict[str, Any]:
    rss_before = watch.rss()
    clients: list[LeanSocket] = []
    failures: list[str] = []
    started = time.monotonic()
    session = web_session()
    cookie = headers.get("Cookie")

    async def one() -> None:
        client = LeanSocket()
        try:
            await client.connect(session, url, cookie)
            answer = await client.call(join[0], join[1])
            if not answer or not answer.get("ok"):
                failures.append(f"join refused: {answer}")
                await client.disconnect()
                return
            clients.append(client)
        except Exception as error:  # every failure is counted and reported
            failures.append(type(error).__name__)

    for start in range(0, count, BATCH):
        await asyncio.gather(*(one() for _ in range(start, min(count, start + BATCH))))
    connect_seconds = time.monotonic() - started
    await asyncio.sleep(2.0)
    rss_connected = watch.rss()
    await asyncio.sleep(seconds)
    still = sum(1 for client in clients if client.connected)
    await disconnect_all(clients, session)
    return {
        "target": count,
        "connected": len(clients),
        "handshake_failures": len(failures),
        "failure_kinds": sorted(set(failures))[:5],
        "still_connected_after_hold": still,
        "connect_seconds": round(connect_seconds, 1),
        "rss_before_mb": round(rss_before / 2**20, 1),
        "rss_connected_mb": round(rss_connected / 2**20, 1),
        "rss_per_client_kb": round((rss_connected - rss_before) / max(len(clients), 1) / 1024, 1),
    }


async def bench(options: argparse.Namespace) -> dict[str, Any]:
    results = []
    env = {"SINERGI_MAX_CONNECTIONS": str(options.max_connections)}
    with (
        sqlite_database(items_per_proposal=20, agencies=2) as (instance, url, event_id),
        running_app(instance, url, env) as server,
        echo_server() as (echo_process, echo_url),
    ):
        http = signed_in(server.url, "proyektor")
        cookie = "; ".join(f"{k}={v}" for k, v in http.cookies.items())
        app = await hold(
            server.url,
            ServerWatch(server.process.pid),
            options.clients,
            {"Cookie": cookie},
            ("event:join", {"event_id": event_id}),
            options.hold,
        )
        results.append({"server": "sinergi", **app})
        base = await hold(echo_url, ServerWatch(echo_process.pid), options.clients, {}, ("join", "bench"), options.hold)
        results.append({"server": "bare python-socketio", **base})
    return {
        "bench": "connections",
        "date": time.strftime("%Y-%m-%d"),
        "machine": machine_description(),
        "file_limit": resource.getrlimit(resource.RLIMIT_NOFILE),
        "max_connections": options.max_connections,
        "hold_seconds": options.hold,
        "results": results,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=2000)
    parser.add_argument("--hold", type=float, default=10.0, help="seconds to stay idle once connected")
    parser.add_argument("--max-connections", type=int, default=4096)
    parser.add_argument("--json", action="store_true")
    options = parser.parse_args()
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    report = asyncio.run(bench(options))
    if options.json:
        json.dump(report, sys.stdout, indent=2)
        print()
        return
    print(f"Sinergi connections bench, {report['date']}, {report['machine']}")
    print(f"file limit {report['file_limit']}, max connections {options.max_connections}, hold {options.hold:g} s")
    rows = [{k: v for k, v in row.items() if k != "failure_kinds"} for row in report["results"]]
    print_table(rows)
    for row in report["results"]:
        if row["failure_kinds"]:
            print(f"{row['server']}: failures {row['failure_kinds']}")


if __name__ == "__main__":
    main()
