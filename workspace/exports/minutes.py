"""The berita acara kesepakatan: one document per session or for the whole event.

`build_minutes()` gathers and formats everything once; the A4 print view (HTML template
`outputs/minutes.html`) and the PDF (`minutes_pdf()`, fpdf2 with the DejaVu font vendored in
`exports/fonts/`, so no system package is needed) both render that same `Minutes` object.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask_babel import format_date, format_datetime
from flask_babel import gettext as _
from fpdf import FPDF
from fpdf.fonts import FontFace
from sqlalchemy.orm import selectinload

from workspace import labels
from workspace.exports.pdf import SinergiPDF
from workspace.extensions import db
from workspace.formatting import format_rupiah
from workspace.models import (
    Agency,
    Agreement,
    AgreementDecision,
    Attendance,
    Event,
    ItemLevel,
    Membership,
    Proposal,
    ProposalItem,
    Role,
    Session,
    SessionKind,
    User,
)
from workspace.queries.agreements import SnapshotTotals, state_of

# Characters of an agreement note shown in the PDF's table; longer notes follow the table in full.
NOTE_IN_TABLE = 300


@dataclass(frozen=True)
class AttendanceLine:
    name: str
    position: str
    agency: str
    joined: str


@dataclass(frozen=True)
class ProposalLine:
    """One proposal in the berita acara: its agreement and, where one stands, the sub kegiatan and
    budget as agreed (the snapshot), never as edited since."""

    agency: str
    subkegiatan_count: int
    budget: int
    decision: AgreementDecision | None
    decision_label: str
    note: str
    session_title: str
    # Where it was agreed when that is a breakout of the plenary this document covers.
    breakout_title: str = ""
    changed_since: bool = False

    @property
    def budget_text(self) -> str:
        return format_rupiah(self.budget)

    @property
    def remarks(self) -> list[str]:
        """The note column: where it was agreed (a breakout), the note, a change since."""
        lines = [_("Agreed in %(session)s", session=self.breakout_title)] if self.breakout_title else []
        if self.note:
            lines.append(self.note)
        if self.changed_since:
            lines.append(_("The proposal changed after this agreement; this document shows what was agreed."))
        return lines


@dataclass(frozen=True)
class Signatory:
    role: str
    name: str
    detail: str


@dataclass
class Minutes:
    event: Event
    session: Session | None
    title: str
    scope_title: str
    place: str
    dates: str
    opening: str
    attendance: list[AttendanceLine]
    proposals: list[ProposalLine]
    signatories: list[Signatory]
    decision_counts: dict[str, int] = field(default_factory=dict)

    @property
    def total_budget(self) -> int:
        return sum(line.budget for line in self.proposals)

    @property
    def agreed_budget(self) -> int:
        agreed = (AgreementDecision.AGREED, AgreementDecision.AGREED_WITH_NOTES)
        return sum(line.budget for line in self.proposals if line.decision in agreed)

    @property
    def filename(self) -> str:
        scope = f"sesi-{self.session.id}" if self.session else "rakor"
        return f"berita-acara-{self.event.slug}-{scope}.pdf"


def _scope_sessions(session: Session) -> list[Session]:
    """A plenary's berita acara consolidates its breakouts: the plenary and each of them."""
    return [session, *session.breakouts] if session.kind is SessionKind.PLENARY else [session]


def _proposals_in_scope(event: Event, session: Session | None) -> list[Proposal]:
    query = (
        sa.select(Proposal)
        .join(Agency, Agency.id == Proposal.agency_id)
        .where(Proposal.event_id == event.id)
        .options(selectinload(Proposal.agency), selectinload(Proposal.items).selectinload(ProposalItem.directions))
        .order_by(Agency.region_code, Agency.kind, Agency.name)
    )
    proposals = list(db.session.scalars(query))
    if session is not None and (session.proposals or session.kind is SessionKind.BREAKOUT):
        held = {p.id for part in _scope_sessions(session) for p in part.proposals}
        proposals = [p for p in proposals if p.id in held]
    return proposals


def _current_agreements(event: Event, session: Session | None) -> dict[int, Agreement]:
    """The agreement that stands for each proposal: the latest in this session (a plenary's breakouts
    included), or the latest in the event."""
    query = (
        sa.select(Agreement)
        .join(Session, Session.id == Agreement.session_id)
        .where(Session.event_id == event.id, Agreement.superseded_at.is_(None))
        .options(selectinload(Agreement.session))
        .order_by(Agreement.recorded_at, Agreement.id)
    )
    if session is not None:
        query = query.where(Agreement.session_id.in_([part.id for part in _scope_sessions(session)]))
    return {agreement.proposal_id: agreement for agreement in db.session.scalars(query)}


def _attendance(event: Event, session: Session | None) -> list[AttendanceLine]:
    query = (
        sa.select(Attendance)
        .join(Session, Session.id == Attendance.session_id)
        .where(Session.event_id == event.id)
        .options(selectinload(Attendance.user).selectinload(User.agency))
        .order_by(Attendance.joined_at, Attendance.id)
    )
    if session is not None:
        query = query.where(Attendance.session_id == session.id)
    first_seen: dict[int, Attendance] = {}
    for attendance in db.session.scalars(query):
        first_seen.setdefault(attendance.user_id, attendance)
    lines = [
        AttendanceLine(
            name=attendance.user.name,
            position=attendance.user.position,
            agency=attendance.user.agency.name if attendance.user.agency else "",
            joined=format_datetime(attendance.joined_at, "d MMM yyyy, HH.mm"),
        )
        for attendance in first_seen.values()
    ]
    return sorted(lines, key=lambda line: (line.agency, line.name))


def _signatories(event: Event, proposals: list[Proposal], agreements: dict[int, Agreement]) -> list[Signatory]:
    recorders = {a.recorded_by_id: a.recorded_by for a in agreements.values()}
    if not recorders:
        recorders = {
            m.user_id: m.user
            for m in db.session.scalars(
                sa.select(Membership).where(Membership.event_id == event.id, Membership.role == Role.FACILITATOR)
            )
        }
    people = [
        Signatory(role=_("Facilitator"), name=user.name, detail=user.position)
        for user in sorted(recorders.values(), key=lambda u: u.name)
    ]
    heads = [
        Signatory(role=_("Head of %(agency)s", agency=proposal.agency.name), name="", detail="")
        for proposal in proposals
    ]
    return people + heads


def _dates(event: Event, session: Session | None) -> str:
    if session is not None:
        moment: datetime | None = session.opened_at or session.scheduled_start
        if moment is not None:
            return format_date(moment, "full")
    if event.starts_on == event.ends_on:
        return format_date(event.starts_on, "full")
    return f"{format_date(event.starts_on, 'full')} – {format_date(event.ends_on, 'full')}"


def _proposal_line(
    proposal: Proposal, agreement: Agreement | None, not_discussed: str, session: Session | None
) -> ProposalLine:
    """One proposal's row: the agreement that stands (if any) with the sub kegiatan and budget it
    froze; without an agreement (or one recorded before snapshots), the proposal as it is."""
    if agreement is None:
        subs = [i for i in proposal.items if i.level is ItemLevel.SUBKEGIATAN]
        return ProposalLine(
            agency=proposal.agency.name,
            subkegiatan_count=len(subs),
            budget=sum(i.budget or 0 for i in subs),
            decision=None,
            decision_label=not_discussed,
            note="",
            session_title="",
        )
    state = state_of(agreement, proposal)
    totals = state.agreed_totals
    if totals is None:
        subs = [i for i in proposal.items if i.level is ItemLevel.SUBKEGIATAN]
        totals = SnapshotTotals(len(subs), sum(i.budget or 0 for i in subs))
    in_breakout = session is not None and agreement.session_id != session.id
    return ProposalLine(
        agency=proposal.agency.name,
        subkegiatan_count=totals.subkegiatan_count,
        budget=totals.budget,
        decision=agreement.decision,
        decision_label=str(labels.AGREEMENT_DECISION[agreement.decision]),
        note=agreement.note,
        session_title=agreement.session.title,
        breakout_title=agreement.session.title if in_breakout else "",
        changed_since=state.changed,
    )


def _opening(event: Event, dates: str, place: str) -> str:
    return _(
        "On %(dates)s, at %(place)s, the %(event)s was held with the theme “%(theme)s”. "
        "The participants discussed and synchronised the proposals for plan year %(year)s and agreed "
        "on the following.",
        dates=dates,
        place=place or "–",
        event=event.title,
        theme=event.theme or "–",
        year=event.plan_year,
    )


def build_minutes(event: Event, session: Session | None = None) -> Minutes:
    proposals = _proposals_in_scope(event, session)
    agreements = _current_agreements(event, session)
    not_discussed = _("Not yet discussed")
    lines = [_proposal_line(proposal, agreements.get(proposal.id), not_discussed, session) for proposal in proposals]
    counts = Counter(line.decision_label for line in lines)
    place = ", ".join(part for part in (event.venue, event.city) if part)
    dates = _dates(event, session)
    scope_title = session.title if session else _("The whole event")
    opening = _opening(event, dates, place)
    return Minutes(
        event=event,
        session=session,
        title=_("Minutes of agreement"),
        scope_title=scope_title,
        place=place,
        dates=dates,
        opening=opening,
        attendance=_attendance(event, session),
        proposals=lines,
        signatories=_signatories(event, proposals, agreements),
        decision_counts=dict(counts),
    )


# ---- PDF -------------------------------------------------------------------------------------


class _MinutesPDF(SinergiPDF):
    def __init__(self, footer_text: str) -> None:
        super().__init__()
        self.footer_text = footer_text
        self.set_margins(18, 16, 18)
        self.set_auto_page_break(auto=True, margin=18)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("DejaVu", "", 8)
        self.set_text_color(90, 100, 117)
        self.cell(0, 5, f"{self.footer_text} · {self.page_no()}/{{nb}}", align="C")
        self.set_text_color(0, 0, 0)


def _heading(pdf: FPDF, text: str) -> None:
    pdf.ln(3)
    pdf.set_font("DejaVu", "B", 11)
    pdf.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 9)


def _paragraph(pdf: FPDF, text: str, line_height: float = 5) -> None:
    pdf.multi_cell(0, line_height, text, new_x="LMARGIN", new_y="NEXT")


def _table_headings() -> FontFace:
    """The style of a table's heading row: bold on light blue."""
    return FontFace(emphasis="BOLD", fill_color=(225, 232, 242))


def minutes_pdf(minutes: Minutes) -> bytes:
    """An A4 PDF of the berita acara, from the same `Minutes` as the print view."""
    pdf = _MinutesPDF(footer_text=f"{minutes.title} · {minutes.event.title}"[:140])
    pdf.set_title(f"{minutes.title} – {minutes.scope_title}")
    pdf.alias_nb_pages()
    pdf.add_page()
    _write_title_and_opening(pdf, minutes)
    _write_attendance(pdf, minutes.attendance)
    _heading(pdf, _("II. Agreements on the proposals"))
    long_notes = _write_agreements_table(pdf, minutes)
    _write_agreement_totals(pdf, minutes)
    _write_long_notes(pdf, long_notes)
    _write_signatures(pdf, minutes.signatories)
    return bytes(pdf.output())


def _write_title_and_opening(pdf: FPDF, minutes: Minutes) -> None:
    """The centred title, event and scope, then the opening paragraph."""
    pdf.set_font("DejaVu", "B", 14)
    pdf.multi_cell(0, 7, minutes.title.upper(), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "B", 11)
    pdf.multi_cell(0, 6, minutes.event.title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    pdf.multi_cell(0, 5.5, minutes.scope_title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("DejaVu", "", 10)
    _paragraph(pdf, minutes.opening, line_height=5.5)


def _write_attendance(pdf: FPDF, attendance: list[AttendanceLine]) -> None:
    """Section I: who attended, one row each (or a line saying nobody's attendance was recorded)."""
    _heading(pdf, _("I. Attendance (%(count)d people)", count=len(attendance)))
    if not attendance:
        _paragraph(pdf, _("Nobody's attendance was recorded."))
        return
    with pdf.table(
        col_widths=(8, 50, 44, 50, 24), headings_style=_table_headings(), line_height=4.6, padding=1
    ) as table:
        table.row([_("No."), _("Name"), _("Position"), _("Agency"), _("Time")])
        for number, person in enumerate(attendance, start=1):
            table.row([str(number), person.name, person.position, person.agency, person.joined])


def _write_agreements_table(pdf: FPDF, minutes: Minutes) -> list[tuple[int, str, str]]:
    """Section II's table: one row per proposal and a total row. Returns the notes too long for a
    row, as (number, agency, note): a table row cannot run over a page, so they follow the table."""
    long_notes: list[tuple[int, str, str]] = []
    with pdf.table(
        col_widths=(8, 52, 16, 32, 28, 40),
        headings_style=_table_headings(),
        line_height=4.6,
        padding=1,
        text_align=("LEFT", "LEFT", "RIGHT", "RIGHT", "LEFT", "LEFT"),
    ) as table:
        table.row([_("No."), _("Agency"), _("Sub-activities"), _("Indicative budget"), _("Agreement"), _("Note")])
        for number, line in enumerate(minutes.proposals, start=1):
            note = "\n".join(line.remarks)
            if len(note) > NOTE_IN_TABLE:
                long_notes.append((number, line.agency, note))
                note = note[:NOTE_IN_TABLE].rstrip() + "… " + _("(full note below, no. %(number)d)", number=number)
            table.row(
                [str(number), line.agency, str(line.subkegiatan_count), line.budget_text, line.decision_label, note]
            )
        table.row(
            [
                "",
                _("Total"),
                str(sum(p.subkegiatan_count for p in minutes.proposals)),
                format_rupiah(minutes.total_budget),
                "",
                "",
            ]
        )
    return long_notes


def _write_agreement_totals(pdf: FPDF, minutes: Minutes) -> None:
    """Below the table: the budget agreed, and how many proposals each decision got."""
    pdf.ln(2)
    _paragraph(pdf, _("Budget of the agreed proposals: %(amount)s", amount=format_rupiah(minutes.agreed_budget)))
    for label, count in sorted(minutes.decision_counts.items()):
        _paragraph(pdf, f"{label}: {count}")


def _write_long_notes(pdf: FPDF, long_notes: list[tuple[int, str, str]]) -> None:
    """The agreement notes cut short in the table, in full, by their row number."""
    if not long_notes:
        return
    _heading(pdf, _("Full notes"))
    for number, agency, note in long_notes:
        _paragraph(pdf, f"{number}. {agency}: {note}")
        pdf.ln(1)


def _write_signatures(pdf: FPDF, signatories: list[Signatory]) -> None:
    """Section III: two signature blocks a row; a row that would not fit starts a new page."""
    _heading(pdf, _("III. Signatures"))
    column_width = (pdf.w - pdf.l_margin - pdf.r_margin) / 2
    for pair_start in range(0, len(signatories), 2):
        if pdf.get_y() > pdf.h - 60:
            pdf.add_page()
        top = pdf.get_y() + 2
        for column, signatory in enumerate(signatories[pair_start : pair_start + 2]):
            _write_signature_block(pdf, signatory, x=pdf.l_margin + column * column_width, top=top, width=column_width)
        pdf.set_y(top + 42)


def _write_signature_block(pdf: FPDF, signatory: Signatory, x: float, top: float, width: float) -> None:
    """The role, room to sign, then the name and NIP (dotted lines where they are to be written)."""
    pdf.set_xy(x, top)
    pdf.set_font("DejaVu", "", 9)
    pdf.multi_cell(width - 4, 4.6, signatory.role, align="C")
    pdf.set_xy(x, top + 26)
    pdf.set_font("DejaVu", "B", 9)
    pdf.multi_cell(width - 4, 4.6, signatory.name or "(" + "." * 40 + ")", align="C")
    pdf.set_font("DejaVu", "", 8)
    pdf.set_x(x)
    pdf.multi_cell(width - 4, 4.2, signatory.detail or _("NIP.") + " " + "." * 30, align="C")
