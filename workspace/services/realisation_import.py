"""Bulk realisation update by spreadsheet (issue 18, item 7): the Renja evaluation form filled in
and uploaded, a preview listing every change and every error with its row, then all or nothing.

One format for export and import (`exports/evaluation_columns.py`): the columns are found by their
header (any order; others ignored), the header row by its "Kode" and "ID" columns, each row's item
by the hidden `ID` (it must be this proposal's), or by its code (and name) when the ID is empty.
Only the realisation columns (TW I–IV, K and Rp) and the two notes are read; the notes belong to
the quarter the sheet names above its table ("Triwulan: II"). An empty cell changes nothing.
A program's or kegiatan's rupiah is the sum of its sub kegiatan (the export's formula, read by its
cached value): it is not imported, and a value other than that sum is an error, not dropped.

Every value goes through `services.realisation`: `validate` in the preview, and `apply_value` in
one unit of work for the whole import, against the value the preview showed (`base`): a value
someone changed since refuses the whole import (ImportStale), which previews again.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from workspace.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from workspace.core.permissions import can_report_realisation
from workspace.core.uow import ProposalWrite, UnitOfWork, write_transaction
from workspace.exports.evaluation_columns import COLUMNS, HEADERS, IMPORTED, QUARTER_LABEL, QUARTER_NAMES
from workspace.exports.sheet_reading import SheetRow, UnreadableFile, read_table
from workspace.extensions import db
from workspace.formatting import format_rupiah
from workspace.models import (
    EventPhase,
    ItemLevel,
    Proposal,
    ProposalItem,
    QuarterReview,
    Realisation,
    ReviewStatus,
    User,
)
from workspace.queries.realisation import physical_value, stored_text
from workspace.services.importing import refused_file
from workspace.services.realisation import RealisationConflict, apply_value, canonical, history_field, validate


def _normal(text: Any) -> str:
    return re.sub(r"\s+", " ", str(text or "")).strip().lower()


# The columns read: the values, and what finds the row's item (the number and name: a total row).
READ = ("number", "code", "name", "item_id", *IMPORTED)
HEADER_KEYS = {_normal(header): key for key, header in COLUMNS if key in READ}
REQUIRED = ("code", "item_id")
NOTES = ("problem", "solution")
TOTAL_WORDS = {"jumlah", "total", "jumlah total", "total keseluruhan"}


@dataclass(frozen=True)
class CellError:
    row: int | None  # the sheet's row number (None: the whole file)
    column: str  # the sheet's header
    message: str


@dataclass(frozen=True)
class ValueChange:
    row: int
    item_id: int
    code: str
    name: str
    quarter: int
    field: str  # physical, budget, problem, solution
    column: str
    old: str  # stored when the preview was made: the base of the write
    new: str

    @property
    def key(self) -> str:
        return f"{self.item_id}:{self.quarter}:{self.field}"

    @property
    def history_field(self) -> str:
        return history_field(self.quarter, self.field)


@dataclass
class RealisationPlan:
    proposal: Proposal
    notes_quarter: int | None  # the quarter the sheet names for its notes
    rows: int  # item rows read
    changes: list[ValueChange] = field(default_factory=list)
    errors: list[CellError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def bases(self) -> str:
        """What the preview showed of every value it changes, for the apply to write against."""
        return json.dumps({change.key: change.old for change in self.changes}, separators=(",", ":"))


class ImportInvalid(ValidationFailed):
    def __init__(self, plan: RealisationPlan) -> None:
        super().__init__({"file": _("The file has %(count)d errors; nothing was imported.", count=len(plan.errors))})
        self.plan = plan


class ImportStale(Conflict):
    """A value changed (or a quarter was verified) between the preview and the apply."""

    def __init__(self) -> None:
        super().__init__(_("The realisation changed since the preview. Check the new preview and apply again."))


def require_reporter(actor: User, proposal: Proposal) -> None:
    """As `services.realisation` checks one value: who, then when."""
    if not can_report_realisation(actor, proposal):
        raise PermissionDenied(_("Only the people of the agencies working on this proposal report its realisation."))
    if proposal.event.phase is not EventPhase.MONITORING:
        raise ValidationFailed({"": _("Realisation is reported in the event's monitoring phase.")})


def cell_text(value: Any) -> str:
    """A cell as the text `validate` reads: 12.5 → "12,5", 25000000.0 → "25000000"; a NaN, a date
    or TRUE as text that it refuses."""
    if value is None:
        return ""
    if isinstance(value, float) and math.isfinite(value):
        text = format(Decimal(repr(value)), "f")
        return (text.rstrip("0").rstrip(".") if "." in text else text).replace(".", ",")
    return str(value).strip() if isinstance(value, str) else str(value)


def _label_texts(number: int) -> dict[str, str]:
    roman, label = QUARTER_NAMES[number - 1], QUARTER_LABEL.lower()
    texts = (f"{label}: {roman}", f"{label} {roman}", f"{label} : {roman}", f"{label}: {number}", f"{label} {number}")
    return {_normal(text): "label" for text in texts}


def notes_quarter(content: bytes, filename: str) -> int | None:
    """The quarter the sheet names above its table ("Triwulan: II"), None if it names none.
    (Asked of the bounded reader one quarter at a time: it gives no cells above a header row.)"""
    for number in range(1, 5):
        try:
            read_table(content, filename, _label_texts(number), ("label",))
        except UnreadableFile as refused:
            if type(refused) is not UnreadableFile:  # too much work: refused as the table would be
                raise
            continue
        return number
    return None


def _read_sheet(content: bytes, filename: str) -> tuple[list[SheetRow], int | None]:
    """The item rows, and the quarter of their notes when they have any (None: not named)."""
    if not content:
        raise ValidationFailed({"file": _("Choose an XLSX or CSV file exported from Sinergi.")})
    unreadable = _(
        "This file cannot be read: use the evaluation form exported from Sinergi (a header row with Kode and ID)."
    )
    try:
        rows = read_table(content, filename, HEADER_KEYS, REQUIRED)
        has_notes = any(cell_text(row.values.get(key)) for row in rows for key in NOTES)
        quarter = notes_quarter(content, filename) if has_notes else None
    except UnreadableFile as refused:
        raise refused_file(refused, unreadable) from None
    if not rows:
        raise ValidationFailed({"file": _("The file has no item rows.")})
    return rows, quarter


def plan_import(actor: User, proposal_id: int, content: bytes, filename: str) -> RealisationPlan:
    """Read and validate the file; what applying it would change, or every error. Writes nothing."""
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None:
        raise NotFound(_("The page or data you are looking for does not exist."))
    require_reporter(actor, proposal)
    rows, quarter = _read_sheet(content, filename)
    planner = _Planner(proposal, quarter)
    for row in rows:
        planner.read(row)
    planner.check_parent_budgets()
    errors = sorted(planner.errors, key=lambda error: error.row or 0)
    return RealisationPlan(proposal, quarter, planner.matched, planner.changes, errors)


class _Planner:
    """The rows read against the proposal's items and their stored realisation."""

    def __init__(self, proposal: Proposal, quarter: int | None) -> None:
        self.notes_quarter = quarter
        items = db.session.scalars(sa.select(ProposalItem).where(ProposalItem.proposal_id == proposal.id))
        self.items = {item.id: item for item in items}
        self.by_code: dict[str, list[ProposalItem]] = {}
        self.children: dict[int | None, list[ProposalItem]] = {}
        for item in self.items.values():
            self.by_code.setdefault(item.code.strip(), []).append(item)
            self.children.setdefault(item.parent_id, []).append(item)
        stored = db.session.scalars(
            sa.select(Realisation).join(ProposalItem).where(ProposalItem.proposal_id == proposal.id)
        )
        self.stored = {(row.item_id, row.quarter): row for row in stored}
        self.verified = set(
            db.session.scalars(
                sa.select(QuarterReview.quarter).where(
                    QuarterReview.proposal_id == proposal.id, QuarterReview.status == ReviewStatus.VERIFIED
                )
            )
        )
        self.seen: dict[int, int] = {}
        self.matched = 0
        self.changes: list[ValueChange] = []
        self.errors: list[CellError] = []
        self.parent_budgets: list[tuple[int, ProposalItem, int, str]] = []  # row, item, quarter, text
        self.notes_unplaced = False

    def error(self, row: int | None, key: str, message: str) -> None:
        self.errors.append(CellError(row, HEADERS[key], message))

    def read(self, row: SheetRow) -> None:
        item = self._item_of(row)
        if item is None:
            return
        self.matched += 1
        for key in IMPORTED:
            raw = cell_text(row.values.get(key))
            if raw:
                self._value(row.number, item, key, raw)

    def _item_of(self, row: SheetRow) -> ProposalItem | None:
        values = row.values
        raw_id, code = cell_text(values.get("item_id")), cell_text(values.get("code"))
        if not raw_id and not code:
            carries_values = any(cell_text(values.get(key)) for key in IMPORTED)
            total = {_normal(values.get("name")), _normal(values.get("number"))} & TOTAL_WORDS
            if carries_values and not total:
                self.error(row.number, "item_id", _("No ID and no code: which item is this row?"))
            return None
        item = self._by_id(row.number, raw_id, code) if raw_id else self._by_code(row.number, code, values)
        if item is None:
            return None
        if item.id in self.seen:
            self.error(row.number, "item_id", _("This item is already on row %(row)d.", row=self.seen[item.id]))
            return None
        self.seen[item.id] = row.number
        return item

    def _by_id(self, number: int, raw_id: str, code: str) -> ProposalItem | None:
        item_id = int(raw_id) if re.fullmatch(r"[0-9]{1,12}", raw_id) else None
        item = self.items.get(item_id) if item_id is not None else None
        if item is None:
            elsewhere = item_id is not None and db.session.get(ProposalItem, item_id) is not None
            if elsewhere:
                self.error(
                    number, "item_id", _("ID %(id)s is an item of another proposal, not of this one.", id=raw_id)
                )
            else:
                self.error(number, "item_id", _("ID %(id)s is not an item of this proposal.", id=raw_id))
            return None
        if code and code != item.code.strip():
            self.error(
                number,
                "code",
                _(
                    "ID %(id)s is %(code)s in the proposal, not %(file_code)s: check the row's ID.",
                    id=raw_id,
                    code=item.code,
                    file_code=code,
                ),
            )
            return None
        return item

    def _by_code(self, number: int, code: str, values: dict[str, Any]) -> ProposalItem | None:
        found = self.by_code.get(code, [])
        if not found:
            self.error(number, "code", _("No item of this proposal has the code %(code)s.", code=code))
            return None
        if len(found) > 1:
            self.error(
                number,
                "code",
                _(
                    "Several items of this proposal have the code %(code)s: keep the ID column to tell them apart.",
                    code=code,
                ),
            )
            return None
        name = cell_text(values.get("name"))
        if name and " ".join(name.split()).casefold() != " ".join(found[0].name.split()).casefold():
            message = _(
                "The item %(code)s is named “%(name)s” in the proposal: check the row.", code=code, name=found[0].name
            )
            self.error(number, "name", message)
            return None
        return found[0]

    def _value(self, number: int, item: ProposalItem, key: str, raw: str) -> None:
        name = key.partition("_")[2] if key.startswith("q") else key
        quarter = int(key[1]) if key.startswith("q") else self.notes_quarter
        if quarter is None:
            if not self.notes_unplaced:
                self.notes_unplaced = True
                message = _(
                    "The sheet does not say which quarter its problems and solutions are: a cell “%(label)s” "
                    "above the table.",
                    label=f"{QUARTER_LABEL}: II",
                )
                self.error(number, key, message)
            return
        if name == "budget" and item.level is not ItemLevel.SUBKEGIATAN:
            self.parent_budgets.append((number, item, quarter, raw))
            return
        try:
            new = validate(item, quarter, name, raw)
        except ValidationFailed as invalid:
            self.error(number, key, invalid.message)
            return
        old = stored_text(self.stored.get((item.id, quarter)), name)
        if not new or new == old or (name == "physical" and old and physical_value(old) == physical_value(new)):
            return  # nothing typed (a cell of control characters), or the same value ("12,50" is 12,5)
        if quarter in self.verified:
            self.error(number, key, verified_message(quarter))
            return
        self.changes.append(ValueChange(number, item.id, item.code, item.name, quarter, name, HEADERS[key], old, new))

    def check_parent_budgets(self) -> None:
        """A program's or kegiatan's rupiah: its sub kegiatan's sum (as stored, or as the file makes
        it) is the export's formula, ignored; anything else is typed where it cannot be stored."""
        pending = {(c.item_id, c.quarter): int(c.new) for c in self.changes if c.field == "budget" and c.new}
        for number, item, quarter, raw in self.parent_budgets:
            stored = {leaf: self._stored_budget(leaf, quarter) for leaf in self._leaves(item.id)}
            after = {leaf: pending.get((leaf, quarter), value) for leaf, value in stored.items()}
            sums = {sum(v or 0 for v in stored.values()), sum(v or 0 for v in after.values())}
            try:
                typed = canonical("budget", raw)
            except ValidationFailed:
                typed = ""
            if typed and int(typed) in sums:
                continue
            message = _(
                "A program's or kegiatan's budget realised is the sum of its sub kegiatan (here %(sum)s): "
                "type the rupiah on the sub kegiatan rows.",
                sum=format_rupiah(max(sums)),
            )
            self.error(number, f"q{quarter}_budget", message)

    def _stored_budget(self, item_id: int, quarter: int) -> int | None:
        row = self.stored.get((item_id, quarter))
        return row.budget if row is not None else None

    def _leaves(self, item_id: int) -> list[int]:
        """The sub kegiatan below an item."""
        leaves, todo = [], [item_id]
        while todo:
            for child in self.children.get(todo.pop(), []):
                if child.level is ItemLevel.SUBKEGIATAN:
                    leaves.append(child.id)
                else:
                    todo.append(child.id)
        return leaves


def verified_message(quarter: int) -> str:
    return _(
        "The realisation of quarter %(quarter)s is verified; ask the reviewer to return it to change it.",
        quarter=QUARTER_NAMES[quarter - 1],
    )


def parse_bases(text: str) -> dict[str, str]:
    """The bases a preview sent back (what it showed of each value it changes)."""
    try:
        bases = json.loads(text or "{}")
    except ValueError:
        bases = None
    if not isinstance(bases, dict) or not all(isinstance(v, str) for v in bases.values()):
        raise ValidationFailed({"file": _("The previewed file was damaged; choose the file again.")})
    return {str(key): value for key, value in bases.items()}


def apply_import(
    actor: User, proposal_id: int, content: bytes, filename: str, bases: dict[str, str]
) -> tuple[int, ProposalWrite]:
    """Apply a previewed import, all or nothing: every value written against the value the preview
    showed, in one unit of work; the number of values written and the write."""
    plan = plan_import(actor, proposal_id, content, filename)
    if not plan.ok:
        raise ImportInvalid(plan)
    if any(change.key not in bases for change in plan.changes):
        raise ImportStale()  # a value that the preview did not change now differs from the file
    revision = plan.proposal.revision
    # Taken now: the unit of work starts by ending the read transaction.
    writes = [(change.item_id, change.quarter, change.field, change.new, bases[change.key]) for change in plan.changes]
    if not writes:
        return 0, ProposalWrite(proposal_id, revision, changed=False)
    with write_transaction() as unit:
        written, last = _write_all(unit, actor, writes)
        if last is None:  # all of it written meanwhile, the same way
            db.session.rollback()
            return 0, ProposalWrite(proposal_id, revision, changed=False)
    return written, ProposalWrite(proposal_id, last, published=unit.published)


def _write_all(unit: UnitOfWork, actor: User, writes: list[tuple[int, int, str, str, str]]) -> tuple[int, int | None]:
    written, last = 0, None
    for item_id, quarter, name, new, base in writes:
        item = db.session.get(ProposalItem, item_id)
        if item is None:
            raise ImportStale()
        try:
            revision = apply_value(unit, actor, item, quarter, name, new, base)
        except (RealisationConflict, ValidationFailed):  # changed, or verified, since the preview
            raise ImportStale() from None
        if revision is not None:
            written, last = written + 1, revision
    return written, last
