"""The daftar hadir: who was present in a session (or anywhere in the event), as Indonesian
attendance forms lay it out: No, Nama, Jabatan, Perangkat Daerah, Waktu, and a Tanda tangan column
whose numbered lines alternate left and right so that neighbours never sign over each other.

`build_attendance_list()` gathers once; the print view (`outputs/attendance.html`), the PDF
(`attendance_pdf()`) and the XLSX (`attendance_xlsx()`) all render that same object.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import format_date, format_time
from flask_babel import gettext as _
from fpdf import FPDF
from fpdf.fonts import FontFace
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy.orm import selectinload

from workspace.exports.letterhead import Letterhead, letterhead_of, write_letterhead
from workspace.exports.pdf import OfficialPDF
from workspace.extensions import db
from workspace.models import Attendance, Event, Session, SessionKind, User
from workspace.queries.documents import document_settings


@dataclass(frozen=True)
class AttendanceLine:
    name: str
    position: str
    agency: str
    joined: str  # "09.12 WIB"
    day: str  # "21 Mar 2023"

    @property
    def name_and_position(self) -> str:
        return f"{self.name}\n{self.position}" if self.position else self.name


@dataclass(frozen=True)
class AttendanceList:
    event: Event
    session: Session | None
    title: str
    scope_title: str
    when: str
    place: str
    zone: str
    lines: list[AttendanceLine]
    letterhead: Letterhead

    @property
    def agency_count(self) -> int:
        return len({line.agency for line in self.lines if line.agency})

    @property
    def filename_stem(self) -> str:
        scope = f"sesi-{self.session.id}" if self.session else "rakor"
        return f"daftar-hadir-{self.event.slug}-{scope}"


def attendance_sessions(session: Session) -> list[Session]:
    """The rooms a session's records cover: a plenary and its breakouts, or the one breakout."""
    return [session, *session.breakouts] if session.kind is SessionKind.PLENARY else [session]


def attendance_lines(event: Event, sessions: list[Session] | None, zone: str) -> list[AttendanceLine]:
    """Each person once, at their first arrival in these sessions (every session of the event when
    `sessions` is None), sorted by agency then name as the form is read."""
    query = (
        sa.select(Attendance)
        .join(Session, Session.id == Attendance.session_id)
        .where(Session.event_id == event.id)
        .options(selectinload(Attendance.user).selectinload(User.agency))
        .order_by(Attendance.joined_at, Attendance.id)
    )
    if sessions is not None:
        query = query.where(Attendance.session_id.in_([s.id for s in sessions]))
    first_seen: dict[int, Attendance] = {}
    for attendance in db.session.scalars(query):
        first_seen.setdefault(attendance.user_id, attendance)
    lines = [
        AttendanceLine(
            name=attendance.user.name,
            position=attendance.user.position,
            agency=attendance.user.agency.name if attendance.user.agency else "",
            joined=f"{format_time(attendance.joined_at, 'HH.mm')} {zone}",
            day=format_date(attendance.joined_at, "d MMM yyyy"),
        )
        for attendance in first_seen.values()
    ]
    return sorted(lines, key=lambda line: (line.agency, line.name))


def build_attendance_list(event: Event, session: Session | None, zone: str) -> AttendanceList:
    """The daftar hadir of one session (its own room only: a breakout has its own form) or of the
    whole event."""
    lines = attendance_lines(event, [session] if session is not None else None, zone)
    moment = (session.opened_at or session.scheduled_start) if session is not None else None
    if moment is not None:
        when = format_date(moment, "full")
    elif event.starts_on == event.ends_on:
        when = format_date(event.starts_on, "full")
    else:
        when = f"{format_date(event.starts_on, 'd MMMM yyyy')} – {format_date(event.ends_on, 'd MMMM yyyy')}"
    return AttendanceList(
        event=event,
        session=session,
        title=_("Attendance list"),
        scope_title=session.title if session else _("The whole event"),
        when=when,
        place=", ".join(part for part in (event.venue, event.city) if part),
        zone=zone,
        lines=lines,
        letterhead=letterhead_of(document_settings(event)),
    )


def signature_slot(number: int) -> tuple[str, str]:
    """The Tanda tangan column of row `number`: odd rows sign on the left half, even rows on the
    right, each after its number ("1. ……", "      2. ……")."""
    slot = f"{number}. " + "." * 18
    return (slot, "") if number % 2 else ("", slot)


# ---- PDF -------------------------------------------------------------------------------------

# No, Nama / Jabatan, Perangkat Daerah, Waktu, Tanda tangan (left, right): 172 mm of A4 portrait.
_COLUMNS = (9.0, 52.0, 45.0, 18.0, 24.0, 24.0)


def attendance_pdf(attendance: AttendanceList) -> bytes:
    pdf = OfficialPDF(footer_text=f"{attendance.title} · {attendance.scope_title}"[:140])
    pdf.set_title(f"{attendance.title} – {attendance.scope_title}")
    pdf.add_page()
    write_letterhead(pdf, attendance.letterhead)
    _write_heading(pdf, attendance)
    _write_table(pdf, attendance)
    return bytes(pdf.output())


def _write_heading(pdf: FPDF, attendance: AttendanceList) -> None:
    pdf.set_font("DejaVu", "B", 13)
    pdf.multi_cell(0, 6.5, attendance.title.upper(), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "B", 10)
    pdf.multi_cell(0, 5.5, attendance.event.title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("DejaVu", "", 9.5)
    for label, value in (
        (_("Session"), attendance.scope_title),
        (_("Day, date"), attendance.when),
        (_("Place"), attendance.place or "–"),
    ):
        pdf.cell(32, 5, label)
        pdf.cell(4, 5, ":")
        pdf.multi_cell(0, 5, value, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)


def _write_table(pdf: FPDF, attendance: AttendanceList) -> None:
    headings = [_("No."), _("Name / position"), _("Agency"), _("Time"), _("Signature")]
    with pdf.table(
        col_widths=_COLUMNS,
        line_height=5,
        padding=(1.2, 1),
        headings_style=_headings_style(),
        text_align=("CENTER", "LEFT", "LEFT", "CENTER", "LEFT", "LEFT"),
        num_heading_rows=1,
        repeat_headings=1,
    ) as table:
        heading = table.row()
        for index, text in enumerate(headings):
            heading.cell(text, colspan=2 if index == 4 else 1, align="CENTER")
        for number, line in enumerate(attendance.lines, start=1):
            left, right = signature_slot(number)
            table.row([str(number), line.name_and_position, line.agency, line.joined, left, right])
        if not attendance.lines:
            row = table.row()
            row.cell(_("Nobody's attendance was recorded."), colspan=6, align="CENTER")


def _headings_style() -> FontFace:
    return FontFace(emphasis="BOLD", fill_color=(225, 232, 242))


# ---- XLSX ------------------------------------------------------------------------------------


def attendance_xlsx(attendance: AttendanceList) -> bytes:
    """The attendance as a spreadsheet: one row a person, ready to print on A4 portrait."""
    workbook = Workbook()
    sheet = workbook.active
    assert isinstance(sheet, Worksheet)
    sheet.title = _("Attendance")[:31]
    sheet.append([attendance.title.upper()])
    sheet.append([attendance.event.title])
    sheet.append([f"{_('Session')}: {attendance.scope_title} · {attendance.when} · {attendance.place}"])
    sheet.append([])
    header_row = 5
    sheet.append([_("No."), _("Name"), _("Position"), _("Agency"), _("Date"), _("Time"), _("Signature")])
    for number, line in enumerate(attendance.lines, start=1):
        sheet.append([number, line.name, line.position, line.agency, line.day, line.joined, ""])
    _format_attendance_sheet(sheet, header_row, len(attendance.lines))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _format_attendance_sheet(sheet: Worksheet, header_row: int, count: int) -> None:
    sheet["A1"].font = Font(bold=True, size=13)
    sheet["A2"].font = Font(bold=True)
    thin = Side(style="thin", color="8A94A6")
    for width, letter in zip((6, 30, 28, 34, 13, 11, 22), "ABCDEFG", strict=True):
        sheet.column_dimensions[letter].width = width
    for row_number in range(header_row, header_row + count + 1):
        for column in range(1, 8):
            cell = sheet.cell(row=row_number, column=column)
            cell.border = Border(left=thin, right=thin, top=thin, bottom=thin)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            if row_number == header_row:
                cell.font = Font(bold=True)
                cell.fill = PatternFill("solid", fgColor="E1E8F2")
                cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        if row_number > header_row:
            sheet.row_dimensions[row_number].height = 30  # room to sign
    sheet.freeze_panes = f"A{header_row + 1}"
    sheet.print_title_rows = f"{header_row}:{header_row}"
    sheet.page_setup.orientation = "portrait"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    sheet.page_margins.left = sheet.page_margins.right = 0.5
    sheet.print_options.horizontalCentered = True
