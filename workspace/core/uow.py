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
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from blinker import Namespace
from flask import current_app

from workspace.core.changes import Change
from workspace.extensions import db

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
            yield unit
            # The rows just written stay as written: the publisher renders them without re-reading.
            session.expire_on_commit = False
            try:
                session.commit()
            finally:
                session.expire_on_commit = True
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
