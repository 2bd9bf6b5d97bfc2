"""What a structural change of a proposal (a row added, deleted or moved) sends: the tree's order
and the few rows whose content changed, instead of the whole tree.

A 300-item tree is about 1 MB of HTML; parsing it, letting htmx process it and laying the table
out again cost a viewer's browser 200 ms or more per change (bench/live_apply.py). The order is
a list of ids (a few kB), so the page moves the rows it already shows into place and parses
only the new row and the rows above it whose subtotals moved (static/js/app.js, `applyOrder`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from workspace.core.changes import TreeChanged
from workspace.extensions import db
from workspace.models import ItemLevel, ProposalItem

#: Beyond this many rows to re-render, the whole tree (rendered once per revision) is sent.
MAX_ROWS = 40

#: [[program id, [the ids of its rows as the page shows them: the program, each kegiatan and
#: the kegiatan's sub kegiatan]], …]
Order = list[tuple[int, list[int]]]


@dataclass(frozen=True)
class Structure:
    order: Order
    item_ids: list[int]  # the items whose rows are sent


_last: list[tuple[TreeChanged, Structure | None]] = []


def structure_change(change: TreeChanged) -> Structure | None:
    """The order and the rows of a structural change of one item, or None when the whole tree is
    the better message: several changes at once (an import: its revision jumped, so the page
    catches up over HTTP anyway), no item left (the page shows its "no items yet" line), or too
    many rows. The publisher asks for a message's fragments, then for its data: the answer for
    the change asked last is kept for the second question (the same object, not an equal one)."""
    if _last and _last[0][0] is change:
        return _last[0][1]
    one = len(change.item_ids) == 1 and len(change.revision_ids) == 1
    found = _structure(change.proposal_id, change.item_ids) if one else None
    _last[:] = [(change, found)]
    return found


def _structure(proposal_id: int, item_ids: Sequence[int]) -> Structure | None:
    rows = db.session.execute(
        sa.select(ProposalItem.id, ProposalItem.parent_id, ProposalItem.level)
        .where(ProposalItem.proposal_id == proposal_id)
        .order_by(ProposalItem.position, ProposalItem.id)
    ).all()
    if not rows:
        return None
    parents = {item_id: parent_id for item_id, parent_id, _level in rows}
    children: dict[int | None, list[int]] = {}
    for item_id, parent_id, _level in rows:
        children.setdefault(parent_id, []).append(item_id)

    def below(item_id: int) -> list[int]:
        shown = [item_id]
        for child in children.get(item_id, []):
            shown.extend(below(child))
        return shown

    sent: list[int] = []
    for item_id in item_ids:
        if item_id not in parents:
            # Deleted: the rows that were above it are not known any more; every program and
            # kegiatan row carries a subtotal, so they all go (a few of the tree's rows).
            sent.extend(i for i, _parent, level in rows if level is not ItemLevel.SUBKEGIATAN)
            continue
        ancestor: int | None = item_id
        while ancestor is not None:  # the item and the rows whose subtotals include it
            sent.append(ancestor)
            ancestor = parents[ancestor]
    unique = list(dict.fromkeys(sent))
    if len(unique) > MAX_ROWS:
        return None
    return Structure(order=[(program, below(program)) for program in children.get(None, [])], item_ids=unique)
