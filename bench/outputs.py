"""Server time of the heavy outputs on a large event: 15 agencies × 200 items.

    .venv/bin/python bench/outputs.py [--runs 30] [--items 200] [--agencies 15] [--json]

Builds a SQLite database (the demo rakor grown to the given size), starts the real app under
eventlet on a free loopback port, signs in as the facilitator and times sequential requests of
the synchronisation matrix (page and live fragment), the national-directions view, the event's
XLSX and CSV export, one agency's XLSX, and the berita acara PDF. Prints the median and p95 of the
server's own time (its Server-Timing header) and the time seen by the client.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from support import machine_description, print_table, running_app, signed_in, sqlite_database, time_requests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--items", type=int, default=200, help="items per proposal")
    parser.add_argument("--agencies", type=int, default=15)
    parser.add_argument("--json", action="store_true")
    options = parser.parse_args()

    started = time.monotonic()
    with sqlite_database(options.items, options.agencies) as (instance, url, event_id):
        built = time.monotonic() - started
        with running_app(instance, url) as server:
            http = signed_in(server.url, "fasilitator")
            base = f"{server.url}/rakor/{event_id}"
            proposal_id = int(http.get(f"{base}/usulan", timeout=30).text.split('href="/usulan/', 1)[1].split('"')[0])
            targets = [
                ("matrix page", f"{base}/matriks", options.runs),
                ("matrix fragment (live re-fetch)", f"{base}/matriks?_=1", options.runs),
                ("matrix filtered by direction", f"{base}/matriks?arah=3", options.runs),
                ("national directions", f"{base}/amanat-presiden", options.runs),
                ("event XLSX export", f"{base}/ekspor.xlsx", max(5, options.runs // 3)),
                ("event CSV export", f"{base}/ekspor.csv", max(5, options.runs // 3)),
                ("one agency XLSX export", f"/usulan/{proposal_id}/ekspor.xlsx", options.runs),
                ("berita acara PDF", f"{base}/berita-acara.pdf", max(5, options.runs // 3)),
            ]
            rows = []
            for label, path, runs in targets:
                address = path if path.startswith("http") else f"{server.url}{path}"
                if label.startswith("matrix fragment"):
                    http.headers["HX-Request"] = "true"
                timings = time_requests(http, address, label, runs)
                http.headers.pop("HX-Request", None)
                rows.append(timings.row())
    report = {
        "bench": "outputs",
        "date": time.strftime("%Y-%m-%d"),
        "machine": machine_description(),
        "size": {"agencies": options.agencies, "items_per_proposal": options.items},
        "database_build_s": round(built, 1),
        "results": rows,
    }
    if options.json:
        json.dump(report, sys.stdout, indent=2)
        print()
        return
    print(f"Sinergi outputs bench, {report['date']}, {report['machine']}")
    print(f"{options.agencies} agencies × {options.items} items, SQLite, eventlet; database built in {built:.1f} s")
    print_table(rows)


if __name__ == "__main__":
    main()
