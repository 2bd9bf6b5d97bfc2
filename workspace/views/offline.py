"""The service worker that keeps the last copy of each page, for a reload while offline (DESIGN.md
§11). Served from the site's root so that it may answer for every page of the site."""

from __future__ import annotations

from flask import Blueprint, current_app, send_from_directory
from werkzeug.wrappers import Response

from workspace.core.access import access

blueprint = Blueprint("offline", __name__)


@blueprint.route("/sw.js")
@access("public")
def service_worker() -> Response:
    response = send_from_directory(current_app.static_folder or "static", "js/sw.js", mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"  # a new version is picked up at the next visit
    response.headers["Service-Worker-Allowed"] = "/"
    return response
