"""Read side of the discussion and the review: threads, counts, notifications, review state."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from workspace.core.permissions import is_proposal_owner
from workspace.extensions import db
from workspace.models import (
    Comment,
    Event,
    Membership,
    Notification,
    Proposal,
    ReviewVerdict,
    Revision,
    SuggestionStatus,
    User,
)
from workspace.queries.proposals import proposals_worked_on

EDIT_ACTIONS = ("update", "restore", "create", "delete", "move")


def _thread_query() -> sa.Select:
    return sa.select(Comment).options(
        selectinload(Comment.author).selectinload(User.agency),
        selectinload(Comment.replies).selectinload(Comment.author),
        selectinload(Comment.item),
    )


def load_threads(thread_ids: list[int]) -> list[Comment]:
    if not thread_ids:
        return []
    threads = db.session.scalars(_thread_query().where(Comment.id.in_(thread_ids))).all()
    by_id = {thread.id: thread for thread in threads}
    return [by_id[i] for i in thread_ids if i in by_id]


def threads_of(proposal_id: int) -> list[Comment]:
    """Open threads first (newest first), then resolved ones."""
    threads = db.session.scalars(
        _thread_query()
        .where(Comment.proposal_id == proposal_id, Comment.parent_id.is_(None))
        .order_by(Comment.created_at.desc(), Comment.id.desc())
    ).all()
    return sorted(threads, key=lambda t: t.resolved_at is not None)


def open_thread_counts(proposal_id: int) -> dict[tuple[int | None, str | None], int]:
    """Open threads per anchor: (item, field), (item, None) or (None, None) for the proposal."""
    rows = db.session.execute(
        sa.select(Comment.item_id, Comment.field, sa.func.count(Comment.id))
        .where(
            Comment.proposal_id == proposal_id,
            Comment.parent_id.is_(None),
            Comment.resolved_at.is_(None),
            Comment.deleted_at.is_(None),
            Comment.hidden_at.is_(None),
        )
        .group_by(Comment.item_id, Comment.field)
    )
    return {(item_id, field): count for item_id, field, count in rows}


def unread_counts(user_ids: list[int]) -> dict[int, int]:
    counts = dict.fromkeys(user_ids, 0)
    rows = db.session.execute(
        sa.select(Notification.user_id, sa.func.count(Notification.id))
        .where(Notification.user_id.in_(user_ids), Notification.read_at.is_(None))
        .group_by(Notification.user_id)
    )
    counts.update({user_id: count for user_id, count in rows})
    return counts


def notifications_of(user: User, limit: int = 100) -> list[Notification]:
    return list(
        db.session.scalars(
            sa.select(Notification)
            .where(Notification.user_id == user.id)
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(limit)
        )
    )


@dataclass(frozen=True)
class ReviewState:
    verdict: ReviewVerdict | None
    changes_since: list[Revision]
    open_threads: int
    open_suggestions: int

    @property
    def changed_since_review(self) -> bool:
        return self.verdict is not None and bool(self.changes_since)


def review_state(proposal: Proposal) -> ReviewState:
    verdict = db.session.scalar(
        sa.select(ReviewVerdict)
        .where(ReviewVerdict.proposal_id == proposal.id)
        .order_by(ReviewVerdict.created_at.desc(), ReviewVerdict.id.desc())
        .limit(1)
    )
    changes: list[Revision] = []
    if verdict is not None:
        changes = list(
            db.session.scalars(
                sa.select(Revision)
                .where(
                    Revision.proposal_id == proposal.id,
                    Revision.proposal_revision > verdict.at_revision,
                    Revision.action.in_(EDIT_ACTIONS),
                )
                .order_by(Revision.proposal_revision)
            )
        )
    open_threads, open_suggestions = db.session.execute(
        sa.select(
            sa.func.count(Comment.id).filter(Comment.resolved_at.is_(None)),
            sa.func.count(Comment.id).filter(Comment.suggestion_status == SuggestionStatus.OPEN),
        ).where(
            Comment.proposal_id == proposal.id,
            Comment.parent_id.is_(None),
            Comment.deleted_at.is_(None),
            Comment.hidden_at.is_(None),
        )
    ).one()
    return ReviewState(verdict, changes, open_threads or 0, open_suggestions or 0)


def review_overview(event: Event) -> list[tuple[Proposal, ReviewState]]:
    proposals = db.session.scalars(
        sa.select(Proposal).where(Proposal.event_id == event.id).options(selectinload(Proposal.agency))
    ).all()
    rows = [(proposal, review_state(proposal)) for proposal in proposals]
    # Most to do first: open suggestions, then open threads, then changed since a verdict.
    return sorted(
        rows,
        key=lambda row: (
            -row[1].open_suggestions,
            -row[1].open_threads,
            not row[1].changed_since_review,
            row[0].agency.region_code,
        ),
    )


MENTION_MIN_QUERY = 2  # characters: no listing of everyone with an empty or one-letter query
MENTION_RESULTS = 8


def people_matching(event: Event, text: str, limit: int = MENTION_RESULTS) -> list[User]:
    """Completion for @mentions: at most `limit` (≤ MENTION_RESULTS) active people of this event
    whose name or username contains the text, which must be MENTION_MIN_QUERY characters or more
    (LIKE's % and _ are taken literally: "%%" matches nobody's name, not everyone's)."""
    typed = text.strip().lower()[:40]
    if len(typed) < MENTION_MIN_QUERY:
        return []
    username_first = sa.case((User.username.startswith(typed, autoescape=True), 0), else_=1)
    members = sa.select(Membership.user_id).where(Membership.event_id == event.id)
    return list(
        db.session.scalars(
            sa.select(User)
            .where(
                User.id.in_(members),
                User.active.is_(True),
                sa.or_(
                    sa.func.lower(User.name).contains(typed, autoescape=True),
                    User.username.contains(typed, autoescape=True),
                ),
            )
            .order_by(username_first, User.username)
            .limit(min(limit, MENTION_RESULTS))
        )
    )


def agency_dashboard(user: User, event: Event) -> tuple[Proposal | None, ReviewState | None, list[Comment]]:
    """For an agency's participant: its proposal, the latest verdict, and the open threads on it."""
    worked_on = proposals_worked_on(user, event)
    proposal = worked_on[0] if worked_on else None
    if proposal is None or not is_proposal_owner(user, proposal):
        return None, None, []
    open_threads = [
        t for t in threads_of(proposal.id) if t.resolved_at is None and not t.deleted_at and not t.hidden_at
    ]
    return proposal, review_state(proposal), open_threads
