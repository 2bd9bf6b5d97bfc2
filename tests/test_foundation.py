"""Skeleton guarantees: migrations match the models, SQLite settings, secret key, translations, vendoring."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from babel.messages.pofile import read_po
from flask import Flask

from workspace.config import load_or_create_secret_key
from workspace.extensions import db

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def test_migrations_from_empty_produce_the_models_schema(app: Flask) -> None:
    """The `app` database was built by `flask db upgrade` alone: it must equal the models."""
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"render_as_batch": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_migration_head_is_applied(app: Flask) -> None:
    with db.engine.connect() as connection:
        version = connection.execute(sa.text("select version_num from alembic_version")).scalar_one()
    heads = [p.stem.split("_")[0] for p in (PROJECT_ROOT / "migrations" / "versions").glob("*.py")]
    assert version in heads


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(tmp_path: Path) -> None:
    from tests.conftest import app_config
    from workspace import create_app

    sqlite_app = create_app(app_config(tmp_path, f"sqlite:///{tmp_path / 'pragmas.sqlite3'}"))
    with sqlite_app.app_context(), db.engine.connect() as connection:
        assert connection.execute(sa.text("PRAGMA journal_mode")).scalar_one() == "wal"
        assert connection.execute(sa.text("PRAGMA busy_timeout")).scalar_one() >= 5000
        assert connection.execute(sa.text("PRAGMA foreign_keys")).scalar_one() == 1
        db.engine.dispose()


def test_secret_key_is_generated_once_into_instance(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = load_or_create_secret_key(tmp_path)
    assert len(first) >= 64
    assert load_or_create_secret_key(tmp_path) == first
    mode = stat.S_IMODE(os.stat(tmp_path / "secret_key").st_mode)
    assert mode == 0o600
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    assert load_or_create_secret_key(tmp_path) == "from-the-environment"


def extracted_messages() -> set[str]:
    """Every msgid the code and templates use, extracted the way `make translations` does."""
    from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir

    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
    found: set[str] = set()
    for folder, method in (("workspace", "python"), ("templates", "jinja2")):
        method_map = [("**.py", "python")] if method == "python" else [("**.html", "jinja2")]
        for _file, _line, message, _comments, _context in extract_from_dir(
            PROJECT_ROOT / folder, method_map=method_map, keywords=keywords
        ):
            found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_ui_message_has_an_indonesian_translation() -> None:
    with (PROJECT_ROOT / "translations" / "id" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalogue = read_po(handle)
    translated = {
        (m.id if isinstance(m.id, str) else m.id[0])
        for m in catalogue
        if m.id and not m.fuzzy and (m.string if isinstance(m.string, str) else all(m.string))
    }
    missing = sorted(extracted_messages() - translated)
    assert missing == [], "run `make translations` and translate these in translations/id: " + repr(missing)


def test_vendored_front_end_files_have_licences_and_no_cdn() -> None:
    vendor = PROJECT_ROOT / "static" / "vendor"
    for folder in (vendor / "htmx-2.0.11", vendor / "socket.io-client-4.8.1"):
        assert (folder / "LICENSE").is_file()
    for template in (PROJECT_ROOT / "templates").rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert not re.search(r"https?://(cdn|unpkg|cdnjs)", text), template


def test_socketio_client_and_server_speak_the_same_protocol() -> None:
    """socket.io-client 4.x speaks Engine.IO 4 / Socket.IO 5, the protocol of python-socketio 5.x."""
    from importlib.metadata import version

    client_js = (PROJECT_ROOT / "static/vendor/socket.io-client-4.8.1/socket.io.min.js").read_text(encoding="utf-8")
    assert "Socket.IO v4.8.1" in client_js
    assert version("python-socketio").startswith("5.")
    assert version("python-engineio").startswith("4.")


def test_postgresql_is_available_for_the_suite() -> None:
    """Every database test also runs on PostgreSQL when TEST_DATABASE_URL is set (CI sets it)."""
    from tests.conftest import skip_or_fail
    from tests.databases import POSTGRES_URL, postgres_reachable

    if not POSTGRES_URL:
        skip_or_fail("TEST_DATABASE_URL is not set: the suite ran on SQLite only")
    assert postgres_reachable(POSTGRES_URL), f"PostgreSQL at {POSTGRES_URL} does not answer"


def test_nothing_outside_the_entry_points_imports_an_async_server() -> None:
    """eventlet is the default, gevent the alternative: only app.py and wsgi.py may import them."""
    import re

    offenders = [
        str(path.relative_to(PROJECT_ROOT))
        for path in (PROJECT_ROOT / "workspace").rglob("*.py")
        if re.search(r"^\s*(import|from)\s+(eventlet|gevent|psycogreen)\b", path.read_text(encoding="utf-8"), re.M)
    ]
    assert offenders == []


def test_passwords_are_hashed_with_scrypt() -> None:
    from workspace.models import User

    user = User(username="x", name="X")
    user.set_password("kata-sandi-rahasia")
    assert user.password_hash.startswith("scrypt:")
    assert user.check_password("kata-sandi-rahasia") and not user.check_password("salah")
