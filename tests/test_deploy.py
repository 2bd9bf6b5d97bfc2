"""Deployment pieces: the gunicorn command of deploy/, /healthz, flask backup while serving."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
from flask import Flask

from tests.databases import query
from tests.live_clients import LiveClient, cell_values
from tests.servers import PROJECT_ROOT, free_port
from workspace.services.demo import DEMO_PASSWORD

GUNICORN = Path(sys.executable).parent / "gunicorn"


@pytest.mark.server
@pytest.mark.parametrize("async_mode", ["eventlet", "gevent"])
def test_the_gunicorn_command_serves_pages_and_sockets(tmp_path: Path, live_database: str, async_mode: str) -> None:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": live_database,
        "SINERGI_INSTANCE_PATH": str(tmp_path),
        "SECRET_KEY": "deploy-test",
        "SINERGI_ASYNC": async_mode,
        "GUNICORN": str(GUNICORN),
        "SINERGI_GRACEFUL_TIMEOUT": "2",  # the test stops it at once; production waits 20 s
    }
    env.pop("SOCKETIO_MESSAGE_QUEUE", None)
    log = (tmp_path / "gunicorn.log").open("w")
    process = subprocess.Popen(
        ["bash", str(PROJECT_ROOT / "deploy/gunicorn.sh"), str(port)],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                health = requests.get(f"{url}/healthz", timeout=2)
                break
            except requests.RequestException:
                time.sleep(0.2)
        else:
            pytest.fail("gunicorn did not start:\n" + (tmp_path / "gunicorn.log").read_text())
        assert health.status_code == 200
        assert health.json() == {"status": "ok", "database": "ok", "message_queue": "not-configured"}
        client = LiveClient(url, "peserta.sambas", DEMO_PASSWORD)
        client.connect()
        proposal_id = int(client.get("/rakor/1").split('href="/usulan/')[1].split('"')[0])
        assert client.join(proposal_id)["ok"]
        assert client.sio.transport() == "websocket"
        client.disconnect()
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_healthz_is_503_without_details_when_the_database_is_down(tmp_path: Path) -> None:
    from tests.conftest import app_config
    from workspace import create_app

    broken = create_app(app_config(tmp_path, "postgresql://nobody:secret@127.0.0.1:1/none"))
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {
        "status": "unavailable",
        "database": "unavailable",
        "message_queue": "not-configured",
    }
    assert "secret" not in response.get_data(as_text=True)


def test_healthz_reports_an_unreachable_message_queue(tmp_path: Path) -> None:
    from tests.conftest import app_config
    from workspace import create_app

    config = app_config(tmp_path, f"sqlite:///{tmp_path / 'h.sqlite3'}")
    config["SOCKETIO_MESSAGE_QUEUE"] = None
    app = create_app(config)
    app.config["SOCKETIO_MESSAGE_QUEUE"] = "redis://127.0.0.1:1/0"
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["message_queue"] == "unavailable"


@pytest.fixture
def sqlite_server(tmp_path: Path):
    """`flask backup` is for the embedded SQLite set-up, whatever engine the rest of the run uses."""
    from flask_migrate import upgrade

    from tests.conftest import app_config
    from tests.servers import start_server
    from workspace import create_app
    from workspace.extensions import db
    from workspace.services.demo import seed_demo

    live_database = f"sqlite:///{tmp_path / 'live.sqlite3'}"
    app = create_app(app_config(tmp_path, live_database))
    with app.app_context():
        upgrade()
        seed_demo()
        db.session.remove()
        db.engine.dispose()
    server = start_server(tmp_path, live_database)
    yield server, live_database
    server.stop()


@pytest.mark.server
def test_flask_backup_while_the_app_runs_and_restore(tmp_path: Path, sqlite_server) -> None:
    live_server, live_database = sqlite_server
    client = LiveClient(live_server.url, "peserta.sambas", DEMO_PASSWORD)
    proposal_id = int(client.get("/rakor/1").split('href="/usulan/')[1].split('"')[0])
    tree = cell_values(client.get(f"/usulan/{proposal_id}/pohon"))
    item = sorted({key[0] for key in tree if key[1] == "location"})[0]  # a sub kegiatan
    assert client.edit(item, "location", "Dicadangkan di Paloh", tree[(item, "location")]).status_code == 200

    target = tmp_path / "backup.sqlite3"
    env = {**os.environ, "DATABASE_URL": live_database, "SINERGI_INSTANCE_PATH": str(tmp_path)}

    def flask_backup() -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "flask", "--app", "workspace:create_app()", "backup", str(target)],
            cwd=PROJECT_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    result = flask_backup()
    assert result.returncode == 0, result.stderr
    assert "Backup written" in result.stdout
    again = flask_backup()
    assert again.returncode != 0 and "exists already" in again.stderr

    # Restore: serve the backup as the database and find the edit.
    restored = query(f"sqlite:///{target}", "SELECT location FROM proposal_item WHERE id = :id", {"id": item})
    assert restored == [("Dicadangkan di Paloh",)]
    from tests.conftest import app_config
    from workspace import create_app
    from workspace.extensions import db
    from workspace.models import ProposalItem

    restored_app: Flask = create_app(app_config(tmp_path / "restored", f"sqlite:///{target}"))
    with restored_app.app_context():
        assert (
            db.session.scalar(sa.select(ProposalItem.location).where(ProposalItem.id == item)) == "Dicadangkan di Paloh"
        )
        db.engine.dispose()
