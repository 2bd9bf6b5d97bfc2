"""One change to a proposal, as the services report it, and its announcement after the commit.

Field edits, tree changes, comments, suggestions and verdicts all bump the proposal's revision;
each is announced once to the proposal's room with the fragments it changed (DESIGN.md §3).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app

from workspace.extensions import db
from workspace.models import Proposal, Revision, User


def bump_revision(proposal_id: int) -> int:
    """The first statement of every write to a proposal: takes SQLite's write lock or PostgreSQL's
    row lock, so writers of one proposal are serialised, and returns the new revision number."""
    db.session.execute(sa.update(Proposal).where(Proposal.id == proposal_id).values(revision=Proposal.revision + 1))
    return db.session.scalar(sa.select(Proposal.revision).where(Proposal.id == proposal_id)) or 0


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
