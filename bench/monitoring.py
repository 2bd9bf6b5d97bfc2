"""Server time of the monitoring dashboard on a large monitoring year: 15 agencies × 200 items ×
4 quarters reported (issue 18: the dashboard's server median should stay within 100 ms).

    .venv/bin/python bench/monitoring.py [--runs 30] [--items 200] [--agencies 15] [--json]

Builds a SQLite database (the demo rakor grown to the given size), moves it into its monitoring
phase and reports every sub kegiatan's four quarters (physical and budget, a few notes, every
fourth quarter of some agencies verified or returned), starts the real app under eventlet on a
free loopback port, signs in as a reviewer and times sequential requests of the dashboard (the
page, its live re-fetch, two filters) and one agency's realisation page. Prints the median and
p95 of the server's own time (its Server-Timing header) and the time seen by the client.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
import time
from pathlib import Path

import requests
from support import (
    TIMING,
    machine_description,
    print_table,
    running_app,
    signed_in,
    sqlite_database,
    time_requests,
)

WRITER = "peserta.sambas"


def report_every_quarter(database_url: str, instance: Path, event_id: int) -> tuple[int, int]:
    """The monitoring phase, and four quarters of realisation for every sub kegiatan (bulk)."""
    import sqlalchemy as sa

    from workspace import create_app
    from workspace.extensions import db
    from workspace.models import (
        Event,
        EventPhase,
        ItemLevel,
        Proposal,
        ProposalItem,
        QuarterReview,
        Realisation,
        ReviewStatus,
        User,
    )

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "INSTANCE_PATH": str(instance)})
    rng = random.Random(18)
    with app.app_context():
        event = db.session.get(Event, event_id)
        assert event is not None
        event.phase = EventPhase.MONITORING
        subs = db.session.execute(
            sa.select(ProposalItem.id, ProposalItem.target, ProposalItem.budget)
            .join(Proposal)
            .where(Proposal.event_id == event_id, ProposalItem.level == ItemLevel.SUBKEGIATAN)
        ).all()
        rows = []
        for item_id, target, budget in subs:
            for quarter in range(1, 5):
                share = rng.uniform(0.1, 0.35)
                rows.append(
                    {
                        "item_id": item_id,
                        "quarter": quarter,
                        "physical": f"{float(target or 1) * share:.2f}".replace(".", ","),
                        "budget": int((budget or 0) * share) // 1000 * 1000,
                        "problem": "Jadwal mundur" if rng.random() < 0.1 else "",
                        "solution": "",
                    }
                )
        db.session.execute(sa.insert(Realisation), rows)
        for index, proposal_id in enumerate(
            db.session.scalars(sa.select(Proposal.id).where(Proposal.event_id == event_id))
        ):
            for quarter in (1, 2):
                status = ReviewStatus.RETURNED if index % 5 == 1 and quarter == 2 else ReviewStatus.VERIFIED
                db.session.add(QuarterReview(proposal_id=proposal_id, quarter=quarter, status=status, note="Cek bukti"))
        db.session.commit()
        writer = db.session.scalar(sa.select(User).where(User.username == WRITER))
        assert writer is not None
        own = db.session.scalar(
            sa.select(Proposal.id).where(Proposal.event_id == event_id, Proposal.agency_id == writer.agency_id)
        )
        return len(rows), int(own or 0)


def after_each_change(
    server_url: str, http: requests.Session, dashboard: str, proposal_id: int, runs: int
) -> dict[str, object]:
    """The live case: an agency reports a value, then the dashboard is fetched again (its cache
    of the event's figures is stale: everything is computed anew)."""
    writer = signed_in(server_url, WRITER)
    page = writer.get(f"{server_url}/", timeout=30).text
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    rows = writer.get(f"{server_url}/usulan/{proposal_id}/realisasi?tw=4", timeout=30).text
    cell = re.search(r'data-edit-url="(/usulan/butir/[0-9]+/realisasi/4/physical)"', rows).group(1)  # type: ignore[union-attr]
    headers = {"HX-Request": "true", "X-CSRFToken": token}
    current = re.search(r'data-field="q4_physical" data-value="([^"]*)"', rows)
    base = current.group(1) if current else ""
    server_ms: list[float] = []
    client_ms: list[float] = []
    http.headers["HX-Request"] = "true"
    for run in range(runs):
        value = f"{run + 1},5"
        answer = writer.post(f"{server_url}{cell}", data={"value": value, "base": base}, headers=headers, timeout=30)
        if answer.status_code != 200:
            raise RuntimeError(f"the write was refused: {answer.status_code}")
        base = value.replace(".", ",")
        started = time.perf_counter()
        response = http.get(dashboard, timeout=60)
        client_ms.append((time.perf_counter() - started) * 1000)
        server_ms.append(float(TIMING.search(response.headers.get("Server-Timing", "")).group(1)))  # type: ignore[union-attr]
    http.headers.pop("HX-Request", None)
    return {
        "what": "dashboard fragment after each change (cold)",
        "runs": runs,
        "server_median_ms": round(statistics.median(server_ms), 1),
        "server_p95_ms": round(sorted(server_ms)[int(len(server_ms) * 0.95) - 1], 1),
        "client_median_ms": round(statistics.median(client_ms), 1),
        "bytes": len(response.content),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--items", type=int, default=200, help="items per proposal")
    parser.add_argument("--agencies", type=int, default=15)
    parser.add_argument("--json", action="store_true")
    options = parser.parse_args()

    started = time.monotonic()
    with sqlite_database(options.items, options.agencies) as (instance, url, event_id):
        realisations, own_proposal = report_every_quarter(url, instance, event_id)
        built = time.monotonic() - started
        with running_app(instance, url) as server:
            http = signed_in(server.url, "peninjau")
            base = f"{server.url}/rakor/{event_id}"
            proposal_id = int(http.get(f"{base}/usulan", timeout=30).text.split('href="/usulan/', 1)[1].split('"')[0])
            targets = [
                ("dashboard page (TW IV)", f"{base}/monev?tw=4", False),
                ("dashboard fragment (live re-fetch)", f"{base}/monev?tw=4", True),
                ("dashboard filtered by direction", f"{base}/monev?tw=2&amanat=3", True),
                ("dashboard filtered by band", f"{base}/monev?tw=3&band=baik", True),
                ("one agency's realisation page", f"{server.url}/usulan/{proposal_id}/realisasi?tw=3", False),
            ]
            rows = []
            for label, address, fragment in targets:
                if fragment:
                    http.headers["HX-Request"] = "true"
                rows.append(time_requests(http, address, label, options.runs).row())
                http.headers.pop("HX-Request", None)
            rows.append(after_each_change(server.url, http, f"{base}/monev?tw=4", own_proposal, options.runs))
    report = {
        "bench": "monitoring",
        "date": time.strftime("%Y-%m-%d"),
        "machine": machine_description(),
        "size": {"agencies": options.agencies, "items_per_proposal": options.items, "realisations": realisations},
        "database_build_s": round(built, 1),
        "results": rows,
    }
    if options.json:
        json.dump(report, sys.stdout, indent=2)
        print()
        return
    print(f"Sinergi monitoring bench, {report['date']}, {report['machine']}")
    print(
        f"{options.agencies} agencies × {options.items} items × 4 quarters ({realisations} realisations), SQLite, "
        f"eventlet; database built in {built:.1f} s"
    )
    print_table(rows)


if __name__ == "__main__":
    main()
