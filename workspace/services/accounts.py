"""Accounts: authentication and creating people with their roles."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _
from werkzeug.security import check_password_hash, generate_password_hash

from workspace.extensions import db
from workspace.models import Agency, Event, Membership, Role, User
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
