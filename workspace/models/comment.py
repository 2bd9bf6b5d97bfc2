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


class CommentKind(enum.StrEnum):
    COMMENT = "comment"
    SUGGESTION = "suggestion"


class SuggestionStatus(enum.StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class Comment(Model):
    """A comment or suggestion anchored to a proposal, an item, or one field of an item.

    A thread is a root comment (parent_id NULL) and its replies. Deleting leaves a marker;
    hiding by an organiser keeps the text in the database.
    """

    __tablename__ = "comment"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("proposal.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int | None] = mapped_column(sa.ForeignKey("proposal_item.id", ondelete="SET NULL"))
    field: Mapped[str | None] = mapped_column(sa.String(40))
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("comment.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    kind: Mapped[CommentKind] = mapped_column(enum_column(CommentKind), default=CommentKind.COMMENT)
    body: Mapped[str] = mapped_column(sa.Text)
    suggested_value: Mapped[str | None] = mapped_column(sa.Text)
    # The field's value when the suggestion was made: accepting it is a compare-and-set from here.
    suggested_from: Mapped[str | None] = mapped_column(sa.Text)
    suggestion_status: Mapped[SuggestionStatus | None] = mapped_column(enum_column(SuggestionStatus))
    rejection_reason: Mapped[str] = mapped_column(sa.Text, default="")
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    edited_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]
    hidden_at: Mapped[datetime | None]
    hidden_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped[User] = relationship(foreign_keys=[author_id])
    replies: Mapped[list[Comment]] = relationship(order_by="Comment.created_at, Comment.id")
    item: Mapped[ProposalItem | None] = relationship()

    @property
    def is_thread(self) -> bool:
        return self.parent_id is None

    @property
    def is_open_suggestion(self) -> bool:
        return self.kind is CommentKind.SUGGESTION and self.suggestion_status is SuggestionStatus.OPEN


class Notification(Model):
    """Something a person should see: a mention, a reply to their comment, a verdict."""

    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(32))
    # In the default language; `text` (its msgid and parameters, JSON) is shown in the reader's.
    message: Mapped[str] = mapped_column(sa.String(500))
    text: Mapped[str | None] = mapped_column(sa.Text)
    proposal_id: Mapped[int | None] = mapped_column(sa.ForeignKey("proposal.id", ondelete="CASCADE"))
    comment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("comment.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]
