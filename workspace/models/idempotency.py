from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from workspace.extensions import Model
from workspace.models.base import utcnow


class IdempotencyKey(Model):
    """A browser's write request, by the key it carried (`Idempotency-Key`), and what it produced.

    Inserted in the unit of work of the write it guards, so a committed write always has its key
    and a rolled-back one never; the response (status, body, the headers htmx reads) is stored
    right after, and a retry with the same key gets it back instead of a second change.
    """

    __tablename__ = "idempotency_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(100), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"))
    method: Mapped[str] = mapped_column(sa.String(10))
    path: Mapped[str] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Purged after this (opportunistically, see core/idempotency.py).
    expires_at: Mapped[datetime] = mapped_column(index=True)
    # The response, once stored (`completed`); a committed key without one means the process
    # stopped between the commit and storing it.
    status: Mapped[int | None]
    body: Mapped[str | None] = mapped_column(sa.Text)
    headers: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    completed: Mapped[bool] = mapped_column(default=False)
