"""Sinergi: a real-time collaborative workspace for regional planning meetings (rakor)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from flask import Flask, Response, current_app, flash, g, has_request_context, redirect, request, session
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext
from flask_login import login_url
from sqlalchemy import event as sa_event

# Importing workspace.realtime registers the Socket.IO handlers (see _init_realtime).
from workspace import cli, compression, realtime  # noqa: F401
from workspace.config import (
    PROJECT_ROOT,
    config_from_environment,
    instance_path_from_environment,
    normalise_database_url,
)
from workspace.core import idempotency
from workspace.core.numbers import DatabaseIdConverter
from workspace.extensions import babel, csrf, db, htmx, limiter, login_manager, migrate, socketio
from workspace.models import User  # every model: all the tables are on the metadata
from workspace.queries.accounts import user_of_login
from workspace.realtime.presence import create_presence
from workspace.services import accounts
from workspace.serving import PollingPostLimit
from workspace.views import register_blueprints
from workspace.views.filters import register_template_helpers


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the application. `config` overrides what the environment says (tests use it)."""
    overrides = dict(config or {})
    instance_path = Path(overrides.pop("INSTANCE_PATH", None) or instance_path_from_environment())
    instance_path.mkdir(parents=True, exist_ok=True)

    app = Flask(
        __name__,
        instance_path=str(instance_path),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.update(config_from_environment(instance_path))
    app.config.update(overrides)
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(app.config["SQLALCHEMY_DATABASE_URI"])

    proxies = int(app.config.get("SINERGI_PROXY_COUNT", 0))
    if proxies:
        # Behind nginx: the client's address (rate limits) and https (secure cookies) come from it.
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)  # type: ignore[method-assign]

    _init_database(app)
    _init_web(app)
    _init_realtime(app)
    cli.register(app)
    return app


def _init_database(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        busy_timeout_ms = int(app.config.get("SQLITE_BUSY_TIMEOUT_MS", 15000))
        with app.app_context():
            engine = db.engine

            @sa_event.listens_for(engine, "connect")
            def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
                # WAL: readers never wait for the writer; busy_timeout: a writer waits, not fails.
                cursor = dbapi_connection.cursor()
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
                cursor.execute("PRAGMA foreign_keys=ON")
                cursor.execute("PRAGMA synchronous=NORMAL")
                cursor.close()


def _init_web(app: Flask) -> None:
    """Sign-in, CSRF, htmx, rate limits, the language, template helpers, the routes, response headers."""
    _init_login(app)
    csrf.init_app(app)
    htmx.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=_select_locale)
    register_template_helpers(app)
    # Ids in URLs are database ids (workspace/core/numbers.py): ASCII digits, at most 2**53; "²", a
    # 25-digit or a 5,000-digit one is a 404, not an overflow deep in the driver.
    app.url_map.converters["int"] = DatabaseIdConverter
    register_blueprints(app)
    _init_response_headers(app)  # after the blueprints: their before_request hooks run first
    # Last: a retried write is answered after CSRF and the sign-in checks, before the view (and its
    # rate limit) runs again.
    idempotency.init_app(app)


def _init_login(app: Flask) -> None:
    """Flask-Login: who the session's user is, and where someone not signed in is sent."""
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = lazy_gettext("Please sign in to open this page.")
    login_manager.login_message_category = "info"
    login_manager.user_loader(_load_user)
    login_manager.unauthorized_handler(_unauthorized)


def _load_user(user_id: str) -> User | None:
    user = user_of_login(user_id)
    if user is not None:
        accounts.note_activity(user)  # the idle timeout counts from the last request
    return user


def _unauthorized() -> ResponseReturnValue:
    """Pages redirect to the sign-in page; htmx and live-page requests get 401 (and htmx is
    told to open the sign-in page), never a login page swapped into a fragment."""
    target = login_url(login_manager.login_view, next_url=request.url)
    if request.headers.get("HX-Request"):
        return "", 401, {"HX-Redirect": target}
    flash(str(login_manager.login_message), login_manager.login_message_category)
    return redirect(target)


def _select_locale() -> str:
    """The language chosen in this session, if the app offers it; else the default."""
    chosen = session.get("locale") if has_request_context() else None
    if isinstance(chosen, str) and chosen in current_app.config["LANGUAGES"]:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def _init_response_headers(app: Flask) -> None:
    """Every response carries the security headers and is compressed when the client accepts it
    (workspace/compression.py); with SINERGI_SERVER_TIMING=1 (the benches) it also says how long the
    server worked on it, compression included (off otherwise: it tells anyone how long a guess or a
    lookup took)."""
    if app.config.get("SINERGI_SERVER_TIMING"):
        app.before_request(_start_timer)
        # after_request hooks run last-registered first: the idempotency store (registered later,
        # it keeps the uncompressed body), the security headers, compression, then Server-Timing.
        app.after_request(_server_timing)
    compression.init_app(app)
    app.after_request(_security_headers)


def _start_timer() -> None:
    g.request_started = time.perf_counter()


def _server_timing(response: Response) -> Response:
    # How long the server worked on the request (bench/ reads it; browsers show it in devtools).
    started = g.get("request_started")
    if started is not None:
        timing = f"app;dur={(time.perf_counter() - started) * 1000:.2f}"
        compressing = g.get("compression_ms")
        if compressing is not None:
            timing += f", compress;dur={compressing:.2f}"  # included in app's
        response.headers["Server-Timing"] = timing
    return response


def _security_headers(response: Response) -> Response:
    # Only our own scripts run: no inline script, no CDN (DESIGN.md, hard rules). connect-src
    # 'self' covers the page's own WebSocket (ws: / wss: on the same host and port, CSP Level 3).
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if request.endpoint != "static" and "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "no-store"
    return response


def _init_realtime(app: Flask) -> None:
    # The handlers were registered when workspace.realtime was imported (above), before any
    # init_app: registered while no server exists, they are kept in socketio.handlers and installed
    # on the server of every app created (tests create many).
    app.extensions["sinergi.presence"] = create_presence(app.config)
    allowed_origins = app.config.get("SOCKETIO_ALLOWED_ORIGINS") or None
    max_message = 64 * 1024
    socketio.init_app(
        app,
        # None (not set): Flask-SocketIO picks the mode, and the stubs leave None out. Passed even
        # then, as init_app keeps the options of the previous app created (the tests create many).
        async_mode=app.config.get("SOCKETIO_ASYNC_MODE"),  # type: ignore[arg-type]
        message_queue=app.config.get("SOCKETIO_MESSAGE_QUEUE"),
        channel=f"{app.config['SINERGI_REDIS_NAMESPACE']}-socketio",
        # None: only the app's own origin may connect (no wildcard CORS); the stubs leave None out.
        cors_allowed_origins=allowed_origins,  # type: ignore[arg-type]
        max_http_buffer_size=max_message,
        # One connection's events are handled in the order they were sent: a focus and the blur
        # right after it must not race (on PostgreSQL the focus's query yields, and a late focus
        # would stay on every screen). Other connections are not held up.
        async_handlers=False,
        # Hotel Wi-Fi: a stalled link is noticed in seconds, not at the library's 25 + 20 s.
        ping_interval=app.config["SINERGI_PING_INTERVAL"],
        ping_timeout=app.config["SINERGI_PING_TIMEOUT"],
    )
    # In front of Engine.IO (which wraps app.wsgi_app in init_app): an oversized polling POST is
    # answered 413 at once instead of hanging (workspace/serving.py says why).
    app.wsgi_app = PollingPostLimit(app.wsgi_app, app, "/socket.io/", max_message)  # type: ignore[method-assign]
