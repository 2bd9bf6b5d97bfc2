"""The unit of work: one short write transaction, the typed changes it records, and the
`committed` signal that hands them to the publisher once the commit succeeded.

`sqlite3` is C code that green threads cannot interleave: a green thread switched out inside a
write transaction would stall every other writer of the process. So writes are serialised in the
process by one lock, the transaction starts with its first write (a proposal's revision bump also
takes PostgreSQL's row lock and serialises writers across processes), and nothing emits or does
network I/O inside it: the signal is sent after the commit, outside the lock. Under eventlet or
gevent `threading.Lock` is a green lock, because `app.py` patches before anything imports this.

A rolled-back unit of work publishes nothing. A failed publication never turns a committed change
into an error: clients catch up from the database at their next revision gap or reconnect.

A browser's write carries an idempotency key (core/idempotency.py puts it in `flask.g`): the first
unit of work of that request inserts the key's row as its first statement, so the write and its key
commit together or not at all, and a concurrent request with the same key waits at the unique index
and fails there (`RequestKeyTaken`) before it decides anything.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from blinker import Namespace
from flask import current_app, g, has_app_context
from sqlalchemy.exc import IntegrityError

from workspace.core.changes import Change
from workspace.extensions import db
from workspace.models import IdempotencyKey

signals = Namespace()
#: Sent after every successful commit that recorded changes: `sender` is the app, `changes` the
#: list of changes. The receiver (the publisher) returns the `Published` fragments it rendered.
committed = signals.signal("committed")

_process_write_lock = threading.Lock()
_active = threading.local()


@dataclass
class Published:
    """The fragments the publisher rendered for one unit of work, by (fragment id, language):
    the HTTP reply of a write sends these same bytes (one render per change)."""

    html: dict[tuple[str, str], str] = field(default_factory=dict)

    def fragment(self, fragment_id: str, locale: str) -> str | None:
        return self.html.get((fragment_id, locale))


@dataclass
class UnitOfWork:
    changes: list[Change] = field(default_factory=list)
    published: Published = field(default_factory=Published)

    def record(self, change: Change) -> None:
        self.changes.append(change)


def record(change: Change) -> None:
    """Record a change in the unit of work in progress (a service helper called inside one)."""
    unit = getattr(_active, "unit", None)
    if unit is None:
        raise RuntimeError("a change can only be recorded inside write_transaction()")
    unit.record(change)


#: The `flask.g` attribute holding the current request's `RequestKey` (set by core/idempotency.py).
REQUEST_KEY = "sinergi_request_key"


@dataclass
class RequestKey:
    """The idempotency key of the request in progress, until a unit of work commits it."""

    key: str
    user_id: int
    method: str
    path: str
    expires_at: datetime
    committed: bool = False


class RequestKeyTaken(Exception):
    """Another request with the same idempotency key committed first: this one changed nothing."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _claim_request_key(session: Any) -> IdempotencyKey | None:
    """Insert the request's key, once per request, as the unit of work's first statement."""
    request_key = g.get(REQUEST_KEY) if has_app_context() else None
    if not isinstance(request_key, RequestKey) or request_key.committed:
        return None
    row = IdempotencyKey(
        key=request_key.key,
        user_id=request_key.user_id,
        method=request_key.method,
        path=request_key.path,
        expires_at=request_key.expires_at,
        headers={},
        completed=False,
    )
    session.add(row)
    try:
        # PostgreSQL: a concurrent request's uncommitted row makes this wait, then fail, here.
        session.flush()
    except IntegrityError as taken:
        raise RequestKeyTaken(request_key.key) from taken
    return row


def _mark_committed(session: Any, row: IdempotencyKey | None) -> None:
    # A service that rolled back inside the unit ("nothing to change") dropped the key's row too.
    if row is not None and row in session:
        request_key = g.get(REQUEST_KEY)
        if isinstance(request_key, RequestKey):
            request_key.committed = True


@contextmanager
def write_transaction() -> Iterator[UnitOfWork]:
    """One short write transaction: commit on success, roll back on any exception; after the
    commit, publish what it recorded."""
    unit = UnitOfWork()
    session = db.session()
    with _process_write_lock:
        # End the read transaction the request may have open, so the write's snapshot is current.
        # What the request already loaded stays loaded (the write re-reads the rows it decides on);
        # anything changed outside a unit of work is discarded.
        _end_read_transaction(session)
        _active.unit = unit
        try:
            key_row = _claim_request_key(session)
            yield unit
            # The rows just written stay as written: the publisher renders them without re-reading.
            session.expire_on_commit = False
            try:
                session.commit()
            finally:
                session.expire_on_commit = True
            _mark_committed(session, key_row)
        except BaseException:
            session.rollback()
            raise
        finally:
            _active.unit = None
    if unit.changes:
        publish(unit)


def _end_read_transaction(session: Any) -> None:
    if session.dirty or session.new or session.deleted:
        session.rollback()
        return
    session.expire_on_commit = False
    try:
        session.commit()  # nothing to write: only ends the read snapshot
    finally:
        session.expire_on_commit = True


def publish(unit: UnitOfWork) -> None:
    """Hand the committed changes to the publisher; keep what it rendered for the HTTP reply."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        for _receiver, result in committed.send(app, changes=list(unit.changes)):
            if isinstance(result, Published):
                unit.published.html.update(result.html)
    except Exception:
        app.logger.exception("publishing %d committed change(s) failed", len(unit.changes))


@dataclass
class ProposalWrite:
    """What a write to a proposal answers: the revision it produced (or the unchanged one) and the
    fragments the publisher rendered, for the HTTP reply."""

    proposal_id: int
    revision: int
    changed: bool = True
    published: Published = field(default_factory=Published)
