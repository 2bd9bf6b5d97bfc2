"""Comments, suggestions, notifications and reviews over HTTP (htmx).

Thin: `@access` loads what the route is about and refuses before the form is read; the services
(comments, review) validate and write; the reply is what the publisher rendered, and the broadcast
carries the change to every open page (the writer's too). Service errors answer through the one
error handler (views/errors.py); only the comment form and the suggestion conflict answer with a
fragment of their own.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from workspace.core.access import access, by_id
from workspace.core.errors import ValidationFailed
from workspace.core.item_fields import FIELDS
from workspace.core.numbers import form_id
from workspace.core.permissions import can_review
from workspace.extensions import limiter
from workspace.fragments.proposals import threads_html
from workspace.models import Comment, Event, EventPhase, Proposal
from workspace.queries import comments as queries
from workspace.services import comments, editing, review
from workspace.views.replies import is_htmx, write_reply

blueprint = Blueprint("comments", __name__)

load_proposal = by_id(Proposal, "proposal_id", "proposal")
load_comment = by_id(Comment, "comment_id", "comment")
load_event = by_id(Event, "event_id", "event")
Reply = Response | tuple[str, int, dict[str, str]]
BODY_LIMIT = comments.MAX_COMMENT_LENGTH * 2


def comment_rate_limit() -> str:
    return current_app.config.get("COMMENT_RATE_LIMIT", "10 per minute")


def per_user() -> str:
    return f"user:{current_user.id}" if current_user.is_authenticated else request.remote_addr or "anonymous"


def _actor() -> Any:
    return current_user._get_current_object()


def _back(proposal_id: int) -> str:
    return url_for("proposals.detail", proposal_id=proposal_id)


def _comment_form(
    proposal: Proposal, errors: dict[str, str] | None = None, form: dict[str, str] | None = None, status: int = 200
) -> tuple[str, int]:
    items = sorted(proposal.items, key=lambda i: (i.code or "~", i.id))
    return render_template(
        "comments/_comment_form.html",
        proposal=proposal,
        items=items,
        errors=errors or {},
        form=form or {},
        fields=FIELDS,
    ), status


@blueprint.route("/usulan/<int:proposal_id>/komentar/baru")
@access("commenter", load=load_proposal)
@login_required
def new_comment_form(proposal_id: int, proposal: Proposal) -> tuple[str, int]:
    form = {
        "item": request.args.get("item", ""),
        "field": request.args.get("field", ""),
        "kind": request.args.get("kind", "comment"),
    }
    return _comment_form(proposal, form=form)


@blueprint.route("/usulan/<int:proposal_id>/komentar", methods=["POST"])
@access("commenter", load=load_proposal)
@login_required
@limiter.limit(comment_rate_limit, key_func=per_user)
def create(proposal_id: int, proposal: Proposal) -> Reply | tuple[str, int]:
    kind = request.form.get("kind", "comment")
    try:
        write = comments.post_comment(
            _actor(),
            proposal_id,
            request.form.get("body", "")[:BODY_LIMIT],
            item_id=form_id(request.form.get("item")),
            field=request.form.get("field") or None,
            suggestion=request.form.get("suggestion", "")[:2000] if kind == "suggestion" else None,
        )
    except ValidationFailed as invalid:
        if not is_htmx():
            raise
        return _comment_form(proposal, invalid.errors, request.form.to_dict(), 422)
    # The form closes; the new thread arrives with the broadcast, as on every other open page.
    return write_reply(write, None, _back(proposal_id))


@blueprint.route("/komentar/<int:comment_id>/balas", methods=["POST"])
@access("commenter", load=load_comment)
@login_required
@limiter.limit(comment_rate_limit, key_func=per_user)
def reply(comment_id: int, comment: Comment) -> Reply:
    proposal_id = comment.proposal_id
    body = request.form.get("body", "")[:BODY_LIMIT]
    return write_reply(comments.reply(_actor(), comment_id, body), None, _back(proposal_id))


@blueprint.route("/komentar/<int:comment_id>/ubah", methods=["POST"])
@access("comment-author", load=load_comment)
@login_required
def edit(comment_id: int, comment: Comment) -> Reply:
    proposal_id = comment.proposal_id
    body = request.form.get("body", "")[:BODY_LIMIT]
    return write_reply(comments.edit_comment(_actor(), comment_id, body), None, _back(proposal_id))


@blueprint.route("/komentar/<int:comment_id>/hapus", methods=["POST"])
@access("comment-author", load=load_comment)
@login_required
def delete(comment_id: int, comment: Comment) -> Reply:
    proposal_id = comment.proposal_id
    return write_reply(comments.delete_comment(_actor(), comment_id), None, _back(proposal_id))


@blueprint.route("/komentar/<int:comment_id>/sembunyikan", methods=["POST"])
@access("organiser", load=load_comment)
@login_required
def hide(comment_id: int, comment: Comment) -> Reply:
    proposal_id = comment.proposal_id
    hidden = request.form.get("hidden", "1") == "1"
    return write_reply(comments.hide_comment(_actor(), comment_id, hidden), None, _back(proposal_id))


@blueprint.route("/komentar/<int:comment_id>/selesai", methods=["POST"])
@access("proposal-editor", load=load_comment)
@login_required
def resolve(comment_id: int, comment: Comment) -> Reply:
    proposal_id = comment.proposal_id
    resolved = request.form.get("resolved", "1") == "1"
    return write_reply(comments.resolve_thread(_actor(), comment_id, resolved), None, _back(proposal_id))


@blueprint.route("/komentar/<int:comment_id>/terima", methods=["POST"])
@access("proposal-editor", load=load_comment)
@login_required
def accept(comment_id: int, comment: Comment) -> Reply | tuple[str, int]:
    proposal_id = comment.proposal_id
    base = request.form.get("base")
    try:
        write = comments.accept_suggestion(_actor(), comment_id, base)
    except editing.EditConflict as conflict:
        body = render_template(
            "comments/_suggestion_conflict.html",
            conflict=conflict,
            comment=comment,
            display=FIELDS[conflict.field_name].display,
        )
        return body, 409
    return write_reply(write, None, _back(proposal_id))


@blueprint.route("/komentar/<int:comment_id>/tolak", methods=["POST"])
@access("proposal-editor", load=load_comment)
@login_required
def reject(comment_id: int, comment: Comment) -> Reply:
    proposal_id = comment.proposal_id
    reason = request.form.get("reason", "")[:2000]
    return write_reply(comments.reject_suggestion(_actor(), comment_id, reason), None, _back(proposal_id))


@blueprint.route("/usulan/<int:proposal_id>/diskusi")
@access("event", load=load_proposal)
@login_required
def threads(proposal_id: int, proposal: Proposal) -> str:
    """The whole discussion panel: what a client re-fetches to catch up."""
    return threads_html(proposal)


def mention_rate_limit() -> str:
    return current_app.config.get("MENTION_RATE_LIMIT", "120 per minute")


@blueprint.route("/rakor/<int:event_id>/orang")
@access("commenter", load=load_event)
@login_required
@limiter.limit(mention_rate_limit, key_func=per_user)
def people(event_id: int, event: Event) -> Response:
    """Completion of @mentions, for those who may comment in the event (an observer is refused):
    at most MENTION_RESULTS people of this event for a query of at least MENTION_MIN_QUERY
    characters, each with only what the list shows (name, username, agency)."""
    matches = queries.people_matching(event, request.args.get("q", ""))
    return jsonify(
        [
            {"username": u.username, "name": u.display_name, "agency": u.agency.short_name if u.agency else ""}
            for u in matches
        ]
    )


@blueprint.route("/notifikasi")
@access("signed-in")
@login_required
def notifications() -> str:
    items = queries.notifications_of(current_user)
    unread_ids = {n.id for n in items if n.read_at is None}
    return render_template("notifications/index.html", notifications=items, unread_ids=unread_ids)


@blueprint.route("/notifikasi/dibaca", methods=["POST"])
@access("signed-in")
@login_required
def mark_read() -> Response:
    comments.mark_notifications_read(_actor())
    return redirect(url_for("comments.notifications"))


@blueprint.route("/rakor/<int:event_id>/tinjauan")
@access("review-desk", load=load_event)
@login_required
def review_dashboard(event_id: int, event: Event) -> str:
    return render_template(
        "review/dashboard.html",
        event=event,
        rows=queries.review_overview(event),
        can_give_verdict=can_review(current_user, event) and event.phase is EventPhase.REVIEW,
    )


@blueprint.route("/usulan/<int:proposal_id>/putusan", methods=["POST"])
@access("reviewer", load=load_proposal)
@login_required
def verdict(proposal_id: int, proposal: Proposal) -> Reply:
    write = review.give_verdict(
        _actor(), proposal_id, request.form.get("verdict", ""), request.form.get("note", "")[:4000]
    )
    return write_reply(write, None, _back(proposal_id))


@blueprint.route("/rakor/<int:event_id>/usulan-saya")
@access("event", load=load_event)
@login_required
def agency_dashboard(event_id: int, event: Event) -> str:
    proposal, state, open_threads = queries.agency_dashboard(current_user, event)
    return render_template(
        "review/agency.html", event=event, proposal=proposal, review=state, open_threads=open_threads
    )


@blueprint.route("/rakor/<int:event_id>/fase", methods=["POST"])
@access("organiser", load=load_event)
@login_required
def set_phase(event_id: int, event: Event) -> Response:
    review.set_phase(_actor(), event, review.parse_phase(request.form.get("phase", "")))
    return redirect(url_for("events.home", event_id=event_id))
