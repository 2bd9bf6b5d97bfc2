"""Import a Renja spreadsheet into a proposal: a preview of what will change, then apply.

Every row is validated first (code, level, nomenclature, money, targets, directions; see
`import_rows`); any error, listed with its row number, means nothing is written. Applying goes
through the same write path as a live edit: permission, one short unit of work in which every
change bumps the proposal's revision and writes its Revision row, and one `TreeChanged` recorded
for the whole import: after the commit the publisher sends the new tree to the proposal's room once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _

from workspace.core.access import require_edit
from workspace.core.changes import TreeChanged
from workspace.core.errors import Conflict, NotFound, ValidationFailed
from workspace.core.item_fields import apply_field_value
from workspace.core.uow import ProposalWrite, write_transaction
from workspace.exports.spreadsheet import (
    MAX_ROWS,
    Sheet,
    TooManyRows,
    TooMuchWork,
    UnreadableFile,
    WrongAgency,
    read_spreadsheet,
)
from workspace.extensions import db
from workspace.models import Proposal, ProposalItem, Revision, User
from workspace.queries.proposals import load_proposal_tree
from workspace.services.changes import bump_revision, record_revision
from workspace.services.editing import fresh, item_label, subtree_of
from workspace.services.import_rows import ROW_FIELDS, PlannedItem, RowError, RowReader, match_existing

# The newest history lines that travel with the import's broadcast (the panel re-fetches the rest).
HISTORY_SENT = 100


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
    def renamed(self) -> list[PlannedItem]:
        """Nomenclature items the file names differently: the user chooses which names to keep."""
        return [p for p in self.items if p.file_name]

    @property
    def has_changes(self) -> bool:
        return bool(self.created or self.updated or self.deleted)


@dataclass(frozen=True)
class ImportCounts:
    """What an applied import did, counted before the write (for the message that confirms it)."""

    created: int
    updated: int
    deleted: int


class ImportInvalid(ValidationFailed):
    """The file has row errors; the plan lists them all."""

    def __init__(self, plan: ImportPlan) -> None:
        super().__init__({"file": _("The file has %(count)d errors; nothing was imported.", count=len(plan.errors))})
        self.plan = plan


class ImportStale(Conflict):
    """The proposal changed between the preview and the apply."""

    def __init__(self) -> None:
        super().__init__(_("The proposal changed since the preview. Check the new preview and apply again."))


def refused_file(error: UnreadableFile, unreadable: str) -> ValidationFailed:
    """What the reader's refusal of an upload tells its user: too many rows, far too much work, or
    `unreadable` (what a file this import reads looks like)."""
    if isinstance(error, TooManyRows):
        return ValidationFailed({"file": _("The file has more than %(max)d rows.", max=MAX_ROWS)})
    if isinstance(error, TooMuchWork):
        return ValidationFailed(
            {
                "file": _(
                    "This file asks for far more work than a spreadsheet of proposals or people needs (too many "
                    "rows, columns or texts, or too slow to read); nothing was imported. Export it again from "
                    "Sinergi or save it again as a plain XLSX."
                )
            }
        )
    return ValidationFailed({"file": unreadable})


def _read_sheet(proposal: Proposal, content: bytes, filename: str) -> Sheet:
    if not content:
        raise ValidationFailed({"file": _("Choose an XLSX or CSV file exported from Sinergi.")})
    try:
        sheet = read_spreadsheet(content, filename, proposal.agency.name)
    except WrongAgency:
        raise ValidationFailed(
            {"file": _("The file has no rows for %(agency)s.", agency=proposal.agency.name)}
        ) from None
    except UnreadableFile as refused:
        unreadable = _(
            "This file cannot be read: use the XLSX or CSV exported from Sinergi (a header row with "
            "Kode and the item names)."
        )
        raise refused_file(refused, unreadable) from None
    if not sheet.rows:
        raise ValidationFailed({"file": _("The file has no item rows.")})
    return sheet


def plan_import(
    actor: User,
    proposal_id: int,
    content: bytes,
    filename: str,
    delete_missing: bool = False,
    keep_names: frozenset[int] = frozenset(),
) -> ImportPlan:
    """Read and validate the file, and say what applying it would change. Writes nothing.
    `keep_names`: the rows whose name, differing from the nomenclature's, the user keeps."""
    proposal = load_proposal_tree(proposal_id)
    if proposal is None:
        raise NotFound(_("The page or data you are looking for does not exist."))
    require_edit(actor, proposal)
    sheet = _read_sheet(proposal, content, filename)
    reader = RowReader(proposal, keep_names)
    for row in sheet.rows:
        reader.read(row.number, row.values)
    errors = reader.errors
    missing = match_existing(proposal, reader.items, errors)
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


@dataclass
class _Applying:
    """One import being written: each change after the first bumps the proposal's revision again,
    so the history keeps one revision per change; the history rows and touched items are kept."""

    actor: User
    proposal_id: int
    revision: int
    first: bool = True
    revisions: list[Revision] = field(default_factory=list)
    touched: list[int] = field(default_factory=list)
    next_position: dict[int | None, int] = field(default_factory=dict)

    def next_revision(self) -> int:
        if not self.first:
            self.revision = bump_revision(self.proposal_id)
        self.first = False
        return self.revision

    def history(self, item_id: int | None, label: str, action: str, **values: object) -> None:
        self.revisions.append(
            record_revision(self.actor, self.proposal_id, self.next_revision(), item_id, label, action, **values)
        )

    def create(self, planned: PlannedItem) -> None:
        parent_id = planned.parent.item_id if planned.parent is not None else None
        position = self.next_position.get(parent_id, 0)
        self.next_position[parent_id] = position + 1
        entry = planned.catalog_entry
        item = ProposalItem(
            proposal_id=self.proposal_id,
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
        self.history(item.id, item_label(item), "create", new_value=item_label(item))
        self.touched.append(item.id)

    def update(self, planned: PlannedItem, item_id: int) -> None:
        if not planned.changes:
            return
        item = fresh(ProposalItem, item_id)
        for change in planned.changes:
            apply_field_value(item, change.field, change.new)
            self.history(
                item.id, item_label(item), "import", field=change.field, old_value=change.old, new_value=change.new
            )
        self.touched.append(item.id)

    def delete(self, item_id: int) -> None:
        item = fresh(ProposalItem, item_id)
        nodes = subtree_of(item)
        label = item_label(item)
        details = ", ".join(item_label(node) for node in nodes[1:])
        for node in reversed(nodes):
            db.session.delete(node)
        self.history(item_id, label, "delete", old_value=label + (f" ({details})" if details else ""))


def apply_import(
    actor: User,
    proposal_id: int,
    content: bytes,
    filename: str,
    expected_revision: int,
    delete_missing: bool = False,
    keep_names: frozenset[int] = frozenset(),
) -> tuple[ImportCounts, ProposalWrite]:
    """Apply a previewed import; refuses when the file has errors (ImportInvalid) or the proposal
    moved on since the preview (ImportStale). New rows take the place they have in the file."""
    plan = plan_import(actor, proposal_id, content, filename, delete_missing, keep_names)
    if not plan.ok:
        raise ImportInvalid(plan)
    if plan.revision != expected_revision:
        raise ImportStale()
    counts = ImportCounts(created=len(plan.created), updated=len(plan.updated), deleted=len(plan.deleted))
    if not plan.has_changes:
        return counts, ProposalWrite(proposal_id=proposal_id, revision=plan.revision, changed=False)
    # Taken now: the unit of work starts by ending the read transaction, which expires the plan.
    deletions = [item.id for item in plan.deleted]
    event_id = plan.proposal.event_id
    with write_transaction() as unit:
        applying = _Applying(actor, proposal_id, revision=bump_revision(proposal_id))
        if applying.revision != expected_revision + 1:
            raise ImportStale()
        require_edit(actor, fresh(Proposal, proposal_id))
        applying.next_position = _next_positions(proposal_id)
        for planned in plan.items:  # in the file's order: a parent exists before its children
            if planned.existing_id is None:
                applying.create(planned)
            else:
                applying.update(planned, planned.existing_id)
        for item_id in deletions:
            applying.delete(item_id)
        _order_as_in_the_file(proposal_id, plan.items, set(deletions))
        unit.record(
            TreeChanged(
                proposal_id=proposal_id,
                event_id=event_id,
                revision=applying.revision,
                actor_id=actor.id,
                revision_ids=tuple(revision.id for revision in applying.revisions[-HISTORY_SENT:]),
                item_ids=tuple(applying.touched),
            )
        )
    return counts, ProposalWrite(proposal_id=proposal_id, revision=applying.revision, published=unit.published)


def _order_as_in_the_file(proposal_id: int, items: list[PlannedItem], deleted: set[int]) -> None:
    """Under every parent that got a new child, the children in the file's order; those the file
    does not list keep their order, after them. (A new row lands where it sits in the file, not at
    the end of its kegiatan.)"""
    by_parent: dict[int | None, list[int]] = {}
    new_under: set[int | None] = set()
    for planned in items:
        parent_id = planned.parent.item_id if planned.parent is not None else None
        if planned.item_id is not None:
            by_parent.setdefault(parent_id, []).append(planned.item_id)
        if planned.existing_id is None:
            new_under.add(parent_id)
    for parent_id in new_under:
        in_file = by_parent.get(parent_id, [])
        children = list(
            db.session.scalars(
                sa.select(ProposalItem)
                .where(
                    ProposalItem.proposal_id == proposal_id,
                    ProposalItem.parent_id.is_(None) if parent_id is None else ProposalItem.parent_id == parent_id,
                    ProposalItem.id.not_in(deleted) if deleted else sa.true(),
                )
                .order_by(ProposalItem.position, ProposalItem.id)
            )
        )
        rank = {item_id: index for index, item_id in enumerate(in_file)}
        ordered = sorted(children, key=lambda child: (child.id not in rank, rank.get(child.id, 0), child.position))
        for position, child in enumerate(ordered):
            child.position = position


def _next_positions(proposal_id: int) -> dict[int | None, int]:
    """The next free position under each parent (None: the programs)."""
    rows = db.session.execute(
        sa.select(ProposalItem.parent_id, sa.func.max(ProposalItem.position))
        .where(ProposalItem.proposal_id == proposal_id)
        .group_by(ProposalItem.parent_id)
    )
    return {parent_id: (position or 0) + 1 for parent_id, position in rows}
