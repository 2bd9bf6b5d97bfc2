"""What the agencies take home: matrix, national directions, berita acara, export and import.

Thin: `@access` loads the event or proposal and refuses before the request is read; exports/
computes, services.importing validates and writes; service errors answer through the one error
handler (views/errors.py), except an import the file keeps from going through, which answers with
the import preview saying why (its row errors, or the new preview of a proposal changed meanwhile).
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from workspace.core.access import access, by_id
from workspace.core.errors import NotFound, PermissionDenied, ValidationFailed
from workspace.core.numbers import form_ids, required_form_number
from workspace.core.permissions import can_export_event, can_export_proposal, can_view_proposal, is_proposal_owner
from workspace.exports.directions import directions_overview
from workspace.exports.matrix import MatrixFilters, build_matrix, items_in_cell, row_code
from workspace.exports.matrix_xlsx import matrix_xlsx
from workspace.exports.spreadsheet import XLSX_MEDIA_TYPE, proposals_csv, proposals_xlsx
from workspace.extensions import db
from workspace.models import Event, Proposal, ProposalStatus
from workspace.queries import proposals as proposal_queries
from workspace.queries.catalog import national_directions
from workspace.services import importing
from workspace.views.helpers import download
from workspace.views.replies import is_htmx, retarget_errors

blueprint = Blueprint("outputs", __name__)

MAX_IMPORT_BYTES = 4 * 1024 * 1024

by_event = by_id(Event, "event_id", "event")


def proposal_tree(arguments: dict[str, Any]) -> tuple[str, Proposal]:
    """The route's proposal with its whole tree (an export writes every item)."""
    proposal = proposal_queries.load_proposal_tree(arguments["proposal_id"])
    if proposal is None:
        raise NotFound(_("The page or data you are looking for does not exist."))
    return "proposal", proposal


def visible_proposal(arguments: dict[str, Any]) -> tuple[str, Proposal]:
    """The route's proposal; someone who may not even see it is refused (403) before the rule's
    own reason, as every output of an event refuses outsiders."""
    proposal = db.session.get(Proposal, arguments["proposal_id"])
    if proposal is None:
        raise NotFound(_("The page or data you are looking for does not exist."))
    if not can_view_proposal(current_user, proposal):
        raise PermissionDenied(_("You do not have the right to open this page or do this."))
    return "proposal", proposal


def _actor() -> Any:
    return current_user._get_current_object()


@blueprint.route("/rakor/<int:event_id>/keluaran")
@access("event", load=by_event)
@login_required
def index(event_id: int, event: Event) -> str:
    proposals = proposal_queries.list_proposals(event, proposal_queries.ProposalFilters())
    return render_template(
        "outputs/index.html",
        event=event,
        can_export_event=can_export_event(current_user, event),
        exportable=[p for p in proposals if can_export_proposal(current_user, p)],
        own=[p for p in proposals if is_proposal_owner(current_user, p)],
        sessions=list(event.sessions),
    )


@blueprint.route("/rakor/<int:event_id>/matriks")
@access("event", load=by_event)
@login_required
def matrix(event_id: int, event: Event) -> str:
    filters = MatrixFilters.from_args(request.args)
    template = "outputs/_matrix.html" if is_htmx() else "outputs/matrix.html"
    return render_template(
        template,
        event=event,
        matrix=build_matrix(event, filters),
        filters=filters,
        programs=proposal_queries.program_choices(),
        directions=national_directions(),
        statuses=list(ProposalStatus),
    )


@blueprint.route("/rakor/<int:event_id>/matriks.xlsx")
@access("event", load=by_event)
@login_required
def matrix_download(event_id: int, event: Event) -> Response:
    """The matrix as shown, with the same filters, as a spreadsheet to take home."""
    matrix = build_matrix(event, MatrixFilters.from_args(request.args))
    return download(matrix_xlsx(event, matrix), XLSX_MEDIA_TYPE, f"matriks-sinkronisasi-{event.slug}.xlsx")


@blueprint.route("/rakor/<int:event_id>/matriks/sel")
@access("event", load=by_event)
@login_required
def matrix_cell(event_id: int, event: Event) -> str:
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
@access("event", load=by_event)
@login_required
def directions(event_id: int, event: Event) -> str:
    template = "outputs/_directions.html" if is_htmx() else "outputs/directions.html"
    return render_template(template, event=event, overview=directions_overview(event))


def _spreadsheet(event: Event, proposals: list[Proposal], stem: str, kind: str) -> Response:
    if kind == "xlsx":
        return download(proposals_xlsx(event, proposals), XLSX_MEDIA_TYPE, f"{stem}.xlsx")
    return download(proposals_csv(proposals), "text/csv; charset=utf-8", f"{stem}.csv")


@blueprint.route("/rakor/<int:event_id>/ekspor.<any(xlsx, csv):kind>")
@access("exporter", load=by_event)
@login_required
def export_event(event_id: int, kind: str, event: Event) -> Response:
    return _spreadsheet(event, proposal_queries.load_event_trees(event), f"renja-{event.slug}", kind)


@blueprint.route("/usulan/<int:proposal_id>/ekspor.<any(xlsx, csv):kind>")
@access("proposal-exporter", load=proposal_tree)
@login_required
def export_proposal(proposal_id: int, kind: str, proposal: Proposal) -> Response:
    stem = "renja-" + re.sub(r"[^a-z0-9]+", "-", proposal.agency.short_name.lower()).strip("-")
    return _spreadsheet(proposal.event, [proposal], f"{stem}-{proposal.plan_year}", kind)


# ---- Import ----------------------------------------------------------------------------------


def _import_target(**_arguments: Any) -> str:
    """A refusal of an import step answers inside the preview's place, which stays for the next try."""
    return "#import-preview"


def _import_page(proposal: Proposal, status: int = 200, **context: object) -> tuple[str, int]:
    template = "outputs/_import_preview.html" if is_htmx() else "outputs/import.html"
    return render_template(template, proposal=proposal, event=proposal.event, **context), status


def _refused_import(proposal: Proposal, invalid: ValidationFailed) -> tuple[str, int]:
    """The preview again, saying why the file does not go through: every row error, or the file's."""
    if isinstance(invalid, importing.ImportInvalid):
        return _import_page(proposal, invalid.status, plan=invalid.plan)
    return _import_page(proposal, invalid.status, error=invalid.message)


def _encoded(content: bytes) -> str:
    return base64.b64encode(content).decode("ascii")


@blueprint.route("/usulan/<int:proposal_id>/impor")
@access("proposal-editor", load=visible_proposal)
@login_required
def import_form(proposal_id: int, proposal: Proposal) -> tuple[str, int]:
    return render_template("outputs/import.html", proposal=proposal, event=proposal.event), 200


def _too_large() -> ValidationFailed:
    return ValidationFailed({"file": _("The file is larger than %(size)s MB.", size=MAX_IMPORT_BYTES // 1024 // 1024)})


def _uploaded() -> tuple[bytes, str]:
    """The file of a preview (an upload), or of an apply (the previewed file, sent back)."""
    if "content" in request.form:
        encoded = request.form["content"]
        if len(encoded) > (MAX_IMPORT_BYTES * 4) // 3 + 4:
            raise _too_large()
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
        raise _too_large()
    return content, upload.filename


@blueprint.route("/usulan/<int:proposal_id>/impor", methods=["POST"])
@retarget_errors(_import_target)
@access("proposal-editor", load=visible_proposal)
@login_required
def import_preview(proposal_id: int, proposal: Proposal) -> tuple[str, int]:
    delete_missing = bool(request.form.get("delete_missing"))
    try:
        content, filename = _uploaded()
        plan = importing.plan_import(_actor(), proposal_id, content, filename, delete_missing=delete_missing)
    except ValidationFailed as invalid:
        return _refused_import(proposal, invalid)
    status = 200 if plan.ok else 422
    return _import_page(proposal, status, plan=plan, content=_encoded(content), filename=filename)


@blueprint.route("/usulan/<int:proposal_id>/impor/terapkan", methods=["POST"])
@retarget_errors(_import_target)
@access("proposal-editor", load=visible_proposal)
@login_required
def import_apply(proposal_id: int, proposal: Proposal) -> Any:
    revision = required_form_number(request.form.get("revision"))
    delete_missing = bool(request.form.get("delete_missing"))
    keep_names = frozenset(form_ids(request.form.getlist("keep_name")))  # the rows whose own name is kept
    try:
        content, filename = _uploaded()
        counts, write = importing.apply_import(
            _actor(),
            proposal_id,
            content,
            filename,
            expected_revision=revision,
            delete_missing=delete_missing,
            keep_names=keep_names,
        )
    except importing.ImportStale as stale:
        # Changed since the preview: the new preview, to check and confirm again.
        fresh_plan = importing.plan_import(
            _actor(), proposal_id, content, filename, delete_missing=delete_missing, keep_names=keep_names
        )
        return _import_page(
            proposal, stale.status, plan=fresh_plan, content=_encoded(content), filename=filename, error=stale.message
        )
    except ValidationFailed as invalid:
        return _refused_import(proposal, invalid)
    flash(
        _(
            "Import applied: %(created)d items added, %(updated)d items changed, %(deleted)d removed.",
            created=counts.created,
            updated=counts.updated,
            deleted=counts.deleted,
        ),
        "success",
    )
    target = url_for("proposals.detail", proposal_id=proposal_id)
    if is_htmx():
        return "", 204, {"HX-Redirect": target, "X-Sinergi-Revision": str(write.revision)}
    return redirect(target)
