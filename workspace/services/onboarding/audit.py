"""The organiser's audit: who did what in the event, written inside the write it describes."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from workspace.core.errors import PermissionDenied
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


def import_catalog(actor: User | None, data: bytes, filename: str) -> CatalogImportResult:
    """A catalogue import by a platform administrator (`actor` None: the server's command line),
    with an audit line in every event, in one unit of work (nothing is written when the file has an
    error). The nomenclature is shared: every event's codes and names follow it."""
    if actor is not None and not actor.is_platform_admin:
        raise PermissionDenied(_("Only a platform administrator can import the nomenclature: every event shares it."))
    event_ids = list(db.session.scalars(sa.select(Event.id).order_by(Event.id)))

    def audit(result: CatalogImportResult) -> None:
        detail = f"{result.created} baru, {result.updated} diubah, {result.unchanged} tetap"
        for event_id in event_ids:
            record_audit(actor, event_by_id(event_id), "catalog.import", filename[:200], detail)

    return catalog.import_catalog(data, also=audit, event_ids=event_ids)
