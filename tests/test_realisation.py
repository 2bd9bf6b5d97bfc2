"""Issue 18, item 3 (server side): the realisation of an item's quarter — physical (K), budget
(Rp), permasalahan, solusi — set value by value by whoever works on the proposal, in the monitoring
phase, with compare-and-set and a history; every bad value refused naming its field, nothing
stored; and what it makes: the achievement by the item's formula, the absorption, the band, the
proposal's roll-up."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tests.conftest import htmx_post
from tests.factories import World
from workspace.extensions import db
from workspace.models import EventPhase, ItemLevel, Proposal, ProposalItem, Realisation, Revision
from workspace.queries.realisation import proposal_progress


def _sub(world: World, index: int = 0) -> ProposalItem:
    return [i for i in world.proposal.items if i.level is ItemLevel.SUBKEGIATAN][index]


def _report(client, item: ProposalItem, quarter: int, field: str, value: str, base: str = ""):
    return htmx_post(client, f"/usulan/butir/{item.id}/realisasi/{quarter}/{field}", {"value": value, "base": base})


def _rows() -> list[tuple]:
    db.session.expire_all()
    return [
        (r.item_id, r.quarter, r.physical, r.budget, r.problem, r.solution)
        for r in db.session.scalars(sa.select(Realisation).order_by(Realisation.id))
    ]


def test_the_agency_reports_a_quarter_and_its_history_is_kept(monitoring: World, login_as: Callable) -> None:
    participant, item = login_as(monitoring.participant), _sub(monitoring)
    revision = monitoring.proposal.revision
    saved = _report(participant, item, 1, "physical", "1,5")
    assert saved.status_code == 200 and f'id="realisation-{item.id}-1"' in saved.get_data(as_text=True)
    assert saved.headers["X-Sinergi-Revision"] == str(revision + 1)
    assert _report(participant, item, 1, "budget", "Rp 25.000.000").status_code == 200
    assert _report(participant, item, 1, "problem", "Jadwal narasumber mundur").status_code == 200
    assert _report(participant, item, 1, "physical", "2", base="1,5").status_code == 200
    assert _rows() == [(item.id, 1, "2", 25_000_000, "Jadwal narasumber mundur", "")]
    history = db.session.execute(
        sa.select(Revision.action, Revision.field, Revision.old_value, Revision.new_value)
        .where(Revision.proposal_id == monitoring.proposal.id, Revision.proposal_revision > revision)
        .order_by(Revision.id)
    ).all()
    assert [tuple(h) for h in history] == [
        ("realisation", "q1_physical", "", "1,5"),
        ("realisation", "q1_budget", "", "25000000"),
        ("realisation", "q1_problem", "", "Jadwal narasumber mundur"),
        ("realisation", "q1_physical", "1,5", "2"),
    ]
    assert db.session.scalar(sa.select(Realisation.reported_at)) is not None


def test_a_stale_write_is_refused_with_the_value_someone_else_wrote(monitoring: World, login_as: Callable) -> None:
    item = _sub(monitoring)
    first, second = login_as(monitoring.participant), login_as(monitoring.participant)
    assert _report(first, item, 2, "physical", "3").status_code == 200
    stale = _report(second, item, 2, "physical", "4", base="")
    page = stale.get_data(as_text=True)
    assert stale.status_code == 409 and 'class="conflict-theirs">3<' in page and 'class="conflict-mine">4<' in page
    assert stale.headers["HX-Retarget"] == f"#item-{item.id}-q2_physical"
    assert _rows()[0][2] == "3"


@pytest.mark.parametrize(
    ("quarter", "field", "value", "message"),
    [
        (1, "physical", "-1", "Realisasi fisik: angka 0 atau lebih"),
        (1, "physical", "tiga", "Realisasi fisik: angka 0 atau lebih"),
        (1, "physical", "١٢", "Realisasi fisik: angka 0 atau lebih"),
        (1, "budget", "1,5", "Realisasi anggaran: jumlah rupiah bulat"),
        (1, "budget", "9" * 16, "Realisasi anggaran: lebih dari Rp 100 triliun"),
        (1, "problem", "x" * 2001, "Paling banyak 2000 karakter"),
        (1, "target", "3", "tidak dapat diubah"),
        (5, "physical", "3", "Triwulan adalah 1, 2, 3 atau 4"),
    ],
)
def test_bad_values_are_refused_naming_the_field_and_nothing_is_stored(
    monitoring: World, login_as: Callable, quarter: int, field: str, value: str, message: str
) -> None:
    response = _report(login_as(monitoring.participant), _sub(monitoring), quarter, field, value)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert _rows() == []


def test_only_the_agencies_working_on_it_report_and_only_in_monitoring(world: World, login_as: Callable) -> None:
    item = _sub(world)
    early = _report(login_as(world.participant), item, 1, "physical", "1")
    assert early.status_code == 422 and "tahap Monev" in early.get_data(as_text=True)
    world.event.phase = EventPhase.MONITORING
    db.session.commit()
    for person in (world.other_participant, world.facilitator, world.organiser, world.reviewer, world.observer):
        assert _report(login_as(person), item, 1, "physical", "1").status_code == 403
    assert login_as(world.outsider).post(f"/usulan/butir/{item.id}/realisasi/1/physical").status_code in (400, 403)
    assert _rows() == []


def test_the_realisation_makes_the_achievement_absorption_band_and_roll_up(
    monitoring: World, login_as: Callable
) -> None:
    participant = login_as(monitoring.participant)
    first, second = _sub(monitoring, 0), _sub(monitoring, 1)  # targets 4 laporan; pagu 100 jt and 250 jt
    for quarter, value in ((1, "1"), (2, "1"), (3, "2")):
        _report(participant, first, quarter, "physical", value)
    _report(participant, first, 1, "budget", "60000000")
    _report(participant, second, 1, "physical", "2")
    db.session.expire_all()
    proposal = db.session.get(Proposal, monitoring.proposal.id)
    figures = proposal_progress(proposal)
    by_id = {p.item.id: p for p in figures.items}
    assert by_id[first.id].achievement[3] == Decimal(100) and by_id[first.id].bands[3].key == "sangat_baik"
    assert by_id[first.id].achievement[0] == Decimal(25)  # to TW I: 1 of 4
    assert by_id[first.id].quarter_achievement(3) == Decimal(50)  # TW III alone: 2 of 4
    assert by_id[first.id].absorption[3] == Decimal(60)
    assert by_id[second.id].achievement[3] == Decimal(50) and by_id[second.id].bands[3].key == "sangat_kurang"
    # Weighted by pagu: (100 × 100 jt + 50 × 250 jt) ÷ 350 jt
    assert figures.progress[3] == (Decimal(100) * 100 + Decimal(50) * 250) / 350


def test_the_formula_type_is_set_by_the_agency_and_changes_the_achievement(
    monitoring: World, login_as: Callable
) -> None:
    participant, item = login_as(monitoring.participant), _sub(monitoring)
    refused = htmx_post(participant, f"/usulan/butir/{item.id}/rumus", {"formula": "rata-rata"})
    assert refused.status_code == 422 and "Pilih cara capaian dihitung." in refused.get_data(as_text=True)
    assert (
        htmx_post(
            login_as(monitoring.facilitator), f"/usulan/butir/{item.id}/rumus", {"formula": "negatif"}
        ).status_code
        == 403
    )
    for quarter in (1, 2):
        _report(participant, item, quarter, "physical", "2")  # target 4
    assert htmx_post(participant, f"/usulan/butir/{item.id}/rumus", {"formula": "negatif"}).status_code == 200
    db.session.expire_all()
    figures = proposal_progress(db.session.get(Proposal, monitoring.proposal.id))
    assert figures.item(item.id).achievement[3] == Decimal(100)  # 4 ÷ (2 + 2)
    htmx_post(participant, f"/usulan/butir/{item.id}/rumus", {"formula": "nilai_akhir"})
    db.session.expire_all()
    figures = proposal_progress(db.session.get(Proposal, monitoring.proposal.id))
    assert figures.item(item.id).achievement[3] == Decimal(50)  # the last, 2 ÷ 4
