"""Official documents: the event's letterhead (kop) and numbering, and the final berita acara.

A berita acara is a draft, computed live from the agreements, until someone finalises it: then it
gets the next number of the organiser's pattern and its PDF (and print view) are stored, served
unchanged ever after. A correction is a new final document, with its own number, that names the
one it replaces.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workspace.extensions import Model
from workspace.models.base import utcnow

if TYPE_CHECKING:
    from workspace.models.session import Session
    from workspace.models.user import User

DEFAULT_NUMBER_PATTERN = "{nomor}/BA-RAKOR/KESBANGPOL/{tahun}"


class DocumentSettings(Model):
    """What every official document of the event prints: the kop, the numbering, the signatories
    who are not people of the app (the head of the agency who "knows", the organiser's signatory)."""

    __tablename__ = "document_settings"

    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"), primary_key=True)
    # The kop: one institution line per text line (PEMERINTAH PROVINSI …, BADAN …), then address
    # and contact in smaller type, the logo on the left.
    institution: Mapped[str] = mapped_column(sa.Text, default="")
    address: Mapped[str] = mapped_column(sa.String(300), default="")
    contact: Mapped[str] = mapped_column(sa.String(300), default="")
    logo_png: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    number_pattern: Mapped[str] = mapped_column(sa.String(120), default=DEFAULT_NUMBER_PATTERN)
    next_number: Mapped[int] = mapped_column(default=1)
    signing_place: Mapped[str] = mapped_column(sa.String(120), default="")
    organiser_title: Mapped[str] = mapped_column(sa.String(200), default="")
    organiser_name: Mapped[str] = mapped_column(sa.String(120), default="")
    organiser_nip: Mapped[str] = mapped_column(sa.String(32), default="")
    head_title: Mapped[str] = mapped_column(sa.String(300), default="")
    head_name: Mapped[str] = mapped_column(sa.String(120), default="")
    head_rank: Mapped[str] = mapped_column(sa.String(120), default="")
    head_nip: Mapped[str] = mapped_column(sa.String(32), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class MinutesDocument(Model):
    """A final berita acara: numbered, dated, its bytes stored. Never edited: corrected by a new one."""

    __tablename__ = "minutes_document"
    __table_args__ = (
        sa.UniqueConstraint("event_id", "number", name="uq_minutes_document_number"),
        sa.UniqueConstraint("event_id", "sequence", name="uq_minutes_document_sequence"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"), index=True)
    # The session it covers (a plenary's includes its breakouts); none: the whole event.
    session_id: Mapped[int | None] = mapped_column(sa.ForeignKey("work_session.id", ondelete="SET NULL"))
    scope_title: Mapped[str] = mapped_column(sa.String(200))
    sequence: Mapped[int]
    number: Mapped[str] = mapped_column(sa.String(160))
    document_date: Mapped[date]
    finalised_at: Mapped[datetime] = mapped_column(default=utcnow)
    finalised_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    replaces_id: Mapped[int | None] = mapped_column(sa.ForeignKey("minutes_document.id"))
    correction_reason: Mapped[str] = mapped_column(sa.Text, default="")
    replaced_at: Mapped[datetime | None]
    pdf: Mapped[bytes] = mapped_column(sa.LargeBinary)
    pdf_sha256: Mapped[str] = mapped_column(sa.String(64))
    html: Mapped[str] = mapped_column(sa.Text)
    filename: Mapped[str] = mapped_column(sa.String(200))

    session: Mapped[Session | None] = relationship()
    finalised_by: Mapped[User | None] = relationship()
    replaces: Mapped[MinutesDocument | None] = relationship(remote_side=[id])

    @property
    def in_force(self) -> bool:
        return self.replaced_at is None
