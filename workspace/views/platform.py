"""The platform administrator's screen: the events of this server, a new event with its first
organiser, and the shared nomenclature. Thin: each write is one service call; the services refuse
anyone but a platform administrator (granted with `flask create-user --platform-admin`)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from workspace.core.access import access
from workspace.core.errors import PermissionDenied, ValidationFailed
from workspace.extensions import db
from workspace.models import Event, User
from workspace.services import catalog, onboarding

blueprint = Blueprint("platform", __name__)

MAX_CATALOG_BYTES = 2 * 1024 * 1024
EVENT_FIELDS = ("slug", "title", "theme", "venue", "city", "plan_year", "starts_on", "ends_on")
Page = str | tuple[str, int] | Response


def _admin() -> User:
    user: User = current_user._get_current_object()
    if not user.is_platform_admin:
        raise PermissionDenied(_("Only a platform administrator can open this page."))
    return user


def _page(status: int = 200, **context: object) -> tuple[str, int]:
    events = list(db.session.scalars(sa.select(Event).order_by(Event.starts_on.desc(), Event.id.desc())))
    context.setdefault("form", {})
    context.setdefault("errors", {})
    return render_template("platform/index.html", events=events, **context), status


@blueprint.route("/platform")
@access("platform-admin")
@login_required
def index() -> Page:
    _admin()
    return _page()


@blueprint.route("/platform/rakor", methods=["POST"])
@access("platform-admin")
@login_required
def create_event() -> Page:
    actor = _admin()
    form = {name: request.form.get(name, "") for name in (*EVENT_FIELDS, "organiser_username", "organiser_name")}
    try:
        created = onboarding.create_event(actor, form, form["organiser_username"], form["organiser_name"])
    except ValidationFailed as invalid:
        return _page(422, form=form, errors=invalid.errors)
    return _page(201, created=created)


@blueprint.route("/platform/nomenklatur", methods=["POST"])
@access("platform-admin")
@login_required
def import_catalog() -> Page:
    actor = _admin()
    upload = request.files.get("file")
    data = upload.read(MAX_CATALOG_BYTES + 1) if upload is not None and upload.filename else b""
    if not data or len(data) > MAX_CATALOG_BYTES:
        result = catalog.CatalogImportResult(errors=[catalog.RowError(0, _("Choose a CSV file of at most 2 MB."))])
        return _page(422, catalog_result=result)
    result = onboarding.audit.import_catalog(actor, data, (upload.filename if upload else "") or "")
    if not result.ok:
        return _page(422, catalog_result=result)
    flash(
        _(
            "Catalogue imported: %(created)d new, %(updated)d updated, %(unchanged)d unchanged.",
            created=result.created,
            updated=result.updated,
            unchanged=result.unchanged,
        ),
        "success",
    )
    return redirect(url_for("platform.index"))
