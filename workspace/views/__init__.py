"""HTTP blueprints, one per area. Thin: parse the request, call a service, render."""

from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from workspace.views import auth, editing, errors, events, proposals

    app.register_blueprint(auth.blueprint)
    app.register_blueprint(events.blueprint)
    app.register_blueprint(proposals.blueprint)
    app.register_blueprint(editing.blueprint)
    errors.register(app)
