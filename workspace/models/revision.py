from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workspace.extensions import Model
from workspace.models.base import utcnow

if TYPE_CHECKING:
    from workspace.models.comment import Comment
    from workspace.models.user import User


class Revision(Model):
    """One change to a proposal (a Riwayat row): who, when, what, old → new. Append-only.

    `item_id` is not a foreign key: the history of a deleted item must survive it.
    """

    __tablename__ = "revision"
    __table_args__ = (sa.UniqueConstraint("proposal_id", "proposal_revision"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("proposal.id", ondelete="CASCADE"), index=True)
    proposal_revision: Mapped[int]
    item_id: Mapped[int | None] = mapped_column(index=True)
    item_label: Mapped[str] = mapped_column(sa.String(600), default="")
    # update, create, delete, move, restore, import, lock, unlock, agreement
    action: Mapped[str] = mapped_column(sa.String(20))
    field: Mapped[str | None] = mapped_column(sa.String(40))
    old_value: Mapped[str | None] = mapped_column(sa.Text)
    new_value: Mapped[str | None] = mapped_column(sa.Text)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    suggestion_id: Mapped[int | None] = mapped_column(sa.ForeignKey("comment.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    user: Mapped[User | None] = relationship()
    suggestion: Mapped[Comment | None] = relationship()


def refuse_changes(_mapper: object, _connection: object, target: Revision) -> None:
    """The history is append-only: no code path may change or delete a recorded change."""
    raise PermissionError(f"revision {target.id} is part of the history and cannot be changed or deleted")


sa.event.listen(Revision, "before_update", refuse_changes)
sa.event.listen(Revision, "before_delete", refuse_changes)
