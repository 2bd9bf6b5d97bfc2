"""The demo's monitoring year (issue 18, item 9): last year's rakor (plans for the year before the
demo meeting's), its plans agreed, in its monitoring phase with the quarters that have ended
reported — most on time, some late, some returned with a note, some verified, the latest not in
yet for a few agencies — so the
dashboard, the realisation pages and the evaluation form show something real on `make run`.

Deterministic (seeded by agency), seeded with the rest of the demo in its unit of work, written
directly (nothing is published: nobody is online yet). The demo's people take the same roles in it.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa

from workspace.extensions import db
from workspace.models import (
    Agency,
    Agreement,
    AgreementDecision,
    Event,
    EventPhase,
    FollowUp,
    FollowUpStatus,
    ItemLevel,
    Membership,
    Proposal,
    QuarterReview,
    Realisation,
    ReviewStatus,
    Session,
    SessionKind,
    SessionStatus,
    User,
)
from workspace.queries.agreements import proposal_snapshot
from workspace.queries.monitoring import default_deadline, quarter_bounds

MONITORING_SLUG = "monev-kesbangpol-kalbar-demo"
# How far along each agency is (share of the year's target realised by the year's end): a spread
# over the five bands.
PACES = (1.0, 0.92, 0.8, 0.7, 0.55, 0.97, 0.85, 0.45, 1.05, 0.75, 0.9, 0.62, 0.88, 0.98, 0.68)
PROBLEMS = (
    ("Jadwal narasumber dari kementerian mundur dua minggu.", "Kegiatan dijadwalkan ulang pada bulan berikutnya."),
    ("Peserta dari kecamatan terpencil terkendala transportasi.", "Sebagian sesi dilaksanakan daring."),
    ("Pencairan anggaran triwulan terlambat.", "Koordinasi dengan BPKAD; kegiatan dipadatkan."),
)
RETURN_NOTE = "Bukti dukung kegiatan belum dilampirkan dan realisasi anggaran tidak sesuai SP2D; mohon dilengkapi."


def add_monitoring_year(
    meeting: Event,
    agencies: list[Agency],
    build_proposal: Callable[[Event, Agency, int], None],
    today: date,
) -> Event | None:
    """Inside the demo's unit of work: the monitoring event with its proposals, agreements,
    realisation, reviews and follow-ups (nothing when it exists already)."""
    if db.session.scalar(sa.select(Event).where(Event.slug == MONITORING_SLUG)) is not None:
        return None
    year = meeting.plan_year - 1  # last year's rakor planned this year: its follow-ups are listed now
    event = Event(
        slug=MONITORING_SLUG,
        title=f"Rakor dan Sinkronisasi Perencanaan Perangkat Daerah Kesbangpol se Kalimantan Barat {year - 1}",
        theme="Sinergi Perencanaan untuk Persatuan",
        venue="Hotel Aston Pontianak, Jl. Gajah Mada No. 201",
        city="Pontianak",
        starts_on=date(year - 1, 3, 14),
        ends_on=date(year - 1, 3, 15),
        plan_year=year,
        phase=EventPhase.MONITORING,
    )
    db.session.add(event)
    event.agencies = list(meeting.agencies)
    for membership in list(db.session.scalars(sa.select(Membership).where(Membership.event_id == meeting.id))):
        db.session.add(Membership(event=event, user_id=membership.user_id, role=membership.role))
    for seed, agency in enumerate(agencies):
        build_proposal(event, agency, seed + 100)
    db.session.flush()
    proposals = list(db.session.scalars(sa.select(Proposal).where(Proposal.event_id == event.id).order_by(Proposal.id)))
    recorder = _someone(meeting, "fasilitator")
    reviewer = _someone(meeting, "peninjau")
    agreements = _agreements(event, proposals, recorder)
    for index, proposal in enumerate(proposals):
        _realise(proposal, index, year, today, reviewer)
    _follow_ups(event, proposals, agreements, recorder)
    return event


def _someone(meeting: Event, username: str) -> User:
    user = db.session.scalar(sa.select(User).where(User.username == username))
    assert user is not None, f"the demo's {username} is seeded before its monitoring year"
    return user


def _agreements(event: Event, proposals: list[Proposal], recorder: User) -> dict[int, Agreement]:
    held = datetime.combine(event.starts_on, time(7, 0))  # 14.00 WIB
    plenary = Session(
        event=event,
        kind=SessionKind.PLENARY,
        title="Pleno II: Perumusan Kesepakatan",
        status=SessionStatus.CLOSED,
        scheduled_start=held,
        scheduled_end=held + timedelta(hours=3),
        opened_at=held,
        closed_at=held + timedelta(hours=3),
    )
    db.session.add(plenary)
    agreements = {}
    for proposal in proposals:
        agreement = Agreement(
            session=plenary,
            proposal_id=proposal.id,
            decision=AgreementDecision.AGREED,
            recorded_by_id=recorder.id,
            recorded_at=held + timedelta(hours=2),
            at_revision=proposal.revision,
            snapshot=proposal_snapshot(proposal),
        )
        db.session.add(agreement)
        agreements[proposal.id] = agreement
    db.session.flush()
    return agreements


def _decimal_text(value: Decimal) -> str:
    text = f"{value.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")


def _reported_at(day: date) -> datetime:
    return datetime.combine(day, time(3, 30))  # 10.30 WIB


def _realise(proposal: Proposal, index: int, year: int, today: date, reviewer: User) -> None:
    rng = random.Random(f"sinergi-monev-{proposal.agency.region_code}-{index}")
    pace = PACES[index % len(PACES)]
    ended = [q for q in range(1, 5) if quarter_bounds(year, q)[1] < today]
    if not ended:
        return
    latest = ended[-1]
    subs = [item for item in proposal.items if item.level is ItemLevel.SUBKEGIATAN]
    for quarter in ended:
        if quarter == latest and index % 4 == 3:
            continue  # not in yet: overdue once its deadline passes
        deadline = default_deadline(year, quarter)
        late = index % 5 == 2 and quarter == latest
        day = deadline + timedelta(days=3) if late else deadline - timedelta(days=rng.randint(1, 8))
        for position, item in enumerate(subs):
            target = Decimal(item.target or "0")
            share = Decimal(str(pace / 4 * rng.uniform(0.8, 1.2)))
            spent = int((item.budget or 0) * pace / 4 * rng.uniform(0.7, 1.1)) // 1000 * 1000
            problem, solution = PROBLEMS[(index + position) % len(PROBLEMS)] if position % 3 == 0 else ("", "")
            db.session.add(
                Realisation(
                    item_id=item.id,
                    quarter=quarter,
                    physical=_decimal_text(target * share),
                    budget=spent,
                    problem=problem if pace < 0.8 else "",
                    solution=solution if pace < 0.8 else "",
                    reported_at=_reported_at(day),
                    updated_at=_reported_at(day),
                )
            )
        _review(proposal, quarter, latest, index, reviewer, deadline)


def _review(proposal: Proposal, quarter: int, latest: int, index: int, reviewer: User, deadline: date) -> None:
    if quarter == latest - 1 and index % 6 == 1:
        status, note = ReviewStatus.RETURNED, RETURN_NOTE
    elif quarter < latest or index % 3 == 0:
        status, note = ReviewStatus.VERIFIED, ""
    else:
        return  # diisi: waiting for the reviewer
    db.session.add(
        QuarterReview(
            proposal_id=proposal.id,
            quarter=quarter,
            status=status,
            note=note,
            reviewer_id=reviewer.id,
            decided_at=_reported_at(deadline + timedelta(days=4)),
        )
    )


def _follow_ups(event: Event, proposals: list[Proposal], agreements: dict[int, Agreement], recorder: User) -> None:
    actions = (
        ("Menyelaraskan indikator sub kegiatan wawasan kebangsaan dengan Renstra provinsi", FollowUpStatus.DONE),
        ("Menyusun jadwal bersama forum pembauran kebangsaan se-kabupaten", FollowUpStatus.OPEN),
        ("Mengusulkan tambahan pagu deteksi dini konflik pada APBD Perubahan", FollowUpStatus.DROPPED),
        ("Melaporkan realisasi triwulan melalui Sinergi, tidak lagi lewat surel", FollowUpStatus.DONE),
    )
    for (what, status), proposal in zip(actions, proposals[1::3], strict=False):
        db.session.add(
            FollowUp(
                event_id=event.id,
                proposal_id=proposal.id,
                agreement_id=agreements[proposal.id].id,
                what=what,
                who=proposal.agency.short_name,
                due_on=date(event.plan_year, 6, 30),
                status=status,
                outcome="Sudah dibahas dalam rapat koordinasi triwulan." if status is not FollowUpStatus.OPEN else "",
                created_by_id=recorder.id,
            )
        )
