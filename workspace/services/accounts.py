"""Accounts: authentication and creating people with their roles."""

from __future__ import annotations

import secrets
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from workspace.core.changes import SignInsEnded
from workspace.core.errors import ValidationFailed
from workspace.core.uow import record, write_transaction
from workspace.extensions import db
from workspace.models import Agency, Event, LoginSession, Membership, Role, User
from workspace.models.base import utcnow
from workspace.queries.accounts import authenticate, token_hash  # noqa: F401  (authenticate: the sign-in form's)

MIN_PASSWORD_LENGTH = 8


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
    with write_transaction():
        user = User(username=username, name=name.strip(), position=position.strip(), agency=agency)
        user.set_password(password)
        db.session.add(user)
        for role in roles:
            db.session.add(Membership(event=event, user=user, role=role))
    return user


def start_login(user: User, user_agent: str = "", expires_at: datetime | None = None) -> str:
    """Record a sign-in and return its token (carried by the session cookie, stored hashed)."""
    token = secrets.token_urlsafe(32)
    user_id = user.id
    with write_transaction():
        login = LoginSession(user_id=user_id, token_hash=token_hash(token), user_agent=user_agent[:200])
        login.expires_at = expires_at
        db.session.add(login)
    user.login_token = token
    return token


def end_login(token: str | None) -> None:
    """Signing out: the sign-in stops working everywhere its cookies went, sockets included."""
    if not token:
        return
    with write_transaction():
        db.session.execute(
            sa.update(LoginSession)
            .where(LoginSession.token_hash == token_hash(token), LoginSession.ended_at.is_(None))
            .values(ended_at=utcnow())
        )
        record(SignInsEnded(tokens=(token,)))


def keep_login(token: str | None) -> None:
    """The person set a password: their code sign-in no longer ends with the event."""
    if token:
        with write_transaction():
            db.session.execute(
                sa.update(LoginSession).where(LoginSession.token_hash == token_hash(token)).values(expires_at=None)
            )


def end_other_logins(user_id: int, keep_token: str | None) -> None:
    """A new password: every other sign-in of the person ends (a lost card's, a borrowed laptop's)."""
    condition = [LoginSession.user_id == user_id, LoginSession.ended_at.is_(None)]
    if keep_token:
        condition.append(LoginSession.token_hash != token_hash(keep_token))
    with write_transaction():
        db.session.execute(sa.update(LoginSession).where(*condition).values(ended_at=utcnow()))
        record(SignInsEnded(user_id=user_id, keep_token=keep_token))
