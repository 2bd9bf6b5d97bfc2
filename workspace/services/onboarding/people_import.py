"""The bulk import of the participant list: a preview that writes nothing, then all rows or none.

Idempotent: a second import of the same list finds the same people (by NIP, e-mail, phone, else
name and agency) and changes only what differs."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _

from workspace import labels
from workspace.core.errors import ValidationFailed
from workspace.core.uow import write_transaction
from workspace.exports.spreadsheet import SheetRow, TooManyRows, TooMuchWork, UnreadableFile, read_table
from workspace.extensions import db
from workspace.models import Agency, Event, Membership, Role, User
from workspace.services.onboarding._common import event_by_id, organised_event, people_changed
from workspace.services.onboarding.audit import record_audit
from workspace.services.onboarding.people import (
    CONTACT_DETAILS,
    PERSON_DETAILS,
    PersonData,
    apply_person,
    organises_every_event_of,
    reload_agency,
    validate_person,
)

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


# ---- The preview -------------------------------------------------------------------------------


def plan_people_import(actor: User, event_id: int, content: bytes, filename: str) -> PeoplePlan:
    """Read and check the participant list; writes nothing."""
    event = organised_event(actor, event_id)
    rows = _read_rows(content, filename)
    agencies = _agencies_by_name(event)
    people: list[PlannedPerson] = []
    errors: list[PeopleRowError] = []
    seen: dict[str, int] = {}  # a person's identity → the first row they are on
    for row in rows:
        planned, row_errors = _plan_row(actor, event, agencies, seen, row)
        errors += row_errors
        if planned is not None:
            people.append(planned)
    return PeoplePlan(people=people, errors=sorted(errors, key=lambda e: e.row))


def _read_rows(content: bytes, filename: str) -> list[SheetRow]:
    if not content:
        raise ValidationFailed({"file": _("Choose the participant list (XLSX or CSV).")})
    try:
        rows = read_table(content, filename, PEOPLE_HEADERS, ("name", "agency"))
    except TooManyRows:
        raise ValidationFailed({"file": _("The file has more than %(max)d rows.", max=MAX_PEOPLE_ROWS)}) from None
    except TooMuchWork:
        raise ValidationFailed(
            {
                "file": _(
                    "This file asks for far more work than a spreadsheet of proposals or people needs (too many "
                    "rows, columns or texts, or too slow to read); nothing was imported. Export it again from "
                    "Sinergi or save it again as a plain XLSX."
                )
            }
        ) from None
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
    return rows


def _agencies_by_name(event: Event) -> dict[str, Agency]:
    """The event's agencies by their normalised long and short names."""
    agencies = {}
    for agency in event.agencies:
        agencies[normalise_agency_name(agency.name)] = agency
        agencies[normalise_agency_name(agency.short_name)] = agency
    return agencies


def _plan_row(
    actor: User, event: Event, agencies: dict[str, Agency], seen: dict[str, int], row: SheetRow
) -> tuple[PlannedPerson | None, list[PeopleRowError]]:
    """One row: the person it creates or updates, or why it cannot be imported."""
    data, problems = _check_row(event, agencies, row)
    if problems:
        return None, [PeopleRowError(row.number, f"{_column(name)}: {message}") for name, message in problems.items()]
    key = _identity(data)
    if key in seen:
        return None, [PeopleRowError(row.number, _("The same person as in row %(row)d.", row=seen[key]))]
    seen[key] = row.number
    existing, problem = _stored_person(actor, event, data)
    if problem is not None:
        return None, [PeopleRowError(row.number, problem)]
    planned = PlannedPerson(row=row.number, data=data, existing=existing)
    if existing is not None:
        planned.changes = _preview_changes(existing, data, event)
    return planned, []


def _column(name: str) -> str:
    return str(labels.PERSON_FIELD.get(name.replace("_id", ""), name))


def _check_row(event: Event, agencies: dict[str, Agency], row: SheetRow) -> tuple[PersonData, dict[str, str]]:
    """Validate one row as the person form would, with the spreadsheet's own problems in its words."""
    values, lost_digits = _cell_texts(row)
    agency_text = values.get("agency", "")
    agency = agencies.get(normalise_agency_name(agency_text)) if agency_text else None
    form = {k: values.get(k, "") for k in PERSON_DETAILS}
    form["agency_id"] = str(agency.id) if agency else ""
    role_words, roles = _roles_of(values.get("role", ""))
    data, problems = validate_person(event, form, roles)
    if lost_digits:
        problems["nip"] = _(
            "The NIP is stored as a number in the spreadsheet and has lost its last digits; format the NIP "
            "column as text and type it again."
        )
    if agency_text and agency is None:
        problems["agency_id"] = _(
            "Unknown agency “%(agency)s”: it is not an agency of this event.", agency=agency_text[:80]
        )
    elif not agency_text:
        problems["agency_id"] = _("The agency is missing.")
    if "roles" in problems and role_words:
        problems["roles"] = _(
            "Unknown role in “%(roles)s”: use peserta, fasilitator, peninjau, pengamat or sekretariat.",
            roles=values.get("role", "")[:60],
        )
    return data, problems


def _cell_texts(row: SheetRow) -> tuple[dict[str, str], bool]:
    """The row's cells as text, and whether its NIP lost digits by being typed into a number cell."""
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
    return values, lost_digits


def _roles_of(text: str) -> tuple[list[str], list[str]]:
    """The role words of the Peran cell, and the roles they name (unknown words kept, to be
    refused); a participant when the cell is empty."""
    words = [w.strip().lower() for w in re.split(r"[,;/]", text) if w.strip()]
    roles = [ROLE_WORDS[w].value if w in ROLE_WORDS else w for w in words] or [Role.PARTICIPANT.value]
    return words, roles


def _identity(data: PersonData) -> str:
    """Who a row is, to find the same person twice in one file."""
    return data.nip or data.email or data.phone or f"{data.name.lower()}|{data.agency.id if data.agency else ''}"


def _stored_person(actor: User, event: Event, data: PersonData) -> tuple[User | None, str | None]:
    """The stored person this row updates (None: a new one), or why the actor may not update them."""
    existing, problem = _find_existing(event, data)
    if problem is None and existing is not None and not organises_every_event_of(actor, existing):
        problem = _(
            "%(name)s also takes part in another event; only an organiser of all their events can "
            "change their account.",
            name=existing.name,
        )
    return existing, problem


def _find_existing(event: Event, data: PersonData) -> tuple[User | None, str | None]:
    """The same person on a second import: by NIP, else e-mail, else phone, else name + agency;
    only among the people of this event. A NIP, e-mail or phone of an account elsewhere is not
    taken over (that would hand another event's account to this event's organisers): it is an
    error the organiser resolves. Returns (the person or None, an error or None)."""
    members = sa.select(Membership.user_id).where(Membership.event_id == event.id)
    for attribute in CONTACT_DETAILS:
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
    """What the import would change of a stored person, in the organiser's words."""
    return [
        *_detail_previews(user, data),
        *_agency_preview(user, data.agency),
        *_roles_preview(user.roles_in(event), data.roles),
    ]


def _detail_previews(user: User, data: PersonData) -> list[str]:
    changes = []
    for attribute in PERSON_DETAILS:
        value = getattr(data, attribute)
        if attribute in CONTACT_DETAILS and value is None:
            continue
        if (getattr(user, attribute) or "") != (value or ""):
            changes.append(
                f"{labels.PERSON_FIELD.get(attribute, attribute)}: {getattr(user, attribute) or '–'} → {value}"
            )
    return changes


def _agency_preview(user: User, agency: Agency | None) -> list[str]:
    if user.agency_id == (agency.id if agency else None):
        return []
    return [
        f"{labels.PERSON_FIELD['agency']}: {user.agency.short_name if user.agency else '–'} → "
        f"{agency.short_name if agency else '–'}"
    ]


def _roles_preview(roles: frozenset[Role], wanted: frozenset[Role]) -> list[str]:
    if roles == wanted:
        return []
    return [
        f"{labels.PERSON_FIELD['roles']}: {', '.join(sorted(str(labels.ROLE[r]) for r in roles)) or '–'}"
        f" → {', '.join(sorted(str(labels.ROLE[r]) for r in wanted))}"
    ]


# ---- Applying ----------------------------------------------------------------------------------


def apply_people_import(actor: User, event_id: int, content: bytes, filename: str) -> PeoplePlan:
    """Write the previewed list: all rows or none."""
    plan = plan_people_import(actor, event_id, content, filename)
    if not plan.ok:
        raise ValidationFailed(
            {"file": _("The file has %(count)d errors; nothing was imported.", count=len(plan.errors))}
        )
    with write_transaction():
        event = event_by_id(event_id)
        taken: set[str] = set()
        created = updated = 0
        for planned in plan.people:
            user = db.session.get(User, planned.existing.id) if planned.existing else None
            user, changes = apply_person(actor, event, user, reload_agency(planned.data), taken)
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
        people_changed(event)
    return plan
