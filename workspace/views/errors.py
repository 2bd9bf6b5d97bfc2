"""The one error path: service errors (each with its HTTP status) and HTTP errors answer with a
fragment for htmx, or a page (or, for a plain form, a flash message on the page it came from)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, flash, redirect, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from workspace.core.errors import ServiceError
from workspace.extensions import htmx

TITLES = {
    400: _l("Request not accepted"),
    403: _l("Access denied"),
    404: _l("Page not found"),
    409: _l("Changed meanwhile"),
    410: _l("No longer there"),
    413: _l("Too large"),
    422: _l("Check what you entered"),
    429: _l("Too many attempts"),
}


def _render_error(status: int, title: str, message: str) -> tuple[str, int]:
    template = "errors/_error.html" if htmx else "errors/error.html"
    return render_template(template, status=status, title=title, message=message), status


def _same_site_referrer() -> str | None:
    referrer = request.referrer or ""
    parts = urlsplit(referrer)
    if not referrer or parts.netloc != request.host or "\\" in referrer:
        return None
    return referrer


def service_error(error: ServiceError) -> Response | tuple[str, int, dict[str, str]] | tuple[str, int]:
    """htmx: the message in place (retargeted where the error says); a plain form: back to the
    page it came from with the message; otherwise an error page with the error's status."""
    if htmx:
        headers = {"HX-Retarget": error.retarget, "HX-Reswap": "innerHTML"} if error.retarget else {}
        body = render_template("errors/_message.html", message=error.message, status=error.status)
        return body, error.status, headers
    back = _same_site_referrer()
    if request.method == "POST" and back is not None:
        flash(error.message, "error")
        return redirect(back)
    return _render_error(error.status, str(TITLES.get(error.status, TITLES[400])), error.message)


def register(app: Flask) -> None:
    app.register_error_handler(ServiceError, service_error)

    @app.errorhandler(403)
    def forbidden(_error: HTTPException) -> tuple[str, int]:
        return _render_error(403, _("Access denied"), _("You do not have the right to open this page or do this."))

    @app.errorhandler(404)
    def not_found(_error: HTTPException) -> tuple[str, int]:
        return _render_error(404, _("Page not found"), _("The page or data you are looking for does not exist."))

    @app.errorhandler(405)
    def method_not_allowed(_error: HTTPException) -> tuple[str, int]:
        return _render_error(405, _("Not allowed"), _("This action is not available here."))

    @app.errorhandler(413)
    def too_large(_error: HTTPException) -> tuple[str, int]:
        return _render_error(413, _("Too large"), _("What you sent is too large."))

    @app.errorhandler(429)
    def too_many_requests(_error: HTTPException) -> tuple[str, int]:
        return _render_error(
            429, _("Too many attempts"), _("Too many attempts in a short time. Wait a minute, then try again.")
        )

    @app.errorhandler(CSRFError)
    def csrf_error(_error: CSRFError) -> tuple[str, int]:
        return _render_error(
            400,
            _("Form expired"),
            _("The form has expired or was not sent from this site. Reload the page and try again."),
        )

    @app.errorhandler(500)
    def server_error(_error: Exception) -> tuple[str, int]:
        return _render_error(
            500, _("Something went wrong"), _("An error occurred on the server and has been logged. Please try again.")
        )
