"""The berita acara kesepakatan: one document per session or for the whole event.

`build_minutes()` gathers and formats everything once; the A4 print view (the fragment
`outputs/_minutes_document.html`) and the PDF (`exports/minutes_pdf.py`, fpdf2 with the DejaVu font
vendored in `exports/fonts/`) both render that same `Minutes` object. Without a number it is the
draft, computed from the agreements as they stand; services/documents.py finalises it: numbered,
dated, its bytes stored.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import format_date, format_time, get_locale, to_user_timezone
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from workspace import labels
from workspace.exports.attendance_list import attendance_lines, attendance_sessions
from workspace.exports.letterhead import Letterhead, letterhead_of
from workspace.extensions import db
from workspace.formatting import format_nip, format_rupiah, local_today, spelled_number, zone_name
from workspace.models import (
    Agency,
    Agreement,
    AgreementDecision,
    DocumentSettings,
    Event,
    ItemLevel,
    Membership,
    Proposal,
    ProposalItem,
    Role,
    Session,
    User,
)
from workspace.queries.agreements import SnapshotTotals, state_of
from workspace.queries.documents import document_settings

# Characters of an agreement note shown in the PDF's table; longer notes follow the table in full.
NOTE_IN_TABLE = 300


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
    """A signature block: "Fasilitator," then the jabatan, room to sign, the name, rank and NIP;
    what is not known yet is a dotted line to write on."""

    role: str
    position: str
    name: str
    nip: str
    rank: str = ""

    @property
    def name_line(self) -> str:
        return self.name or "(" + "." * 40 + ")"

    @property
    def nip_line(self) -> str:
        return f"{_('NIP.')} {format_nip(self.nip) if self.nip else '.' * 30}"


@dataclass(frozen=True)
class FinalDetails:
    """What finalising adds: the number, the date it is signed, what it corrects."""

    number: str
    document_date: date
    replaces_number: str = ""
    replaces_date: date | None = None
    correction_reason: str = ""


@dataclass
class Minutes:
    event: Event
    session: Session | None
    title: str
    scope_title: str
    place: str
    dates: str
    opening: str
    attendance_summary: str
    proposals: list[ProposalLine]
    signatories: list[Signatory]
    acknowledger: Signatory
    representatives: list[str]
    letterhead: Letterhead
    signing_place: str
    document_date: date
    closing: str
    final: FinalDetails | None = None
    decision_counts: dict[str, int] = field(default_factory=dict)

    @property
    def is_draft(self) -> bool:
        return self.final is None

    @property
    def number_text(self) -> str:
        return self.final.number if self.final else _("(given when the document is finalised)")

    @property
    def place_and_date(self) -> str:
        return f"{self.signing_place or '……'}, {format_date(self.document_date, 'd MMMM yyyy')}"

    @property
    def correction_text(self) -> str:
        if self.final is None or not self.final.replaces_number:
            return ""
        return _(
            "This document corrects and replaces the minutes number %(number)s of %(date)s. Reason: %(reason)s",
            number=self.final.replaces_number,
            date=format_date(self.final.replaces_date, "d MMMM yyyy") if self.final.replaces_date else "–",
            reason=self.final.correction_reason,
        )

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
        suffix = "-" + "".join(c if c.isalnum() else "-" for c in self.final.number) if self.final else "-draf"
        return f"berita-acara-{self.event.slug}-{scope}{suffix}.pdf"


# A plenary's berita acara consolidates its breakouts: the plenary and each of them.
_scope_sessions = attendance_sessions


def _proposals_in_scope(event: Event, session: Session | None) -> list[Proposal]:
    query = (
        sa.select(Proposal)
        .join(Agency, Agency.id == Proposal.agency_id)
        .where(Proposal.event_id == event.id)
        .options(selectinload(Proposal.agency), selectinload(Proposal.items).selectinload(ProposalItem.directions))
        .order_by(Agency.region_code, Agency.kind, Agency.name)
    )
    proposals = list(db.session.scalars(query))
    if session is not None and (session.proposals or session.parent_id is not None):
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


def _attendance_summary(event: Event, session: Session | None, zone: str) -> str:
    lines = attendance_lines(event, _scope_sessions(session) if session else None, zone)
    if not lines:
        return _("Nobody's attendance was recorded.")
    return _(
        "The meeting was attended by %(people)d people from %(agencies)d agencies, as recorded in the attendance list.",
        people=len(lines),
        agencies=len({line.agency for line in lines if line.agency}),
    )


def _facilitators(event: Event, agreements: dict[int, Agreement]) -> list[User]:
    """Who recorded the agreements of this document; before any, the event's facilitators."""
    recorders = {a.recorded_by_id: a.recorded_by for a in agreements.values()}
    if not recorders:
        recorders = {
            m.user_id: m.user
            for m in db.session.scalars(
                sa.select(Membership).where(Membership.event_id == event.id, Membership.role == Role.FACILITATOR)
            )
        }
    return sorted(recorders.values(), key=lambda u: u.name)


def _signatories(event: Event, agreements: dict[int, Agreement], settings: DocumentSettings) -> list[Signatory]:
    """The facilitators who recorded the agreements, then the organiser's signatory."""
    people = [
        Signatory(role=_("Facilitator"), position=user.position, name=user.name, nip=user.nip or "")
        for user in _facilitators(event, agreements)
    ]
    organiser = Signatory(
        role=_("Organiser"),
        position=settings.organiser_title,
        name=settings.organiser_name,
        nip=settings.organiser_nip,
    )
    return [*people, organiser]


def _acknowledger(settings: DocumentSettings) -> Signatory:
    """ "Mengetahui": the head of the organising agency."""
    return Signatory(
        role=_("Acknowledged by"),
        position=settings.head_title or _("Head of the organising agency"),
        name=settings.head_name,
        nip=settings.head_nip,
        rank=settings.head_rank,
    )


def _meeting_day(event: Event, session: Session | None) -> date | None:
    """The one day the document covers, or None for an event over several days."""
    if session is not None:
        moment: datetime | None = session.opened_at or session.scheduled_start
        if moment is not None:
            return to_user_timezone(moment).date()  # the day in the event's zone
    return event.starts_on if event.starts_on == event.ends_on else None


def _dates(event: Event, session: Session | None) -> str:
    day = _meeting_day(event, session)
    if day is not None:
        return format_date(day, "full")
    return f"{format_date(event.starts_on, 'full')} – {format_date(event.ends_on, 'full')}"


def _times(session: Session | None, zone: str) -> str:
    """ "pukul 09.00 s.d. 15.30 WIB" from when the session was open (or was planned to be)."""
    if session is None:
        return ""
    start = session.opened_at or session.scheduled_start
    end = session.closed_at if session.opened_at else session.scheduled_end
    if start is None:
        return ""
    if end is None or end <= start:
        return _("from %(start)s %(zone)s", start=format_time(start, "HH.mm"), zone=zone)
    return _(
        "from %(start)s to %(end)s %(zone)s",
        start=format_time(start, "HH.mm"),
        end=format_time(end, "HH.mm"),
        zone=zone,
    )


def _date_clause(event: Event, session: Session | None) -> str:
    """ "Pada hari ini Selasa tanggal dua puluh satu bulan Maret tahun dua ribu dua puluh tiga
    (21-03-2023)", or the span of an event over several days."""
    day = _meeting_day(event, session)
    if day is None:
        return _(
            "From %(first)s to %(last)s",
            first=format_date(event.starts_on, "EEEE, d MMMM yyyy"),
            last=format_date(event.ends_on, "EEEE, d MMMM yyyy"),
        )
    language = str(get_locale() or "id").split("_")[0]
    return _(
        "On this day, %(weekday)s, the %(day)s of %(month)s in the year %(year)s (%(date)s)",
        weekday=format_date(day, "EEEE"),
        day=spelled_number(day.day, language),
        month=format_date(day, "MMMM"),
        year=spelled_number(day.year, language),
        date=day.strftime("%d-%m-%Y"),
    )


def _opening(event: Event, session: Session | None, place: str, zone: str) -> str:
    times = _times(session, zone)
    return _(
        "%(date_clause)s%(times)s, at %(place)s, the %(event)s (%(scope)s) was held with the theme "
        "“%(theme)s”. The participants discussed and synchronised the proposals for plan year %(year)s "
        "and agreed on the following.",
        date_clause=_date_clause(event, session),
        times=f", {times}" if times else "",
        place=place or "–",
        event=event.title,
        scope=session.title if session else _("the whole event"),
        theme=event.theme or "–",
        year=event.plan_year,
    )


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


def build_minutes(event: Event, session: Session | None = None, final: FinalDetails | None = None) -> Minutes:
    """The berita acara of a session (a plenary's with its breakouts) or of the whole event: the
    draft as things stand, or, with `final`, the document being finalised."""
    zone = zone_name(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    proposals = _proposals_in_scope(event, session)
    agreements = _current_agreements(event, session)
    not_discussed = _("Not yet discussed")
    lines = [_proposal_line(proposal, agreements.get(proposal.id), not_discussed, session) for proposal in proposals]
    settings = document_settings(event)
    place = ", ".join(part for part in (event.venue, event.city) if part)
    today = local_today()
    return Minutes(
        event=event,
        session=session,
        title=_("Minutes of agreement"),
        scope_title=session.title if session else _("The whole event"),
        place=place,
        dates=_dates(event, session),
        opening=_opening(event, session, place, zone),
        attendance_summary=_attendance_summary(event, session, zone),
        proposals=lines,
        signatories=_signatories(event, agreements, settings),
        acknowledger=_acknowledger(settings),
        # In the agreements table's order (province, then by region code), each agency once.
        representatives=list(dict.fromkeys(proposal.agency.name for proposal in proposals)),
        letterhead=letterhead_of(settings),
        signing_place=settings.signing_place or event.city,
        document_date=final.document_date if final else today,
        closing=_("These minutes were drawn up truthfully, to be used as appropriate."),
        final=final,
        decision_counts=dict(Counter(line.decision_label for line in lines)),
    )


def minutes_html(minutes: Minutes) -> str:
    """The print view's document alone (kop, logo and all inside it): what a final berita acara
    stores beside its PDF."""
    return render_template("outputs/_minutes_document.html", minutes=minutes)
