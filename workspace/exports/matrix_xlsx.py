"""The synchronisation matrix as a spreadsheet to take home: one sheet of indicative budgets and
one of sub kegiatan counts, each with the province and the 14 kabupaten/kota as columns, the gaps
marked, the alignment per row; frozen code and name columns and header row, A4 landscape fitted to
one page wide, the header row and the two first columns on every printed page.

Like the Renja file it is a planning document: Indonesian whatever the UI language.
"""

from __future__ import annotations

from collections.abc import Callable

from flask_babel import force_locale
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from workspace import labels
from workspace.exports.matrix import Cell, Matrix, MatrixFilters, MatrixRow
from workspace.exports.xlsx_finish import print_setup, save_with_cached_values, wrapped_lines
from workspace.models import Event, ItemLevel

HEADER_ROW = 6
MONEY_FORMAT = "#,##0"
GAP_FILL = PatternFill("solid", fgColor="FBE3E3")
PROGRAM_FILL = PatternFill("solid", fgColor="EEF4FA")
HEADER_FILL = PatternFill("solid", fgColor="DCE6F2")
PROVINCE_FILL = PatternFill("solid", fgColor="D5E5F5")
THIN = Side(style="thin", color="A0A8B5")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
GAP = "–"
NAME_WIDTH = 46
REGION_WIDTH = 13


def filters_text(filters: MatrixFilters) -> str:
    """The filters the file was made with, in words: "Program 8.01.02 · Amanat Presiden 3 · …"."""
    parts = [f"Program {filters.program_code}" if filters.program_code else "Semua program"]
    parts.append(f"Amanat Presiden {filters.direction_number}" if filters.direction_number else "semua Amanat Presiden")
    with force_locale("id"):
        parts.append(f"status {labels.PROPOSAL_STATUS[filters.status]}" if filters.status else "semua status")
    return " · ".join(parts)


def matrix_xlsx(event: Event, matrix: Matrix) -> bytes:
    filters_text_ = filters_text(matrix.filters)
    workbook = Workbook()
    budgets = workbook.active
    assert isinstance(budgets, Worksheet)
    budgets.title = "Pagu indikatif"
    _write_sheet(budgets, event, matrix, filters_text_, "Pagu indikatif (Rp)", lambda cell: cell.budget)
    counts = workbook.create_sheet("Jumlah sub kegiatan")
    _write_sheet(counts, event, matrix, filters_text_, "Jumlah sub kegiatan", lambda cell: cell.subkegiatan_count)
    return save_with_cached_values(workbook)


def _write_sheet(
    sheet: Worksheet, event: Event, matrix: Matrix, filters_text: str, measure: str, value: Callable[[Cell], int]
) -> None:
    _write_heading(sheet, event, matrix, filters_text, measure)
    first = HEADER_ROW + 1
    for index, row in enumerate(matrix.rows):
        _write_row(sheet, first + index, row, matrix, value)
    _write_totals(sheet, first, first + len(matrix.rows), matrix, value)
    sheet.freeze_panes = f"C{first}"
    print_setup(sheet, title_rows=f"{HEADER_ROW}:{HEADER_ROW}", footer=f"Matriks sinkronisasi · {measure}")
    sheet.print_title_cols = "A:B"


def _write_heading(sheet: Worksheet, event: Event, matrix: Matrix, filters_text: str, measure: str) -> None:
    sheet["A1"] = "MATRIKS SINKRONISASI PROGRAM DAN KEGIATAN"
    sheet["A1"].font = Font(bold=True, size=13)
    sheet["A2"] = event.title
    sheet["A2"].data_type = "s"
    sheet["A2"].font = Font(bold=True)
    sheet["A3"] = f"{measure} · {filters_text}"
    sheet["A4"] = (
        f"Keterangan: {GAP} = celah (wilayah tidak mengusulkan program/kegiatan ini); "
        "Keselarasan: provinsi dan kabupaten/kota yang berusulan; angka di kolom Pendukung = wilayah yang "
        f"mengusulkan dari {matrix.local_regions_with_proposal} kabupaten/kota berusulan."
    )
    sheet["A4"].font = Font(italic=True, size=9)
    headers = ["Kode", "Program / Kegiatan", *[region.short_name for region in matrix.regions]]
    headers += ["Jumlah", "Keselarasan", "Pendukung"]
    widths = [14, NAME_WIDTH, *[REGION_WIDTH] * len(matrix.regions), 16, 16, 10]
    for column, (header, width) in enumerate(zip(headers, widths, strict=True), start=1):
        cell = sheet.cell(row=HEADER_ROW, column=column, value=header)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.border = BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        sheet.column_dimensions[get_column_letter(column)].width = width
    for index, region in enumerate(matrix.regions, start=3):
        if region.is_province:
            sheet.cell(row=HEADER_ROW, column=index).fill = PROVINCE_FILL
    sheet.row_dimensions[HEADER_ROW].height = 15 * max(wrapped_lines(h, REGION_WIDTH, bold=True) for h in headers)


def _write_row(sheet: Worksheet, row: int, line: MatrixRow, matrix: Matrix, value: Callable[[Cell], int]) -> None:
    program = line.level is ItemLevel.PROGRAM
    font = Font(bold=program)
    fill = PROGRAM_FILL if program else PatternFill()
    code = sheet.cell(row=row, column=1, value=line.code)
    name = sheet.cell(row=row, column=2, value=line.name if line.in_catalog else f"{line.name} (di luar nomenklatur)")
    name.data_type = code.data_type = "s"
    name.alignment = Alignment(wrap_text=True, vertical="top", indent=0 if program else 1)
    sheet.row_dimensions[row].height = 15 * wrapped_lines(line.name, NAME_WIDTH - 2, bold=program) + 2
    for column, region in enumerate(matrix.regions, start=3):
        cell_data = line.cells[region.code]
        cell = sheet.cell(row=row, column=column, value=GAP if cell_data.is_gap else value(cell_data))
        cell.number_format = MONEY_FORMAT
        cell.alignment = Alignment(horizontal="center" if cell_data.is_gap else "right", vertical="top")
        if cell_data.is_gap:
            cell.fill = GAP_FILL
    last_region = get_column_letter(2 + len(matrix.regions))
    total = sheet.cell(row=row, column=3 + len(matrix.regions), value=f"=SUM(C{row}:{last_region}{row})")
    total.number_format = MONEY_FORMAT
    with force_locale("id"):
        alignment = str(labels.ALIGNMENT[line.alignment.value])
    sheet.cell(row=row, column=4 + len(matrix.regions), value=alignment)
    sheet.cell(row=row, column=5 + len(matrix.regions), value=line.supporting_regions)
    gaps = _gap_columns(line, matrix)
    for column in range(1, 6 + len(matrix.regions)):
        styled = sheet.cell(row=row, column=column)
        styled.border = BORDER
        styled.font = font
        if program and column not in gaps:
            styled.fill = fill


def _gap_columns(line: MatrixRow, matrix: Matrix) -> set[int]:
    return {column for column, region in enumerate(matrix.regions, start=3) if line.cells[region.code].is_gap}


def _write_totals(sheet: Worksheet, first: int, total_row: int, matrix: Matrix, value: Callable[[Cell], int]) -> None:
    """JUMLAH over the program rows only (a kegiatan's amount is inside its program's), by address
    (a spreadsheet function takes at most 255 of them: beyond, the total is written as a number)."""
    programs = [(first + index, row) for index, row in enumerate(matrix.rows) if row.level is ItemLevel.PROGRAM]
    sheet.cell(row=total_row, column=2, value="JUMLAH (program)").font = Font(bold=True)
    for column in range(3, 4 + len(matrix.regions)):
        letter = get_column_letter(column)
        total: str | int = "=SUM(" + ",".join(f"{letter}{number}" for number, _row in programs) + ")"
        if not programs or len(programs) > 255:
            codes = (
                [r.code for r in matrix.regions]
                if column - 3 >= len(matrix.regions)
                else [matrix.regions[column - 3].code]
            )
            total = sum(value(row.cells[code]) for _number, row in programs for code in codes)
        total_cell = sheet.cell(row=total_row, column=column, value=total)
        total_cell.number_format = MONEY_FORMAT
        total_cell.font = Font(bold=True)
        total_cell.border = BORDER
