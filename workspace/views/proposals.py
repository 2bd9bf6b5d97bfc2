"""Usulan: the filtered list and the proposal view."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import current_user, login_required

from workspace.models import ProposalStatus
from workspace.permissions import can_edit_proposal, can_view_proposal
from workspace.services import proposals as proposal_service
from workspace.views.helpers import event_for_viewer, require

blueprint = Blueprint("proposals", __name__)


@blueprint.route("/rakor/<int:event_id>/usulan")
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


@blueprint.route("/usulan/<int:proposal_id>")
@login_required
def detail(proposal_id: int) -> str:
    proposal = proposal_service.load_proposal_tree(proposal_id)
    if proposal is None:
        abort(404)
    require(can_view_proposal(current_user, proposal))
    return render_template(
        "proposals/detail.html",
        proposal=proposal,
        event=proposal.event,
        can_edit=can_edit_proposal(current_user, proposal),
    )
