from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workspace.extensions import Model, db
from workspace.models.base import enum_column, utcnow

if TYPE_CHECKING:
    from workspace.models.agency import Agency
    from workspace.models.proposal import Proposal
    from workspace.models.session import Session
    from workspace.models.user import Membership


class EventPhase(enum.StrEnum):
    PREPARATION = "preparation"
    MEETING = "meeting"
    REVIEW = "review"
    # After the review: the agreed plan is kept as it is, and the agencies report its quarterly
    # realisation (Monev, issue 18).
    MONITORING = "monitoring"
    CLOSED = "closed"


class CoEditing(enum.StrEnum):
    """Who works on a proposal, the organiser's choice per event."""

    # The proposal's agency and the Bappeda of the same region (province or kabupaten/kota): at the
    # rakor a region's Kesbangpol and Bappeda plan together. The default.
    REGION = "region"
    AGENCY = "agency"  # the proposal's agency alone


event_agencies = sa.Table(
    "event_agency",
    db.metadata,
    sa.Column("event_id", sa.ForeignKey("event.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("agency_id", sa.ForeignKey("agency.id", ondelete="CASCADE"), primary_key=True),
)


class Event(Model):
    """A rakor: the meeting, its agencies, people, sessions and proposals."""

    __tablename__ = "event"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    title: Mapped[str] = mapped_column(sa.String(300))
    theme: Mapped[str] = mapped_column(sa.String(300), default="")
    venue: Mapped[str] = mapped_column(sa.String(300), default="")
    city: Mapped[str] = mapped_column(sa.String(120), default="")
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    plan_year: Mapped[int]
    phase: Mapped[EventPhase] = mapped_column(enum_column(EventPhase), default=EventPhase.PREPARATION)
    # After signing in with a join code: must the person set a password (False), or may they go on
    # with the code's sign-in on that laptop until the event ends (True)? The organiser chooses.
    code_sign_in_lasts: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # The address people's laptops reach the server by (http://192.168.1.10:5000): what the QR codes
    # of the join codes open. Empty: SINERGI_PUBLIC_URL, else the address the organiser is using.
    public_url: Mapped[str] = mapped_column(sa.String(300), default="", server_default="")
    coediting: Mapped[CoEditing] = mapped_column(
        enum_column(CoEditing), default=CoEditing.REGION, server_default=CoEditing.REGION.value
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    agencies: Mapped[list[Agency]] = relationship(secondary=event_agencies, order_by="Agency.region_code, Agency.kind")
    # Every session of the event, breakouts included.
    sessions: Mapped[list[Session]] = relationship(
        back_populates="event", order_by="Session.position, Session.id", cascade="all, delete-orphan"
    )
    proposals: Mapped[list[Proposal]] = relationship(back_populates="event", cascade="all, delete-orphan")
    memberships: Mapped[list[Membership]] = relationship(back_populates="event", cascade="all, delete-orphan")

    @property
    def accepts_edits(self) -> bool:
        """Proposals change during preparation, the meeting and the review; in monitoring the agreed
        plan is the baseline the realisation is measured against, and once closed nothing changes."""
        return self.phase not in (EventPhase.MONITORING, EventPhase.CLOSED)

    def __repr__(self) -> str:
        return f"<Event {self.slug}>"
