"""WSGI entry point for gunicorn (see deploy/). The gunicorn worker class monkey-patches.

gunicorn --worker-class eventlet --workers 1 --bind 127.0.0.1:8001 wsgi:app
"""

import gc
import os

ASYNC_MODE = os.environ.get("SINERGI_ASYNC", "eventlet")
if ASYNC_MODE == "gevent":
    # gunicorn's gevent worker patches the standard library, not psycopg2.
    from psycogreen.gevent import patch_psycopg

    patch_psycopg()

from workspace import create_app  # noqa: E402
from workspace.services import reminders  # noqa: E402

app = create_app({"SOCKETIO_ASYNC_MODE": ASYNC_MODE})
reminders.start_reminder_loop(app)  # deadlines of the monitoring phase, hourly (once per worker)

# As in app.py: start-up objects out of the garbage collector's full passes (no 120 ms pauses).
gc.collect()
gc.freeze()
