"""The Renja evaluation form (*Evaluasi terhadap hasil Renja Perangkat Daerah*, Permendagri 86/2017;
DESIGN.md §9) as XLSX: one agency's sheet, or the event's workbook (a *Ringkasan* of the agencies'
roll-ups, then a sheet per agency). The columns are `evaluation_columns.COLUMNS`, which the
realisation import reads back (by header; rows by the hidden `ID`): Indonesian whatever the UI
language, as every planning document here.

* **Sasaran**: the data model has no Renstra goals, so a program's row carries its outcome
  indicator (*Indikator Kinerja Program*) as its sasaran; kegiatan and sub kegiatan rows leave it
  blank. **Unit Penanggung Jawab**: the agency's name.
* **The quarter** (`Triwulan: II` above the table) is the one the sheet reports to: the four
  quarters' realisations are all written (the import reads them back), the totals, capaian and
  absorption count the quarters up to it (*s.d. triwulan II*), the notes are that quarter's.
* **Formulas with cached values** (a viewer that does not recalculate shows the number; what
  LibreOffice recalculates is tested equal; only functions Excel has too): Total (K) is the SUM
  of the quarters (positif, negatif) or the last quarter reported, nested IFs over the K cells
  (persentase, nilai akhir); Capaian = Total ÷ Target × 100 (negatif: Target ÷ Total, 100 for a
  total of 0), only where the target is a number it can divide (none for "Tersedia" or 0);
  Serapan = Total (Rp) ÷ Pagu × 100. A program's or kegiatan's Pagu and Rp are the SUM of its
  children's cells (blank while none has a value), so each rupiah is counted once.
* **A parent's capaian** (program, kegiatan) is a number, the budget-weighted roll-up of the sub
  kegiatan beneath it (core/achievement.py), not a formula: one without capaian is left out, and
  without any budget the mean is plain, which no simple formula reproduces. Its own indicator's
  realisation (K) is written and totalled like any row's.

The cached values come from the figures of the monitoring pages (`queries/realisation.py`);
`save_with_caches` writes them into the file openpyxl saved.
"""

from __future__ import annotations

import functools
import io
import re
from collections.abc import Callable
from copy import copy
from decimal import Decimal
from weakref import WeakKeyDictionary

from flask_babel import force_locale
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from workspace import labels
from workspace.core.achievement import FormulaType, Weighted, band_of, cumulative_realisation, roll_up
from workspace.exports.evaluation_columns import COLUMNS, QUARTER_LABEL, QUARTER_NAMES, SHEET_TITLE
from workspace.exports.spreadsheet import sheet_title
from workspace.exports.xlsx_finish import print_setup, rewrite_formula_cells
from workspace.exports.xlsx_finish import wrapped_lines as lines_of
from workspace.models import Event, ItemLevel
from workspace.queries.monitoring import bands_of
from workspace.queries.realisation import ItemProgress, ProposalProgress, formula_of, physical_value, target_value

Cached = int | float | str  # a formula's value; "" (the only text) for a blank
KEYS = [key for key, _header in COLUMNS]
LETTERS = {key: get_column_letter(number) for number, key in enumerate(KEYS, start=1)}
TITLE = "EVALUASI TERHADAP HASIL RENJA PERANGKAT DAERAH"
HEADER_ROW = 6
FIRST_ROW = HEADER_ROW + 1
LINE_HEIGHT = 12.5  # points, a line of the 9 pt body text
TEXT_SCALE = 1.05  # a column's width in 9 pt characters (widths count 11 pt ones; bold wraps sooner)
MAX_REFERENCES = 250  # a spreadsheet function takes at most 255 arguments
FORMULA_WORDS = dict(zip(FormulaType, ("Positif", "Negatif", "Persentase", "Nilai Akhir"), strict=True))
WIDTHS = {
    "number": 4, "goal": 15, "code": 15, "name": 30, "indicator": 20, "unit": 8, "formula": 9, "target": 7,
    "budget": 12.5, "total_physical": 8.5, "total_budget": 12.5, "achievement": 8.5, "absorption": 8.5,
    "unit_in_charge": 16, "problem": 18, "solution": 18, "item_id": 8,
    **{f"q{n}_physical": 8.5 for n in range(1, 5)}, **{f"q{n}_budget": 12.5 for n in range(1, 5)},
}  # fmt: skip
# The cell style of each column (see register_styles); the name's depends on the depth.
KINDS = {
    **{key: "text" for key in KEYS},
    "number": "center", "formula": "center", "target": "figure", "item_id": "plain",
    "total_physical": "figure", "budget": "money", "total_budget": "money",
    "achievement": "percent", "absorption": "percent",
    **{f"q{n}_physical": "figure" for n in range(1, 5)}, **{f"q{n}_budget": "money" for n in range(1, 5)},
}  # fmt: skip
HEADER_FILL = PatternFill("solid", fgColor="DCE6F2")
PARENT_FILL = PatternFill("solid", fgColor="F2F5FA")
BORDER = Border(left=(THIN := Side(style="thin", color="A0A8B5")), right=THIN, top=THIN, bottom=THIN)


def number(value: Decimal | int | None) -> Cached:
    """A figure as a cell holds it: an int when whole, else a float; "" for none."""
    if value is None:
        return ""
    if isinstance(value, int):
        return value
    return int(value) if value == value.to_integral_value() and abs(value) < 10**15 else float(value)


def references(letter: str, rows: list[int]) -> list[str]:
    """`D7, D8, D9, D12` → `D7:D9, D12`: consecutive rows as one range."""
    found: list[str] = []
    for index, row in enumerate(rows):
        if index and row == rows[index - 1] + 1:
            found[-1] = f"{found[-1].split(':')[0]}:{letter}{row}"
        else:
            found.append(f"{letter}{row}")
    return found


class EvaluationSheet:
    """One agency's form on a worksheet, collecting each formula's cached value as it goes."""

    def __init__(self, sheet: Worksheet, progress: ProposalProgress, quarter: int) -> None:
        self.sheet, self.progress, self.quarter = sheet, progress, quarter
        self.cached: dict[str, Cached] = {}
        self.rows = {figures.item.id: FIRST_ROW + index for index, figures in enumerate(progress.items)}
        self.children: dict[int | None, list[int]] = {}
        for figures in progress.items:
            self.children.setdefault(figures.item.parent_id, []).append(self.rows[figures.item.id])
        self.total_row = FIRST_ROW + len(progress.items)
        self.pagu = sum(figures.pagu for figures in progress.items if figures.item.parent_id is None)
        self.spent: int | None = None

    def cell(self, key: str, row: int) -> str:
        return f"{LETTERS[key]}{row}"

    def to_date(self, kind: str, row: int) -> list[str]:
        """The row's K or Rp cells of the quarters up to the sheet's."""
        return [self.cell(f"q{n}_{kind}", row) for n in range(1, self.quarter + 1)]

    def write(self) -> None:
        self._heading()
        for index, figures in enumerate(self.progress.items):
            self._item_row(FIRST_ROW + index, index + 1, figures)
        tops = [figures for figures in self.progress.items if figures.item.parent_id is None]
        realised = [_sum([figures.budget_realised[n] for figures in tops]) for n in range(4)]
        self.spent = _sum(realised[: self.quarter])  # the agency's rupiah to the quarter
        money = self._money(self.total_row, self.children.get(None, []), realised, self.pagu, self.progress.absorption)
        values = {"name": "JUMLAH", **money, "achievement": number(self.progress.progress[self.quarter - 1])}
        for column, key in enumerate(KEYS, start=1):
            put(self.sheet, self.total_row, column, values.get(key), style_name(True, KINDS[key]), self.cached)
        self.sheet.row_dimensions[self.total_row].height = LINE_HEIGHT + 4
        self.sheet.freeze_panes = f"E{FIRST_ROW}"  # the header, and the number, code and name in view
        self.sheet.column_dimensions[LETTERS["item_id"]].hidden = True
        proposal, roman = self.progress.proposal, QUARTER_NAMES[self.quarter - 1]
        footer = f"Evaluasi Renja {proposal.agency.short_name} · Triwulan {roman} {proposal.plan_year}"
        print_setup(self.sheet, title_rows=f"{HEADER_ROW}:{HEADER_ROW}", footer=footer[:120])
        self.sheet.print_area = f"A1:{LETTERS['solution']}{self.total_row}"  # not the ID

    def _heading(self) -> None:
        proposal, roman, sheet = self.progress.proposal, QUARTER_NAMES[self.quarter - 1], self.sheet
        lines = (
            (TITLE, Font(bold=True, size=13)),
            (f"Perangkat Daerah: {proposal.agency.name}", Font(bold=True)),
            (f"{proposal.event.title} · Tahun {proposal.plan_year}", Font(bold=True)),
            (f"{QUARTER_LABEL}: {roman}", Font(bold=True, size=12)),
            (
                f"Realisasi per triwulan; Total, Capaian dan Serapan s.d. triwulan {roman}. Capaian = Total ÷ Target "
                "× 100 (negatif: Target ÷ Total × 100; persentase dan nilai akhir: Total = nilai triwulan terakhir "
                "yang dilaporkan). Capaian program dan kegiatan: rata-rata capaian sub kegiatan di bawahnya, "
                f"tertimbang pagu. Permasalahan dan Solusi / Tindak Lanjut: triwulan {roman}. K = kinerja, Rp = rupiah",
                Font(italic=True, size=9),
            ),
        )
        for row, (text, font) in enumerate(lines, start=1):
            put(sheet, row, 1, text, "Normal", {})
            sheet.cell(row=row, column=1).font = font
        sheet["A5"].alignment = Alignment(wrap_text=True, vertical="top")
        sheet.merge_cells(f"A5:{LETTERS['solution']}5")
        sheet.row_dimensions[5].height = 26
        for column, (key, header) in enumerate(COLUMNS, start=1):
            sheet.cell(row=HEADER_ROW, column=column, value=header).style = "evaluation-header"
            sheet.column_dimensions[get_column_letter(column)].width = WIDTHS[key]
        height = max(_wrapped_lines(header, WIDTHS[key], bold=True) for key, header in COLUMNS)
        sheet.row_dimensions[HEADER_ROW].height = LINE_HEIGHT * height + 4

    def _item_row(self, row: int, position: int, figures: ItemProgress) -> None:
        item, note = figures.item, figures.quarters[self.quarter - 1]
        parent = item.level is not ItemLevel.SUBKEGIATAN
        texts = {
            "goal": item.indicator if item.level is ItemLevel.PROGRAM else "",
            "name": item.name,
            "indicator": item.indicator,
            "unit": item.unit,
            "unit_in_charge": self.progress.proposal.agency.name,
            "problem": note.problem if note else "",
            "solution": note.solution if note else "",
        }
        target = target_value(figures.target)
        values: dict[str, object] = {
            "number": position,
            "code": item.code,
            "formula": FORMULA_WORDS[formula_of(item)],
            "target": figures.target if target is None else number(target),
            "item_id": item.id,
            **texts,
            **self._realisation(row, figures),
        }
        for column, key in enumerate(KEYS, start=1):
            kind = f"name{min(figures.depth, 3)}" if key == "name" else KINDS[key]
            put(self.sheet, row, column, values.get(key), style_name(parent, kind), self.cached)
        indent = {"name": 2 * figures.depth}
        height = max(
            _wrapped_lines(text, (WIDTHS[key] - indent.get(key, 0)) * TEXT_SCALE, parent) for key, text in texts.items()
        )
        self.sheet.row_dimensions[row].height = LINE_HEIGHT * height + 3

    def _realisation(self, row: int, figures: ItemProgress) -> dict[str, object]:
        """The K cells of every quarter, Total (K), capaian, and the money (`_money`) of one item."""
        formula, children = formula_of(figures.item), self.children.get(figures.item.id, [])
        physical = [physical_value(stored.physical) if stored else None for stored in figures.quarters]
        values: dict[str, object] = {f"q{n}_physical": number(physical[n - 1]) for n in range(1, 5)}
        realised = cumulative_realisation(formula, physical, self.quarter)
        values["total_physical"] = Formula(total_physical(formula, self.to_date("physical", row)), number(realised))
        values.update(self._money(row, children, figures.budget_realised, figures.pagu, figures.absorption))
        if not figures.is_leaf:  # the budget-weighted roll-up of the sub kegiatan beneath: a number
            values["achievement"] = number(figures.progress[self.quarter - 1])
        else:
            target_cell = self.cell("target", row)
            text = achievement_formula(
                formula, target_value(figures.target), self.cell("total_physical", row), target_cell
            )
            values["achievement"] = Formula(text, number(figures.achievement[self.quarter - 1])) if text else None
        return values

    def _money(
        self, row: int, children: list[int], realised: list[int | None], pagu: int, absorption: list[Decimal | None]
    ) -> dict[str, object]:
        """Pagu, Rp of every quarter, Total (Rp) and Serapan: a row's own (a sub kegiatan), or the
        sums of its children's cells (a program, a kegiatan, the JUMLAH of the top rows)."""
        values: dict[str, object] = {}
        for n in range(1, 5):
            cells = references(LETTERS[f"q{n}_budget"], children)
            values[f"q{n}_budget"] = sum_of(cells, realised[n - 1]) if children else realised[n - 1]
        values["budget"] = total_of(references(LETTERS["budget"], children), pagu) if children else pagu
        values["total_budget"] = sum_of(self.to_date("budget", row), _sum(realised[: self.quarter]))
        if pagu > 0:
            text = absorption_formula(self.cell("total_budget", row), self.cell("budget", row))
            values["absorption"] = Formula(text, number(absorption[self.quarter - 1]))
        return values


def _sum(values: list[int | None]) -> int | None:
    known = [value for value in values if value is not None]
    return sum(known) if known else None


def put(sheet: Worksheet, row: int, column: int, value: object, style: str, cached: dict[str, Cached]) -> None:
    """One cell: a Formula (its cached value noted), a number, or text — text even when it starts
    with "=" (what someone typed is never a formula)."""
    cell = sheet.cell(row=row, column=column)
    if isinstance(value, Formula):
        cell.value = value.text
        cached[cell.coordinate] = value.cached
    elif value is not None and value != "":
        cell.value = value  # type: ignore[assignment]
        if isinstance(value, str):
            cell.data_type = "s"
    known = _STYLES.setdefault(sheet, {})
    if style in known:  # a copy of the registered style's ids: setting it by name looks it up each time
        cell._style = copy(known[style])  # type: ignore[union-attr]
    else:
        cell.style = style
        known[style] = copy(cell._style)  # type: ignore[union-attr]


_wrapped_lines = functools.lru_cache(maxsize=8192)(lines_of)  # the agency's name, on every row
_STYLES: WeakKeyDictionary[Worksheet, dict[str, StyleArray]] = WeakKeyDictionary()


class Formula:
    """A formula and the value it computes to (the cached value written beside it)."""

    def __init__(self, text: str, cached: Cached) -> None:
        self.text, self.cached = text, cached


def sum_of(cells: list[str], cached: int | None) -> Formula | int | None:
    """The sum of `cells`, blank while none of them holds a number (nothing reported yet)."""
    if not cells:
        return None
    if len(cells) > MAX_REFERENCES:
        return cached
    joined = ",".join(cells)
    return Formula(f'=IF(COUNT({joined})=0,"",SUM({joined}))', "" if cached is None else cached)


def total_of(cells: list[str], cached: int) -> Formula | int:
    """The sum of `cells` (0 for none): a parent's pagu."""
    if not cells or len(cells) > MAX_REFERENCES:
        return cached
    return Formula(f"=SUM({','.join(cells)})", cached)


def total_physical(formula: FormulaType, cells: list[str]) -> str:
    """Total (K) to the quarter: the sum of the quarters reported (positif, negatif), or the last
    quarter reported (persentase, nilai akhir) — nested IFs, which every spreadsheet computes."""
    if formula.sums_quarters:
        joined = ",".join(cells)
        return f'=IF(COUNT({joined})=0,"",SUM({joined}))'
    nested = '""'
    for cell in cells:  # the earliest innermost: the last quarter reported wins
        nested = f"IF(ISNUMBER({cell}),{cell},{nested})"
    return f"={nested}"


def achievement_formula(formula: FormulaType, target: Decimal | None, total: str, target_cell: str) -> str:
    """Capaian (%) of a row whose Total (K) is `total`, or "" when its target divides nothing
    (words, none, 0; a negative target of a negatif indicator), as core/achievement.py has it."""
    if target is None:
        return ""
    if formula is FormulaType.NEGATIVE:
        if target < 0:
            return ""
        return f'=IF({total}="","",IF({total}=0,100,{target_cell}/{total}*100))'
    if target == 0:
        return ""
    return f'=IF({total}="","",{total}/{target_cell}*100)'


def absorption_formula(total: str, pagu: str) -> str:
    return f'=IF({total}="","",{total}/{pagu}*100)'


def style_name(parent: bool, kind: str) -> str:
    return "Normal" if kind == "plain" else f"evaluation-{'parent' if parent else 'sub'}-{kind}"


def register_styles(workbook: Workbook) -> None:
    """Every cell style of the form, registered once (assigning a name is cheap; building fonts
    and borders per cell is not, for 15 agencies × 200 items × 25 columns)."""
    header = NamedStyle(name="evaluation-header", font=Font(bold=True, size=9), fill=HEADER_FILL, border=BORDER)
    header.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    workbook.add_named_style(header)
    for parent in (False, True):
        variants = {
            "text": (Alignment(vertical="top", wrap_text=True), "General"),
            "center": (Alignment(horizontal="center", vertical="top"), "General"),
            "figure": (Alignment(horizontal="right", vertical="top"), "General"),
            "money": (Alignment(vertical="top"), "#,##0"),
            "percent": (Alignment(vertical="top"), "0.0"),
            **{f"name{n}": (Alignment(indent=n, vertical="top", wrap_text=True), "General") for n in range(4)},
        }  # fmt: skip
        for kind, (alignment, number_format) in variants.items():
            workbook.add_named_style(NamedStyle(
                name=style_name(parent, kind), font=Font(bold=parent, size=9), border=BORDER, alignment=alignment,
                fill=PARENT_FILL if parent else PatternFill(), number_format=number_format,
            ))  # fmt: skip


def _new_workbook() -> tuple[Workbook, Worksheet]:
    workbook = Workbook()
    workbook.calculation.fullCalcOnLoad = True  # Excel computes again on opening; the caches are for the rest
    register_styles(workbook)
    sheet = workbook.active
    if not isinstance(sheet, Worksheet):  # a new Workbook() starts with one worksheet, active
        raise TypeError(f"the active sheet is a {type(sheet).__name__}, not a worksheet")
    return workbook, sheet


def agency_evaluation_xlsx(progress: ProposalProgress, quarter: int) -> bytes:
    """One agency's evaluation form, on a sheet named `Evaluasi Renja`."""
    workbook, sheet = _new_workbook()
    sheet.title = SHEET_TITLE
    form = EvaluationSheet(sheet, progress, quarter)
    form.write()
    return save_with_caches(workbook, [form.cached])


def event_evaluation_xlsx(event: Event, progresses: list[ProposalProgress], quarter: int) -> bytes:
    """The event's evaluation: the Ringkasan (one row per agency), then each agency's form."""
    workbook, summary = _new_workbook()
    summary.title = "Ringkasan"
    taken = {"ringkasan"}
    forms = []
    for progress in progresses:
        form = EvaluationSheet(workbook.create_sheet(sheet_title(progress.proposal, taken)), progress, quarter)
        form.write()
        forms.append(form)
    summary_cached = write_summary(summary, event, forms, quarter)
    return save_with_caches(workbook, [summary_cached, *(form.cached for form in forms)])


SUMMARY_HEADERS = (
    ("No", 5), ("Perangkat Daerah", 44), ("Jumlah Sub Kegiatan", 11), ("Pagu (Rp)", 18),
    ("Realisasi s.d. TW {roman} (Rp)", 18), ("Serapan Anggaran (%)", 11), ("Capaian Kinerja (%)", 11),
    ("Predikat", 14), ("Status Triwulan {roman}", 24),
)  # fmt: skip
SUMMARY_KINDS = ("center", "text", "center", "money", "money", "percent", "percent", "text", "text")
SUMMARY_HEADER_ROW = 5


def write_summary(sheet: Worksheet, event: Event, forms: list[EvaluationSheet], quarter: int) -> dict[str, Cached]:
    """The Ringkasan: per agency its pagu and rupiah to the quarter (its sheet's JUMLAH), serapan,
    capaian (its roll-up), predikat and where its report stands; the region's totals and roll-up
    (budget-weighted, as every roll-up) below. Returns the cached values of its formulas."""
    roman = QUARTER_NAMES[quarter - 1]
    heading = (
        (f"REKAPITULASI {TITLE}", Font(bold=True, size=13)),
        (f"{event.title} · Tahun {event.plan_year}", Font(bold=True)),
        (f"{QUARTER_LABEL}: {roman}", Font(bold=True, size=12)),
        ("Pagu dan realisasi: baris JUMLAH lembar tiap perangkat daerah.", Font(italic=True, size=9)),
    )
    for row, (text, font) in enumerate(heading, start=1):
        put(sheet, row, 1, text, "Normal", {})
        sheet.cell(row=row, column=1).font = font
    for column, (header, width) in enumerate(SUMMARY_HEADERS, start=1):
        sheet.cell(row=SUMMARY_HEADER_ROW, column=column, value=header.format(roman=roman)).style = "evaluation-header"
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.row_dimensions[SUMMARY_HEADER_ROW].height = LINE_HEIGHT * 3 + 4
    cached: dict[str, Cached] = {}
    first, last = SUMMARY_HEADER_ROW + 1, SUMMARY_HEADER_ROW + len(forms)
    rows = [_summary_values(first + index, index + 1, form) for index, form in enumerate(forms)]
    for row, values in enumerate([*rows, _summary_total(event, forms, first, last)], start=first):
        for column, (value, kind) in enumerate(zip(values, SUMMARY_KINDS, strict=True), start=1):
            put(sheet, row, column, value, style_name(row > last, kind), cached)
        sheet.row_dimensions[row].height = LINE_HEIGHT * _wrapped_lines(str(values[1]), 44) + 3
    footer = f"Ringkasan evaluasi Renja · Triwulan {roman}"
    print_setup(sheet, title_rows=f"{SUMMARY_HEADER_ROW}:{SUMMARY_HEADER_ROW}", footer=footer)
    return cached


def _summary_values(row: int, position: int, form: EvaluationSheet) -> list[object]:
    progress, quarter = form.progress, form.quarter
    source = "'" + form.sheet.title.replace("'", "''") + "'!"
    pagu_cell, spent_cell = form.cell("budget", form.total_row), form.cell("total_budget", form.total_row)
    absorption = Formula(absorption_formula(f"E{row}", f"D{row}"), number(progress.absorption[quarter - 1]))
    standing = progress.standings[quarter - 1]
    with force_locale("id"):
        status = str(labels.STANDING[standing.standing.value])
    status += ", terlambat" if standing.late else ", lewat tenggat" if standing.overdue else ""
    band = progress.bands[quarter - 1]
    return [
        position,
        progress.proposal.agency.name,
        sum(1 for figures in progress.items if figures.item.level is ItemLevel.SUBKEGIATAN),
        Formula(f"={source}{pagu_cell}", form.pagu),
        Formula(f"={source}{spent_cell}", number(form.spent)),
        absorption if form.pagu else None,
        number(progress.progress[quarter - 1]),
        band.label if band else "",
        status,
    ]


def _summary_total(event: Event, forms: list[EvaluationSheet], first: int, last: int) -> list[object]:
    """JUMLAH: sub kegiatan, pagu and rupiah added up, the region's serapan and its capaian."""
    if not forms:
        return [None, "JUMLAH", 0, 0, None, None, None, None, None]
    quarter, row = forms[0].quarter, last + 1
    subs = sum(sum(1 for f in form.progress.items if f.item.level is ItemLevel.SUBKEGIATAN) for form in forms)
    pagu = sum(form.pagu for form in forms)
    spent = _sum([form.spent for form in forms])
    overall = roll_up([Weighted(form.progress.progress[quarter - 1], form.pagu) for form in forms])
    band = band_of(overall, bands_of(event))
    share = Decimal(spent) / Decimal(pagu) * 100 if spent is not None and pagu else None
    absorption = Formula(absorption_formula(f"E{row}", f"D{row}"), number(share)) if pagu else None
    spent_formula = f'=IF(COUNT(E{first}:E{last})=0,"",SUM(E{first}:E{last}))'
    return [
        None,
        "JUMLAH",
        Formula(f"=SUM(C{first}:C{last})", subs),
        Formula(f"=SUM(D{first}:D{last})", pagu),
        Formula(spent_formula, number(spent)),
        absorption,
        number(overall),
        band.label if band else "",
        None,
    ]


_FORMULA_CELL = re.compile(rb'<c r="([A-Z]+[0-9]+)"([^>]*)><f>([^<]*)</f><v\s*/?>(?:</v>)?</c>')


def save_with_caches(workbook: Workbook, per_sheet: list[dict[str, Cached]]) -> bytes:
    """The workbook's bytes with each formula's cached value in its `<v>` (a blank, "", as an
    empty string result), sheets being sheet1.xml… in the workbook's order."""
    buffer = io.BytesIO()
    workbook.save(buffer)
    return rewrite_formula_cells(buffer.getvalue(), _FORMULA_CELL, [_filler(values) for values in per_sheet])


def _filler(values: dict[str, Cached]) -> Callable[[re.Match[bytes]], bytes]:
    def fill(match: re.Match[bytes]) -> bytes:
        address, attributes, formula = match.group(1), match.group(2), match.group(3)
        value = values.get(address.decode("ascii"))
        if value is None or (isinstance(value, str) and value):
            raise ValueError(f"no cached value for the formula in {address.decode()}: {value!r}")
        if value == "":  # a blank: the empty string the formula gives
            return b'<c r="%s"%s t="str"><f>%s</f><v></v></c>' % (address, attributes, formula)
        text = str(value) if isinstance(value, int) else repr(value)
        return b'<c r="%s"%s><f>%s</f><v>%s</v></c>' % (address, attributes, formula, text.encode())

    return fill
