"""The nomenclature catalogue: validated, all-or-nothing CSV import, and look-ups."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _

from workspace.extensions import db
from workspace.models import CatalogEntry, CatalogLevel, NationalDirection

CATALOG_COLUMNS = ("kode", "tingkat", "nama", "berlaku_untuk", "indikator_contoh", "satuan", "status_sumber")
SCOPES = ("provinsi", "kabkota", "both")

# U . BB . PP . L.KK . SSSS: each level adds one segment (DESIGN.md, domain/README.md).
CODE_PATTERN_BY_LEVEL = {
    CatalogLevel.URUSAN: re.compile(r"^\d{1,2}$"),
    CatalogLevel.BIDANG: re.compile(r"^\d{1,2}\.\d{2}$"),
    CatalogLevel.PROGRAM: re.compile(r"^\d{1,2}\.\d{2}\.\d{2}$"),
    CatalogLevel.KEGIATAN: re.compile(r"^\d{1,2}\.\d{2}\.\d{2}\.[12]\.\d{2}$"),
    CatalogLevel.SUBKEGIATAN: re.compile(r"^\d{1,2}\.\d{2}\.\d{2}\.[12]\.\d{2}\.\d{4}$"),
}
ANY_CODE = re.compile(r"^\d{1,2}(\.\d{2}(\.\d{2}(\.[12]\.\d{2}(\.\d{4})?)?)?)?$")
MAX_LENGTHS = {"nama": 500, "indikator_contoh": 300, "satuan": 60, "status_sumber": 32}


@dataclass(frozen=True)
class RowError:
    line: int
    reason: str

    def __str__(self) -> str:
        return _("Line %(line)d: %(reason)s", line=self.line, reason=self.reason)


@dataclass
class CatalogImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


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


def _decode(data: bytes) -> str:
    return data.decode("utf-8-sig")


def parse_catalog_csv(data: bytes) -> tuple[list[dict[str, str]], list[RowError]]:
    """Parse and validate every row; returns the rows (with their line numbers) and all errors."""
    try:
        text = _decode(data)
    except UnicodeDecodeError:
        return [], [RowError(1, _("the file is not UTF-8 text (save it as CSV UTF-8)."))]
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [column.strip().lower() for column in next(reader)]
    except StopIteration:
        return [], [RowError(1, _("the file is empty."))]
    except csv.Error as exc:
        return [], [RowError(1, _("not a valid CSV file (%(detail)s).", detail=str(exc)))]
    if tuple(header) != CATALOG_COLUMNS:
        return [], [
            RowError(
                1,
                _(
                    "wrong columns: expected %(expected)s, found %(found)s.",
                    expected=", ".join(CATALOG_COLUMNS),
                    found=", ".join(header) or "-",
                ),
            )
        ]

    rows: list[dict[str, str]] = []
    errors: list[RowError] = []
    first_line_of: dict[tuple[str, str], int] = {}
    try:
        for raw in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in raw):
                continue
            if len(raw) != len(CATALOG_COLUMNS):
                errors.append(
                    RowError(
                        line,
                        _(
                            "expected %(expected)d columns, found %(found)d.",
                            expected=len(CATALOG_COLUMNS),
                            found=len(raw),
                        ),
                    )
                )
                continue
            row = {column: cell.strip() for column, cell in zip(CATALOG_COLUMNS, raw, strict=True)}
            row_errors = _validate_row(row)
            key = (row["kode"], row["berlaku_untuk"])
            if not row_errors and key in first_line_of:
                row_errors.append(
                    _(
                        "duplicate code %(code)s (%(scope)s), already on line %(other)d.",
                        code=row["kode"],
                        scope=row["berlaku_untuk"],
                        other=first_line_of[key],
                    )
                )
            errors.extend(RowError(line, reason) for reason in row_errors)
            if not row_errors:
                first_line_of[key] = line
                row["_line"] = str(line)
                rows.append(row)
    except csv.Error as exc:
        errors.append(RowError(reader.line_num, _("not a valid CSV file (%(detail)s).", detail=str(exc))))
    errors.extend(_check_parents(rows))
    return rows, errors


def _validate_row(row: dict[str, str]) -> list[str]:
    problems: list[str] = []
    code, level_text, scope = row["kode"], row["tingkat"], row["berlaku_untuk"]
    if level_text not in CatalogLevel._value2member_map_:
        problems.append(
            _(
                "unknown level %(level)r (expected one of %(levels)s).",
                level=level_text,
                levels=", ".join(level.value for level in CatalogLevel),
            )
        )
    if not ANY_CODE.match(code):
        problems.append(_("bad code format %(code)r (expected e.g. 8.01.02.2.01.0001).", code=code))
    elif level_text in CatalogLevel._value2member_map_ and not CODE_PATTERN_BY_LEVEL[CatalogLevel(level_text)].match(
        code
    ):
        problems.append(_("code %(code)s does not have the form of a %(level)s code.", code=code, level=level_text))
    if scope not in SCOPES:
        problems.append(_("unknown berlaku_untuk %(scope)r (expected provinsi, kabkota or both).", scope=scope))
    elif ANY_CODE.match(code) and level_digit_scope(code) not in (None, scope):
        problems.append(
            _(
                "code %(code)s has level digit %(digit)s, which does not match berlaku_untuk %(scope)s.",
                code=code,
                digit=code.split(".")[3],
                scope=scope,
            )
        )
    if not row["nama"]:
        problems.append(_("the name (nama) is empty."))
    for column, limit in MAX_LENGTHS.items():
        if len(row[column]) > limit:
            problems.append(_("%(column)s is longer than %(limit)d characters.", column=column, limit=limit))
    return problems


def _check_parents(rows: list[dict[str, str]]) -> list[RowError]:
    """Each entry's parent code must exist, in this file or already in the catalogue."""
    known = {row["kode"] for row in rows}
    known.update(db.session.scalars(sa.select(CatalogEntry.code)))
    problems = []
    for row in rows:
        parent = parent_code(row["kode"])
        if parent is not None and parent not in known:
            problems.append(
                RowError(
                    int(row["_line"]),
                    _("parent code %(parent)s of %(code)s is missing.", parent=parent, code=row["kode"]),
                )
            )
    return problems


def import_catalog(data: bytes) -> CatalogImportResult:
    """Insert or update catalogue entries from CSV bytes. Any error: nothing is written."""
    rows, errors = parse_catalog_csv(data)
    result = CatalogImportResult(errors=sorted(errors, key=lambda e: e.line))
    if errors:
        return result
    existing = {(e.code, e.applies_to): e for e in db.session.scalars(sa.select(CatalogEntry))}
    for row in rows:
        values = {
            "level": CatalogLevel(row["tingkat"]),
            "name": row["nama"],
            "default_indicator": row["indikator_contoh"],
            "default_unit": row["satuan"],
            "source_status": row["status_sumber"],
        }
        entry = existing.get((row["kode"], row["berlaku_untuk"]))
        if entry is None:
            db.session.add(CatalogEntry(code=row["kode"], applies_to=row["berlaku_untuk"], **values))
            result.created += 1
        elif any(getattr(entry, key) != value for key, value in values.items()):
            for key, value in values.items():
                setattr(entry, key, value)
            result.updated += 1
        else:
            result.unchanged += 1
    db.session.commit()
    return result


DIRECTION_COLUMNS = ("nomor", "judul", "uraian")


def import_national_directions(data: bytes) -> int:
    """Load the eight presidential directions (idempotent: keyed by number)."""
    reader = csv.DictReader(io.StringIO(_decode(data), newline=""))
    if tuple(reader.fieldnames or ()) != DIRECTION_COLUMNS:
        raise ValueError(f"expected columns {DIRECTION_COLUMNS}, found {reader.fieldnames}")
    existing = {d.number: d for d in db.session.scalars(sa.select(NationalDirection))}
    count = 0
    for row in reader:
        number = int(row["nomor"])
        direction = existing.get(number) or NationalDirection(number=number)
        direction.title = row["judul"].strip()
        direction.description = row["uraian"].strip()
        db.session.add(direction)
        count += 1
    db.session.commit()
    return count


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
