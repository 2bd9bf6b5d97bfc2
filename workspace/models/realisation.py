"""Realisation (realisasi) of an agreed plan, per item and quarter (issue 18, item 3): the physical
realisation of its indicator (K, kinerja) and of its budget (Rp), what got in the way and what is
done about it; each change kept in its history."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workspace.extensions import Model
from workspace.models.base import utcnow

if TYPE_CHECKING:
    from workspace.models.proposal import ProposalItem
    from workspace.models.user import User


class Realisation(Model):
    __tablename__ = "realisation"
    __table_args__ = (sa.UniqueConstraint("item_id", "quarter", name="uq_realisation_item_quarter"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("proposal_item.id", ondelete="CASCADE"), index=True)
    quarter: Mapped[int]  # 1 to 4
    # The indicator's value realised this quarter, as canonical decimal text ("12,5"); "" none.
    physical: Mapped[str] = mapped_column(sa.String(40), default="")
    budget: Mapped[int | None] = mapped_column(sa.BigInteger)  # rupiah realised this quarter
    problem: Mapped[str] = mapped_column(sa.String(2000), default="")  # permasalahan
    solution: Mapped[str] = mapped_column(sa.String(2000), default="")  # solusi / tindak lanjut
    # When something was first reported for the quarter: what the deadline is measured against.
    reported_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))

    item: Mapped[ProposalItem] = relationship()
    updated_by: Mapped[User | None] = relationship()


class RealisationChange(Model):
    """One change of one field of a realisation: who, when, before and after (append-only)."""

    __tablename__ = "realisation_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    realisation_id: Mapped[int] = mapped_column(sa.ForeignKey("realisation.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    field: Mapped[str] = mapped_column(sa.String(20))
    old_value: Mapped[str] = mapped_column(sa.Text, default="")
    new_value: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User | None] = relationship()
