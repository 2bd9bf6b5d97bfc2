"""Read side of the nomenclature: the shape of its codes, its entries per level and scope, and the
national directions. The catalogue's writes (CSV imports) live in `workspace.services.catalog`."""

from __future__ import annotations

import re

import sqlalchemy as sa

from workspace.extensions import db
from workspace.models import CatalogEntry, CatalogLevel, NationalDirection

# U . BB . PP . L.KK . SSSS: each level adds one segment (DESIGN.md, domain/README.md).
CODE_PATTERN_BY_LEVEL = {
    CatalogLevel.URUSAN: re.compile(r"^\d{1,2}$"),
    CatalogLevel.BIDANG: re.compile(r"^\d{1,2}\.\d{2}$"),
    CatalogLevel.PROGRAM: re.compile(r"^\d{1,2}\.\d{2}\.\d{2}$"),
    CatalogLevel.KEGIATAN: re.compile(r"^\d{1,2}\.\d{2}\.\d{2}\.[12]\.\d{2}$"),
    CatalogLevel.SUBKEGIATAN: re.compile(r"^\d{1,2}\.\d{2}\.\d{2}\.[12]\.\d{2}\.\d{4}$"),
}
ANY_CODE = re.compile(r"^\d{1,2}(\.\d{2}(\.\d{2}(\.[12]\.\d{2}(\.\d{4})?)?)?)?$")


def parent_code(code: str) -> str | None:
    """`8.01.02.1.01.0001` → `8.01.02.1.01`; `8.01.02.1.01` → `8.01.02`; `8` → None."""
    segments = code.split(".")
    if len(segments) == 1:
        return None
    if len(segments) == 5:  # kegiatan: drop the level digit together with the kegiatan number
        return ".".join(segments[:3])
    return ".".join(segments[:-1])


def level_digit_scope(code: str) -> str | None:
    """The scope a kegiatan / sub kegiatan code belongs to by its level digit (1 → provinsi)."""
    segments = code.split(".")
    if len(segments) < 5:
        return None
    return "provinsi" if segments[3] == "1" else "kabkota"


def entries_for(scope: str, level: CatalogLevel, under_code: str | None = None) -> list[CatalogEntry]:
    """Catalogue entries of a level valid for a scope (provinsi / kabkota), optionally under a parent."""
    query = (
        sa.select(CatalogEntry)
        .where(CatalogEntry.level == level, CatalogEntry.applies_to.in_((scope, "both")))
        .order_by(CatalogEntry.code)
    )
    entries = list(db.session.scalars(query))
    if under_code is not None:
        entries = [e for e in entries if parent_code(e.code) == under_code]
    return entries


def entries_by_code(scope: str) -> dict[tuple[str, str], CatalogEntry]:
    """Every entry valid for a scope, by (code, level value): what an import checks its rows against."""
    return {
        (entry.code, entry.level.value): entry
        for entry in db.session.scalars(sa.select(CatalogEntry))
        if entry.applies_to_scope(scope)
    }


def known_codes() -> set[str]:
    return set(db.session.scalars(sa.select(CatalogEntry.code)))


def national_directions() -> list[NationalDirection]:
    """The presidential directions, in their order."""
    return list(db.session.scalars(sa.select(NationalDirection).order_by(NationalDirection.number)))
