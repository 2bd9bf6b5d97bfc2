"""Every page for every role: who sees what, friendly errors, the tree with its totals."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from tests.factories import World
from workspace.extensions import db
from workspace.models import ProposalStatus

MEMBERS = ("organiser", "facilitator", "participant", "other_participant", "reviewer", "observer")


def pages(world: World) -> dict[str, str]:
    return {
        "event_home": f"/rakor/{world.event.id}",
        "proposal_list": f"/rakor/{world.event.id}/usulan",
        "proposal": f"/usulan/{world.proposal.id}",
    }


@pytest.mark.parametrize("page", ["event_home", "proposal_list", "proposal"])
@pytest.mark.parametrize("actor", [*MEMBERS, "outsider", "anonymous"])
def test_page_access_by_role(world: World, login_as: Callable, client: FlaskClient, actor: str, page: str) -> None:
    path = pages(world)[page]
    if actor == "anonymous":
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/masuk?next=")
        return
    response = login_as(world.user(actor)).get(path)
    expected = 403 if actor == "outsider" else 200
    assert response.status_code == expected
    if expected == 403:
        assert "Akses ditolak" in response.get_data(as_text=True)


def test_event_home_shows_event_sessions_and_my_proposal(world: World, login_as: Callable) -> None:
    page = login_as(world.participant).get(f"/rakor/{world.event.id}").get_data(as_text=True)
    assert world.event.title in page
    assert "Kolaboratif dan Sinergi" in page
    assert f"/usulan/{world.proposal.id}" in page
    assert "Belum ada sesi yang berlangsung." in page


def test_single_event_member_is_sent_straight_to_the_event(world: World, login_as: Callable) -> None:
    response = login_as(world.participant).get("/")
    assert response.headers["Location"] == f"/rakor/{world.event.id}"


def test_proposal_view_shows_every_field_and_totals(world: World, login_as: Callable) -> None:
    page = login_as(world.reviewer).get(f"/usulan/{world.proposal.id}").get_data(as_text=True)
    # Two sub kegiatan of Rp 100.000.000 and Rp 250.000.000: the kegiatan, program and proposal total.
    assert "Rp 100.000.000" in page and "Rp 250.000.000" in page
    assert page.count("Rp 350.000.000") >= 3
    for text in (
        "8.01.02",
        "Jumlah Laporan",
        "Laporan",
        "APBD",
        world.agency.region_name,
        "Pagu indikatif",
        "Sumber dana",
        "Target n+1",
        "Amanat Presiden",
    ):
        assert text in page


def test_proposal_list_filters(world: World, login_as: Callable) -> None:
    organiser = login_as(world.organiser)
    base = f"/rakor/{world.event.id}/usulan"

    def listed(query: str = "") -> str:
        """The list fragment alone (the page's filter form names every agency too)."""
        return organiser.get(f"{base}?{query}", headers={"HX-Request": "true"}).get_data(as_text=True)

    everything = listed()
    assert world.agency.short_name in everything and world.other_agency.short_name in everything

    only_one = listed(f"agency={world.other_agency.id}")
    assert world.other_agency.short_name in only_one and world.agency.short_name not in only_one

    world.proposal.status = ProposalStatus.AGREED
    db.session.commit()
    agreed = listed("status=agreed")
    assert world.agency.short_name in agreed and world.other_agency.short_name not in agreed

    assert "Tidak ada usulan yang cocok" in listed("program=8.01.06")
    assert world.agency.short_name in listed("program=8.01.02")
    # The full page renders the same list inside it.
    assert world.agency.short_name in organiser.get(base).get_data(as_text=True)


def test_proposal_list_as_htmx_fragment(world: World, login_as: Callable) -> None:
    response = login_as(world.organiser).get(
        f"/rakor/{world.event.id}/usulan?agency={world.agency.id}", headers={"HX-Request": "true"}
    )
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith('<section id="proposal-list"')
    assert "<html" not in body


@pytest.mark.parametrize("bad_filter", ["status=hacked", "program=" + "9" * 500, "program=abc"])
def test_unknown_text_filters_are_ignored_not_errors(world: World, login_as: Callable, bad_filter: str) -> None:
    response = login_as(world.organiser).get(f"/rakor/{world.event.id}/usulan?{bad_filter}")
    assert response.status_code == 200


# Issue 16, item 6: an id in the query string goes through the one number converter; a malformed
# one is a 400 that says what is wrong (no page sends it: the filter is a select of agencies).
@pytest.mark.parametrize("bad_filter", ["agency=abc", "agency=-1", "agency=²", "agency=" + "9" * 23])
def test_malformed_agency_filter_is_400_with_its_message(world: World, login_as: Callable, bad_filter: str) -> None:
    response = login_as(world.organiser).get(f"/rakor/{world.event.id}/usulan?{bad_filter}")
    assert response.status_code == 400
    assert "Alamat ini memuat angka yang tidak sah" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "path", ["/usulan/999999", "/rakor/999999", "/rakor/999999/usulan", "/tidak/ada", "/usulan/abc", "/usulan/-1"]
)
def test_unknown_urls_and_ids_get_the_404_page(world: World, login_as: Callable, path: str) -> None:
    response = login_as(world.participant).get(path)
    assert response.status_code == 404
    assert "Halaman tidak ditemukan" in response.get_data(as_text=True)


def test_500_page_is_friendly(world: World, login_as: Callable) -> None:
    from flask import current_app

    @current_app.route("/_uji_500")
    def boom() -> str:
        raise RuntimeError("boom")

    current_app.config["PROPAGATE_EXCEPTIONS"] = False
    response = login_as(world.participant).get("/_uji_500")
    assert response.status_code == 500
    assert "Terjadi kesalahan" in response.get_data(as_text=True)


def test_pages_carry_security_headers_and_no_inline_script(world: World, login_as: Callable) -> None:
    response = login_as(world.participant).get(f"/usulan/{world.proposal.id}")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    page = response.get_data(as_text=True)
    assert "<script>" not in page and "cdn" not in page.lower()


def test_english_switch_translates_the_tree(world: World, login_as: Callable) -> None:
    client = login_as(world.participant)
    with client.session_transaction() as session:
        session["locale"] = "en"
    page = client.get(f"/usulan/{world.proposal.id}").get_data(as_text=True)
    assert "Indicative budget" in page and "Pagu indikatif" not in page
