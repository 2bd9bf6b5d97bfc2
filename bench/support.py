"""Shared by the bench scripts: a large seeded database, the real server, signed-in HTTP sessions,
and figures read from the server's own `Server-Timing` header.

Every bench talks to loopback only, is bounded in count and time, and prints figures: nothing
here asserts a timing.
"""

from __future__ import annotations

import os
import platform
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from tests.servers import RunningServer, start_server  # noqa: E402

DEMO_PASSWORD = "sinergi2023"
TIMING = re.compile(r"app;dur=([0-9.]+)")


def machine_description() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    system = f"{platform.system()} {platform.machine()}"
    return f"{system}, {os.cpu_count()} cores ({cpu}), Python {platform.python_version()}"


def build_database(database_url: str, instance: Path, items_per_proposal: int = 200, agencies: int = 15) -> int:
    """Migrate, seed the demo rakor, then grow the first `agencies` proposals to `items_per_proposal`
    items each (programs and kegiatan of the catalogue; sub kegiatan beyond the catalogue's
    own are local ones). Returns the event id. Runs in this process, before any server starts."""
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from workspace import create_app
    from workspace.extensions import db
    from workspace.models import Agency, AgencyKind, ItemLevel, NationalDirection, Proposal, ProposalItem
    from workspace.services.demo import seed_demo

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "INSTANCE_PATH": str(instance)})
    with app.app_context():
        upgrade()
        event_id = seed_demo().event.id
        directions = list(db.session.scalars(sa.select(NationalDirection)))
        proposals = db.session.scalars(
            sa.select(Proposal)
            .join(Agency, Agency.id == Proposal.agency_id)
            .where(Proposal.event_id == event_id, Agency.kind == AgencyKind.KESBANGPOL)
            .order_by(Agency.region_code)
        ).all()[:agencies]
        for number, proposal in enumerate(proposals):
            kegiatan = [i for i in proposal.items if i.level is ItemLevel.KEGIATAN]
            count = len(proposal.items)
            serial = 0
            while count < items_per_proposal:
                parent = kegiatan[serial % len(kegiatan)]
                serial += 1
                db.session.add(
                    ProposalItem(
                        proposal_id=proposal.id,
                        parent_id=parent.id,
                        level=ItemLevel.SUBKEGIATAN,
                        position=100 + serial,
                        code=f"{parent.code}.{9000 + serial:04d}",
                        name=f"Sub kegiatan lokal {serial} untuk pengukuran",
                        outside_catalog=True,
                        indicator="Jumlah kegiatan terlaksana",
                        target=str(serial % 12 + 1),
                        unit="kegiatan",
                        location=proposal.agency.region_name,
                        budget=(serial * 7_919 + number * 104_729) % 500 * 1_000_000 + serial,
                        funding_source="APBD",
                        forward_target=str(serial % 12 + 1),
                        forward_budget=(serial * 7_919) % 500 * 1_000_000,
                        directions=[directions[serial % len(directions)]],
                    )
                )
                count += 1
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return event_id


@contextmanager
def sqlite_database(items_per_proposal: int = 200, agencies: int = 15) -> Iterator[tuple[Path, str, int]]:
    with tempfile.TemporaryDirectory(prefix="sinergi-bench-") as folder:
        instance = Path(folder)
        url = f"sqlite:///{instance / 'bench.db'}"
        event_id = build_database(url, instance, items_per_proposal, agencies)
        yield instance, url, event_id


@contextmanager
def running_app(instance: Path, database_url: str, extra_env: dict[str, str] | None = None) -> Iterator[RunningServer]:
    env = {
        "SINERGI_LOGIN_RATE_LIMIT": "10000 per minute",
        "SINERGI_LOGIN_ADDRESS_RATE_LIMIT": "100000 per minute",
        # The figures come from the Server-Timing header, off unless switched on.
        "SINERGI_SERVER_TIMING": "1",
        # Every bench client comes from 127.0.0.1 and many sign in as one person: the connection
        # guards against one abusive address or person would count them as one (docs/deploy.md).
        "SINERGI_MAX_CONNECTIONS_PER_ADDRESS": "0",
        "SINERGI_SOCKETS_PER_USER": "0",
        **(extra_env or {}),
    }
    server = start_server(instance, database_url, extra_env=env, timeout=60)
    try:
        yield server
    finally:
        server.stop()


def signed_in(server_url: str, username: str, password: str = DEMO_PASSWORD) -> requests.Session:
    http = requests.Session()
    page = http.get(f"{server_url}/masuk", timeout=10).text
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    answer = http.post(
        f"{server_url}/masuk",
        data={"username": username, "password": password, "csrf_token": token},
        allow_redirects=False,
        timeout=10,
    )
    if answer.status_code != 302:
        raise RuntimeError(f"sign-in of {username} failed: {answer.status_code}")
    return http


@dataclass
class Timings:
    label: str
    server_ms: list[float]
    client_ms: list[float]
    size_bytes: int

    @staticmethod
    def percentile(values: list[float], share: float) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]

    def row(self) -> dict[str, object]:
        return {
            "what": self.label,
            "runs": len(self.server_ms),
            "server_median_ms": round(statistics.median(self.server_ms), 1),
            "server_p95_ms": round(self.percentile(self.server_ms, 0.95), 1),
            "client_median_ms": round(statistics.median(self.client_ms), 1),
            "bytes": self.size_bytes,
        }


def time_requests(http: requests.Session, url: str, label: str, runs: int, warmup: int = 2) -> Timings:
    """Sequential GETs: the server's own time (Server-Timing) and the time seen by the client."""
    server_ms: list[float] = []
    client_ms: list[float] = []
    size = 0
    for attempt in range(warmup + runs):
        started = time.perf_counter()
        response = http.get(url, timeout=60)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise RuntimeError(f"{url}: {response.status_code}")
        if attempt < warmup:
            continue
        match = TIMING.search(response.headers.get("Server-Timing", ""))
        server_ms.append(float(match.group(1)) if match else float("nan"))
        client_ms.append(elapsed)
        size = len(response.content)
    return Timings(label, server_ms, client_ms, size)


def print_table(rows: list[dict[str, object]]) -> None:
    if not rows:
        return
    columns = list(rows[0])
    widths = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in columns}
    print("  ".join(c.ljust(widths[c]) for c in columns))
    for row in rows:
        print("  ".join(str(row[c]).ljust(widths[c]) for c in columns))
