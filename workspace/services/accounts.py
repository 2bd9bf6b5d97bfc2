"""Accounts: creating people with their roles, sign-ins (started, ended) and a person's own
password. The sign-in helpers without a transaction of their own (`open_login`, …) write inside
the caller's unit of work."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from workspace.core.changes import SignInsEnded
from workspace.core.errors import NotFound, ValidationFailed
from workspace.core.uow import record, write_transaction
from workspace.extensions import db
from workspace.models import Agency, AuditEntry, Event, LoginSession, Membership, Role, User
from workspace.models.base import utcnow
from workspace.queries.accounts import token_hash

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 200
# The demo rakor's password, printed by `make run` and in the README: never anyone's real one.
PUBLISHED_DEMO_PASSWORD = "sinergi2023"


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
    platform_admin: bool = False,
) -> User:
    """Create a person (and their roles in an event); raises ValidationFailed, stores nothing then."""
    errors: dict[str, str] = {}
    username = normalise_username(username)
    problem = username_problem(username)
    if problem:
        errors["username"] = problem
    if not name.strip() or len(name) > 120:
        errors["name"] = _("Name is required, at most 120 characters.")
    errors.update(password_problems(password))
    if roles and event is None:
        errors["event"] = _("Roles need an event.")
    if errors:
        raise ValidationFailed(errors)
    with write_transaction():
        user = User(
            username=username,
            name=name.strip(),
            position=position.strip(),
            agency=agency,
            is_platform_admin=platform_admin,
        )
        user.set_password(password)
        db.session.add(user)
        for role in roles:
            db.session.add(Membership(event=event, user=user, role=role))
    return user


def username_problem(username: str) -> str | None:
    """Why a (normalised) username cannot be a new account's, or None."""
    valid = username.isascii() and all(c.isalnum() or c in "._-" for c in username)
    if not username or len(username) > 80 or not valid:
        return _("Username: 1–80 characters, letters, digits, dot, underscore or hyphen.")
    if db.session.scalar(sa.select(User.id).where(User.username == username)) is not None:
        return _("The username %(username)s is already taken.", username=username)
    return None


def password_problems(password: str, confirmation: str | None = None) -> dict[str, str]:
    """The password policy: at least MIN_PASSWORD_LENGTH characters, at most MAX_PASSWORD_LENGTH,
    typed twice the same when a confirmation is asked for."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return {"password": _("Password: at least %(min)d characters.", min=MIN_PASSWORD_LENGTH)}
    if len(password) > MAX_PASSWORD_LENGTH:
        return {"password": _("At most %(max)d characters.", max=MAX_PASSWORD_LENGTH)}
    if password.strip().lower() == PUBLISHED_DEMO_PASSWORD:
        return {"password": _("This is the published demo password; choose another one.")}
    if confirmation is not None and password != confirmation:
        return {"confirmation": _("The two passwords are not the same.")}
    return {}


# ---- Sign-ins ------------------------------------------------------------------------------


def open_login(
    user_id: int, user_agent: str = "", expires_at: datetime | None = None, event_id: int | None = None
) -> str:
    """Inside the caller's unit of work: record a sign-in and return its token (carried by the
    session cookie, stored hashed). `event_id`: a join code's sign-in, which ends with that event."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(
        LoginSession(
            user_id=user_id,
            token_hash=token_hash(token),
            user_agent=user_agent[:200],
            expires_at=expires_at,
            event_id=event_id,
            created_at=now,
            last_seen_at=now,
        )
    )
    return token


# A sign-in's last request is written down at most this often (not a write per request).
ACTIVITY_RESOLUTION = timedelta(minutes=5)


def note_activity(user: User) -> None:
    """The signed-in person made a request: move their sign-in's idle deadline (SESSION_IDLE_HOURS).

    A bookkeeping write on a connection of its own, outside any unit of work (nothing to publish,
    and the request's own transaction is not touched); at most once per ACTIVITY_RESOLUTION."""
    seen = user.login_last_seen
    now = utcnow()
    if not user.login_token or (seen is not None and now - seen < ACTIVITY_RESOLUTION):
        return
    with db.engine.begin() as connection:
        connection.execute(
            sa.update(LoginSession)
            .where(LoginSession.token_hash == token_hash(user.login_token))
            .values(last_seen_at=now)
        )
    user.login_last_seen = now


def start_login(user: User, user_agent: str = "", expires_at: datetime | None = None) -> str:
    """A password sign-in: record it; the user object carries its token for the session cookie."""
    user_id = user.id
    with write_transaction():
        token = open_login(user_id, user_agent, expires_at)
    user.login_token = token
    return token


def end_login(token: str | None) -> None:
    """Signing out: the sign-in stops working everywhere its cookies went, sockets included."""
    if not token:
        return
    with write_transaction() as unit:
        db.session.execute(
            sa.update(LoginSession)
            .where(LoginSession.token_hash == token_hash(token), LoginSession.ended_at.is_(None))
            .values(ended_at=utcnow())
        )
        unit.record(SignInsEnded(tokens=(token,)))


def _end_other_logins(user_id: int, keep_token: str | None) -> None:
    """Inside the caller's unit of work: every other sign-in of the person ends (a lost card's, a
    borrowed laptop's), and with them their live sockets after the commit."""
    condition = [LoginSession.user_id == user_id, LoginSession.ended_at.is_(None)]
    if keep_token:
        condition.append(LoginSession.token_hash != token_hash(keep_token))
    db.session.execute(sa.update(LoginSession).where(*condition).values(ended_at=utcnow()))
    record(SignInsEnded(user_id=user_id, keep_token=keep_token))


def end_all_logins_of(user_id: int) -> None:
    """Inside the caller's unit of work: every sign-in of the person ends (a password replaced)."""
    _end_other_logins(user_id, None)


def _keep_login(token: str | None) -> None:
    """Inside the caller's unit of work: a sign-in with a password does not end with the event
    (a code's sign-in did)."""
    if token:
        db.session.execute(
            sa.update(LoginSession).where(LoginSession.token_hash == token_hash(token)).values(expires_at=None)
        )


# ---- A person's own password -----------------------------------------------------------------


def change_own_password(user: User, current: str, password: str, confirmation: str, from_code: bool) -> None:
    """A person sets their password: the current one is asked for unless they came in with a join
    code just now; the policy holds (ValidationFailed, nothing stored). Then, in one unit of work,
    the new hash, the audit line, every other sign-in of theirs ended and this one kept past the
    event's end."""
    errors: dict[str, str] = {}
    if not from_code and not user.check_password(current):
        errors["current"] = _("Your current password is not right.")
    errors.update(password_problems(password, confirmation))
    if errors:
        raise ValidationFailed(errors)
    user_id, keep_token = user.id, user.login_token
    new_hash = _hashed(password)  # scrypt is slow on purpose: not while holding the write lock
    with write_transaction():
        person = db.session.get(User, user_id)
        if person is None:
            raise NotFound(_("The page or data you are looking for does not exist."))
        person.password_hash = new_hash
        person.has_demo_password = False
        record_person_audit(person, person, "person.password", person.name)
        _end_other_logins(user_id, keep_token)
        _keep_login(keep_token)


def reset_password(username: str, password: str) -> User:
    """The server's command line sets a person's password (the way for an organiser who forgot
    theirs: organisers do not reset each other's). Every sign-in of theirs ends; audited."""
    errors = password_problems(password)
    user = db.session.scalar(sa.select(User).where(User.username == username))
    if user is None:
        raise ValidationFailed({"username": _("No account is named %(username)s.", username=username)})
    if errors:
        raise ValidationFailed(errors)
    new_hash = _hashed(password)
    user_id = user.id
    with write_transaction():
        person = db.session.get(User, user_id)
        assert person is not None
        person.password_hash = new_hash
        person.has_demo_password = False
        record_person_audit(None, person, "person.password_reset", "flask reset-password")
        _end_other_logins(user_id, None)
    return person


def _hashed(password: str) -> str:
    """The password's hash as the model makes it (User.set_password), on an object of no session."""
    probe = User()
    probe.set_password(password)
    return probe.password_hash or ""


def record_person_audit(actor: User | None, person: User, action: str, detail: str) -> None:
    """A line about an account (its password set or replaced), in the audit of every event the
    person takes part in, so each event's organisers see it; none yet: one line of no event."""
    event_ids: list[int | None] = [*sorted({membership.event_id for membership in person.memberships})] or [None]
    for event_id in event_ids:
        db.session.add(
            AuditEntry(
                event_id=event_id,
                actor_id=actor.id if actor else None,
                action=action,
                target=f"user:{person.id}",
                detail=detail[:2000],
            )
        )
