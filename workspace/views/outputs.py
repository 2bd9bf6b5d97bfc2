"""What the agencies take home: matrix, national directions, berita acara, export and import.

Thin: parse the request, check the permission, call exports/ or services.importing, render.
"""

from __future__ import annotations

import base64
import binascii
import re

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from workspace.core.permissions import can_export_event, can_export_proposal, can_view_proposal, is_proposal_owner
from workspace.exports.directions import directions_overview
from workspace.exports.matrix import MatrixFilters, build_matrix, items_in_cell, row_code
from workspace.exports.minutes import build_minutes, minutes_pdf
from workspace.exports.spreadsheet import XLSX_MEDIA_TYPE, proposals_csv, proposals_xlsx
from workspace.extensions import db
from workspace.models import Event, NationalDirection, Proposal, ProposalStatus, Session
from workspace.queries import proposals as proposal_service
from workspace.services import importing
from workspace.services.editing import require_edit
from workspace.services.errors import NotFound, PermissionDenied, ServiceError, ValidationFailed
from workspace.views.access import access
from workspace.views.editing import is_htmx
from workspace.views.helpers import download, event_for_viewer, get_or_404, proposal_for_viewer, require

blueprint = Blueprint("outputs", __name__)

MAX_IMPORT_BYTES = 4 * 1024 * 1024


def _directions() -> list[NationalDirection]:
    return list(db.session.scalars(db.select(NationalDirection).order_by(NationalDirection.number)))


@blueprint.route("/rakor/<int:event_id>/keluaran")
@access("event")
@login_required
def index(event_id: int) -> str:
    event = event_for_viewer(event_id)
    proposals = proposal_service.list_proposals(event, proposal_service.ProposalFilters())
    return render_template(
        "outputs/index.html",
        event=event,
        can_export_event=can_export_event(current_user, event),
        exportable=[p for p in proposals if can_export_proposal(current_user, p)],
        own=[p for p in proposals if is_proposal_owner(current_user, p)],
        sessions=[s for s in event.sessions],
    )


@blueprint.route("/rakor/<int:event_id>/matriks")
@access("event")
@login_required
def matrix(event_id: int) -> str:
    event = event_for_viewer(event_id)
    filters = MatrixFilters.from_args(request.args)
    template = "outputs/_matrix.html" if is_htmx() else "outputs/matrix.html"
    return render_template(
        template,
        event=event,
        matrix=build_matrix(event, filters),
        filters=filters,
        programs=proposal_service.program_choices(),
        directions=_directions(),
        statuses=list(ProposalStatus),
    )


@blueprint.route("/rakor/<int:event_id>/matriks/sel")
@access("event")
@login_required
def matrix_cell(event_id: int) -> str:
    event = event_for_viewer(event_id)
    filters = MatrixFilters.from_args(request.args)
    row_key = request.args.get("baris", "")[:600]
    region_code = request.args.get("wilayah", "")[:10]
    regions = {a.region_code: a.region_name for a in event.agencies}
    if not row_key or not region_code:
        abort(400)
    if region_code not in regions:
        abort(404)
    items = items_in_cell(event, row_key, region_code, filters)
    template = "outputs/_cell_items.html" if is_htmx() else "outputs/cell_items.html"
    return render_template(
        template,
        event=event,
        items=items,
        row_key=row_key,
        row_label=row_code(row_key) if not row_key.startswith("~") else row_key.lstrip("~"),
        region_name=regions[region_code],
        filters=filters,
    )


@blueprint.route("/rakor/<int:event_id>/amanat-presiden")
@access("event")
@login_required
def directions(event_id: int) -> str:
    event = event_for_viewer(event_id)
    template = "outputs/_directions.html" if is_htmx() else "outputs/directions.html"
    return render_template(template, event=event, overview=directions_overview(event))


def _minutes_session(event: Event) -> Session | None:
    raw = request.args.get("sesi", "")
    if not raw:
        return None
    if not re.fullmatch(r"[0-9]{1,12}", raw):
        abort(404)
    session = get_or_404(Session, int(raw))
    if session.event_id != event.id:
        abort(404)
    return session


@blueprint.route("/rakor/<int:event_id>/berita-acara")
@access("event")
@login_required
def minutes(event_id: int) -> str:
    event = event_for_viewer(event_id)
    session = _minutes_session(event)
    return render_template(
        "outputs/minutes.html", event=event, minutes=build_minutes(event, session), sessions=event.sessions
    )


@blueprint.route("/rakor/<int:event_id>/berita-acara.pdf")
@access("event")
@login_required
def minutes_download(event_id: int) -> Response:
    event = event_for_viewer(event_id)
    document = build_minutes(event, _minutes_session(event))
    return download(minutes_pdf(document), "application/pdf", document.filename)


def _spreadsheet(event: Event, proposals: list[Proposal], stem: str, kind: str) -> Response:
    if kind == "xlsx":
        return download(proposals_xlsx(event, proposals), XLSX_MEDIA_TYPE, f"{stem}.xlsx")
    return download(proposals_csv(proposals), "text/csv; charset=utf-8", f"{stem}.csv")


@blueprint.route("/rakor/<int:event_id>/ekspor.<any(xlsx, csv):kind>")
@access("exporter")
@login_required
def export_event(event_id: int, kind: str) -> Response:
    event = event_for_viewer(event_id)
    require(can_export_event(current_user, event))
    return _spreadsheet(event, proposal_service.load_event_trees(event), f"renja-{event.slug}", kind)


@blueprint.route("/usulan/<int:proposal_id>/ekspor.<any(xlsx, csv):kind>")
@access("proposal-exporter")
@login_required
def export_proposal(proposal_id: int, kind: str) -> Response:
    proposal = proposal_service.load_proposal_tree(proposal_id)
    if proposal is None:
        abort(404)
    require(can_view_proposal(current_user, proposal))
    require(can_export_proposal(current_user, proposal))
    stem = "renja-" + re.sub(r"[^a-z0-9]+", "-", proposal.agency.short_name.lower()).strip("-")
    return _spreadsheet(proposal.event, [proposal], f"{stem}-{proposal.plan_year}", kind)


# ---- Import ----------------------------------------------------------------------------------


def _import_page(proposal: Proposal, **context: object) -> tuple[str, int]:
    status = int(context.pop("status", 200))  # type: ignore[call-overload]
    template = "outputs/_import_preview.html" if is_htmx() else "outputs/import.html"
    return render_template(template, proposal=proposal, event=proposal.event, **context), status


@blueprint.route("/usulan/<int:proposal_id>/impor")
@access("proposal-editor")
@login_required
def import_form(proposal_id: int) -> tuple[str, int]:
    proposal = proposal_for_viewer(proposal_id)
    require(is_proposal_owner(current_user, proposal))
    return render_template("outputs/import.html", proposal=proposal, event=proposal.event), 200


def _uploaded() -> tuple[bytes, str]:
    """The file of a preview (an upload), or of an apply (the previewed file, sent back)."""
    if "content" in request.form:
        encoded = request.form["content"]
        if len(encoded) > (MAX_IMPORT_BYTES * 4) // 3 + 4:
            raise ValidationFailed(
                {"file": _("The file is larger than %(size)s MB.", size=MAX_IMPORT_BYTES // 1024 // 1024)}
            )
        try:
            content = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise ValidationFailed({"file": _("The previewed file was damaged; choose the file again.")}) from None
        return content, request.form.get("filename", "import.xlsx")[:200]
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ValidationFailed({"file": _("Choose an XLSX or CSV file exported from Sinergi.")})
    content = upload.read(MAX_IMPORT_BYTES + 1)
    if len(content) > MAX_IMPORT_BYTES:
        raise ValidationFailed(
            {"file": _("The file is larger than %(size)s MB.", size=MAX_IMPORT_BYTES // 1024 // 1024)}
        )
    return content, upload.filename


def _import_failure(proposal: Proposal, error: ServiceError) -> tuple[str, int]:
    status = {PermissionDenied: 403, NotFound: 404}.get(type(error), 422)
    if isinstance(error, importing.ImportInvalid):
        return _import_page(proposal, plan=error.plan, status=422)
    return _import_page(proposal, error=error.message, status=status)


@blueprint.route("/usulan/<int:proposal_id>/impor", methods=["POST"])
@access("proposal-editor")
@login_required
def import_preview(proposal_id: int) -> tuple[str, int]:
    proposal = proposal_for_viewer(proposal_id)
    try:
        require_edit(current_user, proposal)  # refused before the upload is read
        content, filename = _uploaded()
        plan = importing.plan_import(
            current_user, proposal_id, content, filename, delete_missing=bool(request.form.get("delete_missing"))
        )
    except ServiceError as error:
        return _import_failure(proposal, error)
    return _import_page(
        proposal,
        plan=plan,
        content=base64.b64encode(content).decode("ascii"),
        filename=filename,
        status=200 if plan.ok else 422,
    )


@blueprint.route("/usulan/<int:proposal_id>/impor/terapkan", methods=["POST"])
@access("proposal-editor")
@login_required
def import_apply(proposal_id: int) -> object:
    proposal = proposal_for_viewer(proposal_id)
    try:
        require_edit(current_user, proposal)
    except ServiceError as error:
        return _import_failure(proposal, error)
    revision = request.form.get("revision", "")
    if not re.fullmatch(r"[0-9]{1,12}", revision):
        abort(400)
    try:
        content, filename = _uploaded()
        plan, result = importing.apply_import(
            current_user,
            proposal_id,
            content,
            filename,
            expected_revision=int(revision),
            delete_missing=bool(request.form.get("delete_missing")),
        )
    except importing.ImportStale as stale:
        fresh_plan = importing.plan_import(
            current_user, proposal_id, content, filename, delete_missing=bool(request.form.get("delete_missing"))
        )
        return _import_page(
            proposal,
            plan=fresh_plan,
            content=base64.b64encode(content).decode("ascii"),
            filename=filename,
            error=stale.message,
            status=409,
        )
    except ServiceError as error:
        return _import_failure(proposal, error)
    flash(
        _(
            "Import applied: %(created)d items added, %(updated)d items changed, %(deleted)d removed.",
            created=len(plan.created),
            updated=len(plan.updated),
            deleted=len(plan.deleted),
        ),
        "success",
    )
    target = url_for("proposals.detail", proposal_id=proposal_id)
    if is_htmx():
        return "", 204, {"HX-Redirect": target, "X-Sinergi-Revision": str(result.revision)}
    return redirect(target)
