"""Small helpers the blueprints share: loading objects or 404, enforcing a predicate or 403."""

from __future__ import annotations

from typing import TypeVar
from urllib.parse import quote

from flask import Response, abort
from flask_login import current_user

from workspace.core.permissions import can_view_event, can_view_proposal
from workspace.extensions import db
from workspace.models import Event, Proposal

ModelT = TypeVar("ModelT")


def get_or_404(model: type[ModelT], object_id: int) -> ModelT:
    instance = db.session.get(model, object_id)
    if instance is None:
        abort(404)
    return instance


def require(allowed: bool) -> None:
    if not allowed:
        abort(403)


def event_for_viewer(event_id: int) -> Event:
    event = get_or_404(Event, event_id)
    require(can_view_event(current_user, event))
    return event


def proposal_for_viewer(proposal_id: int) -> Proposal:
    proposal = get_or_404(Proposal, proposal_id)
    require(can_view_proposal(current_user, proposal))
    return proposal


def download(content: bytes, media_type: str, filename: str) -> Response:
    """A file to save (an export, a PDF): never cached, named in UTF-8."""
    response = Response(content, content_type=media_type)  # as given: one charset, never two
    response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    response.headers["Cache-Control"] = "no-store"
    return response
