"""Friendly error pages (403, 404, 429, 500) and the CSRF refusal."""

from __future__ import annotations

from flask import Flask, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException


def _render_error(status: int, title: str, message: str) -> tuple[str, int]:
    template = "errors/_error.html" if request.headers.get("HX-Request") else "errors/error.html"
    return render_template(template, status=status, title=title, message=message), status


def register(app: Flask) -> None:
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
