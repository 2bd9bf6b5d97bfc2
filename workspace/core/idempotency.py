"""Idempotent writes: a write sent twice with one `Idempotency-Key` changes things once.

Hotel Wi-Fi loses answers: the browser sends a write, the server commits it, the answer never
arrives, and the browser's outbox sends it again. Every write from the browser carries a key it
made (`Idempotency-Key: <8–100 of A-Z a-z 0-9 _ ->`); the server keeps each committed key with the
response it produced, in the database (so every process knows it), for SINERGI_IDEMPOTENCY_DAYS.

- before the view: a known key answers at once with the stored response (`X-Sinergi-Replayed: 1`),
  without running the view; a key of another person, path or method is refused (422); a new key
  waits in `flask.g` for the request's unit of work (core/uow.py), which inserts it with the write;
- after the view: if that unit committed, the response is stored in the key's row (a tiny write of
  its own). A process stopped between the commit and this leaves a key without a response: a retry
  is told that the change was saved and the page should be reloaded (409,
  `X-Sinergi-Replayed: committed`);
- a concurrent duplicate fails at the key's unique index inside its unit of work (nothing of it is
  kept) and answers with the first one's stored response once there.

Requests without a key, GET requests and requests of someone not signed in are not concerned. A
write refused before anything committed (validation, permission, conflict) stores nothing: the
browser may correct it and send it again with a new key. Expired keys are purged at most once every
ten minutes per process, with one DELETE, by the next keyed write.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask, Response, current_app, g, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from workspace.core.errors import Conflict, ServiceError
from workspace.core.uow import REQUEST_KEY, RequestKey, RequestKeyTaken, write_transaction
from workspace.extensions import db
from workspace.models import IdempotencyKey
from workspace.models.base import utcnow

HEADER = "Idempotency-Key"
REPLAYED = "X-Sinergi-Replayed"
KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{8,100}")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: The response headers a replay gives back: what htmx acts on, the revision, redirects.
KEPT_HEADERS = (
    "Content-Type",
    "Location",
    "HX-Location",
    "HX-Push-Url",
    "HX-Redirect",
    "HX-Refresh",
    "HX-Replace-Url",
    "HX-Reselect",
    "HX-Reswap",
    "HX-Retarget",
    "HX-Trigger",
    "HX-Trigger-After-Settle",
    "HX-Trigger-After-Swap",
    "X-Sinergi-Revision",
)
PURGE_EVERY_SECONDS = 600.0
_POLL_SECONDS = 0.05
#: The `flask.g` attribute saying how this response replays a key ("1" or "committed").
_REPLAYED_AS = "sinergi_replayed_as"


class KeyReused(ServiceError):
    """The key belongs to another person's request, or to another path or method."""

    status = 422


class AlreadySaved(Conflict):
    """The key's write committed, but its answer was never stored (the process stopped)."""


@dataclass(frozen=True)
class StoredKey:
    """A key's row as read from the database."""

    user_id: int
    method: str
    path: str
    completed: bool
    status: int | None
    body: str | None
    headers: dict[str, str] = field(default_factory=dict)


class PurgeSchedule:
    """When this process may purge expired keys next (at most once every ten minutes)."""

    def __init__(self, every: float = PURGE_EVERY_SECONDS) -> None:
        self.every = every
        self.next_at = 0.0
        self._lock = threading.Lock()

    def take_turn(self) -> bool:
        with self._lock:
            now = time.monotonic()
            if now < self.next_at:
                return False
            self.next_at = now + self.every
            return True


purge_schedule = PurgeSchedule()


def init_app(app: Flask) -> None:
    """Register the hooks. Call after the other before_request hooks (CSRF, sign-in checks)."""
    app.before_request(answer_known_key)
    app.after_request(store_answer)
    app.teardown_request(_forget_key)
    app.register_error_handler(RequestKeyTaken, answer_concurrent_duplicate)


# ---- Before the view -------------------------------------------------------------------------


def answer_known_key() -> ResponseReturnValue | None:
    """A write with a key seen before gets that key's answer; a new key waits for the unit of work."""
    if request.method in SAFE_METHODS:
        return None
    key = request.headers.get(HEADER)
    if key is None or not current_user.is_authenticated:
        return None
    if KEY_PATTERN.fullmatch(key) is None:
        raise ServiceError(_("This request cannot be accepted (its key is not valid). Reload the page and try again."))
    stored = read_key(key)
    if stored is None:
        expires_at = utcnow() + timedelta(days=float(current_app.config.get("SINERGI_IDEMPOTENCY_DAYS", 14)))
        setattr(g, REQUEST_KEY, RequestKey(key, current_user.id, request.method, _path(), expires_at))
        return None
    return _answer_stored(key, stored)


def _path() -> str:
    return request.path[:500]


def _answer_stored(key: str, stored: StoredKey) -> Response:
    if (stored.user_id, stored.method, stored.path) != (current_user.id, request.method, _path()):
        raise KeyReused(_("This request key was already used for another change. Reload the page and try again."))
    if not stored.completed:
        stored = wait_for_answer(key) or stored
    if not stored.completed or stored.status is None:
        setattr(g, _REPLAYED_AS, "committed")
        raise AlreadySaved(_("This change was already saved, but its answer did not arrive. Reload the page."))
    return replay(stored)


def replay(stored: StoredKey) -> Response:
    response = Response(stored.body or "", status=stored.status, headers=stored.headers)
    response.headers[REPLAYED] = "1"
    return response


def read_key(key: str) -> StoredKey | None:
    """The key's row as committed now (its own short connection: never a stale snapshot)."""
    table = IdempotencyKey.__table__
    with db.engine.connect() as connection:
        row = connection.execute(sa.select(table).where(table.c.key == key)).mappings().first()
    if row is None:
        return None
    return StoredKey(
        user_id=row["user_id"],
        method=row["method"],
        path=row["path"],
        completed=bool(row["completed"]),
        status=row["status"],
        body=row["body"],
        headers=dict(row["headers"] or {}),
    )


def wait_for_answer(key: str) -> StoredKey | None:
    """The key's row once its answer is stored, or as it is after SINERGI_IDEMPOTENCY_WAIT seconds."""
    deadline = time.monotonic() + float(current_app.config.get("SINERGI_IDEMPOTENCY_WAIT", 5))
    stored = read_key(key)
    while (stored is None or not stored.completed) and time.monotonic() < deadline:
        time.sleep(_POLL_SECONDS)
        stored = read_key(key)
    return stored


def answer_concurrent_duplicate(taken: RequestKeyTaken) -> ResponseReturnValue:
    """The same key committed by another request while this one ran: answer with its response."""
    setattr(g, REQUEST_KEY, None)
    stored = wait_for_answer(taken.key)
    if stored is None:  # not a duplicate after all (the key row failed for another reason)
        raise taken.__cause__ or taken
    try:
        return _answer_stored(taken.key, stored)
    except ServiceError as refusal:  # through the one error handler, as any other refusal
        return current_app.handle_user_exception(refusal)


# ---- After the view --------------------------------------------------------------------------


def store_answer(response: Response) -> Response:
    """Keep the response of a write whose key committed; mark a replay as one."""
    replayed_as = g.get(_REPLAYED_AS)
    if replayed_as:
        response.headers[REPLAYED] = replayed_as
    request_key = g.get(REQUEST_KEY)
    if not isinstance(request_key, RequestKey) or not request_key.committed:
        return response
    # A server error after the commit, or a streamed file, is not replayed: the key stays without
    # an answer, and a retry is told that the change was saved.
    if response.status_code >= 500 or response.direct_passthrough or response.is_streamed:
        return response
    try:
        save_answer(request_key.key, response)
    except Exception:  # the write is committed; a retry is told so
        current_app.logger.exception("storing the answer of idempotency key %s failed", request_key.key)
    return response


def save_answer(key: str, response: Response) -> None:
    headers = {name: response.headers[name] for name in KEPT_HEADERS if name in response.headers}
    with write_transaction():
        db.session.execute(
            sa.update(IdempotencyKey)
            .where(IdempotencyKey.key == key)
            .values(
                status=response.status_code,
                body=response.get_data(as_text=True),
                headers=headers,
                completed=True,
            )
        )
        if purge_schedule.take_turn():
            purge_expired(utcnow())


def purge_expired(now: datetime) -> int:
    """Delete the keys expired by `now` (one statement, inside the caller's unit of work)."""
    result: Any = db.session.execute(sa.delete(IdempotencyKey).where(IdempotencyKey.expires_at < now))
    return int(result.rowcount or 0)


def _forget_key(_error: BaseException | None) -> None:
    g.pop(REQUEST_KEY, None)
    g.pop(_REPLAYED_AS, None)
