"""Before a server listens beyond this machine: no account may still have the published demo
password (docs/deploy.md, docs/security.md).

`make run` serves the demo on 127.0.0.1, where only this laptop reaches it. Listening on the hotel's
network (`SINERGI_HOST=0.0.0.0`) with the demo's accounts would hand its 65 accounts, organisers
included, to anyone who read the README. `python app.py` then refuses to start and says how to go
on: a real rakor from `flask create-event`, or a LAN demo on purpose (`SINERGI_LAN_DEMO=1`), whose
demo accounts get new random passwords, printed once.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from werkzeug.security import check_password_hash, generate_password_hash

from workspace.core.uow import write_transaction
from workspace.extensions import db
from workspace.models import Membership, Role, User
from workspace.services.accounts import PUBLISHED_DEMO_PASSWORD, end_all_logins_of, record_person_audit

# Readable on a printed list: no 0/O, 1/l/I.
PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def is_loopback(host: str) -> bool:
    """Only this machine can reach a server listening on `host`."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:  # a host name: it may resolve to anything
        return False


def accounts_with_published_password() -> list[str]:
    """Usernames whose password is still the published demo one (each distinct hash checked once:
    the demo's accounts share one)."""
    rows = db.session.execute(
        sa.select(User.username, User.password_hash).where(User.has_demo_password.is_(True)).order_by(User.username)
    ).all()
    verdicts: dict[str, bool] = {}
    found = []
    for username, password_hash in rows:
        if not password_hash:
            continue
        if password_hash not in verdicts:
            verdicts[password_hash] = check_password_hash(password_hash, PUBLISHED_DEMO_PASSWORD)
        if verdicts[password_hash]:
            found.append(username)
    return found


@dataclass(frozen=True)
class NewLogin:
    username: str
    name: str
    password: str


def _new_password() -> str:
    raw = "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(12))
    return "-".join(raw[i : i + 4] for i in range(0, 12, 4))


def replace_demo_passwords() -> list[NewLogin]:
    """Every account still on the published demo password gets its own new random password (its
    sign-ins end); one unit of work, audited. Returns the new logins, to be printed once."""
    usernames = accounts_with_published_password()
    planned = [(username, _new_password()) for username in usernames]
    hashes = {username: generate_password_hash(password) for username, password in planned}  # slow: outside the lock
    logins: list[NewLogin] = []
    with write_transaction():
        for username, password in planned:
            user = db.session.scalar(sa.select(User).where(User.username == username))
            if user is None:
                continue
            user.password_hash = hashes[username]
            user.has_demo_password = False
            end_all_logins_of(user.id)
            replaced = "LAN demo: the published demo password was replaced"
            record_person_audit(None, user, "person.password_reset", replaced)
            logins.append(NewLogin(username=user.username, name=user.name, password=password))
    return logins


@dataclass(frozen=True)
class StartVerdict:
    refusal: str | None = None  # why the server must not start (printed, exit status 1)
    notice: str | None = None  # what to print before serving


def check_before_listening(app: Flask, host: str) -> StartVerdict:
    """The start-up check of `python app.py`: on loopback anything goes; beyond it, demo passwords
    stop the start, or are replaced when the LAN demo is on purpose."""
    if is_loopback(host):
        return StartVerdict()
    with app.app_context():
        published = accounts_with_published_password()
        if not published:
            return StartVerdict()
        if not app.config.get("SINERGI_LAN_DEMO"):
            return StartVerdict(refusal=_refusal(host, published, _organisers_among(published)))
        logins = replace_demo_passwords()
        db.session.remove()
    saved = _save_logins(Path(app.instance_path), logins)
    return StartVerdict(notice=_lan_demo_notice(logins, saved))


def _organisers_among(usernames: list[str]) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(User.username)
            .join(Membership, Membership.user_id == User.id)
            .where(User.username.in_(usernames), Membership.role == Role.ORGANISER)
            .distinct()
            .order_by(User.username)
        )
    )


def _refusal(host: str, published: list[str], organisers: list[str]) -> str:
    as_organiser = f", {len(organisers)} of them organisers ({', '.join(organisers[:5])})" if organisers else ""
    return (
        f"Sinergi will not listen on {host}: {len(published)} accounts{as_organiser} still have the published "
        f"demo password; anyone on this network could sign in with them.\n"
        "  For a real rakor: start from an empty database and create the event and its first organiser with\n"
        "    .venv/bin/flask --app 'workspace:create_app()' create-event --help   (docs/deploy.md)\n"
        "  For a demo on this network on purpose: start with SINERGI_LAN_DEMO=1; every demo account then gets\n"
        "  a new random password, printed once (and saved in instance/lan-demo-logins.txt).\n"
        "  Only this laptop: leave SINERGI_HOST unset (127.0.0.1), as `make run` does."
    )


def _save_logins(instance_path: Path, logins: list[NewLogin]) -> Path:
    target = instance_path / "lan-demo-logins.txt"
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write("".join(f"{login.username}\t{login.password}\t{login.name}\n" for login in logins))
    return target


def _lan_demo_notice(logins: list[NewLogin], saved: Path) -> str:
    lines = [f"LAN demo: {len(logins)} demo accounts have new passwords (also in {saved}, readable by you only):"]
    lines += [f"  {login.username:<26} {login.password}" for login in logins]
    return "\n".join(lines)
