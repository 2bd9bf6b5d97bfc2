"""Issue 18, items 3 and 5: the realisation page per quarter, and the verification of a quarter —
verified (closed to edits) or returned with a note (its reporters notified; their next edit
reopens it); the standings belum diisi / diisi / diverifikasi / dikembalikan with late and overdue
marks; the reminders three days before a deadline, sent once; who may do what; the history."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import htmx_post
from tests.factories import World, make_agency, make_user
from workspace.extensions import db
from workspace.models import (
    AgencyKind,
    AgencyLevel,
    EventPhase,
    ItemLevel,
    MonitoringSettings,
    Notification,
    Proposal,
    ProposalItem,
    QuarterReview,
    Realisation,
    Revision,
    Role,
)
from workspace.queries.realisation import Standing, proposal_progress
from workspace.services import reminders


def _sub(world: World, index: int = 0) -> ProposalItem:
    return [i for i in world.proposal.items if i.level is ItemLevel.SUBKEGIATAN][index]


def _report(client, item: ProposalItem, quarter: int, field: str, value: str, base: str = ""):
    return htmx_post(client, f"/usulan/butir/{item.id}/realisasi/{quarter}/{field}", {"value": value, "base": base})


def _review(client, world: World, quarter: int, verdict: str, note: str = ""):
    return htmx_post(
        client, f"/usulan/{world.proposal.id}/realisasi/{quarter}/verifikasi", {"verdict": verdict, "note": note}
    )


def _standings(world: World) -> list[Standing]:
    db.session.expire_all()
    return [s.standing for s in proposal_progress(db.session.get(Proposal, world.proposal.id)).standings]


def _reviews() -> list[tuple]:
    db.session.expire_all()
    return [(r.quarter, r.status.value, r.note) for r in db.session.scalars(sa.select(QuarterReview))]


def test_the_page_shows_each_quarter_with_its_rows_and_who_may_write(monitoring: World, login_as: Callable) -> None:
    participant = login_as(monitoring.participant)
    page = participant.get(f"/usulan/{monitoring.proposal.id}/realisasi?tw=2").get_data(as_text=True)
    assert 'data-mode="realisation"' in page and 'data-can-edit="true"' in page and 'data-can-verify="false"' in page
    for item in monitoring.proposal.items:
        assert f'id="realisation-{item.id}-2"' in page
    sub = _sub(monitoring)
    assert f'id="item-{sub.id}-q2_physical"' in page and f'id="item-{sub.id}-q2_budget"' in page
    assert "Realisasi TW II (K)" in page and "Cara capaian dihitung" in page
    reviewer_page = login_as(monitoring.reviewer).get(f"/usulan/{monitoring.proposal.id}/realisasi?tw=2")
    text = reviewer_page.get_data(as_text=True)
    assert 'data-can-edit="false"' in text and 'data-can-verify="true"' in text
    assert "peserta Kesbangpol" in text  # the read-only reason names who reports


def test_a_bad_quarter_opens_the_current_one_and_the_editor_shows_the_stored_value(
    monitoring: World, login_as: Callable
) -> None:
    participant, sub = login_as(monitoring.participant), _sub(monitoring)
    assert participant.get(f"/usulan/{monitoring.proposal.id}/realisasi?tw=9").status_code == 200
    _report(participant, sub, 1, "budget", "25.000.000")
    editor = participant.get(f"/usulan/butir/{sub.id}/realisasi/1/budget", headers={"HX-Request": "true"})
    assert 'value="25.000.000"' in editor.get_data(as_text=True) and 'name="base" value="25000000"' in editor.get_data(
        as_text=True
    )
    assert participant.get(f"/usulan/butir/{sub.id}/realisasi/1/target").status_code == 422
    assert participant.get(f"/usulan/butir/{sub.id}/realisasi/5/physical").status_code == 404


def test_budget_is_realised_on_sub_activities_only(monitoring: World, login_as: Callable) -> None:
    program = next(i for i in monitoring.proposal.items if i.level is ItemLevel.PROGRAM)
    refused = _report(login_as(monitoring.participant), program, 1, "budget", "1000")
    assert refused.status_code == 422 and "tidak dapat diubah" in refused.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Realisation)) == 0


def test_verify_closes_the_quarter_and_return_notifies_and_an_edit_reopens_it(
    monitoring: World, login_as: Callable
) -> None:
    participant, reviewer, sub = login_as(monitoring.participant), login_as(monitoring.reviewer), _sub(monitoring)
    assert _standings(monitoring)[0] is Standing.EMPTY
    nothing = _review(reviewer, monitoring, 1, "verified")
    assert nothing.status_code == 422 and "Belum ada realisasi" in nothing.get_data(as_text=True)
    _report(participant, sub, 1, "physical", "1")
    assert _standings(monitoring)[0] is Standing.FILLED
    assert _review(reviewer, monitoring, 1, "verified").status_code == 200
    assert _standings(monitoring)[0] is Standing.VERIFIED
    closed = _report(participant, sub, 1, "physical", "2", base="1")
    assert closed.status_code == 422 and "sudah diverifikasi" in closed.get_data(as_text=True)
    page = participant.get(f"/usulan/{monitoring.proposal.id}/realisasi?tw=1").get_data(as_text=True)
    assert f'<td class="num" id="item-{sub.id}-q1_physical"' in page  # closed: no editor for anyone

    no_note = _review(reviewer, monitoring, 1, "returned")
    assert no_note.status_code == 422 and "perlu catatan" in no_note.get_data(as_text=True)
    assert _review(reviewer, monitoring, 1, "returned", "Bukti kegiatan belum ada").status_code == 200
    assert _reviews() == [(1, "returned", "Bukti kegiatan belum ada")]
    notified = db.session.scalars(sa.select(Notification).where(Notification.kind == "realisation-returned")).all()
    assert {n.user_id for n in notified} == {monitoring.participant.id}
    assert "mengembalikan realisasi triwulan I" in notified[0].message
    assert _standings(monitoring)[0] is Standing.RETURNED
    assert _report(participant, sub, 1, "physical", "2", base="1").status_code == 200
    assert _standings(monitoring)[0] is Standing.FILLED and _reviews() == []
    lines = db.session.scalars(
        sa.select(Revision.field).where(Revision.action == "realisation").order_by(Revision.id)
    ).all()
    assert lines == ["q1_physical", "q1_review", "q1_review", "q1_physical"]


@pytest.mark.parametrize(
    ("verdict", "note", "message"),
    [
        ("maybe", "", "Pilih: verifikasi"),
        ("returned", "   ", "perlu catatan"),
        ("returned", "x" * 2001, "Paling banyak 2000 karakter"),
    ],
)
def test_bad_verdicts_are_refused_and_nothing_is_stored(
    monitoring: World, login_as: Callable, verdict: str, note: str, message: str
) -> None:
    _report(login_as(monitoring.participant), _sub(monitoring), 1, "physical", "1")
    refused = _review(login_as(monitoring.reviewer), monitoring, 1, verdict, note)
    assert refused.status_code == 422 and message in refused.get_data(as_text=True)
    assert _reviews() == []


def test_who_verifies(monitoring: World, login_as: Callable) -> None:
    _report(login_as(monitoring.participant), _sub(monitoring), 1, "physical", "1")
    for person in (monitoring.participant, monitoring.other_participant, monitoring.facilitator, monitoring.observer):
        assert _review(login_as(person), monitoring, 1, "verified").status_code == 403
    province_bappeda = make_agency(
        AgencyLevel.PROVINSI, "Provinsi Kalimantan Barat", kind=AgencyKind.BAPPEDA, event=monitoring.event
    )
    planner = make_user(monitoring.event, (Role.PARTICIPANT,), province_bappeda, name="Perencana Provinsi")
    db.session.commit()
    assert _review(login_as(planner), monitoring, 1, "verified").status_code == 200
    assert _reviews() == [(1, "verified", "")]


def test_outside_the_monitoring_phase_nothing_is_verified(world: World, login_as: Callable) -> None:
    refused = _review(login_as(world.reviewer), world, 1, "verified")
    assert refused.status_code == 422 and "tahap Monev" in refused.get_data(as_text=True)


def _deadline_in(world: World, days: int, quarter: int = 1) -> date:
    today = date.today()
    settings = db.session.get(MonitoringSettings, world.event.id) or MonitoringSettings(event_id=world.event.id)
    setattr(settings, f"deadline_{quarter}", today + timedelta(days=days))
    db.session.add(settings)
    db.session.commit()
    return today


def test_late_and_overdue_marks(monitoring: World, login_as: Callable) -> None:
    _deadline_in(monitoring, -5, quarter=1)
    _deadline_in(monitoring, -5, quarter=2)
    db.session.expire_all()
    proposal = db.session.get(Proposal, monitoring.proposal.id)
    assert [s.overdue for s in proposal_progress(proposal).standings[:2]] == [True, True]
    _report(login_as(monitoring.participant), _sub(monitoring), 2, "physical", "1")
    db.session.expire_all()
    standings = proposal_progress(db.session.get(Proposal, monitoring.proposal.id)).standings
    assert (standings[1].late, standings[1].overdue) == (True, False)
    page = login_as(monitoring.reviewer).get(f"/usulan/{monitoring.proposal.id}/realisasi?tw=2").get_data(as_text=True)
    assert "terlambat" in page and "lewat tenggat" in page


def test_reminders_three_days_before_the_deadline_once_for_empty_or_returned_quarters(
    monitoring: World, login_as: Callable
) -> None:
    today = _deadline_in(monitoring, 3, quarter=1)
    _deadline_in(monitoring, 10, quarter=2)  # too early to remind
    assert reminders.send_deadline_reminders(monitoring.event, today) == 2  # both proposals' TW I are empty
    again = reminders.send_deadline_reminders(monitoring.event, today + timedelta(days=1))
    assert again == 0
    due = db.session.scalars(sa.select(Notification).where(Notification.kind == "realisation-due")).all()
    assert {n.user_id for n in due} == {monitoring.participant.id, monitoring.other_participant.id}
    assert all("TW" not in n.message and "triwulan I " in n.message for n in due)
    monitoring.event.phase = EventPhase.REVIEW
    db.session.commit()
    _deadline_in(monitoring, 2, quarter=2)
    assert reminders.send_deadline_reminders(monitoring.event, today) == 0  # not monitoring: nothing


def test_a_filled_quarter_is_not_reminded(monitoring: World, login_as: Callable) -> None:
    today = _deadline_in(monitoring, 1, quarter=3)
    _report(login_as(monitoring.participant), _sub(monitoring), 3, "physical", "1")
    assert reminders.send_deadline_reminders(monitoring.event, today) == 1  # only the other proposal's
