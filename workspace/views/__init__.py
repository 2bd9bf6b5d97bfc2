"""HTTP blueprints, one per area. Thin: parse the request, call a service, render."""

from __future__ import annotations

from flask import Flask

from workspace.views import (
    admin,
    auth,
    comments,
    dashboard,
    documents,
    editing,
    errors,
    events,
    evidence,
    follow_ups,
    health,
    monev_outputs,
    offline,
    outputs,
    platform,
    proposals,
    realisation,
    realisation_import,
    sessions,
)


def register_blueprints(app: Flask) -> None:
    app.register_blueprint(auth.blueprint)
    app.register_blueprint(events.blueprint)
    app.register_blueprint(proposals.blueprint)
    app.register_blueprint(editing.blueprint)
    app.register_blueprint(comments.blueprint)
    app.register_blueprint(sessions.blueprint)
    app.register_blueprint(outputs.blueprint)
    app.register_blueprint(documents.blueprint)
    app.register_blueprint(follow_ups.blueprint)
    app.register_blueprint(realisation.blueprint)
    app.register_blueprint(realisation_import.blueprint)
    app.register_blueprint(evidence.blueprint)
    app.register_blueprint(monev_outputs.blueprint)
    app.register_blueprint(dashboard.blueprint)
    app.register_blueprint(admin.blueprint)
    app.register_blueprint(platform.blueprint)
    app.register_blueprint(health.blueprint)
    app.register_blueprint(offline.blueprint)
    app.before_request(auth.require_own_password)
    errors.register(app)
