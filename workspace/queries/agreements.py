"""Agreements as records: the snapshot a kesepakatan freezes, and what changed since.

Recording an agreement stores `proposal_snapshot()` of the proposal as it was agreed (every item
with its code, name, indicator, targets, budgets, location, funding and Amanat Presiden tags, and
the revision). The berita acara prints that snapshot, never the live proposal. `agreement_state()`
compares the standing agreement's snapshot with the proposal now: a proposal changed since its
agreement says so wherever its status shows, with the differences, agreed against now.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import g
from sqlalchemy.orm import selectinload

from workspace.core.item_fields import FIELDS
from workspace.extensions import db
from workspace.models import Agreement, AgreementDecision, ItemLevel, Proposal, ProposalItem, ProposalStatus, Session

SNAPSHOT_VERSION = 1
# The fields a snapshot keeps, beyond the item's place in the tree (its level, code, parent).
SNAPSHOT_FIELDS = ("code", *FIELDS)
AGREED = (AgreementDecision.AGREED, AgreementDecision.AGREED_WITH_NOTES)


def _item_record(item: ProposalItem) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": item.id,
        "parent_id": item.parent_id,
        "level": item.level.value,
        "outside_catalog": bool(item.outside_catalog),
        "code": item.code,
    }
    for name, spec in FIELDS.items():
        record[name] = spec.to_text(item)
    return record


def _tree_order(items: Iterable[ProposalItem]) -> list[ProposalItem]:
    """Depth first, as the editor and the exports show the tree."""
    children: dict[int | None, list[ProposalItem]] = {}
    for item in items:
        children.setdefault(item.parent_id, []).append(item)
    ordered: list[ProposalItem] = []

    def walk(parent_id: int | None) -> None:
        for child in sorted(children.get(parent_id, []), key=lambda i: (i.position, i.id)):
            ordered.append(child)
            walk(child.id)

    walk(None)
    return ordered


def proposal_snapshot(proposal: Proposal, items: Iterable[ProposalItem] | None = None) -> dict[str, Any]:
    """The proposal's content as JSON-ready data: what an agreement freezes (`items`: the rows as
    read inside the writing transaction; by default the proposal's loaded items)."""
    records = [_item_record(item) for item in _tree_order(proposal.items if items is None else items)]
    return {"version": SNAPSHOT_VERSION, "revision": proposal.revision, "items": records}


def fresh_items(proposal_id: int) -> list[ProposalItem]:
    """The proposal's items and their tags as stored now (inside a write: what is being agreed)."""
    return list(
        db.session.scalars(
            sa.select(ProposalItem)
            .where(ProposalItem.proposal_id == proposal_id)
            .options(selectinload(ProposalItem.directions))
            .execution_options(populate_existing=True)
        )
    )


@dataclass(frozen=True)
class SnapshotTotals:
    subkegiatan_count: int
    budget: int


def snapshot_totals(snapshot: dict[str, Any]) -> SnapshotTotals:
    subs = [item for item in snapshot["items"] if item["level"] == ItemLevel.SUBKEGIATAN.value]
    return SnapshotTotals(len(subs), sum(int(item["budget"] or 0) for item in subs))


@dataclass(frozen=True)
class Difference:
    """One way the proposal now differs from what was agreed. `kind`: added, removed or changed
    (then `field` names the field; for added and removed it is None)."""

    kind: str
    code: str
    name: str
    level: str
    field: str | None = None
    agreed: str = ""
    now: str = ""

    @property
    def item_level(self) -> ItemLevel:
        return ItemLevel(self.level)

    @property
    def agreed_display(self) -> str:
        return FIELDS[self.field].display(self.agreed) if self.field in FIELDS else self.agreed

    @property
    def now_display(self) -> str:
        return FIELDS[self.field].display(self.now) if self.field in FIELDS else self.now


def snapshot_differences(agreed: dict[str, Any], now: dict[str, Any]) -> list[Difference]:
    """Agreed against now, item by item in the tree's order: additions, removals, changed fields
    (a move under another parent counts; a change of position among siblings does not)."""
    agreed_items = {item["id"]: item for item in agreed["items"]}
    now_items = {item["id"]: item for item in now["items"]}
    differences: list[Difference] = []
    for item in now["items"]:
        before = agreed_items.get(item["id"])
        if before is None:
            differences.append(Difference("added", item["code"], item["name"], item["level"]))
            continue
        for name in ("parent_id", *SNAPSHOT_FIELDS):
            if str(before.get(name) or "") != str(item.get(name) or ""):
                field = "parent" if name == "parent_id" else name
                differences.append(
                    Difference(
                        "changed",
                        item["code"],
                        item["name"],
                        item["level"],
                        field,
                        _parent_text(agreed_items, before) if field == "parent" else str(before.get(name) or ""),
                        _parent_text(now_items, item) if field == "parent" else str(item.get(name) or ""),
                    )
                )
    for item in agreed["items"]:
        if item["id"] not in now_items:
            differences.append(Difference("removed", item["code"], item["name"], item["level"]))
    return differences


def _parent_text(items: dict[int, dict[str, Any]], item: dict[str, Any]) -> str:
    parent = items.get(item["parent_id"])
    return f"{parent['code']} {parent['name']}".strip() if parent else ""


@dataclass(frozen=True)
class AgreementState:
    """The agreement that stands for a proposal, and how the proposal differs from it now."""

    agreement: Agreement
    differences: list[Difference]

    @property
    def changed(self) -> bool:
        return bool(self.differences)

    @property
    def has_snapshot(self) -> bool:
        return self.agreement.snapshot is not None

    @property
    def agreed_totals(self) -> SnapshotTotals | None:
        snapshot = self.agreement.snapshot
        return snapshot_totals(snapshot) if snapshot is not None else None


def standing_agreements(proposal_ids: Iterable[int]) -> dict[int, Agreement]:
    """The agreement that stands for each proposal: the latest one recorded, in any session."""
    ids = list(proposal_ids)
    if not ids:
        return {}
    rows = db.session.scalars(
        sa.select(Agreement)
        .where(Agreement.proposal_id.in_(ids), Agreement.superseded_at.is_(None))
        .options(selectinload(Agreement.session).selectinload(Session.parent))
        .order_by(Agreement.recorded_at, Agreement.id)
    )
    return {agreement.proposal_id: agreement for agreement in rows}


def state_of(agreement: Agreement, proposal: Proposal) -> AgreementState:
    if agreement.snapshot is None:  # recorded before snapshots existed: nothing to compare
        return AgreementState(agreement, [])
    return AgreementState(agreement, snapshot_differences(agreement.snapshot, proposal_snapshot(proposal)))


def agreement_state(proposal: Proposal) -> AgreementState | None:
    """The standing agreement of the proposal and its differences, computed once per revision of
    the proposal in a request (every change of content bumps the revision)."""
    memo: dict[tuple[int, int], AgreementState | None] = g.setdefault("agreement_states", {})
    key = (proposal.id, proposal.revision)
    if key not in memo:
        agreement = standing_agreements([proposal.id]).get(proposal.id)
        memo[key] = None if agreement is None else state_of(agreement, proposal)
    return memo[key]


def has_standing_agreement(proposal_id: int) -> bool:
    """Whether an agreement stands for the proposal. A draft has none (only an agreement moves the
    status), so the hot path of editing a draft costs no query beyond the row it has loaded."""
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None or proposal.status is ProposalStatus.DRAFT:
        return False
    standing = db.session.scalar(
        sa.select(Agreement.id).where(Agreement.proposal_id == proposal_id, Agreement.superseded_at.is_(None)).limit(1)
    )
    return standing is not None
