"""Monitoring (Monev) settings of an event: each quarter's reporting deadline and the bands of
achievement (DESIGN.md §9, issue 18). One row per event, created when the organiser first saves;
until then the defaults hold (a deadline 10 days after the quarter ends; 91 / 76 / 66 / 51)."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from workspace.extensions import Model
from workspace.models.base import utcnow


class MonitoringSettings(Model):
    __tablename__ = "monitoring_settings"

    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"), primary_key=True)
    # None: the default, 10 days after the quarter's last day.
    deadline_1: Mapped[date | None]
    deadline_2: Mapped[date | None]
    deadline_3: Mapped[date | None]
    deadline_4: Mapped[date | None]
    # The lower bound (percent) of each band above Sangat Kurang.
    band_sangat_baik: Mapped[int] = mapped_column(default=91)
    band_baik: Mapped[int] = mapped_column(default=76)
    band_cukup: Mapped[int] = mapped_column(default=66)
    band_kurang: Mapped[int] = mapped_column(default=51)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
