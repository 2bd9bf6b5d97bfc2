"""Hostile uploads (issue 16, item 2): each bomb a penetration test posted to the proposal import is
refused with a clear Indonesian message within 5 s, while the same server keeps answering `/healthz`
and a live socket within 300 ms. The reading runs in a child process (exports/sheet_worker.py),
bounded by rows, columns, shared strings, unpacked size and time."""

from __future__ import annotations

import io
import re
import threading
import time
import zipfile
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
from openpyxl import Workbook

from tests.live_clients import LiveClient
from tests.servers import start_server
from workspace.exports.renja_columns import COLUMNS
from workspace.exports.sheet_reading import MAX_ROWS_READ
from workspace.services.demo import DEMO_EVENT_SLUG

REFUSAL = "menuntut kerja jauh lebih banyak"


def _workbook_with(sheet_rows_xml: str | None = None, shared_strings_xml: str | None = None) -> bytes:
    """A real XLSX with the Renja header, its first sheet's rows then replaced (or shared strings added)."""
    book = Workbook()
    book.active.append([header for _key, header in COLUMNS])
    plain = io.BytesIO()
    book.save(plain)
    source = zipfile.ZipFile(io.BytesIO(plain.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            if sheet_rows_xml is not None and info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"</sheetData>", sheet_rows_xml.encode("utf-8") + b"</sheetData>")
            target.writestr(info, data)
        if shared_strings_xml is not None:
            target.writestr("xl/sharedStrings.xml", shared_strings_xml)
    return out.getvalue()


def xfd_rows(count: int) -> bytes:
    """A header row, then `count` rows each with one number in column XFD (the last of 16,384):
    the same few bytes again and again, which compress to almost nothing."""
    return _workbook_with(sheet_rows_xml='<row><c r="XFD2"><v>1</v></c></row>' * count)


def shared_strings(count: int) -> bytes:
    strings = "".join(f"<si><t>{n}</t></si>" for n in range(count))
    xml = f'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{count}">{strings}</sst>'
    return _workbook_with(shared_strings_xml=xml)


BOMBS = {
    "1,050,000 rows in column XFD": lambda: (xfd_rows(1_050_000), "renja.xlsx"),
    "100,000 rows in column XFD": lambda: (xfd_rows(100_000), "renja.xlsx"),
    "a few more rows than may be read": lambda: (xfd_rows(MAX_ROWS_READ + 10), "renja.xlsx"),
    "1.3 million shared strings": lambda: (shared_strings(1_300_000), "renja.xlsx"),
    "250,000 short shared strings": lambda: (shared_strings(250_000), "renja.xlsx"),
    "4 MB of semicolons as CSV": lambda: (
        b"Kode;Program / Kegiatan / Sub Kegiatan;Tingkat\n" + b";" * 4_000_000,
        "renja.csv",
    ),
}


def test_the_bombs_are_small_files(tmp_path: Path) -> None:
    sizes = {name: len(build()[0]) for name, build in BOMBS.items()}
    assert sizes["1,050,000 rows in column XFD"] < 200_000 and sizes["4 MB of semicolons as CSV"] > 3_900_000


class Watch:
    """Polls /healthz and round-trips the socket while an upload runs; keeps the slowest answers."""

    def __init__(self, url: str, client: LiveClient, proposal_id: int) -> None:
        self.url, self.client, self.proposal_id = url, client, proposal_id
        self.health: list[float] = []
        self.socket: list[float] = []
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._health), threading.Thread(target=self._socket)]

    def _health(self) -> None:
        http = requests.Session()
        while not self.stop.is_set():
            started = time.monotonic()
            assert http.get(f"{self.url}/healthz", timeout=10).status_code == 200
            self.health.append(time.monotonic() - started)
            time.sleep(0.05)

    def _socket(self) -> None:
        while not self.stop.is_set():
            started = time.monotonic()
            answer = self.client.join(self.proposal_id)
            assert answer["ok"], answer
            self.socket.append(time.monotonic() - started)
            time.sleep(0.15)  # within the socket event budget (10 a second)

    def __enter__(self) -> Watch:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=15)


@pytest.fixture
def server_and_participant(tmp_path: Path, live_database: str):
    engine = sa.create_engine(live_database)
    with engine.connect() as connection:
        proposal_id = connection.execute(
            sa.text(
                "SELECT proposal.id FROM proposal JOIN agency ON agency.id = proposal.agency_id "
                "JOIN event ON event.id = proposal.event_id "
                "WHERE agency.short_name = 'Kesbangpol Kab. Sambas' AND event.slug = :meeting"
            ),
            {"meeting": DEMO_EVENT_SLUG},  # (the demo's monitoring year has a Sambas proposal too)
        ).scalar_one()
    engine.dispose()
    server = start_server(tmp_path, live_database, timeout=60)
    client = LiveClient(server.url, "peserta.sambas", "sinergi2023")
    client.connect()
    try:
        yield server, client, proposal_id
    finally:
        client.disconnect()
        server.stop()


@pytest.mark.alone  # 300 ms under the bombs' load, not under the load of the rest of the suite
def test_each_bomb_is_refused_within_seconds_while_the_server_keeps_answering(server_and_participant) -> None:
    server, client, proposal_id = server_and_participant
    before = _without_tokens(client.get(f"/usulan/{proposal_id}"))
    for name, build in BOMBS.items():
        content, filename = build()
        with Watch(server.url, client, proposal_id) as watch:
            time.sleep(0.2)
            started = time.monotonic()
            answer = client.http.post(
                f"{server.url}/usulan/{proposal_id}/impor",
                files={"file": (filename, content)},
                data={"csrf_token": client.csrf},
                headers={"HX-Request": "true"},
                timeout=30,
            )
            took = time.monotonic() - started
            time.sleep(0.2)
        print(
            f"{name}: refused in {took:.2f} s; /healthz max {max(watch.health) * 1000:.0f} ms, "
            f"socket max {max(watch.socket) * 1000:.0f} ms"
        )
        assert answer.status_code == 422, (name, answer.status_code)
        assert REFUSAL in answer.text, (name, answer.text[:300])
        assert took < 5, f"{name}: refused after {took:.1f} s"
        assert watch.health and max(watch.health) < 0.3, f"{name}: /healthz took {max(watch.health):.3f} s"
        assert watch.socket and max(watch.socket) < 0.3, f"{name}: the socket took {max(watch.socket):.3f} s"
    assert _without_tokens(client.get(f"/usulan/{proposal_id}")) == before  # nothing was imported


def _without_tokens(page: str) -> str:
    return re.sub(r'(csrf[-_]token"? (?:content|value)=")[^"]*', r"\1", page)
