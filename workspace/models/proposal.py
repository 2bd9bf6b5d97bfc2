from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workspace.extensions import Model, db
from workspace.models.base import enum_column, utcnow

if TYPE_CHECKING:
    from workspace.models.agency import Agency
    from workspace.models.catalog import CatalogEntry, NationalDirection
    from workspace.models.event import Event
    from workspace.models.user import User


class ProposalStatus(enum.StrEnum):
    DRAFT = "draft"
    AGREED = "agreed"
    AGREED_WITH_NOTES = "agreed_with_notes"
    NOT_AGREED = "not_agreed"


class ItemLevel(enum.StrEnum):
    PROGRAM = "program"
    KEGIATAN = "kegiatan"
    SUBKEGIATAN = "subkegiatan"

    @property
    def child_level(self) -> ItemLevel | None:
        return {ItemLevel.PROGRAM: ItemLevel.KEGIATAN, ItemLevel.KEGIATAN: ItemLevel.SUBKEGIATAN}.get(self)

    @property
    def parent_level(self) -> ItemLevel | None:
        return {ItemLevel.KEGIATAN: ItemLevel.PROGRAM, ItemLevel.SUBKEGIATAN: ItemLevel.KEGIATAN}.get(self)


class VerdictKind(enum.StrEnum):
    APPROVED = "approved"
    NEEDS_REVISION = "needs_revision"


item_directions = sa.Table(
    "item_direction",
    db.metadata,
    sa.Column("item_id", sa.ForeignKey("proposal_item.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("direction_id", sa.ForeignKey("national_direction.id", ondelete="CASCADE"), primary_key=True),
)


class Proposal(Model):
    """One agency's plan for the plan year, in one event (an Usulan)."""

    __tablename__ = "proposal"
    __table_args__ = (sa.UniqueConstraint("event_id", "agency_id", "plan_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"), index=True)
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agency.id"), index=True)
    plan_year: Mapped[int]
    status: Mapped[ProposalStatus] = mapped_column(enum_column(ProposalStatus), default=ProposalStatus.DRAFT)
    # Incremented by every change, in the same transaction; broadcasts carry it (DESIGN.md §3).
    revision: Mapped[int] = mapped_column(default=0)
    locked: Mapped[bool] = mapped_column(default=False)
    locked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    locked_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    event: Mapped[Event] = relationship(back_populates="proposals")
    agency: Mapped[Agency] = relationship()
    items: Mapped[list[ProposalItem]] = relationship(
        back_populates="proposal", cascade="all, delete-orphan", order_by="ProposalItem.position"
    )

    @property
    def is_locked(self) -> bool:
        """Locked itself, or in a live session the facilitator locked (a plenary holds them all)."""
        if self.locked:
            return True
        return any(session.locked and session.is_live and session.holds(self) for session in self.event.sessions)

    @property
    def root_items(self) -> list[ProposalItem]:
        return sorted((i for i in self.items if i.parent_id is None), key=lambda i: (i.position, i.id))

    @property
    def total_budget(self) -> int:
        return sum(item.budget or 0 for item in self.items if item.level is ItemLevel.SUBKEGIATAN)

    def __repr__(self) -> str:
        return f"<Proposal {self.id} agency={self.agency_id}>"


class ProposalItem(Model):
    """A node of the proposal tree: program → kegiatan → sub kegiatan."""

    __tablename__ = "proposal_item"
    # Never reuse the id of a deleted item (SQLite would): an editor still open on a deleted item,
    # or its history, must not land on a new item that got the same id.
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("proposal.id", ondelete="CASCADE"), index=True)
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("proposal_item.id", ondelete="CASCADE"), index=True)
    level: Mapped[ItemLevel] = mapped_column(enum_column(ItemLevel))
    position: Mapped[int] = mapped_column(default=0)
    code: Mapped[str] = mapped_column(sa.String(32), default="")
    name: Mapped[str] = mapped_column(sa.String(500))
    catalog_entry_id: Mapped[int | None] = mapped_column(sa.ForeignKey("catalog_entry.id"))
    # An item the agency proposes that has no code in the nomenclature (allowed, shown as such).
    outside_catalog: Mapped[bool] = mapped_column(default=False)
    # The Renja's indicator at every level: a program's outcome (Indikator Kinerja Program), a
    # kegiatan's and a sub kegiatan's output; each with its target and unit.
    indicator: Mapped[str] = mapped_column(sa.String(300), default="")
    target: Mapped[str] = mapped_column(sa.String(60), default="")
    unit: Mapped[str] = mapped_column(sa.String(60), default="")
    location: Mapped[str] = mapped_column(sa.String(200), default="")
    # Pagu indikatif in whole rupiah: integers only, never floats, anywhere money is handled.
    budget: Mapped[int | None] = mapped_column(sa.BigInteger)
    funding_source: Mapped[str] = mapped_column(sa.String(60), default="")
    forward_target: Mapped[str] = mapped_column(sa.String(60), default="")
    forward_budget: Mapped[int | None] = mapped_column(sa.BigInteger)
    # How the indicator's realisation becomes an achievement (core/achievement.FormulaType).
    formula: Mapped[str] = mapped_column(sa.String(20), default="positif", server_default="positif")
    # Catatan penting, the Renja form's notes column, on any item.
    note: Mapped[str] = mapped_column(sa.String(1000), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    proposal: Mapped[Proposal] = relationship(back_populates="items")
    parent: Mapped[ProposalItem | None] = relationship(back_populates="children", remote_side=[id])
    children: Mapped[list[ProposalItem]] = relationship(
        back_populates="parent", order_by="ProposalItem.position, ProposalItem.id"
    )
    catalog_entry: Mapped[CatalogEntry | None] = relationship()
    directions: Mapped[list[NationalDirection]] = relationship(
        secondary=item_directions, order_by="NationalDirection.number"
    )

    @property
    def subtotal_budget(self) -> int:
        """Budget of a sub kegiatan, or the sum of the sub kegiatan below a program / kegiatan."""
        if self.level is ItemLevel.SUBKEGIATAN:
            return self.budget or 0
        return sum(child.subtotal_budget for child in self.children)

    @property
    def subtotal_forward_budget(self) -> int:
        if self.level is ItemLevel.SUBKEGIATAN:
            return self.forward_budget or 0
        return sum(child.subtotal_forward_budget for child in self.children)

    def __repr__(self) -> str:
        return f"<ProposalItem {self.id} {self.level} {self.code}>"


class ReviewVerdict(Model):
    """A reviewer's verdict on a proposal after the meeting; the latest one counts."""

    __tablename__ = "review_verdict"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("proposal.id", ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    verdict: Mapped[VerdictKind] = mapped_column(enum_column(VerdictKind))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    # The proposal revision the verdict was given at: later revisions are "changed since review".
    at_revision: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    reviewer: Mapped[User] = relationship()
