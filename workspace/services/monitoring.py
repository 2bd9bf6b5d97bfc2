"""Monitoring (Monev) settings, by the event's organisers: each quarter's reporting deadline and
the achievement bands. One unit of work, audited; a refused form names each field."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import gettext as _

from workspace.core.errors import ValidationFailed
from workspace.core.uow import write_transaction
from workspace.extensions import db
from workspace.models import Event, MonitoringSettings, User
from workspace.queries.monitoring import quarter_bounds
from workspace.services.onboarding._common import event_by_id, one_line, require_organiser
from workspace.services.onboarding.audit import record_audit

BAND_FIELDS = ("band_sangat_baik", "band_baik", "band_cukup", "band_kurang")


def _deadline(errors: dict[str, str], event: Event, number: int, raw: Any) -> date | None:
    """A quarter's deadline: empty for the default; a date after the quarter ends, within a year."""
    name = f"deadline_{number}"
    text = one_line(raw)
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        errors[name] = _("Enter a date as YYYY-MM-DD.")
        return None
    ends_on = quarter_bounds(event.plan_year, number)[1]
    if day <= ends_on:
        errors[name] = _("The report of a quarter is due after it ends (%(end)s).", end=ends_on.isoformat())
    elif (day - ends_on).days > 366:
        errors[name] = _("At most a year after the quarter ends.")
    return day


def _bands(errors: dict[str, str], form: dict[str, Any]) -> dict[str, int]:
    """Four lower bounds, whole percents from 1 to 100, each below the one before."""
    bounds: dict[str, int] = {}
    for name in BAND_FIELDS:
        text = one_line(form.get(name))
        if not (text.isascii() and text.isdigit() and 1 <= int(text) <= 100):
            errors[name] = _("A whole percentage from 1 to 100.")
            continue
        bounds[name] = int(text)
    if len(bounds) == len(BAND_FIELDS):
        values = [bounds[name] for name in BAND_FIELDS]
        for name, higher, lower in zip(BAND_FIELDS[1:], values[:-1], values[1:], strict=True):
            if lower >= higher:
                errors[name] = _("Each band starts below the one above it (%(above)d).", above=higher)
    return bounds


def save_monitoring_settings(actor: User, event_id: int, form: dict[str, Any]) -> MonitoringSettings:
    event = event_by_id(event_id)
    require_organiser(actor, event)
    errors: dict[str, str] = {}
    deadlines = {f"deadline_{n}": _deadline(errors, event, n, form.get(f"deadline_{n}")) for n in range(1, 5)}
    bands = _bands(errors, form)
    if errors:
        raise ValidationFailed(errors)
    with write_transaction():
        settings = db.session.get(MonitoringSettings, event_id, populate_existing=True)
        if settings is None:
            settings = MonitoringSettings(event_id=event_id)
            db.session.add(settings)
        changed = []
        for name, value in {**deadlines, **bands}.items():
            if getattr(settings, name) != value:
                changed.append(f"{name}: {getattr(settings, name)} → {value}")
                setattr(settings, name, value)
        if changed:
            record_audit(actor, event, "monitoring.settings", f"event:{event.id}", "; ".join(changed))
    return settings
