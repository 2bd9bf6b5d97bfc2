"""The whole role × action matrix, allowed and denied, on the permission predicates."""

from __future__ import annotations

import pytest
from flask_login import AnonymousUserMixin

from tests.factories import World
from workspace.core import permissions
from workspace.extensions import db
from workspace.models import EventPhase

ACTORS = (
    "organiser",
    "facilitator",
    "participant",
    "other_participant",
    "reviewer",
    "observer",
    "outsider",
    "anonymous",
)

# action → the actors allowed to do it on the participant's own agency's proposal / its event.
ALLOWED = {
    "view_event": {"organiser", "facilitator", "participant", "other_participant", "reviewer", "observer"},
    "view_proposal": {"organiser", "facilitator", "participant", "other_participant", "reviewer", "observer"},
    "edit_proposal": {"participant"},
    "comment": {"organiser", "facilitator", "participant", "other_participant", "reviewer"},
    "facilitate": {"facilitator"},
    "review": {"reviewer"},
    "manage_event": {"organiser"},
}


def check(action: str, actor: object, world: World) -> bool:
    proposal, event = world.proposal, world.event
    return {
        "view_event": lambda: permissions.can_view_event(actor, event),
        "view_proposal": lambda: permissions.can_view_proposal(actor, proposal),
        "edit_proposal": lambda: permissions.can_edit_proposal(actor, proposal),
        "comment": lambda: permissions.can_comment(actor, proposal),
        "facilitate": lambda: permissions.can_facilitate(actor, event),
        "review": lambda: permissions.can_review(actor, event),
        "manage_event": lambda: permissions.can_manage_event(actor, event),
    }[action]()


@pytest.mark.parametrize("action", sorted(ALLOWED))
@pytest.mark.parametrize("actor_key", ACTORS)
def test_role_action_matrix(world: World, actor_key: str, action: str) -> None:
    actor = AnonymousUserMixin() if actor_key == "anonymous" else world.user(actor_key)
    expected = actor_key in ALLOWED[action]
    assert check(action, actor, world) is expected, f"{actor_key} {'may' if expected else 'may not'} {action}"


def test_participant_cannot_edit_a_locked_proposal(world: World) -> None:
    world.proposal.locked = True
    db.session.commit()
    assert not permissions.can_edit_proposal(world.participant, world.proposal)
    assert permissions.is_proposal_owner(world.participant, world.proposal)


def test_nobody_edits_or_comments_once_the_event_is_closed(world: World) -> None:
    world.event.phase = EventPhase.CLOSED
    db.session.commit()
    assert not permissions.can_edit_proposal(world.participant, world.proposal)
    assert not permissions.can_comment(world.reviewer, world.proposal)
    assert permissions.can_view_proposal(world.observer, world.proposal)


def test_a_deactivated_account_has_no_rights(world: World) -> None:
    world.organiser.active = False
    db.session.commit()
    assert not permissions.can_view_event(world.organiser, world.event)
    assert not permissions.can_manage_event(world.organiser, world.event)


def test_roles_accumulate_for_a_person_with_several(world: World) -> None:
    from workspace.models import Membership, Role

    db.session.add(Membership(event=world.event, user=world.facilitator, role=Role.ORGANISER))
    db.session.commit()
    assert permissions.can_facilitate(world.facilitator, world.event)
    assert permissions.can_manage_event(world.facilitator, world.event)
    assert not permissions.can_edit_proposal(world.facilitator, world.proposal)


# ---- A deactivated agency (issue 16, item 11) ---------------------------------------------------


def test_a_deactivated_agency_reads_but_no_longer_writes(world: World) -> None:
    world.agency.active = False
    db.session.commit()
    participant = world.participant
    assert permissions.can_view_proposal(participant, world.proposal)
    assert permissions.is_proposal_owner(participant, world.proposal)  # still exports its own proposal
    assert not permissions.can_edit_proposal(participant, world.proposal)
    assert not permissions.can_comment(participant, world.proposal)
    assert not permissions.can_comment(participant, world.other_proposal)
    assert not permissions.can_mention_in(participant, world.event)
    assert not permissions.can_check_in(participant, world.event)
    # Other agencies, and roles given to run the event, are not affected.
    assert permissions.can_edit_proposal(world.other_participant, world.other_proposal)
    assert permissions.can_comment(world.other_participant, world.proposal)
    assert permissions.can_check_in(world.observer, world.event)


def test_a_person_of_a_deactivated_agency_keeps_a_role_given_to_run_the_event(world: World) -> None:
    from workspace.models import Membership, Role

    db.session.add(Membership(event=world.event, user=world.participant, role=Role.REVIEWER))
    world.agency.active = False
    db.session.commit()
    assert permissions.can_review(world.participant, world.event)
    assert permissions.can_comment(world.participant, world.proposal)  # as a reviewer
    assert not permissions.can_edit_proposal(world.participant, world.proposal)


def _stored() -> dict[str, list]:
    """Every table but the sign-ins (a request notes its sign-in's activity)."""
    import sqlalchemy as sa

    db.session.expire_all()
    return {
        table.name: sorted((tuple(map(str, row)) for row in db.session.execute(sa.select(table))), key=str)
        for table in db.metadata.sorted_tables
        if table.name != "login_session"
    }


def test_every_write_by_a_deactivated_agencys_participant_is_refused_with_a_reason(world: World, login_as) -> None:
    import sqlalchemy as sa

    from tests.conftest import htmx_post
    from tests.factories import make_session
    from workspace.models import Comment, ItemLevel, Revision
    from workspace.services import comments, editing

    item = next(i for i in world.proposal.items if i.level is ItemLevel.SUBKEGIATAN)
    editing.update_field(world.participant, item.id, "location", "Sajingan", item.location or "")
    comments.post_comment(world.participant, world.proposal.id, "Mohon dicek targetnya.")
    comments.post_comment(
        world.other_participant, world.proposal.id, "Usul", item_id=item.id, field="target", suggestion="9"
    )
    own = db.session.scalar(sa.select(Comment).where(Comment.author_id == world.participant.id))
    suggestion = db.session.scalar(sa.select(Comment).where(Comment.author_id == world.other_participant.id))
    revision = db.session.scalar(sa.select(Revision).where(Revision.item_id == item.id))
    session = make_session(world.event)
    ids = (item.id, own.id, suggestion.id, revision.id, session.id, world.proposal.id, world.other_proposal.id)
    item_id, own_id, suggestion_id, revision_id, session_id, proposal_id, other_proposal_id = ids
    organiser = login_as(world.organiser)
    answer = htmx_post(
        organiser, f"/rakor/{world.event.id}/admin/perangkat-daerah/{world.agency.id}/status", {"active": "0"}
    )
    assert answer.status_code in (200, 302, 303)
    db.session.expire_all()
    assert db.session.get(type(world.agency), world.agency.id).active is False

    participant = login_as(world.participant)
    writes = [
        (f"/usulan/butir/{item_id}/ubah/target", {"value": "9", "base": "4"}),
        (f"/usulan/{proposal_id}/butir", {"name": "Program Lokal", "code": "8.01.09"}),
        (f"/usulan/butir/{item_id}/pindah", {"direction": "up"}),
        (f"/usulan/butir/{item_id}/hapus", {}),
        (f"/usulan/riwayat/{revision_id}/pulihkan", {}),
        (f"/usulan/{proposal_id}/komentar", {"body": "Komentar baru"}),
        (f"/usulan/{other_proposal_id}/komentar", {"body": "Komentar di usulan lain"}),
        (f"/komentar/{own_id}/balas", {"body": "Balasan"}),
        (f"/komentar/{own_id}/ubah", {"body": "Diubah"}),
        (f"/komentar/{own_id}/hapus", {}),
        (f"/komentar/{own_id}/selesai", {"resolved": "1"}),
        (f"/komentar/{suggestion_id}/terima", {"base": "4"}),
        (f"/komentar/{suggestion_id}/tolak", {"reason": "Tidak"}),
        (f"/sesi/{session_id}/hadir", {}),
    ]
    before = _stored()
    for path, data in writes:
        response = htmx_post(participant, path, data)
        text = response.get_data(as_text=True)
        assert response.status_code == 403, (path, response.status_code, text)
        assert "telah dinonaktifkan dalam rakor ini" in text, (path, text)
    assert _stored() == before
    # Reading still works; the proposal page offers no editing.
    page = participant.get(f"/usulan/{proposal_id}").get_data(as_text=True)
    assert 'data-can-edit="false"' in page and 'data-can-comment="false"' in page
    assert "Hadir (presensi)" not in participant.get(f"/sesi/{session_id}").get_data(as_text=True)

    htmx_post(organiser, f"/rakor/{world.event.id}/admin/perangkat-daerah/{world.agency.id}/status", {"active": "1"})
    assert (
        htmx_post(participant, f"/usulan/butir/{item_id}/ubah/target", {"value": "9", "base": "4"}).status_code == 200
    )


# ---- The people lookup of @mentions (issue 16, item 11) ----------------------------------------


def test_the_people_lookup_gives_commenters_only_what_mentions_need(world: World, login_as) -> None:
    from tests.factories import make_user
    from workspace.models import Role

    for n in range(12):
        make_user(world.event, (Role.PARTICIPANT,), world.other_agency, name=f"Peserta Tambahan {n}")
    url = f"/rakor/{world.event.id}/orang"
    participant = login_as(world.participant)
    for short in ("", "p", " p ", "%", "%%", "__", "%_"):
        answer = participant.get(f"{url}?q={short}")
        assert answer.status_code == 200 and answer.get_json() == [], short
    people = participant.get(f"{url}?q=peserta").get_json()
    assert len(people) == 8  # bounded, though 14 match
    assert all(set(person) == {"username", "name", "agency"} for person in people)
    assert world.outsider.username not in {p["username"] for p in people}  # same agency, another event
    assert participant.get(f"{url}?q=Orang Luar").get_json() == []
    assert participant.get(f"{url}?q=budi").get_json()[0]["name"] == "Budi Peserta"

    observer = login_as(world.observer)
    refused = observer.get(f"{url}?q=peserta")
    assert refused.status_code == 403 and world.participant.username not in refused.get_data(as_text=True)
    assert login_as(world.outsider).get(f"{url}?q=peserta").status_code in (403, 404)


def test_a_deactivated_agencys_participant_gets_no_people_lookup(world: World, login_as) -> None:
    world.agency.active = False
    db.session.commit()
    refused = login_as(world.participant).get(f"/rakor/{world.event.id}/orang?q=peserta")
    assert refused.status_code == 403 and "telah dinonaktifkan" in refused.get_data(as_text=True)
