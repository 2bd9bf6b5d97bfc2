"""Comments, suggestions, notifications and the reviewers' verdicts.

Same write path as editing: validate → permit → one short transaction that bumps the proposal's
revision → commit → announce (threads and counts rendered once, unread badges to user rooms).
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask_babel import gettext as _

from workspace.core.permissions import (
    can_comment,
    can_edit_proposal,
    can_manage_event,
    can_moderate_comments,
    can_review,
    can_view_proposal,
)
from workspace.extensions import db
from workspace.models import (
    AuditEntry,
    Comment,
    CommentKind,
    Event,
    EventPhase,
    Membership,
    Notification,
    Proposal,
    ProposalItem,
    ReviewVerdict,
    Role,
    SuggestionStatus,
    User,
    VerdictKind,
)
from workspace.models.base import utcnow
from workspace.queries.comments import (  # noqa: F401  (re-exported until callers import the queries)
    EDIT_ACTIONS,
    ReviewState,
    agency_dashboard,
    load_threads,
    notifications_of,
    open_thread_counts,
    people_matching,
    review_overview,
    review_state,
    threads_of,
    unread_counts,
)
from workspace.services import editing
from workspace.services.changes import ChangeResult, announce, bump_revision
from workspace.services.errors import NotFound, PermissionDenied, ValidationFailed
from workspace.services.item_fields import FIELDS, FieldInvalid, field_applies, parse_field_value
from workspace.services.transactions import write_transaction

MAX_COMMENT_LENGTH = 2000
MENTION = re.compile(r"(?<![\w.])@([a-z0-9][a-z0-9._-]{0,79})", re.IGNORECASE)


# ---- Read side ------------------------------------------------------------------------------






















# ---- Write side -----------------------------------------------------------------------------


def clean_body(raw: str, required: bool = True) -> str:
    """Plain text: keep line breaks and tabs, drop other control characters."""
    text = re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", "", raw.replace("\r\n", "\n")).strip()
    if required and not text:
        raise ValidationFailed({"body": _("Write a comment first.")})
    if len(text) > MAX_COMMENT_LENGTH:
        raise ValidationFailed({"body": _("A comment has at most %(max)d characters.", max=MAX_COMMENT_LENGTH)})
    return text


def _proposal_for_comment(actor: User, proposal_id: int) -> Proposal:
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None or not can_view_proposal(actor, proposal):
        raise NotFound(_("The page or data you are looking for does not exist."))
    if not can_comment(actor, proposal):
        raise PermissionDenied(_("You cannot comment on this proposal."))
    return proposal


def _mentioned_users(event_id: int, body: str, actor: User) -> list[User]:
    usernames = {name.lower().rstrip(".") for name in MENTION.findall(body)}
    if not usernames:
        return []
    return list(
        db.session.scalars(
            sa.select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.event_id == event_id, User.username.in_(usernames), User.id != actor.id)
            .distinct()
        )
    )


def _notify(
    users: list[User], event_id: int, kind: str, message: str, proposal_id: int, comment_id: int | None
) -> list[int]:
    ids = []
    for user in {u.id: u for u in users}.values():
        db.session.add(
            Notification(
                user_id=user.id,
                event_id=event_id,
                kind=kind,
                message=message[:500],
                proposal_id=proposal_id,
                comment_id=comment_id,
            )
        )
        ids.append(user.id)
    return ids


def post_comment(
    actor: User,
    proposal_id: int,
    body: str,
    *,
    item_id: int | None = None,
    field: str | None = None,
    suggestion: str | None = None,
) -> ChangeResult:
    """Start a thread on a proposal, an item or one field; with `suggestion`, propose a new value."""
    proposal = _proposal_for_comment(actor, proposal_id)
    errors: dict[str, str] = {}
    item = None
    if item_id is not None:
        item = db.session.get(ProposalItem, item_id)
        if item is None or item.proposal_id != proposal.id:
            raise NotFound(_("This item no longer exists; it may have been deleted."))
    if field is not None and (item is None or field not in FIELDS or not field_applies(item, field)):
        errors["field"] = _("Choose a field of this item.")
    is_suggestion = suggestion is not None
    text = clean_body(body, required=not is_suggestion)
    suggested_value = suggested_from = None
    if is_suggestion:
        if item is None or field is None:
            errors["field"] = _("A suggestion needs an item and a field.")
        elif "field" not in errors:
            try:
                suggested_value = parse_field_value(item, field, suggestion or "")
            except FieldInvalid as invalid:
                errors["suggestion"] = str(invalid)
            else:
                suggested_from = FIELDS[field].to_text(item)
                if suggested_value == suggested_from:
                    errors["suggestion"] = _("The suggested value is the same as the current one.")
    if errors:
        raise ValidationFailed(errors)
    with write_transaction():
        revision = bump_revision(proposal.id)
        comment = Comment(
            proposal_id=proposal.id,
            item_id=item.id if item else None,
            field=field,
            author_id=actor.id,
            kind=CommentKind.SUGGESTION if is_suggestion else CommentKind.COMMENT,
            body=text,
            suggested_value=suggested_value,
            suggested_from=suggested_from,
            suggestion_status=SuggestionStatus.OPEN if is_suggestion else None,
        )
        db.session.add(comment)
        db.session.flush()
        notified = _notify(
            _mentioned_users(proposal.event_id, text, actor),
            proposal.event_id,
            "mention",
            _("%(name)s mentioned you on %(agency)s", name=actor.display_name, agency=proposal.agency.short_name),
            proposal.id,
            comment.id,
        )
    return announce(
        ChangeResult(
            proposal_id=proposal_id,
            revision=revision,
            actor=actor,
            item_ids=[item_id] if item_id else [],
            new_thread_ids=[comment.id],
            notified_user_ids=notified,
        )
    )


def _comment_for(actor: User, comment_id: int) -> Comment:
    comment = db.session.get(Comment, comment_id)
    if comment is None:
        raise NotFound(_("This comment no longer exists."))
    proposal = db.session.get(Proposal, comment.proposal_id)
    if proposal is None or not can_view_proposal(actor, proposal):
        raise NotFound(_("This comment no longer exists."))
    return comment


def _thread_change(
    actor: User, comment: Comment, revision: int, notified: list[int] | None = None, review_changed: bool = False
) -> ChangeResult:
    root_id = comment.parent_id or comment.id
    return announce(
        ChangeResult(
            proposal_id=comment.proposal_id,
            revision=revision,
            actor=actor,
            item_ids=[comment.item_id] if comment.item_id else [],
            thread_ids=[root_id],
            notified_user_ids=notified or [],
            review_changed=review_changed,
        )
    )


def reply(actor: User, comment_id: int, body: str) -> ChangeResult:
    """Answer in a thread; the thread's author and the people mentioned are notified."""
    parent = _comment_for(actor, comment_id)
    root = db.session.get(Comment, parent.parent_id) if parent.parent_id else parent
    proposal = _proposal_for_comment(actor, root.proposal_id)
    text = clean_body(body)
    with write_transaction():
        revision = bump_revision(proposal.id)
        answer = Comment(
            proposal_id=proposal.id,
            item_id=root.item_id,
            field=root.field,
            parent_id=root.id,
            author_id=actor.id,
            body=text,
        )
        db.session.add(answer)
        db.session.flush()
        people = _mentioned_users(proposal.event_id, text, actor)
        notified = _notify(
            people,
            proposal.event_id,
            "mention",
            _("%(name)s mentioned you on %(agency)s", name=actor.display_name, agency=proposal.agency.short_name),
            proposal.id,
            answer.id,
        )
        earlier = {root.author_id, parent.author_id} - {actor.id} - set(notified)
        authors = list(db.session.scalars(sa.select(User).where(User.id.in_(earlier))))
        notified += _notify(
            authors,
            proposal.event_id,
            "reply",
            _(
                "%(name)s replied to your comment on %(agency)s",
                name=actor.display_name,
                agency=proposal.agency.short_name,
            ),
            proposal.id,
            answer.id,
        )
    return _thread_change(actor, answer, revision, notified)


def _own_comment(actor: User, comment_id: int) -> Comment:
    comment = _comment_for(actor, comment_id)
    if comment.author_id != actor.id:
        raise PermissionDenied(_("Only the author can change or delete a comment."))
    if comment.deleted_at is not None or comment.hidden_at is not None:
        raise PermissionDenied(_("This comment can no longer be changed."))
    proposal = db.session.get(Proposal, comment.proposal_id)
    if not proposal.event.accepts_edits:
        raise PermissionDenied(_("The event is closed; proposals can no longer be changed."))
    return comment


def edit_comment(actor: User, comment_id: int, body: str) -> ChangeResult:
    comment = _own_comment(actor, comment_id)
    text = clean_body(body, required=comment.kind is not CommentKind.SUGGESTION)
    with write_transaction():
        revision = bump_revision(comment.proposal_id)
        comment = db.session.get(Comment, comment_id)
        comment.body = text
        comment.edited_at = utcnow()
    return _thread_change(actor, comment, revision)


def delete_comment(actor: User, comment_id: int) -> ChangeResult:
    """The author deletes: a marker stays so the replies keep their context."""
    comment = _own_comment(actor, comment_id)
    with write_transaction():
        revision = bump_revision(comment.proposal_id)
        comment = db.session.get(Comment, comment_id)
        comment.deleted_at = utcnow()
        if comment.is_open_suggestion:
            comment.suggestion_status = SuggestionStatus.REJECTED
            comment.rejection_reason = _("Withdrawn by the author.")
    return _thread_change(actor, comment, revision)


def hide_comment(actor: User, comment_id: int, hidden: bool = True) -> ChangeResult:
    """An organiser hides an abusive comment: kept in the database, shown as hidden."""
    comment = _comment_for(actor, comment_id)
    proposal = db.session.get(Proposal, comment.proposal_id)
    if not can_moderate_comments(actor, proposal.event):
        raise PermissionDenied(_("Only the organisers can hide comments."))
    with write_transaction():
        revision = bump_revision(comment.proposal_id)
        comment = db.session.get(Comment, comment_id)
        comment.hidden_at = utcnow() if hidden else None
        comment.hidden_by_id = actor.id if hidden else None
        db.session.add(
            AuditEntry(
                event_id=proposal.event_id,
                actor_id=actor.id,
                action="comment.hide" if hidden else "comment.unhide",
                target=f"comment:{comment.id}",
                detail=comment.body[:500],
            )
        )
    return _thread_change(actor, comment, revision)


def _editable_thread(actor: User, comment_id: int) -> tuple[Comment, Proposal]:
    comment = _comment_for(actor, comment_id)
    proposal = db.session.get(Proposal, comment.proposal_id)
    if not can_edit_proposal(actor, proposal):
        raise PermissionDenied(_("Only those who can change this proposal can do this."))
    return comment, proposal


def resolve_thread(actor: User, comment_id: int, resolved: bool = True) -> ChangeResult:
    comment, _proposal = _editable_thread(actor, comment_id)
    if comment.parent_id is not None:
        raise ValidationFailed({"": _("Only a whole thread can be resolved.")})
    with write_transaction():
        revision = bump_revision(comment.proposal_id)
        comment = db.session.get(Comment, comment_id)
        comment.resolved_at = utcnow() if resolved else None
        comment.resolved_by_id = actor.id if resolved else None
    return _thread_change(actor, comment, revision)


def _open_suggestion(actor: User, comment_id: int) -> tuple[Comment, Proposal]:
    comment, proposal = _editable_thread(actor, comment_id)
    if not comment.is_open_suggestion or comment.deleted_at or comment.hidden_at:
        raise ValidationFailed({"": _("This suggestion has already been decided.")})
    return comment, proposal


def accept_suggestion(actor: User, comment_id: int, base_text: str | None = None) -> ChangeResult:
    """Apply the suggested value as an ordinary, conflict-checked change that names the suggestion.

    `base_text` defaults to the value the suggestion started from; after a conflict the user may
    apply it over the current value by passing that value.
    """
    comment, _proposal = _open_suggestion(actor, comment_id)
    item_id, field, value = comment.item_id, comment.field, comment.suggested_value or ""
    if item_id is None or field is None:
        raise ValidationFailed({"": _("This suggestion is no longer anchored to a field.")})

    def mark_accepted() -> None:
        suggestion = db.session.get(Comment, comment_id)
        suggestion.suggestion_status = SuggestionStatus.ACCEPTED
        suggestion.resolved_at = utcnow()
        suggestion.resolved_by_id = actor.id

    result = editing.update_field(
        actor,
        item_id,
        field,
        value,
        base_text if base_text is not None else comment.suggested_from or "",
        suggestion_id=comment_id,
        also=mark_accepted,
        thread_ids=[comment_id],
    )
    if not result.changed:  # the field already holds the suggested value
        with write_transaction():
            revision = bump_revision(comment.proposal_id)
            mark_accepted()
        return _thread_change(actor, db.session.get(Comment, comment_id), revision)
    return result


def reject_suggestion(actor: User, comment_id: int, reason: str) -> ChangeResult:
    comment, _proposal = _open_suggestion(actor, comment_id)
    text = re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", "", reason).strip()
    if not text:
        raise ValidationFailed({"reason": _("Give a reason for rejecting the suggestion.")})
    if len(text) > 500:
        raise ValidationFailed({"reason": _("At most %(max)d characters.", max=500)})
    with write_transaction():
        revision = bump_revision(comment.proposal_id)
        comment = db.session.get(Comment, comment_id)
        comment.suggestion_status = SuggestionStatus.REJECTED
        comment.rejection_reason = text
        comment.resolved_at = utcnow()
        comment.resolved_by_id = actor.id
        notified = []
        if comment.author_id != actor.id:
            proposal = db.session.get(Proposal, comment.proposal_id)
            notified = _notify(
                [comment.author],
                proposal.event_id,
                "suggestion",
                _(
                    "%(name)s rejected your suggestion on %(agency)s",
                    name=actor.display_name,
                    agency=proposal.agency.short_name,
                ),
                proposal.id,
                comment.id,
            )
    return _thread_change(actor, comment, revision, notified)


def mark_notifications_read(actor: User) -> None:
    with write_transaction():
        db.session.execute(
            sa.update(Notification)
            .where(Notification.user_id == actor.id, Notification.read_at.is_(None))
            .values(read_at=utcnow())
        )
    from workspace.realtime.broadcast import emit_notification_counts

    emit_notification_counts([actor.id])


# ---- The review phase -----------------------------------------------------------------------


def set_phase(actor: User, event: Event, phase: EventPhase) -> None:
    if not can_manage_event(actor, event):
        raise PermissionDenied(_("Only the organisers can change the event phase."))
    old = event.phase
    if old is phase:
        return
    with write_transaction():
        event = db.session.get(Event, event.id)
        event.phase = phase
        db.session.add(
            AuditEntry(
                event_id=event.id,
                actor_id=actor.id,
                action="event.phase",
                target=f"event:{event.id}",
                detail=f"{old.value} → {phase.value}",
            )
        )


def give_verdict(actor: User, proposal_id: int, verdict: str, note: str) -> ChangeResult:
    """A reviewer's verdict: disetujui, or perlu perbaikan with a note. The agency is notified."""
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None or not can_view_proposal(actor, proposal):
        raise NotFound(_("The page or data you are looking for does not exist."))
    if not can_review(actor, proposal.event):
        raise PermissionDenied(_("Only reviewers can give a verdict."))
    if proposal.event.phase is not EventPhase.REVIEW:
        raise PermissionDenied(_("Verdicts are given in the review phase, after the meeting."))
    if verdict not in VerdictKind._value2member_map_:
        raise ValidationFailed({"verdict": _("Choose a verdict.")})
    kind = VerdictKind(verdict)
    text = re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", "", note.replace("\r\n", "\n")).strip()
    if kind is VerdictKind.NEEDS_REVISION and not text:
        raise ValidationFailed({"note": _("Say what must be improved.")})
    if len(text) > MAX_COMMENT_LENGTH:
        raise ValidationFailed({"note": _("At most %(max)d characters.", max=MAX_COMMENT_LENGTH)})
    with write_transaction():
        revision = bump_revision(proposal_id)
        db.session.add(
            ReviewVerdict(proposal_id=proposal_id, reviewer_id=actor.id, verdict=kind, note=text, at_revision=revision)
        )
        owners = list(
            db.session.scalars(
                sa.select(User)
                .join(Membership, Membership.user_id == User.id)
                .where(
                    Membership.event_id == proposal.event_id,
                    Membership.role == Role.PARTICIPANT,
                    User.agency_id == proposal.agency_id,
                )
            )
        )
        label = _("approved") if kind is VerdictKind.APPROVED else _("needs revision")
        notified = _notify(
            owners,
            proposal.event_id,
            "verdict",
            _(
                "%(name)s: %(verdict)s for %(agency)s",
                name=actor.display_name,
                verdict=label,
                agency=proposal.agency.short_name,
            ),
            proposal_id,
            None,
        )
    return announce(
        ChangeResult(
            proposal_id=proposal_id, revision=revision, actor=actor, review_changed=True, notified_user_ids=notified
        )
    )


