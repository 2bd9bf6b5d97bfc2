"""What applying one broadcast costs the browser's main thread, on the 300-item proposal page.

    .venv/bin/python bench/live_apply.py                 # 20 of each kind, normal speed and CPU ×4
    .venv/bin/python bench/live_apply.py --runs 40 --json

The app runs under eventlet in its own process on a SQLite copy of the demo rakor grown to
15 agencies × 200 items, the province's proposal to 300 (`support.py`). A viewer (peserta.provinsi.2)
has that proposal open in headless Chromium (1366 × 768); a co-editor (peserta.provinsi) makes edits
of each kind over the real HTTP write path, and joins, leaves and focuses fields over Socket.IO.

What is measured, per socket message that reaches the viewer's page (live_apply_probe.js):

* script: from the start of the WebSocket `message` event (a listener the bench adds before the
  page's own, so Engine.IO / Socket.IO decoding and JSON parsing count) to the end of the page's
  apply code (the `sinergi:apply <event>` User Timing measure static/js/app.js makes around each
  broadcast handler: fragments parsed, swapped, htmx-processed, rights, highlight, focus badges);
* layout: style and layout, forced at once after the apply by a listener registered after the
  page's own (`getBoundingClientRect`): the work the next frame would do anyway, told apart;
* frame: the next frame's main-thread work, from its requestAnimationFrame callback to a task
  posted from it (which runs once the frame's style, layout, paint and commit are done);
* total = script + layout + frame (the idle wait for the frame is not main-thread work);
* cpu: the renderer main thread's CPU time (a Chrome trace's thread time) in every task from the
  message's to the end of its frame: on a machine shared with other work, wall-clock figures
  include the time other processes had the core, this one does not;
* long frames: `long-animation-frame` entries (frames over 50 ms) overlapping the message;
* a last row per speed follows every frame for 3.5 s after a few field edits (the highlight of
  someone else's change lasts 3 s) and gives their main-thread time, less that of 3.5 s without
  a change: what an edit costs beyond its first frame.

Then the same with the viewer's CPU throttled ×4 (CDP `Emulation.setCPUThrottlingRate`), to stand
for a cheap laptop. Figures only: nothing here asserts a timing. Loopback only, bounded in count.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import socketio
from support import Timings, build_database, machine_description, print_table, running_app, signed_in, sqlite_database

from tests.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.e2e.test_browser_login import sign_in
from tests.servers import RunningServer

EDITOR = "peserta.provinsi"
VIEWER = "peserta.provinsi.2"
EVENTS = ("proposal:changed", "proposal:presence", "proposal:focus")

# Added to the viewer's page before its own scripts (see the file).
INSTRUMENT = (Path(__file__).parent / "live_apply_probe.js").read_text(encoding="utf-8")


@dataclass
class Editor:
    """The co-editor: a signed-in HTTP session (htmx headers, CSRF) and a Socket.IO client."""

    base: str
    proposal_id: int
    http: requests.Session
    token: str
    socket: socketio.Client = field(default_factory=lambda: socketio.Client(reconnection=False))

    def post(self, path: str, data: dict[str, str]) -> requests.Response:
        answer = self.http.post(
            self.base + path, data=data, headers={"HX-Request": "true", "X-CSRFToken": self.token}, timeout=60
        )
        if answer.status_code >= 400:
            raise RuntimeError(f"POST {path}: {answer.status_code} {answer.text[:200]}")
        return answer

    def connect(self) -> None:
        cookie = "; ".join(f"{k}={v}" for k, v in self.http.cookies.items())
        self.socket.connect(self.base, headers={"Cookie": cookie}, transports=["websocket"], wait_timeout=20)
        self.call("proposal:join", {"proposal_id": self.proposal_id, "mode": "edit"})

    def call(self, event: str, data: dict[str, Any]) -> None:
        answer = self.socket.call(event, data, timeout=20)
        if not answer or not answer.get("ok"):
            raise RuntimeError(f"{event} refused: {answer}")


@dataclass
class Tree:
    """What the edits need to know of the proposal, read from the database before the server runs."""

    database: Path
    proposal_id: int
    subs: list[int]  # sub kegiatan with a sibling before and after them
    kegiatan: list[int]
    values: dict[tuple[int, str], str]

    @classmethod
    def read(cls, database: Path) -> Tree:
        with sqlite3.connect(database) as connection:
            proposal_id = connection.execute(
                "SELECT proposal_id FROM proposal_item GROUP BY proposal_id ORDER BY count(*) DESC LIMIT 1"
            ).fetchone()[0]
            rows = connection.execute(
                "SELECT id, parent_id, level, target, budget FROM proposal_item WHERE proposal_id = ?"
                " ORDER BY parent_id, position, id",
                (proposal_id,),
            ).fetchall()
        siblings: dict[int, list[int]] = {}
        for item_id, parent_id, level, _target, _budget in rows:
            if level == "subkegiatan":
                siblings.setdefault(parent_id, []).append(item_id)
        subs = [i for group in siblings.values() if len(group) >= 3 for i in group[1:-1]]
        values = {(i, "target"): str(t or "") for i, _p, _l, t, _b in rows}
        values.update({(i, "budget"): str(b or 0) for i, _p, _l, _t, b in rows})
        kegiatan = [i for i, _p, level, _t, _b in rows if level == "kegiatan"]
        return cls(database, proposal_id, subs, kegiatan, values)

    def item_named(self, name: str) -> int:
        with sqlite3.connect(self.database) as connection:
            return connection.execute(
                "SELECT id FROM proposal_item WHERE proposal_id = ? AND name = ?", (self.proposal_id, name)
            ).fetchone()[0]


# ---- The kinds of edit ------------------------------------------------------------------------


@dataclass
class Kind:
    label: str
    event: str  # the socket message whose apply is reported
    act: Callable[[int], object]  # makes the n-th edit of this kind
    made: int = 0

    def next(self) -> None:
        self.act(self.made)
        self.made += 1


def kinds(editor: Editor, tree: Tree) -> list[Kind]:
    """Each kind's n-th edit; a new row's n-th edit is undone by the deleted row's n-th."""
    added: list[int] = []
    subs = tree.subs

    def set_field(item_id: int, name: str, value: str) -> None:
        editor.post(f"/usulan/butir/{item_id}/ubah/{name}", {"value": value, "base": tree.values[(item_id, name)]})
        tree.values[(item_id, name)] = value

    def new_row(n: int) -> None:
        name = f"Sub kegiatan bench {time.monotonic_ns()}"
        editor.post(
            f"/usulan/{tree.proposal_id}/butir", {"parent": str(tree.kegiatan[n % len(tree.kegiatan)]), "name": name}
        )
        added.append(tree.item_named(name))

    def focus(n: int) -> None:
        if n % 2:
            editor.call("proposal:blur", {"proposal_id": tree.proposal_id})
        else:
            editor.call("proposal:focus", {"proposal_id": tree.proposal_id, "item_id": subs[11], "field": "location"})

    def presence(n: int) -> None:
        editor.call("proposal:join" if n % 2 else "proposal:leave", {"proposal_id": tree.proposal_id, "mode": "edit"})

    def comment(n: int) -> None:
        body = {"kind": "comment", "body": f"Catatan bench {n}", "item": str(subs[9 + n % 5]), "field": "target"}
        editor.post(f"/usulan/{tree.proposal_id}/komentar", body)

    return [
        Kind("field value (target)", "proposal:changed", lambda n: set_field(subs[5], "target", str(n % 50 + 1))),
        Kind(
            "field value (budget: row, ancestors, totals)",
            "proposal:changed",
            lambda n: set_field(subs[7], "budget", str(1_000_000 + 1_000 * (n + 1))),
        ),
        Kind("new row", "proposal:changed", new_row),
        Kind("deleted row", "proposal:changed", lambda n: editor.post(f"/usulan/butir/{added.pop()}/hapus", {})),
        Kind(
            "moved row",
            "proposal:changed",
            lambda n: editor.post(
                f"/usulan/butir/{subs[len(subs) // 2]}/pindah", {"direction": "down" if n % 2 else "up"}
            ),
        ),
        Kind("comment (thread, counts)", "proposal:changed", comment),
        Kind("presence (leave / join)", "proposal:presence", presence),
        Kind("focus / blur", "proposal:focus", focus),
    ]


# ---- Measuring ------------------------------------------------------------------------------------


def wait_applied(page: Any, event: str, seen: int, timeout: float = 30.0) -> None:
    """Until the viewer's page has a `seen`-th message `event`, its measure and its frame done."""
    page.wait_for_function(
        """([event, seen]) => {
          const probe = window.__liveApply;
          const mine = probe.records.filter((r) => r.name === event);
          return mine.length >= seen && mine.slice(0, seen).every((r) => r.frameEnd !== undefined);
        }""",
        arg=[event, seen],
        timeout=timeout * 1000,
    )


def collected(page: Any) -> dict[str, list[dict[str, Any]]]:
    return page.evaluate("() => window.__liveApply.take()")


TRACE_CATEGORIES = ["disabled-by-default-devtools.timeline", "blink.user_timing"]


def main_thread_tasks(trace: bytes, measures: list[dict[str, Any]]) -> list[tuple[float, float, float]]:
    """The renderer main thread's tasks in the trace, as (start, end, CPU ms), on the page's clock:
    the trace's user-timing events of the apply measures give the offset between the two clocks."""
    events = json.loads(trace)
    events = events["traceEvents"] if isinstance(events, dict) else events
    marks = sorted(
        (e for e in events if e.get("cat") == "blink.user_timing" and e.get("ph") in "bn"), key=lambda e: e["ts"]
    )
    if not marks or not measures:
        return []
    pid = marks[0]["pid"]
    offsets = [  # the k-th measure of a name in the trace is the k-th the page observed (an empty one: "n")
        m["ts"] / 1000 - entry["startTime"]
        for name in {m["name"] for m in marks}
        for m, entry in zip(  # noqa: B905 (either side may miss a measure)
            [m for m in marks if m["name"] == name],
            sorted((e for e in measures if e["name"] == name), key=lambda e: e["startTime"]),
        )
    ]
    offset = statistics.median(offsets)
    main = {
        e["tid"]
        for e in events
        if e.get("ph") == "M" and e.get("pid") == pid and e["args"].get("name") == "CrRendererMain"
    }
    return [
        (e["ts"] / 1000 - offset, (e["ts"] + e["dur"]) / 1000 - offset, e.get("tdur", e["dur"]) / 1000)
        for e in events
        if e.get("name") == "RunTask" and e.get("ph") == "X" and e.get("pid") == pid and e.get("tid") in main
    ]


def costs(data: dict[str, Any], event: str, tasks: list[tuple[float, float, float]]) -> list[dict[str, float]]:
    """Per message `event`: script (arrival → end of its apply measure), layout (forced at once after
    it), frame (the next frame), their total; cpu: the main thread's CPU time in every task from the
    message's to the end of that frame (from the trace: a busy machine's other processes aside)."""
    measures = data["measures"]
    found = []
    for record in data["records"]:
        if record["name"] != event or "frameEnd" not in record:
            continue
        mine = [
            m
            for m in measures
            if m["name"] == f"sinergi:apply {event}" and record["arrival"] <= m["startTime"] <= record["frameStart"]
        ]
        if not mine:
            continue
        end = mine[0]["startTime"] + mine[0]["duration"]
        script = end - record["arrival"]
        layout = record["layoutEnd"] - record["layoutStart"] if "layoutEnd" in record else 0.0
        render = record["frameEnd"] - record["frameStart"]
        frames = [
            f["duration"]
            for f in data["frames"]
            if f["startTime"] < record["frameEnd"] and f["startTime"] + f["duration"] > record["arrival"]
        ]
        found.append(
            {
                "script": script,
                "layout": layout,
                "render": render,
                "total": record.get("layoutEnd", end) - record["arrival"] + render,
                "bytes": record["bytes"],
                "long_frame": max(frames, default=0.0),
                "cpu": sum(cpu for start, end, cpu in tasks if start < record["frameEnd"] and end > record["arrival"]),
            }
        )
    return found


def run_kind(page: Any, kind: Kind, runs: int, warmup: int, pause: float) -> list[dict[str, float]]:
    collected(page)
    seen = 0
    results: list[dict[str, float]] = []
    for n in range(warmup + runs):
        kind.next()
        seen += 1
        wait_applied(page, kind.event, seen)
        time.sleep(pause)  # the frames after it settle; the next edit is measured alone
        if n == warmup - 1:
            collected(page)
            seen = 0
            page.context.browser.start_tracing(page=page, categories=TRACE_CATEGORIES)
            time.sleep(0.5)  # the renderer records from a moment after the answer
    trace = page.context.browser.stop_tracing()
    data = collected(page)
    results = costs(data, kind.event, main_thread_tasks(trace, data["measures"]))
    if len(results) != runs:
        print(f"warning: {kind.label}: {len(results)} of {runs} messages measured", file=sys.stderr)
    return results


def summary(speed: str, kind: Kind, results: list[dict[str, float]]) -> dict[str, object]:
    def figure(key: str, share: float) -> float:
        return round(Timings.percentile([r[key] for r in results], share), 1) if results else float("nan")

    return {
        "throttle": speed,
        "kind": kind.label,
        "event": kind.event,
        "n": len(results),
        "kB": round(statistics.median(r["bytes"] for r in results) / 1024, 1) if results else 0,
        "script_med": figure("script", 0.5),
        "layout_med": figure("layout", 0.5),
        "frame_med": figure("render", 0.5),
        "total_med": figure("total", 0.5),
        "total_p95": figure("total", 0.95),
        "total_max": figure("total", 1.0),
        "cpu_med": figure("cpu", 0.5),
        "cpu_p95": figure("cpu", 0.95),
        "long_frames": sum(1 for r in results if r["long_frame"] > 0),
        "longest_frame": figure("long_frame", 1.0),
    }


ROW_KEYS = (
    "throttle",
    "kind",
    "event",
    "n",
    "kB",
    "script_med",
    "layout_med",
    "frame_med",
    "total_med",
    "total_p95",
    "total_max",
    "cpu_med",
    "cpu_p95",
    "long_frames",
    "longest_frame",
)


def open_viewer(browser: Any, server: RunningServer, proposal_id: int) -> Any:
    base = server.url
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="id-ID")
    context.add_init_script(INSTRUMENT)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, server, VIEWER)
    page.wait_for_url(f"{base}/rakor/*")
    page.goto(f"{base}/usulan/{proposal_id}")
    page.locator("#connection-status[data-state=online]").wait_for(timeout=30_000)
    page.evaluate("(names) => window.__liveApply.followLayout(names)", list(EVENTS))
    page.errors = errors
    return page


def measure_all(page: Any, editor: Editor, tree: Tree, options: argparse.Namespace) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    cdp = page.context.new_cdp_session(page)
    chosen = [k for k in kinds(editor, tree) if not options.only or any(word in k.label for word in options.only)]
    for rate in options.cpu:
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": rate})
        first = len(rows)
        for kind in chosen:
            results = run_kind(page, kind, options.runs, options.warmup, options.pause * rate)
            rows.append(summary(f"x{rate:g}", kind, results))
        rows.append(idle_frames(page, f"x{rate:g}", options.runs))
        if chosen and options.fade:
            rows.append(fade(page, f"x{rate:g}", chosen[0], options.fade))
        if not options.json:
            print_table(rows[first:])
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": 1})
    return rows


def idle_frames(page: Any, speed: str, runs: int) -> dict[str, object]:
    """The frame of a page where nothing changed: the floor under every `frame` figure."""
    time.sleep(3.5)  # the last change's highlight has faded
    frames = [page.evaluate("() => window.__liveApply.idleFrame()") for _ in range(runs)]
    row: dict[str, object] = {key: "" for key in ROW_KEYS}
    row.update(throttle=speed, kind="(no change: an idle frame)", event="-", n=runs)
    row.update(frame_med=round(Timings.percentile(frames, 0.5), 1), total_med=round(Timings.percentile(frames, 0.5), 1))
    row.update(total_p95=round(Timings.percentile(frames, 0.95), 1), total_max=round(max(frames), 1))
    return row


FADE_MS = 3500  # the highlight of someone else's change lasts 3 s


def fade(page: Any, speed: str, kind: Kind, runs: int) -> dict[str, object]:
    """The main-thread time of every frame in the 3.5 s after one `kind` edit (the highlight fading,
    its badge going), less that of 3.5 s of frames with no change: what an edit costs beyond its
    first frame."""

    def frames_during(edit: bool) -> float:
        time.sleep(FADE_MS / 1000)  # the previous highlight is over
        page.evaluate("(ms) => window.__liveApply.watch(ms)", FADE_MS)
        if edit:
            kind.next()
        page.wait_for_function("() => window.__liveApply.watching.done", timeout=FADE_MS * 4)
        return float(page.evaluate("() => window.__liveApply.watching.sum"))

    idle = statistics.median(frames_during(False) for _ in range(3))
    spent = [frames_during(True) - idle for _ in range(runs)]
    collected(page)  # the edits' own records are not counted again
    row: dict[str, object] = {key: "" for key in ROW_KEYS}
    row.update(
        throttle=speed, kind=f"{kind.label}: all frames for {FADE_MS / 1000:g} s after", event=kind.event, n=runs
    )
    row.update(total_med=round(Timings.percentile(spent, 0.5), 1), total_p95=round(Timings.percentile(spent, 0.95), 1))
    row.update(total_max=round(max(spent), 1))
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="measured edits of each kind")
    parser.add_argument("--warmup", type=int, default=4, help="edits of each kind made first, not measured")
    parser.add_argument("--pause", type=float, default=0.3, help="seconds after each applied edit (× the CPU rate)")
    parser.add_argument("--cpu", type=float, nargs="+", default=[1, 4], help="CPU throttling rates")
    parser.add_argument("--only", nargs="*", help="kinds whose label contains one of these words")
    parser.add_argument("--fade", type=int, default=4, help="edits of the first kind followed for 3.5 s (0: none)")
    parser.add_argument("--json", action="store_true")
    options = parser.parse_args()
    if options.warmup % 2 or options.runs % 2 or options.warmup < 2:
        parser.error("--runs and --warmup: even numbers, --warmup 2 or more (kinds alternate: up / down, join / leave)")
    from playwright.sync_api import sync_playwright

    with sqlite_database(items_per_proposal=200, agencies=15) as (instance, url, _event_id):
        build_database(url, instance, items_per_proposal=300, agencies=1)  # the province's proposal: 300 items
        tree = Tree.read(instance / "bench.db")
        env = {"SINERGI_COMMENT_RATE_LIMIT": "100000 per minute", "SINERGI_SOCKET_EVENT_RATE": "1000"}
        with running_app(instance, url, env) as server, sync_playwright() as playwright:
            http = signed_in(server.url, EDITOR)
            page_html = http.get(f"{server.url}/usulan/{tree.proposal_id}", timeout=60).text
            items = page_html.count('<tr class="item ')
            token = re.search(r'name="csrf-token" content="([^"]+)"', page_html).group(1)  # type: ignore[union-attr]
            editor = Editor(server.url, tree.proposal_id, http, token)
            editor.connect()
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
            page = open_viewer(browser, server, tree.proposal_id)
            version = browser.version
            load = [round(os.getloadavg()[0], 1)]
            rows = measure_all(page, editor, tree, options)
            load.append(round(os.getloadavg()[0], 1))
            errors = page.errors
            editor.socket.disconnect()
            browser.close()
    report = {
        "bench": "live_apply",
        "date": time.strftime("%Y-%m-%d"),
        "machine": machine_description(),
        "chromium": version,
        "items_on_page": items,
        "load_average": load,
        "runs": options.runs,
        "page_errors": errors,
        "results": rows,
    }
    if options.json:
        json.dump(report, sys.stdout, indent=2)
        print()
        return
    print(f"\nSinergi live-apply bench, {report['date']}, {report['machine']}, Chromium {version}")
    print(f"proposal page with {items} items, 1366 x 768; milliseconds of the viewer's main thread per message")
    print(f"load average (1 min) at the start and the end: {load[0]} / {load[1]} on {os.cpu_count()} cores")
    print_table(rows)
    if errors:
        print("page errors:", *errors, sep="\n  ")


if __name__ == "__main__":
    main()
