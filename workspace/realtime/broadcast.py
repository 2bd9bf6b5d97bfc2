"""Rooms and broadcasts: render the changed fragments once, emit them to the room.

Called by services after their commit, never inside a transaction. Fragments are the same for
every recipient (no per-user rendering): rights are data attributes on each viewer's page.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale

from workspace.extensions import db, socketio
from workspace.models import Proposal, ProposalItem

if TYPE_CHECKING:
    from workspace.services.changes import ChangeResult


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


def render_item_rows(proposal: Proposal, item_ids: list[int], counts: dict) -> dict[str, str]:
    """The rows of the changed items and of their ancestors (whose subtotals moved)."""
    by_id = {item.id: item for item in proposal.items}
    rows: dict[str, str] = {}
    for item_id in item_ids:
        item = by_id.get(item_id)
        if item is None:
            continue
        for node in ancestors_and_self(item):
            rows[f"item-{node.id}"] = render_template(
                "proposals/_item_row.html", item=node, proposal=proposal, counts=counts
            )
    return rows


MONEY_FIELDS = frozenset({"budget", "forward_budget"})


def render_own_rows(proposal: Proposal, item_ids: list[int], counts: dict) -> dict[str, str]:
    """Just the changed rows: a field without money in it moves no subtotal and no total."""
    items = db.session.scalars(sa.select(ProposalItem).where(ProposalItem.id.in_(item_ids)))
    return {
        f"item-{item.id}": render_template("proposals/_item_row.html", item=item, proposal=proposal, counts=counts)
        for item in items
    }


def render_tree_parts(proposal: Proposal, item_ids: list[int], structure_changed: bool, counts: dict) -> dict[str, str]:
    if structure_changed:
        from workspace.fragments import proposal_tree_html

        return {f"proposal-{proposal.id}-tree": str(proposal_tree_html(proposal, lambda: counts))}
    fragments = render_item_rows(proposal, item_ids, counts)
    fragments[f"proposal-{proposal.id}-totals"] = render_template("proposals/_tree_totals.html", proposal=proposal)
    return fragments


def emit_proposal_change(result: ChangeResult) -> dict[str, Any]:
    """Render once and emit `proposal:changed` to everyone viewing the proposal."""
    from workspace.queries.proposals import load_proposal_tree
    from workspace.queries import comments

    # A field that is not money changes one row and nothing above it: no need for the whole tree.
    one_row = bool(result.field_name) and result.field_name not in MONEY_FIELDS and not result.structure_changed
    proposal = db.session.get(Proposal, result.proposal_id) if one_row else load_proposal_tree(result.proposal_id)
    if proposal is None or result.actor is None:
        return {}
    counts = comments.open_thread_counts(proposal.id)
    with force_locale(broadcast_locale()):
        if one_row:
            fragments = render_own_rows(proposal, result.item_ids, counts)
        else:
            fragments = render_tree_parts(proposal, result.item_ids, result.structure_changed, counts)
        fragments[f"proposal-{proposal.id}-revision"] = render_template(
            "proposals/_revision_label.html", proposal=proposal
        )
        fragments[f"proposal-{proposal.id}-discussion-count"] = render_template(
            "comments/_discussion_count.html", proposal=proposal, counts=counts
        )
        for thread in comments.load_threads(result.thread_ids):
            fragments[f"thread-{thread.id}"] = render_template(
                "comments/_thread.html", thread=thread, proposal=proposal
            )
        new_threads = [
            render_template("comments/_thread.html", thread=thread, proposal=proposal)
            for thread in comments.load_threads(result.new_thread_ids)
        ]
        if result.status_changed:
            fragments[f"proposal-{proposal.id}-status"] = render_template(
                "proposals/_status_badge.html", proposal=proposal
            )
        if result.review_changed:
            fragments[f"proposal-{proposal.id}-review"] = render_template(
                "review/_review_banner.html", proposal=proposal, review=comments.review_state(proposal)
            )
        history = [render_template("proposals/_revision.html", revision=r) for r in result.revisions]
    payload = {
        "proposal_id": proposal.id,
        "revision": result.revision,
        "fragments": fragments,
        "history": history,
        "threads": new_threads,
        "change": {
            "user_id": result.actor.id,
            "user_name": result.actor.display_name,
            "item_ids": result.item_ids if (result.field_name or result.structure_changed) else [],
            "field": result.field_name,
            "structure": result.structure_changed,
        },
    }
    socketio.emit("proposal:changed", payload, to=proposal_room(proposal.id))
    if result.field_name or result.structure_changed or result.status_changed:
        # The event's heavy views (matrix, national directions) re-fetch themselves, debounced.
        socketio.emit(
            "event:proposal-changed",
            {"proposal_id": proposal.id, "revision": result.revision},
            to=event_room(proposal.event_id),
        )
    return payload


def emit_notification_counts(user_ids: list[int]) -> None:
    """Each person's unread count, to their own room: the badge in the header updates live."""
    from workspace.queries import comments

    for user_id, unread in comments.unread_counts(user_ids).items():
        socketio.emit("notifications:count", {"unread": unread}, to=user_room(user_id))


def session_room(session_id: int) -> str:
    return f"session:{session_id}"


def emit_to_user(user_id: int, event: str, payload: dict[str, Any]) -> None:
    socketio.emit(event, payload, to=user_room(user_id))


SESSION_PARTS = {
    "spotlight": ["spotlight"],
    "timer": ["timer"],
    "announcement": ["announcement"],
    "attendance": ["attendance"],
    "proposals": ["proposals"],
    "agreements": ["proposals"],
    "state": ["state", "proposals"],
}


ALL_SESSION_PARTS = ["state", "timer", "spotlight", "announcement", "attendance", "proposals"]


def render_session_fragments(session: Any, parts: list[str]) -> dict[str, str]:
    """Each part with only the data its template needs (the timer needs no proposal tree)."""
    from sqlalchemy.orm import selectinload

    from workspace.extensions import db
    from workspace.models import Attendance, User
    from workspace.queries import sessions as facilitation
    from workspace.queries.proposals import load_proposal_tree

    context: dict[str, Any] = {"session": session, "timer": facilitation.timer_state(session)}
    if "spotlight" in parts:
        context["spotlight_proposal"] = (
            load_proposal_tree(session.spotlight_proposal_id) if session.spotlight_proposal_id else None
        )
    if "proposals" in parts:
        context["proposals"] = facilitation.proposals_of(session)
        context["agreements"] = facilitation.current_agreements(session)
    if "attendance" in parts:  # one query for the people and their agencies
        db.session.scalars(
            sa.select(Attendance)
            .where(Attendance.session_id == session.id)
            .options(selectinload(Attendance.user).selectinload(User.agency))
        ).all()
    return {f"session-{session.id}-{part}": render_template(f"sessions/_{part}.html", **context) for part in parts}


def emit_session_part(session: Any, part: str) -> None:
    """Render the changed part of a session room once; everyone in the session receives it."""
    from workspace.extensions import db
    from workspace.models import Session
    from workspace.queries import sessions as facilitation

    fresh = db.session.get(Session, session.id)
    with force_locale(broadcast_locale()):
        fragments = render_session_fragments(fresh, SESSION_PARTS[part])
    timer = facilitation.timer_state(fresh)
    socketio.emit(
        "session:changed",
        {
            "session_id": fresh.id,
            "part": part,
            "fragments": fragments,
            "timer": {"ends_at_ms": timer.ends_at_ms, "server_now_ms": timer.server_now_ms, "label": timer.label},
        },
        to=session_room(fresh.id),
    )


def emit_lock_change(proposal: Proposal) -> None:
    """A lock changes who may edit: every open page of the proposal updates its badge and rights."""
    from workspace.extensions import db

    fresh = db.session.get(Proposal, proposal.id)
    with force_locale(broadcast_locale()):
        badge = render_template("proposals/_status_badge.html", proposal=fresh)
    socketio.emit(
        "proposal:lock",
        {"proposal_id": fresh.id, "locked": fresh.is_locked, "fragments": {f"proposal-{fresh.id}-status": badge}},
        to=proposal_room(fresh.id),
    )


def emit_event_sessions(event_id: int) -> None:
    """The event home's list of live sessions."""
    socketio.emit("event:sessions", {"event_id": event_id}, to=event_room(event_id))
