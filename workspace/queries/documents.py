"""The event's official documents: its letterhead and numbering settings, its final berita acara."""

from __future__ import annotations

import sqlalchemy as sa

from workspace.extensions import db
from workspace.models import DocumentSettings, Event, MinutesDocument
from workspace.models.document import DEFAULT_NUMBER_PATTERN


def document_settings(event: Event) -> DocumentSettings:
    """The stored settings, or the defaults (not stored) of an event nobody has set them for."""
    stored = db.session.get(DocumentSettings, event.id)
    if stored is not None:
        return stored
    return DocumentSettings(
        event_id=event.id,
        institution="",
        address="",
        contact="",
        logo_png=None,
        number_pattern=DEFAULT_NUMBER_PATTERN,
        next_number=1,
        signing_place=event.city,
        organiser_title="",
        organiser_name="",
        organiser_nip="",
        head_title="",
        head_name="",
        head_rank="",
        head_nip="",
    )


def final_minutes(event: Event, session_id: int | None) -> list[MinutesDocument]:
    """The final berita acara of one scope (a session, or the whole event), newest first."""
    scope = MinutesDocument.session_id.is_(None) if session_id is None else MinutesDocument.session_id == session_id
    return list(
        db.session.scalars(
            sa.select(MinutesDocument)
            .where(MinutesDocument.event_id == event.id, scope)
            .order_by(MinutesDocument.sequence.desc())
        )
    )


def minutes_document(event: Event, document_id: int) -> MinutesDocument | None:
    document = db.session.get(MinutesDocument, document_id)
    return document if document is not None and document.event_id == event.id else None
