"""Rooms and broadcasts: render the changed fragments once, emit them to the room.

Called by services after their commit, never inside a transaction. Fragments are the same for
every recipient (no per-user rendering): rights are data attributes on each viewer's page.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, render_template
from flask_babel import force_locale

from workspace.extensions import socketio
from workspace.models import Proposal, ProposalItem, Revision


def proposal_room(proposal_id: int) -> str:
    return f"proposal:{proposal_id}"


def event_room(event_id: int) -> str:
    return f"event:{event_id}"


def user_room(user_id: int) -> str:
    return f"user:{user_id}"


def broadcast_locale() -> str:
    """Broadcast fragments are rendered once, in the event's default UI language."""
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def ancestors_and_self(item: ProposalItem) -> list[ProposalItem]:
    chain = [item]
    while chain[-1].parent is not None:
        chain.append(chain[-1].parent)
    return chain


def render_item_rows(proposal: Proposal, item_ids: list[int]) -> dict[str, str]:
    """The rows of the changed items and of their ancestors (whose subtotals moved)."""
    by_id = {item.id: item for item in proposal.items}
    rows: dict[str, str] = {}
    for item_id in item_ids:
        item = by_id.get(item_id)
        if item is None:
            continue
        for node in ancestors_and_self(item):
            rows[f"item-{node.id}"] = render_template("proposals/_item_row.html", item=node, proposal=proposal)
    return rows


def render_tree_parts(proposal: Proposal, item_ids: list[int], structure_changed: bool) -> dict[str, str]:
    if structure_changed:
        return {f"proposal-{proposal.id}-tree": render_template("proposals/_tree.html", proposal=proposal)}
    fragments = render_item_rows(proposal, item_ids)
    fragments[f"proposal-{proposal.id}-totals"] = render_template("proposals/_tree_totals.html", proposal=proposal)
    return fragments


def emit_proposal_change(
    proposal: Proposal,
    revision: int,
    item_ids: list[int],
    structure_changed: bool,
    revisions: list[Revision],
    actor_name: str,
    actor_id: int | None,
    field_name: str | None = None,
) -> dict[str, Any]:
    """Render once and emit `proposal:changed` to everyone viewing the proposal."""
    with force_locale(broadcast_locale()):
        fragments = render_tree_parts(proposal, item_ids, structure_changed)
        fragments[f"proposal-{proposal.id}-revision"] = render_template(
            "proposals/_revision_label.html", proposal=proposal
        )
        history = [render_template("proposals/_revision.html", revision=r) for r in revisions]
    payload = {
        "proposal_id": proposal.id,
        "revision": revision,
        "fragments": fragments,
        "history": history,
        "change": {
            "user_id": actor_id,
            "user_name": actor_name,
            "item_ids": item_ids,
            "field": field_name,
            "structure": structure_changed,
        },
    }
    socketio.emit("proposal:changed", payload, to=proposal_room(proposal.id))
    return payload
