"""Shared column helpers for the models."""

from __future__ import annotations

import enum
from datetime import UTC, datetime

import sqlalchemy as sa


def utcnow() -> datetime:
    """Naive UTC timestamp: stored the same on SQLite and PostgreSQL, shown in Asia/Jakarta."""
    return datetime.now(UTC).replace(tzinfo=None)


def enum_column(enum_class: type[enum.Enum]) -> sa.Enum:
    """A portable enum column: a VARCHAR holding the member's value (no native PG type)."""
    return sa.Enum(
        enum_class,
        native_enum=False,
        length=32,
        validate_strings=True,
        values_callable=lambda members: [member.value for member in members],
    )
