"""Configuration: everything from environment variables, with working defaults.

Settings are read when the app is created (not at import), so a test or a second process can
set the environment first.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def instance_path_from_environment() -> Path:
    return Path(os.environ.get("SINERGI_INSTANCE_PATH", PROJECT_ROOT / "instance")).resolve()


def load_or_create_secret_key(instance_path: Path) -> str:
    """Return SECRET_KEY from the environment, or one generated once into instance/."""
    configured = os.environ.get("SECRET_KEY")
    if configured:
        return configured
    instance_path.mkdir(parents=True, exist_ok=True)
    key_file = instance_path / "secret_key"
    try:
        # O_EXCL: two processes starting at once agree on one key; 0600: readable by the service only.
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return key_file.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_hex(32))
    return key_file.read_text().strip()


def normalise_database_url(url: str) -> str:
    """`postgres://` and `postgresql://` mean psycopg2, the driver eventlet and gevent make cooperative.

    (SQLAlchemy 2.1 would otherwise pick psycopg 3, which does not cooperate with eventlet.)
    An explicit driver, e.g. `postgresql+pg8000://`, is kept.
    """
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg2://" + url[len(prefix) :]
    return url


def config_from_environment(instance_path: Path) -> dict[str, Any]:
    """The production configuration; each value has a working default."""
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{instance_path / 'sinergi.sqlite3'}"
    allowed_origins = os.environ.get("SINERGI_ALLOWED_ORIGINS", "")
    return {
        "SECRET_KEY": load_or_create_secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "SOCKETIO_MESSAGE_QUEUE": os.environ.get("SOCKETIO_MESSAGE_QUEUE") or None,
        # Extra origins allowed to open a Socket.IO connection (the app's own host always is).
        "SOCKETIO_ALLOWED_ORIGINS": [o.strip() for o in allowed_origins.split(",") if o.strip()],
        "BABEL_DEFAULT_LOCALE": os.environ.get("SINERGI_LOCALE", "id"),
        "BABEL_DEFAULT_TIMEZONE": os.environ.get("SINERGI_TIMEZONE", "Asia/Jakarta"),
        "BABEL_TRANSLATION_DIRECTORIES": str(PROJECT_ROOT / "translations"),
        "LANGUAGES": ("id", "en"),
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_HEADERS_ENABLED": True,
        **sign_in_settings(),
        # New comments and replies per person (a flood of comments is noise for everyone).
        "COMMENT_RATE_LIMIT": os.environ.get("SINERGI_COMMENT_RATE_LIMIT", "10 per minute"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": os.environ.get("SINERGI_SECURE_COOKIES", "0") == "1",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": os.environ.get("SINERGI_SECURE_COOKIES", "0") == "1",
        # Socket.IO events per person and second, across all their connections in this process,
        # after a burst (one person cannot flood a room, however many sockets they open).
        "SOCKET_EVENT_RATE": float(os.environ.get("SINERGI_SOCKET_EVENT_RATE", "10")),
        "SOCKET_EVENT_BURST": float(os.environ.get("SINERGI_SOCKET_EVENT_BURST", "30")),
        **connection_settings(),
        "MAX_CONTENT_LENGTH": 8 * 1024 * 1024,
        # An evidence file (bukti dukung) of a quarter's realisation, at most (bytes); below
        # MAX_CONTENT_LENGTH, or a larger one gets the generic "too large" page instead of the reason.
        "SINERGI_EVIDENCE_MAX_BYTES": int(os.environ.get("SINERGI_EVIDENCE_MAX_BYTES", str(5 * 1024 * 1024))),
        # A two-day meeting: a CSRF token lives as long as the login session.
        "WTF_CSRF_TIME_LIMIT": None,
        # Several processes: the Redis keys (presence) and the Socket.IO channel are namespaced by this.
        "SINERGI_REDIS_NAMESPACE": os.environ.get("SINERGI_REDIS_NAMESPACE", "sinergi"),
        # How long the people of a killed process may still show as present (seconds).
        "SINERGI_PRESENCE_TTL": float(os.environ.get("SINERGI_PRESENCE_TTL", "15")),
        # A room's presence and focus lists are sent at most once per this many seconds (0: at once).
        "SINERGI_PRESENCE_WINDOW": float(os.environ.get("SINERGI_PRESENCE_WINDOW", "0.2")),
        # The address laptops reach this server by, for the QR codes of join codes (an event's own
        # setting, Admin rakor → Rakor, comes first); empty: the address the organiser is using.
        "SINERGI_PUBLIC_URL": os.environ.get("SINERGI_PUBLIC_URL", "").strip().rstrip("/"),
        # Number of reverse proxies in front (nginx: 1); their X-Forwarded-* headers are trusted.
        "SINERGI_PROXY_COUNT": int(os.environ.get("SINERGI_PROXY_COUNT", "0")),
        "SQLITE_BUSY_TIMEOUT_MS": int(os.environ.get("SINERGI_SQLITE_BUSY_TIMEOUT_MS", "15000")),
        # A write's idempotency key and its answer are kept this many days (longer than a rakor and
        # the browser's outbox), then purged.
        "SINERGI_IDEMPOTENCY_DAYS": float(os.environ.get("SINERGI_IDEMPOTENCY_DAYS", "14")),
        # How long a retry waits for the answer of the same write still finishing elsewhere (seconds).
        "SINERGI_IDEMPOTENCY_WAIT": float(os.environ.get("SINERGI_IDEMPOTENCY_WAIT", "5")),
        # Engine.IO heartbeat (seconds): the server pings every PING_INTERVAL and expects the answer
        # within PING_TIMEOUT. A browser notices a stalled link within their sum (9 s), the server
        # drops the socket (and the person leaves presence) within about their sum plus PING_TIMEOUT.
        "SINERGI_PING_INTERVAL": float(os.environ.get("SINERGI_PING_INTERVAL", "4")),
        "SINERGI_PING_TIMEOUT": float(os.environ.get("SINERGI_PING_TIMEOUT", "5")),
    }


def sign_in_settings() -> dict[str, Any]:
    """Guessing, expiry and the demo's accounts (docs/security.md)."""
    return {
        # Wrong passwords per account: after this many within 15 minutes, the account's next attempt
        # waits 2 s, then 4, 8, … up to the cap; never a lock (services/throttle.py, docs/security.md).
        "SIGN_IN_FREE_FAILURES": int(os.environ.get("SINERGI_SIGN_IN_FREE_FAILURES", "5")),
        "SIGN_IN_MAX_WAIT": float(os.environ.get("SINERGI_SIGN_IN_MAX_WAIT", "30")),
        # Failed sign-ins with usernames that name nobody, per address, before the same progressive
        # wait (60 s at most) applies to that address's unknown usernames.
        "SIGN_IN_UNKNOWN_FREE_FAILURES": int(os.environ.get("SINERGI_SIGN_IN_UNKNOWN_FREE_FAILURES", "60")),
        # Failed sign-ins per address, all accounts together (only failures count): a ceiling on the
        # password checks one address can make the server do, far above a hotel's sign-in morning.
        "LOGIN_ADDRESS_RATE_LIMIT": os.environ.get("SINERGI_LOGIN_ADDRESS_RATE_LIMIT", "600 per minute"),
        # Wrong join codes per address (only failures count; a right code is never refused for
        # others' mistakes), and tries of one typed code.
        "JOIN_CODE_RATE_LIMIT": os.environ.get("SINERGI_JOIN_CODE_RATE_LIMIT", "60 per minute"),
        "JOIN_CODE_PER_CODE_LIMIT": os.environ.get("SINERGI_JOIN_CODE_PER_CODE_LIMIT", "5 per 10 minutes"),
        # Sign-ins end after this many hours without a request, and at the latest after this many
        # days (the remember-me cookie lasts as long).
        "SESSION_IDLE_HOURS": float(os.environ.get("SINERGI_SESSION_IDLE_HOURS", "12")),
        "SIGN_IN_MAX_DAYS": float(os.environ.get("SINERGI_SIGN_IN_MAX_DAYS", "30")),
        "REMEMBER_COOKIE_DURATION": timedelta(days=float(os.environ.get("SINERGI_SIGN_IN_MAX_DAYS", "30"))),
        # Beyond loopback, `python app.py` refuses to start while demo passwords exist, unless this
        # says the LAN demo is on purpose (its demo passwords are then replaced and printed).
        "SINERGI_LAN_DEMO": os.environ.get("SINERGI_LAN_DEMO", "0") == "1",
    }


def connection_settings() -> dict[str, Any]:
    """How `python app.py` guards its connections when no nginx is in front (workspace/serving.py;
    docs/deploy.md, "Connections and limits")."""
    behind_proxy = int(os.environ.get("SINERGI_PROXY_COUNT", "0")) > 0
    return {
        # Simultaneous connections the process serves (eventlet's default is 1,024).
        "SINERGI_MAX_CONNECTIONS": int(os.environ.get("SINERGI_MAX_CONNECTIONS", "4096")),
        # Connections one client address may hold at once. A hotel's 65 laptops share one address
        # and one Chromium holds up to 7 to a proposal page in normal use (6 HTTP + its WebSocket,
        # measured in tests/test_connections_server.py): 65 × 7 = 455, about doubled for second
        # tabs and reconnects. At the cap an idle connection of the address makes room first.
        # Behind a proxy every connection comes from the proxy's address: off (nginx's limit_conn).
        "SINERGI_MAX_CONNECTIONS_PER_ADDRESS": int(
            os.environ.get("SINERGI_MAX_CONNECTIONS_PER_ADDRESS", "0" if behind_proxy else "1000")
        ),
        # Seconds a connection may wait for its next request (keep-alive), or for the next byte of
        # a body, before it is closed.
        "SINERGI_IDLE_TIMEOUT": float(os.environ.get("SINERGI_IDLE_TIMEOUT", "30")),
        # Seconds from a request's first byte to the end of its head, however slowly it trickles.
        "SINERGI_HEADER_TIMEOUT": float(os.environ.get("SINERGI_HEADER_TIMEOUT", "10")),
        # Sockets one person may hold open in this process (a tab each; 0: no cap). Several tabs
        # are normal, and a tab that reconnects briefly holds two (docs/deploy.md).
        "SINERGI_SOCKETS_PER_USER": int(os.environ.get("SINERGI_SOCKETS_PER_USER", "16")),
        # The Server-Timing header (the app's own time per response): for the benches, off otherwise.
        "SINERGI_SERVER_TIMING": os.environ.get("SINERGI_SERVER_TIMING", "0") == "1",
        # How its answers are compressed (here rather than above: that function is at its size limit).
        **compression_settings(),
    }


def compression_settings() -> dict[str, Any]:
    """Responses compressed by the app (workspace/compression.py; docs/deploy.md, "Compression")."""
    return {
        # 0: every response goes out as it is (the benches' "before"; a proxy that compresses instead).
        "SINERGI_COMPRESS": os.environ.get("SINERGI_COMPRESS", "1") != "0",
        # Bodies smaller than this are sent as they are (a few bytes saved cost more than they save).
        "SINERGI_COMPRESS_MIN_BYTES": int(os.environ.get("SINERGI_COMPRESS_MIN_BYTES", "1024")),
        # Brotli's quality and gzip's level for dynamic responses (files get the best, once).
        "SINERGI_COMPRESS_BR_QUALITY": int(os.environ.get("SINERGI_COMPRESS_BR_QUALITY", "5")),
        "SINERGI_COMPRESS_GZIP_LEVEL": int(os.environ.get("SINERGI_COMPRESS_GZIP_LEVEL", "6")),
    }


TEST_OVERRIDES: dict[str, Any] = {
    "TESTING": True,
    "SOCKETIO_MESSAGE_QUEUE": None,
    "RATELIMIT_STORAGE_URI": "memory://",
}
