"""Sign in, sign out, the join code of the hotel morning, one's own password, and the language
switch. Thin: each write is one service call (one unit of work); refused input renders its form
again with the reason."""

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

from workspace.core.access import access
from workspace.core.errors import ValidationFailed
from workspace.extensions import limiter
from workspace.queries.accounts import authenticate
from workspace.realtime.rooms import follow_language
from workspace.services import accounts, onboarding
from workspace.views import sign_ins

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
    if "\\" in target or any(ord(c) < 32 or ord(c) == 127 for c in target):
        return None  # browsers read "/\evil.example" and "/\t/evil.example" as another site
    return target


def login_address_rate_limit() -> str:
    return current_app.config["LOGIN_ADDRESS_RATE_LIMIT"]


def _failed_sign_in(response: Response) -> bool:
    """Only failed sign-ins (the form again, 400) count toward the per-address ceiling."""
    return response.status_code == 400


@blueprint.route("/masuk", methods=["GET", "POST"])
@access("public")
@limiter.limit(login_address_rate_limit, methods=["POST"], deduct_when=_failed_sign_in)
def login() -> Response | tuple[str, int]:
    if current_user.is_authenticated:
        return redirect(url_for("events.index"))
    form = LoginForm()
    login_error = None
    status = 400 if request.method == "POST" else 200
    if form.validate_on_submit():
        attempt = sign_ins.Attempt.of(form.username.data or "", request.remote_addr or "", request.cookies)
        wait = attempt.seconds_to_wait()
        if wait:
            message = _("Too many attempts for this account. Wait %(seconds)d seconds, then try again.", seconds=wait)
            page = render_template("auth/login.html", form=form, login_error=message)
            return Response(page, 429, {"Retry-After": str(wait)})
        user = authenticate(form.username.data or "", form.password.data or "")
        if user is None:
            attempt.failed()
            # Generic on purpose: never say whether the username or the password was wrong.
            login_error = _("Wrong username or password.")
        else:
            attempt.succeeded()
            next_url = safe_next_url(request.args.get("next"))
            _fresh_session()
            accounts.start_login(user, request.headers.get("User-Agent", ""))
            login_user(user, remember=bool(form.remember.data))
            response = redirect(next_url or url_for("events.index"))
            sign_ins.trust_device(response, user, request.cookies)
            return response
    return render_template("auth/login.html", form=form, login_error=login_error), status


@blueprint.route("/keluar", methods=["POST"])
@access("signed-in")
@login_required
def logout() -> Response:
    token = current_user.login_token
    logout_user()
    _fresh_session()  # the chosen language stays: the sign-in page after it is in that language too
    accounts.end_login(token)
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


@blueprint.route("/bahasa", methods=["POST"])
@access("public")
def switch_language() -> Response:
    language = request.form.get("language", "")
    if language in current_app.config["LANGUAGES"]:
        session["locale"] = language
        if current_user.is_authenticated:  # the sign-in's open sockets (its other tabs) follow
            follow_language(current_user.login_token, language)
    return redirect(safe_next_url(request.form.get("next")) or url_for("events.index"))


# ---- Join codes: the hotel morning ---------------------------------------------------------------


@blueprint.route("/gabung", methods=["GET"])
@access("public")
def join_form() -> str:
    """Typed on the sign-in page or opened by the QR code: the code is only used by the POST (a link
    preview or a phone's QR scanner opening the page must not spend it)."""
    return render_template("auth/join.html", code=request.args.get("kode", "")[:40], error=None)


@blueprint.route("/gabung", methods=["POST"])
@access("public")
def join() -> str | Response | tuple[str, int]:
    """A right code always signs in, whatever others on the same address typed (a code carries 60
    random bits: guessing is hopeless, docs/security.md); wrong codes are counted per address and
    per typed code, and past either limit answered 429."""
    typed = request.form.get("code", "")[:40]
    try:
        signed_in = onboarding.redeem_code(typed, request.headers.get("User-Agent", ""))
    except onboarding.CodeRefused as refused:
        if not sign_ins.wrong_code_within_limits(typed, request.remote_addr or ""):
            message = _("Too many wrong join codes in a short time. Wait a minute, then try again.")
            return render_template("auth/join.html", code=typed, error=message), 429
        return render_template("auth/join.html", code=typed, error=refused.message), 400
    _fresh_session()
    login_user(signed_in.user)
    session["password_required"] = signed_in.must_set_password
    session["code_sign_in"] = True
    return redirect(url_for("auth.own_password"))


def _fresh_session() -> None:
    """A fresh session at sign-in and sign-out (no session fixation); the chosen language stays."""
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale


@blueprint.route("/kata-sandi", methods=["GET", "POST"])
@access("signed-in")
@login_required
def own_password() -> str | Response | tuple[str, int]:
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            accounts.change_own_password(
                current_user._get_current_object(),
                request.form.get("current", ""),
                request.form.get("password", ""),
                request.form.get("confirmation", ""),
                from_code=bool(session.get("code_sign_in")),
            )
        except ValidationFailed as invalid:
            errors = invalid.errors
        else:
            session.pop("password_required", None)
            session.pop("code_sign_in", None)
            flash(_("Your password is set. Next time, sign in with your username and this password."), "success")
            return redirect(url_for("events.index"))
    return render_template(
        "auth/own_password.html",
        errors=errors,
        required=session.get("password_required", False),
        after_code=session.get("code_sign_in", False),
    ), (422 if errors else 200)


# While a person who came in with a join code has not set the password the organiser requires,
# every page leads to the password form (static files, signing out and the language switch excepted).
PASSWORD_FREE_ENDPOINTS = {
    "auth.own_password",
    "auth.logout",
    "auth.login",
    "auth.join",
    "auth.join_form",
    "auth.switch_language",
    "static",
    "health.healthz",
}


def require_own_password() -> Response | None:
    if not session.get("password_required") or request.endpoint in PASSWORD_FREE_ENDPOINTS:
        return None
    if not current_user.is_authenticated:  # the code's sign-in ended (event over, deactivated)
        session.pop("password_required", None)
        return None
    if request.headers.get("HX-Request"):
        return Response(status=401, headers={"HX-Redirect": url_for("auth.own_password")})
    return redirect(url_for("auth.own_password"))
