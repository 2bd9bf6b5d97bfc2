"""Entry point for the real-server tests that need a hook route: app.py plus `tests/hooks.py`.

Started as `python -m tests.serve_with_hooks` from the project root (tests/servers.py does that when
asked for `with_hooks=True`). Importing `app` first keeps app.py's order: monkey-patch (eventlet or
gevent, per SINERGI_ASYNC), then create_app(). The hook blueprint is registered on that app before
it serves its first request; the serving below mirrors app.py's `__main__` block.
"""

import os

import app as entry  # before anything that imports workspace: monkey-patches, then creates the app

# isort: split
from tests.hooks import blueprint
from workspace.extensions import socketio

entry.app.register_blueprint(blueprint)

if __name__ == "__main__":
    host = os.environ.get("SINERGI_HOST", "127.0.0.1")
    port = int(os.environ.get("SINERGI_PORT", "5000"))
    files = entry.raise_file_limit()
    connections = int(os.environ.get("SINERGI_MAX_CONNECTIONS", "4096"))
    options = {"max_size": connections} if entry.ASYNC_MODE == "eventlet" else {}
    print(
        f"Sinergi with test hooks: http://{host}:{port}  ({entry.ASYNC_MODE}, up to {connections} connections, "
        f"{files} files)",
        flush=True,
    )
    socketio.run(entry.app, host=host, port=port, log_output=os.environ.get("SINERGI_ACCESS_LOG") == "1", **options)
