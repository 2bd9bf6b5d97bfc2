"""Shared fixtures: a real SQLite file per test (copied from a migrated template), factories,
and logged-in HTTP clients. Nothing here monkey-patches the pytest process (DESIGN.md §8)."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient

from tests import databases as databases_module
from tests import factories, servers

PROJECT_ROOT = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() == "true"


def skip_or_fail(reason: str) -> None:
    """Skip with a clear reason on a developer machine; fail in CI, where everything must run."""
    if IN_CI:
        pytest.fail(f"required in CI: {reason}", pytrace=False)
    pytest.skip(reason)


def _compile_translations() -> None:
    """Compile translations/*.po when the .mo is missing or stale (make does it too)."""
    for po_path in (PROJECT_ROOT / "translations").glob("*/LC_MESSAGES/messages.po"):
        mo_path = po_path.with_suffix(".mo")
        if not mo_path.exists() or mo_path.stat().st_mtime < po_path.stat().st_mtime:
            with po_path.open("rb") as po_file:
                catalog = read_po(po_file)
            # Written aside then renamed: parallel workers never read a half-written catalogue.
            partial = mo_path.with_suffix(f".mo.{os.getpid()}")
            with partial.open("wb") as mo_file:
                write_mo(mo_file, catalog)
            os.replace(partial, mo_path)


def app_config(instance_path: Path, database_url: str) -> dict:
    return {
        "INSTANCE_PATH": instance_path,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret-key",
        "TESTING": True,
        "SOCKETIO_ASYNC_MODE": "threading",
        "SOCKETIO_MESSAGE_QUEUE": None,
        # The test client reads what was sent right after an emit: lists at once. The real servers
        # (tests/servers.py) keep the window, tested in test_realtime_server.
        "SINERGI_PRESENCE_WINDOW": 0,
        "RATELIMIT_STORAGE_URI": "memory://",
        "BABEL_DEFAULT_LOCALE": "id",
    }


BACKENDS = ["sqlite"] + (["postgresql"] if databases_module.POSTGRES_URL or IN_CI else [])


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests whose subject does not touch the database engine run on one engine, SQLite (what `make
    run` serves): the browser tests (they check the front end) and those marked `one_engine` (TCP
    connection handling, the start-up refusal of app.py); the gevent server is tested on
    PostgreSQL. Both engines are compared by everything else — the view and service tests, the
    real eventlet server with real Socket.IO clients, the concurrency tests — which keeps the suite
    within CI's 15 minutes on two cores."""
    kept, dropped = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        params = callspec.params if callspec is not None else {}
        on_postgres = params.get("databases") == "postgresql"
        one_engine = item.get_closest_marker("browser") or item.get_closest_marker("one_engine")
        # gevent is the other production server (gunicorn's gevent worker, with PostgreSQL): its
        # real-server tests run there; eventlet, what `make run` serves on SQLite, on both.
        gevent_on_sqlite = params.get("server_async_mode") == "gevent" and params.get("databases") == "sqlite"
        (dropped if (on_postgres and one_engine) or gevent_on_sqlite else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture(scope="session", params=BACKENDS)
def databases(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """The database engine of this part of the run: every database test runs on SQLite, and on
    PostgreSQL too when TEST_DATABASE_URL names a server (always in CI)."""
    if request.param == "sqlite":
        yield databases_module.SqliteDatabases(tmp_path_factory.mktemp("databases"))
        return
    url = databases_module.POSTGRES_URL
    if not url or not databases_module.postgres_reachable(url):
        skip_or_fail(f"PostgreSQL tests need TEST_DATABASE_URL pointing at a running server (got {url!r})")
    postgres = databases_module.PostgresDatabases(url)
    yield postgres
    postgres.drop_all()


@pytest.fixture(scope="session")
def migrated_template(databases, tmp_path_factory: pytest.TempPathFactory) -> str:
    """An empty database built once per run and engine through the real migrations."""
    _compile_translations()
    from flask_migrate import upgrade

    from workspace import create_app
    from workspace.extensions import db

    url = databases.new_empty("template")
    app = create_app(app_config(tmp_path_factory.mktemp("template"), url))
    with app.app_context():
        upgrade()
        db.session.remove()
        db.engine.dispose()
    return url


@pytest.fixture(scope="session")
def demo_template(databases, migrated_template: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database with the demo rakor, seeded once per run and engine."""
    from workspace import create_app
    from workspace.extensions import db
    from workspace.services.demo import seed_demo

    folder = tmp_path_factory.mktemp("demo-template")
    url = databases.clone(migrated_template, folder)
    app = create_app(app_config(folder, url))
    with app.app_context():
        seed_demo()
        db.session.remove()
        db.engine.dispose()
    return url


class FreshGlobalsClient(FlaskClient):
    """A test client whose every request gets its own `g`.

    The test body holds an app context (so factories can use the database), and Flask reuses a
    pushed app context for requests of the same app; without this, `g` (where Flask-Login,
    Flask-WTF and Flask-Babel cache the user, the CSRF token and the locale) would leak from one
    request into the next, which never happens in production.
    """

    def open(self, *args: object, **kwargs: object):  # type: ignore[override]
        from flask.globals import _cv_app

        app_context = _cv_app.get(None)
        if app_context is None:
            return super().open(*args, **kwargs)
        saved_globals = app_context.g
        app_context.g = self.application.app_ctx_globals_class()
        try:
            return super().open(*args, **kwargs)
        finally:
            app_context.g = saved_globals


def _make_app(tmp_path: Path, databases, template: str, hold_context: bool = True) -> Iterator[Flask]:
    from workspace import create_app
    from workspace.extensions import db

    url = databases.clone(template, tmp_path)
    app = create_app(app_config(tmp_path, url))
    app.test_client_class = FreshGlobalsClient
    if hold_context:
        with app.app_context():
            yield app
            db.session.remove()
    else:
        yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    databases.drop(url)


@pytest.fixture
def app(tmp_path: Path, databases, migrated_template: str) -> Iterator[Flask]:
    """An app on an empty (migrated) database; the test runs inside its app context."""
    yield from _make_app(tmp_path, databases, migrated_template)


@pytest.fixture
def demo_app(tmp_path: Path, databases, demo_template: str) -> Iterator[Flask]:
    """An app on a copy of the seeded demo rakor."""
    yield from _make_app(tmp_path, databases, demo_template)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


CSRF_PATTERN = re.compile(r'name="csrf-token" content="([^"]+)"')


def csrf_token_of(client: FlaskClient, path: str = "/masuk") -> str:
    page = client.get(path, follow_redirects=True).get_data(as_text=True)
    match = CSRF_PATTERN.search(page)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login(client: FlaskClient, username: str, password: str = factories.PASSWORD) -> None:
    token = csrf_token_of(client)
    response = client.post("/masuk", data={"username": username, "password": password, "csrf_token": token})
    assert response.status_code == 302, f"login of {username} failed: {response.status_code}"


@pytest.fixture
def login_as(app: Flask) -> Callable[..., FlaskClient]:
    """`login_as(user)` → a new HTTP client signed in as that user."""

    def _login(user: object, password: str = factories.PASSWORD) -> FlaskClient:
        new_client = app.test_client()
        login(new_client, user.username, password)  # type: ignore[attr-defined]
        return new_client

    return _login


@pytest.fixture
def world(app: Flask) -> factories.World:
    """A small event with one person per role, two agencies and a proposal each."""
    return factories.build_world()


@pytest.fixture
def monitoring(world: factories.World) -> factories.World:
    """The small event in its monitoring phase (Monev: realisation, verification, dashboard)."""
    from workspace.extensions import db
    from workspace.models import EventPhase

    world.event.phase = EventPhase.MONITORING
    db.session.commit()
    return world


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The real Redis for the message-queue tests (TEST_REDIS_URL; CI sets it)."""
    url = os.environ.get("TEST_REDIS_URL", "")
    if not url:
        skip_or_fail("Redis tests need TEST_REDIS_URL (e.g. redis://127.0.0.1:6379/0)")
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except Exception as exc:
        skip_or_fail(f"Redis at {url} does not answer: {exc}")
    return url


@pytest.fixture(scope="session")
def postgres_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[object, str]]:
    """PostgreSQL databases and a template with the demo rakor, for the multi-process tests."""
    url = databases_module.POSTGRES_URL
    if not url or not databases_module.postgres_reachable(url):
        skip_or_fail(f"multi-process tests need PostgreSQL: set TEST_DATABASE_URL (got {url!r})")
    from flask_migrate import upgrade

    from workspace import create_app
    from workspace.extensions import db
    from workspace.services.demo import seed_demo

    postgres = databases_module.PostgresDatabases(url)
    template = postgres.new_empty("demo")
    app = create_app(app_config(tmp_path_factory.mktemp("pg-demo"), template))
    with app.app_context():
        upgrade()
        seed_demo()
        db.session.remove()
        db.engine.dispose()
    yield postgres, template
    postgres.drop_all()


@pytest.fixture
def live_database(tmp_path: Path, databases, demo_template: str) -> Iterator[str]:
    """A copy of the demo database for a real server; its URL."""
    url = databases.clone(demo_template, tmp_path)
    yield url
    databases.drop(url)


@pytest.fixture(params=["eventlet", "gevent"])
def server_async_mode(request: pytest.FixtureRequest) -> str:
    """Real-server tests run under both servers: eventlet (the default) and gevent."""
    return request.param


@pytest.fixture
def live_server(tmp_path: Path, live_database: str, server_async_mode: str) -> Iterator[servers.RunningServer]:
    """The real app in a subprocess, as `make run` starts it, on a copy of the demo database."""
    instance = tmp_path / "live-instance"
    instance.mkdir()
    server = servers.start_server(instance, live_database, {"SINERGI_ASYNC": server_async_mode})
    yield server
    server.stop()


@pytest.fixture
def browser_server(tmp_path: Path, live_database: str) -> Iterator[servers.RunningServer]:
    """The real app for browser tests, as `make run` serves it (eventlet). The browser tests check
    the front end; the real-server socket tests run under both eventlet and gevent."""
    instance = tmp_path / "browser-instance"
    instance.mkdir()
    server = servers.start_server(instance, live_database, {"SINERGI_ASYNC": "eventlet"})
    yield server
    server.stop()


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
SCREENSHOTS = PROJECT_ROOT / "test-output" / "screenshots"


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Headless Debian Chromium driven by Playwright (never `playwright install`)."""
    if not CHROMIUM.exists():
        skip_or_fail("browser tests need Debian Chromium at /usr/bin/chromium (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail("browser tests need the playwright package (make test installs it)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def screenshot(page: object, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
    return path


def htmx_post(client: FlaskClient, path: str, data: dict | None = None, token: str | None = None):
    """A POST as htmx sends it: the CSRF token in the X-CSRFToken header (from the page's meta tag)."""
    headers = {"HX-Request": "true"}
    if token is not False:
        headers["X-CSRFToken"] = token or csrf_token_of(client, "/")
    return client.post(path, data=data or {}, headers=headers)


@pytest.fixture
def loose_app(tmp_path: Path, databases, migrated_template: str) -> Iterator[Flask]:
    """An app with no app context held by the test: each socket event and request gets its own,
    as in production (a held context would share `g`, and so the current user, between clients)."""
    yield from _make_app(tmp_path, databases, migrated_template, hold_context=False)


@pytest.fixture
def loose_world(loose_app: Flask) -> factories.World:
    """The small world, built in a short app context and detached: readable anywhere."""
    with loose_app.app_context():
        return factories.detached_world()


@pytest.fixture
def connect(loose_app: Flask) -> Iterator[Callable]:
    """`connect(user)` → (socket test client, HTTP client) sharing one signed-in session."""
    from workspace.extensions import socketio

    opened = []

    def _connect(user: object | None) -> tuple:
        http = loose_app.test_client()
        if user is not None:
            login(http, user.username)  # type: ignore[attr-defined]
        client = socketio.test_client(loose_app, flask_test_client=http)
        opened.append(client)
        return client, http

    yield _connect
    for client in opened:
        if client.is_connected():
            client.disconnect()


@pytest.fixture
def received() -> Iterator[list]:
    """Every batch of changes the `committed` signal of the unit of work hands out during the test."""
    from workspace.core import uow

    batches: list = []

    def listen(_app: Flask, changes: list) -> None:
        batches.append(list(changes))

    uow.committed.connect(listen)
    yield batches
    uow.committed.disconnect(listen)
