"""The organiser's administration screens (Admin rakor): event, agencies, people and roles, the
participant-list import, join codes and name-tag cards, sessions and agenda, catalogue, audit.

Thin: every route refuses anyone but the event's organisers first, then calls
services.onboarding (or catalog / facilitation) and renders.
"""

from __future__ import annotations

import base64
import binascii
import re

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from workspace.core.permissions import can_manage_event
from workspace.exports.name_tags import Card, cards_pdf
from workspace.extensions import db
from workspace.models import AgencyKind, AgencyLevel, CatalogEntry, Event, EventPhase, Role, User
from workspace.services import catalog, onboarding
from workspace.services.errors import ServiceError, ValidationFailed
from workspace.views.access import access
from workspace.views.helpers import download, event_for_viewer, require

blueprint = Blueprint("admin", __name__)

MAX_LIST_BYTES = 2 * 1024 * 1024


def _organised(event_id: int) -> Event:
    event = event_for_viewer(event_id)
    require(can_manage_event(current_user, event))
    return event


def _problem(error: ServiceError) -> tuple[dict[str, str], int]:
    """A service's refusal as form errors and a status: 403 for a refusal, 422 for bad input."""
    if isinstance(error, ValidationFailed):
        return error.errors, 422
    return {"": error.message}, 403


def _ids(values: list[str]) -> list[int]:
    if any(re.fullmatch(r"[0-9]{1,12}", v) is None for v in values):
        abort(400)
    return [int(v) for v in values]


# ---- Event ---------------------------------------------------------------------------------


@blueprint.route("/rakor/<int:event_id>/admin")
@access("organiser")
@login_required
def event_details(event_id: int) -> str:
    event = _organised(event_id)
    return render_template("admin/event.html", event=event, form=None, errors={}, phases=list(EventPhase))


@blueprint.route("/rakor/<int:event_id>/admin", methods=["POST"])
@access("organiser")
@login_required
def save_event(event_id: int) -> object:
    event = _organised(event_id)
    try:
        onboarding.event.update_event(current_user, event_id, request.form.to_dict())
    except ServiceError as error:
        errors, status = _problem(error)
        return render_template(
            "admin/event.html", event=event, form=request.form, errors=errors, phases=list(EventPhase)
        ), status
    flash(_("The event is saved."), "success")
    return redirect(url_for("admin.event_details", event_id=event_id))


# ---- Agencies ------------------------------------------------------------------------------


def _agencies_page(event: Event, errors: dict | None = None, form: dict | None = None, status: int = 200) -> object:
    return render_template(
        "admin/agencies.html",
        event=event,
        errors=errors or {},
        form=form or {},
        levels=list(AgencyLevel),
        kinds=list(AgencyKind),
    ), status


@blueprint.route("/rakor/<int:event_id>/admin/perangkat-daerah")
@access("organiser")
@login_required
def agencies(event_id: int) -> object:
    return _agencies_page(_organised(event_id))


@blueprint.route("/rakor/<int:event_id>/admin/perangkat-daerah", methods=["POST"])
@access("organiser")
@login_required
def add_agency(event_id: int) -> object:
    event = _organised(event_id)
    try:
        agency = onboarding.agencies.save_agency(current_user, event_id, None, request.form.to_dict())
    except ServiceError as error:
        errors, status = _problem(error)
        return _agencies_page(event, errors, request.form.to_dict(), status)
    flash(_("%(agency)s takes part in the event.", agency=agency.name), "success")
    return redirect(url_for("admin.agencies", event_id=event_id))


@blueprint.route("/rakor/<int:event_id>/admin/perangkat-daerah/<int:agency_id>", methods=["POST"])
@access("organiser")
@login_required
def edit_agency(event_id: int, agency_id: int) -> object:
    event = _organised(event_id)
    try:
        onboarding.agencies.save_agency(current_user, event_id, agency_id, request.form.to_dict())
    except ServiceError as error:
        errors, status = _problem(error)
        return _agencies_page(event, {f"{agency_id}-{k}": v for k, v in errors.items()}, None, status)
    flash(_("The agency is saved."), "success")
    return redirect(url_for("admin.agencies", event_id=event_id))


@blueprint.route("/rakor/<int:event_id>/admin/perangkat-daerah/<int:agency_id>/status", methods=["POST"])
@access("organiser")
@login_required
def agency_status(event_id: int, agency_id: int) -> object:
    event = _organised(event_id)
    try:
        onboarding.agencies.set_agency_active(current_user, event_id, agency_id, request.form.get("active") == "1")
    except ServiceError as error:
        errors, status = _problem(error)
        return _agencies_page(event, errors, None, status)
    return redirect(url_for("admin.agencies", event_id=event_id))


# ---- People ----------------------------------------------------------------------------------


def _people_page(event: Event, errors: dict | None = None, form: dict | None = None, status: int = 200) -> object:
    query = request.args.get("q", "").strip().lower()[:80]
    people = onboarding.people.people_of(current_user, event)
    if query:
        people = [
            (user, roles)
            for user, roles in people
            if query in user.name.lower()
            or query in user.username
            or (user.agency and query in user.agency.name.lower())
        ]
    return render_template(
        "admin/people.html",
        event=event,
        people=people,
        query=query,
        errors=errors or {},
        form=form or {},
        roles=list(Role),
        agencies=onboarding.agencies.active_agencies(event),
    ), status


@blueprint.route("/rakor/<int:event_id>/admin/orang")
@access("organiser")
@login_required
def people(event_id: int) -> object:
    return _people_page(_organised(event_id))


@blueprint.route("/rakor/<int:event_id>/admin/orang", methods=["POST"])
@access("organiser")
@login_required
def add_person(event_id: int) -> object:
    event = _organised(event_id)
    try:
        user = onboarding.people.save_person(
            current_user, event_id, None, request.form.to_dict(), request.form.getlist("roles")
        )
    except ServiceError as error:
        errors, status = _problem(error)
        return _people_page(event, errors, request.form.to_dict(), status)
    flash(_("%(name)s is added (username %(username)s).", name=user.name, username=user.username), "success")
    return redirect(url_for("admin.people", event_id=event_id))


@blueprint.route("/rakor/<int:event_id>/admin/orang/<int:user_id>")
@access("organiser")
@login_required
def person(event_id: int, user_id: int) -> object:
    event = _organised(event_id)
    user = db.session.get(User, user_id)
    if user is None or not user.roles_in(event):
        abort(404)
    return _person_page(event, user)


def _person_page(
    event: Event, user: User, errors: dict | None = None, form: dict | None = None, status: int = 200
) -> object:
    return render_template(
        "admin/person.html",
        event=event,
        person=user,
        person_roles=user.roles_in(event),
        has_activity=onboarding.people.has_activity(user),
        errors=errors or {},
        form=form,
        roles=list(Role),
        agencies=onboarding.agencies.active_agencies(event),
    ), status


@blueprint.route("/rakor/<int:event_id>/admin/orang/<int:user_id>", methods=["POST"])
@access("organiser")
@login_required
def save_person(event_id: int, user_id: int) -> object:
    event = _organised(event_id)
    user = db.session.get(User, user_id)
    if user is None or not user.roles_in(event):
        abort(404)
    try:
        onboarding.people.save_person(
            current_user, event_id, user_id, request.form.to_dict(), request.form.getlist("roles")
        )
    except ServiceError as error:
        errors, status = _problem(error)
        return _person_page(event, user, errors, request.form.to_dict(), status)
    flash(_("The changes are saved."), "success")
    return redirect(url_for("admin.person", event_id=event_id, user_id=user_id))


@blueprint.route("/rakor/<int:event_id>/admin/orang/<int:user_id>/status", methods=["POST"])
@access("organiser")
@login_required
def person_status(event_id: int, user_id: int) -> object:
    event = _organised(event_id)
    user = db.session.get(User, user_id)
    if user is None or not user.roles_in(event):
        abort(404)
    try:
        onboarding.people.set_person_active(current_user, event_id, user_id, request.form.get("active") == "1")
    except ServiceError as error:
        errors, status = _problem(error)
        return _person_page(event, user, errors, None, status)
    return redirect(url_for("admin.person", event_id=event_id, user_id=user_id))


# ---- Participant list import -------------------------------------------------------------


@blueprint.route("/rakor/<int:event_id>/admin/orang/impor")
@access("organiser")
@login_required
def people_import_form(event_id: int) -> object:
    return render_template("admin/people_import.html", event=_organised(event_id), plan=None, error=None)


def _list_upload() -> tuple[bytes, str]:
    if "content" in request.form:
        encoded = request.form["content"]
        if len(encoded) > MAX_LIST_BYTES * 4 // 3 + 4:
            raise ValidationFailed({"file": _("The file is larger than %(size)s MB.", size=MAX_LIST_BYTES // 2**20)})
        try:
            return base64.b64decode(encoded, validate=True), request.form.get("filename", "peserta.xlsx")[:200]
        except (binascii.Error, ValueError):
            raise ValidationFailed({"file": _("The previewed file was damaged; choose the file again.")}) from None
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ValidationFailed({"file": _("Choose the participant list (XLSX or CSV).")})
    content = upload.read(MAX_LIST_BYTES + 1)
    if len(content) > MAX_LIST_BYTES:
        raise ValidationFailed({"file": _("The file is larger than %(size)s MB.", size=MAX_LIST_BYTES // 2**20)})
    return content, upload.filename


@blueprint.route("/rakor/<int:event_id>/admin/orang/impor", methods=["POST"])
@access("organiser")
@login_required
def people_import_preview(event_id: int) -> object:
    event = _organised(event_id)
    try:
        content, filename = _list_upload()
        plan = onboarding.people_import.plan_people_import(current_user, event_id, content, filename)
    except ServiceError as error:
        return render_template("admin/people_import.html", event=event, plan=None, error=error.message), 422
    return render_template(
        "admin/people_import.html",
        event=event,
        plan=plan,
        error=None,
        content=base64.b64encode(content).decode("ascii"),
        filename=filename,
    ), (200 if plan.ok else 422)


@blueprint.route("/rakor/<int:event_id>/admin/orang/impor/terapkan", methods=["POST"])
@access("organiser")
@login_required
def people_import_apply(event_id: int) -> object:
    event = _organised(event_id)
    try:
        content, filename = _list_upload()
        plan = onboarding.people_import.apply_people_import(current_user, event_id, content, filename)
    except ServiceError as error:
        return render_template("admin/people_import.html", event=event, plan=None, error=error.message), 422
    flash(
        _(
            "The list is imported: %(created)d people added, %(updated)d updated, %(unchanged)d unchanged.",
            created=len(plan.created),
            updated=len(plan.updated),
            unchanged=plan.unchanged,
        ),
        "success",
    )
    return redirect(url_for("admin.people", event_id=event_id))


# ---- Join codes and name-tag cards ------------------------------------------------------------


@blueprint.route("/rakor/<int:event_id>/admin/kode", methods=["POST"])
@access("organiser")
@login_required
def issue_codes(event_id: int) -> object:
    """New one-time codes for the chosen people, shown on name-tag cards (print view or PDF) or on
    screen for one person at the desk. Their earlier codes stop working."""
    event = _organised(event_id)
    try:
        issued = onboarding.join_codes.issue_codes(current_user, event_id, _ids(request.form.getlist("people")))
    except ServiceError as error:
        flash(error.message, "error")
        return redirect(url_for("admin.people", event_id=event_id))
    cards = [
        Card(
            name=item.user.name,
            position=item.user.position,
            agency=item.user.agency.name if item.user.agency else "",
            username=item.user.username,
            code=item.code,
            url=url_for("auth.join_form", kode=item.code, _external=True),
        )
        for item in issued
    ]
    output = request.form.get("format", "html")
    if output == "pdf":
        return download(cards_pdf(cards, event.title), "application/pdf", f"kartu-nama-{event.slug}.pdf")
    template = "admin/code_screen.html" if output == "screen" else "admin/cards.html"
    return render_template(template, event=event, cards=cards)


# ---- Sessions and agenda ---------------------------------------------------------------------


@blueprint.route("/rakor/<int:event_id>/admin/sesi")
@access("organiser")
@login_required
def sessions(event_id: int) -> object:
    event = _organised(event_id)
    return render_template("admin/sessions.html", event=event, sessions=event.sessions)


# ---- Catalogue -----------------------------------------------------------------------------


def _catalog_page(event: Event, result: catalog.CatalogImportResult | None = None, status: int = 200) -> object:
    query = request.args.get("q", "").strip()[:80]
    statement = sa.select(CatalogEntry).order_by(CatalogEntry.code, CatalogEntry.applies_to)
    if query:
        pattern = f"%{query.lower()}%"
        statement = statement.where(
            sa.or_(sa.func.lower(CatalogEntry.name).like(pattern), CatalogEntry.code.like(f"{query}%"))
        )
    entries = list(db.session.scalars(statement.limit(500)))
    return render_template("admin/catalog.html", event=event, entries=entries, query=query, result=result), status


@blueprint.route("/rakor/<int:event_id>/admin/nomenklatur")
@access("organiser")
@login_required
def catalog_entries(event_id: int) -> object:
    return _catalog_page(_organised(event_id))


@blueprint.route("/rakor/<int:event_id>/admin/nomenklatur", methods=["POST"])
@access("organiser")
@login_required
def import_catalog(event_id: int) -> object:
    event = _organised(event_id)
    upload = request.files.get("file")
    data = upload.read(MAX_LIST_BYTES + 1) if upload is not None and upload.filename else b""
    if not data or len(data) > MAX_LIST_BYTES:
        result = catalog.CatalogImportResult(errors=[catalog.RowError(0, _("Choose a CSV file of at most 2 MB."))])
        return _catalog_page(event, result, 422)
    result = catalog.import_catalog(data, event_id=event.id)
    if result.ok:
        onboarding.audit.record_catalog_import(current_user, event, upload.filename or "", result)
        flash(
            _(
                "Catalogue imported: %(created)d new, %(updated)d updated, %(unchanged)d unchanged.",
                created=result.created,
                updated=result.updated,
                unchanged=result.unchanged,
            ),
            "success",
        )
        return redirect(url_for("admin.catalog_entries", event_id=event_id))
    return _catalog_page(event, result, 422)


# ---- Audit ---------------------------------------------------------------------------------


@blueprint.route("/rakor/<int:event_id>/admin/jejak")
@access("organiser")
@login_required
def audit(event_id: int) -> object:
    event = _organised(event_id)
    return render_template("admin/audit.html", event=event, entries=onboarding.audit.audit_log(current_user, event))
