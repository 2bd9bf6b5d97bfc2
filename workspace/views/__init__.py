"""HTTP blueprints, one per area. Thin: parse the request, call a service, render."""

from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from workspace.views import auth, errors, events, proposals

    app.register_blueprint(auth.blueprint)
    app.register_blueprint(events.blueprint)
    app.register_blueprint(proposals.blueprint)
    errors.register(app)
