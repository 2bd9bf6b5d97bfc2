"""The organiser's audit: who did what in the event, written inside the write it describes."""

from __future__ import annotations

import sqlalchemy as sa

from workspace.extensions import db
from workspace.models import AuditEntry, Event, User
from workspace.services import catalog
from workspace.services.catalog import CatalogImportResult
from workspace.services.onboarding._common import event_by_id, require_organiser


def record_audit(actor: User | None, event: Event | None, action: str, target: str, detail: str = "") -> None:
    """One line of the organiser's audit, inside the caller's transaction."""
    db.session.add(
        AuditEntry(
            event_id=event.id if event else None,
            actor_id=actor.id if actor else None,
            action=action,
            target=target[:200],
            detail=detail[:2000],
        )
    )


def audit_log(actor: User, event: Event, limit: int = 300) -> list[AuditEntry]:
    require_organiser(actor, event)
    return list(
        db.session.scalars(
            sa.select(AuditEntry)
            .where(AuditEntry.event_id == event.id)
            .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
            .limit(limit)
        )
    )


def import_catalog(actor: User, event: Event, data: bytes, filename: str) -> CatalogImportResult:
    """An organiser's catalogue import and its audit line, in one unit of work (nothing of either
    is written when the file has an error)."""
    require_organiser(actor, event)

    def audit(result: CatalogImportResult) -> None:
        detail = f"{result.created} baru, {result.updated} diubah, {result.unchanged} tetap"
        record_audit(actor, event_by_id(event.id), "catalog.import", filename[:200], detail)

    return catalog.import_catalog(data, event_id=event.id, also=audit)
