"""Read side of accounts: who a password or a sign-in cookie names, which sign-ins still go."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash

from workspace.extensions import db
from workspace.models import LoginSession, User
from workspace.models.base import utcnow

# Checked when the username is unknown, so a wrong username costs as long as a wrong password.
_DUMMY_HASH = generate_password_hash("sinergi-dummy-password")


def authenticate(username: str, password: str) -> User | None:
    user = db.session.scalar(sa.select(User).where(User.username == username.strip().lower()))
    if user is None or not user.password_hash:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    return user


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def still_going(now: datetime) -> list[sa.ColumnElement[bool]]:
    """The conditions of a sign-in that still works: not ended, not past its own end (a join
    code's sign-in: its event's end), not idle longer than SESSION_IDLE_HOURS, and not older than
    SIGN_IN_MAX_DAYS (however often used)."""
    idle = timedelta(hours=float(current_app.config.get("SESSION_IDLE_HOURS", 12)))
    oldest = timedelta(days=float(current_app.config.get("SIGN_IN_MAX_DAYS", 30)))
    return [
        LoginSession.ended_at.is_(None),
        sa.or_(LoginSession.expires_at.is_(None), LoginSession.expires_at > now),
        sa.func.coalesce(LoginSession.last_seen_at, LoginSession.created_at) > now - idle,
        LoginSession.created_at > now - oldest,
    ]


def user_of_login(session_user_id: str) -> User | None:
    """The user a session cookie names (`<id>.<token>`), if that sign-in is still going and the
    account active; None otherwise (an ended, expired or idle sign-in, a forged or an old-style
    cookie)."""
    user_id, _dot, token = session_user_id.partition(".")
    if not (user_id.isascii() and user_id.isdigit() and len(user_id) <= 15) or not token or len(token) > 100:
        return None
    row = db.session.execute(
        sa.select(User, LoginSession.last_seen_at)
        .join(LoginSession, LoginSession.user_id == User.id)
        .where(User.id == int(user_id), LoginSession.token_hash == token_hash(token), *still_going(utcnow()))
    ).first()
    if row is None:
        return None
    user, last_seen = row
    user.login_token = token
    user.login_last_seen = last_seen
    return user


def active_logins(tokens: list[str]) -> set[str]:
    """Which of these sign-in tokens are still going (the socket sweeper asks)."""
    if not tokens:
        return set()
    by_hash = {token_hash(token): token for token in tokens}
    rows = db.session.scalars(
        sa.select(LoginSession.token_hash).where(LoginSession.token_hash.in_(list(by_hash)), *still_going(utcnow()))
    )
    return {by_hash[row] for row in rows}
