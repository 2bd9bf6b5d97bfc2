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
