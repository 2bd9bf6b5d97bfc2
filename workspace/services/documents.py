"""Official documents: the organiser's letterhead and numbering, and the berita acara's lifecycle.

Draft (computed live) → final: the next number of the organiser's pattern, a date, the PDF and the
print view stored and served unchanged ever after → a correction: a new final document with its own
number that names the one it replaces, which stays readable, marked as replaced.
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from PIL import Image, UnidentifiedImageError

from workspace.core.errors import NotFound, PermissionDenied, ValidationFailed
from workspace.core.permissions import can_keep_documents
from workspace.core.uow import write_transaction
from workspace.exports.minutes import FinalDetails, build_minutes, minutes_html
from workspace.exports.minutes_pdf import minutes_pdf
from workspace.extensions import db
from workspace.formatting import local_today
from workspace.models import DocumentSettings, Event, MinutesDocument, Session, User
from workspace.models.base import utcnow
from workspace.queries.documents import document_settings, final_minutes
from workspace.services.onboarding._common import event_by_id, one_line, require_organiser, text_field
from workspace.services.onboarding.audit import record_audit

MAX_LOGO_BYTES = 1024 * 1024
MAX_LOGO_PIXELS = 4000 * 4000
LOGO_SIDE = 480  # px: sharp at 22 mm, small in every stored document
ROMAN_MONTHS = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")
PATTERN_FIELDS = {"nomor", "tahun", "bulan", "bulan_romawi"}
_PATTERN_FIELD = re.compile(r"\{([^{}]*)\}")
_NIP = re.compile(r"[0-9 ]{0,32}")


def document_number(pattern: str, sequence: int, day: date) -> str:
    """`{nomor}/BA-RAKOR/KESBANGPOL/{tahun}` with 5 on 21 March 2023 → `005/BA-RAKOR/KESBANGPOL/2023`;
    also `{bulan}` (03) and `{bulan_romawi}` (III), as Indonesian letter numbers use them."""
    values = {
        "nomor": f"{sequence:03d}",
        "tahun": str(day.year),
        "bulan": f"{day.month:02d}",
        "bulan_romawi": ROMAN_MONTHS[day.month - 1],
    }
    return _PATTERN_FIELD.sub(lambda match: values[match.group(1)], pattern)


# ---- Settings: kop, numbering, signatories ----------------------------------------------------


@dataclass(frozen=True)
class LogoUpload:
    content: bytes
    remove: bool = False


def _pattern(errors: dict[str, str], raw: Any) -> str:
    pattern = text_field(errors, "number_pattern", raw, 120, required=True)
    fields = set(_PATTERN_FIELD.findall(pattern))
    if "number_pattern" in errors:
        return pattern
    if "nomor" not in fields:
        errors["number_pattern"] = _("The number pattern must contain {nomor}, the document's running number.")
    elif unknown := sorted(fields - PATTERN_FIELDS):
        errors["number_pattern"] = _(
            "Unknown part of the number pattern: %(parts)s. Use {nomor}, {tahun}, {bulan} or {bulan_romawi}.",
            parts=", ".join("{" + part + "}" for part in unknown),
        )
    elif "{" in _PATTERN_FIELD.sub("", pattern) or "}" in _PATTERN_FIELD.sub("", pattern):
        errors["number_pattern"] = _("A brace of the number pattern is not closed.")
    return pattern


def _next_number(errors: dict[str, str], raw: Any, event: Event) -> int:
    text = one_line(raw)
    used = db.session.scalar(
        sa.select(sa.func.max(MinutesDocument.sequence)).where(MinutesDocument.event_id == event.id)
    )
    if not (text.isascii() and text.isdigit() and len(text) <= 6 and int(text) >= 1):
        errors["next_number"] = _("The next running number is a whole number from 1 to 999999.")
        return 0
    if used is not None and int(text) <= used:
        errors["next_number"] = _(
            "The next running number must be greater than the last one used (%(used)d).", used=used
        )
    return int(text)


def _nip(errors: dict[str, str], name: str, raw: Any) -> str:
    text = one_line(raw)
    if not _NIP.fullmatch(text) or len(text.replace(" ", "")) not in (0, 18):
        errors[name] = _("A NIP has 18 digits (spaces allowed).")
    return text


def clean_logo(content: bytes) -> bytes:
    """An uploaded logo as a small PNG: a PNG or JPEG within 1 MB and 16 megapixels, re-encoded (no
    metadata, nothing but pixels survives); anything else is refused with a reason."""
    if len(content) > MAX_LOGO_BYTES:
        raise ValidationFailed({"logo": _("The logo is larger than 1 MB.")})
    try:
        with Image.open(io.BytesIO(content)) as probe:
            if probe.format not in ("PNG", "JPEG"):
                raise ValidationFailed({"logo": _("The logo must be a PNG or JPEG image.")})
            if probe.width * probe.height > MAX_LOGO_PIXELS:
                raise ValidationFailed({"logo": _("The logo has too many pixels (at most 4000 × 4000).")})
            probe.load()
            image = probe.convert("RGBA")
    except Image.DecompressionBombError as error:
        raise ValidationFailed({"logo": _("The logo has too many pixels (at most 4000 × 4000).")}) from error
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise ValidationFailed({"logo": _("The logo must be a PNG or JPEG image.")}) from error
    image.thumbnail((LOGO_SIDE, LOGO_SIDE))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def settings_values(event: Event, form: dict[str, Any]) -> dict[str, Any]:
    """The checked values of the document settings form, by attribute; raises ValidationFailed."""
    errors: dict[str, str] = {}
    institution_lines = [one_line(line) for line in str(form.get("institution") or "").splitlines()]
    institution = "\n".join(line for line in institution_lines if line)
    if len(institution) > 600 or len(institution_lines) > 5:
        errors["institution"] = _("At most 5 lines and 600 characters.")
    values = {
        "institution": institution,
        "address": text_field(errors, "address", form.get("address"), 300),
        "contact": text_field(errors, "contact", form.get("contact"), 300),
        "number_pattern": _pattern(errors, form.get("number_pattern")),
        "next_number": _next_number(errors, form.get("next_number"), event),
        "signing_place": text_field(errors, "signing_place", form.get("signing_place"), 120),
        "organiser_title": text_field(errors, "organiser_title", form.get("organiser_title"), 200),
        "organiser_name": text_field(errors, "organiser_name", form.get("organiser_name"), 120),
        "organiser_nip": _nip(errors, "organiser_nip", form.get("organiser_nip")),
        "head_title": text_field(errors, "head_title", form.get("head_title"), 300),
        "head_name": text_field(errors, "head_name", form.get("head_name"), 120),
        "head_rank": text_field(errors, "head_rank", form.get("head_rank"), 120),
        "head_nip": _nip(errors, "head_nip", form.get("head_nip")),
    }
    if errors:
        raise ValidationFailed(errors)
    return values


def save_document_settings(
    actor: User, event_id: int, form: dict[str, Any], logo: LogoUpload | None = None
) -> DocumentSettings:
    """The organiser's kop, numbering and signatories, in one unit of work (audited)."""
    event = event_by_id(event_id)
    require_organiser(actor, event)
    values = settings_values(event, form)
    logo_png = clean_logo(logo.content) if logo is not None and logo.content and not logo.remove else None
    with write_transaction():
        settings = db.session.get(DocumentSettings, event_id, populate_existing=True)
        if settings is None:
            settings = document_settings(event)
            db.session.add(settings)
        changed = [name for name, value in values.items() if getattr(settings, name) != value]
        for name in changed:
            setattr(settings, name, values[name])
        if logo is not None and logo.remove and settings.logo_png is not None:
            settings.logo_png = None
            changed.append("logo (removed)")
        elif logo_png is not None:
            settings.logo_png = logo_png
            changed.append("logo")
        if changed:
            record_audit(actor, event, "documents.settings", f"event:{event.id}", ", ".join(changed))
    return settings


# ---- The berita acara: final, corrected ---------------------------------------------------------


def require_document_keeper(actor: User, event: Event) -> None:
    """Who finalises and corrects: the organisers and the facilitators who recorded the agreements."""
    if not can_keep_documents(actor, event):
        raise PermissionDenied(_("Only the organisers and facilitators of this event can finalise its minutes."))


def _scope(event: Event, session_id: int | None) -> Session | None:
    if session_id is None:
        return None
    session = db.session.get(Session, session_id)
    if session is None or session.event_id != event.id:
        raise NotFound(_("The page or data you are looking for does not exist."))
    return session


def _document_date(event: Event, raw: Any) -> date:
    """The date the document is signed: not before the event, not after today (in its zone)."""
    text = one_line(raw)
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed({"document_date": _("Enter a date as YYYY-MM-DD.")}) from None
    today = local_today()
    if day < event.starts_on:
        raise ValidationFailed({"document_date": _("The minutes cannot be dated before the event starts.")})
    if day > today:
        raise ValidationFailed({"document_date": _("The minutes cannot be dated in the future.")})
    return day


def _write_final(
    actor: User, event: Event, session: Session | None, day: date, replaces: MinutesDocument | None, reason: str
) -> MinutesDocument:
    """Inside the unit of work: take the next number, render the document once, store it."""
    settings = db.session.get(DocumentSettings, event.id, populate_existing=True, with_for_update=True)
    if settings is None:
        settings = document_settings(event)
        db.session.add(settings)
    sequence = settings.next_number
    number = document_number(settings.number_pattern, sequence, day)
    taken = db.session.scalar(
        sa.select(MinutesDocument.id).where(MinutesDocument.event_id == event.id, MinutesDocument.number == number)
    )
    if taken is not None:
        raise ValidationFailed(
            {
                "document_date": _(
                    "The number %(number)s is already used; change the next running number.", number=number
                )
            }
        )
    final = FinalDetails(
        number=number,
        document_date=day,
        replaces_number=replaces.number if replaces else "",
        replaces_date=replaces.document_date if replaces else None,
        correction_reason=reason,
    )
    # Sealed once and served unchanged to every reader: in the meeting's language (the default),
    # never in the language the finaliser happens to read the app in.
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        minutes = build_minutes(event, session, final)
        pdf = minutes_pdf(minutes)
        html = minutes_html(minutes)
    document = MinutesDocument(
        event_id=event.id,
        session_id=session.id if session else None,
        scope_title=minutes.scope_title,
        sequence=sequence,
        number=number,
        document_date=day,
        finalised_by_id=actor.id,
        replaces_id=replaces.id if replaces else None,
        correction_reason=reason,
        pdf=pdf,
        pdf_sha256=hashlib.sha256(pdf).hexdigest(),
        html=html,
        filename=minutes.filename,
    )
    db.session.add(document)
    settings.next_number = sequence + 1
    return document


def finalise_minutes(actor: User, event_id: int, session_id: int | None, form: dict[str, Any]) -> MinutesDocument:
    """The draft becomes the document: numbered, dated, stored. A scope already final is corrected
    instead (a new number naming the old one), never finalised twice."""
    event = event_by_id(event_id)
    require_document_keeper(actor, event)
    session = _scope(event, session_id)
    day = _document_date(event, form.get("document_date"))
    in_force = [d for d in final_minutes(event, session_id) if d.in_force]
    if in_force:
        raise ValidationFailed(
            {
                "document_date": _(
                    "These minutes are already final (number %(number)s): make a correction instead.",
                    number=in_force[0].number,
                )
            }
        )
    with write_transaction():
        document = _write_final(actor, event, session, day, replaces=None, reason="")
        db.session.flush()
        record_audit(
            actor, event, "minutes.finalise", f"minutes:{document.id}", f"{document.number} · {document.scope_title}"
        )
    return document


def correct_minutes(actor: User, event_id: int, document_id: int, form: dict[str, Any]) -> MinutesDocument:
    """A new final document for the same scope, with its own number, naming the one it replaces
    and why; the replaced one stays readable, marked as replaced."""
    event = event_by_id(event_id)
    require_document_keeper(actor, event)
    replaced = db.session.get(MinutesDocument, document_id)
    if replaced is None or replaced.event_id != event.id:
        raise NotFound(_("The page or data you are looking for does not exist."))
    reason = one_line(form.get("correction_reason"))
    if not reason:
        raise ValidationFailed({"correction_reason": _("Say what the correction changes (the reason is required).")})
    if len(reason) > 1000:
        raise ValidationFailed({"correction_reason": _("At most %(max)d characters.", max=1000)})
    day = _document_date(event, form.get("document_date"))
    if not replaced.in_force:
        raise ValidationFailed({"correction_reason": _("This document was already replaced; correct the newest one.")})
    session = _scope(event, replaced.session_id)
    with write_transaction():
        replaced = db.session.get(MinutesDocument, document_id, populate_existing=True, with_for_update=True)
        if replaced is None or not replaced.in_force:
            raise ValidationFailed(
                {"correction_reason": _("This document was already replaced; correct the newest one.")}
            )
        document = _write_final(actor, event, session, day, replaces=replaced, reason=reason)
        replaced.replaced_at = utcnow()
        db.session.flush()
        record_audit(
            actor, event, "minutes.correct", f"minutes:{document.id}", f"{document.number} replaces {replaced.number}"
        )
    return document
