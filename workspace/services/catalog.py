"""The nomenclature catalogue's writes: a validated, all-or-nothing CSV import, and the national
directions. Reads (and the shape of the codes) live in `workspace.queries.catalog`.

Every write goes through the one write path: one short unit of work under the process write lock,
recording `CatalogChanged` for the events it names, published after the commit. The catalogue is
the national nomenclature, shared by every event: only a platform administrator (or the server's
command line) imports it, audited in every event (`services.onboarding.audit.import_catalog`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _

from workspace.core.changes import CatalogChanged
from workspace.core.uow import UnitOfWork, write_transaction
from workspace.extensions import db
from workspace.models import CatalogEntry, CatalogLevel, NationalDirection
from workspace.queries.catalog import (
    ANY_CODE,
    CODE_PATTERN_BY_LEVEL,
    known_codes,
    level_digit_scope,
    parent_code,
)

CATALOG_COLUMNS = ("kode", "tingkat", "nama", "berlaku_untuk", "indikator_contoh", "satuan", "status_sumber")
SCOPES = ("provinsi", "kabkota", "both")
MAX_LENGTHS = {"nama": 500, "indikator_contoh": 300, "satuan": 60, "status_sumber": 32}
DIRECTION_COLUMNS = ("nomor", "judul", "uraian")


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


def _decode(data: bytes) -> str:
    return data.decode("utf-8-sig")


def _header_error(reader: Iterator[list[str]]) -> RowError | None:
    """Read the header row; the error that makes the whole file unreadable, if any."""
    try:
        header = [column.strip().lower() for column in next(reader)]
    except StopIteration:
        return RowError(1, _("the file is empty."))
    except csv.Error as exc:
        return RowError(1, _("not a valid CSV file (%(detail)s).", detail=str(exc)))
    if tuple(header) == CATALOG_COLUMNS:
        return None
    return RowError(
        1,
        _(
            "wrong columns: expected %(expected)s, found %(found)s.",
            expected=", ".join(CATALOG_COLUMNS),
            found=", ".join(header) or "-",
        ),
    )


def parse_catalog_csv(data: bytes) -> tuple[list[dict[str, str]], list[RowError]]:
    """Parse and validate every row; returns the rows (with their line numbers) and all errors."""
    try:
        text = _decode(data)
    except UnicodeDecodeError:
        return [], [RowError(1, _("the file is not UTF-8 text (save it as CSV UTF-8)."))]
    reader = csv.reader(io.StringIO(text, newline=""))
    header_error = _header_error(reader)
    if header_error is not None:
        return [], [header_error]
    rows: list[dict[str, str]] = []
    errors: list[RowError] = []
    first_line_of: dict[tuple[str, str], int] = {}
    try:
        for raw in reader:
            if any(cell.strip() for cell in raw):
                _read_row(reader.line_num, raw, first_line_of, rows, errors)
    except csv.Error as exc:
        errors.append(RowError(reader.line_num, _("not a valid CSV file (%(detail)s).", detail=str(exc))))
    errors.extend(_check_parents(rows))
    return rows, errors


def _read_row(
    line: int,
    raw: list[str],
    first_line_of: dict[tuple[str, str], int],
    rows: list[dict[str, str]],
    errors: list[RowError],
) -> None:
    """Validate one data row: a valid one joins `rows`, each problem joins `errors`."""
    if len(raw) != len(CATALOG_COLUMNS):
        errors.append(
            RowError(
                line,
                _("expected %(expected)d columns, found %(found)d.", expected=len(CATALOG_COLUMNS), found=len(raw)),
            )
        )
        return
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


def _code_problems(code: str, level_text: str, scope: str) -> list[str]:
    """The code's form, and its level digit against the scope (a scope of its own is judged apart)."""
    if not ANY_CODE.match(code):
        return [_("bad code format %(code)r (expected e.g. 8.01.02.2.01.0001).", code=code)]
    problems: list[str] = []
    if level_text in CatalogLevel._value2member_map_ and not CODE_PATTERN_BY_LEVEL[CatalogLevel(level_text)].match(
        code
    ):
        problems.append(_("code %(code)s does not have the form of a %(level)s code.", code=code, level=level_text))
    if scope in SCOPES and level_digit_scope(code) not in (None, scope):
        problems.append(
            _(
                "code %(code)s has level digit %(digit)s, which does not match berlaku_untuk %(scope)s.",
                code=code,
                digit=code.split(".")[3],
                scope=scope,
            )
        )
    return problems


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
    problems.extend(_code_problems(code, level_text, scope))
    if scope not in SCOPES:
        problems.append(_("unknown berlaku_untuk %(scope)r (expected provinsi, kabkota or both).", scope=scope))
    if not row["nama"]:
        problems.append(_("the name (nama) is empty."))
    for column, limit in MAX_LENGTHS.items():
        if len(row[column]) > limit:
            problems.append(_("%(column)s is longer than %(limit)d characters.", column=column, limit=limit))
    return problems


def _check_parents(rows: list[dict[str, str]]) -> list[RowError]:
    """Each entry's parent code must exist, in this file or already in the catalogue."""
    known = {row["kode"] for row in rows} | known_codes()
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


def _announce(unit: UnitOfWork, event_id: int | None, others: Sequence[int] = ()) -> None:
    """Views built from the nomenclature (the matrix) of these events re-fetch themselves."""
    for announced in dict.fromkeys(([event_id] if event_id is not None else []) + list(others)):
        unit.record(CatalogChanged(event_id=announced))


def _store_rows(rows: list[dict[str, str]], result: CatalogImportResult) -> None:
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


def import_catalog(
    data: bytes,
    event_id: int | None = None,
    also: Callable[[CatalogImportResult], None] | None = None,
    event_ids: Sequence[int] = (),
) -> CatalogImportResult:
    """Insert or update catalogue entries from CSV bytes. Any error: nothing is written.

    `event_id`/`event_ids`: the events whose views hear of the change (the catalogue is shared:
    a platform administrator's import names every event; the demo seed none). `also` runs inside
    the same unit of work (the audit lines)."""
    rows, errors = parse_catalog_csv(data)
    result = CatalogImportResult(errors=sorted(errors, key=lambda e: e.line))
    if errors:
        return result
    with write_transaction() as unit:
        _store_rows(rows, result)
        if also is not None:
            also(result)
        if result.created or result.updated:
            _announce(unit, event_id, event_ids)
    return result


def import_national_directions(data: bytes, event_id: int | None = None) -> int:
    """Load the eight presidential directions (idempotent: keyed by number)."""
    reader = csv.DictReader(io.StringIO(_decode(data), newline=""))
    if tuple(reader.fieldnames or ()) != DIRECTION_COLUMNS:
        raise ValueError(f"expected columns {DIRECTION_COLUMNS}, found {reader.fieldnames}")
    rows = list(reader)
    with write_transaction() as unit:
        existing = {d.number: d for d in db.session.scalars(sa.select(NationalDirection))}
        for row in rows:
            number = int(row["nomor"])
            direction = existing.get(number) or NationalDirection(number=number)
            direction.title = row["judul"].strip()
            direction.description = row["uraian"].strip()
            db.session.add(direction)
        _announce(unit, event_id)
    return len(rows)
