"""Sign in, sign out, and the language switch."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from workspace.extensions import limiter
from workspace.realtime.handlers import disconnect_login
from workspace.services import accounts
from workspace.views.access import access

blueprint = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    username = StringField(
        _l("Username"),
        validators=[
            DataRequired(_l("Fill in your username.")),
            Length(max=80, message=_l("At most %(max)d characters.")),
        ],
    )
    password = PasswordField(
        _l("Password"),
        validators=[
            DataRequired(_l("Fill in your password.")),
            Length(max=200, message=_l("At most %(max)d characters.")),
        ],
    )
    remember = BooleanField(_l("Keep me signed in on this laptop"))


def safe_next_url(target: str | None) -> str | None:
    """Only a path on this site is followed after sign-in (no open redirect)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def login_rate_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def login_address_rate_limit() -> str:
    return current_app.config["LOGIN_ADDRESS_RATE_LIMIT"]


def address_and_username() -> str:
    """Attempts on one account from one address: a hotel's laptops may share one public address,
    so the tight limit is per account, and a looser one per address stops password spraying."""
    return f"{request.remote_addr}|{request.form.get('username', '').strip().lower()[:80]}"


@blueprint.route("/masuk", methods=["GET", "POST"])
@access("public")
@limiter.limit(login_rate_limit, key_func=address_and_username, methods=["POST"])
@limiter.limit(login_address_rate_limit, methods=["POST"])
def login() -> str | Response:
    if current_user.is_authenticated:
        return redirect(url_for("events.index"))
    form = LoginForm()
    login_error = None
    if form.validate_on_submit():
        user = accounts.authenticate(form.username.data or "", form.password.data or "")
        if user is None:
            # Generic on purpose: never say whether the username or the password was wrong.
            login_error = _("Wrong username or password.")
        else:
            next_url = safe_next_url(request.args.get("next"))
            locale = session.get("locale")
            session.clear()  # a fresh session at sign-in (no session fixation)
            if locale:
                session["locale"] = locale
            accounts.start_login(user, request.headers.get("User-Agent", ""))
            login_user(user, remember=bool(form.remember.data))
            return redirect(next_url or url_for("events.index"))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form, login_error=login_error), status


@blueprint.route("/keluar", methods=["POST"])
@access("signed-in")
@login_required
def logout() -> Response:
    token = current_user.login_token
    logout_user()
    session.clear()
    accounts.end_login(token)
    disconnect_login(token)  # this browser's live sockets stop now, not at their next event
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


@blueprint.route("/bahasa", methods=["POST"])
@access("public")
def switch_language() -> Response:
    language = request.form.get("language", "")
    if language in current_app.config["LANGUAGES"]:
        session["locale"] = language
    return redirect(safe_next_url(request.form.get("next")) or url_for("events.index"))
