from __future__ import annotations

import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from workspace.extensions import Model
from workspace.models.base import enum_column


class CatalogLevel(enum.StrEnum):
    URUSAN = "urusan"
    BIDANG = "bidang"
    PROGRAM = "program"
    KEGIATAN = "kegiatan"
    SUBKEGIATAN = "subkegiatan"


class CatalogEntry(Model):
    """One row of the national nomenclature (`domain/nomenklatur-8.01.csv`)."""

    __tablename__ = "catalog_entry"
    __table_args__ = (sa.UniqueConstraint("code", "applies_to"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), index=True)
    level: Mapped[CatalogLevel] = mapped_column(enum_column(CatalogLevel))
    name: Mapped[str] = mapped_column(sa.String(500))
    # provinsi, kabkota or both (the CSV's `berlaku_untuk`).
    applies_to: Mapped[str] = mapped_column(sa.String(16))
    default_indicator: Mapped[str] = mapped_column(sa.String(300), default="")
    default_unit: Mapped[str] = mapped_column(sa.String(60), default="")
    source_status: Mapped[str] = mapped_column(sa.String(32), default="")

    def applies_to_scope(self, scope: str) -> bool:
        return self.applies_to in (scope, "both")

    def __repr__(self) -> str:
        return f"<CatalogEntry {self.code} {self.applies_to}>"


class NationalDirection(Model):
    """One of the eight presidential directions of 2023 (Amanat Presiden)."""

    __tablename__ = "national_direction"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(unique=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.String(500), default="")

    def __repr__(self) -> str:
        return f"<NationalDirection {self.number}>"
