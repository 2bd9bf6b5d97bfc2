"""Renja-style spreadsheets: XLSX and CSV export of proposals, and reading them back for import.

The file format is a planning document, so its column headers are the Renja terms in Indonesian
whatever the UI language; the reader also accepts them in any order and in any case.
Money is written as whole-rupiah numbers: a sub kegiatan's budget is a number, a program's or
kegiatan's budget is a SUBTOTAL of the rows below it (Excel's SUBTOTAL skips nested SUBTOTALs, so
the total row, and any SUBTOTAL over the column, counts each rupiah once).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, NamedStyle, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from workspace.models import Event, ItemLevel, Proposal, ProposalItem

# (key, header) in the order of the sheet.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("code", "Kode"),
    ("name", "Program / Kegiatan / Sub Kegiatan"),
    ("level", "Tingkat"),
    ("indicator", "Indikator"),
    ("target", "Target"),
    ("unit", "Satuan"),
    ("location", "Lokasi"),
    ("budget", "Pagu Indikatif (Rp)"),
    ("funding_source", "Sumber Dana"),
    ("forward_target", "Target n+1"),
    ("forward_budget", "Pagu n+1 (Rp)"),
    ("directions", "Amanat Presiden"),
    ("outside_catalog", "Di Luar Nomenklatur"),
)
AGENCY_HEADER = "Perangkat Daerah"
LEVEL_WORDS = {
    ItemLevel.PROGRAM: "Program",
    ItemLevel.KEGIATAN: "Kegiatan",
    ItemLevel.SUBKEGIATAN: "Sub Kegiatan",
}
YES = "Ya"
MONEY_FORMAT = "#,##0"
COLUMN_WIDTHS = {
    "code": 20,
    "name": 60,
    "level": 13,
    "indicator": 40,
    "target": 10,
    "unit": 12,
    "location": 22,
    "budget": 20,
    "funding_source": 14,
    "forward_target": 11,
    "forward_budget": 20,
    "directions": 12,
    "outside_catalog": 12,
}
HEADER_FILL = PatternFill("solid", fgColor="DCE6F2")
PROGRAM_FILL = PatternFill("solid", fgColor="F2F5FA")
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER_ROW = 5


def ordered_items(proposal: Proposal) -> list[ProposalItem]:
    """The tree depth-first, in the order of the editor."""
    ordered: list[ProposalItem] = []

    def walk(items: Iterable[ProposalItem]) -> None:
        for item in sorted(items, key=lambda i: (i.position, i.id)):
            ordered.append(item)
            walk(item.children)

    walk(proposal.root_items)
    return ordered


def _target_value(text: str) -> int | str:
    # A whole-number target is a number in the sheet; "75,5" (a percentage) and words stay text.
    if text.isascii() and text.isdigit() and len(text) < 16 and str(int(text)) == text:
        return int(text)
    return text  # "007" stays as written


def item_values(item: ProposalItem) -> dict[str, Any]:
    """One item as sheet values: numbers as numbers, money in whole rupiah."""
    is_sub = item.level is ItemLevel.SUBKEGIATAN
    return {
        "code": item.code,
        "name": item.name,
        "level": LEVEL_WORDS[item.level],
        "indicator": item.indicator,
        "target": _target_value(item.target),
        "unit": item.unit,
        "location": item.location,
        "budget": item.budget if is_sub else item.subtotal_budget,
        "funding_source": item.funding_source,
        "forward_target": _target_value(item.forward_target),
        "forward_budget": item.forward_budget if is_sub else item.subtotal_forward_budget,
        "directions": ", ".join(str(d.number) for d in item.directions),
        "outside_catalog": YES if item.outside_catalog else "",
    }


def _subtree_end(items: list[ProposalItem], index: int) -> int:
    """Index of the last row below items[index] (depth-first order)."""
    depth = _depth(items[index])
    end = index
    while end + 1 < len(items) and _depth(items[end + 1]) > depth:
        end += 1
    return end


def _depth(item: ProposalItem) -> int:
    return {ItemLevel.PROGRAM: 0, ItemLevel.KEGIATAN: 1, ItemLevel.SUBKEGIATAN: 2}[item.level]


def _register_styles(workbook: Workbook) -> None:
    """Every cell style of a proposal sheet, registered once as a named style: assigning a name is
    far cheaper than building Font/Alignment objects per cell (a 3,000-row export has 39,000 cells)."""
    for parent in (False, True):
        font = Font(bold=parent)
        fill = PROGRAM_FILL if parent else PatternFill()
        variants = {
            "text": Alignment(vertical="top"),
            "wrap": Alignment(vertical="top", wrap_text=True),
            "money": Alignment(vertical="top"),
            **{f"name{depth}": Alignment(indent=depth * 2, wrap_text=True, vertical="top") for depth in range(3)},
        }
        for kind, alignment in variants.items():
            style = NamedStyle(name=_style_name(parent, kind), font=font, fill=fill, alignment=alignment)
            if kind == "money":
                style.number_format = MONEY_FORMAT
            workbook.add_named_style(style)


def _style_name(parent: bool, kind: str) -> str:
    return f"sinergi-{'parent' if parent else 'sub'}-{kind}"


def _text_cell(sheet: Worksheet, address: str, text: str) -> Any:
    """A cell that holds text, even text that starts with "=" (never a formula)."""
    cell = sheet[address]
    cell.value = text
    cell.data_type = "s"
    return cell


def _write_proposal_sheet(sheet: Worksheet, proposal: Proposal, event: Event) -> None:
    sheet["A1"] = f"RENCANA KERJA (RENJA) – USULAN TAHUN {proposal.plan_year}"
    sheet["A1"].font = Font(bold=True, size=13)
    _text_cell(sheet, "A2", proposal.agency.name).font = Font(bold=True)
    _text_cell(sheet, "A3", event.title)
    keys = [key for key, _header in COLUMNS]
    for column, (key, header) in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=HEADER_ROW, column=column, value=header)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        sheet.column_dimensions[get_column_letter(column)].width = COLUMN_WIDTHS[key]
    money_columns = {key: get_column_letter(keys.index(key) + 1) for key in ("budget", "forward_budget")}
    kinds = {key: "money" if key in money_columns else "wrap" if key == "indicator" else "text" for key in keys}
    items = ordered_items(proposal)
    first = HEADER_ROW + 1
    for index, item in enumerate(items):
        row = first + index
        values = item_values(item)
        end_row = first + _subtree_end(items, index)
        parent = item.level is not ItemLevel.SUBKEGIATAN
        for column, key in enumerate(keys, start=1):
            value = values[key]
            formula = False
            if key in money_columns and parent:
                letter = money_columns[key]
                value = f"=SUBTOTAL(9,{letter}{row + 1}:{letter}{end_row})" if end_row > row else 0
                formula = True
            if (value == "" or value is None) and not parent:
                continue  # an empty cell needs no style (only program and kegiatan rows are shaded)
            cell = sheet.cell(row=row, column=column, value=value)
            if isinstance(value, str) and value.startswith("=") and not formula:
                cell.data_type = "s"  # what a user typed is text, never a formula
            kind = f"name{_depth(item)}" if key == "name" else kinds[key]
            cell.style = _style_name(parent, kind)
    total_row = first + len(items)
    sheet.cell(row=total_row, column=keys.index("name") + 1, value="JUMLAH").font = Font(bold=True)
    for key, letter in money_columns.items():
        total = f"=SUBTOTAL(9,{letter}{first}:{letter}{total_row - 1})" if items else 0
        cell = sheet.cell(row=total_row, column=keys.index(key) + 1, value=total)
        cell.style = _style_name(True, "money")
    sheet.freeze_panes = f"C{first}"  # the headers and the code and name columns stay in view


def sheet_title(proposal: Proposal, taken: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", " ", proposal.agency.short_name)[:28].strip() or f"Usulan {proposal.id}"
    title, number = base, 2
    while title.lower() in taken:
        title = f"{base[:25]} ({number})"
        number += 1
    taken.add(title.lower())
    return title


def _first_worksheet(workbook: Workbook) -> Worksheet:
    sheet = workbook.active
    if not isinstance(sheet, Worksheet):  # a new Workbook() starts with one worksheet, active
        raise TypeError(f"the active sheet is a {type(sheet).__name__}, not a worksheet")
    return sheet


def proposals_xlsx(event: Event, proposals: list[Proposal]) -> bytes:
    """One sheet per proposal; with several, a summary sheet first."""
    workbook = Workbook()
    workbook.calculation.fullCalcOnLoad = True  # SUBTOTALs are computed when the file is opened
    _register_styles(workbook)
    taken: set[str] = set()
    if len(proposals) > 1:
        summary = _first_worksheet(workbook)
        summary.title = "Ringkasan"
        taken.add("ringkasan")
        _text_cell(summary, "A1", event.title)
        summary["A1"].font = Font(bold=True, size=13)
        summary["A2"] = f"Tahun rencana {event.plan_year}"
        headers = (AGENCY_HEADER, "Jumlah Sub Kegiatan", "Pagu Indikatif (Rp)", "Pagu n+1 (Rp)", "Status")
        for column, header in enumerate(headers, start=1):
            cell = summary.cell(row=4, column=column, value=header)
            cell.font = Font(bold=True)
            cell.fill = HEADER_FILL
        summary.column_dimensions["A"].width = 60
        for letter in "BCDE":
            summary.column_dimensions[letter].width = 20
        for row, proposal in enumerate(proposals, start=5):
            subs = [i for i in proposal.items if i.level is ItemLevel.SUBKEGIATAN]
            summary.cell(row=row, column=1, value=proposal.agency.name).data_type = "s"
            summary.cell(row=row, column=2, value=len(subs))
            summary.cell(row=row, column=3, value=sum(i.budget or 0 for i in subs)).number_format = MONEY_FORMAT
            summary.cell(row=row, column=4, value=sum(i.forward_budget or 0 for i in subs)).number_format = MONEY_FORMAT
            summary.cell(row=row, column=5, value=proposal.status.value)
        total_row = 5 + len(proposals)
        summary.cell(row=total_row, column=1, value="JUMLAH").font = Font(bold=True)
        for letter, column in (("B", 2), ("C", 3), ("D", 4)):
            cell = summary.cell(row=total_row, column=column, value=f"=SUM({letter}5:{letter}{total_row - 1})")
            cell.number_format = MONEY_FORMAT
            cell.font = Font(bold=True)
        sheets = [workbook.create_sheet(sheet_title(p, taken)) for p in proposals]
    else:
        sheets = [_first_worksheet(workbook)]
        if proposals:
            sheets[0].title = sheet_title(proposals[0], taken)
    for sheet, proposal in zip(sheets, proposals, strict=False):
        _write_proposal_sheet(sheet, proposal, event)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def proposals_csv(proposals: list[Proposal]) -> bytes:
    """One CSV for one or many proposals; the first column names the agency.

    UTF-8 with a byte-order mark and ';' as separator, which is what Excel in an Indonesian
    locale opens directly; money in plain digits (program and kegiatan rows show their subtotal,
    so sum the sub kegiatan rows only: filter the Tingkat column).
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([AGENCY_HEADER] + [header for _key, header in COLUMNS])
    for proposal in proposals:
        for item in ordered_items(proposal):
            values = item_values(item)
            writer.writerow([_csv_text(proposal.agency.name)] + [_csv_text(values[key]) for key, _header in COLUMNS])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _csv_text(value: Any) -> str:
    if value is None:
        return ""
    text = str(value)
    # A cell starting with = + - @ would run as a formula in a spreadsheet (CSV injection).
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


# ---- Reading ---------------------------------------------------------------------------------


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
    grid: Iterator[tuple[int, list[Any]]],
    header_keys: dict[str, str] = HEADER_KEYS,
    required: tuple[str, ...] = ("code", "name"),
    is_total_row: Callable[[dict[str, Any]], bool] = _is_total_row,
) -> Sheet:
    """Find the header row (within the first 20 rows: the one naming every `required` column) and
    read the data rows below it, as {column key: cell value}."""
    columns: dict[int, str] | None = None
    agency_name: str | None = None
    rows: list[SheetRow] = []
    for number, cells in grid:
        if columns is None:
            headers = [_normal_header(c) for c in cells]
            found = {index: header_keys[header] for index, header in enumerate(headers) if header in header_keys}
            if all(key in found.values() for key in required):
                columns = found
                agency_column = next((i for i, header in enumerate(headers) if header == AGENCY_HEADER.lower()), None)
                if agency_column is not None and "agency" not in found.values():
                    columns[agency_column] = "agency"
            elif number == 2 and cells and isinstance(cells[0], str):
                agency_name = cells[0].strip()
            elif number > 20:
                break
            continue
        values = {key: cells[index] if index < len(cells) else None for index, key in columns.items()}
        if all(value in (None, "") for value in values.values()):
            continue
        if is_total_row(values):
            break
        if len(rows) >= MAX_ROWS:
            raise TooManyRows(str(MAX_ROWS))
        rows.append(SheetRow(number=number, values=values))
    if columns is None:
        raise UnreadableFile("no header row")
    return Sheet(rows=rows, agency_name=agency_name)


def _is_csv(content: bytes, filename: str) -> bool:
    return filename.lower().endswith(".csv") or not content.startswith(b"PK")


def _worksheet_grids(content: bytes) -> Iterator[Iterator[tuple[int, list[Any]]]]:
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


def _csv_grid(content: bytes) -> Iterator[tuple[int, list[Any]]]:
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
