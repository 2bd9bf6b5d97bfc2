"""Entry point for the real-server tests that need a hook route: app.py plus `tests/hooks.py`.

Started as `python -m tests.serve_with_hooks` from the project root (tests/servers.py does that when
asked for `with_hooks=True`). Importing `app` first keeps app.py's order: monkey-patch (eventlet or
gevent, per SINERGI_ASYNC), then create_app(). The hook blueprint is registered on that app before
it serves its first request; the serving below mirrors app.py's `__main__` block.
"""

import app as entry  # before anything that imports workspace: monkey-patches, then creates the app

# isort: split
from tests.hooks import blueprint

entry.app.register_blueprint(blueprint)

if __name__ == "__main__":
    host, port = entry.listen_address()
    entry.serve(entry.app, host, port, name="Sinergi with test hooks")
