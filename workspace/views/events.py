"""The list of one's rakor and the event home (Beranda rakor)."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from workspace.core.access import access
from workspace.core.permissions import can_facilitate, can_manage_event
from workspace.formatting import local_today
from workspace.queries import events as event_service
from workspace.views.helpers import event_for_viewer

blueprint = Blueprint("events", __name__)


@blueprint.route("/")
@access("signed-in")
@login_required
def index() -> str | Response:
    my_events = event_service.events_of(current_user)
    landing = event_service.landing_event(my_events, local_today())
    if landing is not None:
        return redirect(url_for("events.home", event_id=landing.id))
    return render_template("events/index.html", events=my_events)


@blueprint.route("/rakor/<int:event_id>")
@access("event")
@login_required
def home(event_id: int) -> str:
    event = event_for_viewer(event_id)
    return render_template(
        "events/home.html",
        home=event_service.event_home(event, current_user),
        event=event,
        can_manage=can_manage_event(current_user, event),
        can_facilitate=can_facilitate(current_user, event),
        other_events=[other for other in event_service.events_of(current_user) if other.id != event.id],
    )
