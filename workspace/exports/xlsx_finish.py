"""What openpyxl leaves out of an XLSX and a reader needs: the cached value of every formula (a
viewer that does not recalculate — a phone, a preview, a web mail — shows it instead of a blank),
and the page set-up every printable sheet shares (A4 landscape, one page wide, header rows repeated,
margins, "Halaman x dari y").

Only the formulas our exports write are evaluated — `SUM(…)` and `SUBTOTAL(9,…)` over cells and
ranges — from the sheet's own cells, so the cached value is what Excel or LibreOffice will
compute; any other formula is an error here, not a silent blank there.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from typing import Literal

from openpyxl import Workbook
from openpyxl.utils import range_boundaries
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

Number = int | float
_REFERENCE = r"[A-Z]+[0-9]+(?::[A-Z]+[0-9]+)?"
_FORMULA = re.compile(rf"^=(SUM|SUBTOTAL)\((?:(9),)?({_REFERENCE}(?:,{_REFERENCE})*)\)$")
_EMPTY_CACHE = re.compile(rb'<c r="([A-Z]+[0-9]+)"([^>]*)><f>([^<]*)</f><v\s*/?>(?:</v>)?</c>')


def _is_subtotal(value: object) -> bool:
    return isinstance(value, str) and value.upper().startswith("=SUBTOTAL(")


def formula_values(sheet: Worksheet) -> dict[str, Number]:
    """Every formula cell's value, by its address (e.g. `H12`)."""
    values: dict[str, Number] = {}

    def value_of(row: int, column: int) -> Number:
        cell = sheet.cell(row=row, column=column)
        if isinstance(cell.value, str) and cell.value.startswith("=") and cell.data_type == "f":
            if cell.coordinate not in values:
                values[cell.coordinate] = evaluate(cell.value)
            return values[cell.coordinate]
        return cell.value if isinstance(cell.value, int | float) and not isinstance(cell.value, bool) else 0

    def evaluate(formula: str) -> Number:
        match = _FORMULA.match(formula.replace(" ", "").upper())
        if match is None or (match.group(1) == "SUBTOTAL") != (match.group(2) == "9"):
            raise ValueError(f"no cached value for the formula {formula!r}")
        subtotal = match.group(1) == "SUBTOTAL"
        total: Number = 0
        for reference in match.group(3).split(","):
            min_col, min_row, max_col, max_row = range_boundaries(reference)
            for row in range(min_row or 1, (max_row or 1) + 1):
                for column in range(min_col or 1, (max_col or 1) + 1):
                    # SUBTOTAL skips the SUBTOTALs inside its range (each rupiah counted once).
                    if subtotal and _is_subtotal(sheet.cell(row=row, column=column).value):
                        continue
                    total += value_of(row, column)
        return total

    for row in sheet.iter_rows():
        for cell in row:
            if cell.data_type == "f" and isinstance(cell.value, str):
                value_of(cell.row, cell.column)
    return values


def save_with_cached_values(workbook: Workbook) -> bytes:
    """The workbook's bytes, each formula carrying its computed value."""
    per_sheet = [formula_values(sheet) for sheet in workbook.worksheets]
    buffer = io.BytesIO()
    workbook.save(buffer)
    return _fill_caches(buffer.getvalue(), per_sheet)


def _fill_caches(content: bytes, per_sheet: list[dict[str, Number]]) -> bytes:
    """openpyxl writes `<f>…</f><v></v>`: put each value in its `<v>` (sheets are sheet1.xml… in
    the workbook's order)."""
    return rewrite_formula_cells(content, _EMPTY_CACHE, [_filler(values) for values in per_sheet])


def rewrite_formula_cells(
    content: bytes, cell: re.Pattern[bytes], fillers: list[Callable[[re.Match[bytes]], bytes]]
) -> bytes:
    """The saved workbook with every match of `cell` in sheet n replaced by `fillers[n - 1]`
    (sheets are sheet1.xml… in the workbook's order; a sheet without a filler is left as is)."""
    source = zipfile.ZipFile(io.BytesIO(content))
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            match = re.fullmatch(r"xl/worksheets/sheet([0-9]+)\.xml", info.filename)
            if match and int(match.group(1)) <= len(fillers):
                data = cell.sub(fillers[int(match.group(1)) - 1], data)
            target.writestr(info, data)
    return output.getvalue()


def _filler(values: dict[str, Number]) -> Callable[[re.Match[bytes]], bytes]:
    def fill(match: re.Match[bytes]) -> bytes:
        address = match.group(1).decode("ascii")
        if address not in values:
            return match.group(0)
        value = values[address]
        text = str(int(value)) if float(value).is_integer() else repr(float(value))
        return b'<c r="%s"%s><f>%s</f><v>%s</v></c>' % (match.group(1), match.group(2), match.group(3), text.encode())

    return fill


def print_setup(
    sheet: Worksheet, title_rows: str, footer: str, orientation: Literal["portrait", "landscape"] = "landscape"
) -> None:
    """A4, one page wide (as many pages down as it takes), the header rows on every page, narrow
    margins, the footer naming the document with "Halaman x dari y" (`&P`, `&N`)."""
    sheet.page_setup.orientation = orientation
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    sheet.print_title_rows = title_rows
    margins = sheet.page_margins
    margins.left = margins.right = 0.4
    margins.top = 0.5
    margins.bottom = 0.6
    margins.header = margins.footer = 0.25
    sheet.print_options.horizontalCentered = True
    footer_item = sheet.oddFooter
    if footer_item is not None:
        footer_item.center.text = footer.replace("&", "&&") + " · Halaman &P dari &N"
        footer_item.center.size = 8


def _text_width(word: str, bold: bool) -> float:
    """A word's width in "average characters": capitals and bold type are wider."""
    width = sum(1.3 if char.isupper() or char in "MW@%" else 1.0 for char in word)
    return width * (1.12 if bold else 1.0)


def wrapped_lines(text: str, width: float, bold: bool = False) -> int:
    """How many lines `text` takes in a wrapped cell `width` characters wide, erring on the side of
    one line too many (viewers substitute fonts): the row height that keeps it from overlapping."""
    usable = max(width - 2, 4.0)
    lines = 0
    for paragraph in str(text).split("\n"):
        length, count = 0.0, 1
        for word in paragraph.split():
            word_width = _text_width(word, bold)
            if length and length + 1 + word_width > usable:
                count += 1
                length = word_width
            else:
                length += (1 if length else 0) + word_width
            while length > usable:  # a word longer than the column breaks inside it
                count += 1
                length -= usable
        lines += count
    return max(lines, 1)
