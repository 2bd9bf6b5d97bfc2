"""A new event and its first organiser: by a platform administrator's screen, or by
`flask create-event` on the server (the first event of a real deployment, no demo involved).

The first organiser is an existing account (given the organiser role) or a new one: with the
password typed on the command line, or, from the screen, with a one-time join code shown once,
which signs them in and makes them set their own password.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from workspace.core.errors import PermissionDenied, ValidationFailed
from workspace.core.uow import write_transaction
from workspace.extensions import db
from workspace.models import Event, EventPhase, Membership, Role, User
from workspace.models.base import utcnow
from workspace.services.accounts import normalise_username, password_problems, username_problem
from workspace.services.onboarding._common import text_field
from workspace.services.onboarding.audit import record_audit
from workspace.services.onboarding.event import event_end, event_values
from workspace.services.onboarding.join_codes import format_code, new_code

SLUG_PATTERN = re.compile(r"[a-z0-9](?:[a-z0-9-]{1,78})[a-z0-9]")


@dataclass(frozen=True)
class CreatedEvent:
    event: Event
    organiser: User
    new_account: bool
    join_code: str | None  # XXXX-XXXX-XXXX, shown once, for a new account without a password


def _slug_problem(slug: str) -> str | None:
    if not SLUG_PATTERN.fullmatch(slug):
        return _("The short name: 3–80 lowercase letters, digits and hyphens, such as rakor-kesbangpol-2025.")
    if db.session.scalar(sa.select(Event.id).where(Event.slug == slug)) is not None:
        return _("Another event already has the short name %(slug)s.", slug=slug)
    return None


def _organiser_problems(username: str, name: str, password: str | None) -> tuple[User | None, dict[str, str]]:
    """The existing account named `username`, or the problems of a new one."""
    existing = db.session.scalar(sa.select(User).where(User.username == username))
    if existing is not None:
        if not existing.active:
            return None, {"organiser_username": _("The account %(username)s is deactivated.", username=username)}
        return existing, {}
    errors: dict[str, str] = {}
    problem = username_problem(username)
    if problem:
        errors["organiser_username"] = problem
    text_field(errors, "organiser_name", name, 120, required=True)
    if password is not None:
        errors.update({f"organiser_{key}": value for key, value in password_problems(password).items()})
    return None, errors


def create_event(
    actor: User | None,
    form: dict[str, Any],
    organiser_username: str,
    organiser_name: str = "",
    organiser_password: str | None = None,
) -> CreatedEvent:
    """Create the event (in preparation unless the form says otherwise) and give its first
    organiser the role, in one unit of work with its audit line. `actor` None: the command line;
    otherwise a platform administrator. Raises ValidationFailed (nothing stored) or
    PermissionDenied."""
    if actor is not None and not actor.is_platform_admin:
        raise PermissionDenied(_("Only a platform administrator can create an event."))
    values, errors = _checked(form)
    slug = str(form.get("slug") or "").strip().lower()
    slug_problem = _slug_problem(slug)
    if slug_problem:
        errors["slug"] = slug_problem
    username = normalise_username(organiser_username)
    existing, organiser_errors = _organiser_problems(username, organiser_name.strip(), organiser_password)
    errors.update(organiser_errors)
    if errors:
        raise ValidationFailed(errors)
    new_hash = None
    if existing is None and organiser_password is not None:
        probe = User()
        probe.set_password(organiser_password)  # scrypt: before the write lock
        new_hash = probe.password_hash
    with write_transaction():
        event = Event(slug=slug, **values)
        db.session.add(event)
        organiser = existing or User(username=username, name=organiser_name.strip(), password_hash=new_hash)
        db.session.add(organiser)
        db.session.flush()
        db.session.add(Membership(event=event, user=organiser, role=Role.ORGANISER))
        code = None
        if existing is None and new_hash is None:
            code = format_code(new_code(actor, event, organiser, event_end(event), utcnow()))
        record_audit(actor, event, "event.create", f"event:{event.id}", f"{event.title}; {organiser.username}")
    return CreatedEvent(event=event, organiser=organiser, new_account=existing is None, join_code=code)


def _checked(form: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The event form's values and its problems (the phase defaults to preparation)."""
    form = dict(form)
    form.setdefault("phase", EventPhase.PREPARATION.value)
    try:
        return event_values(form), {}
    except ValidationFailed as invalid:
        return {}, dict(invalid.errors)
