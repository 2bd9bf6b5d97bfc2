"""The organiser's administration screens (Admin rakor): event, agencies, people and roles, the
participant-list import, join codes and name-tag cards, sessions and agenda, catalogue, audit.

Thin: `@access("organiser", load=…)` loads the event and refuses anyone but its organisers before
the form is read; each write is one call to services.onboarding (or catalog), one unit of work.
Service errors answer through the one error handler (views/errors.py), except refused input of a
form, which renders that form again with the reason beside each field (422).
"""

from __future__ import annotations

import base64
import binascii
import re

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from workspace.core.access import access, by_id
from workspace.core.errors import NotFound, ServiceError, ValidationFailed
from workspace.core.numbers import query_id
from workspace.exports.name_tags import Card, cards_pdf
from workspace.extensions import db
from workspace.models import AgencyKind, AgencyLevel, CatalogEntry, Event, EventPhase, Role, User
from workspace.services import onboarding
from workspace.views.helpers import PublicAddress, download, public_address

blueprint = Blueprint("admin", __name__)

MAX_LIST_BYTES = 2 * 1024 * 1024

Page = str | tuple[str, int] | Response
by_event = by_id(Event, "event_id", "event")


def _actor() -> User:
    return current_user._get_current_object()


def _person_of(event: Event, user_id: int) -> User:
    """A person of the event (404 for anyone else)."""
    user = db.session.get(User, user_id)
    if user is None or not user.roles_in(event):
        raise NotFound(_("The page or data you are looking for does not exist."))
    return user


def _ids(values: list[str]) -> list[int]:
    if any(re.fullmatch(r"[0-9]{1,12}", v) is None for v in values):
        raise ValidationFailed({"people": _("The form is incomplete; reload the page and try again.")})
    return [int(v) for v in values]


# ---- Event ---------------------------------------------------------------------------------


def _event_page(event: Event, invalid: ValidationFailed | None = None) -> tuple[str, int]:
    """The event form: as stored, or as sent with the reasons it was refused."""
    page = render_template(
        "admin/event.html",
        event=event,
        form=request.form if invalid else None,
        errors=invalid.errors if invalid else {},
        phases=list(EventPhase),
        address=public_address(event),
    )
    return page, 422 if invalid else 200


@blueprint.route("/rakor/<int:event_id>/admin")
@access("organiser", load=by_event)
@login_required
def event_details(event_id: int, event: Event) -> Page:
    return _event_page(event)


@blueprint.route("/rakor/<int:event_id>/admin", methods=["POST"])
@access("organiser", load=by_event)
@login_required
def save_event(event_id: int, event: Event) -> Page:
    try:
        onboarding.event.update_event(_actor(), event_id, request.form.to_dict())
    except ValidationFailed as invalid:
        return _event_page(event, invalid)
    flash(_("The event is saved."), "success")
    return redirect(url_for("admin.event_details", event_id=event_id))


# ---- Agencies ------------------------------------------------------------------------------


def _agencies_page(
    event: Event, errors: dict[str, str] | None = None, form: dict[str, str] | None = None, status: int = 200
) -> tuple[str, int]:
    return render_template(
        "admin/agencies.html",
        event=event,
        errors=errors or {},
        form=form or {},
        levels=list(AgencyLevel),
        kinds=list(AgencyKind),
    ), status


@blueprint.route("/rakor/<int:event_id>/admin/perangkat-daerah")
@access("organiser", load=by_event)
@login_required
def agencies(event_id: int, event: Event) -> Page:
    return _agencies_page(event)


@blueprint.route("/rakor/<int:event_id>/admin/perangkat-daerah", methods=["POST"])
@access("organiser", load=by_event)
@login_required
def add_agency(event_id: int, event: Event) -> Page:
    try:
        agency = onboarding.agencies.save_agency(_actor(), event_id, None, request.form.to_dict())
    except ValidationFailed as invalid:
        return _agencies_page(event, invalid.errors, request.form.to_dict(), 422)
    flash(_("%(agency)s takes part in the event.", agency=agency.name), "success")
    return redirect(url_for("admin.agencies", event_id=event_id))


@blueprint.route("/rakor/<int:event_id>/admin/perangkat-daerah/<int:agency_id>", methods=["POST"])
@access("organiser", load=by_event)
@login_required
def edit_agency(event_id: int, agency_id: int, event: Event) -> Page:
    try:
        onboarding.agencies.save_agency(_actor(), event_id, agency_id, request.form.to_dict())
    except ValidationFailed as invalid:
        return _agencies_page(event, {f"{agency_id}-{k}": v for k, v in invalid.errors.items()}, None, 422)
    flash(_("The agency is saved."), "success")
    return redirect(url_for("admin.agencies", event_id=event_id))


@blueprint.route("/rakor/<int:event_id>/admin/perangkat-daerah/<int:agency_id>/status", methods=["POST"])
@access("organiser", load=by_event)
@login_required
def agency_status(event_id: int, agency_id: int, event: Event) -> Page:
    onboarding.agencies.set_agency_active(_actor(), event_id, agency_id, request.form.get("active") == "1")
    return redirect(url_for("admin.agencies", event_id=event_id))


# ---- People ----------------------------------------------------------------------------------


def _matches(query: str, user: User) -> bool:
    return (
        query in user.name.lower() or query in user.username or bool(user.agency and query in user.agency.name.lower())
    )


def _people_page(
    event: Event, errors: dict[str, str] | None = None, form: dict[str, str] | None = None, status: int = 200
) -> tuple[str, int]:
    query = request.args.get("q", "").strip().lower()[:80]
    agency_id = query_id(request.args.get("agency"))
    without_password = request.args.get("tanpa_sandi") == "1"
    everyone = onboarding.people.people_of(_actor(), event)
    people = [
        (user, roles)
        for user, roles in everyone
        if (not query or _matches(query, user))
        and (agency_id is None or user.agency_id == agency_id)
        and (not without_password or not user.password_hash)
    ]
    return render_template(
        "admin/people.html",
        event=event,
        people=people,
        everyone_count=len(everyone),
        query=query,
        agency_id=agency_id,
        without_password=without_password,
        address=public_address(event),
        errors=errors or {},
        form=form or {},
        roles=list(Role),
        agencies=onboarding.agencies.active_agencies(event),
    ), status


@blueprint.route("/rakor/<int:event_id>/admin/orang")
@access("organiser", load=by_event)
@login_required
def people(event_id: int, event: Event) -> Page:
    return _people_page(event)


@blueprint.route("/rakor/<int:event_id>/admin/orang", methods=["POST"])
@access("organiser", load=by_event)
@login_required
def add_person(event_id: int, event: Event) -> Page:
    try:
        user = onboarding.people.save_person(
            _actor(), event_id, None, request.form.to_dict(), request.form.getlist("roles")
        )
    except ValidationFailed as invalid:
        return _people_page(event, invalid.errors, request.form.to_dict(), 422)
    flash(_("%(name)s is added (username %(username)s).", name=user.name, username=user.username), "success")
    return redirect(url_for("admin.people", event_id=event_id))


def _person_page(
    event: Event,
    user: User,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    status: int = 200,
) -> tuple[str, int]:
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


@blueprint.route("/rakor/<int:event_id>/admin/orang/<int:user_id>")
@access("organiser", load=by_event)
@login_required
def person(event_id: int, user_id: int, event: Event) -> Page:
    return _person_page(event, _person_of(event, user_id))


@blueprint.route("/rakor/<int:event_id>/admin/orang/<int:user_id>", methods=["POST"])
@access("organiser", load=by_event)
@login_required
def save_person(event_id: int, user_id: int, event: Event) -> Page:
    user = _person_of(event, user_id)
    try:
        onboarding.people.save_person(
            _actor(), event_id, user_id, request.form.to_dict(), request.form.getlist("roles")
        )
    except ValidationFailed as invalid:
        return _person_page(event, user, invalid.errors, request.form.to_dict(), 422)
    flash(_("The changes are saved."), "success")
    return redirect(url_for("admin.person", event_id=event_id, user_id=user_id))


@blueprint.route("/rakor/<int:event_id>/admin/orang/<int:user_id>/status", methods=["POST"])
@access("organiser", load=by_event)
@login_required
def person_status(event_id: int, user_id: int, event: Event) -> Page:
    _person_of(event, user_id)
    onboarding.people.set_person_active(_actor(), event_id, user_id, request.form.get("active") == "1")
    return redirect(url_for("admin.person", event_id=event_id, user_id=user_id))


# ---- Participant list import -------------------------------------------------------------


def _import_page(event: Event, error: str, status: int = 422) -> tuple[str, int]:
    return render_template("admin/people_import.html", event=event, plan=None, error=error), status


@blueprint.route("/rakor/<int:event_id>/admin/orang/impor")
@access("organiser", load=by_event)
@login_required
def people_import_form(event_id: int, event: Event) -> Page:
    return render_template("admin/people_import.html", event=event, plan=None, error=None)


def _too_large() -> ValidationFailed:
    return ValidationFailed({"file": _("The file is larger than %(size)s MB.", size=MAX_LIST_BYTES // 2**20)})


def _list_upload() -> tuple[bytes, str]:
    """The participant list: the file chosen, or (applying a preview) the one the preview carried."""
    if "content" in request.form:
        encoded = request.form["content"]
        if len(encoded) > MAX_LIST_BYTES * 4 // 3 + 4:
            raise _too_large()
        try:
            return base64.b64decode(encoded, validate=True), request.form.get("filename", "peserta.xlsx")[:200]
        except (binascii.Error, ValueError):
            raise ValidationFailed({"file": _("The previewed file was damaged; choose the file again.")}) from None
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ValidationFailed({"file": _("Choose the participant list (XLSX or CSV).")})
    content = upload.read(MAX_LIST_BYTES + 1)
    if len(content) > MAX_LIST_BYTES:
        raise _too_large()
    return content, upload.filename


@blueprint.route("/rakor/<int:event_id>/admin/orang/impor", methods=["POST"])
@access("organiser", load=by_event)
@login_required
def people_import_preview(event_id: int, event: Event) -> Page:
    try:
        content, filename = _list_upload()
        plan = onboarding.people_import.plan_people_import(_actor(), event_id, content, filename)
    except ValidationFailed as invalid:
        return _import_page(event, invalid.message)
    return render_template(
        "admin/people_import.html",
        event=event,
        plan=plan,
        error=None,
        content=base64.b64encode(content).decode("ascii"),
        filename=filename,
    ), (200 if plan.ok else 422)


@blueprint.route("/rakor/<int:event_id>/admin/orang/impor/terapkan", methods=["POST"])
@access("organiser", load=by_event)
@login_required
def people_import_apply(event_id: int, event: Event) -> Page:
    try:
        content, filename = _list_upload()
        plan = onboarding.people_import.apply_people_import(_actor(), event_id, content, filename)
    except ValidationFailed as invalid:
        return _import_page(event, invalid.message)
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


def _card(item: onboarding.IssuedCode, address: PublicAddress) -> Card:
    user = item.user
    return Card(
        name=user.name,
        position=user.position,
        agency=user.agency.name if user.agency else "",
        username=user.username,
        code=item.code,
        url=address.url(url_for("auth.join_form", kode=item.code)),
    )


@blueprint.route("/rakor/<int:event_id>/admin/kode", methods=["POST"])
@access("organiser", load=by_event)
@login_required
def issue_codes(event_id: int, event: Event) -> Page:
    """New one-time codes for the chosen people, shown on name-tag cards (print view or PDF) or on
    screen for one person at the desk. Their earlier codes stop working."""
    try:
        issued = onboarding.join_codes.issue_codes(_actor(), event_id, _ids(request.form.getlist("people")))
    except ServiceError as error:
        # No cards to show: the answer is the list of people, with the reason (from either page).
        flash(error.message, "error")
        return redirect(url_for("admin.people", event_id=event_id))
    address = public_address(event)
    cards = [_card(item, address) for item in issued]
    output = request.form.get("format", "html")
    if output == "pdf":
        return download(cards_pdf(cards, event.title), "application/pdf", f"kartu-nama-{event.slug}.pdf")
    template = "admin/code_screen.html" if output == "screen" else "admin/cards.html"
    return render_template(template, event=event, cards=cards, address=address)


# ---- Sessions and agenda ---------------------------------------------------------------------


@blueprint.route("/rakor/<int:event_id>/admin/sesi")
@access("organiser", load=by_event)
@login_required
def sessions(event_id: int, event: Event) -> Page:
    """The list; sessions and their agenda are planned in views/sessions.py (facilitators too)."""
    return render_template("admin/sessions.html", event=event, sessions=event.sessions)


# ---- Catalogue -----------------------------------------------------------------------------


def _catalog_page(event: Event) -> Page:
    query = request.args.get("q", "").strip()[:80]
    statement = sa.select(CatalogEntry).order_by(CatalogEntry.code, CatalogEntry.applies_to)
    if query:
        pattern = f"%{query.lower()}%"
        statement = statement.where(
            sa.or_(sa.func.lower(CatalogEntry.name).like(pattern), CatalogEntry.code.like(f"{query}%"))
        )
    entries = list(db.session.scalars(statement.limit(500)))
    return render_template("admin/catalog.html", event=event, entries=entries, query=query)


@blueprint.route("/rakor/<int:event_id>/admin/nomenklatur")
@access("organiser", load=by_event)
@login_required
def catalog_entries(event_id: int, event: Event) -> Page:
    return _catalog_page(event)


# ---- Audit ---------------------------------------------------------------------------------


@blueprint.route("/rakor/<int:event_id>/admin/jejak")
@access("organiser", load=by_event)
@login_required
def audit(event_id: int, event: Event) -> Page:
    return render_template("admin/audit.html", event=event, entries=onboarding.audit.audit_log(_actor(), event))
