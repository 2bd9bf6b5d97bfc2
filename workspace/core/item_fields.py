"""The editable fields of a proposal item: how each is parsed, validated, stored and shown.

A field's *text* form (what the editor shows, what a conflict compares, what a Revision stores)
is the canonical string `to_text()` returns; compare-and-set compares these strings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from flask_babel import gettext as _

from workspace.core.numbers import TYPED_DIGITS, digit_count, whole_number
from workspace.extensions import db
from workspace.formatting import format_number, parse_rupiah
from workspace.models import ItemLevel, NationalDirection, ProposalItem

# Pagu indikatif of one item: Rp 100 triliun is far above any regional sub kegiatan.
MAX_BUDGET = 100_000_000_000_000

# Units whose target is a count of things: the target must be a whole number.
COUNT_UNITS = {
    "dokumen",
    "laporan",
    "kegiatan",
    "orang",
    "kali",
    "unit",
    "paket",
    "lembaga",
    "desa",
    "kecamatan",
    "kelurahan",
    "sekolah",
    "ormas",
    "forum",
    "peserta",
    "buah",
    "rekomendasi",
    "kelompok",
    "organisasi",
    "partai",
    "event",
    "naskah",
    "berkas",
    "surat",
    "modul",
    "video",
    "bulan",
    "hari",
    "tahun",
    "jiwa",
}
PERCENT_UNITS = {"persen", "%", "persentase"}


class FieldInvalid(ValueError):
    """A value the field does not accept; the message is shown beside the field."""


@dataclass(frozen=True)
class FieldSpec:
    name: str
    max_length: int | None = None
    # Only items outside the catalogue may change their name or code.
    outside_catalog_only: bool = False
    # May the field be set on this level at all?
    levels: tuple[ItemLevel, ...] = (ItemLevel.SUBKEGIATAN,)
    required_on_subkegiatan: bool = False
    kind: str = "text"  # text, money, target, directions

    def to_text(self, item: ProposalItem) -> str:
        if self.kind == "directions":
            return ",".join(str(d.number) for d in sorted(item.directions, key=lambda d: d.number))
        value = getattr(item, self.name)
        if value is None:
            return ""
        return str(value)

    def display(self, text: str) -> str:
        """How a canonical text shows in a conflict or the history (budgets grouped)."""
        amount = whole_number(text, max_digits=TYPED_DIGITS) if self.kind == "money" else None
        if amount is not None:
            return "Rp " + format_number(amount)
        return text


FIELDS: dict[str, FieldSpec] = {
    spec.name: spec
    for spec in (
        FieldSpec("name", max_length=500, outside_catalog_only=True, levels=tuple(ItemLevel)),
        # Every level has its indicator (a program's outcome, a kegiatan's and sub kegiatan's
        # output) with target and unit; a sub kegiatan must have them.
        FieldSpec("indicator", max_length=300, required_on_subkegiatan=True, levels=tuple(ItemLevel)),
        FieldSpec("target", max_length=60, kind="target", levels=tuple(ItemLevel)),
        FieldSpec("unit", max_length=60, required_on_subkegiatan=True, levels=tuple(ItemLevel)),
        FieldSpec("location", max_length=200),
        FieldSpec("budget", kind="money"),
        FieldSpec("funding_source", max_length=60),
        FieldSpec("forward_target", max_length=60, kind="target"),
        FieldSpec("forward_budget", kind="money"),
        FieldSpec("directions", kind="directions"),
        FieldSpec("note", max_length=1000, levels=tuple(ItemLevel)),  # catatan penting
    )
}


def clean_text(raw: str) -> str:
    # One line of text: no control characters (NUL, escapes), no leading or trailing spaces.
    return re.sub(r"[\x00-\x1f\x7f]+", " ", raw).strip()


def parse_target(text: str, unit: str) -> str:
    """A target is numeric where the unit is a count (whole) or a percentage (0–100)."""
    normalised_unit = unit.strip().lower()
    if not text:
        return ""
    if normalised_unit in COUNT_UNITS:
        digits = text.replace(".", "") if re.fullmatch(r"[0-9]{1,3}(\.[0-9]{3})+", text) else text
        count = whole_number(digits, max_digits=60)  # the target field's length: as accepted before
        if count is None:
            raise FieldInvalid(_("The target must be a whole number for the unit %(unit)s.", unit=unit))
        return str(count)
    if normalised_unit in PERCENT_UNITS:
        try:
            number = Decimal(text.replace(",", ".").rstrip("%").strip())
        except InvalidOperation:
            raise FieldInvalid(_("The target must be a percentage between 0 and 100.")) from None
        if not number.is_finite() or not 0 <= number <= 100:
            raise FieldInvalid(_("The target must be a percentage between 0 and 100."))
        return format(number.normalize(), "f").replace(".", ",")
    return text


def parse_field_value(item: ProposalItem, field: str, raw: str, unit_override: str | None = None) -> str:
    """Validate what the user typed and return the canonical text; raise FieldInvalid."""
    spec = FIELDS[field]
    text = clean_text(raw)
    if spec.max_length is not None and len(text) > spec.max_length:
        raise FieldInvalid(_("At most %(max)d characters.", max=spec.max_length))
    if spec.required_on_subkegiatan and item.level is ItemLevel.SUBKEGIATAN and not text:
        raise FieldInvalid(_("This field is required on a sub-activity."))
    if field == "name" and not text:
        raise FieldInvalid(_("The name is required."))
    if spec.kind == "money":
        if digit_count(text) > TYPED_DIGITS:  # before int() of thousands of digits
            raise FieldInvalid(_("The amount is larger than Rp 100 trillion; check the number of digits."))
        try:
            amount = parse_rupiah(text)
        except ValueError:
            raise FieldInvalid(_("Enter a whole, non-negative amount of rupiah, e.g. 1.250.000.000.")) from None
        if amount is not None and amount > MAX_BUDGET:
            raise FieldInvalid(_("The amount is larger than Rp 100 trillion; check the number of digits."))
        return "" if amount is None else str(amount)
    if spec.kind == "target":
        return parse_target(text, item.unit if unit_override is None else unit_override)
    if spec.kind == "directions":
        numbers = sorted({part.strip() for part in re.split(r"[,\s]+", text) if part.strip()}, key=_as_int)
        known = set(db.session.scalars(sa.select(NationalDirection.number)))
        for number in numbers:
            if whole_number(number, max_digits=3) not in known:
                raise FieldInvalid(_("Unknown presidential direction %(number)s.", number=number[:10]))
        return ",".join(numbers)
    return text


def _as_int(text: str) -> int:
    number = whole_number(text, max_digits=3)
    return 10**9 if number is None else number


def apply_field_value(item: ProposalItem, field: str, text: str) -> None:
    """Store a canonical text into the item (the inverse of FieldSpec.to_text)."""
    spec = FIELDS[field]
    if spec.kind == "directions":
        numbers = [int(n) for n in text.split(",") if n]
        item.directions = list(
            db.session.scalars(sa.select(NationalDirection).where(NationalDirection.number.in_(numbers)))
        )
    elif spec.kind == "money":
        setattr(item, field, int(text) if text else None)
    else:
        setattr(item, field, text)


def field_applies(item: ProposalItem, field: str) -> bool:
    spec = FIELDS.get(field)
    if spec is None:
        return False
    if spec.outside_catalog_only and not item.outside_catalog:
        return False
    return item.level in spec.levels
