"""How `python app.py` serves when no nginx stands in front (the hotel mode): every connection has
deadlines, one address holds a bounded number of connections, and an oversized Socket.IO
long-polling POST is answered 413.

Nothing here imports eventlet (only app.py does): app.py passes in eventlet's HTTP protocol class
and a deadline factory (`eventlet.Timeout`), and serves with the protocol class built here.

One connection, under eventlet's WSGI server with `guarded_protocol`:

    accepted ─► already SINERGI_MAX_CONNECTIONS_PER_ADDRESS open from its address?
       │            └► its longest-idle one is closed to make room; none idle: the head is
       │               read (2 s at most), 503 with a message, closed
       └► wait for the first byte of a request (also between keep-alive requests):
          nothing within SINERGI_IDLE_TIMEOUT ─► closed
             └► first byte: the whole head (request line and headers) must be in within
                SINERGI_HEADER_TIMEOUT, however slowly it trickles ─► else closed
                   └► the app: each body read and each write within SINERGI_IDLE_TIMEOUT;
                      a WebSocket sets its own read timeout (ping interval + ping timeout) and
                      hears a pong every ping interval, so a live socket is never idle.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from flask import Flask
from flask_babel import gettext

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class Cancellable(Protocol):
    def cancel(self) -> None: ...


# seconds → a deadline that, unless cancelled first, raises TimeoutError in the green thread that
# started it (app.py: eventlet.Timeout(seconds, TimeoutError(…))).
Deadline = Callable[[float], Cancellable]

REFUSAL_HEAD_SECONDS = 2.0  # a refused connection's head is read (so the 503 is not lost to a reset) this long at most


@dataclass(frozen=True)
class ConnectionLimits:
    total: int  # connections this process serves at once (eventlet's pool)
    per_address: int  # connections one client address may hold open at once (0: no cap)
    idle_timeout: float  # seconds without a byte of a new request, or of a body, before closing
    header_timeout: float  # seconds from a request's first byte to the end of its head

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> ConnectionLimits:
        return cls(
            total=int(config["SINERGI_MAX_CONNECTIONS"]),
            per_address=int(config["SINERGI_MAX_CONNECTIONS_PER_ADDRESS"]),
            idle_timeout=float(config["SINERGI_IDLE_TIMEOUT"]),
            header_timeout=float(config["SINERGI_HEADER_TIMEOUT"]),
        )

    def describe(self) -> str:
        cap = f"{self.per_address} per address" if self.per_address else "no cap per address"
        return (
            f"up to {self.total} connections, {cap}, idle {self.idle_timeout:g} s, "
            f"request head {self.header_timeout:g} s"
        )


class AddressCounts:
    """Open connections per client address in this process, and which of them wait idle for a
    request. At the cap, a new connection takes the place of the address's longest-idle one (a
    browser reopens a closed keep-alive connection at no cost; silent connections cannot lock the
    address's other laptops out); it is refused only when none is idle. Green threads switch only
    at I/O, so a check and its update are never interleaved."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.open: dict[str, int] = {}
        self.idle: dict[str, dict[int, Any]] = {}  # address → {id: connection}, oldest first

    def acquire(self, address: str) -> bool:
        held = self.open.get(address, 0)
        if self.cap and held >= self.cap and not self._evict_idle(address):
            return False
        self.open[address] = held + 1
        return True

    def release(self, address: str) -> None:
        held = self.open.get(address, 0) - 1
        if held > 0:
            self.open[address] = held
        else:
            self.open.pop(address, None)

    def waiting(self, address: str, connection: Any) -> None:
        self.idle.setdefault(address, {})[id(connection)] = connection

    def busy(self, address: str, connection: Any) -> None:
        waiting = self.idle.get(address)
        if waiting is not None:
            waiting.pop(id(connection), None)
            if not waiting:
                del self.idle[address]

    def _evict_idle(self, address: str) -> bool:
        """Close the address's longest-idle connection (its wait for a first byte ends at once);
        it gives its place back when its green thread ends."""
        waiting = self.idle.get(address)
        if not waiting:
            return False
        oldest = next(iter(waiting))
        connection = waiting.pop(oldest)
        if not waiting:
            del self.idle[address]
        with contextlib.suppress(OSError):  # already gone
            connection.shutdown(socket.SHUT_RDWR)
        return True


def refusal_response(message: str) -> bytes:
    """What a connection over the per-address cap is answered, in full, before it is closed."""
    body = message.encode("utf-8")
    head = (
        "HTTP/1.1 503 Service Unavailable\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Retry-After: 10\r\n"
        "Cache-Control: no-store\r\n"
        "Connection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


def in_default_language(app: Flask, message: Callable[[], str]) -> str:
    """A message for answers given outside a request of the app (the server's own refusals): in
    the default language (Indonesian)."""
    with app.test_request_context():
        return message()


def too_many_connections_message(app: Flask) -> str:
    return in_default_language(
        app,
        lambda: gettext("Too many connections from your network. Close a few tabs or wait a moment, then try again."),
    )


def guarded_protocol(base: type, limits: ConnectionLimits, deadline: Deadline, refusal: bytes) -> type:
    """eventlet.wsgi.HttpProtocol (`base`) with the deadlines and the per-address cap above.

    It overrides four of eventlet's methods: `handle` (the connection's life: the cap),
    `_read_request_line` (the idle wait, then the head deadline starts), `parse_request` (the
    headers: the deadline ends) and `handle_one_request` (the deadline never outlives its
    request, whatever path eventlet takes)."""
    counts = AddressCounts(limits.per_address)

    class GuardedProtocol(base):
        head_deadline: Cancellable | None = None

        def handle(self) -> None:
            address = str(self.client_address[0])
            if not counts.acquire(address):
                self.close_connection = True
                _refuse(self, deadline, refusal)
                return
            try:
                super().handle()
            finally:
                self.end_head()
                counts.release(address)

        def _read_request_line(self) -> Any:
            if not self.rfile.closed and not self.first_byte():
                return ""  # idle, or evicted: eventlet closes the connection
            self.head_deadline = deadline(limits.header_timeout)
            line = super()._read_request_line()
            if not line:
                self.end_head()
            return line

        def parse_request(self) -> Any:
            try:
                return super().parse_request()
            finally:
                self.end_head()

        def handle_one_request(self) -> None:
            try:
                super().handle_one_request()
            finally:
                self.end_head()

        def first_byte(self) -> bool:
            return _first_byte(self, counts, limits.idle_timeout)

        def end_head(self) -> None:
            if self.head_deadline is not None:
                self.head_deadline.cancel()
                self.head_deadline = None

    GuardedProtocol.address_counts = counts  # for a look from outside
    return GuardedProtocol


def _first_byte(handler: Any, counts: AddressCounts, idle_timeout: float) -> bool:
    """Wait at most `idle_timeout` for a request to begin (a byte already buffered counts);
    meanwhile the connection may be evicted for a newcomer of its address."""
    address = str(handler.client_address[0])
    counts.waiting(address, handler.connection)
    handler.connection.settimeout(idle_timeout)
    try:
        return bool(handler.rfile.peek(1))
    except OSError:  # nothing came in time (TimeoutError), evicted, or the peer went away
        return False
    finally:
        counts.busy(address, handler.connection)


def _refuse(handler: Any, deadline: Deadline, refusal: bytes) -> None:
    """Read what the client sent of its head (closing with unread bytes would reset the connection
    and lose the answer), answer `refusal`; eventlet then closes the connection."""
    timer = deadline(REFUSAL_HEAD_SECONDS)
    try:
        handler.connection.settimeout(REFUSAL_HEAD_SECONDS)
        for _ in range(100):
            if handler.rfile.readline(8192) in (b"", b"\r\n", b"\n"):
                break
        handler.wfile.write(refusal)
        handler.wfile.flush()
    except OSError:  # too slow (TimeoutError) or gone: it is closed all the same
        pass
    finally:
        timer.cancel()


class PollingPostLimit:
    """Answers 413 to a Socket.IO long-polling POST larger than the Engine.IO limit, before
    Engine.IO sees it.

    Why: python-engineio 4.15 refuses such a POST by closing the session
    (`Server.disconnect` → `Socket.close(wait=True)`), and that close waits, inside the POST, until
    a long-polling GET has collected the close packet (`queue.join()`). A client with no GET
    pending (a script, or a browser whose poll just returned) never sends one: the POST hung,
    holding its connection, for as long as the client kept it open. Here it gets its answer at
    once and the session stays as it was."""

    def __init__(self, app: WSGIApp, flask_app: Flask, path: str, limit: int) -> None:
        self.app = app
        self.path = path
        self.limit = limit
        self.flask_app = flask_app
        self.message: str | None = None  # made at the first refusal (the catalogue is loaded by then)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if (
            environ.get("REQUEST_METHOD") == "POST"
            and str(environ.get("PATH_INFO", "")).startswith(self.path)
            and _content_length(environ) > self.limit
        ):
            if self.message is None:
                self.message = in_default_language(
                    self.flask_app, lambda: gettext("This message is too large for the live connection.")
                )
            body = self.message.encode("utf-8")
            start_response(
                "413 Request Entity Too Large",
                [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))],
            )
            return [body]
        return self.app(environ, start_response)


def _content_length(environ: Mapping[str, Any]) -> int:
    try:
        return int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0
