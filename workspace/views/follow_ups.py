"""Monitoring: follow-up actions (tindak lanjut) of agreements — the event's list with the
previous year's and how they ended, recording one, reporting how one stands — and the realisation
of an item's quarter, set value by value with compare-and-set. Thin: services write."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from workspace.core.access import access, by_id
from workspace.core.errors import ValidationFailed
from workspace.core.permissions import can_keep_documents, can_report_follow_up
from workspace.formatting import local_today
from workspace.models import Event, FollowUp, FollowUpStatus
from workspace.queries.follow_ups import follow_ups_of, previous_year_follow_ups, standing_agreement
from workspace.queries.proposals import ProposalFilters, list_proposals
from workspace.services import follow_ups

blueprint = Blueprint("follow_ups", __name__)

by_event = by_id(Event, "event_id", "event")
by_follow_up = by_id(FollowUp, "follow_up_id", "follow_up")
Page = str | tuple[str, int] | Response


def _page(event: Event, errors: dict[str, str] | None = None, form: Any = None) -> tuple[str, int]:
    items = follow_ups_of(event)
    proposals = list_proposals(event, ProposalFilters())
    page = render_template(
        "outputs/follow_ups.html",
        event=event,
        follow_ups=items,
        previous=previous_year_follow_ups(event),
        agreed=[proposal for proposal in proposals if standing_agreement(proposal) is not None],
        can_add=can_keep_documents(current_user, event),
        may_report=lambda follow_up: can_report_follow_up(current_user, follow_up),
        today=local_today(),
        statuses=list(FollowUpStatus),
        errors=errors or {},
        form=form or {},
    )
    return page, 422 if errors else 200


@blueprint.route("/rakor/<int:event_id>/tindak-lanjut")
@access("event", load=by_event)
@login_required
def index(event_id: int, event: Event) -> Page:
    return _page(event)


@blueprint.route("/rakor/<int:event_id>/tindak-lanjut", methods=["POST"])
@access("document-keeper", load=by_event)
@login_required
def add(event_id: int, event: Event) -> Page:
    try:
        follow_ups.add_follow_up(current_user._get_current_object(), event_id, request.form.to_dict())
    except ValidationFailed as invalid:
        return _page(event, invalid.errors, request.form)
    flash(_("The follow-up action is recorded."), "success")
    return redirect(url_for("follow_ups.index", event_id=event_id))


@blueprint.route("/tindak-lanjut/<int:follow_up_id>", methods=["POST"])
@access("follow-up-reporter", load=by_follow_up)
@login_required
def report(follow_up_id: int, follow_up: FollowUp) -> Page:
    event = follow_up.proposal.event
    try:
        follow_ups.update_follow_up(current_user._get_current_object(), follow_up_id, request.form.to_dict())
    except ValidationFailed as invalid:
        return _page(
            event, {f"{follow_up_id}-{name}": message for name, message in invalid.errors.items()}, request.form
        )
    flash(_("The follow-up action is updated."), "success")
    return redirect(url_for("follow_ups.index", event_id=event.id) + f"#follow-up-{follow_up_id}")
