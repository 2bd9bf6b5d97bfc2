"""Accounts: authentication and creating people with their roles."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from werkzeug.security import check_password_hash, generate_password_hash

from workspace.extensions import db
from workspace.models import Agency, Event, LoginSession, Membership, Role, User
from workspace.models.base import utcnow
from workspace.services.errors import ValidationFailed

# Checked when the username is unknown, so a wrong username costs as long as a wrong password.
_DUMMY_HASH = generate_password_hash("sinergi-dummy-password")

MIN_PASSWORD_LENGTH = 8


def authenticate(username: str, password: str) -> User | None:
    user = db.session.scalar(sa.select(User).where(User.username == username.strip().lower()))
    if user is None or not user.password_hash:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    return user


def normalise_username(username: str) -> str:
    return username.strip().lower()


def create_user(
    *,
    username: str,
    name: str,
    password: str,
    position: str = "",
    agency: Agency | None = None,
    event: Event | None = None,
    roles: tuple[Role, ...] = (),
) -> User:
    """Create a person (and their roles in an event); raises ValidationFailed, stores nothing then."""
    errors: dict[str, str] = {}
    username = normalise_username(username)
    if not username or len(username) > 80 or not all(c.isalnum() or c in "._-" for c in username):
        errors["username"] = _("Username: 1–80 characters, letters, digits, dot, underscore or hyphen.")
    elif db.session.scalar(sa.select(User.id).where(User.username == username)) is not None:
        errors["username"] = _("The username %(username)s is already taken.", username=username)
    if not name.strip() or len(name) > 120:
        errors["name"] = _("Name is required, at most 120 characters.")
    if len(password) < MIN_PASSWORD_LENGTH:
        errors["password"] = _("Password: at least %(min)d characters.", min=MIN_PASSWORD_LENGTH)
    if roles and event is None:
        errors["event"] = _("Roles need an event.")
    if errors:
        raise ValidationFailed(errors)
    user = User(username=username, name=name.strip(), position=position.strip(), agency=agency)
    user.set_password(password)
    db.session.add(user)
    for role in roles:
        db.session.add(Membership(event=event, user=user, role=role))
    db.session.commit()
    return user


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start_login(user: User, user_agent: str = "", expires_at: datetime | None = None) -> str:
    """Record a sign-in and return its token (carried by the session cookie, stored hashed)."""
    token = secrets.token_urlsafe(32)
    db.session.add(
        LoginSession(user_id=user.id, token_hash=_token_hash(token), user_agent=user_agent[:200], expires_at=expires_at)
    )
    db.session.commit()
    user.login_token = token
    return token


def end_login(token: str | None) -> None:
    """Signing out: the sign-in stops working everywhere its cookies went, sockets included."""
    if not token:
        return
    db.session.execute(
        sa.update(LoginSession)
        .where(LoginSession.token_hash == _token_hash(token), LoginSession.ended_at.is_(None))
        .values(ended_at=utcnow())
    )
    db.session.commit()


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
            LoginSession.token_hash == _token_hash(token),
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
    by_hash = {_token_hash(token): token for token in tokens}
    rows = db.session.scalars(
        sa.select(LoginSession.token_hash).where(
            LoginSession.token_hash.in_(list(by_hash)),
            LoginSession.ended_at.is_(None),
            sa.or_(LoginSession.expires_at.is_(None), LoginSession.expires_at > utcnow()),
        )
    )
    return {by_hash[row] for row in rows}


def keep_login(token: str | None) -> None:
    """The person set a password: their code sign-in no longer ends with the event."""
    if token:
        db.session.execute(
            sa.update(LoginSession).where(LoginSession.token_hash == _token_hash(token)).values(expires_at=None)
        )
        db.session.commit()


def end_other_logins(user_id: int, keep_token: str | None) -> None:
    """A new password: every other sign-in of the person ends (a lost card's, a borrowed laptop's)."""
    condition = [LoginSession.user_id == user_id, LoginSession.ended_at.is_(None)]
    if keep_token:
        condition.append(LoginSession.token_hash != _token_hash(keep_token))
    db.session.execute(sa.update(LoginSession).where(*condition).values(ended_at=utcnow()))
    db.session.commit()
    from workspace.realtime.handlers import disconnect_user

    disconnect_user(user_id, keep=keep_token)
