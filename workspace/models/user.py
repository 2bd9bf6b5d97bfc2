from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from workspace.extensions import Model
from workspace.models.base import enum_column, utcnow

if TYPE_CHECKING:
    from workspace.models.agency import Agency
    from workspace.models.event import Event


class Role(enum.StrEnum):
    ORGANISER = "organiser"
    FACILITATOR = "facilitator"
    PARTICIPANT = "participant"
    REVIEWER = "reviewer"
    OBSERVER = "observer"


class User(UserMixin, Model):
    """A person. Their roles are per event (`Membership`); their agency is their employer."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(80), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    position: Mapped[str] = mapped_column(sa.String(200), default="")
    nip: Mapped[str | None] = mapped_column(sa.String(32))
    email: Mapped[str | None] = mapped_column(sa.String(200))
    phone: Mapped[str | None] = mapped_column(sa.String(40))
    agency_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agency.id"), index=True)
    password_hash: Mapped[str | None] = mapped_column(sa.String(256))
    active: Mapped[bool] = mapped_column(default=True)
    # Creates events and imports the shared nomenclature; granted only from the command line.
    is_platform_admin: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # Still the published demo password (`flask seed-demo`): a server listening beyond this
    # machine refuses to start while any account has it (services/deployment.py).
    has_demo_password: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    agency: Mapped[Agency | None] = relationship()
    memberships: Mapped[list[Membership]] = relationship(back_populates="user", cascade="all, delete-orphan")

    @property
    def is_active(self) -> bool:  # Flask-Login: a deactivated account cannot sign in
        return self.active

    @property
    def display_name(self) -> str:
        """The name without academic degrees: "Budi Santoso, S.Sos., M.Si." → "Budi Santoso"."""
        return self.name.split(",")[0].strip()

    @property
    def first_name(self) -> str:
        return self.display_name.split(" ")[0]

    def set_password(self, password: str) -> None:
        # Werkzeug's default is scrypt, a memory-hard modern algorithm.
        self.password_hash = generate_password_hash(password)
        self.has_demo_password = False

    def check_password(self, password: str) -> bool:
        if not self.password_hash:  # no password set (yet): nothing signs in
            return False
        return check_password_hash(self.password_hash, password)

    # The sign-in this object was loaded through (set by the user loader); part of get_id(), so the
    # session cookie and the remember-me cookie both name one sign-in that logging out ends.
    # A plain attribute, not a column (SQLAlchemy refuses an annotation that is not Mapped[...]).
    if TYPE_CHECKING:
        login_token: str | None
        login_last_seen: datetime | None  # that sign-in's last noted request
    else:
        login_token = None
        login_last_seen = None

    def get_id(self) -> str:
        return f"{self.id}.{self.login_token}" if self.login_token else str(self.id)

    def roles_in(self, event: Event) -> frozenset[Role]:
        return frozenset(m.role for m in self.memberships if m.event_id == event.id)

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class Membership(Model):
    """One role of one person in one event; a person may hold several."""

    __tablename__ = "membership"
    __table_args__ = (sa.UniqueConstraint("event_id", "user_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(enum_column(Role))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    event: Mapped[Event] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship(back_populates="memberships")


class JoinCode(Model):
    """A one-time sign-in code for the hotel morning; only its hash is stored."""

    __tablename__ = "join_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(sa.String(128), unique=True)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))


class LoginSession(Model):
    """One sign-in on one browser. Signing out ends it, which also ends that browser's sockets and
    makes any copy of its cookies worthless (cookie sessions alone cannot be revoked)."""

    __tablename__ = "login_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    # SHA-256 of the random token the session cookie carries.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    # A sign-in with a join code that the person did not turn into a password ends with the event.
    expires_at: Mapped[datetime | None]
    # That event (its end is read again at every request: moving the dates moves the end).
    event_id: Mapped[int | None] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"))
    # The last request of this sign-in, to the minute or so: an idle sign-in ends (SESSION_IDLE_HOURS).
    last_seen_at: Mapped[datetime | None]
    user_agent: Mapped[str] = mapped_column(sa.String(200), default="")
