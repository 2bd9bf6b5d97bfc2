"""The write path's transaction discipline (DESIGN.md §3, "Async model").

`sqlite3` is C code that green threads cannot interleave: a green thread switched out inside a
write transaction would stall every other writer of the process. So writes are serialised in
the process by one lock, the transaction starts with its first write (the proposal's revision
bump, which also takes PostgreSQL's row lock and serialises writers across processes), and
nothing emits or does network I/O inside it. Under eventlet or gevent `threading.Lock` is
monkey-patched into a green lock, because `app.py` patches before anything imports this module.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from workspace.extensions import db

_process_write_lock = threading.Lock()


@contextmanager
def write_transaction() -> Iterator[None]:
    """One short write transaction: commit on success, roll back on any exception."""
    with _process_write_lock:
        # End the read transaction the request may have open, so the write's snapshot is current.
        db.session.rollback()
        try:
            yield
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise
