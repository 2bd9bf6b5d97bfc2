"""The agencies (perangkat daerah) taking part in an event: add, take in, edit, (de)activate."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from workspace.core.errors import PermissionDenied, ValidationFailed
from workspace.core.uow import write_transaction
from workspace.extensions import db
from workspace.models import Agency, AgencyKind, AgencyLevel, Event, Membership, Role, User, event_agencies
from workspace.services.onboarding._common import event_by_id, one_line, organised_event, people_changed, text_field
from workspace.services.onboarding.audit import record_audit


def _agency_values(form: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    values: dict[str, Any] = {
        "name": text_field(errors, "name", form.get("name"), 200, required=True),
        "short_name": text_field(errors, "short_name", form.get("short_name"), 80, required=True),
        "region_code": text_field(errors, "region_code", form.get("region_code"), 10, required=True),
        "region_name": text_field(errors, "region_name", form.get("region_name"), 120, required=True),
    }
    if values["region_code"] and not re.fullmatch(r"\d{2}(\.\d{2})?", values["region_code"]):
        errors["region_code"] = _("A Kemendagri region code such as 61 or 61.01.")
    level, kind = one_line(form.get("level")), one_line(form.get("kind"))
    if level not in AgencyLevel._value2member_map_:
        errors["level"] = _("Choose a level.")
    else:
        values["level"] = AgencyLevel(level)
    if kind not in AgencyKind._value2member_map_:
        errors["kind"] = _("Choose a kind.")
    else:
        values["kind"] = AgencyKind(kind)
    if errors:
        raise ValidationFailed(errors)
    return values


def save_agency(actor: User, event_id: int, agency_id: int | None, form: dict[str, Any]) -> Agency:
    """Add an agency to the event (or take in an existing one of that name), or edit one of its own."""
    organised_event(actor, event_id)
    values = _agency_values(form)
    with write_transaction():
        event = event_by_id(event_id)
        same_name = db.session.scalar(sa.select(Agency).where(sa.func.lower(Agency.name) == values["name"].lower()))
        if agency_id is None:
            return _add_agency(actor, event, same_name, values)
        return _update_agency(actor, event, agency_id, same_name, values)


def _add_agency(actor: User, event: Event, same_name: Agency | None, values: dict[str, Any]) -> Agency:
    agency = same_name or Agency(**values)
    if same_name is not None and agency in event.agencies:
        raise ValidationFailed({"name": _("%(name)s already takes part in this event.", name=values["name"])})
    if same_name is not None and not _may_take_in(actor, agency):
        # Taken in, it would be "shared": its own event's organisers could no longer edit or
        # deactivate it (_refuse_if_shared). Only someone who organises all its events may.
        raise PermissionDenied(
            _(
                "%(name)s takes part in an event you do not organise; ask a platform administrator to add it.",
                name=agency.name,
            )
        )
    if same_name is None or not _used_elsewhere(agency, event):
        for name, value in values.items():  # an agency of other events is taken in as it is
            setattr(agency, name, value)
    db.session.add(agency)
    event.agencies.append(agency)
    db.session.flush()
    record_audit(actor, event, "agency.add", f"agency:{agency.id}", agency.name)
    people_changed(event)
    return agency


def _update_agency(
    actor: User, event: Event, agency_id: int, same_name: Agency | None, values: dict[str, Any]
) -> Agency:
    agency = _event_agency(event, agency_id)
    _refuse_if_shared(agency, event)
    if same_name is not None and same_name.id != agency.id:
        raise ValidationFailed({"name": _("Another agency already has this name.")})
    changes = [f"{k}: {getattr(agency, k)} → {v}" for k, v in values.items() if getattr(agency, k) != v]
    for name, value in values.items():
        setattr(agency, name, value)
    if changes:
        record_audit(actor, event, "agency.update", f"agency:{agency.id}", "; ".join(str(c) for c in changes))
        people_changed(event)
    return agency


def _used_elsewhere(agency: Agency, event: Event) -> bool:
    return (
        db.session.scalar(
            sa.select(event_agencies.c.event_id)
            .where(event_agencies.c.agency_id == agency.id, event_agencies.c.event_id != event.id)
            .limit(1)
        )
        is not None
    )


def _may_take_in(actor: User, agency: Agency) -> bool:
    """An existing agency joins another event only by a platform administrator or by someone who
    organises every event it takes part in (the same secretariat's next rakor)."""
    if actor.is_platform_admin:
        return True
    event_ids = set(
        db.session.scalars(sa.select(event_agencies.c.event_id).where(event_agencies.c.agency_id == agency.id))
    )
    organised = set(
        db.session.scalars(
            sa.select(Membership.event_id).where(Membership.user_id == actor.id, Membership.role == Role.ORGANISER)
        )
    )
    return event_ids <= organised


def _refuse_if_shared(agency: Agency, event: Event) -> None:
    """Agencies outlive a rakor and may take part in several: one event's organisers do not rename
    or deactivate them for the others."""
    if _used_elsewhere(agency, event):
        raise PermissionDenied(
            _("%(agency)s also takes part in another event; it cannot be changed from this one.", agency=agency.name)
        )


def _event_agency(event: Event, agency_id: int) -> Agency:
    agency = db.session.get(Agency, agency_id)
    if agency is None or agency not in event.agencies:
        raise ValidationFailed({"agency": _("This agency does not take part in this event.")})
    return agency


def set_agency_active(actor: User, event_id: int, agency_id: int, active: bool) -> Agency:
    organised_event(actor, event_id)
    with write_transaction():
        event = event_by_id(event_id)
        agency = _event_agency(event, agency_id)
        _refuse_if_shared(agency, event)
        if agency.active != active:
            agency.active = active
            record_audit(
                actor, event, "agency.activate" if active else "agency.deactivate", f"agency:{agency.id}", agency.name
            )
            people_changed(event)
    return agency


def active_agencies(event: Event) -> list[Agency]:
    rows = db.session.execute(sa.select(event_agencies.c.agency_id).where(event_agencies.c.event_id == event.id))
    ids = [row[0] for row in rows]
    return list(
        db.session.scalars(
            sa.select(Agency)
            .where(Agency.id.in_(ids), Agency.active.is_(True))
            .order_by(Agency.region_code, Agency.kind)
        )
    )
