"""The province's monitoring dashboard (issue 18, item 6): one page, its body fetched again by htmx
for the filters and, throttled, whenever an agency reports (event:monev-changed)."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import login_required

from workspace.core.access import access, by_id
from workspace.formatting import local_today
from workspace.models import Event
from workspace.queries.dashboard import DashboardFilters, build_dashboard
from workspace.views.replies import is_htmx

blueprint = Blueprint("dashboard", __name__)

by_event = by_id(Event, "event_id", "event")


@blueprint.route("/rakor/<int:event_id>/monev")
@access("event", load=by_event)
@login_required
def index(event_id: int, event: Event) -> str:
    filters = DashboardFilters.from_args(request.args)
    template = "monitoring/_dashboard.html" if is_htmx() else "monitoring/dashboard.html"
    return render_template(
        template, event=event, dashboard=build_dashboard(event, filters, local_today()), filters=filters
    )
