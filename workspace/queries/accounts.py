"""Read side of accounts: who a password or a sign-in cookie names, which sign-ins still go."""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
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


def user_of_login(session_user_id: str) -> User | None:
    """The user a session cookie names (`<id>.<token>`), if that sign-in is still going and the
    account active; None otherwise (an ended sign-in, a forged or an old-style cookie)."""
    user_id, _dot, token = session_user_id.partition(".")
    if not user_id.isdigit() or not token or len(token) > 100:
        return None
    user = db.session.scalar(
        sa.select(User)
        .join(LoginSession, LoginSession.user_id == User.id)
        .where(
            User.id == int(user_id),
            LoginSession.token_hash == token_hash(token),
            LoginSession.ended_at.is_(None),
            sa.or_(LoginSession.expires_at.is_(None), LoginSession.expires_at > utcnow()),
        )
    )
    if user is not None:
        user.login_token = token
    return user


def active_logins(tokens: list[str]) -> set[str]:
    """Which of these sign-in tokens are still going (the socket sweeper asks)."""
    if not tokens:
        return set()
    by_hash = {token_hash(token): token for token in tokens}
    rows = db.session.scalars(
        sa.select(LoginSession.token_hash).where(
            LoginSession.token_hash.in_(list(by_hash)),
            LoginSession.ended_at.is_(None),
            sa.or_(LoginSession.expires_at.is_(None), LoginSession.expires_at > utcnow()),
        )
    )
    return {by_hash[row] for row in rows}
