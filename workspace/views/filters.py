"""Template filters and globals shared by every page and fragment."""

from __future__ import annotations

import base64
from typing import Any

from flask import Flask, current_app
from flask_babel import format_date, format_datetime, get_locale
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from workspace import labels
from workspace.core.achievement import shown
from workspace.core.item_fields import FIELDS
from workspace.core.texts import stored_text
from workspace.formatting import comment_html, format_millions, format_number, format_rupiah, zone_name
from workspace.queries.agreements import agreement_state
from workspace.queries.comments import unread_counts


def register_template_helpers(app: Flask) -> None:
    app.jinja_env.filters["rupiah"] = format_rupiah
    app.jinja_env.filters["number"] = format_number
    app.jinja_env.filters["millions"] = format_millions
    app.jinja_env.filters["comment_html"] = comment_html
    app.jinja_env.filters["moment"] = moment
    app.jinja_env.filters["b64encode"] = lambda data: base64.b64encode(data or b"").decode("ascii")
    app.jinja_env.filters["day"] = lambda value, pattern="d MMMM yyyy": format_date(value, pattern) if value else ""
    app.jinja_env.globals["labels"] = labels
    # The agreement standing for a proposal and what changed since (memoised per revision).
    app.jinja_env.globals["agreement_state"] = agreement_state
    app.jinja_env.globals["field_text"] = lambda item, field: FIELDS[field].to_text(item)
    app.jinja_env.globals["realisation_label"] = labels.realisation_label
    app.jinja_env.globals["realisation_display"] = labels.realisation_display
    app.jinja_env.filters["percent"] = shown
    # A notification in the reader's language (its stored msgid and parameters), whoever wrote it.
    app.jinja_env.filters["notification_message"] = lambda note: stored_text(note.text, note.message)
    app.jinja_env.globals["field_display"] = (
        lambda field, text: FIELDS[field].display(text or "") if field in FIELDS else (text or "")
    )

    @app.context_processor
    def inject_globals() -> dict[str, Any]:
        return {
            # A function, so only the page header pays for the query, never a fragment.
            "unread_notifications": unread_notifications_of_viewer,
            "current_locale": str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"]),
            "available_languages": current_app.config["LANGUAGES"],
            "csrf_token_value": generate_csrf,
        }


def unread_notifications_of_viewer() -> int:
    if not current_user.is_authenticated:
        return 0
    return unread_counts([current_user.id])[current_user.id]


def moment(value: Any, pattern: str = "d MMM yyyy, HH.mm") -> str:
    """A stored (UTC) time in the event's zone, with the zone's name: `2 Des 2026, 10.15 WIB`."""
    if value is None:
        return ""
    return f"{format_datetime(value, pattern)} {zone_name(current_app.config['BABEL_DEFAULT_TIMEZONE'])}"
