"""`flask` commands: init-db, seed-demo, import-catalog, create-user (DESIGN.md section 4)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask_migrate import upgrade

from workspace.core.errors import ValidationFailed
from workspace.extensions import db
from workspace.models import Agency, Event, Role
from workspace.services import accounts, catalog, demo
from workspace.services.backup import backup_sqlite


def register(app: Flask) -> None:
    app.cli.add_command(init_db)
    app.cli.add_command(seed_demo)
    app.cli.add_command(import_catalog)
    app.cli.add_command(create_user)
    app.cli.add_command(backup)


@click.command("init-db")
def init_db() -> None:
    """Create or upgrade the database schema through the migrations."""
    upgrade()
    click.echo("Database schema is up to date.")


@click.command("seed-demo")
def seed_demo() -> None:
    """Load the demo rakor (idempotent) and print the demo logins."""
    report = demo.seed_demo()
    click.echo(
        f"Demo rakor ready: {report.event.title}\n"
        f"  {report.agencies} perangkat daerah, {report.people} orang, {report.proposals} usulan"
    )
    click.echo(f"Demo logins (password for all: {demo.DEMO_PASSWORD}):")
    for login in demo.DEMO_LOGINS:
        click.echo(f"  {login.username:<16} {login.role.value:<12} {login.description}")


@click.command("import-catalog")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_catalog(csv_file: Path) -> None:
    """Import the nomenclature from CSV (format of nomenklatur-8.01.csv). All or nothing."""
    result = catalog.import_catalog(csv_file.read_bytes())
    if not result.ok:
        click.echo(f"{csv_file}: rejected, nothing was imported.", err=True)
        for error in result.errors:
            click.echo(f"  {error}", err=True)
        raise SystemExit(1)
    click.echo(f"Catalogue imported: {result.created} new, {result.updated} updated, {result.unchanged} unchanged.")


@click.command("create-user")
@click.option("--username", required=True)
@click.option("--name", required=True)
@click.option("--position", default="")
@click.option("--agency", "agency_name", default=None, help="Full or short name of the agency.")
@click.option("--event", "event_slug", default=None, help="Slug of the event for --role.")
@click.option("--role", "roles", multiple=True, type=click.Choice([r.value for r in Role]))
@click.password_option()
def create_user(
    username: str,
    name: str,
    position: str,
    agency_name: str | None,
    event_slug: str | None,
    roles: tuple[str, ...],
    password: str,
) -> None:
    """Create a person for a real deployment, with roles in an event."""
    agency = None
    if agency_name:
        agency = db.session.scalar(
            sa.select(Agency).where(sa.or_(Agency.name == agency_name, Agency.short_name == agency_name))
        )
        if agency is None:
            raise click.BadParameter(f"no agency named {agency_name!r}", param_hint="--agency")
    event = None
    if event_slug:
        event = db.session.scalar(sa.select(Event).where(Event.slug == event_slug))
        if event is None:
            raise click.BadParameter(f"no event with slug {event_slug!r}", param_hint="--event")
    try:
        user = accounts.create_user(
            username=username,
            name=name,
            password=password,
            position=position,
            agency=agency,
            event=event,
            roles=tuple(Role(r) for r in roles),
        )
    except ValidationFailed as failure:
        for field, message in failure.errors.items():
            click.echo(f"{field}: {message}", err=True)
        raise SystemExit(1) from None
    click.echo(f"Created {user.username} ({user.name}).")


@click.command("backup")
@click.argument("target", required=False, type=click.Path(dir_okay=False, path_type=Path))
def backup(target: Path | None) -> None:
    """Write a consistent copy of the SQLite database, safe while the app runs (online backup API).

    For PostgreSQL use pg_dump (see docs/deploy.md).
    """
    if db.engine.dialect.name != "sqlite":
        raise click.ClickException("flask backup copies SQLite databases; for PostgreSQL use pg_dump (docs/deploy.md)")
    source = Path(db.engine.url.database or "")
    if target is None:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        target = Path(current_app.instance_path) / "backups" / f"sinergi-{stamp}.sqlite3"
    if target.exists():
        raise click.ClickException(f"{target} exists already; choose another name")
    backup_sqlite(source, target)
    click.echo(f"Backup written to {target}")
