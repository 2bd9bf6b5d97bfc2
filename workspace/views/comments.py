"""Comments, suggestions, notifications and reviews over HTTP (htmx). Thin: parse, call
services.comments, answer with a fragment; the broadcast carries the change to everyone else."""

from __future__ import annotations

import re

from flask import Blueprint, abort, current_app, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from workspace.core.permissions import can_comment, can_manage_event, can_review
from workspace.extensions import db, limiter
from workspace.fragments.proposals import threads_html as proposal_threads_html
from workspace.models import Comment, EventPhase, Proposal
from workspace.services import comments as comment_service
from workspace.services import editing
from workspace.services.errors import ServiceError, ValidationFailed
from workspace.services.item_fields import FIELDS
from workspace.views.access import access
from workspace.views.replies import is_htmx

# TEMPORARY until this blueprint answers through the one error path and the publisher's bytes.
from flask import flash  # noqa: E402


def _done(result, fragment=None):  # noqa: ANN001, ANN202
    if not is_htmx():
        return redirect(url_for("proposals.detail", proposal_id=result.proposal_id))
    return (fragment or ""), 200, {"X-Sinergi-Revision": str(result.revision)}


def _failure(error, proposal_id=None):  # noqa: ANN001, ANN202
    status = {editing.ItemGone: 410}.get(type(error), getattr(error, "status", 400))
    if not is_htmx():
        flash(error.message, "error")
        if proposal_id is not None:
            return redirect(url_for("proposals.detail", proposal_id=proposal_id))
        abort(status)
    return render_template("proposals/_cell_message.html", message=error.message), status
from workspace.views.helpers import event_for_viewer, proposal_for_viewer, require

blueprint = Blueprint("comments", __name__)


def comment_rate_limit() -> str:
    return current_app.config.get("COMMENT_RATE_LIMIT", "10 per minute")


def per_user() -> str:
    return f"user:{current_user.id}" if current_user.is_authenticated else request.remote_addr or "anonymous"


def _int_or_none(value: str | None) -> int | None:
    if value is None or value == "":
        return None
    if re.fullmatch(r"[0-9]{1,12}", value) is None:
        abort(400)
    return int(value)


def _comment_form(
    proposal: Proposal, errors: dict | None = None, form: dict | None = None, status: int = 200
) -> tuple[str, int]:
    items = sorted((i for i in proposal.items), key=lambda i: (i.code or "~", i.id))
    return render_template(
        "comments/_comment_form.html",
        proposal=proposal,
        items=items,
        errors=errors or {},
        form=form or {},
        fields=FIELDS,
    ), status


@blueprint.route("/usulan/<int:proposal_id>/komentar/baru")
@access("commenter")
@login_required
def new_comment_form(proposal_id: int) -> tuple[str, int]:
    proposal = proposal_for_viewer(proposal_id)
    require(can_comment(current_user, proposal))
    form = {
        "item": request.args.get("item", ""),
        "field": request.args.get("field", ""),
        "kind": request.args.get("kind", "comment"),
    }
    return _comment_form(proposal, form=form)


@blueprint.route("/usulan/<int:proposal_id>/komentar", methods=["POST"])
@access("commenter")
@login_required
@limiter.limit(comment_rate_limit, key_func=per_user)
def create(proposal_id: int) -> object:
    proposal = proposal_for_viewer(proposal_id)
    form = request.form
    kind = form.get("kind", "comment")
    try:
        result = comment_service.post_comment(
            current_user,
            proposal_id,
            form.get("body", "")[: comment_service.MAX_COMMENT_LENGTH * 2],
            item_id=_int_or_none(form.get("item")),
            field=form.get("field") or None,
            suggestion=form.get("suggestion", "")[:2000] if kind == "suggestion" else None,
        )
    except ValidationFailed as invalid:
        if not is_htmx():
            return _failure(invalid, proposal_id)
        return _comment_form(proposal, invalid.errors, form.to_dict(), 422)
    except ServiceError as error:
        return _failure(error, proposal_id)
    return _done(result, "")


def _act(comment_id: int, action) -> object:  # noqa: ANN001 - a service call
    comment = db.session.get(Comment, comment_id)
    if comment is None:
        abort(404)
    proposal_for_viewer(comment.proposal_id)
    try:
        result = action()
    except editing.EditConflict as conflict:
        return render_template(
            "comments/_suggestion_conflict.html",
            conflict=conflict,
            comment=comment,
            display=FIELDS[conflict.field_name].display,
        ), 409
    except ValidationFailed as invalid:
        if not is_htmx():
            return _failure(invalid, comment.proposal_id)
        return render_template("proposals/_cell_message.html", message=invalid.message), 422
    except ServiceError as error:
        return _failure(error, comment.proposal_id)
    return _done(result, "")


@blueprint.route("/komentar/<int:comment_id>/balas", methods=["POST"])
@access("commenter")
@login_required
@limiter.limit(comment_rate_limit, key_func=per_user)
def reply(comment_id: int) -> object:
    body = request.form.get("body", "")[: comment_service.MAX_COMMENT_LENGTH * 2]
    return _act(comment_id, lambda: comment_service.reply(current_user, comment_id, body))


@blueprint.route("/komentar/<int:comment_id>/ubah", methods=["POST"])
@access("comment-author")
@login_required
def edit(comment_id: int) -> object:
    body = request.form.get("body", "")[: comment_service.MAX_COMMENT_LENGTH * 2]
    return _act(comment_id, lambda: comment_service.edit_comment(current_user, comment_id, body))


@blueprint.route("/komentar/<int:comment_id>/hapus", methods=["POST"])
@access("comment-author")
@login_required
def delete(comment_id: int) -> object:
    return _act(comment_id, lambda: comment_service.delete_comment(current_user, comment_id))


@blueprint.route("/komentar/<int:comment_id>/sembunyikan", methods=["POST"])
@access("organiser")
@login_required
def hide(comment_id: int) -> object:
    hidden = request.form.get("hidden", "1") == "1"
    return _act(comment_id, lambda: comment_service.hide_comment(current_user, comment_id, hidden))


@blueprint.route("/komentar/<int:comment_id>/selesai", methods=["POST"])
@access("proposal-editor")
@login_required
def resolve(comment_id: int) -> object:
    resolved = request.form.get("resolved", "1") == "1"
    return _act(comment_id, lambda: comment_service.resolve_thread(current_user, comment_id, resolved))


@blueprint.route("/komentar/<int:comment_id>/terima", methods=["POST"])
@access("proposal-editor")
@login_required
def accept(comment_id: int) -> object:
    base = request.form.get("base")
    return _act(comment_id, lambda: comment_service.accept_suggestion(current_user, comment_id, base))


@blueprint.route("/komentar/<int:comment_id>/tolak", methods=["POST"])
@access("proposal-editor")
@login_required
def reject(comment_id: int) -> object:
    reason = request.form.get("reason", "")[:2000]
    return _act(comment_id, lambda: comment_service.reject_suggestion(current_user, comment_id, reason))


@blueprint.route("/usulan/<int:proposal_id>/diskusi")
@access("event")
@login_required
def threads(proposal_id: int) -> str:
    """The whole discussion panel: what a client re-fetches to catch up."""
    proposal = proposal_for_viewer(proposal_id)
    return proposal_threads_html(proposal)


@blueprint.route("/rakor/<int:event_id>/orang")
@access("event")
@login_required
def people(event_id: int) -> Response:
    """Completion of @mentions: up to 8 people of the event."""
    event = event_for_viewer(event_id)
    matches = comment_service.people_matching(event, request.args.get("q", ""))
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
    items = comment_service.notifications_of(current_user)
    unread_ids = {n.id for n in items if n.read_at is None}
    return render_template("notifications/index.html", notifications=items, unread_ids=unread_ids)


@blueprint.route("/notifikasi/dibaca", methods=["POST"])
@access("signed-in")
@login_required
def mark_read() -> Response:
    comment_service.mark_notifications_read(current_user)
    return redirect(url_for("comments.notifications"))


@blueprint.route("/rakor/<int:event_id>/tinjauan")
@access("review-desk")
@login_required
def review_dashboard(event_id: int) -> str:
    event = event_for_viewer(event_id)
    require(can_review(current_user, event) or can_manage_event(current_user, event))
    return render_template(
        "review/dashboard.html",
        event=event,
        rows=comment_service.review_overview(event),
        can_give_verdict=can_review(current_user, event) and event.phase is EventPhase.REVIEW,
    )


@blueprint.route("/usulan/<int:proposal_id>/putusan", methods=["POST"])
@access("reviewer")
@login_required
def verdict(proposal_id: int) -> object:
    proposal_for_viewer(proposal_id)
    try:
        result = comment_service.give_verdict(
            current_user, proposal_id, request.form.get("verdict", ""), request.form.get("note", "")[:4000]
        )
    except ValidationFailed as invalid:
        if not is_htmx():
            return _failure(invalid, proposal_id)
        return render_template("proposals/_cell_message.html", message=invalid.message), 422
    except ServiceError as error:
        return _failure(error, proposal_id)
    return _done(result, "")


@blueprint.route("/rakor/<int:event_id>/usulan-saya")
@access("event")
@login_required
def agency_dashboard(event_id: int) -> str:
    event = event_for_viewer(event_id)
    proposal, review, open_threads = comment_service.agency_dashboard(current_user, event)
    return render_template(
        "review/agency.html", event=event, proposal=proposal, review=review, open_threads=open_threads
    )


@blueprint.route("/rakor/<int:event_id>/fase", methods=["POST"])
@access("organiser")
@login_required
def set_phase(event_id: int) -> Response:
    event = event_for_viewer(event_id)
    require(can_manage_event(current_user, event))
    phase = request.form.get("phase", "")
    if phase not in EventPhase._value2member_map_:
        abort(400)
    try:
        comment_service.set_phase(current_user, event, EventPhase(phase))
    except ServiceError:
        abort(403)
    return redirect(url_for("events.home", event_id=event_id))
