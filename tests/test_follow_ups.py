"""Issue 18, item 8: from agreements to follow-up. An agreement carries follow-up actions (what,
who, due date), recorded by the organisers and facilitators, reported on through the year (done,
dropped with a reason) by whoever works on the proposal; overdue ones are marked; the next rakor
lists last year's follow-ups of its agencies and how they ended."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa

from tests.conftest import csrf_token_of
from tests.factories import World, make_event, make_session, make_user
from workspace.extensions import db
from workspace.models import FollowUp, FollowUpStatus, Role
from workspace.services import agreements

GOOD = {
    "what": "Menyelaraskan indikator kegiatan dengan RPJMD",
    "who": "Kesbangpol Kab. Sambas",
    "due_on": "2024-06-30",
}


def _agreed(world: World) -> None:
    session = make_session(world.event)
    agreements.record_agreement(world.facilitator, session.id, world.proposal.id, "agreed_with_notes", "Indikator")


def _post(client, path: str, data: dict):
    return client.post(path, data={**data, "csrf_token": csrf_token_of(client, "/")})


def _follow_ups() -> list[FollowUp]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(FollowUp).order_by(FollowUp.id)))


def test_a_facilitator_records_a_follow_up_and_the_agency_reports_how_it_ended(
    world: World, login_as: Callable
) -> None:
    _agreed(world)
    facilitator = login_as(world.facilitator)
    path = f"/rakor/{world.event.id}/tindak-lanjut"
    assert _post(facilitator, path, {**GOOD, "proposal": str(world.proposal.id)}).status_code == 302
    (follow_up,) = _follow_ups()
    assert follow_up.agreement_id is not None and follow_up.status is FollowUpStatus.OPEN
    page = login_as(world.observer).get(path).get_data(as_text=True)  # anyone of the event reads them
    assert GOOD["what"] in page and "lewat tenggat" in page  # due 30 June 2024: long past

    participant = login_as(world.participant)
    refused = _post(participant, f"/tindak-lanjut/{follow_up.id}", {"status": "dropped", "outcome": ""})
    assert refused.status_code == 422 and "Hasilnya: Sebutkan mengapa tindak lanjut dibatalkan." in refused.get_data(
        as_text=True
    )
    assert _follow_ups()[0].status is FollowUpStatus.OPEN
    done = _post(participant, f"/tindak-lanjut/{follow_up.id}", {"status": "done", "outcome": "Indikator direvisi"})
    assert done.status_code == 302
    assert (_follow_ups()[0].status, _follow_ups()[0].outcome) == (FollowUpStatus.DONE, "Indikator direvisi")
    assert "lewat tenggat" not in participant.get(path).get_data(as_text=True)

    for person in (world.other_participant, world.reviewer, world.observer):
        assert _post(login_as(person), f"/tindak-lanjut/{follow_up.id}", {"status": "open"}).status_code == 403
    assert login_as(world.outsider).get(path).status_code == 403


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"what": ""}, "Tindakan: Isian ini wajib diisi."),
        ({"who": "x" * 201}, "Siapa: Paling banyak 200 karakter."),
        ({"due_on": "30-06-2024"}, "Tenggat: Isi tanggal dengan format YYYY-MM-DD."),
        ({"due_on": "2030-01-01"}, "sampai akhir tahun sesudah tahun rencana (2025-12-31)"),
        ({"due_on": "2023-01-01"}, "Tanggal sejak rakor (2023-03-14)"),
        ({"proposal": "abc"}, "Pilih usulan rakor ini yang sudah memiliki kesepakatan."),
        ({"proposal": "other"}, "Pilih usulan rakor ini yang sudah memiliki kesepakatan."),  # no agreement
    ],
)
def test_a_bad_follow_up_is_refused_beside_its_field_and_nothing_is_stored(
    world: World, login_as: Callable, change: dict, message: str
) -> None:
    _agreed(world)
    data = {**GOOD, "proposal": str(world.proposal.id), **change}
    if data["proposal"] == "other":
        data["proposal"] = str(world.other_proposal.id)
    response = _post(login_as(world.organiser), f"/rakor/{world.event.id}/tindak-lanjut", data)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert _follow_ups() == []


def test_only_organisers_and_facilitators_record_follow_ups(world: World, login_as: Callable) -> None:
    _agreed(world)
    for person in (world.participant, world.reviewer, world.observer):
        response = _post(
            login_as(person), f"/rakor/{world.event.id}/tindak-lanjut", {**GOOD, "proposal": str(world.proposal.id)}
        )
        assert response.status_code == 403
    assert _follow_ups() == []


def test_the_next_rakor_lists_last_years_follow_ups_and_how_they_ended(world: World, login_as: Callable) -> None:
    _agreed(world)
    _post(
        login_as(world.facilitator),
        f"/rakor/{world.event.id}/tindak-lanjut",
        {**GOOD, "proposal": str(world.proposal.id)},
    )
    (follow_up,) = _follow_ups()
    follow_up.status, follow_up.outcome = FollowUpStatus.DROPPED, "Anggaran dialihkan"
    db.session.commit()
    next_rakor = make_event(plan_year=world.event.plan_year + 1)
    next_rakor.agencies.append(world.agency)
    organiser = make_user(next_rakor, (Role.ORGANISER,), world.agency, name="Panitia Tahun Depan")
    db.session.commit()
    page = login_as(organiser).get(f"/rakor/{next_rakor.id}/tindak-lanjut").get_data(as_text=True)
    assert "Dari rakor tahun lalu" in page and GOOD["what"] in page and "Anggaran dialihkan" in page
    assert "Dibatalkan" in page and f'action="/tindak-lanjut/{follow_up.id}"' not in page  # read only there
    unrelated = make_event(plan_year=world.event.plan_year + 1)
    stranger = make_user(unrelated, (Role.ORGANISER,), None, name="Panitia Lain")
    assert GOOD["what"] not in login_as(stranger).get(f"/rakor/{unrelated.id}/tindak-lanjut").get_data(as_text=True)
