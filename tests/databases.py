"""Test databases on both engines: a real SQLite file, or a real PostgreSQL database.

A template is built once per run through the migrations (and once more with the demo rakor);
each test gets its own copy: a file copied with SQLite's backup API, or a database created from
the template with PostgreSQL's CREATE DATABASE … TEMPLATE.
"""

from __future__ import annotations

import itertools
import os
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import sqlalchemy as sa

from workspace.config import normalise_database_url
from workspace.services.backup import backup_sqlite

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL", "")
_counter = itertools.count(1)


class SqliteDatabases:
    name = "sqlite"

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def new_empty(self, label: str) -> str:
        return f"sqlite:///{self.folder / f'{label}.sqlite3'}"

    def clone(self, template_url: str, folder: Path) -> str:
        source = Path(template_url.removeprefix("sqlite:///"))
        target = folder / f"sinergi-{next(_counter)}.sqlite3"
        backup_sqlite(source, target)
        return f"sqlite:///{target}"

    def drop(self, url: str) -> None:
        """Files live in pytest's temporary folders."""


class PostgresDatabases:
    name = "postgresql"

    def __init__(self, server_url: str) -> None:
        self.server_url = normalise_database_url(server_url)
        self.prefix = f"{urlsplit(self.server_url).path.lstrip('/') or 'sinergi'}_{uuid.uuid4().hex[:6]}"
        self.admin = sa.create_engine(self.server_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)

    def _url_for(self, database: str) -> str:
        parts = urlsplit(self.server_url)
        return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, parts.fragment))

    def new_empty(self, label: str) -> str:
        database = f"{self.prefix}_{label}"
        with self.admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
            connection.execute(sa.text(f'CREATE DATABASE "{database}"'))
        return self._url_for(database)

    def clone(self, template_url: str, folder: Path) -> str:
        template = urlsplit(template_url).path.lstrip("/")
        database = f"{self.prefix}_t{next(_counter)}"
        with self.admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{database}" TEMPLATE "{template}"'))
        return self._url_for(database)

    def drop(self, url: str) -> None:
        database = urlsplit(url).path.lstrip("/")
        with self.admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))

    def drop_all(self) -> None:
        with self.admin.connect() as connection:
            names = connection.execute(
                sa.text("SELECT datname FROM pg_database WHERE datname LIKE :prefix"), {"prefix": f"{self.prefix}%"}
            ).scalars()
            for name in list(names):
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.admin.dispose()


def postgres_reachable(url: str) -> bool:
    try:
        engine = sa.create_engine(normalise_database_url(url), poolclass=sa.pool.NullPool)
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
        engine.dispose()
        return True
    except Exception:
        return False


def query(database_url: str, sql: str, params: dict | None = None) -> list[tuple]:
    """Read a test database directly (not through the app under test)."""
    engine = sa.create_engine(normalise_database_url(database_url), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(sa.text(sql), params or {})]
    finally:
        engine.dispose()
