"""Small helpers the blueprints share: loading objects or 404, enforcing a predicate or 403,
downloads, and the public address the QR codes of join codes carry."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import quote, urlsplit

from flask import Response, abort, current_app, request
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


@dataclass(frozen=True)
class PublicAddress:
    """Where the QR codes of join codes send people: the event's setting, SINERGI_PUBLIC_URL, or
    (neither set) the address the organiser is using now — which may be the server's own."""

    base: str  # "http://192.168.1.10:5000", no trailing slash
    source: str  # "event", "config" or "request"

    @property
    def is_loopback(self) -> bool:
        """127.0.0.1, ::1, localhost: only the server itself reaches that address, no laptop does."""
        return is_loopback_url(self.base)

    def url(self, path: str) -> str:
        return self.base + path


def is_loopback_url(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def public_address(event: Event) -> PublicAddress:
    if event.public_url:
        return PublicAddress(event.public_url.rstrip("/"), "event")
    configured = current_app.config.get("SINERGI_PUBLIC_URL", "")
    if configured:
        return PublicAddress(configured.rstrip("/"), "config")
    return PublicAddress(request.host_url.rstrip("/"), "request")
