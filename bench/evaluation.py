"""Server time of the Renja evaluation form on a full monitoring year: 15 agencies × 200 items ×
4 quarters reported (issue 18: the event's evaluation XLSX within 2 s).

    .venv/bin/python bench/evaluation.py [--runs 5] [--items 200] [--agencies 15] [--json]

Builds a SQLite database (the demo rakor grown to the given size), moves it into its monitoring
phase and reports every sub kegiatan's four quarters (K and Rp, a note on one in ten), starts the
real app under eventlet on a free loopback port, signs in as the facilitator and times sequential
requests of the event's evaluation XLSX (every agency's sheet and the Ringkasan), one agency's
evaluation XLSX and its PDF to sign. Prints the median and p95 of the server's own time (its
Server-Timing header), the time seen by the client and the file's size.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from pathlib import Path

from support import machine_description, print_table, running_app, signed_in, sqlite_database, time_requests


def report_every_quarter(database_url: str, instance: Path, event_id: int) -> int:
    """The monitoring phase, and four reported quarters for every sub kegiatan (one bulk insert).
    Returns how many quarters were written."""
    import sqlalchemy as sa

    from workspace import create_app
    from workspace.extensions import db
    from workspace.models import Event, EventPhase, ItemLevel, Proposal, ProposalItem, Realisation

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "INSTANCE_PATH": str(instance)})
    rng = random.Random(7)
    with app.app_context():
        event = db.session.get(Event, event_id)
        assert event is not None
        event.phase = EventPhase.MONITORING
        subs = db.session.execute(
            sa.select(ProposalItem.id, ProposalItem.target, ProposalItem.budget)
            .join(Proposal)
            .where(Proposal.event_id == event_id, ProposalItem.level == ItemLevel.SUBKEGIATAN)
        ).all()
        rows = [
            {
                "item_id": item_id,
                "quarter": quarter,
                "physical": f"{float(target) * (share := rng.uniform(0.1, 0.35)):.2f}".replace(".", ",")
                if (target or "").isdigit()
                else "1",
                "budget": int((budget or 0) * share) // 1000 * 1000,
                "problem": "Jadwal narasumber mundur" if rng.random() < 0.1 else "",
                "solution": "Dijadwalkan ulang pada triwulan berikutnya" if rng.random() < 0.1 else "",
            }
            for item_id, target, budget in subs
            for quarter in range(1, 5)
        ]
        db.session.execute(sa.insert(Realisation), rows)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--items", type=int, default=200, help="items per proposal")
    parser.add_argument("--agencies", type=int, default=15)
    parser.add_argument("--json", action="store_true")
    options = parser.parse_args()

    started = time.monotonic()
    with sqlite_database(options.items, options.agencies) as (instance, url, event_id):
        quarters = report_every_quarter(url, instance, event_id)
        built = time.monotonic() - started
        with running_app(instance, url) as server:
            http = signed_in(server.url, "fasilitator")
            listing = http.get(f"{server.url}/rakor/{event_id}/usulan", timeout=30).text
            proposal_id = int(re.search(r'href="/usulan/([0-9]+)"', listing).group(1))  # type: ignore[union-attr]
            targets = [
                ("event evaluation XLSX (TW II)", f"/rakor/{event_id}/evaluasi.xlsx?tw=2"),
                ("one agency's evaluation XLSX", f"/usulan/{proposal_id}/evaluasi.xlsx?tw=2"),
                ("one agency's evaluation PDF", f"/usulan/{proposal_id}/evaluasi.pdf?tw=2"),
            ]
            rows = [time_requests(http, f"{server.url}{path}", label, options.runs, warmup=1).row()
                    for label, path in targets]  # fmt: skip
    report = {
        "bench": "evaluation",
        "date": time.strftime("%Y-%m-%d"),
        "machine": machine_description(),
        "size": {"agencies": options.agencies, "items_per_proposal": options.items, "quarters_reported": quarters},
        "database_build_s": round(built, 1),
        "results": rows,
    }
    if options.json:
        json.dump(report, sys.stdout, indent=2)
        print()
        return
    print(f"Sinergi evaluation bench, {report['date']}, {report['machine']}")
    print(
        f"{options.agencies} agencies × {options.items} items, {quarters} quarters reported, SQLite, eventlet; "
        f"database built in {built:.1f} s"
    )
    print_table(rows)


if __name__ == "__main__":
    main()
