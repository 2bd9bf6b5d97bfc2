"""The organiser's administration of an event, and the hotel morning: 65 people signed in within
half an hour.

Event details, agencies, people and their roles, the bulk import of the participant list
(preview, then all or nothing, idempotent), one-time join codes (hashed, expiring with the event,
reissued to reset a forgotten password) and the audit of all of it. Every action checks that the
actor is an organiser of that event, validates, writes in one short transaction, and records who
did what in the audit.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from workspace import labels
from workspace.exports.spreadsheet import TooManyRows, UnreadableFile, read_table
from workspace.extensions import db
from workspace.models import (
    Agency,
    AgencyKind,
    AgencyLevel,
    AuditEntry,
    Comment,
    Event,
    EventPhase,
    JoinCode,
    Membership,
    Revision,
    Role,
    User,
    event_agencies,
)
from workspace.models.base import utcnow
from workspace.permissions import can_manage_event
from workspace.services.errors import PermissionDenied, ValidationFailed
from workspace.services.item_fields import clean_text
from workspace.services.transactions import write_transaction

# ---- Shared helpers --------------------------------------------------------------------------


def require_organiser(actor: User, event: Event) -> None:
    if not can_manage_event(actor, event):
        raise PermissionDenied(_("Only the organisers of this event can do this."))


def record_audit(actor: User | None, event: Event | None, action: str, target: str, detail: str = "") -> None:
    """One line of the organiser's audit, inside the caller's transaction."""
    from workspace.fragments import tree_cache

    tree_cache().people_checked_at = float("-inf")  # names may change: this process looks again
    db.session.add(
        AuditEntry(
            event_id=event.id if event else None,
            actor_id=actor.id if actor else None,
            action=action,
            target=target[:200],
            detail=detail[:2000],
        )
    )


def _one_line(raw: Any) -> str:
    return clean_text(str(raw or ""))


def _text(errors: dict[str, str], name: str, raw: Any, limit: int, required: bool = False) -> str:
    text = _one_line(raw)
    if required and not text:
        errors[name] = _("This field is required.")
    elif len(text) > limit:
        errors[name] = _("At most %(max)d characters.", max=limit)
    return text


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


# ---- Event details -----------------------------------------------------------------------------


def _date(errors: dict[str, str], name: str, raw: Any) -> date | None:
    text = _one_line(raw)
    try:
        day = date.fromisoformat(text)
    except ValueError:
        errors[name] = _("Enter a date as YYYY-MM-DD.")
        return None
    if not 2000 <= day.year <= 2100:
        errors[name] = _("Enter a date between the years 2000 and 2100.")
        return None
    return day


def update_event(actor: User, event_id: int, form: dict[str, Any]) -> Event:
    event = db.session.get(Event, event_id)
    require_organiser(actor, event)
    errors: dict[str, str] = {}
    title = _text(errors, "title", form.get("title"), 300, required=True)
    theme = _text(errors, "theme", form.get("theme"), 300)
    venue = _text(errors, "venue", form.get("venue"), 300)
    city = _text(errors, "city", form.get("city"), 120)
    year_text = _one_line(form.get("plan_year"))
    plan_year = int(year_text) if year_text.isascii() and year_text.isdigit() and len(year_text) == 4 else None
    if plan_year is None or not 2000 <= plan_year <= 2100:
        errors["plan_year"] = _("The plan year is a year such as 2024.")
    starts_on = _date(errors, "starts_on", form.get("starts_on"))
    ends_on = _date(errors, "ends_on", form.get("ends_on"))
    if starts_on and ends_on and ends_on < starts_on:
        errors["ends_on"] = _("The event cannot end before it starts.")
    phase_text = _one_line(form.get("phase"))
    if phase_text not in EventPhase._value2member_map_:
        errors["phase"] = _("Choose a phase.")
    lasts = form.get("code_sign_in_lasts") in ("1", "on", "true")
    if errors:
        raise ValidationFailed(errors)
    changes = []
    with write_transaction():
        event = db.session.get(Event, event_id)
        for name, value in (
            ("title", title),
            ("theme", theme),
            ("venue", venue),
            ("city", city),
            ("plan_year", plan_year),
            ("starts_on", starts_on),
            ("ends_on", ends_on),
            ("phase", EventPhase(phase_text)),
            ("code_sign_in_lasts", lasts),
        ):
            old = getattr(event, name)
            if old != value:
                changes.append(f"{name}: {getattr(old, 'value', old)} → {getattr(value, 'value', value)}")
                setattr(event, name, value)
        if changes:
            record_audit(actor, event, "event.update", f"event:{event.id}", "; ".join(changes))
        # A join code lives as long as the event.
        db.session.execute(
            sa.update(JoinCode)
            .where(JoinCode.event_id == event.id, JoinCode.used_at.is_(None), JoinCode.revoked_at.is_(None))
            .values(expires_at=event_end(event))
        )
    return event


def event_end(event: Event) -> datetime:
    """The end of the event's last day, in the event's time zone, as naive UTC (how times are stored)."""
    zone = ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Asia/Jakarta"))
    local_end = datetime.combine(event.ends_on + timedelta(days=1), time.min, tzinfo=zone)
    return local_end.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


# ---- Agencies --------------------------------------------------------------------------------


def _agency_values(form: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    values: dict[str, Any] = {
        "name": _text(errors, "name", form.get("name"), 200, required=True),
        "short_name": _text(errors, "short_name", form.get("short_name"), 80, required=True),
        "region_code": _text(errors, "region_code", form.get("region_code"), 10, required=True),
        "region_name": _text(errors, "region_name", form.get("region_name"), 120, required=True),
    }
    if values["region_code"] and not re.fullmatch(r"\d{2}(\.\d{2})?", values["region_code"]):
        errors["region_code"] = _("A Kemendagri region code such as 61 or 61.01.")
    level, kind = _one_line(form.get("level")), _one_line(form.get("kind"))
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
    event = db.session.get(Event, event_id)
    require_organiser(actor, event)
    values = _agency_values(form)
    with write_transaction():
        event = db.session.get(Event, event_id)
        same_name = db.session.scalar(sa.select(Agency).where(sa.func.lower(Agency.name) == values["name"].lower()))
        if agency_id is None:
            agency = same_name or Agency(**values)
            if same_name is not None and agency in event.agencies:
                raise ValidationFailed({"name": _("%(name)s already takes part in this event.", name=values["name"])})
            if same_name is None or not _used_elsewhere(agency, event):
                for name, value in values.items():  # an agency of other events is taken in as it is
                    setattr(agency, name, value)
            db.session.add(agency)
            event.agencies.append(agency)
            db.session.flush()
            record_audit(actor, event, "agency.add", f"agency:{agency.id}", agency.name)
        else:
            agency = _event_agency(event, agency_id)
            _refuse_if_shared(agency, event)
            if same_name is not None and same_name.id != agency.id:
                raise ValidationFailed({"name": _("Another agency already has this name.")})
            changes = [f"{k}: {getattr(agency, k)} → {v}" for k, v in values.items() if getattr(agency, k) != v]
            for name, value in values.items():
                setattr(agency, name, value)
            if changes:
                record_audit(actor, event, "agency.update", f"agency:{agency.id}", "; ".join(str(c) for c in changes))
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
    event = db.session.get(Event, event_id)
    require_organiser(actor, event)
    with write_transaction():
        event = db.session.get(Event, event_id)
        agency = _event_agency(event, agency_id)
        _refuse_if_shared(agency, event)
        if agency.active != active:
            agency.active = active
            record_audit(
                actor, event, "agency.activate" if active else "agency.deactivate", f"agency:{agency.id}", agency.name
            )
    return agency


# ---- People and roles ------------------------------------------------------------------------

ROLE_WORDS = {
    "organiser": Role.ORGANISER,
    "organizer": Role.ORGANISER,
    "penyelenggara": Role.ORGANISER,
    "sekretariat": Role.ORGANISER,
    "panitia": Role.ORGANISER,
    "facilitator": Role.FACILITATOR,
    "fasilitator": Role.FACILITATOR,
    "moderator": Role.FACILITATOR,
    "participant": Role.PARTICIPANT,
    "peserta": Role.PARTICIPANT,
    "reviewer": Role.REVIEWER,
    "peninjau": Role.REVIEWER,
    "reviu": Role.REVIEWER,
    "observer": Role.OBSERVER,
    "pengamat": Role.OBSERVER,
    "peninjau pasif": Role.OBSERVER,
}


@dataclass
class PersonData:
    name: str
    position: str
    agency: Agency | None
    nip: str | None
    email: str | None
    phone: str | None
    roles: frozenset[Role]


def _person_data(event: Event, form: dict[str, Any], roles: list[str]) -> tuple[PersonData, dict[str, str]]:
    errors: dict[str, str] = {}
    name = _text(errors, "name", form.get("name"), 120, required=True)
    position = _text(errors, "position", form.get("position"), 200)
    nip = re.sub(r"\s+", "", _one_line(form.get("nip")))
    if nip and not re.fullmatch(r"[0-9]{18}", nip):
        errors["nip"] = _("A NIP has 18 digits.")
    email = _one_line(form.get("email")).lower()
    if email and (len(email) > 200 or not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email)):
        errors["email"] = _("This is not an e-mail address.")
    phone = re.sub(r"[\s.-]", "", _one_line(form.get("phone")))
    if phone and not re.fullmatch(r"\+?[0-9]{8,15}", phone):
        errors["phone"] = _("A phone number has 8 to 15 digits.")
    agency = None
    agency_id = _one_line(form.get("agency_id"))
    if agency_id:
        valid_id = agency_id.isascii() and agency_id.isdigit() and len(agency_id) <= 12
        agency = db.session.get(Agency, int(agency_id)) if valid_id else None
        if agency is None or agency not in event.agencies:
            errors["agency_id"] = _("Choose an agency of this event.")
    chosen = set()
    for role in roles:
        if role not in Role._value2member_map_:
            errors["roles"] = _("Unknown role.")
        else:
            chosen.add(Role(role))
    if not chosen and "roles" not in errors:
        errors["roles"] = _("Choose at least one role.")
    if Role.PARTICIPANT in chosen and agency is None and "agency_id" not in errors:
        errors["agency_id"] = _("A participant belongs to an agency.")
    return PersonData(name, position, agency, nip or None, email or None, phone or None, frozenset(chosen)), errors


def people_of(actor: User, event: Event) -> list[tuple[User, frozenset[Role]]]:
    require_organiser(actor, event)
    memberships = db.session.scalars(sa.select(Membership).where(Membership.event_id == event.id)).all()
    roles: dict[int, set[Role]] = {}
    for membership in memberships:
        roles.setdefault(membership.user_id, set()).add(membership.role)
    users = db.session.scalars(sa.select(User).where(User.id.in_(list(roles))).order_by(User.name)).all()
    return [(user, frozenset(roles[user.id])) for user in users]


def unique_username(name: str, taken: set[str] | None = None) -> str:
    """`Budi Santoso, S.Sos.` → `budi.santoso` (then `budi.santoso2`, … if taken)."""
    plain = unicodedata.normalize("NFKD", name.split(",")[0]).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", plain.lower())[:3] or ["peserta"]
    base = ".".join(words)[:60]
    taken = taken if taken is not None else set()
    candidate, number = base, 2
    while candidate in taken or db.session.scalar(sa.select(User.id).where(User.username == candidate)):
        candidate = f"{base}{number}"
        number += 1
    taken.add(candidate)
    return candidate


def _apply_person(
    actor: User, event: Event, user: User | None, data: PersonData, taken: set[str]
) -> tuple[User, list[str]]:
    """Create or update one person and set their roles in the event; returns what changed."""
    changes: list[str] = []
    if user is None:
        user = User(username=unique_username(data.name, taken), name=data.name)
        db.session.add(user)
        changes.append("created")
    for attribute in ("name", "position", "nip", "email", "phone"):
        value = getattr(data, attribute)
        if attribute in ("nip", "email", "phone") and value is None and getattr(user, attribute):
            continue  # a blank cell does not erase what is known
        if (getattr(user, attribute) or "") != (value or ""):
            if "created" not in changes:
                changes.append(f"{attribute}: {getattr(user, attribute) or '–'} → {value or '–'}")
            setattr(user, attribute, value if value is not None else ("" if attribute == "position" else None))
    if user.agency_id != (data.agency.id if data.agency else None):
        if "created" not in changes:
            changes.append(
                f"agency: {user.agency.short_name if user.agency else '–'} → "
                f"{data.agency.short_name if data.agency else '–'}"
            )
        user.agency = data.agency
    db.session.flush()
    current = {
        m.role: m
        for m in db.session.scalars(
            sa.select(Membership).where(Membership.event_id == event.id, Membership.user_id == user.id)
        )
    }
    for role in data.roles - set(current):
        db.session.add(Membership(event_id=event.id, user_id=user.id, role=role))
    for role in set(current) - data.roles:
        db.session.delete(current[role])
    if set(current) != set(data.roles) and "created" not in changes:
        changes.append(
            f"roles: {', '.join(sorted(r.value for r in current)) or '–'} → "
            f"{', '.join(sorted(r.value for r in data.roles))}"
        )
    return user, changes


def save_person(actor: User, event_id: int, user_id: int | None, form: dict[str, Any], roles: list[str]) -> User:
    event = db.session.get(Event, event_id)
    require_organiser(actor, event)
    data, errors = _person_data(event, form, roles)
    if user_id is not None:
        existing = _event_person(event, user_id, actor)
        if existing.id == actor.id and Role.ORGANISER not in data.roles:
            errors["roles"] = _("You cannot take away your own organiser role.")
    if errors:
        raise ValidationFailed(errors)
    with write_transaction():
        event = db.session.get(Event, event_id)
        user = _event_person(event, user_id, actor) if user_id is not None else None
        user, changes = _apply_person(actor, event, user, _reload(data), set())
        if changes:
            action = "person.create" if changes == ["created"] else "person.update"
            record_audit(actor, event, action, f"user:{user.id}", f"{user.name}: " + "; ".join(changes))
    return user


def _reload(data: PersonData) -> PersonData:
    """The agency again in this transaction's session state (write_transaction began afresh)."""
    if data.agency is not None:
        data.agency = db.session.get(Agency, data.agency.id)
    return data


def _event_person(event: Event, user_id: int, actor: User | None = None) -> User:
    """A person of this event whom the actor may manage. An account is global (one person, one
    login), so someone who also takes part in another event is managed only by an organiser of
    every event they are in: otherwise an organiser could take over an account elsewhere."""
    user = db.session.get(User, user_id)
    if user is None or not user.roles_in(event):
        raise ValidationFailed({"user": _("This person does not take part in this event.")})
    if actor is not None and not organises_every_event_of(actor, user):
        raise PermissionDenied(
            _(
                "%(name)s also takes part in another event; only an organiser of all their events can change "
                "their account.",
                name=user.name,
            )
        )
    return user


def organises_every_event_of(actor: User, user: User) -> bool:
    event_ids = set(db.session.scalars(sa.select(Membership.event_id).where(Membership.user_id == user.id)))
    organised = set(
        db.session.scalars(
            sa.select(Membership.event_id).where(Membership.user_id == actor.id, Membership.role == Role.ORGANISER)
        )
    )
    return event_ids <= organised


def has_activity(user: User) -> bool:
    """Someone who edited or commented stays in the records: never deleted, only deactivated."""
    edited = db.session.scalar(sa.select(Revision.id).where(Revision.user_id == user.id).limit(1))
    commented = db.session.scalar(sa.select(Comment.id).where(Comment.author_id == user.id).limit(1))
    return edited is not None or commented is not None


def set_person_active(actor: User, event_id: int, user_id: int, active: bool) -> User:
    event = db.session.get(Event, event_id)
    require_organiser(actor, event)
    if user_id == actor.id and not active:
        raise ValidationFailed({"user": _("You cannot deactivate yourself.")})
    with write_transaction():
        event = db.session.get(Event, event_id)
        user = _event_person(event, user_id, actor)
        if user.active != active:
            user.active = active
            if not active:
                # Their sign-ins end now, and with them their live sockets (below).
                from workspace.models import LoginSession

                db.session.execute(
                    sa.update(LoginSession)
                    .where(LoginSession.user_id == user.id, LoginSession.ended_at.is_(None))
                    .values(ended_at=utcnow())
                )
            record_audit(
                actor, event, "person.activate" if active else "person.deactivate", f"user:{user.id}", user.name
            )
    if not active:
        from workspace.realtime.handlers import disconnect_user

        disconnect_user(user_id)  # this process's sockets now; other processes' at their next sweep
    return user


# ---- Bulk import of the participant list ------------------------------------------------------

PEOPLE_HEADERS = {
    "nama": "name",
    "name": "name",
    "nama lengkap": "name",
    "nip": "nip",
    "jabatan": "position",
    "position": "position",
    "perangkat daerah": "agency",
    "instansi": "agency",
    "agency": "agency",
    "unit kerja": "agency",
    "opd": "agency",
    "email": "email",
    "e-mail": "email",
    "surel": "email",
    "telepon": "phone",
    "hp": "phone",
    "no. hp": "phone",
    "no hp": "phone",
    "phone": "phone",
    "telp": "phone",
    "nomor hp": "phone",
    "whatsapp": "phone",
    "peran": "role",
    "role": "role",
}
MAX_PEOPLE_ROWS = 2000


def normalise_agency_name(name: str) -> str:
    """Tolerant matching of agency names: case, "Kab." / "Kabupaten", "Prov.", punctuation, word
    order, the long and short names of Kesbangpol and Bappeda."""
    text = unicodedata.normalize("NFKC", name).lower()
    text = re.sub(r"\bkab\b\.?", "kabupaten", text)
    text = re.sub(r"\bprov\b\.?", "provinsi", text)
    text = text.replace("badan kesatuan bangsa dan politik", "kesbangpol")
    text = text.replace("badan perencanaan pembangunan daerah", "bappeda")
    text = text.replace("kalbar", "kalimantan barat")
    words = re.sub(r"[^a-z0-9]+", " ", text).split()
    return " ".join(sorted(words))  # "Kab. Sambas Kesbangpol" is "Kesbangpol Kabupaten Sambas"


@dataclass(frozen=True)
class PeopleRowError:
    row: int
    message: str

    def __str__(self) -> str:
        return _("Row %(row)d: %(message)s", row=self.row, message=self.message)


@dataclass
class PlannedPerson:
    row: int
    data: PersonData
    existing: User | None
    changes: list[str] = field(default_factory=list)


@dataclass
class PeoplePlan:
    people: list[PlannedPerson]
    errors: list[PeopleRowError]

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def created(self) -> list[PlannedPerson]:
        return [p for p in self.people if p.existing is None]

    @property
    def updated(self) -> list[PlannedPerson]:
        return [p for p in self.people if p.existing is not None and p.changes]

    @property
    def unchanged(self) -> int:
        return sum(1 for p in self.people if p.existing is not None and not p.changes)


def _find_existing(event: Event, data: PersonData) -> tuple[User | None, str | None]:
    """The same person on a second import: by NIP, else e-mail, else phone, else name + agency;
    only among the people of this event. A NIP, e-mail or phone of an account elsewhere is not
    taken over (that would hand another event's account to this event's organisers): it is an
    error the organiser resolves. Returns (the person or None, an error or None)."""
    members = sa.select(Membership.user_id).where(Membership.event_id == event.id)
    for attribute in ("nip", "email", "phone"):
        value = getattr(data, attribute)
        if value:
            user = db.session.scalar(sa.select(User).where(getattr(User, attribute) == value, User.id.in_(members)))
            if user is not None:
                return user, None
            if db.session.scalar(sa.select(User.id).where(getattr(User, attribute) == value)) is not None:
                return None, _(
                    "%(field)s %(value)s belongs to an account of another event; leave it out, or ask the "
                    "organisers of that event.",
                    field=str(labels.PERSON_FIELD[attribute]),
                    value=value,
                )
    if data.agency is None:
        return None, None
    # Compared in Python: SQLite's lower() knows only ASCII, and names here are "Wahyu Ādi" too.
    wanted = data.name.casefold()
    colleagues = db.session.scalars(sa.select(User).where(User.agency_id == data.agency.id, User.id.in_(members)))
    return next((user for user in colleagues if user.name.casefold() == wanted), None), None


def _preview_changes(user: User, data: PersonData, event: Event) -> list[str]:
    changes = []
    for attribute in ("name", "position", "nip", "email", "phone"):
        value = getattr(data, attribute)
        if attribute in ("nip", "email", "phone") and value is None:
            continue
        if (getattr(user, attribute) or "") != (value or ""):
            changes.append(
                f"{labels.PERSON_FIELD.get(attribute, attribute)}: {getattr(user, attribute) or '–'} → {value}"
            )
    if user.agency_id != (data.agency.id if data.agency else None):
        changes.append(
            f"{labels.PERSON_FIELD['agency']}: {user.agency.short_name if user.agency else '–'} → "
            f"{data.agency.short_name if data.agency else '–'}"
        )
    roles = user.roles_in(event)
    if set(roles) != set(data.roles):
        changes.append(
            f"{labels.PERSON_FIELD['roles']}: {', '.join(sorted(str(labels.ROLE[r]) for r in roles)) or '–'}"
            f" → {', '.join(sorted(str(labels.ROLE[r]) for r in data.roles))}"
        )
    return changes


def plan_people_import(actor: User, event_id: int, content: bytes, filename: str) -> PeoplePlan:
    """Read and check the participant list; writes nothing."""
    event = db.session.get(Event, event_id)
    require_organiser(actor, event)
    if not content:
        raise ValidationFailed({"file": _("Choose the participant list (XLSX or CSV).")})
    try:
        rows = read_table(content, filename, PEOPLE_HEADERS, ("name", "agency"))
    except TooManyRows:
        raise ValidationFailed({"file": _("The file has more than %(max)d rows.", max=MAX_PEOPLE_ROWS)}) from None
    except UnreadableFile:
        raise ValidationFailed(
            {
                "file": _(
                    "This file cannot be read: use an XLSX or CSV with the columns Nama, NIP, Jabatan, "
                    "Perangkat Daerah, Email, Telepon and Peran."
                )
            }
        ) from None
    if not rows:
        raise ValidationFailed({"file": _("The file has no rows of people.")})
    agencies = {}
    for agency in event.agencies:
        agencies[normalise_agency_name(agency.name)] = agency
        agencies[normalise_agency_name(agency.short_name)] = agency
    people: list[PlannedPerson] = []
    errors: list[PeopleRowError] = []
    seen: dict[str, int] = {}
    for row in rows:
        values = {key: ("" if value is None else str(value).strip()) for key, value in row.values.items()}
        number_nip = row.values.get("nip")
        lost_digits = False
        if isinstance(number_nip, float | int) and not isinstance(number_nip, bool):
            # A NIP typed into a number cell: Excel keeps 15 significant digits, so an 18-digit NIP
            # has lost its last ones; only a small whole number survives intact.
            if isinstance(number_nip, int) or (number_nip.is_integer() and abs(number_nip) < 2**53):
                values["nip"] = str(int(number_nip))
            if isinstance(number_nip, float) and abs(number_nip) >= 10**15:
                lost_digits = True
        agency_text = values.get("agency", "")
        agency = agencies.get(normalise_agency_name(agency_text)) if agency_text else None
        form = {k: values.get(k, "") for k in ("name", "position", "nip", "email", "phone")}
        role_words = [w.strip().lower() for w in re.split(r"[,;/]", values.get("role", "")) if w.strip()]
        roles = [ROLE_WORDS[w].value if w in ROLE_WORDS else w for w in role_words] or [Role.PARTICIPANT.value]
        form["agency_id"] = str(agency.id) if agency else ""
        data, row_errors = _person_data(event, form, roles)
        if lost_digits:
            row_errors["nip"] = _(
                "The NIP is stored as a number in the spreadsheet and has lost its last digits; format the NIP "
                "column as text and type it again."
            )
        if agency_text and agency is None:
            row_errors["agency_id"] = _(
                "Unknown agency “%(agency)s”: it is not an agency of this event.", agency=agency_text[:80]
            )
        elif not agency_text:
            row_errors["agency_id"] = _("The agency is missing.")
        if "roles" in row_errors and role_words:
            row_errors["roles"] = _(
                "Unknown role in “%(roles)s”: use peserta, fasilitator, peninjau, pengamat or sekretariat.",
                roles=values.get("role", "")[:60],
            )
        for name, message in row_errors.items():
            column = labels.PERSON_FIELD.get(name.replace("_id", ""), name)
            errors.append(PeopleRowError(row.number, f"{column}: {message}"))
        if row_errors:
            continue
        key = data.nip or data.email or data.phone or f"{data.name.lower()}|{data.agency.id if data.agency else ''}"
        if key in seen:
            errors.append(PeopleRowError(row.number, _("The same person as in row %(row)d.", row=seen[key])))
            continue
        seen[key] = row.number
        existing, problem = _find_existing(event, data)
        if problem is None and existing is not None and not organises_every_event_of(actor, existing):
            problem = _(
                "%(name)s also takes part in another event; only an organiser of all their events can "
                "change their account.",
                name=existing.name,
            )
        if problem is not None:
            errors.append(PeopleRowError(row.number, problem))
            continue
        planned = PlannedPerson(row=row.number, data=data, existing=existing)
        if existing is not None:
            planned.changes = _preview_changes(existing, data, event)
        people.append(planned)
    return PeoplePlan(people=people, errors=sorted(errors, key=lambda e: e.row))


def apply_people_import(actor: User, event_id: int, content: bytes, filename: str) -> PeoplePlan:
    """Write the previewed list: all rows or none."""
    plan = plan_people_import(actor, event_id, content, filename)
    if not plan.ok:
        raise ValidationFailed(
            {"file": _("The file has %(count)d errors; nothing was imported.", count=len(plan.errors))}
        )
    with write_transaction():
        event = db.session.get(Event, event_id)
        taken: set[str] = set()
        created = updated = 0
        for planned in plan.people:
            user = db.session.get(User, planned.existing.id) if planned.existing else None
            user, changes = _apply_person(actor, event, user, _reload(planned.data), taken)
            if changes == ["created"]:
                created += 1
                record_audit(actor, event, "person.create", f"user:{user.id}", f"{user.name} (impor)")
            elif changes:
                updated += 1
                record_audit(
                    actor, event, "person.update", f"user:{user.id}", f"{user.name} (impor): " + "; ".join(changes)
                )
        record_audit(
            actor,
            event,
            "people.import",
            f"event:{event.id}",
            f"{filename[:100]}: {created} baru, {updated} diubah, {plan.unchanged} tetap",
        )
    return plan


# ---- Join codes --------------------------------------------------------------------------------

# 12 symbols of a 32-letter alphabet without 0/O and 1/I: 60 bits, typed as XXXX-XXXX-XXXX.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 12


def format_code(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def normalise_code(typed: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", typed.upper())[:40]


def code_hash(code: str) -> str:
    """Keyed hash: a leaked database does not let anyone try codes offline."""
    key = str(current_app.config["SECRET_KEY"]).encode("utf-8")
    return hmac.new(key, normalise_code(code).encode("ascii"), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class IssuedCode:
    user: User
    code: str  # as printed: XXXX-XXXX-XXXX

    @property
    def normalised(self) -> str:
        return normalise_code(self.code)


def issue_codes(actor: User, event_id: int, user_ids: list[int]) -> list[IssuedCode]:
    """A new one-time code for each person; their earlier unused codes stop working. Shown once:
    only the hash is stored, so printing the cards again issues new codes."""
    event = db.session.get(Event, event_id)
    require_organiser(actor, event)
    if not user_ids:
        raise ValidationFailed({"people": _("Choose at least one person.")})
    issued: list[IssuedCode] = []
    with write_transaction():
        event = db.session.get(Event, event_id)
        expires = event_end(event)
        now = utcnow()
        for user_id in dict.fromkeys(user_ids):  # the same person twice would void their first card
            user = _event_person(event, user_id, actor)
            db.session.execute(
                sa.update(JoinCode)
                .where(
                    JoinCode.event_id == event.id,
                    JoinCode.user_id == user.id,
                    JoinCode.used_at.is_(None),
                    JoinCode.revoked_at.is_(None),
                )
                .values(revoked_at=now)
            )
            code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
            db.session.add(
                JoinCode(
                    event_id=event.id,
                    user_id=user.id,
                    code_hash=code_hash(code),
                    expires_at=expires,
                    created_by_id=actor.id,
                )
            )
            issued.append(IssuedCode(user=user, code=format_code(code)))
        record_audit(
            actor, event, "codes.issue", f"event:{event.id}", ", ".join(item.user.name for item in issued)[:2000]
        )
    for item in issued:
        db.session.refresh(item.user)
    return issued


class CodeRefused(ValidationFailed):
    def __init__(self, message: str) -> None:
        super().__init__({"code": message})


@dataclass(frozen=True)
class CodeSignIn:
    user: User
    event: Event
    expires_at: datetime | None  # the sign-in ends with the event unless the person sets a password
    must_set_password: bool


def redeem_code(typed: str) -> CodeSignIn:
    """Use a join code: once, before the event ends, if it was not replaced and the person is active."""
    code = normalise_code(typed)
    if len(code) != CODE_LENGTH:
        raise CodeRefused(_("A join code has 12 letters and digits, like ABCD-EFGH-JKMN."))
    join_code = db.session.scalar(sa.select(JoinCode).where(JoinCode.code_hash == code_hash(code)))
    if join_code is None:
        raise CodeRefused(_("This join code is not known. Check it, or ask the secretariat for a new one."))
    if join_code.revoked_at is not None:
        raise CodeRefused(_("This join code was replaced by a newer one. Ask the secretariat for your new card."))
    if join_code.used_at is not None:
        raise CodeRefused(
            _(
                "This join code has already been used. Sign in with your password, or ask the "
                "secretariat for a new code."
            )
        )
    if join_code.expires_at <= utcnow():
        raise CodeRefused(_("This join code has expired: the event is over."))
    user = db.session.get(User, join_code.user_id)
    event = db.session.get(Event, join_code.event_id)
    if user is None or not user.active or not user.roles_in(event):
        raise CodeRefused(_("This account is not active. Ask the secretariat."))
    with write_transaction():
        used = db.session.execute(
            sa.update(JoinCode)
            .where(JoinCode.id == join_code.id, JoinCode.used_at.is_(None), JoinCode.revoked_at.is_(None))
            .values(used_at=utcnow())
        )
        if used.rowcount != 1:  # two laptops with one card, at the same second: only one wins
            raise CodeRefused(
                _(
                    "This join code has already been used. Sign in with your password, or ask the "
                    "secretariat for a new code."
                )
            )
        record_audit(user, event, "codes.redeem", f"user:{user.id}", user.name)
    event = db.session.get(Event, event.id)
    user = db.session.get(User, user.id)
    return CodeSignIn(
        user=user, event=event, expires_at=event_end(event), must_set_password=not event.code_sign_in_lasts
    )


def set_own_password(user: User, password: str, confirmation: str) -> None:
    from workspace.services.accounts import MIN_PASSWORD_LENGTH

    errors = {}
    if len(password) < MIN_PASSWORD_LENGTH:
        errors["password"] = _("Password: at least %(min)d characters.", min=MIN_PASSWORD_LENGTH)
    elif len(password) > 200:
        errors["password"] = _("At most %(max)d characters.", max=200)
    elif password != confirmation:
        errors["confirmation"] = _("The two passwords are not the same.")
    if errors:
        raise ValidationFailed(errors)
    with write_transaction():
        fresh = db.session.get(User, user.id)
        fresh.set_password(password)
        record_audit(fresh, None, "person.password", f"user:{fresh.id}", fresh.name)


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


def record_catalog_import(actor: User, event: Event, filename: str, result: Any) -> None:
    from workspace.services.transactions import write_transaction as transaction

    with transaction():
        record_audit(
            actor,
            db.session.get(Event, event.id),
            "catalog.import",
            filename[:200],
            f"{result.created} baru, {result.updated} diubah, {result.unchanged} tetap",
        )
