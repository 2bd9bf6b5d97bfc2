from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workspace.extensions import Model, db
from workspace.models.base import enum_column, utcnow

if TYPE_CHECKING:
    from workspace.models.event import Event
    from workspace.models.proposal import Proposal
    from workspace.models.user import User


class SessionKind(enum.StrEnum):
    PLENARY = "plenary"
    BREAKOUT = "breakout"


class SessionStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    LIVE = "live"
    CLOSED = "closed"


class AgreementDecision(enum.StrEnum):
    AGREED = "agreed"  # sepakat
    AGREED_WITH_NOTES = "agreed_with_notes"  # sepakat dengan catatan
    NOT_AGREED = "not_agreed"  # belum sepakat

    @property
    def requires_note(self) -> bool:
        return self is not AgreementDecision.AGREED


session_members = sa.Table(
    "session_member",
    db.metadata,
    sa.Column("session_id", sa.ForeignKey("work_session.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("user_id", sa.ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True),
)

session_proposals = sa.Table(
    "session_proposal",
    db.metadata,
    sa.Column("session_id", sa.ForeignKey("work_session.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("proposal_id", sa.ForeignKey("proposal.id", ondelete="CASCADE"), primary_key=True),
)


class Session(Model):
    """A working session: a plenary, or a breakout with its parent plenary.

    Its live state (lock, spotlight, timer, announcement) is stored here, not only in memory,
    so it survives a server restart and a reconnecting client can be told the truth.
    """

    __tablename__ = "work_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"), index=True)
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("work_session.id", ondelete="CASCADE"))
    kind: Mapped[SessionKind] = mapped_column(enum_column(SessionKind), default=SessionKind.PLENARY)
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[SessionStatus] = mapped_column(enum_column(SessionStatus), default=SessionStatus.SCHEDULED)
    position: Mapped[int] = mapped_column(default=0)
    scheduled_start: Mapped[datetime | None]
    scheduled_end: Mapped[datetime | None]
    opened_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    locked: Mapped[bool] = mapped_column(default=False)
    spotlight_proposal_id: Mapped[int | None] = mapped_column(sa.ForeignKey("proposal.id", ondelete="SET NULL"))
    spotlight_item_id: Mapped[int | None] = mapped_column(sa.ForeignKey("proposal_item.id", ondelete="SET NULL"))
    timer_label: Mapped[str] = mapped_column(sa.String(200), default="")
    timer_ends_at: Mapped[datetime | None]
    announcement: Mapped[str] = mapped_column(sa.String(500), default="")
    announcement_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    event: Mapped[Event] = relationship(back_populates="sessions")
    parent: Mapped[Session | None] = relationship(remote_side=[id], back_populates="breakouts")
    breakouts: Mapped[list[Session]] = relationship(back_populates="parent", order_by="Session.position")
    agenda_items: Mapped[list[AgendaItem]] = relationship(
        back_populates="session", order_by="AgendaItem.position", cascade="all, delete-orphan"
    )
    members: Mapped[list[User]] = relationship(secondary=session_members)
    proposals: Mapped[list[Proposal]] = relationship(secondary=session_proposals)
    attendances: Mapped[list[Attendance]] = relationship(
        back_populates="session", cascade="all, delete-orphan", order_by="Attendance.joined_at"
    )

    @property
    def is_live(self) -> bool:
        return self.status is SessionStatus.LIVE

    def holds(self, proposal: Proposal) -> bool:
        """A breakout holds the proposals assigned to it; a plenary without a list holds them all."""
        if self.proposals:
            return proposal in self.proposals
        return self.kind is SessionKind.PLENARY


class AgendaItem(Model):
    __tablename__ = "agenda_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("work_session.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(sa.String(200))
    starts_at: Mapped[datetime | None]
    duration_minutes: Mapped[int] = mapped_column(default=0)

    session: Mapped[Session] = relationship(back_populates="agenda_items")


class Attendance(Model):
    """Who was in a session, since when, and until when if they were moved elsewhere (for the
    berita acara and the daftar hadir)."""

    __tablename__ = "attendance"
    __table_args__ = (sa.UniqueConstraint("session_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("work_session.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)
    checked_in: Mapped[bool] = mapped_column(default=False)
    # Moved to another breakout by the facilitator: no longer present here (the record stays).
    left_at: Mapped[datetime | None]

    session: Mapped[Session] = relationship(back_populates="attendances")
    user: Mapped[User] = relationship()


class Agreement(Model):
    """A kesepakatan on a proposal in a session. Re-recording adds a row; the latest is current.

    `snapshot` freezes the proposal as agreed (queries/agreements.proposal_snapshot: every item
    with its codes, indicators, targets, budgets and tags), `at_revision` its revision: the berita
    acara prints the snapshot, and later edits show as changes since the agreement. Rows recorded
    before snapshots existed have neither."""

    __tablename__ = "agreement"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("work_session.id", ondelete="CASCADE"), index=True)
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("proposal.id", ondelete="CASCADE"), index=True)
    decision: Mapped[AgreementDecision] = mapped_column(enum_column(AgreementDecision))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    superseded_at: Mapped[datetime | None]
    at_revision: Mapped[int | None]
    snapshot: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)

    recorded_by: Mapped[User] = relationship()
    session: Mapped[Session] = relationship()
