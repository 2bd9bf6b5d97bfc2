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

from workspace import create_app  # noqa: E402
from workspace.extensions import socketio  # noqa: E402


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


if __name__ == "__main__":
    # Before the app is built: a taken port is reported at once.
    refuse_port_in_use(os.environ.get("SINERGI_HOST", "127.0.0.1"), int(os.environ.get("SINERGI_PORT", "5000")))

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


if __name__ == "__main__":
    host = os.environ.get("SINERGI_HOST", "127.0.0.1")
    port = int(os.environ.get("SINERGI_PORT", "5000"))
    files = raise_file_limit()
    # Simultaneous connections one process accepts (eventlet's default is 1,024; docs/performance.md).
    connections = int(os.environ.get("SINERGI_MAX_CONNECTIONS", "4096"))
    options = {"max_size": connections} if ASYNC_MODE == "eventlet" else {}
    print(f"Sinergi: http://{host}:{port}  ({ASYNC_MODE}, up to {connections} connections, {files} files)", flush=True)
    socketio.run(app, host=host, port=port, log_output=os.environ.get("SINERGI_ACCESS_LOG") == "1", **options)
