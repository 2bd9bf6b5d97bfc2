#!/usr/bin/env bash
# One Sinergi worker process: gunicorn with ONE eventlet worker (Socket.IO needs one worker per
# process; run several processes on several ports behind nginx for more capacity).
#   deploy/gunicorn.sh 8001     # process 1
#   deploy/gunicorn.sh 8002     # process 2
# Environment (e.g. from /etc/sinergi/sinergi.env, see sinergi.service): DATABASE_URL,
# SOCKETIO_MESSAGE_QUEUE, SECRET_KEY, SINERGI_SECURE_COOKIES=1, RATELIMIT_STORAGE_URI.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT="${1:-8001}"
ASYNC="${SINERGI_ASYNC:-eventlet}"
if [ "$ASYNC" = "gevent" ]; then
  WORKER_CLASS="geventwebsocket.gunicorn.workers.GeventWebSocketWorker"
else
  WORKER_CLASS="eventlet"
fi
# --worker-connections: how many simultaneous clients one worker accepts (eventlet's default 1,024
# is also the usual file-descriptor limit; raise LimitNOFILE in the systemd unit to match).
# Timeouts (nginx in front guards the clients: docs/deploy.md, "Connections and limits"):
# --timeout 60: a worker whose event loop stays blocked 60 s is restarted;
# --graceful-timeout: how long a stopping worker lets requests finish;
# --keep-alive 5: an idle connection from nginx is closed after 5 s, and under the eventlet
#   worker each request head, the first one too, must be complete within it (a whole-head deadline);
# --limit-request-*: gunicorn's defaults, stated: a request line or header line of at most 8,190
#   bytes, at most 100 headers.
exec "${GUNICORN:-.venv/bin/gunicorn}" \
  --worker-class "$WORKER_CLASS" \
  --workers 1 \
  --worker-connections "${SINERGI_WORKER_CONNECTIONS:-4000}" \
  --bind "127.0.0.1:${PORT}" \
  --timeout 60 --graceful-timeout "${SINERGI_GRACEFUL_TIMEOUT:-20}" \
  --keep-alive "${SINERGI_KEEPALIVE:-5}" \
  --limit-request-line 8190 --limit-request-fields 100 --limit-request-field_size 8190 \
  --access-logfile - \
  wsgi:app
