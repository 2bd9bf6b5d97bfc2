from __future__ import annotations

import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from workspace.extensions import Model
from workspace.models.base import enum_column


class AgencyLevel(enum.StrEnum):
    PROVINSI = "provinsi"
    KABUPATEN = "kabupaten"
    KOTA = "kota"

    @property
    def code_level_digit(self) -> str:
        """The level digit of nomenclature codes: 1 for the province, 2 for a kabupaten/kota."""
        return "1" if self is AgencyLevel.PROVINSI else "2"

    @property
    def catalog_scope(self) -> str:
        """The `berlaku_untuk` value of the nomenclature that applies to this level."""
        return "provinsi" if self is AgencyLevel.PROVINSI else "kabkota"


class AgencyKind(enum.StrEnum):
    KESBANGPOL = "kesbangpol"
    BAPPEDA = "bappeda"
    OTHER = "other"


class Agency(Model):
    """A Perangkat Daerah. Agencies outlive a single rakor; `event_agencies` says who takes part."""

    __tablename__ = "agency"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    short_name: Mapped[str] = mapped_column(sa.String(80))
    level: Mapped[AgencyLevel] = mapped_column(enum_column(AgencyLevel))
    kind: Mapped[AgencyKind] = mapped_column(enum_column(AgencyKind))
    region_code: Mapped[str] = mapped_column(sa.String(10), index=True)
    region_name: Mapped[str] = mapped_column(sa.String(120))
    active: Mapped[bool] = mapped_column(default=True)

    def __repr__(self) -> str:
        return f"<Agency {self.short_name}>"
