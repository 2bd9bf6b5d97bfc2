"""What a write answers over HTTP: the bytes the publisher rendered for the writer's language
(one render per change), with the revision they show; a plain form goes back to its page."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import redirect
from flask_babel import get_locale
from werkzeug.wrappers import Response

from workspace.core.errors import ServiceError
from workspace.core.uow import ProposalWrite
from workspace.extensions import htmx
from workspace.fragments import render


def is_htmx() -> bool:
    """The request came from htmx (flask-htmx reads the HX-Request header)."""
    return bool(htmx)


def published_fragment(write: ProposalWrite, fragment_id: str) -> str:
    """The fragment as the publisher rendered it for this writer; rendered here only when the
    write changed nothing (no publication) or the publication failed."""
    html = write.published.fragment(fragment_id, str(get_locale()))
    if html is None:
        rendered = render(fragment_id)
        html = "" if rendered is None else str(rendered)
    return html


def write_reply(write: ProposalWrite, fragment_id: str | None, back: str) -> Response | tuple[str, int, dict[str, str]]:
    """htmx: the changed fragment (or nothing, when the broadcast swaps in what changed) and the
    revision; a plain form: back to `back`."""
    if not is_htmx():
        return redirect(back)
    body = published_fragment(write, fragment_id) if fragment_id else ""
    return body, 200, {"X-Sinergi-Revision": str(write.revision)}


def retarget_errors(selector: Callable[..., str]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Service errors of this route answer into `selector(**route arguments)` (e.g. the cell being
    edited) instead of the request's own target."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapped(**arguments: Any) -> Any:
            try:
                return view(**arguments)
            except ServiceError as error:
                error.retarget = error.retarget or selector(**arguments)
                raise

        return wrapped

    return decorate
