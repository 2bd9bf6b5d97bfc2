"""What one write costs the server: SQL statements and template renders, per kind of write.

    .venv/bin/python bench/edit_cost.py            # SQLite
    .venv/bin/python bench/edit_cost.py --database-url postgresql://postgres@127.0.0.1/test

In-process (Flask's test client and Flask-SocketIO's test client, threading mode): a participant
and a reviewer have the proposal open (two sockets in its room), then the participant makes each
kind of write through the real HTTP route. Counted from the request's first byte to its last,
broadcast included: the statements the database driver executes and the templates rendered (a
fragment template and the partials it includes count separately; `fragments` is the number of
fragment ids the publisher rendered). Prints a table, or JSON with `--json`.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask, template_rendered
from support import machine_description, print_table

from tests.conftest import app_config, csrf_token_of, login
from tests.factories import build_world
from workspace import create_app
from workspace.config import normalise_database_url
from workspace.core.item_fields import FIELDS
from workspace.extensions import db, socketio
from workspace.fragments import registry
from workspace.models import ItemLevel, ProposalItem
from workspace.realtime import publish


@contextmanager
def fresh_app(database_url: str | None) -> Iterator[Flask]:
    from flask_migrate import upgrade

    with tempfile.TemporaryDirectory(prefix="sinergi-cost-") as folder:
        if database_url:
            database_url = normalise_database_url(database_url)
            admin = sa.create_engine(database_url, isolation_level="AUTOCOMMIT")
            name = f"sinergi_cost_{uuid.uuid4().hex[:8]}"
            with admin.connect() as connection:
                connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
            url = database_url.rsplit("/", 1)[0] + f"/{name}"
        else:
            url = f"sqlite:///{folder}/cost.sqlite3"
        app = create_app(app_config(Path(folder), url))
        try:
            with app.app_context():
                upgrade()
            yield app
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
            if database_url:
                with admin.connect() as connection:
                    connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()


class Counter:
    def __init__(self, app: Flask) -> None:
        self.app = app
        self.statements = 0
        self.templates: list[str] = []
        self.fragments: list[str] = []

    def _statement(self, *_args: Any) -> None:
        self.statements += 1

    def _template(self, _app: Flask, template: Any, **_extra: Any) -> None:
        self.templates.append(template.name)

    @contextmanager
    def counting(self) -> Iterator[None]:
        with self.app.app_context():
            engine = db.engine
        original = publish.render

        def render(fragment_id: str, memo: registry.Memo | None = None) -> Any:
            self.fragments.append(fragment_id)
            return original(fragment_id, memo)

        self.statements, self.templates, self.fragments = 0, [], []
        sa.event.listen(engine, "before_cursor_execute", self._statement)
        template_rendered.connect(self._template, self.app)
        publish.render = render  # type: ignore[assignment]
        try:
            yield
        finally:
            publish.render = original  # type: ignore[assignment]
            template_rendered.disconnect(self._template, self.app)
            sa.event.remove(engine, "before_cursor_execute", self._statement)


def measure(app: Flask) -> list[dict[str, Any]]:
    with app.app_context():
        world = build_world()
        proposal_id = world.proposal.id
        items = list(
            db.session.scalars(
                sa.select(ProposalItem)
                .where(ProposalItem.proposal_id == proposal_id, ProposalItem.level == ItemLevel.SUBKEGIATAN)
                .order_by(ProposalItem.id)
            )
        )
        item = items[0]
        item_id, parent_id = item.id, item.parent_id
        bases = {field: FIELDS[field].to_text(item) for field in ("target", "budget")}
        participant, reviewer = world.participant.username, world.reviewer.username
    writer, watcher = app.test_client(), app.test_client()
    login(writer, participant)
    login(watcher, reviewer)
    sockets = [socketio.test_client(app, flask_test_client=client) for client in (writer, watcher)]
    for socket in sockets:
        socket.emit("proposal:join", {"proposal_id": proposal_id}, callback=True)
    token = csrf_token_of(writer, "/")
    headers = {"HX-Request": "true", "X-CSRFToken": token}
    counter = Counter(app)
    writes: list[tuple[str, str, dict[str, str]]] = [
        ("field edit (target)", f"/usulan/butir/{item_id}/ubah/target", {"value": "42", "base": bases["target"]}),
        (
            "money edit (budget)",
            f"/usulan/butir/{item_id}/ubah/budget",
            {"value": "123.000.000", "base": bases["budget"]},
        ),
        (
            "add item",
            f"/usulan/{proposal_id}/butir",
            {"parent": str(parent_id), "name": "Sub kegiatan uji", "code": ""},
        ),
        (
            "comment",
            f"/usulan/{proposal_id}/komentar",
            {"body": "Mohon dicek lagi targetnya.", "item": str(item_id), "field": "target"},
        ),
    ]
    rows = []
    for label, path, data in writes:
        with counter.counting():
            response = writer.post(path, data=data, headers=headers)
        rows.append(
            {
                "write": label,
                "status": response.status_code,
                "statements": counter.statements,
                "templates": len(counter.templates),
                "fragments": len(counter.fragments),
                "rendered twice": len(counter.fragments) - len(set(counter.fragments)),
            }
        )
    for socket in sockets:
        socket.disconnect()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--json", action="store_true")
    options = parser.parse_args()
    with fresh_app(options.database_url) as app:
        rows = measure(app)
    report: dict[str, Callable[..., Any] | Any] = {
        "bench": "edit_cost",
        "machine": machine_description(),
        "database": "postgresql" if options.database_url else "sqlite",
        "results": rows,
    }
    if options.json:
        json.dump(report, sys.stdout, indent=2)
        return
    print(f"{report['machine']}, {report['database']}")
    print_table(rows)


if __name__ == "__main__":
    main()
