"""Issue 17, item 8: who works on a proposal is the organiser's choice per event. By default the
proposal's agency and the Bappeda of the same region co-edit it (at the rakor a region's Kesbangpol
and Bappeda plan together); another region's Bappeda, or another Kesbangpol, only comments. The
page says who may edit; tests/test_access.py runs every route for the Bappeda's participant too."""

from __future__ import annotations

from collections.abc import Callable

from tests.conftest import csrf_token_of, htmx_post
from tests.factories import World, make_agency, make_user
from workspace.core import permissions
from workspace.extensions import db
from workspace.models import AgencyKind, AgencyLevel, CoEditing, ItemLevel, ProposalItem, Role


def _bappeda(world: World, same_region: bool = True, level: AgencyLevel = AgencyLevel.KABUPATEN):
    agency = make_agency(level, world.agency.region_name, kind=AgencyKind.BAPPEDA, event=world.event)
    if same_region:
        agency.region_code = world.agency.region_code
        db.session.commit()
    return make_user(world.event, (Role.PARTICIPANT,), agency, name="Perencana Bappeda")


def _sub(world: World) -> ProposalItem:
    return next(i for i in world.proposal.items if i.level is ItemLevel.SUBKEGIATAN)


def test_the_bappeda_of_the_same_region_co_edits_by_default(world: World, login_as: Callable) -> None:
    planner = _bappeda(world)
    assert world.event.coediting is CoEditing.REGION
    assert permissions.can_edit_proposal(planner, world.proposal)
    assert not permissions.can_edit_proposal(planner, world.other_proposal)  # another region's
    client = login_as(planner)
    item = _sub(world)
    response = htmx_post(client, f"/usulan/butir/{item.id}/ubah/target", {"value": "9", "base": item.target})
    assert response.status_code == 200, response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(ProposalItem, item.id).target == "9"
    page = client.get(f"/usulan/{world.proposal.id}").get_data(as_text=True)
    assert "Disunting oleh peserta dari: " in page and planner.agency.short_name in page
    assert world.agency.short_name in page
    home = client.get(f"/rakor/{world.event.id}").get_data(as_text=True)
    assert f"/usulan/{world.proposal.id}" in home  # the home page leads to the region's proposal


def test_another_regions_bappeda_and_another_kesbangpol_only_comment(world: World, login_as: Callable) -> None:
    elsewhere = _bappeda(world, same_region=False)
    province_planner = _bappeda(world, level=AgencyLevel.PROVINSI)  # same code, other level
    for person in (elsewhere, province_planner, world.other_participant):
        assert not permissions.can_edit_proposal(person, world.proposal)
        assert permissions.can_comment(person, world.proposal)
    item = _sub(world)
    before = item.target
    response = htmx_post(login_as(elsewhere), f"/usulan/butir/{item.id}/ubah/target", {"value": "9", "base": before})
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(ProposalItem, item.id).target == before


def test_the_organiser_can_leave_a_proposal_to_its_agency_alone(world: World, login_as: Callable) -> None:
    planner = _bappeda(world)
    organiser = login_as(world.organiser)
    form = {
        "title": world.event.title, "theme": world.event.theme, "venue": world.event.venue, "city": world.event.city,
        "plan_year": str(world.event.plan_year), "phase": world.event.phase.value,
        "starts_on": world.event.starts_on.isoformat(), "ends_on": world.event.ends_on.isoformat(),
        "coediting": "agency", "csrf_token": csrf_token_of(organiser, "/"),
    }  # fmt: skip
    assert organiser.post(f"/rakor/{world.event.id}/admin", data=form).status_code == 302
    db.session.expire_all()
    assert world.event.coediting is CoEditing.AGENCY
    assert not permissions.can_edit_proposal(planner, world.proposal)
    assert permissions.can_edit_proposal(world.participant, world.proposal)
    item = _sub(world)
    response = htmx_post(login_as(planner), f"/usulan/butir/{item.id}/ubah/target", {"value": "7", "base": item.target})
    assert response.status_code == 403

    bad = organiser.post(f"/rakor/{world.event.id}/admin", data={**form, "coediting": "everyone"})
    assert bad.status_code == 422 and "Siapa yang menyunting usulan: Pilih siapa" in bad.get_data(as_text=True)
    db.session.expire_all()
    assert world.event.coediting is CoEditing.AGENCY
