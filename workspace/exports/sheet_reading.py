"""Reading a Renja-style spreadsheet (XLSX or CSV) back for import, and any table with a header row.

The reader finds the header row among the first rows and accepts the column headers in any order
and in any case (`renja_columns.py` names them). It refuses what it cannot read safely: a workbook
that unpacks too large, more rows than MAX_ROWS.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

from openpyxl import load_workbook

from workspace.exports.renja_columns import AGENCY_HEADER, COLUMNS


class UnreadableFile(ValueError):
    """The upload is not a spreadsheet this importer can read."""


class WrongAgency(UnreadableFile):
    """A CSV of several agencies that has no row for the proposal's agency."""


@dataclass(frozen=True)
class SheetRow:
    number: int  # the row number the user sees in the spreadsheet
    values: dict[str, Any]


def _normal_header(text: Any) -> str:
    return re.sub(r"\s+", " ", str(text or "")).strip().lower()


HEADER_KEYS = {_normal_header(header): key for key, header in COLUMNS}
HEADER_KEYS.update({"pagu indikatif": "budget", "pagu n+1": "forward_budget", "uraian": "name"})


# Reading stops here: far above any proposal (a few hundred rows), far below what would stall the
# server; and a workbook that unpacks to more than this is refused before it is parsed.
MAX_ROWS = 3000
MAX_UNPACKED_BYTES = 40 * 1024 * 1024


class TooManyRows(UnreadableFile):
    """More data rows than MAX_ROWS."""


# A sheet's rows as (row number, cells), and a test of one row's values ({column key: value}).
Grid = Iterator[tuple[int, list[Any]]]
RowTest = Callable[[dict[str, Any]], bool]


@dataclass
class Sheet:
    rows: list[SheetRow]
    agency_name: str | None  # the agency the file names (row 2 of an XLSX, the column of a CSV)


def _is_total_row(values: dict[str, Any]) -> bool:
    """The JUMLAH row that ends a Sinergi sheet: no code, no level, no indicator, nothing else."""
    if _normal_header(values.get("name")) != "jumlah":
        return False
    return not any(values.get(key) not in (None, "") for key in ("code", "level", "indicator", "unit", "target"))


def _rows_from_grid(
    grid: Grid,
    header_keys: dict[str, str] = HEADER_KEYS,
    required: tuple[str, ...] = ("code", "name"),
    is_total_row: RowTest = _is_total_row,
) -> Sheet:
    """Find the header row (within the first 20 rows: the one naming every `required` column) and
    read the data rows below it, as {column key: cell value}."""
    columns, agency_name = _find_header_row(grid, header_keys, required)
    if columns is None:
        raise UnreadableFile("no header row")
    return Sheet(rows=_data_rows(grid, columns, is_total_row), agency_name=agency_name)


def _find_header_row(
    grid: Grid, header_keys: dict[str, str], required: tuple[str, ...]
) -> tuple[dict[int, str] | None, str | None]:
    """Reads `grid` up to its header row: the columns it names ({index: key}, None if no row within
    the first 20 names them all), and the agency named in row 2 above it (a Sinergi sheet's)."""
    agency_name: str | None = None
    for number, cells in grid:
        columns = _header_columns(cells, header_keys, required)
        if columns is not None:
            return columns, agency_name
        if number == 2 and cells and isinstance(cells[0], str):
            agency_name = cells[0].strip()
        elif number > 20:
            break
    return None, agency_name


def _header_columns(cells: list[Any], header_keys: dict[str, str], required: tuple[str, ...]) -> dict[int, str] | None:
    """{column index: key} if this row names every required column, else None. A "Perangkat Daerah"
    column is the agency's, unless `header_keys` names an agency column itself."""
    headers = [_normal_header(c) for c in cells]
    found = {index: header_keys[header] for index, header in enumerate(headers) if header in header_keys}
    if not all(key in found.values() for key in required):
        return None
    agency_column = next((i for i, header in enumerate(headers) if header == AGENCY_HEADER.lower()), None)
    if agency_column is not None and "agency" not in found.values():
        found[agency_column] = "agency"
    return found


def _data_rows(grid: Grid, columns: dict[int, str], is_total_row: RowTest) -> list[SheetRow]:
    """The rows below the header, blank ones skipped, up to a total row (or the end)."""
    rows: list[SheetRow] = []
    for number, cells in grid:
        values = {key: cells[index] if index < len(cells) else None for index, key in columns.items()}
        if all(value in (None, "") for value in values.values()):
            continue
        if is_total_row(values):
            break
        if len(rows) >= MAX_ROWS:
            raise TooManyRows(str(MAX_ROWS))
        rows.append(SheetRow(number=number, values=values))
    return rows


def _is_csv(content: bytes, filename: str) -> bool:
    return filename.lower().endswith(".csv") or not content.startswith(b"PK")


def _worksheet_grids(content: bytes) -> Iterator[Grid]:
    """Each worksheet of an XLSX as (row number, cells); refuses what cannot be read safely."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_UNPACKED_BYTES:
                raise UnreadableFile("unpacks too large")
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except UnreadableFile:
        raise
    except Exception as error:  # zip, XML or format errors: all mean "not a readable workbook"
        raise UnreadableFile(str(error)) from None
    try:
        for worksheet in workbook.worksheets:
            # Read every cell, whatever the (possibly wrong) <dimension> another tool wrote says.
            worksheet.reset_dimensions()
            yield ((number, list(row)) for number, row in enumerate(worksheet.iter_rows(values_only=True), start=1))
    finally:
        workbook.close()


def _csv_grid(content: bytes) -> Grid:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("cp1252", errors="replace")
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") >= first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for number, cells in enumerate(reader, start=1):
            yield number, [_csv_value(cell) for cell in cells]
    except csv.Error as error:  # a field over csv's size limit…
        raise UnreadableFile(str(error)) from None


def _no_total_row(_values: dict[str, Any]) -> bool:
    """For tables without a JUMLAH row: every row below the header is data."""
    return False


def _guarded(read: Callable[[], Sheet]) -> Sheet:
    try:
        return read()
    except UnreadableFile:
        raise
    except Exception as error:  # a malformed sheet inside a valid zip
        raise UnreadableFile(str(error)) from None


def read_table(content: bytes, filename: str, header_keys: dict[str, str], required: tuple[str, ...]) -> list[SheetRow]:
    """The data rows of the first sheet (or CSV) with a header row naming every required column."""
    if _is_csv(content, filename):
        return _guarded(partial(_rows_from_grid, _csv_grid(content), header_keys, required, _no_total_row)).rows
    for grid in _worksheet_grids(content):
        try:
            return _guarded(partial(_rows_from_grid, grid, header_keys, required, _no_total_row)).rows
        except TooManyRows:
            raise
        except UnreadableFile:
            continue
    raise UnreadableFile("no sheet with a header row")


def read_spreadsheet(content: bytes, filename: str, agency_name: str) -> Sheet:
    """The data rows of an XLSX (the sheet of `agency_name` when there are several) or a CSV."""
    if _is_csv(content, filename):
        return _read_csv(content, agency_name)
    candidates = []
    for grid in _worksheet_grids(content):
        try:
            sheet = _guarded(partial(_rows_from_grid, grid))
        except TooManyRows:
            raise
        except UnreadableFile:
            continue
        if sheet.agency_name and sheet.agency_name.lower() == agency_name.lower():
            return sheet
        candidates.append(sheet)
    if not candidates:
        raise UnreadableFile("no sheet with a header row")
    if len(candidates) > 1:
        raise WrongAgency(agency_name)  # a workbook of several agencies, none of them this one
    return candidates[0]


def _read_csv(content: bytes, agency_name: str) -> Sheet:
    sheet = _guarded(lambda: _rows_from_grid(_csv_grid(content)))
    agencies = {str(row.values.get("agency") or "").strip() for row in sheet.rows} - {""}
    if len(agencies) > 1:  # the event's CSV: this agency's rows
        rows = [row for row in sheet.rows if str(row.values.get("agency") or "").strip().lower() == agency_name.lower()]
        if not rows:
            raise WrongAgency(agency_name)
        return Sheet(rows=rows, agency_name=agency_name)
    return Sheet(rows=sheet.rows, agency_name=next(iter(agencies), None))


def _csv_value(text: str) -> str:
    return text[1:] if text.startswith("'") and text[1:2] in ("=", "+", "-", "@") else text
