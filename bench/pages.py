"""Pages under load: requests per second, latency and bytes on the wire of the proposal page with
300 items, the event home and the synchronisation matrix of 15 agencies × 200 items, with the
app's compression off and on.

    .venv/bin/python bench/pages.py                       # modes off,on; 8 connections, 10 s per page
    .venv/bin/python bench/pages.py --modes off,on,br,gzip --rounds 3 --concurrency 16 --seconds 20 --json

The app runs under eventlet in its own process on a SQLite copy of the demo rakor grown to
15 agencies × 200 items (the province's proposal to 300). The load generator is `wrk` (Debian's
package; C, so the generator is not what is measured) when installed, else this process:
`--concurrency` threads, each with its own signed-in keep-alive session. Either requests one page
as fast as answers come for `--seconds` after a 2-second warm-up, with `--concurrency` connections.

Modes (`--modes`): `off` is the app with SINERGI_COMPRESS=0 (the "before": every answer as it is),
asked with a browser's Accept-Encoding; `on` the app as shipped, asked with a browser's
Accept-Encoding (`gzip, deflate, br, zstd`, Chromium's); `br` and `gzip` the app as shipped, asked
with that coding only (`br` shows what brotli over the whole proposal page costs per request).
The servers of both settings run at once and the modes take turns, page by page, `--rounds` times
(the best round is kept): on a shared machine a busy spell then falls on every mode alike.

Printed: the bytes of each page's body on the wire (identity, gzip, br, and what a browser gets),
then per mode and page: requests, requests per second, client latency p50 / p99, and the server's
own time (Server-Timing, compression included) min / median / p99 and the compression's own share
(its `compress` entry), from 60 sequential requests per page in which the modes take turns one
request at a time (the minimum is the steadiest figure on a busy machine). Loopback only, bounded
in time.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass
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
)

COMPRESS_TIMING = re.compile(r"compress;dur=([0-9.]+)")  # the app's compression, within app;dur
BROWSER_ACCEPT = "gzip, deflate, br, zstd"  # what Chromium sends
MODES = {  # mode → (the app's SINERGI_COMPRESS, the Accept-Encoding asked with)
    "off": ("0", BROWSER_ACCEPT),
    "on": ("1", BROWSER_ACCEPT),
    "br": ("1", "br"),
    "gzip": ("1", "gzip"),
}


def load(url: str, sessions: list, seconds: float, accept: str, warmup: float = 2.0) -> dict[str, Any]:
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
            response = http.get(url, timeout=30, headers={"Accept-Encoding": accept})
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


def wrk_load(url: str, cookie: str, concurrency: int, seconds: float, accept: str) -> dict[str, Any]:
    """Drive the page with wrk; its latency percentiles are the client's."""
    headers = ["-H", f"Cookie: {cookie}", "-H", f"Accept-Encoding: {accept}"]
    warm_up = ["wrk", "-t1", f"-c{concurrency}", "-d2s", *headers, url]
    subprocess.run(warm_up, capture_output=True, check=True)
    output = subprocess.run(
        ["wrk", "-t1", f"-c{concurrency}", f"-d{seconds:g}s", "--latency", *headers, url],
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


def server_times(targets: dict[str, Target], page: int, modes: list[str], runs: int = 60) -> dict[str, dict]:
    """The server's own time of one page per mode, from sequential requests in which the modes take
    turns one request at a time (a slower spell of the machine falls on all of them alike)."""
    samples: dict[str, tuple[list[float], list[float]]] = {mode: ([], []) for mode in modes}
    for attempt in range(runs + 5):
        for mode in modes:
            target = targets[MODES[mode][0]]
            answer = target.sessions[0].get(
                target.pages[page][1], headers={"Accept-Encoding": MODES[mode][1]}, timeout=60
            )
            if answer.status_code != 200:
                raise RuntimeError(f"{target.pages[page][1]}: {answer.status_code}")
            if attempt < 5:
                continue  # warm-up
            timing = answer.headers.get("Server-Timing", "")
            compressing = COMPRESS_TIMING.search(timing)
            samples[mode][0].append(float(TIMING.search(timing).group(1)))
            samples[mode][1].append(float(compressing.group(1)) if compressing else 0.0)
    return {
        mode: {
            "compress_median_ms": round(Timings.percentile(compress_ms, 0.5), 2),
            "server_min_ms": round(min(server_ms), 1),
            "server_median_ms": round(Timings.percentile(server_ms, 0.5), 1),
            "server_p99_ms": round(Timings.percentile(server_ms, 0.99), 1),
        }
        for mode, (server_ms, compress_ms) in samples.items()
    }


def wire_bytes(http, pages: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """Each page's body as it comes over the wire (not decoded), per Accept-Encoding."""
    rows = []
    for label, address in pages:
        row: dict[str, Any] = {"page": label}
        for name, accept in (("identity", None), ("gzip", "gzip"), ("br", "br"), ("browser", BROWSER_ACCEPT)):
            response = http.get(address, headers={"Accept-Encoding": accept}, stream=True, timeout=60)
            body = response.raw.read(decode_content=False)
            row[f"{name}_bytes"] = len(body)
            if name == "browser":
                row["browser_gets"] = response.headers.get("Content-Encoding", "identity")
        row["br_ratio"] = round(row["identity_bytes"] / row["br_bytes"], 1)
        rows.append(row)
    return rows


def discover(server_url: str, http, event_id: int) -> list[tuple[str, str]]:
    listing = http.get(f"{server_url}/rakor/{event_id}/usulan", timeout=30).text
    proposal_id = int(re.search(r'href="/usulan/(\d+)"', listing).group(1))
    tree = http.get(f"{server_url}/usulan/{proposal_id}", timeout=30).text
    items = tree.count('<tr class="item ')
    return [
        (f"proposal page ({items} items)", f"{server_url}/usulan/{proposal_id}"),
        ("event home", f"{server_url}/rakor/{event_id}"),
        ("matrix (15 agencies x 200 items)", f"{server_url}/rakor/{event_id}/matriks"),
    ]


@dataclass
class Target:
    """One running server (one setting of SINERGI_COMPRESS): its signed-in sessions and pages."""

    sessions: list
    pages: list[tuple[str, str]]
    cookie: str


def target(server, event_id: int, concurrency: int) -> Target:
    sessions = [signed_in(server.url, "fasilitator") for _ in range(concurrency)]
    cookie = "; ".join(f"{k}={v}" for k, v in sessions[0].cookies.items())
    return Target(sessions, discover(server.url, sessions[0], event_id), cookie)


def figures_of(target: Target, page: int, mode: str, options, generator: str) -> dict[str, Any]:
    address = target.pages[page][1]
    accept = MODES[mode][1]
    if generator == "wrk":
        return wrk_load(address, target.cookie, options.concurrency, options.seconds, accept)
    return load(address, target.sessions, options.seconds, accept)


def measure(targets: dict[str, Target], options, generator: str, modes: list[str]) -> list[dict[str, Any]]:
    """Each page under each mode, `--rounds` times with the modes taking turns (both servers run at
    once, so a busy spell of the machine falls on every mode alike); the round with the most
    requests per second is kept. Then the server's own time, the modes taking turns per request."""
    best: dict[tuple[int, str], dict[str, Any]] = {}
    pages = next(iter(targets.values())).pages
    for round_number in range(options.rounds):
        turn = modes[round_number % len(modes) :] + modes[: round_number % len(modes)]  # who goes first rotates
        for page in range(len(pages)):
            for mode in turn:
                figures = figures_of(targets[MODES[mode][0]], page, mode, options, generator)
                kept = best.get((page, mode))
                if kept is None or figures["requests_per_s"] > kept["requests_per_s"]:
                    best[(page, mode)] = figures
    rows = []
    for page in range(len(pages)):
        timed = server_times(targets, page, modes)
        for mode in modes:
            figures = {key: value for key, value in best[(page, mode)].items() if not key.startswith("server_")}
            rows.append({"mode": mode, "page": pages[page][0], **figures, **timed[mode]})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=1, help="measure each page and mode this often, keep the best")
    parser.add_argument("--generator", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--modes", default="off,on", help="comma-separated: off, on, br, gzip")
    parser.add_argument("--json", action="store_true")
    options = parser.parse_args()
    modes = [mode.strip() for mode in options.modes.split(",") if mode.strip()]
    unknown = [mode for mode in modes if mode not in MODES]
    if unknown:
        parser.error(f"unknown mode(s) {', '.join(unknown)}; choose from {', '.join(MODES)}")
    generator = options.generator
    if generator == "auto":
        generator = "wrk" if shutil.which("wrk") else "python"
    with sqlite_database(items_per_proposal=200, agencies=15) as (instance, url, event_id):
        build_database(url, instance, items_per_proposal=300, agencies=1)  # the province's proposal: 300 items
        with ExitStack() as stack:
            targets = {}
            for setting in dict.fromkeys(MODES[mode][0] for mode in modes):  # one server per setting
                # Each server's sessions wait while the other server is measured: longer than the
                # 30 s after which an idle keep-alive connection is closed.
                settings = {"SINERGI_COMPRESS": setting, "SINERGI_IDLE_TIMEOUT": "3600"}
                server = stack.enter_context(running_app(instance, url, settings))
                targets[setting] = target(server, event_id, options.concurrency)
            wire = wire_bytes(targets["1"].sessions[0], targets["1"].pages) if "1" in targets else []
            rows = measure(targets, options, generator, modes)
    report = {
        "bench": "pages",
        "date": time.strftime("%Y-%m-%d"),
        "machine": machine_description(),
        "load_average": os.getloadavg()[0],
        "concurrency": options.concurrency,
        "load_generator": generator,
        "seconds_per_page": options.seconds,
        "rounds": options.rounds,
        "wire": wire,
        "results": rows,
    }
    if options.json:
        json.dump(report, sys.stdout, indent=2)
        print()
        return
    print(f"Sinergi pages bench, {report['date']}, {report['machine']}, load average {report['load_average']:.1f}")
    print(
        f"SQLite, eventlet, {options.concurrency} connections, {options.seconds:g} s per page, "
        f"best of {options.rounds} round(s), load from {generator}"
    )
    if wire:
        print("\nBody bytes on the wire (browser: Accept-Encoding: gzip, deflate, br, zstd)")
        print_table(wire)
    print()
    print_table(rows)


if __name__ == "__main__":
    main()
