"""What every onboarding feature shares: the organiser check, the validation of one line of text,
and the one place that tells the fragment cache that people or agencies changed."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from workspace.core.changes import PeopleChanged
from workspace.core.permissions import can_manage_event
from workspace.core.uow import record
from workspace.models import Event, User
from workspace.services.errors import PermissionDenied
from workspace.services.item_fields import clean_text


def require_organiser(actor: User, event: Event) -> None:
    if not can_manage_event(actor, event):
        raise PermissionDenied(_("Only the organisers of this event can do this."))


def one_line(raw: Any) -> str:
    return clean_text(str(raw or ""))


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
