"""Shared steps of every write to a proposal: the revision bump that opens it, and its history.

Field edits, tree changes, comments, suggestions, verdicts and agreements all bump the proposal's
revision in their unit of work and record typed changes; the publisher announces them after the
commit (`workspace/core/uow.py`, `workspace/realtime/publish.py`).
"""

from __future__ import annotations

import sqlalchemy as sa

from workspace.extensions import db
from workspace.models import Proposal, Revision, User


def bump_revision(proposal_id: int) -> int:
    """The first statement of every write to a proposal: takes SQLite's write lock or PostgreSQL's
    row lock, so writers of one proposal are serialised, and returns the new revision number."""
    statement = (
        sa.update(Proposal)
        .where(Proposal.id == proposal_id)
        .values(revision=Proposal.revision + 1)
        .returning(Proposal.revision)
    )
    return db.session.execute(statement).scalar_one_or_none() or 0


def record_revision(
    actor: User, proposal_id: int, revision_number: int, item_id: int | None, label: str, action: str, **values: object
) -> Revision:
    """Write the history row of one change, inside its transaction (flushed: its id is known)."""
    revision = Revision(
        proposal_id=proposal_id,
        proposal_revision=revision_number,
        item_id=item_id,
        item_label=label,
        action=action,
        user_id=actor.id,
        **values,
    )
    db.session.add(revision)
    db.session.flush()
    return revision


# ---- TEMPORARY: the old switchboard, until comments, facilitation and importing record typed changes.
from dataclasses import dataclass, field  # noqa: E402
from flask import current_app  # noqa: E402

@dataclass
class ChangeResult:
    proposal_id: int
    revision: int
    changed: bool = True
    item_ids: list[int] = field(default_factory=list)
    structure_changed: bool = False
    revisions: list[Revision] = field(default_factory=list)
    actor: User | None = None
    field_name: str | None = None
    # Discussion: threads whose fragment changed, and threads that are new.
    thread_ids: list[int] = field(default_factory=list)
    new_thread_ids: list[int] = field(default_factory=list)
    review_changed: bool = False
    status_changed: bool = False
    # Who should hear that their notification list grew (user ids).
    notified_user_ids: list[int] = field(default_factory=list)


def announce(result: ChangeResult) -> ChangeResult:
    """After the commit: render the changed fragments once and emit them to the proposal's room.

    A failed broadcast never turns a committed change into an error: clients catch up at their
    next revision gap or reconnect.
    """
    if not result.changed or result.actor is None:
        return result
    from workspace.realtime.broadcast import emit_notification_counts, emit_proposal_change

    try:
        emit_proposal_change(result)
    except Exception:
        current_app.logger.exception("broadcast of proposal %s revision %s failed", result.proposal_id, result.revision)
    if result.notified_user_ids:
        try:
            emit_notification_counts(result.notified_user_ids)
        except Exception:
            current_app.logger.exception("notification broadcast failed")
    return result
