"""What every onboarding feature shares: the organiser check, loading the event a write is about,
the validation of one line of text, and the one place that tells the fragment cache that people or
agencies changed."""

from __future__ import annotations

import re
from typing import Any

from flask_babel import gettext as _

from workspace.core.changes import PeopleChanged
from workspace.core.errors import NotFound, PermissionDenied
from workspace.core.item_fields import clean_text
from workspace.core.permissions import can_manage_event
from workspace.core.uow import record
from workspace.extensions import db
from workspace.models import Event, User


def require_organiser(actor: User, event: Event) -> None:
    if not can_manage_event(actor, event):
        raise PermissionDenied(_("Only the organisers of this event can do this."))


def event_by_id(event_id: int, again: bool = False) -> Event:
    """The event (404 when there is none); `again`: read again from the database, over what the
    session holds (inside a unit of work, for a write that compares with the stored values)."""
    event = db.session.get(Event, event_id, populate_existing=again)
    if event is None:
        raise NotFound(_("The page or data you are looking for does not exist."))
    return event


def organised_event(actor: User, event_id: int) -> Event:
    """The event the actor organises (404 when there is none, 403 when it is not theirs)."""
    event = event_by_id(event_id)
    require_organiser(actor, event)
    return event


def one_line(raw: Any) -> str:
    """One line as a person meant it: no control characters, spaces collapsed ("Siti   Aminah" is
    "Siti Aminah", on the card and in the database), none at either end."""
    return re.sub(r"\s+", " ", clean_text(str(raw or ""))).strip()


def text_field(errors: dict[str, str], name: str, raw: Any, limit: int, required: bool = False) -> str:
    """One line of text of at most `limit` characters; a problem goes into `errors[name]`."""
    text = one_line(raw)
    if required and not text:
        errors[name] = _("This field is required.")
    elif len(text) > limit:
        errors[name] = _("At most %(max)d characters.", max=limit)
    return text


def people_changed(event: Event) -> None:
    """Names, agencies or roles of this event's people changed: after the commit the publisher
    versions the cached discussions and histories that show them again (this process at its next
    render, the others within two seconds). Every write that changes a person or an agency calls it
    once, inside its transaction."""
    record(PeopleChanged(event_id=event.id))
