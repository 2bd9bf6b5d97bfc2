"""Live co-editing of proposals: field edits with compare-and-set, tree changes, restore.

Every operation follows the one write path: validate → check permission → mutate inside one short
unit of work that bumps the proposal's revision, writes a Revision and records the typed change →
commit → the publisher renders the changed fragments once and sends them to the proposal's room.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypedDict

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from workspace.core.access import require_edit
from workspace.core.changes import ItemChanged, ThreadChanged, TreeChanged
from workspace.core.errors import Conflict, Gone, NotFound, ValidationFailed
from workspace.core.item_fields import (
    FIELDS,
    FieldInvalid,
    apply_field_value,
    field_applies,
    parse_field_value,
)
from workspace.core.uow import ProposalWrite, UnitOfWork, write_transaction
from workspace.extensions import Model, db
from workspace.labels import ITEM_LEVEL
from workspace.models import (
    CatalogEntry,
    CatalogLevel,
    Event,
    ItemLevel,
    Proposal,
    ProposalItem,
    Revision,
    User,
)
from workspace.queries.catalog import CODE_PATTERN_BY_LEVEL, parent_code
from workspace.services.changes import bump_revision, record_revision

ITEM_LEVEL_TO_CATALOG = {
    ItemLevel.PROGRAM: "program",
    ItemLevel.KEGIATAN: "kegiatan",
    ItemLevel.SUBKEGIATAN: "subkegiatan",
}


@dataclass
class EditConflict(Conflict):
    """The stored value moved on since the user started editing."""

    item_id: int
    field_name: str
    base_text: str
    mine_text: str
    theirs_text: str
    their_revision: Revision | None

    def __post_init__(self) -> None:
        Conflict.__init__(self, _("Someone else changed this field while you were editing."))
        self.retarget = f"#item-{self.item_id}-{self.field_name}"


class ItemGone(Gone):
    """The item was deleted by someone else."""


def item_label(item: ProposalItem) -> str:
    return f"{item.code} {item.name}".strip()[:600]


def _deleted_message(item_id: int) -> str:
    deletion = db.session.scalar(
        sa.select(Revision)
        .where(Revision.item_id == item_id, Revision.action == "delete")
        .order_by(Revision.id.desc())
        .limit(1)
    )
    if deletion is not None and deletion.user is not None:
        return _("This item was deleted by %(name)s.", name=deletion.user.display_name)
    return _("This item no longer exists; it may have been deleted.")


def _load_item_for_edit(actor: User, item_id: int) -> ProposalItem:
    item = db.session.get(ProposalItem, item_id)
    if item is None:
        raise ItemGone(_deleted_message(item_id))
    require_edit(actor, item.proposal)
    return item


def fresh(model: type[Model], object_id: int) -> Any:
    """The `model` row whose `id` is `object_id` read again from the database, over whatever the
    session holds (None if it is gone)."""
    id_column = sa.inspect(model).columns["id"]
    return db.session.execute(
        sa.select(model).where(id_column == object_id).execution_options(populate_existing=True)
    ).scalar_one_or_none()


def _begin_item_change(actor: User, proposal_id: int, item_id: int) -> tuple[int, ProposalItem]:
    """First steps of every write on an item: bump the revision, re-check rights on fresh rows
    (the item, its proposal, the event's phase and its sessions' locks, read again in two queries)."""
    revision_number = bump_revision(proposal_id)
    item = db.session.execute(
        sa.select(ProposalItem)
        .where(ProposalItem.id == item_id)
        .options(joinedload(ProposalItem.proposal).joinedload(Proposal.event).selectinload(Event.sessions))
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if item is None:
        raise ItemGone(_deleted_message(item_id))
    require_edit(actor, item.proposal)
    return revision_number, item


def _same_parent(proposal_id: int, parent_id: int | None) -> list[sa.ColumnElement[bool]]:
    """Filter for the siblings under one parent (or the programs, under none)."""
    parent = ProposalItem.parent_id.is_(None) if parent_id is None else ProposalItem.parent_id == parent_id
    return [ProposalItem.proposal_id == proposal_id, parent]


def _tree_change(unit: UnitOfWork, actor: User, proposal: Proposal, revision_number: int, revision: Revision) -> None:
    unit.record(
        TreeChanged(
            proposal_id=proposal.id,
            event_id=proposal.event_id,
            revision=revision_number,
            actor_id=actor.id,
            revision_ids=(revision.id,),
            item_ids=(revision.item_id,) if revision.item_id else (),
        )
    )


def _latest(item_id: int, field_name: str) -> Revision | None:
    return db.session.scalar(
        sa.select(Revision)
        .where(Revision.item_id == item_id, Revision.field == field_name)
        .order_by(Revision.id.desc())
        .limit(1)
    )


class _ProposalStamp(TypedDict):
    """The fields every change of one proposal write shares (see core.changes.ProposalChange)."""

    proposal_id: int
    event_id: int
    revision: int
    actor_id: int


def update_field(
    actor: User,
    item_id: int,
    field_name: str,
    raw_value: str,
    base_text: str,
    *,
    action: str = "update",
    suggestion_id: int | None = None,
    also: Callable[[], None] | None = None,
    thread_ids: list[int] | None = None,
) -> ProposalWrite:
    """Set one field of one item if it still holds `base_text` (compare-and-set).

    Raises ValidationFailed (nothing stored), PermissionDenied, ItemGone, or EditConflict with
    both values and who made the other change. `also` runs inside the same unit of work (e.g. to
    mark the accepted suggestion); `thread_ids` are threads whose fragment changes with it."""
    item = _load_item_for_edit(actor, item_id)
    if not field_applies(item, field_name):
        raise ValidationFailed({field_name: _("This field cannot be changed on this item.")})
    try:
        parse_field_value(item, field_name, raw_value)
    except FieldInvalid as invalid:
        raise ValidationFailed({field_name: str(invalid)}) from None
    proposal_id, event_id = item.proposal_id, item.proposal.event_id

    with write_transaction() as unit:
        revision_number, item = _begin_item_change(actor, proposal_id, item_id)
        try:  # again on the fresh row: the unit that decides how a target is read may have changed
            new_text = parse_field_value(item, field_name, raw_value)
        except FieldInvalid as invalid:
            raise ValidationFailed({field_name: str(invalid)}) from None
        current_text = FIELDS[field_name].to_text(item)
        if current_text == new_text:
            # Nothing to change (perhaps someone typed the same value): no revision is spent.
            db.session.rollback()
            return ProposalWrite(proposal_id=proposal_id, revision=revision_number - 1, changed=False)
        if current_text != base_text:
            raise EditConflict(item_id, field_name, base_text, new_text, current_text, _latest(item_id, field_name))
        apply_field_value(item, field_name, new_text)
        revision = record_revision(
            actor,
            proposal_id,
            revision_number,
            item.id,
            item_label(item),
            action,
            field=field_name,
            old_value=current_text,
            new_value=new_text,
            suggestion_id=suggestion_id,
        )
        if also is not None:
            also()
        common = _ProposalStamp(proposal_id=proposal_id, event_id=event_id, revision=revision_number, actor_id=actor.id)
        unit.record(ItemChanged(**common, revision_ids=(revision.id,), item_id=item_id, field=field_name))
        if thread_ids:
            unit.record(ThreadChanged(**common, thread_ids=tuple(thread_ids)))
    return ProposalWrite(proposal_id=proposal_id, revision=revision_number, published=unit.published)


def restore_revision(actor: User, revision_id: int) -> ProposalWrite:
    """Set a field back to the value it had before a recorded change: a new change, same path."""
    revision = db.session.get(Revision, revision_id)
    if revision is None or revision.field is None or revision.item_id is None or revision.field not in FIELDS:
        raise NotFound(_("This change cannot be restored."))
    item = _load_item_for_edit(actor, revision.item_id)
    if item.proposal_id != revision.proposal_id:
        raise ItemGone(_deleted_message(revision.item_id))
    current = FIELDS[revision.field].to_text(item)
    return update_field(actor, revision.item_id, revision.field, revision.old_value or "", current, action="restore")


@dataclass(frozen=True)
class NewItem:
    parent_id: int | None
    catalog_entry_id: int | None = None
    name: str = ""
    code: str = ""


def _validate_new_item(
    proposal: Proposal, request: NewItem
) -> tuple[ItemLevel, ProposalItem | None, CatalogEntry | None, str, str]:
    parent = None
    if request.parent_id is not None:
        parent = db.session.get(ProposalItem, request.parent_id)
        if parent is None or parent.proposal_id != proposal.id:
            raise ItemGone(_deleted_message(request.parent_id))
        if parent.level.child_level is None:
            raise ValidationFailed({"parent": _("A sub-activity cannot have items below it.")})
        level = parent.level.child_level
    else:
        level = ItemLevel.PROGRAM
    existing_codes = {i.code for i in proposal.items if i.code}
    entry = None
    if request.catalog_entry_id is not None:
        entry = db.session.get(CatalogEntry, request.catalog_entry_id)
        errors = _catalog_entry_errors(proposal, level, parent, entry, existing_codes)
        name, code = (entry.name, entry.code) if entry is not None else ("", "")
    else:
        name = re.sub(r"[\x00-\x1f\x7f]+", " ", request.name).strip()
        code = request.code.strip()
        errors = _free_item_errors(proposal, level, parent, name, code, existing_codes)
    if errors:
        raise ValidationFailed(errors)
    return level, parent, entry, name, code


def _catalog_entry_errors(
    proposal: Proposal, level: ItemLevel, parent: ProposalItem | None, entry: CatalogEntry | None, existing: set[str]
) -> dict[str, str]:
    scope = proposal.agency.level.catalog_scope
    if entry is None or entry.level.value != ITEM_LEVEL_TO_CATALOG[level] or not entry.applies_to_scope(scope):
        return {"catalog_entry": _("Choose an entry of the nomenclature valid for this level.")}
    if parent is not None and parent_code(entry.code) != parent.code:
        return {"catalog_entry": _("This entry does not belong under %(code)s.", code=parent.code)}
    if entry.code in existing:
        return {"catalog_entry": _("The proposal already contains %(code)s.", code=entry.code)}
    return {}


def _free_item_errors(
    proposal: Proposal, level: ItemLevel, parent: ProposalItem | None, name: str, code: str, existing: set[str]
) -> dict[str, str]:
    """An item outside the nomenclature: a name, and a code of the level's form if any."""
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = _("The name is required.")
    elif len(name) > 500:
        errors["name"] = _("At most %(max)d characters.", max=500)
    if not code:
        return errors
    digit = proposal.agency.level.code_level_digit
    pattern = CODE_PATTERN_BY_LEVEL[entry_level_for(level)]
    if len(code) > 32 or not pattern.match(code):
        errors["code"] = _("The code does not have the form of a %(level)s code.", level=_level_word(level))
    elif parent is not None and parent_code(code) != parent.code:
        errors["code"] = _("The code must start with %(code)s.", code=parent.code)
    elif level is not ItemLevel.PROGRAM and code.split(".")[3] != digit:
        errors["code"] = _("The level digit of the code must be %(digit)s for this agency.", digit=digit)
    elif code in existing:
        errors["code"] = _("The proposal already contains %(code)s.", code=code)
    return errors


def entry_level_for(level: ItemLevel) -> CatalogLevel:
    return CatalogLevel(ITEM_LEVEL_TO_CATALOG[level])


def _level_word(level: ItemLevel) -> str:
    return str(ITEM_LEVEL[level]).lower()


def add_item(actor: User, proposal_id: int, request: NewItem) -> ProposalWrite:
    """Add a program, kegiatan or sub kegiatan, from the catalogue or outside it."""
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None:
        raise NotFound(_("The page or data you are looking for does not exist."))
    require_edit(actor, proposal)
    level, _parent, entry, name, code = _validate_new_item(proposal, request)
    with write_transaction() as unit:
        revision_number = bump_revision(proposal_id)
        proposal = fresh(Proposal, proposal_id)
        require_edit(actor, proposal)
        if request.parent_id is not None and fresh(ProposalItem, request.parent_id) is None:
            raise ItemGone(_deleted_message(request.parent_id))
        if code and db.session.scalar(
            sa.select(ProposalItem.id).where(ProposalItem.proposal_id == proposal_id, ProposalItem.code == code)
        ):
            raise ValidationFailed({"code": _("The proposal already contains %(code)s.", code=code)})
        last_position = sa.select(sa.func.max(ProposalItem.position)).where(
            *_same_parent(proposal_id, request.parent_id)
        )
        position = (db.session.scalar(last_position) or 0) + 1
        item = ProposalItem(
            proposal_id=proposal_id,
            parent_id=request.parent_id,
            level=level,
            position=position,
            code=code,
            name=name,
            catalog_entry_id=entry.id if entry else None,
            outside_catalog=entry is None,
            indicator=entry.default_indicator if entry else "",
            unit=entry.default_unit if entry else "",
            location=proposal.agency.region_name if level is ItemLevel.SUBKEGIATAN else "",
        )
        db.session.add(item)
        db.session.flush()
        revision = record_revision(
            actor, proposal_id, revision_number, item.id, item_label(item), "create", new_value=item_label(item)
        )
        _tree_change(unit, actor, proposal, revision_number, revision)
    return ProposalWrite(proposal_id=proposal_id, revision=revision_number, published=unit.published)


def delete_item(actor: User, item_id: int) -> ProposalWrite:
    """Delete an item with everything below it; the history keeps what it was."""
    item = _load_item_for_edit(actor, item_id)
    proposal_id = item.proposal_id
    with write_transaction() as unit:
        revision_number, item = _begin_item_change(actor, proposal_id, item_id)
        proposal = item.proposal
        subtree = subtree_of(item)
        label = item_label(item)
        details = ", ".join(item_label(i) for i in subtree[1:])
        for node in reversed(subtree):
            db.session.delete(node)
        revision = record_revision(
            actor,
            proposal_id,
            revision_number,
            item_id,
            label,
            "delete",
            old_value=label + (f" ({details})" if details else ""),
        )
        _tree_change(unit, actor, proposal, revision_number, revision)
    return ProposalWrite(proposal_id=proposal_id, revision=revision_number, published=unit.published)


def subtree_of(item: ProposalItem) -> list[ProposalItem]:
    nodes = [item]
    for child in item.children:
        nodes.extend(subtree_of(child))
    return nodes


def move_item(actor: User, item_id: int, direction: str) -> ProposalWrite:
    """Move an item one place up or down among its siblings."""
    item = _load_item_for_edit(actor, item_id)  # refused before the input is judged
    if direction not in ("up", "down"):
        raise ValidationFailed({"direction": _("Unknown direction.")})
    proposal_id = item.proposal_id
    with write_transaction() as unit:
        revision_number, item = _begin_item_change(actor, proposal_id, item_id)
        siblings = list(
            db.session.scalars(
                sa.select(ProposalItem)
                .where(*_same_parent(proposal_id, item.parent_id))
                .order_by(ProposalItem.position, ProposalItem.id)
            )
        )
        index = siblings.index(item)
        target = index - 1 if direction == "up" else index + 1
        if not 0 <= target < len(siblings):
            db.session.rollback()
            return ProposalWrite(proposal_id=proposal_id, revision=revision_number - 1, changed=False)
        siblings[index], siblings[target] = siblings[target], siblings[index]
        for position, sibling in enumerate(siblings):
            sibling.position = position
        revision = record_revision(
            actor,
            proposal_id,
            revision_number,
            item_id,
            item_label(item),
            "move",
            old_value=str(index + 1),
            new_value=str(target + 1),
        )
        _tree_change(unit, actor, item.proposal, revision_number, revision)
    return ProposalWrite(proposal_id=proposal_id, revision=revision_number, published=unit.published)


def item_or_gone(item_id: int) -> ProposalItem:
    """The item with its proposal and event (one query), or ItemGone saying who deleted it."""
    item = db.session.execute(
        sa.select(ProposalItem)
        .where(ProposalItem.id == item_id)
        .options(joinedload(ProposalItem.proposal).joinedload(Proposal.event))
    ).scalar_one_or_none()
    if item is None:
        raise ItemGone(_deleted_message(item_id))
    return item
