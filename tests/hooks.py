"""Routes for the real-server tests only: never part of the product's URL map.

`tests/serve_with_hooks.py` registers this blueprint on the app it serves; `workspace/` knows
nothing of it.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, request

from workspace.core.access import access
from workspace.extensions import db

PREFIX = "/_uji"

blueprint = Blueprint("test_hooks", __name__, url_prefix=PREFIX)


@blueprint.route("/kueri-lambat")
@access("public")
def slow_query() -> str:
    """Hold a request in a slow PostgreSQL query, to prove the server keeps serving others."""
    if db.engine.dialect.name != "postgresql":
        abort(404)
    seconds = min(float(request.args.get("detik", "2")), 10.0)
    db.session.execute(sa.text("SELECT pg_sleep(:seconds)"), {"seconds": seconds})
    db.session.remove()
    return "ok"
