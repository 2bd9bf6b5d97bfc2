"""The event's details and phase, and when the event ends (join codes expire with it)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from workspace.core.changes import PhaseChanged
from workspace.core.errors import ValidationFailed
from workspace.core.uow import write_transaction
from workspace.extensions import db
from workspace.models import CoEditing, Event, EventPhase, JoinCode, LoginSession, User
from workspace.services.onboarding._common import event_by_id, one_line, organised_event, text_field
from workspace.services.onboarding.audit import record_audit


def _date(errors: dict[str, str], name: str, raw: Any) -> date | None:
    text = one_line(raw)
    try:
        day = date.fromisoformat(text)
    except ValueError:
        errors[name] = _("Enter a date as YYYY-MM-DD.")
        return None
    if not 2000 <= day.year <= 2100:
        errors[name] = _("Enter a date between the years 2000 and 2100.")
        return None
    return day


def event_values(form: dict[str, Any]) -> dict[str, Any]:
    """The checked values of the event form, by attribute of Event; raises ValidationFailed."""
    errors: dict[str, str] = {}
    title = text_field(errors, "title", form.get("title"), 300, required=True)
    theme = text_field(errors, "theme", form.get("theme"), 300)
    venue = text_field(errors, "venue", form.get("venue"), 300)
    city = text_field(errors, "city", form.get("city"), 120)
    year_text = one_line(form.get("plan_year"))
    plan_year = int(year_text) if year_text.isascii() and year_text.isdigit() and len(year_text) == 4 else None
    if plan_year is None or not 2000 <= plan_year <= 2100:
        errors["plan_year"] = _("The plan year is a year such as 2024.")
    starts_on = _date(errors, "starts_on", form.get("starts_on"))
    ends_on = _date(errors, "ends_on", form.get("ends_on"))
    if starts_on and ends_on and ends_on < starts_on:
        errors["ends_on"] = _("The event cannot end before it starts.")
    phase_text = one_line(form.get("phase"))
    if phase_text not in EventPhase._value2member_map_:
        errors["phase"] = _("Choose a phase.")
    lasts = form.get("code_sign_in_lasts") in ("1", "on", "true")
    public_url = _public_url(errors, form.get("public_url"))
    coediting_text = one_line(form.get("coediting") or CoEditing.REGION.value)
    if coediting_text not in CoEditing._value2member_map_:
        errors["coediting"] = _("Choose who edits a proposal.")
    if errors:
        raise ValidationFailed(errors)
    return {
        "title": title,
        "theme": theme,
        "venue": venue,
        "city": city,
        "plan_year": plan_year,
        "starts_on": starts_on,
        "ends_on": ends_on,
        "phase": EventPhase(phase_text),
        "code_sign_in_lasts": lasts,
        "coediting": CoEditing(coediting_text),
        "public_url": public_url,
    }


def _public_url(errors: dict[str, str], raw: Any) -> str:
    """The address laptops reach the server by: http(s)://host[:port][/path], nothing else."""
    text = one_line(raw).rstrip("/")
    if not text:
        return ""
    parts = urlsplit(text)
    try:
        port_ok = parts.port is None or 0 < parts.port < 65536
    except ValueError:
        port_ok = False
    if (
        len(text) > 300
        or parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.username
        or parts.query
        or parts.fragment
        or not port_ok
    ):
        errors["public_url"] = _("Enter an address such as http://192.168.1.10:5000 (http or https, no more).")
    return text


def update_event(actor: User, event_id: int, form: dict[str, Any]) -> Event:
    """The organiser's form: details and phase in one unit of work. A new phase changes what may
    be edited, and by whom: every open page of the event and of its proposals hears of it."""
    organised_event(actor, event_id)
    values = event_values(form)
    with write_transaction() as unit:
        event = event_by_id(event_id, again=True)  # compared with what is stored now
        new_phase = event.phase is not values["phase"]
        changes = []
        for name, value in values.items():
            old = getattr(event, name)
            if old != value:
                changes.append(f"{name}: {getattr(old, 'value', old)} → {getattr(value, 'value', value)}")
                setattr(event, name, value)
        if changes:
            record_audit(actor, event, "event.update", f"event:{event.id}", "; ".join(changes))
        if new_phase:
            unit.record(PhaseChanged(event_id=event.id))
        _codes_expire_with(event)
    return event


def code_sign_in_end(event: Event) -> datetime:
    """A join code's sign-in (one not turned into a password) ends a day after the event ends."""
    return event_end(event) + timedelta(days=1)


def _codes_expire_with(event: Event) -> None:
    """A join code lives as long as the event: the unused ones follow a change of its end."""
    db.session.execute(
        sa.update(JoinCode)
        .where(JoinCode.event_id == event.id, JoinCode.used_at.is_(None), JoinCode.revoked_at.is_(None))
        .values(expires_at=event_end(event))
    )
    # …and so do the sign-ins made with the event's codes that were not turned into a password
    # (theirs has no end): moving the dates earlier ends them earlier, at once.
    db.session.execute(
        sa.update(LoginSession)
        .where(LoginSession.event_id == event.id, LoginSession.expires_at.is_not(None), LoginSession.ended_at.is_(None))
        .values(expires_at=code_sign_in_end(event))
    )


def event_end(event: Event) -> datetime:
    """The end of the event's last day, in the event's time zone, as naive UTC (how times are stored)."""
    zone = ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Asia/Jakarta"))
    local_end = datetime.combine(event.ends_on + timedelta(days=1), time.min, tzinfo=zone)
    return local_end.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)
