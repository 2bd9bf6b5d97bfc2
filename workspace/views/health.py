"""/healthz for load balancers and monitoring: 200 when the database and the message queue answer,
503 otherwise. It says which part is down, never why (no connection strings, no errors)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify
from werkzeug.wrappers import Response

from workspace.core.access import access
from workspace.extensions import csrf, db

blueprint = Blueprint("health", __name__)


def database_ok() -> bool:
    try:
        db.session.execute(sa.text("SELECT 1"))
        return True
    except Exception:
        current_app.logger.warning("healthz: database check failed", exc_info=True)
        return False
    finally:
        db.session.remove()


def message_queue_state() -> str:
    url = current_app.config.get("SOCKETIO_MESSAGE_QUEUE")
    if not url:
        return "not-configured"
    try:
        import redis

        client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        try:
            client.ping()
        finally:
            client.close()
        return "ok"
    except Exception:
        current_app.logger.warning("healthz: message queue check failed", exc_info=True)
        return "unavailable"


@blueprint.route("/healthz")
@access("public")
@csrf.exempt
def healthz() -> tuple[Response, int]:
    database = "ok" if database_ok() else "unavailable"
    queue = message_queue_state()
    healthy = database == "ok" and queue in ("ok", "not-configured")
    body = {"status": "ok" if healthy else "unavailable", "database": database, "message_queue": queue}
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response, 200 if healthy else 503
