"""Renja-style spreadsheets: XLSX and CSV export of proposals. Reading them back for import is in
`sheet_reading.py` (its names are re-exported here), the columns both use in `renja_columns.py`.

The file format is a planning document, so its column headers are the Renja terms in Indonesian
whatever the UI language.
Money is written as whole-rupiah numbers: a sub kegiatan's budget is a number, a program's or
kegiatan's budget is a SUBTOTAL of the rows below it (Excel's SUBTOTAL skips nested SUBTOTALs, so
the total row, and any SUBTOTAL over the column, counts each rupiah once).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from typing import Any

from flask_babel import force_locale
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, NamedStyle, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from workspace import labels
from workspace.exports.renja_columns import AGENCY_HEADER, COLUMNS

# The reader's names, re-exported: the import services take them from this module.
from workspace.exports.sheet_reading import MAX_ROWS as MAX_ROWS
from workspace.exports.sheet_reading import Sheet as Sheet
from workspace.exports.sheet_reading import SheetRow as SheetRow
from workspace.exports.sheet_reading import TooManyRows as TooManyRows
from workspace.exports.sheet_reading import TooMuchWork as TooMuchWork
from workspace.exports.sheet_reading import UnreadableFile as UnreadableFile
from workspace.exports.sheet_reading import WrongAgency as WrongAgency
from workspace.exports.sheet_reading import read_spreadsheet as read_spreadsheet
from workspace.exports.sheet_reading import read_table as read_table
from workspace.exports.xlsx_finish import print_setup, save_with_cached_values, wrapped_lines
from workspace.models import Event, ItemLevel, Proposal, ProposalItem

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
    "note": 30,
}
COLUMN_KEYS = [key for key, _header in COLUMNS]
# The money columns' letters: a program's or kegiatan's cell there is a SUBTOTAL formula.
MONEY_COLUMNS = {key: get_column_letter(COLUMN_KEYS.index(key) + 1) for key in ("budget", "forward_budget")}
# The cell style (see _register_styles) of each column; the name column's depends on the level.
CELL_KINDS = {
    key: "money" if key in MONEY_COLUMNS else "wrap" if key in ("indicator", "note") else "text" for key in COLUMN_KEYS
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
        "note": item.note,
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
            "text": Alignment(vertical="top", wrap_text=True),  # never spills over its neighbour
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
    _write_sheet_heading(sheet, proposal, event)
    items = ordered_items(proposal)
    first = HEADER_ROW + 1
    for index, item in enumerate(items):
        _write_item_row(sheet, first + index, item, end_row=first + _subtree_end(items, index))
    _write_total_row(sheet, total_row=first + len(items), first=first)
    sheet.freeze_panes = f"C{first}"  # the headers and the code and name columns stay in view
    print_setup(sheet, title_rows=f"{HEADER_ROW}:{HEADER_ROW}", footer=f"Renja {proposal.agency.short_name}")


# Wrapped text columns whose length sets a row's height, and the points one line takes.
WRAPPED_COLUMNS = ("name", "indicator", "location", "unit", "funding_source", "note")
LINE_HEIGHT = 15.0


def row_height(values: dict[str, Any], depth: int, bold: bool = False) -> float:
    """Tall enough for the longest wrapped cell of the row (the name is indented by its depth), so
    wrapped text never runs over the next row, in Excel and LibreOffice alike."""
    widths = {key: COLUMN_WIDTHS[key] - (depth * 2 if key == "name" else 0) for key in WRAPPED_COLUMNS}
    lines = max(wrapped_lines(str(values[key] or ""), widths[key], bold) for key in WRAPPED_COLUMNS)
    return LINE_HEIGHT * lines + 2


def _write_sheet_heading(sheet: Worksheet, proposal: Proposal, event: Event) -> None:
    """The title, agency and event above the table, then the column headers (with their widths)."""
    sheet["A1"] = f"RENCANA KERJA (RENJA) – USULAN TAHUN {proposal.plan_year}"
    sheet["A1"].font = Font(bold=True, size=13)
    _text_cell(sheet, "A2", proposal.agency.name).font = Font(bold=True)
    _text_cell(sheet, "A3", event.title)
    for column, (key, header) in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=HEADER_ROW, column=column, value=header)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        sheet.column_dimensions[get_column_letter(column)].width = COLUMN_WIDTHS[key]
    sheet.row_dimensions[HEADER_ROW].height = LINE_HEIGHT * max(
        wrapped_lines(header, COLUMN_WIDTHS[key], bold=True) for key, header in COLUMNS
    )


def _write_item_row(sheet: Worksheet, row: int, item: ProposalItem, end_row: int) -> None:
    """One item's row; a program's or kegiatan's money cells add up the rows below it, to `end_row`."""
    values = item_values(item)
    parent = item.level is not ItemLevel.SUBKEGIATAN
    sheet.row_dimensions[row].height = row_height(values, _depth(item), bold=parent)
    for column, key in enumerate(COLUMN_KEYS, start=1):
        value = values[key]
        formula = key in MONEY_COLUMNS and parent
        if formula:
            letter = MONEY_COLUMNS[key]
            value = f"=SUBTOTAL(9,{letter}{row + 1}:{letter}{end_row})" if end_row > row else 0
        if (value == "" or value is None) and not parent:
            continue  # an empty cell needs no style (only program and kegiatan rows are shaded)
        cell = sheet.cell(row=row, column=column, value=value)
        if isinstance(value, str) and value.startswith("=") and not formula:
            cell.data_type = "s"  # what a user typed is text, never a formula
        kind = f"name{_depth(item)}" if key == "name" else CELL_KINDS[key]
        cell.style = _style_name(parent, kind)


def _write_total_row(sheet: Worksheet, total_row: int, first: int) -> None:
    """JUMLAH: each money column's SUBTOTAL over the item rows (0 when there are none)."""
    sheet.cell(row=total_row, column=COLUMN_KEYS.index("name") + 1, value="JUMLAH").font = Font(bold=True)
    for key, letter in MONEY_COLUMNS.items():
        total = f"=SUBTOTAL(9,{letter}{first}:{letter}{total_row - 1})" if total_row > first else 0
        cell = sheet.cell(row=total_row, column=COLUMN_KEYS.index(key) + 1, value=total)
        cell.style = _style_name(True, "money")


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
        _write_summary_sheet(summary, event, proposals)
        sheets = [workbook.create_sheet(sheet_title(p, taken)) for p in proposals]
    else:
        sheets = [_first_worksheet(workbook)]
        if proposals:
            sheets[0].title = sheet_title(proposals[0], taken)
    for sheet, proposal in zip(sheets, proposals, strict=False):
        _write_proposal_sheet(sheet, proposal, event)
    return save_with_cached_values(workbook)


def _write_summary_sheet(summary: Worksheet, event: Event, proposals: list[Proposal]) -> None:
    """One row per proposal (sub kegiatan, budgets, status) and a JUMLAH row of SUMs."""
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
    with force_locale("id"):  # a planning document: Indonesian whatever the UI language
        status_labels = {status: str(label) for status, label in labels.PROPOSAL_STATUS.items()}
    for row, proposal in enumerate(proposals, start=5):
        subs = [i for i in proposal.items if i.level is ItemLevel.SUBKEGIATAN]
        summary.cell(row=row, column=1, value=proposal.agency.name).data_type = "s"
        summary.cell(row=row, column=2, value=len(subs))
        summary.cell(row=row, column=3, value=sum(i.budget or 0 for i in subs)).number_format = MONEY_FORMAT
        summary.cell(row=row, column=4, value=sum(i.forward_budget or 0 for i in subs)).number_format = MONEY_FORMAT
        summary.cell(row=row, column=5, value=status_labels[proposal.status])
    total_row = 5 + len(proposals)
    summary.cell(row=total_row, column=1, value="JUMLAH").font = Font(bold=True)
    for letter, column in (("B", 2), ("C", 3), ("D", 4)):
        cell = summary.cell(row=total_row, column=column, value=f"=SUM({letter}5:{letter}{total_row - 1})")
        cell.number_format = MONEY_FORMAT
        cell.font = Font(bold=True)
    print_setup(summary, title_rows="4:4", footer=f"Ringkasan {event.title}"[:80], orientation="portrait")


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


# After a separator a spreadsheet could split on (the file opened with "," instead of ";"), a
# formula could start again: "Sambas,=HYPERLINK(…)". An apostrophe goes before it, as at the start.
FORMULA_AFTER_SEPARATOR = re.compile(r"([,;\t|]\s*)(?=[=@]|[+\-]\S)")


def _csv_text(value: Any) -> str:
    if value is None:
        return ""
    text = FORMULA_AFTER_SEPARATOR.sub(r"\1'", str(value))
    # A cell starting with = + - @ would run as a formula in a spreadsheet (CSV injection).
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text
