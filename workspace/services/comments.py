"""Comments, suggestions and notifications.

Same write path as editing: validate → permit → one short unit of work that bumps the proposal's
revision, re-reads the rows it decides on and records typed changes (a thread added or changed,
whose unread counts moved) → commit → the publisher renders the threads and counts once and tells
the people notified. The reviewers' verdicts and the event's phase live in `services/review.py`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from workspace.core.access import deactivated_agency_refusal
from workspace.core.changes import NotificationsChanged, ThreadAdded, ThreadChanged
from workspace.core.errors import NotFound, PermissionDenied, ValidationFailed
from workspace.core.item_fields import FIELDS, FieldInvalid, field_applies, parse_field_value
from workspace.core.permissions import (
    can_comment,
    can_edit_proposal,
    can_mention_in,
    can_moderate_comments,
    can_view_proposal,
)
from workspace.core.texts import N_, Text
from workspace.core.uow import ProposalWrite, record, write_transaction
from workspace.extensions import db
from workspace.models import (
    AuditEntry,
    Comment,
    CommentKind,
    Membership,
    Notification,
    Proposal,
    ProposalItem,
    SuggestionStatus,
    User,
)
from workspace.models.base import utcnow
from workspace.services import editing
from workspace.services.changes import bump_revision
from workspace.services.editing import fresh

MAX_COMMENT_LENGTH = 2000
MAX_REASON_LENGTH = 500
MENTION = re.compile(r"(?<![\w.])@([a-z0-9][a-z0-9._-]{0,79})", re.IGNORECASE)

#: A check on a comment and its proposal, run before the unit of work and again on the fresh rows.
Check = Callable[[User, Comment, Proposal], None]
#: The change a thread write makes to the fresh comment; returns the ids of the people it notified.
Mutation = Callable[[Comment, Proposal], list[int]]


# ---- Text and notifications -------------------------------------------------------------------


def strip_controls(raw: str) -> str:
    """Plain text: keep line breaks and tabs, drop other control characters."""
    return re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", "", raw.replace("\r\n", "\n")).strip()


def clean_body(raw: str, required: bool = True) -> str:
    text = strip_controls(raw)
    if required and not text:
        raise ValidationFailed({"body": _("Write a comment first.")})
    if len(text) > MAX_COMMENT_LENGTH:
        raise ValidationFailed({"body": _("A comment has at most %(max)d characters.", max=MAX_COMMENT_LENGTH)})
    return text


def notify(
    users: Iterable[User], event_id: int, kind: str, message: Text, proposal_id: int, comment_id: int | None
) -> list[int]:
    """Add one notification per person (inside the caller's unit of work); their ids. The message
    is kept as its msgid and parameters, shown in each reader's language, and in the default one."""
    ids = []
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        default_text = str(message)[:500]
    for user in {u.id: u for u in users}.values():
        db.session.add(
            Notification(
                user_id=user.id,
                event_id=event_id,
                kind=kind,
                message=default_text,
                text=message.to_json(),
                proposal_id=proposal_id,
                comment_id=comment_id,
            )
        )
        ids.append(user.id)
    return ids


def record_notified(user_ids: Sequence[int]) -> None:
    """These people's unread counts moved (nothing to record when nobody was notified)."""
    if user_ids:
        record(NotificationsChanged(tuple(sorted(set(user_ids)))))


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


def _notify_mentions(actor: User, proposal: Proposal, text: str, comment_id: int) -> list[int]:
    return notify(
        _mentioned_users(proposal.event_id, text, actor),
        proposal.event_id,
        "mention",
        N_("%(name)s mentioned you on %(agency)s", name=actor.display_name, agency=proposal.agency.short_name),
        proposal.id,
        comment_id,
    )


def _record_thread(
    kind: type[ThreadAdded] | type[ThreadChanged],
    actor: User,
    proposal: Proposal,
    revision: int,
    thread_id: int,
    notified: Sequence[int] = (),
) -> None:
    record(
        kind(
            proposal_id=proposal.id,
            event_id=proposal.event_id,
            revision=revision,
            actor_id=actor.id,
            thread_ids=(thread_id,),
        )
    )
    record_notified(notified)


# ---- Who may ----------------------------------------------------------------------------------


def _proposal_for_comment(actor: User, proposal_id: int) -> Proposal:
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None or not can_view_proposal(actor, proposal):
        raise NotFound(_("The page or data you are looking for does not exist."))
    _check_commenter(actor, None, proposal)
    return proposal


def _comment_for(actor: User, comment_id: int) -> tuple[Comment, Proposal]:
    comment = db.session.get(Comment, comment_id)
    proposal = db.session.get(Proposal, comment.proposal_id) if comment is not None else None
    if comment is None or proposal is None or not can_view_proposal(actor, proposal):
        raise NotFound(_("This comment no longer exists."))
    return comment, proposal


def _check_commenter(actor: User, _comment: Comment | None, proposal: Proposal) -> None:
    if not can_comment(actor, proposal):
        raise deactivated_agency_refusal(actor, proposal.event) or PermissionDenied(
            _("You cannot comment on this proposal.")
        )


def _check_own(actor: User, comment: Comment, proposal: Proposal) -> None:
    if comment.author_id != actor.id:
        raise PermissionDenied(_("Only the author can change or delete a comment."))
    refusal = deactivated_agency_refusal(actor, proposal.event)
    if refusal is not None and not can_mention_in(actor, proposal.event):
        raise refusal
    if comment.deleted_at is not None or comment.hidden_at is not None:
        raise PermissionDenied(_("This comment can no longer be changed."))
    if not proposal.event.accepts_edits:
        raise PermissionDenied(_("The event is closed; proposals can no longer be changed."))


def _check_moderator(actor: User, _comment: Comment, proposal: Proposal) -> None:
    if not can_moderate_comments(actor, proposal.event):
        raise PermissionDenied(_("Only the organisers can hide comments."))


def _check_editor(actor: User, _comment: Comment, proposal: Proposal) -> None:
    if not can_edit_proposal(actor, proposal):
        raise deactivated_agency_refusal(actor, proposal.event) or PermissionDenied(
            _("Only those who can change this proposal can do this.")
        )


def _check_whole_thread(actor: User, comment: Comment, proposal: Proposal) -> None:
    _check_editor(actor, comment, proposal)
    if comment.parent_id is not None:
        raise ValidationFailed({"": _("Only a whole thread can be resolved.")})


def _check_open_suggestion(actor: User, comment: Comment, proposal: Proposal) -> None:
    _check_editor(actor, comment, proposal)
    if not comment.is_open_suggestion or comment.deleted_at or comment.hidden_at:
        raise ValidationFailed({"": _("This suggestion has already been decided.")})


# ---- Starting a thread ------------------------------------------------------------------------


def _anchor_item(proposal: Proposal, item_id: int | None) -> ProposalItem | None:
    if item_id is None:
        return None
    item = db.session.get(ProposalItem, item_id)
    if item is None or item.proposal_id != proposal.id:
        raise NotFound(_("This item no longer exists; it may have been deleted."))
    return item


def _suggested_values(
    item: ProposalItem | None, field: str | None, suggestion: str, errors: dict[str, str]
) -> tuple[str | None, str | None]:
    """The suggested value and the value it starts from, or the reason in `errors`."""
    if item is None or field is None:
        errors["field"] = _("A suggestion needs an item and a field.")
        return None, None
    if "field" in errors:
        return None, None
    try:
        value = parse_field_value(item, field, suggestion)
    except FieldInvalid as invalid:
        errors["suggestion"] = str(invalid)
        return None, None
    current = FIELDS[field].to_text(item)
    if value == current:
        errors["suggestion"] = _("The suggested value is the same as the current one.")
    return value, current


def post_comment(
    actor: User,
    proposal_id: int,
    body: str,
    *,
    item_id: int | None = None,
    field: str | None = None,
    suggestion: str | None = None,
) -> ProposalWrite:
    """Start a thread on a proposal, an item or one field; with `suggestion`, propose a new value."""
    proposal = _proposal_for_comment(actor, proposal_id)
    item = _anchor_item(proposal, item_id)
    errors: dict[str, str] = {}
    if field is not None and (item is None or field not in FIELDS or not field_applies(item, field)):
        errors["field"] = _("Choose a field of this item.")
    is_suggestion = suggestion is not None
    text = clean_body(body, required=not is_suggestion)
    suggested_value = suggested_from = None
    if is_suggestion:
        suggested_value, suggested_from = _suggested_values(item, field, suggestion or "", errors)
    if errors:
        raise ValidationFailed(errors)
    with write_transaction() as unit:
        revision = bump_revision(proposal.id)
        if item is not None and fresh(ProposalItem, item.id) is None:  # deleted meanwhile
            raise NotFound(_("This item no longer exists; it may have been deleted."))
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
        notified = _notify_mentions(actor, proposal, text, comment.id)
        _record_thread(ThreadAdded, actor, proposal, revision, comment.id, notified)
    return ProposalWrite(proposal_id=proposal.id, revision=revision, published=unit.published)


# ---- Writes on an existing thread -------------------------------------------------------------


def _checked(actor: User, comment_id: int, check: Check) -> tuple[Comment, Proposal]:
    """The comment and its proposal, refused before any input is judged."""
    comment, proposal = _comment_for(actor, comment_id)
    check(actor, comment, proposal)
    return comment, proposal


def _thread_write(actor: User, proposal: Proposal, comment_id: int, check: Check, change: Mutation) -> ProposalWrite:
    """One write on an existing thread: checked again on the fresh comment under the proposal's
    lock (someone may have deleted or decided it meanwhile), changed, and its thread announced."""
    with write_transaction() as unit:
        revision = bump_revision(proposal.id)
        comment = fresh(Comment, comment_id)
        if comment is None:
            raise NotFound(_("This comment no longer exists."))
        check(actor, comment, proposal)
        notified = change(comment, proposal)
        _record_thread(ThreadChanged, actor, proposal, revision, comment.parent_id or comment.id, notified)
    return ProposalWrite(proposal_id=proposal.id, revision=revision, published=unit.published)


def reply(actor: User, comment_id: int, body: str) -> ProposalWrite:
    """Answer in a thread; the thread's author and the people mentioned are notified."""
    _comment, proposal = _checked(actor, comment_id, _check_commenter)
    text = clean_body(body)

    def answer(parent: Comment, proposal: Proposal) -> list[int]:
        root = fresh(Comment, parent.parent_id) if parent.parent_id else parent
        if root is None:
            raise NotFound(_("This comment no longer exists."))
        new = Comment(
            proposal_id=proposal.id,
            item_id=root.item_id,
            field=root.field,
            parent_id=root.id,
            author_id=actor.id,
            body=text,
        )
        db.session.add(new)
        db.session.flush()
        notified = _notify_mentions(actor, proposal, text, new.id)
        earlier = {root.author_id, parent.author_id} - {actor.id} - set(notified)
        authors = db.session.scalars(sa.select(User).where(User.id.in_(earlier)))
        message = N_(
            "%(name)s replied to your comment on %(agency)s", name=actor.display_name, agency=proposal.agency.short_name
        )
        return notified + notify(authors, proposal.event_id, "reply", message, proposal.id, new.id)

    return _thread_write(actor, proposal, comment_id, _check_commenter, answer)


def edit_comment(actor: User, comment_id: int, body: str) -> ProposalWrite:
    comment, proposal = _checked(actor, comment_id, _check_own)
    text = clean_body(body, required=comment.kind is not CommentKind.SUGGESTION)

    def edit(comment: Comment, _proposal: Proposal) -> list[int]:
        comment.body = text
        comment.edited_at = utcnow()
        return []

    return _thread_write(actor, proposal, comment_id, _check_own, edit)


def _delete(comment: Comment, _proposal: Proposal) -> list[int]:
    comment.deleted_at = utcnow()
    if comment.is_open_suggestion:
        comment.suggestion_status = SuggestionStatus.REJECTED
        comment.rejection_reason = _("Withdrawn by the author.")
    return []


def delete_comment(actor: User, comment_id: int) -> ProposalWrite:
    """The author deletes: a marker stays so the replies keep their context."""
    _comment, proposal = _checked(actor, comment_id, _check_own)
    return _thread_write(actor, proposal, comment_id, _check_own, _delete)


def hide_comment(actor: User, comment_id: int, hidden: bool = True) -> ProposalWrite:
    """An organiser hides an abusive comment: kept in the database, shown as hidden."""
    _comment, proposal = _checked(actor, comment_id, _check_moderator)

    def hide(comment: Comment, proposal: Proposal) -> list[int]:
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
        return []

    return _thread_write(actor, proposal, comment_id, _check_moderator, hide)


def resolve_thread(actor: User, comment_id: int, resolved: bool = True) -> ProposalWrite:
    _comment, proposal = _checked(actor, comment_id, _check_whole_thread)

    def resolve(comment: Comment, _proposal: Proposal) -> list[int]:
        comment.resolved_at = utcnow() if resolved else None
        comment.resolved_by_id = actor.id if resolved else None
        return []

    return _thread_write(actor, proposal, comment_id, _check_whole_thread, resolve)


def _decide(actor: User, suggestion: Comment, proposal: Proposal, status: SuggestionStatus, message: Text) -> list[int]:
    """Mark a suggestion decided and tell its author (unless they decided it themselves)."""
    suggestion.suggestion_status = status
    suggestion.resolved_at = utcnow()
    suggestion.resolved_by_id = actor.id
    if suggestion.author_id == actor.id:
        return []
    author = db.session.get(User, suggestion.author_id)
    return notify([author] if author else [], proposal.event_id, "suggestion", message, proposal.id, suggestion.id)


def accept_suggestion(actor: User, comment_id: int, base_text: str | None = None) -> ProposalWrite:
    """Apply the suggested value as an ordinary, conflict-checked change that names the suggestion.

    `base_text` defaults to the value the suggestion started from; after a conflict the user may
    apply it over the current value by passing that value.
    """
    comment, proposal = _checked(actor, comment_id, _check_open_suggestion)
    item_id, field, value = comment.item_id, comment.field, comment.suggested_value or ""
    if item_id is None or field is None:
        raise ValidationFailed({"": _("This suggestion is no longer anchored to a field.")})
    message = N_(
        "%(name)s accepted your suggestion on %(agency)s", name=actor.display_name, agency=proposal.agency.short_name
    )

    def mark_accepted(suggestion: Comment, proposal: Proposal) -> list[int]:
        return _decide(actor, suggestion, proposal, SuggestionStatus.ACCEPTED, message)

    def also() -> None:  # inside the field's unit of work: decided once, even by two at a time
        suggestion = fresh(Comment, comment_id)
        if suggestion is None:
            raise NotFound(_("This comment no longer exists."))
        _check_open_suggestion(actor, suggestion, proposal)
        record_notified(mark_accepted(suggestion, proposal))

    write = editing.update_field(
        actor,
        item_id,
        field,
        value,
        base_text if base_text is not None else comment.suggested_from or "",
        suggestion_id=comment_id,
        also=also,
        thread_ids=[comment_id],
    )
    if write.changed:
        return write
    # The field already holds the suggested value: only the suggestion is decided.
    return _thread_write(actor, proposal, comment_id, _check_open_suggestion, mark_accepted)


def reject_suggestion(actor: User, comment_id: int, reason: str) -> ProposalWrite:
    _comment, proposal = _checked(actor, comment_id, _check_open_suggestion)
    text = strip_controls(reason)
    if not text:
        raise ValidationFailed({"reason": _("Give a reason for rejecting the suggestion.")})
    if len(text) > MAX_REASON_LENGTH:
        raise ValidationFailed({"reason": _("At most %(max)d characters.", max=MAX_REASON_LENGTH)})
    message = N_(
        "%(name)s rejected your suggestion on %(agency)s", name=actor.display_name, agency=proposal.agency.short_name
    )

    def reject(suggestion: Comment, proposal: Proposal) -> list[int]:
        suggestion.rejection_reason = text
        return _decide(actor, suggestion, proposal, SuggestionStatus.REJECTED, message)

    return _thread_write(actor, proposal, comment_id, _check_open_suggestion, reject)


def mark_notifications_read(actor: User) -> None:
    with write_transaction() as unit:
        db.session.execute(
            sa.update(Notification)
            .where(Notification.user_id == actor.id, Notification.read_at.is_(None))
            .values(read_at=utcnow())
        )
        unit.record(NotificationsChanged((actor.id,)))
