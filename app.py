"""Entry point: `python app.py` serves Sinergi with eventlet (or gevent) on 127.0.0.1:5000.

Monkey-patching happens here, first, and nowhere else: nothing inside `workspace/` imports eventlet.
"""

import gc
import os
import warnings

ASYNC_MODE = os.environ.get("SINERGI_ASYNC", "eventlet")
if ASYNC_MODE == "eventlet":
    # Its bugfix-only status is documented in the README; the warning would only alarm users.
    warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
    import eventlet

    eventlet.monkey_patch()  # includes psycopg2's wait callback: PostgreSQL queries yield to other green threads
elif ASYNC_MODE == "gevent":
    from gevent import monkey

    monkey.patch_all()
    from psycogreen.gevent import patch_psycopg

    patch_psycopg()
else:
    raise SystemExit(f"SINERGI_ASYNC must be eventlet or gevent, not {ASYNC_MODE!r}")

import errno  # noqa: E402
import socket  # noqa: E402
import sys  # noqa: E402

from flask import Flask  # noqa: E402

from workspace import create_app, serving  # noqa: E402
from workspace.extensions import socketio  # noqa: E402
from workspace.services import reminders  # noqa: E402


def refuse_port_in_use(host: str, port: int) -> None:
    """Exit at once, naming the port, if another process listens on it.

    eventlet listens with SO_REUSEPORT, so a second server on a taken port would silently share it
    with the first (each getting some of the connections). A plain bind, without SO_REUSEPORT, fails
    when anyone listens there. (SO_REUSEADDR only lets it pass connections left in TIME_WAIT by a
    server just stopped.)
    """
    try:
        family, kind, proto, _name, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
    except OSError as error:
        reason = error.strerror or str(error)
        if error.errno == errno.EADDRINUSE:
            sys.exit(
                f"Sinergi cannot start: port {port} on {host} is already in use ({reason}): another process "
                f"listens on it. Stop that process, or choose another port with SINERGI_PORT."
            )
        sys.exit(f"Sinergi cannot listen on {host}:{port} ({reason}); check SINERGI_HOST and SINERGI_PORT.")


def listen_address() -> tuple[str, int]:
    return os.environ.get("SINERGI_HOST", "127.0.0.1"), int(os.environ.get("SINERGI_PORT", "5000"))


if __name__ == "__main__":
    # Before the app is built: a taken port is reported at once.
    refuse_port_in_use(*listen_address())

app = create_app({"SOCKETIO_ASYNC_MODE": ASYNC_MODE})

# Everything created at start-up lives as long as the process: move it out of the garbage
# collector's sight. Otherwise each full collection walks it all and pauses every request and
# socket of the process for about 120 ms (measured, docs/performance.md).
gc.collect()
gc.freeze()


def raise_file_limit() -> int:
    """Every connected laptop holds a socket: lift the soft file-descriptor limit to the hard one."""
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if hard == resource.RLIM_INFINITY or hard > soft:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        return resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    except (ImportError, ValueError, OSError):  # not on this platform, or not allowed
        return -1


def check_before_serving(flask_app: Flask, host: str) -> None:
    """Start-up checks that need the built app and the address it will listen on, run once just
    before serving: the one place for them. Beyond loopback, no account may still have the
    published demo password (services/deployment.py): refused with what to do instead, or, for a
    LAN demo on purpose (SINERGI_LAN_DEMO=1), the demo passwords are replaced and printed."""
    from workspace.services.deployment import check_before_listening

    verdict = check_before_listening(flask_app, host)
    if verdict.refusal:
        sys.exit(verdict.refusal)
    if verdict.notice:
        print(verdict.notice, flush=True)


def serve(flask_app: Flask, host: str, port: int, name: str = "Sinergi") -> None:
    """Serve until stopped. Eventlet: its WSGI server with a listener of our own and the
    connection guards of workspace/serving.py (deadlines for idle and half-sent connections, a cap
    per address). Gevent: Flask-SocketIO's server, as before, without those guards."""
    files = raise_file_limit()
    log_output = os.environ.get("SINERGI_ACCESS_LOG") == "1"
    reminders.start_reminder_loop(flask_app)  # deadlines of the monitoring phase, hourly
    if ASYNC_MODE != "eventlet":
        print(f"{name}: http://{host}:{port}  ({ASYNC_MODE}, no connection guards, {files} files)", flush=True)
        socketio.run(flask_app, host=host, port=port, log_output=log_output)
        return
    import eventlet.wsgi

    limits = serving.ConnectionLimits.from_config(flask_app.config)
    family, _kind, _proto, _name, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    # No SO_REUSEPORT: a second server on this port fails here too, not only in refuse_port_in_use.
    listener = eventlet.listen(address, family, backlog=1024, reuse_port=False)
    protocol = serving.guarded_protocol(
        eventlet.wsgi.HttpProtocol,
        limits,
        deadline=lambda seconds: eventlet.Timeout(seconds, TimeoutError("request head not complete in time")),
        refusal=serving.refusal_response(serving.too_many_connections_message(flask_app)),
    )
    print(f"{name}: http://{host}:{port}  ({ASYNC_MODE}, {limits.describe()}, {files} files)", flush=True)
    eventlet.wsgi.server(
        listener,
        flask_app,
        log_output=log_output,
        max_size=limits.total,
        protocol=protocol,
        socket_timeout=limits.idle_timeout,
        debug=False,  # an error escaping the app is a bare 500, never a traceback sent to the client
    )


if __name__ == "__main__":
    host, port = listen_address()
    check_before_serving(app, host)
    serve(app, host, port)
