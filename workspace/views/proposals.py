"""Usulan: the filtered list and the proposal view."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from workspace.core.access import access
from workspace.core.permissions import (
    can_comment,
    can_edit_proposal,
    can_export_proposal,
    can_moderate_comments,
    can_review,
    can_view_proposal,
    is_proposal_owner,
)
from workspace.extensions import db
from workspace.fragments.cache import encoded
from workspace.fragments.proposals import history_html, threads_html, tree_html
from workspace.models import EventPhase, Proposal, ProposalStatus
from workspace.queries import comments as comment_service
from workspace.queries import proposals as proposal_service
from workspace.views.helpers import event_for_viewer, require

blueprint = Blueprint("proposals", __name__)


@blueprint.route("/rakor/<int:event_id>/usulan")
@access("event")
@login_required
def index(event_id: int) -> str:
    event = event_for_viewer(event_id)
    filters = proposal_service.ProposalFilters.from_args(request.args)
    template = "proposals/_list.html" if request.headers.get("HX-Request") else "proposals/index.html"
    return render_template(
        template,
        event=event,
        proposals=proposal_service.list_proposals(event, filters),
        filters=filters,
        programs=proposal_service.program_choices(),
        statuses=list(ProposalStatus),
    )


# Where the tree goes in the page: the page is sent as (head, tree, tail), so the cached tree's
# bytes are written as they are instead of being copied into a new 1 MB string for each viewer.
TREE_SLOT = "\x00sinergi-tree\x00"  # a NUL never survives into rendered user text


@blueprint.route("/usulan/<int:proposal_id>")
@access("event")
@login_required
def detail(proposal_id: int) -> Response:
    proposal = db.session.get(Proposal, proposal_id)  # the tree itself comes from the fragment cache
    if proposal is None:
        abort(404)
    require(can_view_proposal(current_user, proposal))
    can_edit = can_edit_proposal(current_user, proposal)
    counts = comment_service.open_thread_counts(proposal.id)
    tree = encoded(tree_html(proposal))
    page = render_template(
        "proposals/detail.html",
        proposal=proposal,
        event=proposal.event,
        can_edit=can_edit,
        can_export=can_export_proposal(current_user, proposal),
        can_comment=can_comment(current_user, proposal),
        can_moderate=can_moderate_comments(current_user, proposal.event),
        can_give_verdict=can_review(current_user, proposal.event) and proposal.event.phase is EventPhase.REVIEW,
        read_only_reason=None if can_edit else read_only_reason(proposal),
        history_html=history_html(proposal),
        counts=counts,
        tree_html=Markup(TREE_SLOT),
        threads_html=threads_html(proposal),
        review=comment_service.review_state(proposal),
        editors=proposal_service.coeditors_of(proposal),
    )
    head, _slot, tail = page.partition(TREE_SLOT)
    body = [head.encode("utf-8"), tree, tail.encode("utf-8")]
    response = current_app.response_class(body, mimetype="text/html")
    response.headers["Content-Length"] = str(sum(len(part) for part in body))
    return response


def read_only_reason(proposal: Proposal) -> str:
    """Why this viewer sees the proposal read-only (the server refuses their edits anyway)."""
    if proposal.is_locked:
        return _("This proposal is locked by the facilitator; it cannot be changed now.")
    if proposal.event.phase is EventPhase.MONITORING:
        return _("The plan is being monitored: proposals stay as agreed, and the realisation is reported per quarter.")
    if not proposal.event.accepts_edits:
        return _("The event is closed; proposals can no longer be changed.")
    if is_proposal_owner(current_user, proposal):
        return _("You cannot change this proposal.")
    agencies = ", ".join(agency.short_name for agency in proposal_service.coeditors_of(proposal))
    return _("Read only: only participants of %(agency)s can change this proposal.", agency=agencies)
