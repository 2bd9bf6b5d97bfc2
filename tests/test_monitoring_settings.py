"""Issue 18, item 2: a monitoring phase per event, after the review — the agreed plan stays as it
is — and the plan year's four quarters, each with a reporting deadline the organiser sets (default:
10 days after the quarter ends); the bands of achievement configurable per event. Every refused
value is named beside its field and changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest
from flask import Flask

from tests.conftest import csrf_token_of, htmx_post
from tests.factories import World
from workspace.core import permissions
from workspace.core.achievement import band_of
from workspace.extensions import db
from workspace.models import EventPhase, ItemLevel, MonitoringSettings
from workspace.queries.monitoring import bands_of, quarter_bounds, quarters_of

GOOD = {
    "deadline_1": "", "deadline_2": "2024-07-15", "deadline_3": "", "deadline_4": "2025-01-20",
    "band_sangat_baik": "95", "band_baik": "80", "band_cukup": "70", "band_kurang": "55",
}  # fmt: skip


def _post(client, event_id: int, data: dict):
    return client.post(f"/rakor/{event_id}/admin/monev", data={**data, "csrf_token": csrf_token_of(client, "/")})


def test_the_quarters_of_the_plan_year_and_their_default_deadlines(world: World) -> None:
    assert quarter_bounds(2024, 1) == (date(2024, 1, 1), date(2024, 3, 31))
    assert quarter_bounds(2024, 4) == (date(2024, 10, 1), date(2024, 12, 31))
    quarters = quarters_of(world.event)  # plan year 2024
    assert [q.deadline for q in quarters] == [
        date(2024, 4, 10),
        date(2024, 7, 10),
        date(2024, 10, 10),
        date(2025, 1, 10),
    ]
    assert all(q.default_deadline for q in quarters) and [q.roman for q in quarters] == ["I", "II", "III", "IV"]
    assert quarters[0].is_late(date(2024, 4, 11)) and not quarters[0].is_late(date(2024, 4, 10))
    with pytest.raises(ValueError):
        quarter_bounds(2024, 5)


def test_the_organiser_sets_deadlines_and_bands(world: World, login_as: Callable) -> None:
    organiser = login_as(world.organiser)
    page = organiser.get(f"/rakor/{world.event.id}/admin/monev").get_data(as_text=True)
    assert "Triwulan IV" in page and "bawaan: 10 Januari 2025" in page
    assert _post(organiser, world.event.id, GOOD).status_code == 302
    db.session.expire_all()
    quarters = quarters_of(world.event)
    assert quarters[1].deadline == date(2024, 7, 15) and not quarters[1].default_deadline
    assert quarters[0].deadline == date(2024, 4, 10) and quarters[0].default_deadline
    bands = bands_of(world.event)
    assert [band.minimum for band in bands] == [95, 80, 70, 55, 0]
    assert band_of(Decimal(92), bands).key == "baik"  # 92 is no longer Sangat Baik here
    assert "monitoring.settings" in organiser.get(f"/rakor/{world.event.id}/admin/jejak").get_data(as_text=True)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("deadline_1", "2024-03-31", "Batas waktu pelaporan triwulan I: Laporan triwulan jatuh tempo setelah"),
        ("deadline_2", "15-07-2024", "Isi tanggal dengan format YYYY-MM-DD"),
        ("deadline_3", "2026-01-01", "Paling lambat setahun"),
        ("band_sangat_baik", "101", "Sangat Baik mulai (%): Persentase bulat dari 1 sampai 100."),
        ("band_baik", "sembilan", "Persentase bulat"),
        ("band_cukup", "٦٦", "Persentase bulat"),
        ("band_cukup", "85", "Cukup mulai (%): Setiap kategori dimulai di bawah kategori di atasnya (80)."),
        ("band_kurang", "70", "di bawah kategori di atasnya (70)"),
    ],
)
def test_bad_settings_are_refused_beside_their_field_and_nothing_is_saved(
    world: World, login_as: Callable, field: str, value: str, message: str
) -> None:
    response = _post(login_as(world.organiser), world.event.id, {**GOOD, field: value})
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert db.session.get(MonitoringSettings, world.event.id) is None


def test_only_organisers_change_the_monitoring_settings(world: World, login_as: Callable) -> None:
    for person in (world.facilitator, world.participant, world.reviewer, world.outsider):
        assert _post(login_as(person), world.event.id, GOOD).status_code == 403
    assert db.session.get(MonitoringSettings, world.event.id) is None


def test_in_the_monitoring_phase_the_agreed_plan_stays_as_it_is(world: World, login_as: Callable, app: Flask) -> None:
    world.event.phase = EventPhase.MONITORING
    db.session.commit()
    assert not world.event.accepts_edits
    assert not permissions.can_edit_proposal(world.participant, world.proposal)
    participant = login_as(world.participant)
    item = next(i for i in world.proposal.items if i.level is ItemLevel.SUBKEGIATAN)
    response = htmx_post(participant, f"/usulan/butir/{item.id}/ubah/target", {"value": "9", "base": item.target})
    assert response.status_code == 403
    page = participant.get(f"/usulan/{world.proposal.id}").get_data(as_text=True)
    assert "Rencana sedang dimonitor" in page
    admin = login_as(world.organiser).get(f"/rakor/{world.event.id}/admin").get_data(as_text=True)
    assert 'value="monitoring"' in admin and "Monitoring dan evaluasi (Monev)" in admin
