"""The people of an event and their roles: validate, create or update, (de)activate.

An account is global (one person, one login): an organiser manages someone only if they organise
every event that person takes part in."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from workspace.core.changes import SignInsEnded
from workspace.core.errors import PermissionDenied, ValidationFailed
from workspace.core.uow import record, write_transaction
from workspace.extensions import db
from workspace.models import Agency, Comment, Event, LoginSession, Membership, Revision, Role, User
from workspace.models.base import utcnow
from workspace.services.onboarding._common import (
    event_by_id,
    one_line,
    organised_event,
    people_changed,
    require_organiser,
    text_field,
)
from workspace.services.onboarding.audit import record_audit

# The attributes of a person a form or a row of the participant list sets; a blank contact detail
# does not erase a known one.
PERSON_DETAILS = ("name", "position", "nip", "email", "phone")
CONTACT_DETAILS = ("nip", "email", "phone")


@dataclass
class PersonData:
    name: str
    position: str
    agency: Agency | None
    nip: str | None
    email: str | None
    phone: str | None
    roles: frozenset[Role]


# ---- Validation ------------------------------------------------------------------------------


def validate_person(event: Event, form: dict[str, Any], roles: list[str]) -> tuple[PersonData, dict[str, str]]:
    """The person a form (or a row of the participant list) describes, and its problems by field."""
    errors: dict[str, str] = {}
    name = text_field(errors, "name", form.get("name"), 120, required=True)
    position = text_field(errors, "position", form.get("position"), 200)
    nip, email, phone = _contact_details(errors, form)
    agency = _chosen_agency(errors, event, form)
    chosen = _chosen_roles(errors, roles)
    if Role.PARTICIPANT in chosen and agency is None and "agency_id" not in errors:
        errors["agency_id"] = _("A participant belongs to an agency.")
    return PersonData(name, position, agency, nip or None, email or None, phone or None, frozenset(chosen)), errors


def _contact_details(errors: dict[str, str], form: dict[str, Any]) -> tuple[str, str, str]:
    """NIP, e-mail and phone, normalised ("" when left out)."""
    nip = re.sub(r"\s+", "", one_line(form.get("nip")))
    if nip and not re.fullmatch(r"[0-9]{18}", nip):
        errors["nip"] = _("A NIP has 18 digits.")
    email = one_line(form.get("email")).lower()
    if email and (len(email) > 200 or not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email)):
        errors["email"] = _("This is not an e-mail address.")
    phone = re.sub(r"[\s.-]", "", one_line(form.get("phone")))
    if phone and not re.fullmatch(r"\+?[0-9]{8,15}", phone):
        errors["phone"] = _("A phone number has 8 to 15 digits.")
    return nip, email, phone


def _chosen_agency(errors: dict[str, str], event: Event, form: dict[str, Any]) -> Agency | None:
    agency_id = one_line(form.get("agency_id"))
    if not agency_id:
        return None
    valid_id = agency_id.isascii() and agency_id.isdigit() and len(agency_id) <= 12
    agency = db.session.get(Agency, int(agency_id)) if valid_id else None
    if agency is None or agency not in event.agencies:
        errors["agency_id"] = _("Choose an agency of this event.")
    return agency


def _chosen_roles(errors: dict[str, str], roles: list[str]) -> set[Role]:
    chosen = set()
    for role in roles:
        if role not in Role._value2member_map_:
            errors["roles"] = _("Unknown role.")
        else:
            chosen.add(Role(role))
    if not chosen and "roles" not in errors:
        errors["roles"] = _("Choose at least one role.")
    return chosen


# ---- Reading -----------------------------------------------------------------------------------


def people_of(actor: User, event: Event) -> list[tuple[User, frozenset[Role]]]:
    require_organiser(actor, event)
    memberships = db.session.scalars(sa.select(Membership).where(Membership.event_id == event.id)).all()
    roles: dict[int, set[Role]] = {}
    for membership in memberships:
        roles.setdefault(membership.user_id, set()).add(membership.role)
    users = db.session.scalars(sa.select(User).where(User.id.in_(list(roles))).order_by(User.name)).all()
    return [(user, frozenset(roles[user.id])) for user in users]


def event_person(event: Event, user_id: int, actor: User | None = None) -> User:
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


# Titles and honorifics around an Indonesian name, never part of a username: a short dotted token
# (dr., drs., dra., ir., h., hj., S.Sos., M.Si., Sp.PD, A.Md.), or one of these written plainly.
DOTTED_TITLE = re.compile(r"^(?:[a-z]{1,3}\.)+[a-z]{0,5}\.?$")
PLAIN_TITLES = frozenset(
    {"dr", "drg", "drs", "dra", "ir", "prof", "hj", "kh", "ust", "ustadz", "ustadzah", "bapak", "ibu", "bpk",
     "sdr", "sdri", "se", "sh", "mm", "msi", "mpd", "spd", "ssos", "skom", "mt", "phd", "mba", "msc", "bsc", "amd"}
)  # fmt: skip


def _name_words(name: str) -> list[str]:
    """The words of a name without its titles: `Dra. Hj. Siti Aminah, M.Si.` → siti, aminah."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    before_degrees = plain.split(",")[0]  # "…, S.Sos., M.Si." — degrees follow a comma
    words = []
    for token in before_degrees.split():
        if DOTTED_TITLE.match(token) or token.strip(".'()-") in PLAIN_TITLES:
            continue
        words.extend(re.findall(r"[a-z0-9]+", token))
    return words


def unique_username(name: str, taken: set[str] | None = None) -> str:
    """The first and the last word of the name, without titles or honorifics:
    `Dra. Hj. Siti Aminah, M.Si.` → `siti.aminah`, `Drs. Usman Effendi Nasution` →
    `usman.nasution`, `Suparman` → `suparman` (then `siti.aminah2`, … if taken)."""
    words = _name_words(name) or ["peserta"]
    base = ".".join([words[0], words[-1]] if len(words) > 1 else words)[:60]
    taken = taken if taken is not None else set()
    candidate, number = base, 2
    while candidate in taken or db.session.scalar(sa.select(User.id).where(User.username == candidate)):
        candidate = f"{base}{number}"
        number += 1
    taken.add(candidate)
    return candidate


# ---- Writing -----------------------------------------------------------------------------------


def apply_person(
    actor: User, event: Event, user: User | None, data: PersonData, taken: set[str]
) -> tuple[User, list[str]]:
    """Create or update one person and set their roles in the event; returns what changed
    (`["created"]` for a new person)."""
    created = user is None
    if user is None:
        user = User(username=unique_username(data.name, taken), name=data.name)
        db.session.add(user)
    changes = _apply_details(user, data)
    changes += _apply_agency(user, data.agency)
    db.session.flush()
    changes += _apply_roles(event, user, data.roles)
    return user, ["created"] if created else changes


def _apply_details(user: User, data: PersonData) -> list[str]:
    changes = []
    for attribute in PERSON_DETAILS:
        value = getattr(data, attribute)
        if attribute in CONTACT_DETAILS and value is None and getattr(user, attribute):
            continue  # a blank cell does not erase what is known
        if (getattr(user, attribute) or "") != (value or ""):
            changes.append(f"{attribute}: {getattr(user, attribute) or '–'} → {value or '–'}")
            setattr(user, attribute, value if value is not None else ("" if attribute == "position" else None))
    return changes


def _apply_agency(user: User, agency: Agency | None) -> list[str]:
    if user.agency_id == (agency.id if agency else None):
        return []
    change = f"agency: {user.agency.short_name if user.agency else '–'} → {agency.short_name if agency else '–'}"
    user.agency = agency
    return [change]


def _apply_roles(event: Event, user: User, roles: frozenset[Role]) -> list[str]:
    current = {
        m.role: m
        for m in db.session.scalars(
            sa.select(Membership).where(Membership.event_id == event.id, Membership.user_id == user.id)
        )
    }
    for role in roles - set(current):
        db.session.add(Membership(event_id=event.id, user_id=user.id, role=role))
    for role in set(current) - roles:
        db.session.delete(current[role])
    if set(current) == set(roles):
        return []
    before = ", ".join(sorted(r.value for r in current)) or "–"
    return [f"roles: {before} → {', '.join(sorted(r.value for r in roles))}"]


def reload_agency(data: PersonData) -> PersonData:
    """The agency again in this transaction's session state (write_transaction began afresh)."""
    if data.agency is not None:
        data.agency = db.session.get(Agency, data.agency.id)
    return data


def save_person(actor: User, event_id: int, user_id: int | None, form: dict[str, Any], roles: list[str]) -> User:
    event = organised_event(actor, event_id)
    data, errors = validate_person(event, form, roles)
    if user_id is not None:
        existing = event_person(event, user_id, actor)
        if existing.id == actor.id and Role.ORGANISER not in data.roles:
            errors["roles"] = _("You cannot take away your own organiser role.")
    if errors:
        raise ValidationFailed(errors)
    with write_transaction():
        event = event_by_id(event_id)
        user = event_person(event, user_id, actor) if user_id is not None else None
        user, changes = apply_person(actor, event, user, reload_agency(data), set())
        if changes:
            action = "person.create" if changes == ["created"] else "person.update"
            record_audit(actor, event, action, f"user:{user.id}", f"{user.name}: " + "; ".join(changes))
            people_changed(event)
    return user


def set_person_active(actor: User, event_id: int, user_id: int, active: bool) -> User:
    organised_event(actor, event_id)
    if user_id == actor.id and not active:
        raise ValidationFailed({"user": _("You cannot deactivate yourself.")})
    with write_transaction():
        event = event_by_id(event_id)
        user = event_person(event, user_id, actor)
        if user.active != active:
            user.active = active
            if not active:
                _end_sign_ins(user)
            record_audit(
                actor, event, "person.activate" if active else "person.deactivate", f"user:{user.id}", user.name
            )
            people_changed(event)
    return user


def _end_sign_ins(user: User) -> None:
    """Their sign-ins end now, and with them their live sockets after the commit (this process's
    at once, other processes' at their next sweep)."""
    db.session.execute(
        sa.update(LoginSession)
        .where(LoginSession.user_id == user.id, LoginSession.ended_at.is_(None))
        .values(ended_at=utcnow())
    )
    record(SignInsEnded(user_id=user.id))
