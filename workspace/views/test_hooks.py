"""Hooks for the real-server tests only, registered when SINERGI_TEST_HOOKS=1 (never in production)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, request

from workspace.extensions import db
from workspace.views.access import access

blueprint = Blueprint("test_hooks", __name__)


@blueprint.route("/_uji/kueri-lambat")
@access("public")
def slow_query() -> str:
    """Hold a request in a slow PostgreSQL query, to prove the server keeps serving others."""
    if db.engine.dialect.name != "postgresql":
        abort(404)
    seconds = min(float(request.args.get("detik", "2")), 10.0)
    db.session.execute(sa.text("SELECT pg_sleep(:seconds)"), {"seconds": seconds})
    db.session.remove()
    return "ok"
