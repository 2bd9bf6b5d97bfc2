"""Pages under load: requests per second and latency of the proposal page with 300 items, the
event home and the synchronisation matrix of 15 agencies × 200 items.

    .venv/bin/python bench/pages.py                       # 8 connections, 10 s per page
    .venv/bin/python bench/pages.py --concurrency 16 --seconds 20 --json

The app runs under eventlet in its own process on a SQLite copy of the demo rakor grown to
15 agencies × 200 items (the province's proposal to 300). The load generator is `wrk` (Debian's
package; C, so the generator is not what is measured) when installed, else this process:
`--concurrency` threads, each with its own signed-in keep-alive session. Either requests one page
as fast as answers come for `--seconds` after a 2-second warm-up, with `--concurrency` connections.
Printed per page: requests, requests per second, client latency p50 / p99, and the server's own
time (Server-Timing) median / p99 (from 50 sequential requests when wrk drives the load).
Loopback only, bounded in time.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import threading
import time
from typing import Any

from support import (
    TIMING,
    Timings,
    build_database,
    machine_description,
    print_table,
    running_app,
    signed_in,
    sqlite_database,
    time_requests,
)


def load(url: str, sessions: list, seconds: float, warmup: float = 2.0) -> dict[str, Any]:
    client_ms: list[float] = []
    server_ms: list[float] = []
    errors = 0
    lock = threading.Lock()
    start_measuring = time.monotonic() + warmup
    stop = start_measuring + seconds

    def worker(http) -> None:
        nonlocal errors
        while True:
            started = time.monotonic()
            if started >= stop:
                return
            response = http.get(url, timeout=30)
            elapsed = (time.monotonic() - started) * 1000
            if started < start_measuring:
                continue
            with lock:
                if response.status_code != 200:
                    errors += 1
                    continue
                client_ms.append(elapsed)
                match = TIMING.search(response.headers.get("Server-Timing", ""))
                if match:
                    server_ms.append(float(match.group(1)))

    threads = [threading.Thread(target=worker, args=(http,)) for http in sessions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {
        "requests": len(client_ms),
        "errors": errors,
        "requests_per_s": round(len(client_ms) / seconds, 1),
        "client_p50_ms": round(Timings.percentile(client_ms, 0.5), 1),
        "client_p99_ms": round(Timings.percentile(client_ms, 0.99), 1),
        "server_median_ms": round(Timings.percentile(server_ms, 0.5), 1),
        "server_p99_ms": round(Timings.percentile(server_ms, 0.99), 1),
    }


def wrk_load(url: str, cookie: str, concurrency: int, seconds: float) -> dict[str, Any]:
    """Drive the page with wrk; its latency percentiles are the client's."""
    subprocess.run(
        ["wrk", "-t1", f"-c{concurrency}", "-d2s", "-H", f"Cookie: {cookie}", url], capture_output=True, check=True
    )  # warm-up
    output = subprocess.run(
        ["wrk", "-t1", f"-c{concurrency}", f"-d{seconds:g}s", "--latency", "-H", f"Cookie: {cookie}", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    def milliseconds(label: str) -> float:
        match = re.search(rf"^\s*{label}%\s+([0-9.]+)(us|ms|s)\s*$", output, re.M)
        if not match:
            return float("nan")
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    requests_done = int(re.search(r"(\d+) requests in", output).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "requests": requests_done,
        "errors": int(non_2xx.group(1)) if non_2xx else 0,
        "requests_per_s": float(re.search(r"Requests/sec:\s+([0-9.]+)", output).group(1)),
        "client_p50_ms": round(milliseconds("50"), 1),
        "client_p99_ms": round(milliseconds("99"), 1),
    }


def server_time(http, url: str, runs: int = 50) -> dict[str, float]:
    timings = time_requests(http, url, "server", runs)
    return {
        "server_median_ms": round(Timings.percentile(timings.server_ms, 0.5), 1),
        "server_p99_ms": round(Timings.percentile(timings.server_ms, 0.99), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--generator", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--json", action="store_true")
    options = parser.parse_args()
    generator = options.generator
    if generator == "auto":
        generator = "wrk" if shutil.which("wrk") else "python"
    rows = []
    with sqlite_database(items_per_proposal=200, agencies=15) as (instance, url, event_id):
        build_database(url, instance, items_per_proposal=300, agencies=1)  # the province's proposal: 300 items
        with running_app(instance, url) as server:
            sessions = [signed_in(server.url, "fasilitator") for _ in range(options.concurrency)]
            listing = sessions[0].get(f"{server.url}/rakor/{event_id}/usulan", timeout=30).text
            proposal_id = int(re.search(r'href="/usulan/(\d+)"', listing).group(1))
            tree = sessions[0].get(f"{server.url}/usulan/{proposal_id}", timeout=30).text
            items = tree.count('<tr class="item ')
            pages = [
                (f"proposal page ({items} items)", f"{server.url}/usulan/{proposal_id}"),
                ("event home", f"{server.url}/rakor/{event_id}"),
                ("matrix (15 agencies x 200 items)", f"{server.url}/rakor/{event_id}/matriks"),
            ]
            cookie = "; ".join(f"{k}={v}" for k, v in sessions[0].cookies.items())
            for label, address in pages:
                if generator == "wrk":
                    figures = {
                        **wrk_load(address, cookie, options.concurrency, options.seconds),
                        **server_time(sessions[0], address),
                    }
                else:
                    figures = load(address, sessions, options.seconds)
                rows.append({"page": label, **figures})
    report = {
        "bench": "pages",
        "date": time.strftime("%Y-%m-%d"),
        "machine": machine_description(),
        "concurrency": options.concurrency,
        "load_generator": generator,
        "seconds_per_page": options.seconds,
        "results": rows,
    }
    if options.json:
        json.dump(report, sys.stdout, indent=2)
        print()
        return
    print(f"Sinergi pages bench, {report['date']}, {report['machine']}")
    print(f"SQLite, eventlet, {options.concurrency} connections, {options.seconds:g} s per page, load from {generator}")
    print_table(rows)


if __name__ == "__main__":
    main()
