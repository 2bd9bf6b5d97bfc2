"""Import a Renja spreadsheet into a proposal: a preview of what will change, then apply.

Every row is validated first (code, level, nomenclature, money, targets, directions); any error,
listed with its row number, means nothing is written. Applying goes through the same write path
as a live edit: permission, one short write transaction, a proposal revision and a Revision row
per change, commit, then one broadcast of the new tree to the proposal's room.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from workspace import labels
from workspace.exports.spreadsheet import MAX_ROWS, TooManyRows, UnreadableFile, WrongAgency, read_spreadsheet
from workspace.extensions import db
from workspace.models import CatalogEntry, ItemLevel, Proposal, ProposalItem, Revision, User
from workspace.services.catalog import CODE_PATTERN_BY_LEVEL, parent_code
from workspace.services.changes import ChangeResult, announce, bump_revision
from workspace.services.editing import (
    entry_level_for,
    fresh,
    item_label,
    record_revision,
    require_edit,
    subtree_of,
)
from workspace.services.errors import NotFound, ValidationFailed
from workspace.services.item_fields import FIELDS, FieldInvalid, apply_field_value, clean_text, parse_field_value
from workspace.queries.proposals import load_proposal_tree

# The fields a sub kegiatan row carries (the name is handled with the code and the catalogue).
ROW_FIELDS = (
    "indicator",
    "unit",
    "target",
    "location",
    "budget",
    "funding_source",
    "forward_target",
    "forward_budget",
    "directions",
)
LEVEL_NAMES = {
    "program": ItemLevel.PROGRAM,
    "kegiatan": ItemLevel.KEGIATAN,
    "subkegiatan": ItemLevel.SUBKEGIATAN,
    "activity": ItemLevel.KEGIATAN,
    "subactivity": ItemLevel.SUBKEGIATAN,
}
YES_WORDS = {"ya", "y", "yes", "1", "true", "x", "v"}


@dataclass(frozen=True)
class RowError:
    row: int
    message: str

    def __str__(self) -> str:
        return _("Row %(row)d: %(message)s", row=self.row, message=self.message)


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: str
    new: str


@dataclass
class PlannedItem:
    row: int
    level: ItemLevel
    code: str
    name: str
    outside_catalog: bool
    catalog_entry: CatalogEntry | None
    values: dict[str, str]
    parent: PlannedItem | None
    existing: ProposalItem | None = None
    changes: list[FieldChange] = field(default_factory=list)
    created_id: int | None = None

    @property
    def label(self) -> str:
        return f"{self.code} {self.name}".strip()

    @property
    def item_id(self) -> int | None:
        return self.existing.id if self.existing is not None else self.created_id


@dataclass
class ImportPlan:
    proposal: Proposal
    revision: int
    items: list[PlannedItem]
    missing: list[ProposalItem]
    errors: list[RowError]
    delete_missing: bool = False
    # The agency the file names, when it is not the proposal's (shown as a warning in the preview).
    other_agency: str | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def created(self) -> list[PlannedItem]:
        return [p for p in self.items if p.existing is None]

    @property
    def updated(self) -> list[PlannedItem]:
        return [p for p in self.items if p.existing is not None and p.changes]

    @property
    def unchanged(self) -> int:
        return sum(1 for p in self.items if p.existing is not None and not p.changes)

    @property
    def deleted(self) -> list[ProposalItem]:
        if not self.delete_missing:
            return []
        missing_ids = {item.id for item in self.missing}
        return [item for item in self.missing if item.parent_id not in missing_ids]

    @property
    def has_changes(self) -> bool:
        return bool(self.created or self.updated or self.deleted)


class ImportInvalid(ValidationFailed):
    """The file has row errors; the plan lists them all."""

    def __init__(self, plan: ImportPlan) -> None:
        super().__init__({"file": _("The file has %(count)d errors; nothing was imported.", count=len(plan.errors))})
        self.plan = plan


class ImportStale(ValidationFailed):
    """The proposal changed between the preview and the apply."""

    def __init__(self) -> None:
        super().__init__({"file": _("The proposal changed since the preview. Check the new preview and apply again.")})


def _cell_text(value: Any) -> str:
    """A spreadsheet value as text: whole numbers without a decimal part, dates as written."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return str(value)
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value).strip()


def _level_of_code(code: str) -> ItemLevel | None:
    for level in (ItemLevel.PROGRAM, ItemLevel.KEGIATAN, ItemLevel.SUBKEGIATAN):
        if CODE_PATTERN_BY_LEVEL[entry_level_for(level)].match(code):
            return level
    return None


def _level_word(level: ItemLevel) -> str:
    return str(labels.ITEM_LEVEL[level]).lower()


class _RowReader:
    """Turns the sheet rows into planned items, collecting every error with its row number."""

    def __init__(self, proposal: Proposal) -> None:
        self.proposal = proposal
        self.scope = proposal.agency.level.catalog_scope
        self.digit = proposal.agency.level.code_level_digit
        self.errors: list[RowError] = []
        self.items: list[PlannedItem] = []
        self.codes_seen: dict[str, int] = {}
        self.names_seen: set[tuple[int, str]] = set()
        self.catalog = {
            (entry.code, entry.level.value): entry
            for entry in db.session.scalars(sa.select(CatalogEntry))
            if entry.applies_to_scope(self.scope)
        }
        self.last: dict[ItemLevel, PlannedItem | None] = {ItemLevel.PROGRAM: None, ItemLevel.KEGIATAN: None}

    def error(self, row: int, message: str) -> None:
        self.errors.append(RowError(row, message))

    def read(self, number: int, values: dict[str, Any]) -> None:
        code = clean_text(_cell_text(values.get("code")))
        level = self._level(number, values, code)
        if level is None:
            return
        parent = self._parent(number, level)
        if level is not ItemLevel.PROGRAM and parent is None:
            return
        outside = _cell_text(values.get("outside_catalog")).lower() in YES_WORDS
        if not self._code_ok(number, level, code, parent):
            self._remember(level, None)
            return
        entry = None
        if outside:
            name = clean_text(_cell_text(values.get("name")))
            if not name:
                self.error(number, _("The name is required for an item outside the nomenclature."))
            elif len(name) > 500:
                self.error(number, _("The name has more than %(max)d characters.", max=500))
        else:
            entry = self.catalog.get((code, level.value)) if code else None
            if not code:
                self.error(
                    number, _("The code is missing; an item without a code must be marked as outside the nomenclature.")
                )
            elif entry is None:
                self.error(
                    number,
                    _(
                        "%(code)s is not in the nomenclature for this agency; mark the row as outside the "
                        "nomenclature if it is a local item.",
                        code=code,
                    ),
                )
            name = entry.name if entry else ""
        probe = ProposalItem(level=level, outside_catalog=outside, unit="")
        planned_values = self._values(number, level, probe, values) if level is ItemLevel.SUBKEGIATAN else {}
        planned = PlannedItem(
            row=number,
            level=level,
            code=code,
            name=name,
            outside_catalog=outside,
            catalog_entry=entry,
            values=planned_values,
            parent=parent,
        )
        self._check_duplicate(planned)
        self.items.append(planned)
        self._remember(level, planned)

    def _remember(self, level: ItemLevel, planned: PlannedItem | None) -> None:
        if level is ItemLevel.PROGRAM:
            self.last = {ItemLevel.PROGRAM: planned, ItemLevel.KEGIATAN: None}
        elif level is ItemLevel.KEGIATAN:
            self.last[ItemLevel.KEGIATAN] = planned

    def _level(self, number: int, values: dict[str, Any], code: str) -> ItemLevel | None:
        word = re.sub(r"[\s_-]+", "", _cell_text(values.get("level")).lower())
        if word:
            level = LEVEL_NAMES.get(word)
            if level is None:
                self.error(
                    number, _("Unknown level “%(level)s”: use Program, Kegiatan or Sub Kegiatan.", level=word[:30])
                )
            return level
        level = _level_of_code(code) if code else None
        if level is None:
            self.error(number, _("The row has no level and no code to tell it from."))
        return level

    def _parent(self, number: int, level: ItemLevel) -> PlannedItem | None:
        if level is ItemLevel.PROGRAM:
            return None
        parent_level = level.parent_level
        assert parent_level is not None
        parent = self.last.get(parent_level)
        if parent is None:
            self.error(
                number,
                _(
                    "This %(level)s has no %(parent)s above it.",
                    level=_level_word(level),
                    parent=_level_word(parent_level),
                ),
            )
        return parent

    def _code_ok(self, number: int, level: ItemLevel, code: str, parent: PlannedItem | None) -> bool:
        if not code:
            return True
        if len(code) > 32:
            self.error(number, _("The code is too long."))
            return False
        code_level = _level_of_code(code)
        if code_level is None:
            self.error(number, _("“%(code)s” is not a nomenclature code.", code=code[:32]))
            return False
        if code_level is not level:
            self.error(
                number,
                _(
                    "%(code)s is a %(code_level)s code, but the row is a %(level)s.",
                    code=code,
                    code_level=_level_word(code_level),
                    level=_level_word(level),
                ),
            )
            return False
        if level is not ItemLevel.PROGRAM and code.split(".")[3] != self.digit:
            self.error(
                number, _("The level digit of %(code)s must be %(digit)s for this agency.", code=code, digit=self.digit)
            )
            return False
        if parent is not None and parent_code(code) != parent.code:  # the editor's rule: a coded parent
            self.error(number, _("%(code)s does not belong under %(parent)s.", code=code, parent=parent.code))
            return False
        return True

    def _values(self, number: int, level: ItemLevel, probe: ProposalItem, values: dict[str, Any]) -> dict[str, str]:
        result: dict[str, str] = {}
        for name in ROW_FIELDS:
            value = values.get(name)
            if FIELDS[name].kind == "money" and isinstance(value, float) and not value.is_integer():
                # 12.345 is a decimal number in a spreadsheet, never Rp 12.345 with a grouping dot.
                whole = _("Rupiah are whole numbers; remove the decimals.")
                self.error(number, f"{labels.ITEM_FIELD[name]}: {whole}")
                continue
            raw = _cell_text(value)
            try:
                result[name] = parse_field_value(probe, name, raw, unit_override=result.get("unit", ""))
            except FieldInvalid as invalid:
                self.error(number, f"{labels.ITEM_FIELD[name]}: {invalid}")
        return result

    def _check_duplicate(self, planned: PlannedItem) -> None:
        if planned.code:
            first = self.codes_seen.setdefault(planned.code, planned.row)
            if first != planned.row:
                self.error(
                    planned.row, _("%(code)s appears twice (also in row %(row)d).", code=planned.code, row=first)
                )
        else:
            key = (id(planned.parent), planned.name.lower())
            if key in self.names_seen:
                self.error(planned.row, _("“%(name)s” appears twice under the same parent.", name=planned.name[:80]))
            self.names_seen.add(key)


def _match_existing(proposal: Proposal, plan_items: list[PlannedItem], errors: list[RowError]) -> list[ProposalItem]:
    """Pair each planned item with the proposal's item it updates; return the items the file lacks."""
    by_code = {item.code: item for item in proposal.items if item.code}
    by_name = {
        (item.level, item.parent_id, item.name.strip().lower()): item for item in proposal.items if not item.code
    }
    matched: set[int] = set()
    for planned in plan_items:
        parent_id = planned.parent.existing.id if planned.parent and planned.parent.existing else None
        if planned.code:
            existing = by_code.get(planned.code)
        elif planned.parent is None or parent_id is not None:
            existing = by_name.get((planned.level, parent_id, planned.name.lower()))
        else:
            existing = None
        if existing is None:
            continue
        if existing.parent_id != parent_id or existing.level is not planned.level:
            errors.append(
                RowError(planned.row, _("%(item)s already exists elsewhere in the proposal.", item=planned.label[:80]))
            )
            continue
        planned.existing = existing
        matched.add(existing.id)
        if existing.outside_catalog and planned.outside_catalog and existing.name != planned.name and planned.name:
            planned.changes.append(FieldChange("name", existing.name, planned.name))
        for name, new in planned.values.items():
            old = FIELDS[name].to_text(existing)
            if old != new:
                planned.changes.append(FieldChange(name, old, new))
    return [item for item in _depth_first(proposal) if item.id not in matched]


def _depth_first(proposal: Proposal) -> list[ProposalItem]:
    from workspace.exports.spreadsheet import ordered_items

    return ordered_items(proposal)


def plan_import(
    actor: User, proposal_id: int, content: bytes, filename: str, delete_missing: bool = False
) -> ImportPlan:
    """Read and validate the file, and say what applying it would change. Writes nothing."""
    proposal = load_proposal_tree(proposal_id)
    if proposal is None:
        raise NotFound(_("The page or data you are looking for does not exist."))
    require_edit(actor, proposal)
    if not content:
        raise ValidationFailed({"file": _("Choose an XLSX or CSV file exported from Sinergi.")})
    try:
        sheet = read_spreadsheet(content, filename, proposal.agency.name)
    except TooManyRows:
        raise ValidationFailed({"file": _("The file has more than %(max)d rows.", max=MAX_ROWS)}) from None
    except WrongAgency:
        raise ValidationFailed(
            {"file": _("The file has no rows for %(agency)s.", agency=proposal.agency.name)}
        ) from None
    except UnreadableFile:
        raise ValidationFailed(
            {
                "file": _(
                    "This file cannot be read: use the XLSX or CSV exported from Sinergi (a header row with "
                    "Kode and the item names)."
                )
            }
        ) from None
    if not sheet.rows:
        raise ValidationFailed({"file": _("The file has no item rows.")})
    reader = _RowReader(proposal)
    for row in sheet.rows:
        reader.read(row.number, row.values)
    errors = reader.errors
    missing = _match_existing(proposal, reader.items, errors)
    errors.sort(key=lambda e: e.row)
    named = sheet.agency_name
    other_agency = named if named and named.strip().lower() != proposal.agency.name.lower() else None
    return ImportPlan(
        proposal=proposal,
        revision=proposal.revision,
        items=reader.items,
        missing=missing,
        errors=errors,
        delete_missing=delete_missing,
        other_agency=other_agency,
    )


def apply_import(
    actor: User, proposal_id: int, content: bytes, filename: str, expected_revision: int, delete_missing: bool = False
) -> tuple[ImportPlan, ChangeResult]:
    """Apply a previewed import; refuses when the file has errors or the proposal moved on."""
    plan = plan_import(actor, proposal_id, content, filename, delete_missing)
    if not plan.ok:
        raise ImportInvalid(plan)
    if plan.revision != expected_revision:
        raise ImportStale()
    if not plan.has_changes:
        return plan, ChangeResult(proposal_id=proposal_id, revision=plan.revision, changed=False)
    from workspace.services.transactions import write_transaction

    revisions: list[Revision] = []
    touched: list[int] = []
    with write_transaction():
        revision_number = bump_revision(proposal_id)
        if revision_number != expected_revision + 1:
            raise ImportStale()
        require_edit(actor, fresh(Proposal, proposal_id))
        first = True

        def next_revision() -> int:
            nonlocal first, revision_number
            if not first:
                revision_number = bump_revision(proposal_id)
            first = False
            return revision_number

        next_position = _next_positions(proposal_id)
        for planned in plan.items:
            if planned.existing is None:
                revisions.append(_create(actor, proposal_id, planned, next_revision(), next_position))
                touched.append(planned.created_id or 0)
                continue
            item = fresh(ProposalItem, planned.existing.id)
            for change in planned.changes:
                apply_field_value(item, change.field, change.new)
                revisions.append(
                    record_revision(
                        actor,
                        proposal_id,
                        next_revision(),
                        item.id,
                        item_label(item),
                        "import",
                        field=change.field,
                        old_value=change.old,
                        new_value=change.new,
                    )
                )
            if planned.changes:
                touched.append(item.id)
        for doomed in plan.deleted:
            item = fresh(ProposalItem, doomed.id)
            nodes = subtree_of(item)
            label = item_label(item)
            details = ", ".join(item_label(node) for node in nodes[1:])
            for node in reversed(nodes):
                db.session.delete(node)
            revisions.append(
                record_revision(
                    actor,
                    proposal_id,
                    next_revision(),
                    doomed.id,
                    label,
                    "delete",
                    old_value=label + (f" ({details})" if details else ""),
                )
            )
    result = announce(
        ChangeResult(
            proposal_id=proposal_id,
            revision=revision_number,
            item_ids=touched,
            structure_changed=True,
            revisions=revisions[-100:],
            actor=actor,
        )
    )
    return plan, result


def _next_positions(proposal_id: int) -> dict[int | None, int]:
    """The next free position under each parent (None: the programs)."""
    rows = db.session.execute(
        sa.select(ProposalItem.parent_id, sa.func.max(ProposalItem.position))
        .where(ProposalItem.proposal_id == proposal_id)
        .group_by(ProposalItem.parent_id)
    )
    return {parent_id: (position or 0) + 1 for parent_id, position in rows}


def _create(
    actor: User, proposal_id: int, planned: PlannedItem, revision_number: int, next_position: dict[int | None, int]
) -> Revision:
    parent_id = planned.parent.item_id if planned.parent is not None else None
    position = next_position.get(parent_id, 0)
    next_position[parent_id] = position + 1
    entry = planned.catalog_entry
    item = ProposalItem(
        proposal_id=proposal_id,
        parent_id=parent_id,
        level=planned.level,
        position=position,
        code=planned.code,
        name=planned.name,
        catalog_entry_id=entry.id if entry is not None else None,
        outside_catalog=planned.outside_catalog,
    )
    db.session.add(item)
    for name in ROW_FIELDS:
        if name in planned.values:
            apply_field_value(item, name, planned.values[name])
    db.session.flush()
    planned.created_id = item.id
    return record_revision(
        actor, proposal_id, revision_number, item.id, item_label(item), "create", new_value=item_label(item)
    )
