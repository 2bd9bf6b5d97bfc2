"""Live co-editing of proposals: field edits with compare-and-set, tree changes, restore.

Every operation follows the one write path: validate → check permission → mutate inside one short
write transaction that bumps the proposal's revision and writes a Revision → commit → broadcast
the changed fragments, rendered once, to the proposal's room.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from workspace.extensions import db
from workspace.models import (
    CatalogEntry,
    ItemLevel,
    Proposal,
    ProposalItem,
    Revision,
    User,
)
from workspace.permissions import can_edit_proposal, can_view_proposal
from workspace.services.catalog import CODE_PATTERN_BY_LEVEL, parent_code
from workspace.services.changes import ChangeResult, announce, bump_revision
from workspace.services.errors import NotFound, PermissionDenied, ServiceError, ValidationFailed
from workspace.services.item_fields import (
    FIELDS,
    FieldInvalid,
    apply_field_value,
    field_applies,
    parse_field_value,
)
from workspace.services.transactions import write_transaction

ITEM_LEVEL_TO_CATALOG = {
    ItemLevel.PROGRAM: "program",
    ItemLevel.KEGIATAN: "kegiatan",
    ItemLevel.SUBKEGIATAN: "subkegiatan",
}


@dataclass
class EditConflict(ServiceError):
    """The stored value moved on since the user started editing."""

    item_id: int
    field_name: str
    base_text: str
    mine_text: str
    theirs_text: str
    their_revision: Revision | None

    def __post_init__(self) -> None:
        ServiceError.__init__(self, _("Someone else changed this field while you were editing."))


class ItemGone(ServiceError):
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


def require_edit(actor: User, proposal: Proposal) -> None:
    if not can_view_proposal(actor, proposal):
        raise NotFound(_("The page or data you are looking for does not exist."))
    if can_edit_proposal(actor, proposal):
        return
    if proposal.is_locked:
        raise PermissionDenied(_("This proposal is locked by the facilitator; it cannot be changed now."))
    if not proposal.event.accepts_edits:
        raise PermissionDenied(_("The event is closed; proposals can no longer be changed."))
    raise PermissionDenied(
        _("Only participants of %(agency)s can change this proposal.", agency=proposal.agency.short_name)
    )


def fresh(model: type, object_id: int) -> Any:
    return db.session.execute(
        sa.select(model).where(model.id == object_id).execution_options(populate_existing=True)
    ).scalar_one_or_none()


def record_revision(
    actor: User, proposal_id: int, revision_number: int, item_id: int | None, label: str, action: str, **values: object
) -> Revision:
    """Write the history row of one change, inside its transaction."""
    revision = Revision(
        proposal_id=proposal_id,
        proposal_revision=revision_number,
        item_id=item_id,
        item_label=label,
        action=action,
        user_id=actor.id,
        **values,
    )
    db.session.add(revision)
    return revision


def _begin_item_change(actor: User, proposal_id: int, item_id: int) -> tuple[int, ProposalItem]:
    """First steps of every write on an item: bump the revision, re-check rights on fresh rows."""
    revision_number = bump_revision(proposal_id)
    require_edit(actor, fresh(Proposal, proposal_id))
    item = fresh(ProposalItem, item_id)
    if item is None:
        raise ItemGone(_deleted_message(item_id))
    return revision_number, item


def _same_parent(proposal_id: int, parent_id: int | None) -> list[sa.ColumnElement[bool]]:
    """Filter for the siblings under one parent (or the programs, under none)."""
    parent = ProposalItem.parent_id.is_(None) if parent_id is None else ProposalItem.parent_id == parent_id
    return [ProposalItem.proposal_id == proposal_id, parent]


def _tree_change(actor: User, proposal_id: int, revision_number: int, item_id: int, revision: Revision) -> ChangeResult:
    return announce(
        ChangeResult(
            proposal_id=proposal_id,
            revision=revision_number,
            item_ids=[item_id],
            structure_changed=True,
            revisions=[revision],
            actor=actor,
        )
    )


def latest_field_revision(item_id: int, field_name: str) -> Revision | None:
    return db.session.scalar(
        sa.select(Revision)
        .where(Revision.item_id == item_id, Revision.field == field_name)
        .order_by(Revision.id.desc())
        .limit(1)
    )


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
) -> ChangeResult:
    """Set one field of one item if it still holds `base_text` (compare-and-set).

    Raises ValidationFailed (nothing stored), PermissionDenied, ItemGone, or EditConflict with
    both values and who made the other change.
    """
    item = _load_item_for_edit(actor, item_id)
    if not field_applies(item, field_name):
        raise ValidationFailed({field_name: _("This field cannot be changed on this item.")})
    try:
        new_text = parse_field_value(item, field_name, raw_value)
    except FieldInvalid as invalid:
        raise ValidationFailed({field_name: str(invalid)}) from None
    spec = FIELDS[field_name]
    proposal_id = item.proposal_id

    with write_transaction():
        revision_number, item = _begin_item_change(actor, proposal_id, item_id)
        try:  # again on the fresh row: the unit that decides how a target is read may have changed
            new_text = parse_field_value(item, field_name, raw_value)
        except FieldInvalid as invalid:
            raise ValidationFailed({field_name: str(invalid)}) from None
        current_text = spec.to_text(item)
        if current_text == new_text:
            # Nothing to change (perhaps someone typed the same value): no revision is spent.
            db.session.rollback()
            return ChangeResult(proposal_id=proposal_id, revision=revision_number - 1, changed=False)
        if current_text != base_text:
            raise EditConflict(
                item_id=item_id,
                field_name=field_name,
                base_text=base_text,
                mine_text=new_text,
                theirs_text=current_text,
                their_revision=latest_field_revision(item_id, field_name),
            )
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
            also()  # e.g. mark the accepted suggestion, in the same transaction
    return announce(
        ChangeResult(
            proposal_id=proposal_id,
            revision=revision_number,
            item_ids=[item_id],
            revisions=[revision],
            actor=actor,
            field_name=field_name,
            thread_ids=thread_ids or [],
        )
    )


def restore_revision(actor: User, revision_id: int) -> ChangeResult:
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
    errors: dict[str, str] = {}
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
    scope = proposal.agency.level.catalog_scope
    digit = proposal.agency.level.code_level_digit
    existing_codes = {i.code for i in proposal.items if i.code}
    entry = None
    if request.catalog_entry_id is not None:
        entry = db.session.get(CatalogEntry, request.catalog_entry_id)
        if entry is None or entry.level.value != ITEM_LEVEL_TO_CATALOG[level] or not entry.applies_to_scope(scope):
            errors["catalog_entry"] = _("Choose an entry of the nomenclature valid for this level.")
        elif parent is not None and parent_code(entry.code) != parent.code:
            errors["catalog_entry"] = _("This entry does not belong under %(code)s.", code=parent.code)
        elif entry.code in existing_codes:
            errors["catalog_entry"] = _("The proposal already contains %(code)s.", code=entry.code)
        name, code = (entry.name, entry.code) if entry is not None else ("", "")
    else:
        name = re.sub(r"[\x00-\x1f\x7f]+", " ", request.name).strip()
        code = request.code.strip()
        if not name:
            errors["name"] = _("The name is required.")
        elif len(name) > 500:
            errors["name"] = _("At most %(max)d characters.", max=500)
        if code:
            pattern = CODE_PATTERN_BY_LEVEL[entry_level_for(level)]
            if len(code) > 32 or not pattern.match(code):
                errors["code"] = _("The code does not have the form of a %(level)s code.", level=_level_word(level))
            elif parent is not None and parent_code(code) != parent.code:
                errors["code"] = _("The code must start with %(code)s.", code=parent.code)
            elif level is not ItemLevel.PROGRAM and code.split(".")[3] != digit:
                errors["code"] = _("The level digit of the code must be %(digit)s for this agency.", digit=digit)
            elif code in existing_codes:
                errors["code"] = _("The proposal already contains %(code)s.", code=code)
    if errors:
        raise ValidationFailed(errors)
    return level, parent, entry, name, code


def entry_level_for(level: ItemLevel) -> Any:
    from workspace.models import CatalogLevel

    return CatalogLevel(ITEM_LEVEL_TO_CATALOG[level])


def _level_word(level: ItemLevel) -> str:
    from workspace.labels import ITEM_LEVEL

    return str(ITEM_LEVEL[level]).lower()


def add_item(actor: User, proposal_id: int, request: NewItem) -> ChangeResult:
    """Add a program, kegiatan or sub kegiatan, from the catalogue or outside it."""
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None:
        raise NotFound(_("The page or data you are looking for does not exist."))
    require_edit(actor, proposal)
    level, _parent, entry, name, code = _validate_new_item(proposal, request)
    with write_transaction():
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
    return _tree_change(actor, proposal_id, revision_number, item.id, revision)


def delete_item(actor: User, item_id: int) -> ChangeResult:
    """Delete an item with everything below it; the history keeps what it was."""
    item = _load_item_for_edit(actor, item_id)
    proposal_id = item.proposal_id
    with write_transaction():
        revision_number, item = _begin_item_change(actor, proposal_id, item_id)
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
    return _tree_change(actor, proposal_id, revision_number, item_id, revision)


def subtree_of(item: ProposalItem) -> list[ProposalItem]:
    nodes = [item]
    for child in item.children:
        nodes.extend(subtree_of(child))
    return nodes


def move_item(actor: User, item_id: int, direction: str) -> ChangeResult:
    """Move an item one place up or down among its siblings."""
    item = _load_item_for_edit(actor, item_id)  # refused before the input is judged
    if direction not in ("up", "down"):
        raise ValidationFailed({"direction": _("Unknown direction.")})
    proposal_id = item.proposal_id
    with write_transaction():
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
            return ChangeResult(proposal_id=proposal_id, revision=revision_number - 1, changed=False)
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
    return _tree_change(actor, proposal_id, revision_number, item_id, revision)
