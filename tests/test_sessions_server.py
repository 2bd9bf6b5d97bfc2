"""Breakouts on a real server: 20 people in 3 breakouts, each lands in the right room and hears
only its breakout; session state survives a server restart."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.databases import query
from tests.live_clients import LiveClient, wait_until
from tests.servers import start_server
from workspace.services.demo import DEMO_PASSWORD

pytestmark = pytest.mark.server

REGIONS = [
    "sambas",
    "mempawah",
    "sanggau",
    "ketapang",
    "sintang",
    "kapuas-hulu",
    "bengkayang",
    "landak",
    "sekadau",
    "melawi",
    "kayong-utara",
    "kubu-raya",
    "pontianak",
    "singkawang",
]
PEOPLE = [f"peserta.{r}" for r in REGIONS] + [f"kesbangpol.{r}" for r in REGIONS[:6]]


def test_twenty_people_in_three_breakouts(tmp_path: Path, live_database: str, server_async_mode: str) -> None:
    server = start_server(tmp_path, live_database, {"SINERGI_ASYNC": server_async_mode})
    try:
        users = dict(query(live_database, "SELECT username, id FROM user_account"))
        proposals = [row[0] for row in query(live_database, "SELECT id FROM proposal ORDER BY id")]
        plenary = query(live_database, "SELECT id FROM work_session WHERE parent_id IS NULL")[0][0]
        facilitator = LiveClient(server.url, "fasilitator", DEMO_PASSWORD)
        clients = {}
        for username in PEOPLE:
            client = LiveClient(server.url, username, DEMO_PASSWORD)
            client.connect()
            assert client.sio.call("session:join", {"session_id": plenary}, timeout=10)["ok"]
            clients[username] = client
        groups = {"Ideologi": PEOPLE[0:7], "Politik": PEOPLE[7:14], "Kewaspadaan": PEOPLE[14:20]}
        for index, (title, members) in enumerate(groups.items()):
            response = facilitator.post(
                f"/sesi/{plenary}/kelompok",
                {
                    "title": title,
                    "people": [users[u] for u in members],
                    "proposals": proposals[index * 5 : (index + 1) * 5],
                },
            )
            assert response.status_code == 204, response.text
        assert facilitator.post(f"/sesi/{plenary}/kelompok/mulai").status_code == 204
        breakout_ids = dict(query(live_database, "SELECT title, id FROM work_session WHERE parent_id IS NOT NULL"))

        # Each screen is told where to go, and goes there (as static/js/app.js does).
        for title, members in groups.items():
            for username in members:
                client = clients[username]
                assert wait_until(lambda c=client: c.received("session:moved")), username
                moved = client.received("session:moved")[-1]
                assert moved["session_id"] == breakout_ids[title], username
                assert client.sio.call("session:join", {"session_id": moved["session_id"]}, timeout=10)["ok"]
                # The page of the plenary sends them to their breakout too (a reload or a reconnect).
                page = client.http.get(f"{server.url}/sesi/{plenary}", allow_redirects=False, timeout=10)
                assert page.headers["Location"] == f"/sesi/{breakout_ids[title]}"

        for title, breakout_id in breakout_ids.items():
            assert (
                facilitator.post(f"/sesi/{breakout_id}/pengumuman", {"text": f"Pesan untuk {title}"}).status_code == 204
            )
        for title, members in groups.items():
            for username in members:
                client = clients[username]

                def announcements(c: LiveClient = client) -> list[str]:
                    return [
                        html
                        for change in c.received("session:changed")
                        for key, html in change["fragments"].items()
                        if key.endswith("-announcement") and "Pesan untuk" in html
                    ]

                assert wait_until(lambda a=announcements: len(a()) >= 1), username
                time.sleep(0.05)
                heard = announcements()
                assert len(heard) == 1 and f"Pesan untuk {title}" in heard[0], (username, heard)
        for client in clients.values():
            client.disconnect()

        # Spotlight and timer are stored: a restarted server shows the same.
        assert facilitator.post(f"/sesi/{plenary}/sorot", {"proposal": proposals[0]}).status_code == 204
        assert facilitator.post(f"/sesi/{plenary}/timer", {"minutes": "20", "label": "Pleno"}).status_code == 204
        server.stop()
        server = start_server(tmp_path, live_database, {"SINERGI_ASYNC": server_async_mode})
        again = LiveClient(server.url, PEOPLE[0], DEMO_PASSWORD)
        assert (
            again.http.get(f"{server.url}/sesi/{plenary}", allow_redirects=False, timeout=10).headers["Location"]
            == f"/sesi/{breakout_ids['Ideologi']}"
        )
        room = LiveClient(server.url, "fasilitator", DEMO_PASSWORD).get(f"/sesi/{plenary}")
        assert f'data-proposal-id="{proposals[0]}"' in room  # the spotlight
        assert 'data-ends-ms=""' not in room and '<span class="timer-label">Pleno</span>' in room
        assert "Pesan untuk Ideologi" in LiveClient(server.url, "fasilitator", DEMO_PASSWORD).get(
            f"/sesi/{breakout_ids['Ideologi']}"
        )
    finally:
        server.stop()
