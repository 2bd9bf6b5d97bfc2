"""An agency's quarterly Renja evaluation as an A4 landscape PDF to sign (Permendagri 86/2017;
DESIGN.md §9): the event's kop, *EVALUASI TERHADAP HASIL RENJA PERANGKAT DAERAH* with the agency and
*TRIWULAN II TAHUN 2024*, the period and where the report stands, the table (fewer columns than the
XLSX, so that it fits: Kode, Program / Kegiatan / Sub Kegiatan, Indikator, Target, the quarter's
realisation and the realisation to date, K and Rp, Capaian and Predikat to date), the agency's
roll-up, the quarter's permasalahan and solusi, and the signature of the head of the agency (place,
date, a line for the name and the NIP); "Halaman x dari y" on every page.

Indonesian whatever the UI language, as the XLSX (a planning document). The figures are those of
the monitoring pages (`queries/realisation.py`); a program's or kegiatan's capaian is the
budget-weighted roll-up of the sub kegiatan beneath it.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask_babel import force_locale, format_date
from fpdf import FPDF
from fpdf.fonts import FontFace

from workspace.core.achievement import cumulative_realisation, shown
from workspace.exports.evaluation_columns import QUARTER_NAMES
from workspace.exports.letterhead import letterhead_of, write_letterhead
from workspace.exports.minutes import Signatory
from workspace.exports.pdf import OfficialPDF
from workspace.exports.renja_evaluation import TITLE
from workspace.formatting import format_number, format_rupiah
from workspace.models import DocumentSettings, ItemLevel
from workspace.queries.realisation import ItemProgress, ProposalProgress, formula_of, physical_value

# Kode, name, indicator, target, TW n (K, Rp), s.d. TW n (K, Rp), capaian, predikat: 267 mm.
COLUMN_WIDTHS = (25, 62, 45, 22, 14, 24, 14, 24, 16, 21)
HEADINGS = FontFace(emphasis="BOLD", fill_color=(225, 232, 242))
PARENT_ROW = FontFace(emphasis="BOLD", fill_color=(242, 245, 250))
SIGNATURE_HEIGHT = 42.0  # mm: place and date, the position, room to sign, the name line, the NIP
INDENT = "\u00a0\u00a0\u00a0"  # a level deeper in the tree (non-breaking: the table keeps them)
STANDING_WORDS = {"belum_diisi": "belum diisi", "diisi": "diisi", "diverifikasi": "diverifikasi",
                  "dikembalikan": "dikembalikan untuk diperbaiki"}  # fmt: skip


def evaluation_pdf(progress: ProposalProgress, quarter: int, settings: DocumentSettings, today: date) -> bytes:
    """The agency's evaluation to `quarter` (1–4), signed on `today` at the event's signing place."""
    proposal, roman = progress.proposal, QUARTER_NAMES[quarter - 1]
    with force_locale("id"):  # "Halaman x dari y", the months: Indonesian whatever the UI language
        pdf = OfficialPDF(footer_text=f"Evaluasi Renja {proposal.agency.short_name} · Triwulan {roman} "
                          f"{proposal.plan_year}"[:140], orientation="L")  # fmt: skip
        pdf.set_margins(15, 12, 15)
        pdf.set_auto_page_break(auto=True, margin=16)
        pdf.set_title(f"Evaluasi Renja {proposal.agency.name} triwulan {roman} {proposal.plan_year}")
        pdf.add_page()
        write_letterhead(pdf, letterhead_of(settings))
        _write_title(pdf, progress, quarter)
        _write_table(pdf, progress, quarter)
        _write_roll_up(pdf, progress, quarter)
        _write_notes(pdf, progress, quarter)
        place = settings.signing_place or proposal.event.city
        _write_signature(pdf, f"{place or '……'}, {format_date(today, 'd MMMM yyyy')}", proposal.agency.name)
        return bytes(pdf.output())


def _centred(pdf: FPDF, text: str, size: float, bold: bool = True, height: float = 5.6) -> None:
    pdf.set_font("DejaVu", "B" if bold else "", size)
    pdf.multi_cell(0, height, text, align="C", new_x="LMARGIN", new_y="NEXT")


def _write_title(pdf: FPDF, progress: ProposalProgress, quarter: int) -> None:
    """The title in three lines, then the event, the period and where the quarter's report stands."""
    proposal, standing = progress.proposal, progress.standings[quarter - 1]
    _centred(pdf, TITLE, 12.5, height=6.2)
    _centred(pdf, proposal.agency.name.upper(), 12, height=6)
    _centred(pdf, f"TRIWULAN {QUARTER_NAMES[quarter - 1]} TAHUN {proposal.plan_year}", 12, height=6)
    period = standing.quarter
    _centred(pdf, proposal.event.title, 9.5, bold=False, height=5)
    when = f"{format_date(period.starts_on, 'd MMMM yyyy')} s.d. {format_date(period.ends_on, 'd MMMM yyyy')}"
    report = f"laporan {STANDING_WORDS[standing.standing.value]}"
    if standing.first_reported is not None:
        report += f", dilaporkan {format_date(standing.first_reported, 'd MMMM yyyy')}"
    report += " (terlambat)" if standing.late else " (lewat tenggat)" if standing.overdue else ""
    deadline = format_date(period.deadline, "d MMMM yyyy")
    _centred(pdf, f"Periode {when} · batas pelaporan {deadline} · {report}", 8.5, bold=False, height=4.6)
    pdf.ln(3)


def _figure(value: Decimal | None) -> str:
    """A K value as written: `12`, `12,5` (no trailing zeros); "" for none."""
    if value is None:
        return ""
    text = f"{value:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", ",")


def _money(value: int | None) -> str:
    return "" if value is None else format_number(value)


def _to_date(values: list[int | None], quarter: int) -> int | None:
    known = [value for value in values[:quarter] if value is not None]
    return sum(known) if known else None


def _item_cells(figures: ItemProgress, quarter: int) -> list[str]:
    item = figures.item
    physical = [physical_value(stored.physical) if stored else None for stored in figures.quarters]
    band = figures.bands[quarter - 1]
    return [
        item.code,
        INDENT * figures.depth + item.name,
        item.indicator,
        f"{figures.target} {item.unit}".strip() if figures.target else "",
        _figure(physical[quarter - 1]),
        _money(figures.budget_realised[quarter - 1]),
        _figure(cumulative_realisation(formula_of(item), physical, quarter)),
        _money(_to_date(figures.budget_realised, quarter)),
        shown(figures.progress[quarter - 1]),
        band.label if band else "",
    ]


def _write_table(pdf: FPDF, progress: ProposalProgress, quarter: int) -> None:
    roman = QUARTER_NAMES[quarter - 1]
    pdf.set_font("DejaVu", "", 7.5)
    with pdf.table(
        col_widths=COLUMN_WIDTHS,
        headings_style=HEADINGS,
        num_heading_rows=2,
        repeat_headings=1,
        line_height=3.6,
        padding=0.8,
        text_align=("LEFT", "LEFT", "LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "LEFT"),
        v_align="TOP",
    ) as table:
        first = table.row()
        for text in ("Kode", "Program / Kegiatan / Sub Kegiatan", "Indikator Kinerja", "Target"):
            first.cell(text, rowspan=2, align="CENTER", v_align="MIDDLE")
        first.cell(f"Realisasi TW {roman}", colspan=2, align="CENTER")
        first.cell(f"Realisasi s.d. TW {roman}", colspan=2, align="CENTER")
        first.cell(f"Capaian s.d. TW {roman} (%)", rowspan=2, align="CENTER", v_align="MIDDLE")
        first.cell("Predikat", rowspan=2, align="CENTER", v_align="MIDDLE")
        second = table.row()
        for text in ("K", "Rp", "K", "Rp"):
            second.cell(text, align="CENTER")
        for figures in progress.items:
            parent = figures.item.level is not ItemLevel.SUBKEGIATAN
            table.row(_item_cells(figures, quarter), style=PARENT_ROW if parent else None)
        tops = [figures for figures in progress.items if figures.item.parent_id is None]
        realised = [_to_date([f.budget_realised[n] for f in tops], 1) for n in range(4)]
        band = progress.bands[quarter - 1]
        total = table.row(style=PARENT_ROW)
        total.cell("JUMLAH", colspan=4, align="RIGHT")
        for text in ("", _money(realised[quarter - 1]), "", _money(_to_date(realised, quarter))):
            total.cell(text)
        total.cell(shown(progress.progress[quarter - 1]))
        total.cell(band.label if band else "")


def _write_roll_up(pdf: FPDF, progress: ProposalProgress, quarter: int) -> None:
    """Below the table: the agency's capaian and absorption to the quarter, in words."""
    roman, band = QUARTER_NAMES[quarter - 1], progress.bands[quarter - 1]
    tops = [figures for figures in progress.items if figures.item.parent_id is None]
    pagu = sum(figures.pagu for figures in tops)
    spent = _to_date([_to_date([f.budget_realised[n] for f in tops], 1) for n in range(4)], quarter)
    achievement = progress.progress[quarter - 1]
    parts = [
        f"Capaian kinerja s.d. triwulan {roman}: "
        + (f"{shown(achievement)} %" + (f" ({band.label})" if band else "") if achievement is not None else "–"),
        f"realisasi anggaran belum dilaporkan (pagu {format_rupiah(pagu)})"
        if spent is None
        else f"realisasi anggaran {format_rupiah(spent)} dari pagu {format_rupiah(pagu)}"
        + (
            f" (serapan {shown(progress.absorption[quarter - 1])} %)"
            if progress.absorption[quarter - 1] is not None
            else ""
        ),
    ]
    pdf.ln(2)
    pdf.set_font("DejaVu", "", 9)
    pdf.multi_cell(0, 4.8, "; ".join(parts) + ".", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 7.5)
    pdf.multi_cell(
        0, 4, "Capaian program dan kegiatan: rata-rata capaian sub kegiatan di bawahnya, tertimbang pagu. "
        "K = kinerja (nilai indikator), Rp = rupiah.", new_x="LMARGIN", new_y="NEXT",
    )  # fmt: skip


def _write_notes(pdf: FPDF, progress: ProposalProgress, quarter: int) -> None:
    """The quarter's permasalahan and solusi / tindak lanjut, item by item (those that have any)."""
    roman = QUARTER_NAMES[quarter - 1]
    noted = [
        (figures, stored)
        for figures in progress.items
        if (stored := figures.quarters[quarter - 1]) is not None and (stored.problem or stored.solution)
    ]
    if pdf.get_y() > pdf.h - 45:
        pdf.add_page()
    pdf.ln(3)
    pdf.set_font("DejaVu", "B", 10)
    pdf.multi_cell(0, 6, f"Permasalahan dan Solusi / Tindak Lanjut Triwulan {roman}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 8.5)
    if not noted:
        pdf.multi_cell(0, 5, f"Tidak ada permasalahan yang dilaporkan untuk triwulan {roman}.",
                       new_x="LMARGIN", new_y="NEXT")  # fmt: skip
        return
    pdf.set_font("DejaVu", "", 7.5)
    with pdf.table(
        col_widths=(9, 25, 73, 80, 80), headings_style=HEADINGS, line_height=3.6, padding=0.8,
        text_align=("CENTER", "LEFT", "LEFT", "LEFT", "LEFT"), v_align="TOP", repeat_headings=1,
    ) as table:  # fmt: skip
        table.row(["No", "Kode", "Program / Kegiatan / Sub Kegiatan", "Permasalahan", "Solusi / Tindak Lanjut"])
        for number, (figures, stored) in enumerate(noted, start=1):
            table.row([str(number), figures.item.code, figures.item.name, stored.problem, stored.solution])


def _write_signature(pdf: FPDF, place_and_date: str, agency_name: str) -> None:
    """Over the right half: place and date, "Kepala <agency>,", room to sign, a line for the
    name and the NIP; never cut over two pages."""
    signatory = Signatory(role=f"Kepala {agency_name}", position="", name="", nip="")
    if pdf.get_y() > pdf.h - 16 - SIGNATURE_HEIGHT - 4:
        pdf.add_page()
    pdf.ln(5)
    width = pdf.epw / 2.6
    x = pdf.w - pdf.r_margin - width
    pdf.set_font("DejaVu", "", 9.5)
    for text in (place_and_date, f"{signatory.role},"):
        pdf.set_x(x)
        pdf.multi_cell(width, 4.8, text, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(20)
    pdf.set_font("DejaVu", "B", 9.5)
    pdf.set_x(x)
    pdf.multi_cell(width, 4.8, signatory.name_line, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 9)
    pdf.set_x(x)
    pdf.multi_cell(width, 4.6, signatory.nip_line, align="C", new_x="LMARGIN", new_y="NEXT")
