"""The proposal tree, discussion and history are rendered once per revision and language, and
never served stale."""

from __future__ import annotations

from flask import Flask

from tests.factories import World
from workspace.fragments.cache import fragment_cache as tree_cache
from workspace.models import ItemLevel
from workspace.services import editing


def test_one_rendering_per_revision_and_a_new_one_after_each_change(app: Flask, world: World, login_as) -> None:
    viewer = login_as(world.reviewer)
    other = login_as(world.other_participant)
    first = viewer.get(f"/usulan/{world.proposal.id}/pohon").get_data(as_text=True)
    misses = tree_cache().misses
    assert other.get(f"/usulan/{world.proposal.id}/pohon").get_data(as_text=True) == first
    assert tree_cache().misses == misses  # the second viewer reused the rendering
    page = viewer.get(f"/usulan/{world.proposal.id}").get_data(as_text=True)
    assert first in page
    misses = tree_cache().misses  # the page rendered the discussion and the history once each
    again = other.get(f"/usulan/{world.proposal.id}").get_data(as_text=True)
    assert tree_cache().misses == misses
    assert again.count('id="proposal-') == page.count('id="proposal-')

    item = next(i for i in world.proposal.items if i.level is ItemLevel.SUBKEGIATAN)
    editing.update_field(world.participant, item.id, "location", "Sajingan Besar", item.location)
    after = other.get(f"/usulan/{world.proposal.id}/pohon").get_data(as_text=True)
    assert "Sajingan Besar" in after and after != first
    english = viewer.post("/bahasa", data={"language": "en", "csrf_token": _token(viewer)})
    assert english.status_code == 302
    assert "Sub-activity" in viewer.get(f"/usulan/{world.proposal.id}/pohon").get_data(as_text=True)


def _token(client) -> str:
    from tests.conftest import csrf_token_of

    return csrf_token_of(client, "/")
