"""Realisation (realisasi) of an agreed plan, per item and quarter (issue 18, item 3): the physical
realisation of its indicator (K, kinerja) and of its budget (Rp), what got in the way and what is
done about it (each change is a line of the proposal's history, `Revision`); the files that back
it; a reviewer's verification of a quarter; the reminders sent before a deadline."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workspace.extensions import Model
from workspace.models.base import enum_column, utcnow

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


class ReviewStatus(enum.StrEnum):
    """A reviewer's word on one agency's quarter; with no word it is *belum diisi* or *diisi*."""

    VERIFIED = "verified"  # diverifikasi: the values stand, and are closed to edits
    RETURNED = "returned"  # dikembalikan: to be corrected (the note says what); an edit reopens it


class QuarterReview(Model):
    """The verification of a proposal's realisation for one quarter by the province's Bappeda or a
    reviewer: verified, or returned with a note. Absent: nobody has looked yet."""

    __tablename__ = "quarter_review"
    __table_args__ = (sa.UniqueConstraint("proposal_id", "quarter", name="uq_quarter_review_proposal_quarter"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("proposal.id", ondelete="CASCADE"), index=True)
    quarter: Mapped[int]
    status: Mapped[ReviewStatus] = mapped_column(enum_column(ReviewStatus))
    note: Mapped[str] = mapped_column(sa.String(2000), default="")
    reviewer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)

    reviewer: Mapped[User | None] = relationship()


class DeadlineReminder(Model):
    """A reminder sent for a proposal's quarter three days before its deadline (sent once)."""

    __tablename__ = "deadline_reminder"
    __table_args__ = (sa.UniqueConstraint("proposal_id", "quarter", name="uq_deadline_reminder_proposal_quarter"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("proposal.id", ondelete="CASCADE"), index=True)
    quarter: Mapped[int]
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)


class Evidence(Model):
    """A file backing a quarter's realisation (bukti dukung): a PDF, JPG or PNG, its type sniffed
    from its content, kept in the database (so in every backup) with a thumbnail of an image."""

    __tablename__ = "evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("proposal_item.id", ondelete="CASCADE"), index=True)
    quarter: Mapped[int]
    filename: Mapped[str] = mapped_column(sa.String(200))
    content_type: Mapped[str] = mapped_column(sa.String(40))  # application/pdf, image/jpeg, image/png
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    content: Mapped[bytes] = mapped_column(sa.LargeBinary, deferred=True)
    thumbnail: Mapped[bytes | None] = mapped_column(sa.LargeBinary, deferred=True)  # a small PNG
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))

    item: Mapped[ProposalItem] = relationship()
    uploaded_by: Mapped[User | None] = relationship()
