"""Follow-up actions (tindak lanjut) of an agreement: what is to be done, by whom, by when; tracked
through the year in monitoring with their status, and listed at the next rakor with how they ended
(issue 18, item 8)."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workspace.extensions import Model
from workspace.models.base import enum_column, utcnow

if TYPE_CHECKING:
    from workspace.models.proposal import Proposal
    from workspace.models.session import Agreement
    from workspace.models.user import User


class FollowUpStatus(enum.StrEnum):
    OPEN = "open"
    DONE = "done"
    DROPPED = "dropped"


class FollowUp(Model):
    __tablename__ = "follow_up"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"), index=True)
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("proposal.id", ondelete="CASCADE"), index=True)
    agreement_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agreement.id", ondelete="SET NULL"))
    what: Mapped[str] = mapped_column(sa.String(500))
    who: Mapped[str] = mapped_column(sa.String(200))
    due_on: Mapped[date]
    status: Mapped[FollowUpStatus] = mapped_column(enum_column(FollowUpStatus), default=FollowUpStatus.OPEN)
    outcome: Mapped[str] = mapped_column(sa.String(1000), default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    proposal: Mapped[Proposal] = relationship()
    agreement: Mapped[Agreement | None] = relationship()
    created_by: Mapped[User | None] = relationship()

    def is_overdue(self, today: date) -> bool:
        return self.status is FollowUpStatus.OPEN and self.due_on < today
