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
