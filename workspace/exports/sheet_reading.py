"""Reading a Renja-style spreadsheet (XLSX or CSV) back for import, and any table with a header row.

The reader finds the header row among the first rows and accepts the column headers in any order
and in any case (`renja_columns.py` names them).

An upload is hostile until read: reading is bounded by work, not by file size (a 108 KB XLSX can
describe a million rows, each 16,384 cells wide). Every row read counts, blank ones included
(MAX_ROWS_READ), only the first MAX_COLUMNS columns are read, a CSV line is at most MAX_LINE_CHARS
long, the shared strings and the unpacked size are capped, and the whole read has a wall-clock
budget (READ_SECONDS). And it runs in a child process (`sheet_worker.py`), with a memory limit,
killed at the deadline: the server's event loop only waits on a pipe, so every other request and
socket is served meanwhile. What is refused raises `TooMuchWork` (or `TooManyRows`), both
`UnreadableFile`.
"""

from __future__ import annotations

import csv
import io
import pickle
import re
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from workspace.exports.renja_columns import AGENCY_HEADER, COLUMNS

WORKER_SCRIPT = Path(__file__).with_name("sheet_worker.py")


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


# Reading stops here: far above any proposal (a few hundred rows) or participant list, far below
# what would stall a process. Our own event export: 15 sheets of a few hundred rows, 21 columns.
MAX_ROWS = 3000  # data rows
MAX_ROWS_READ = 6000  # rows read in one sheet, blank ones included
MAX_COLUMNS = 64  # columns read (the Renja sheet has 21); cells beyond are not looked at
MAX_LINE_CHARS = 100_000  # one CSV line
MAX_UNPACKED_BYTES = 40 * 1024 * 1024
MAX_SHARED_STRINGS = 200_000
MAX_SHARED_STRINGS_BYTES = 16 * 1024 * 1024
READ_SECONDS = 4.0  # the whole read, in the child; it is killed one second after
WORKER_MEMORY_BYTES = 1024 * 1024 * 1024


class TooManyRows(UnreadableFile):
    """More data rows than MAX_ROWS."""


class TooMuchWork(UnreadableFile):
    """Reading the file would take more work than any real spreadsheet needs (rows, width, shared
    strings, unpacked size or time): refused, nothing read."""


_deadline: list[float] = []  # the read's deadline (monotonic), set by the worker


def _check_time() -> None:
    if _deadline and time.monotonic() > _deadline[0]:
        raise TooMuchWork("time")


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


def _refuse_oversized_archive(archive: zipfile.ZipFile) -> None:
    """Sizes as the archive states them (a lying zip fails later, reading past them)."""
    infos = archive.infolist()
    if sum(info.file_size for info in infos) > MAX_UNPACKED_BYTES:
        raise TooMuchWork("unpacks too large")
    for info in infos:
        if info.filename.lower().endswith("sharedstrings.xml"):
            if info.file_size > MAX_SHARED_STRINGS_BYTES:
                raise TooMuchWork("shared strings too large")
            with archive.open(info) as strings:
                count = 0
                while chunk := strings.read(1024 * 1024):  # bounded by the stated size above
                    count += chunk.count(b"<si>") + chunk.count(b"<si ")
                    if count > MAX_SHARED_STRINGS:
                        raise TooMuchWork("too many shared strings")


def _bounded_rows(rows: Iterable[Sequence[Any]]) -> Grid:
    for number, row in enumerate(rows, start=1):
        if number > MAX_ROWS_READ:
            raise TooMuchWork("too many rows")
        _check_time()
        yield number, list(row)


def _worksheet_grids(content: bytes) -> Iterator[Grid]:
    """Each worksheet of an XLSX as (row number, cells); refuses what cannot be read safely."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            _refuse_oversized_archive(archive)
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except UnreadableFile:
        raise
    except Exception as error:  # zip, XML or format errors: all mean "not a readable workbook"
        raise UnreadableFile(str(error)) from None
    try:
        for worksheet in workbook.worksheets:
            # Read every row, whatever the (possibly wrong) <dimension> another tool wrote says,
            # but only the first MAX_COLUMNS columns: a cell in column XFD builds no 16,384-cell row.
            worksheet.reset_dimensions()
            yield _bounded_rows(worksheet.iter_rows(max_col=MAX_COLUMNS, values_only=True))
    finally:
        workbook.close()


def _csv_grid(content: bytes) -> Grid:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("cp1252", errors="replace")
    if any(len(line) > MAX_LINE_CHARS for line in text.splitlines()):
        raise TooMuchWork("a line too long")
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") >= first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for number, cells in _bounded_rows(reader):
            yield number, [_csv_value(cell) for cell in cells[:MAX_COLUMNS]]
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
    except MemoryError:  # the worker's memory limit
        raise TooMuchWork("memory") from None
    except Exception as error:  # a malformed sheet inside a valid zip
        raise UnreadableFile(str(error)) from None


def read_table(content: bytes, filename: str, header_keys: dict[str, str], required: tuple[str, ...]) -> list[SheetRow]:
    """The data rows of the first sheet (or CSV) with a header row naming every required column
    (read in a child process, bounded: see the module's docstring)."""
    result: list[SheetRow] = _in_worker("table", content, filename, header_keys, required)
    return result


def read_spreadsheet(content: bytes, filename: str, agency_name: str) -> Sheet:
    """The data rows of an XLSX (the sheet of `agency_name` when there are several) or a CSV (read
    in a child process, bounded: see the module's docstring)."""
    result: Sheet = _in_worker("spreadsheet", content, filename, agency_name)
    return result


def _in_worker(kind: str, content: bytes, *arguments: Any) -> Any:
    """Run `read_here(kind, …)` in `python sheet_worker.py`: the answer (or the refusal) comes back
    pickled on stdout. Waiting on the pipe yields to the other green threads under eventlet and
    gevent (both patch subprocess); the child is killed at READ_SECONDS + 1."""
    request = pickle.dumps((kind, content, arguments, READ_SECONDS, WORKER_MEMORY_BYTES))
    try:
        finished = subprocess.run(
            [sys.executable, "-I", str(WORKER_SCRIPT)],
            input=request,
            capture_output=True,
            timeout=READ_SECONDS + 1,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise TooMuchWork("time") from None
    if finished.returncode != 0 or not finished.stdout:
        # Killed by its memory limit (MemoryError or SIGKILL) or crashed: too much for a spreadsheet.
        raise TooMuchWork(f"reader exited with {finished.returncode}")
    # Our own child wrote it from plain values (the file's text only ever is data inside it).
    outcome, value = pickle.loads(finished.stdout)
    if outcome == "refused":
        raise value
    return value


def read_here(kind: str, content: bytes, arguments: tuple[Any, ...]) -> Any:
    """The reading itself, in this process (the worker calls it)."""
    if kind == "table":
        return _read_table_here(content, *arguments)
    return _read_spreadsheet_here(content, *arguments)


def _read_table_here(
    content: bytes, filename: str, header_keys: dict[str, str], required: tuple[str, ...]
) -> list[SheetRow]:
    if _is_csv(content, filename):
        return _guarded(partial(_rows_from_grid, _csv_grid(content), header_keys, required, _no_total_row)).rows
    for grid in _worksheet_grids(content):
        try:
            return _guarded(partial(_rows_from_grid, grid, header_keys, required, _no_total_row)).rows
        except (TooManyRows, TooMuchWork):
            raise
        except UnreadableFile:
            continue
    raise UnreadableFile("no sheet with a header row")


def _read_spreadsheet_here(content: bytes, filename: str, agency_name: str) -> Sheet:
    if _is_csv(content, filename):
        return _read_csv(content, agency_name)
    candidates = []
    for grid in _worksheet_grids(content):
        try:
            sheet = _guarded(partial(_rows_from_grid, grid))
        except (TooManyRows, TooMuchWork):
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
    """Undo the export's formula guard (spreadsheet._csv_text): the apostrophe before a formula
    character, at the start and after a separator."""
    text = GUARDED_AFTER_SEPARATOR.sub(r"\1", text)
    return text[1:] if text.startswith("'") and text[1:2] in ("=", "+", "-", "@") else text


GUARDED_AFTER_SEPARATOR = re.compile(r"([,;\t|]\s*)'(?=[=@]|[+\-]\S)")
