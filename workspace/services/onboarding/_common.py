"""What every onboarding feature shares: the organiser check and the validation of one line of
text."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from workspace.core.permissions import can_manage_event
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
