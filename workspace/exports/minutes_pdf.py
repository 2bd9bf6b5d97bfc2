"""The berita acara as an A4 PDF to sign, from the same `Minutes` as the print view
(`outputs/_minutes_document.html`): kop, title and number, "Pada hari ini …", attendance,
agreements and totals, closing formula, place and date, signature blocks ("Mengetahui" last), the
agencies' representatives, and "Halaman x dari y" on every page."""

from __future__ import annotations

from flask_babel import gettext as _
from fpdf import FPDF
from fpdf.fonts import FontFace

from workspace.exports.letterhead import write_letterhead
from workspace.exports.minutes import NOTE_IN_TABLE, Minutes, Signatory
from workspace.exports.pdf import OfficialPDF, heading_width
from workspace.formatting import format_rupiah

SIGNATURE_HEIGHT = 46.0  # mm a signature block takes: role, jabatan, room to sign, name, NIP


def minutes_pdf(minutes: Minutes) -> bytes:
    footer = f"{minutes.title} · {_('Number')} {minutes.final.number}" if minutes.final else _("DRAFT")
    pdf = OfficialPDF(footer_text=footer[:140])
    pdf.set_title(f"{minutes.title} – {minutes.scope_title}")
    pdf.add_page()
    write_letterhead(pdf, minutes.letterhead)
    _write_title(pdf, minutes)
    pdf.set_font("DejaVu", "", 10)
    _paragraph(pdf, minutes.opening, line_height=5.5)
    if minutes.correction_text:
        pdf.set_font("DejaVu", "B", 9.5)
        _paragraph(pdf, minutes.correction_text)
        pdf.set_font("DejaVu", "", 10)
    _heading(pdf, _("I. Attendance"))
    _paragraph(pdf, minutes.attendance_summary)
    _heading(pdf, _("II. Agreements on the proposals"))
    long_notes = _write_agreements_table(pdf, minutes)
    _write_agreement_totals(pdf, minutes)
    _write_long_notes(pdf, long_notes)
    pdf.ln(3)
    pdf.set_font("DejaVu", "", 10)
    _paragraph(pdf, minutes.closing, line_height=5.5)
    _write_signatures(pdf, minutes)
    _write_representatives(pdf, minutes.representatives)
    return bytes(pdf.output())


def _heading(pdf: FPDF, text: str) -> None:
    pdf.ln(3)
    pdf.set_font("DejaVu", "B", 10.5)
    pdf.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 9.5)


def _paragraph(pdf: FPDF, text: str, line_height: float = 5) -> None:
    pdf.multi_cell(0, line_height, text, new_x="LMARGIN", new_y="NEXT", align="J")


def _table_headings() -> FontFace:
    """The style of a table's heading row: bold on light blue."""
    return FontFace(emphasis="BOLD", fill_color=(225, 232, 242))


def _write_title(pdf: FPDF, minutes: Minutes) -> None:
    """BERITA ACARA KESEPAKATAN, the event, the scope, "Nomor: …" (DRAF before finalising)."""
    if minutes.is_draft:
        pdf.set_font("DejaVu", "B", 10)
        pdf.set_text_color(176, 48, 40)
        pdf.multi_cell(0, 5, _("DRAFT — not final, not to be signed"), align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0, 0, 0)
    pdf.set_font("DejaVu", "B", 13)
    pdf.multi_cell(0, 6.5, minutes.title.upper(), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "B", 10.5)
    pdf.multi_cell(0, 5.5, minutes.event.title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    pdf.multi_cell(0, 5.2, minutes.scope_title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.multi_cell(0, 5.2, f"{_('Number')}: {minutes.number_text}", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)


def _agreement_columns(pdf: FPDF, headings: list[str]) -> tuple[float, ...]:
    """No, Perangkat Daerah, Sub kegiatan, Pagu, Kesepakatan, Catatan: the narrow columns as wide
    as their longest heading word, the agency and the note sharing the rest."""
    pdf.set_font("DejaVu", "B", 9)
    number = heading_width(pdf, headings[0], minimum=8)
    subs = heading_width(pdf, headings[2], minimum=16)
    budget = max(heading_width(pdf, headings[3]), pdf.get_string_width("Rp 999.999.999.999") + 3)
    decision = heading_width(pdf, headings[4], minimum=27)
    rest = pdf.epw - number - subs - budget - decision
    return (number, rest * 0.48, subs, budget, decision, rest * 0.52)


def _write_agreements_table(pdf: FPDF, minutes: Minutes) -> list[tuple[int, str, str]]:
    """Section II's table: one row per proposal and the total row once. Returns the notes too long
    for a row, as (number, agency, note): a table row cannot run over a page, so they follow it."""
    headings = [_("No."), _("Agency"), _("Sub-activities"), _("Indicative budget"), _("Agreement"), _("Note")]
    long_notes: list[tuple[int, str, str]] = []
    with pdf.table(
        col_widths=_agreement_columns(pdf, headings),
        headings_style=_table_headings(),
        line_height=4.6,
        padding=1,
        text_align=("CENTER", "LEFT", "RIGHT", "RIGHT", "LEFT", "LEFT"),
        repeat_headings=1,
    ) as table:
        pdf.set_font("DejaVu", "", 9)
        table.row(headings)
        for number, line in enumerate(minutes.proposals, start=1):
            note = "\n".join(line.remarks)
            if len(note) > NOTE_IN_TABLE:
                long_notes.append((number, line.agency, note))
                note = note[:NOTE_IN_TABLE].rstrip() + "… " + _("(full note below, no. %(number)d)", number=number)
            table.row(
                [str(number), line.agency, str(line.subkegiatan_count), line.budget_text, line.decision_label, note]
            )
        total = table.row(style=FontFace(emphasis="BOLD"))
        total.cell("")
        total.cell(_("Total"))
        total.cell(str(sum(p.subkegiatan_count for p in minutes.proposals)))
        total.cell(format_rupiah(minutes.total_budget))
        total.cell("")
        total.cell("")
    return long_notes


def _write_agreement_totals(pdf: FPDF, minutes: Minutes) -> None:
    """Below the table: the budget agreed, and how many proposals each decision got."""
    pdf.ln(2)
    pdf.set_font("DejaVu", "", 9.5)
    _paragraph(pdf, _("Budget of the agreed proposals: %(amount)s", amount=format_rupiah(minutes.agreed_budget)))
    counts = "; ".join(f"{label}: {count}" for label, count in sorted(minutes.decision_counts.items()))
    if counts:
        _paragraph(pdf, counts)


def _write_long_notes(pdf: FPDF, long_notes: list[tuple[int, str, str]]) -> None:
    """The agreement notes cut short in the table, in full, by their row number."""
    if not long_notes:
        return
    _heading(pdf, _("Full notes"))
    for number, agency, note in long_notes:
        _paragraph(pdf, f"{number}. {agency}: {note}")
        pdf.ln(1)


def _write_signatures(pdf: FPDF, minutes: Minutes) -> None:
    """The place and date over the right column, the signatories two a row, then "Mengetahui"
    centred below; a row that would not fit starts a new page (never a block cut in two)."""
    column_width = pdf.epw / 2
    if pdf.get_y() > pdf.h - 18 - SIGNATURE_HEIGHT - 8:
        pdf.add_page()
    pdf.ln(4)
    pdf.set_font("DejaVu", "", 10)
    pdf.set_x(pdf.l_margin + column_width)
    pdf.cell(column_width - 2, 5, minutes.place_and_date, align="C", new_x="LMARGIN", new_y="NEXT")
    signatories = minutes.signatories
    for pair_start in range(0, len(signatories), 2):
        if pdf.get_y() > pdf.h - 18 - SIGNATURE_HEIGHT:
            pdf.add_page()
        top = pdf.get_y() + 1
        pair = signatories[pair_start : pair_start + 2]
        for column, signatory in enumerate(pair):
            # A lone last block (an odd count) signs on the right, under the place and date.
            place = column if len(pair) == 2 else 1
            _write_signature_block(pdf, signatory, x=pdf.l_margin + place * column_width, top=top, width=column_width)
        pdf.set_y(top + SIGNATURE_HEIGHT)
    if pdf.get_y() > pdf.h - 18 - SIGNATURE_HEIGHT - 6:
        pdf.add_page()
    _write_signature_block(
        pdf, minutes.acknowledger, x=pdf.l_margin + column_width / 2, top=pdf.get_y() + 1, width=column_width
    )
    pdf.set_y(pdf.get_y() + 4)


def _write_signature_block(pdf: FPDF, signatory: Signatory, x: float, top: float, width: float) -> None:
    """ "Fasilitator," and the jabatan; room to sign; the name, underlined; rank; NIP."""
    inner = width - 6
    pdf.set_xy(x, top)
    pdf.set_font("DejaVu", "", 9.5)
    pdf.multi_cell(inner, 4.6, f"{signatory.role},", align="C", new_x="LEFT", new_y="NEXT")
    if signatory.position:
        pdf.multi_cell(inner, 4.4, signatory.position, align="C", new_x="LEFT", new_y="NEXT")
    pdf.set_xy(x, max(pdf.get_y(), top + 9) + 17)
    pdf.set_font("DejaVu", "B", 9.5)
    name_width = min(pdf.get_string_width(signatory.name_line), inner)
    pdf.multi_cell(inner, 4.6, signatory.name_line, align="C", new_x="LEFT", new_y="NEXT")
    if signatory.name:
        underline_y = pdf.get_y() - 0.4
        pdf.line(x + (inner - name_width) / 2, underline_y, x + (inner + name_width) / 2, underline_y)
    pdf.set_font("DejaVu", "", 9)
    if signatory.rank:
        pdf.multi_cell(inner, 4.3, signatory.rank, align="C", new_x="LEFT", new_y="NEXT")
    pdf.multi_cell(inner, 4.3, signatory.nip_line, align="C", new_x="LEFT", new_y="NEXT")


def _write_representatives(pdf: FPDF, agencies: list[str]) -> None:
    """The agencies that agreed, each with its representative's name and signature."""
    if not agencies:
        return
    if pdf.get_y() > pdf.h - 60:
        pdf.add_page()
    _heading(pdf, _("Representatives of the agencies"))
    pdf.set_font("DejaVu", "", 9)
    with pdf.table(
        col_widths=(9, 74, 52, 20, 20),
        headings_style=_table_headings(),
        line_height=8,
        padding=(1.2, 1),
        text_align=("CENTER", "LEFT", "LEFT", "LEFT", "LEFT"),
        repeat_headings=1,
    ) as table:
        heading = table.row()
        for index, text in enumerate((_("No."), _("Agency"), _("Name"), _("Signature"))):
            heading.cell(text, colspan=2 if index == 3 else 1, align="CENTER")
        for number, agency in enumerate(agencies, start=1):
            slot = f"{number}. ……"
            table.row([str(number), agency, "", slot if number % 2 else "", "" if number % 2 else slot])
