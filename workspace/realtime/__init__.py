"""Socket.IO handlers: connection auth, rooms, presence (filled in by the live-editing work)."""

from __future__ import annotations

from flask_login import current_user

from workspace.extensions import socketio


@socketio.on("connect")
def on_connect(_auth: object = None) -> bool:
    """Refuse a socket without a logged-in session (DESIGN.md §3)."""
    return bool(current_user.is_authenticated)
