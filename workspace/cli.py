"""`flask` commands: init-db, create-event, create-user, import-catalog, backup, seed-demo,
monev-reminders
(DESIGN.md section 4; a real deployment: docs/deploy.md)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import NoReturn

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask_migrate import upgrade

from workspace.core.errors import ValidationFailed
from workspace.extensions import db
from workspace.models import Agency, Event, Role, User
from workspace.services import accounts, demo, onboarding, reminders
from workspace.services.backup import backup_sqlite


def register(app: Flask) -> None:
    app.cli.add_command(init_db)
    app.cli.add_command(seed_demo)
    app.cli.add_command(import_catalog)
    app.cli.add_command(create_user)
    app.cli.add_command(create_event)
    app.cli.add_command(load_reference_data)
    app.cli.add_command(reset_password)
    app.cli.add_command(backup)
    app.cli.add_command(monev_reminders)


@click.command("init-db")
def init_db() -> None:
    """Create or upgrade the database schema through the migrations."""
    upgrade()
    click.echo("Database schema is up to date.")


@click.command("seed-demo")
def seed_demo() -> None:
    """Create the demo rakor on the first run (a later run changes nothing) and print its logins."""
    report = demo.seed_demo()
    state = "created" if report.created else "already present, left as it is"
    click.echo(
        f"Demo rakor {state}: {report.event.title}\n"
        f"  {report.agencies} perangkat daerah, {report.people} orang, {report.proposals} usulan"
    )
    logins = [login for login in demo.DEMO_LOGINS if login.username in report.with_demo_password]
    if logins:
        click.echo(f"Demo logins (password for all: {demo.DEMO_PASSWORD}):")
        for login in logins:
            click.echo(f"  {login.username:<16} {login.role.value:<12} {login.description}")
    else:
        click.echo("The demo accounts no longer have the published demo password.")


@click.command("load-reference-data")
def load_reference_data() -> None:
    """Import the bundled nomenclature (nomenklatur-8.01.csv) and the eight presidential directions;
    entries already there are updated, nothing is removed."""
    demo.load_reference_data()
    click.echo("Reference data loaded: the nomenclature and the eight Amanat Presiden.")


@click.command("import-catalog")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_catalog(csv_file: Path) -> None:
    """Import the nomenclature from CSV (format of nomenklatur-8.01.csv). All or nothing; audited in
    every event (they all share it)."""
    result = onboarding.audit.import_catalog(None, csv_file.read_bytes(), csv_file.name)
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
@click.option(
    "--platform-admin", is_flag=True, help="May create events and import the nomenclature (the screen /platform)."
)
@click.password_option()
def create_user(
    username: str,
    name: str,
    position: str,
    agency_name: str | None,
    event_slug: str | None,
    roles: tuple[str, ...],
    platform_admin: bool,
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
            platform_admin=platform_admin,
        )
    except ValidationFailed as failure:
        _refused(failure)
    admin = " — platform administrator" if platform_admin else ""
    click.echo(f"Created {user.username} ({user.name}){admin}.")


def _refused(failure: ValidationFailed) -> NoReturn:
    for field, message in failure.errors.items():
        click.echo(f"{field}: {message}", err=True)
    raise SystemExit(1) from None


@click.command("reset-password")
@click.option("--username", required=True)
@click.password_option()
def reset_password(username: str, password: str) -> None:
    """Set a person's password on the server (an organiser's too): their sign-ins end; audited."""
    try:
        user = accounts.reset_password(accounts.normalise_username(username), password)
    except ValidationFailed as failure:
        _refused(failure)
    click.echo(f"New password set for {user.username} ({user.name}); their sign-ins have ended.")


@click.command("create-event")
@click.option("--slug", required=True, help="Short name for addresses and files, e.g. rakor-kesbangpol-2025.")
@click.option("--title", required=True)
@click.option("--starts-on", required=True, help="YYYY-MM-DD")
@click.option("--ends-on", required=True, help="YYYY-MM-DD")
@click.option("--plan-year", required=True, help="The year the plans are for, e.g. 2026.")
@click.option("--venue", default="")
@click.option("--city", default="")
@click.option("--theme", default="")
@click.option("--organiser", "organiser_username", required=True, help="Username of the first organiser.")
@click.option("--organiser-name", default="", help="Full name, when that account does not exist yet.")
@click.option("--password", default=None, help="The new organiser's password (asked for when not given).")
def create_event(
    slug: str,
    title: str,
    starts_on: str,
    ends_on: str,
    plan_year: str,
    venue: str,
    city: str,
    theme: str,
    organiser_username: str,
    organiser_name: str,
    password: str | None,
) -> None:
    """Create an event and its first organiser: a real rakor, without the demo."""
    username = accounts.normalise_username(organiser_username)
    is_new = db.session.scalar(sa.select(User.id).where(User.username == username)) is None
    if is_new and password is None:
        password = click.prompt(f"Password for the new organiser {username}", hide_input=True, confirmation_prompt=True)
    form = {
        "slug": slug,
        "title": title,
        "starts_on": starts_on,
        "ends_on": ends_on,
        "plan_year": plan_year,
        "venue": venue,
        "city": city,
        "theme": theme,
    }
    try:
        created = onboarding.create_event(None, form, username, organiser_name, password if is_new else None)
    except ValidationFailed as failure:
        _refused(failure)
    account = "new account" if created.new_account else "existing account"
    click.echo(f"Created the event {created.event.title} ({created.event.slug}), id {created.event.id}.")
    click.echo(f"First organiser: {created.organiser.username} ({account}). Sign in at /masuk, then add the")
    click.echo("agencies and people in the event's Administrasi pages, or import the participant list.")


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


@click.command("monev-reminders")
def monev_reminders() -> None:
    """Remind the agencies of the quarters due within three days that are empty or returned (the
    serving process does this every hour; this is for a cron job where it does not run)."""
    count = reminders.send_all_reminders()
    click.echo(f"Reminders sent for {count} proposal quarter(s).")
