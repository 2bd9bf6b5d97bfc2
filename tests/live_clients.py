"""Real clients for a real server: a requests session signed in over HTTP, and a python-socketio
client sharing its cookie, recording every broadcast it receives."""

from __future__ import annotations

import html
import re
import threading
import time
from typing import Any

import requests
import socketio

CSRF_META = re.compile(r'name="csrf-token" content="([^"]+)"')
CELL = re.compile(r'<td[^>]*id="item-(\d+)-(\w+)"[^>]*data-value="([^"]*)"')


def cell_values(fragment: str) -> dict[tuple[int, str], str]:
    """(item id, field) → canonical value, read from the data-value of each editable cell."""
    return {(int(item), field): html.unescape(value) for item, field, value in CELL.findall(fragment)}


class LiveClient:
    def __init__(self, base_url: str, username: str, password: str) -> None:
        self.base_url = base_url
        self.username = username
        self.http = requests.Session()
        page = self.http.get(f"{base_url}/masuk", timeout=10).text
        token = CSRF_META.search(page).group(1)
        response = self.http.post(
            f"{base_url}/masuk",
            timeout=10,
            allow_redirects=False,
            data={"username": username, "password": password, "csrf_token": token},
        )
        assert response.status_code == 302, f"login of {username} failed with {response.status_code}"
        self.csrf = CSRF_META.search(self.http.get(f"{base_url}/", timeout=10).text).group(1)
        self.lock = threading.Lock()
        self.changes: list[dict[str, Any]] = []
        self.events: list[tuple[str, Any]] = []
        self.sio = self._new_socket()

    def _new_socket(self) -> socketio.Client:
        client = socketio.Client(reconnection=False)
        client.on("proposal:changed", self._on_change)
        for name in (
            "proposal:presence",
            "proposal:focus",
            "session:moved",
            "session:changed",
            "proposal:lock",
            "notifications:count",
        ):
            client.on(name, self._recorder(name))
        return client

    def _on_change(self, payload: dict[str, Any]) -> None:
        with self.lock:
            self.changes.append(payload)

    def _recorder(self, name: str):
        def record(payload: Any) -> None:
            with self.lock:
                self.events.append((name, payload))

        return record

    def connect(self) -> None:
        cookie = "; ".join(f"{c.name}={c.value}" for c in self.http.cookies)
        self.sio.connect(self.base_url, headers={"Cookie": cookie}, transports=["websocket"], wait_timeout=10)

    def reconnect(self) -> None:
        """A new connection with the same signed-in session, as after the Wi-Fi comes back."""
        self.disconnect()
        self.sio = self._new_socket()
        self.connect()

    def join(self, proposal_id: int) -> dict[str, Any]:
        return self.sio.call("proposal:join", {"proposal_id": proposal_id}, timeout=10)

    def disconnect(self) -> None:
        if self.sio.connected:
            self.sio.disconnect()

    def post(self, path: str, data: dict[str, Any] | None = None) -> requests.Response:
        return self.http.post(
            f"{self.base_url}{path}",
            data=data or {},
            timeout=30,
            headers={"HX-Request": "true", "X-CSRFToken": self.csrf},
        )

    def edit(self, item_id: int, field: str, value: str, base: str) -> requests.Response:
        return self.post(f"/usulan/butir/{item_id}/ubah/{field}", {"value": value, "base": base})

    def get(self, path: str) -> str:
        response = self.http.get(f"{self.base_url}{path}", timeout=30, headers={"HX-Request": "true"})
        response.raise_for_status()
        return response.text

    def received(self, name: str) -> list[Any]:
        with self.lock:
            return [payload for event, payload in self.events if event == name]

    def revisions(self) -> list[int]:
        with self.lock:
            return [change["revision"] for change in self.changes]

    def wait_for_revision(self, revision: int, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if revision in self.revisions():
                return True
            time.sleep(0.02)
        return False


def wait_until(condition, timeout: float = 10.0) -> bool:
    """Poll a condition (a functional bound for live delivery, not a benchmark)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False
