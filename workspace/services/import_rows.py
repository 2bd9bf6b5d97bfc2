"""The rows of an imported Renja spreadsheet, read into planned items and paired with the items
of the proposal they update. Every problem is collected with its row number; nothing here writes
(the write side is `workspace.services.importing`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _

from workspace import labels
from workspace.core.item_fields import FIELDS, FieldInvalid, clean_text, parse_field_value
from workspace.exports.spreadsheet import ordered_items
from workspace.models import CatalogEntry, CatalogLevel, ItemLevel, Proposal, ProposalItem
from workspace.queries.catalog import CODE_PATTERN_BY_LEVEL, entries_by_code, parent_code

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
    "note",
)
# What a program or kegiatan row carries of its own (its budgets are the subtotals below it): the
# outcome or output indicator with target and unit, and the catatan penting.
PARENT_FIELDS = ("indicator", "unit", "target", "note")
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
    # Kept apart from `existing`: the write starts by expiring what the preview loaded.
    existing_id: int | None = None
    changes: list[FieldChange] = field(default_factory=list)
    created_id: int | None = None
    # A nomenclature item whose name in the file differs from the nomenclature's: the file's name,
    # shown in the preview, and used (as a local name) only when the user ticks it (`keep_file_name`).
    file_name: str = ""
    keep_file_name: bool = False

    @property
    def label(self) -> str:
        return f"{self.code} {self.name}".strip()

    @property
    def item_id(self) -> int | None:
        return self.existing_id if self.existing_id is not None else self.created_id


def cell_text(value: Any) -> str:
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


def level_of_code(code: str) -> ItemLevel | None:
    for level in (ItemLevel.PROGRAM, ItemLevel.KEGIATAN, ItemLevel.SUBKEGIATAN):
        if CODE_PATTERN_BY_LEVEL[CatalogLevel(level.value)].match(code):
            return level
    return None


def _level_word(level: ItemLevel) -> str:
    return str(labels.ITEM_LEVEL[level]).lower()


class RowReader:
    """Turns the sheet rows into planned items, collecting every error with its row number."""

    def __init__(self, proposal: Proposal, keep_names: frozenset[int] = frozenset()) -> None:
        self.proposal = proposal
        self.keep_names = keep_names  # the rows whose own name the user chose to keep
        self.digit = proposal.agency.level.code_level_digit
        self.errors: list[RowError] = []
        self.items: list[PlannedItem] = []
        self.codes_seen: dict[str, int] = {}
        self.names_seen: set[tuple[int, str]] = set()
        self.catalog = entries_by_code(proposal.agency.level.catalog_scope)
        self.last: dict[ItemLevel, PlannedItem | None] = {ItemLevel.PROGRAM: None, ItemLevel.KEGIATAN: None}

    def error(self, row: int, message: str) -> None:
        self.errors.append(RowError(row, message))

    def read(self, number: int, values: dict[str, Any]) -> None:
        code = clean_text(cell_text(values.get("code")))
        level = self._level(number, values, code)
        if level is None:
            return
        parent = self._parent(number, level)
        if level is not ItemLevel.PROGRAM and parent is None:
            return
        outside = cell_text(values.get("outside_catalog")).lower() in YES_WORDS
        if not self._code_ok(number, level, code, parent):
            self._remember(level, None)
            return
        name, entry = self._name_and_entry(number, level, code, outside, values)
        file_name = _differing_name(clean_text(cell_text(values.get("name"))), entry)
        if file_name and number in self.keep_names:
            name = file_name
        probe = ProposalItem(level=level, outside_catalog=outside, unit="")
        planned = PlannedItem(
            row=number,
            level=level,
            code=code,
            name=name,
            outside_catalog=outside,
            catalog_entry=entry,
            values=self._values(number, probe, values, ROW_FIELDS if level is ItemLevel.SUBKEGIATAN else PARENT_FIELDS),
            parent=parent,
            file_name=file_name,
            keep_file_name=bool(file_name) and number in self.keep_names,
        )
        self._check_duplicate(planned)
        self.items.append(planned)
        self._remember(level, planned)

    def _name_and_entry(
        self, number: int, level: ItemLevel, code: str, outside: bool, values: dict[str, Any]
    ) -> tuple[str, CatalogEntry | None]:
        """A local item names itself; a nomenclature item takes its name from its entry."""
        if outside:
            name = clean_text(cell_text(values.get("name")))
            if not name:
                self.error(number, _("The name is required for an item outside the nomenclature."))
            elif len(name) > 500:
                self.error(number, _("The name has more than %(max)d characters.", max=500))
            return name, None
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
        return (entry.name if entry else ""), entry

    def _remember(self, level: ItemLevel, planned: PlannedItem | None) -> None:
        if level is ItemLevel.PROGRAM:
            self.last = {ItemLevel.PROGRAM: planned, ItemLevel.KEGIATAN: None}
        elif level is ItemLevel.KEGIATAN:
            self.last[ItemLevel.KEGIATAN] = planned

    def _level(self, number: int, values: dict[str, Any], code: str) -> ItemLevel | None:
        word = re.sub(r"[\s_-]+", "", cell_text(values.get("level")).lower())
        if word:
            level = LEVEL_NAMES.get(word)
            if level is None:
                self.error(
                    number, _("Unknown level “%(level)s”: use Program, Kegiatan or Sub Kegiatan.", level=word[:30])
                )
            return level
        level = level_of_code(code) if code else None
        if level is None:
            self.error(number, _("The row has no level and no code to tell it from."))
        return level

    def _parent(self, number: int, level: ItemLevel) -> PlannedItem | None:
        parent_level = level.parent_level
        if parent_level is None:
            return None
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
        problem = self._code_problem(level, code, parent)
        if problem:
            self.error(number, problem)
        return not problem

    def _code_problem(self, level: ItemLevel, code: str, parent: PlannedItem | None) -> str:
        if len(code) > 32:
            return _("The code is too long.")
        code_level = level_of_code(code)
        if code_level is None:
            return _("“%(code)s” is not a nomenclature code.", code=code[:32])
        if code_level is not level:
            return _(
                "%(code)s is a %(code_level)s code, but the row is a %(level)s.",
                code=code,
                code_level=_level_word(code_level),
                level=_level_word(level),
            )
        if level is not ItemLevel.PROGRAM and code.split(".")[3] != self.digit:
            return _("The level digit of %(code)s must be %(digit)s for this agency.", code=code, digit=self.digit)
        if parent is not None and parent_code(code) != parent.code:  # the editor's rule: a coded parent
            return _("%(code)s does not belong under %(parent)s.", code=code, parent=parent.code)
        return ""

    def _values(
        self, number: int, probe: ProposalItem, values: dict[str, Any], fields: tuple[str, ...] = ROW_FIELDS
    ) -> dict[str, str]:
        result: dict[str, str] = {}
        for name in fields:
            value = values.get(name)
            if FIELDS[name].kind == "money" and isinstance(value, float) and not value.is_integer():
                # 12.345 is a decimal number in a spreadsheet, never Rp 12.345 with a grouping dot.
                whole = _("Rupiah are whole numbers; remove the decimals.")
                self.error(number, f"{labels.ITEM_FIELD[name]}: {whole}")
                continue
            try:
                result[name] = parse_field_value(probe, name, cell_text(value), unit_override=result.get("unit", ""))
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


def _differing_name(file_name: str, entry: CatalogEntry | None) -> str:
    """The file's name of a nomenclature item when it says something else than the nomenclature
    (spaces and capitals aside); "" when it is the same, empty or too long to be a name."""
    if entry is None or not file_name or len(file_name) > 500:
        return ""
    same = " ".join(file_name.split()).casefold() == " ".join(entry.name.split()).casefold()
    return "" if same else file_name


class _Existing:
    """The proposal's items, found by code, or by level, parent and name for an item without one."""

    def __init__(self, proposal: Proposal) -> None:
        self.by_code = {item.code: item for item in proposal.items if item.code}
        self.by_name = {
            (item.level, item.parent_id, item.name.strip().lower()): item for item in proposal.items if not item.code
        }

    def find(self, planned: PlannedItem, parent_id: int | None) -> ProposalItem | None:
        if planned.code:
            return self.by_code.get(planned.code)
        if planned.parent is None or parent_id is not None:
            return self.by_name.get((planned.level, parent_id, planned.name.lower()))
        return None  # under a parent that is new: nothing of the proposal can match


def _field_changes(planned: PlannedItem, existing: ProposalItem) -> list[FieldChange]:
    changes = []
    local_name = planned.outside_catalog or planned.keep_file_name
    if (existing.outside_catalog or planned.keep_file_name) and local_name and existing.name != planned.name:
        changes.append(FieldChange("name", existing.name, planned.name))
    for name, new in planned.values.items():
        old = FIELDS[name].to_text(existing)
        if old != new:
            changes.append(FieldChange(name, old, new))
    return changes


def match_existing(proposal: Proposal, plan_items: list[PlannedItem], errors: list[RowError]) -> list[ProposalItem]:
    """Pair each planned item with the proposal's item it updates; return the items the file lacks."""
    existing_items = _Existing(proposal)
    matched: set[int] = set()
    for planned in plan_items:
        parent_id = planned.parent.existing.id if planned.parent and planned.parent.existing else None
        existing = existing_items.find(planned, parent_id)
        if existing is None:
            continue
        if existing.parent_id != parent_id or existing.level is not planned.level:
            errors.append(
                RowError(planned.row, _("%(item)s already exists elsewhere in the proposal.", item=planned.label[:80]))
            )
            continue
        planned.existing, planned.existing_id = existing, existing.id
        matched.add(existing.id)
        planned.changes = _field_changes(planned, existing)
    return [item for item in ordered_items(proposal) if item.id not in matched]
