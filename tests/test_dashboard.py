"""Issue 18, item 6: the province's monitoring dashboard — a region × program heatmap of the
budget-weighted achievement, per-agency bars of physical achievement and budget absorption per
quarter, the overdue / returned / late lists, filters by quarter, program, Amanat Presiden and
band; server-rendered SVG without inline styles (the CSP); refreshed live through the event's
room (event:monev-changed), its figures computed once per state of the event's proposals."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa

from tests.conftest import htmx_post
from tests.factories import World
from workspace.core.changes import RealisationChanged
from workspace.extensions import db
from workspace.models import ItemLevel, MonitoringSettings, NationalDirection, ProposalItem
from workspace.queries.dashboard import DashboardFilters, build_dashboard
from workspace.realtime.publish import plan
from workspace.realtime.rooms import event_room


def _subs(proposal) -> list[ProposalItem]:
    return [i for i in proposal.items if i.level is ItemLevel.SUBKEGIATAN]


def _report(client, item: ProposalItem, quarter: int, field: str, value: str, base: str = ""):
    response = htmx_post(client, f"/usulan/butir/{item.id}/realisasi/{quarter}/{field}", {"value": value, "base": base})
    assert response.status_code == 200, response.get_data(as_text=True)


def _fill(world: World, login_as: Callable) -> None:
    """Sambas: sub 1 (pagu 100 jt) 4 of 4 by TW II, sub 2 (250 jt) 1 of 4 → (100·100 + 25·250) / 350;
    Singkawang: 2 of 4 on both → 50 %."""
    mine, theirs = login_as(world.participant), login_as(world.other_participant)
    first, second = _subs(world.proposal)
    _report(mine, first, 1, "physical", "2")
    _report(mine, first, 2, "physical", "2")
    _report(mine, first, 1, "budget", "50.000.000")
    _report(mine, second, 1, "physical", "1")
    for item in _subs(world.other_proposal):
        _report(theirs, item, 1, "physical", "2")


def test_the_heatmap_bars_and_lists_show_the_figures(monitoring: World, login_as: Callable) -> None:
    _fill(monitoring, login_as)
    page = login_as(monitoring.reviewer).get(f"/rakor/{monitoring.event.id}/monev?tw=2").get_data(as_text=True)
    sambas = (Decimal(100) * 100 + Decimal(25) * 250) / 350  # 46,4 %
    assert f"{sambas:.1f}".replace(".", ",") + " %" in page
    assert "50,0 %" in page  # Singkawang's cell
    assert page.count('<svg class="chart heatmap"') == 1 and page.count('<svg class="chart agency-bars"') == 1
    assert "Kota Singkawang" in page and "Kab. Sambas" in page
    # No inline style anywhere in the charts: the CSP (style-src 'self') would drop it.
    assert not re.search(r"<(svg|rect|text|g|line)[^>]* style=", page)
    assert "Capaian per wilayah dan program" in page


def test_the_filters_narrow_what_is_shown(monitoring: World, login_as: Callable) -> None:
    _fill(monitoring, login_as)
    direction = NationalDirection(number=3, title="Ketahanan pangan", description="")
    db.session.add(direction)
    second = db.session.get(ProposalItem, _subs(monitoring.proposal)[1].id)
    second.directions.append(direction)
    db.session.commit()
    event = monitoring.event
    only_tagged = build_dashboard(event, DashboardFilters(quarter=2, direction=3), date.today())
    assert [bars.achievement[1] for bars in only_tagged.agencies] == [Decimal(25), None]
    assert set(only_tagged.cells) == {(monitoring.agency.region_code, "8.01.02")}
    by_band = build_dashboard(event, DashboardFilters(quarter=2, band="sangat_kurang"), date.today())
    assert {bars.proposal.id for bars in by_band.agencies} == {monitoring.proposal.id, monitoring.other_proposal.id}
    good = build_dashboard(event, DashboardFilters(quarter=2, band="sangat_baik"), date.today())
    assert good.agencies == [] and good.cells == {}
    other_program = build_dashboard(event, DashboardFilters(quarter=2, program="8.01.99"), date.today())
    assert other_program.cells == {} and all(bars.achievement == [None] * 4 for bars in other_program.agencies)
    page = login_as(monitoring.reviewer).get(f"/rakor/{event.id}/monev?tw=2&band=sangat_baik&amanat=abc&program=x")
    assert page.status_code == 200 and "Tidak ada perangkat daerah yang sesuai" in page.get_data(as_text=True)


def test_overdue_returned_and_late_are_listed(monitoring: World, login_as: Callable) -> None:
    settings = MonitoringSettings(event_id=monitoring.event.id, deadline_1=date.today() - timedelta(days=1))
    db.session.add(settings)
    db.session.commit()
    _report(login_as(monitoring.participant), _subs(monitoring.proposal)[0], 1, "physical", "1")
    htmx_post(
        login_as(monitoring.reviewer),
        f"/usulan/{monitoring.proposal.id}/realisasi/1/verifikasi",
        {"verdict": "returned", "note": "Lampirkan daftar hadir"},
    )
    dashboard = build_dashboard(monitoring.event, DashboardFilters(quarter=1), date.today())
    assert [a.proposal.id for a in dashboard.overdue] == [monitoring.other_proposal.id]
    assert [a.proposal.id for a in dashboard.returned] == [monitoring.proposal.id]
    page = login_as(monitoring.observer).get(f"/rakor/{monitoring.event.id}/monev?tw=1").get_data(as_text=True)
    assert "Lampirkan daftar hadir" in page and "Lewat tenggat" in page


def test_the_fragment_alone_for_htmx_and_who_sees_it(monitoring: World, login_as: Callable) -> None:
    path = f"/rakor/{monitoring.event.id}/monev"
    fragment = login_as(monitoring.facilitator).get(path, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="monev-dashboard"') and "<html" not in fragment
    assert login_as(monitoring.outsider).get(path).status_code == 403


def test_a_report_signals_the_event_room_and_changes_the_figures(monitoring: World, login_as: Callable) -> None:
    change = RealisationChanged(
        monitoring.proposal.id,
        monitoring.event.id,
        5,
        monitoring.participant.id,
        item_id=1,
        quarter=2,
        field="physical",
    )
    messages, _others = plan([change])
    signal = [m for m in messages if m.event == "event:monev-changed"]
    assert len(signal) == 1 and signal[0].rooms == (event_room(monitoring.event.id),)
    before = build_dashboard(monitoring.event, DashboardFilters(quarter=1), date.today())
    _report(login_as(monitoring.participant), _subs(monitoring.proposal)[0], 1, "physical", "4")
    db.session.expire_all()
    after = build_dashboard(monitoring.event, DashboardFilters(quarter=1), date.today())
    mine = next(b for b in after.agencies if b.proposal.id == monitoring.proposal.id)
    assert next(b for b in before.agencies if b.proposal.id == monitoring.proposal.id).achievement[0] is None
    assert mine.achievement[0] == Decimal(100)  # the cache follows the proposal's revision
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ProposalItem)) > 0
