"""Bulk realisation update by spreadsheet (issue 18, item 7): upload the evaluation form, see every
change and every error with its row, apply all or nothing. Thin: services.realisation_import reads,
validates and writes; the uploaded file travels from the preview to the apply as outputs' import
carries it (base64 in the form), with the values the preview showed (`bases`)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from workspace.core.access import access, by_id
from workspace.core.errors import ValidationFailed
from workspace.core.permissions import can_report_realisation
from workspace.models import EventPhase, Proposal
from workspace.services import realisation_import as importing
from workspace.views.outputs import _encoded, _uploaded
from workspace.views.realisation import current_quarter, read_only_reason
from workspace.views.replies import is_htmx, retarget_errors

blueprint = Blueprint("realisation_import", __name__)

by_proposal = by_id(Proposal, "proposal_id", "proposal")
EVALUATION_XLSX = "monev_outputs.agency_evaluation_xlsx"


def _actor() -> Any:
    return current_user._get_current_object()


def _preview_target(**_arguments: Any) -> str:
    """A refused step answers inside the preview's place, which stays for the next try."""
    return "#realisation-import-preview"


def _quarter(proposal: Proposal) -> int:
    raw = request.args.get("tw", "")
    return int(raw) if raw in ("1", "2", "3", "4") else current_quarter(proposal)


def _page(proposal: Proposal, status: int = 200, **context: object) -> tuple[str, int]:
    template = "monitoring/_import_preview.html" if is_htmx() else "monitoring/import.html"
    return render_template(template, **_form_context(proposal), **context), status


def _form_context(proposal: Proposal) -> dict[str, Any]:
    quarter = _quarter(proposal)
    can_import = can_report_realisation(current_user, proposal) and proposal.event.phase is EventPhase.MONITORING
    exists = EVALUATION_XLSX in current_app.view_functions
    return {
        "proposal": proposal,
        "event": proposal.event,
        "quarter": quarter,
        "read_only_reason": None if can_import else read_only_reason(proposal),
        "download_url": url_for(EVALUATION_XLSX, proposal_id=proposal.id, tw=quarter) if exists else None,
    }


def _refused(proposal: Proposal, invalid: ValidationFailed) -> tuple[str, int]:
    """The preview again, saying why the file does not go through: every error, or the file's."""
    if isinstance(invalid, importing.ImportInvalid):
        return _page(proposal, invalid.status, plan=invalid.plan)
    return _page(proposal, invalid.status, error=invalid.message)


@blueprint.route("/usulan/<int:proposal_id>/realisasi/impor")
@access("realisation-reporter", load=by_proposal)
@login_required
def form(proposal_id: int, proposal: Proposal) -> tuple[str, int]:
    return render_template("monitoring/import.html", **_form_context(proposal)), 200


@blueprint.route("/usulan/<int:proposal_id>/realisasi/impor", methods=["POST"])
@retarget_errors(_preview_target)
@access("realisation-reporter", load=by_proposal)
@login_required
def preview(proposal_id: int, proposal: Proposal) -> tuple[str, int]:
    try:
        content, filename = _uploaded()
        plan = importing.plan_import(_actor(), proposal_id, content, filename)
    except ValidationFailed as invalid:
        return _refused(proposal, invalid)
    status = 200 if plan.ok else 422
    return _page(proposal, status, plan=plan, content=_encoded(content), filename=filename)


@blueprint.route("/usulan/<int:proposal_id>/realisasi/impor/terapkan", methods=["POST"])
@retarget_errors(_preview_target)
@access("realisation-reporter", load=by_proposal)
@login_required
def apply(proposal_id: int, proposal: Proposal) -> Any:
    try:
        content, filename = _uploaded()
        bases = importing.parse_bases(request.form.get("bases", ""))
        written, write = importing.apply_import(_actor(), proposal_id, content, filename, bases)
    except importing.ImportStale as stale:
        # Changed since the preview: the new preview, to check and confirm again.
        fresh = importing.plan_import(_actor(), proposal_id, content, filename)
        return _page(
            proposal, stale.status, plan=fresh, content=_encoded(content), filename=filename, error=stale.message
        )
    except ValidationFailed as invalid:
        return _refused(proposal, invalid)
    flash(_("Realisation imported: %(count)d values changed.", count=written), "success")
    target = url_for("realisation.page", proposal_id=proposal_id)
    if is_htmx():
        return "", 204, {"HX-Redirect": target, "X-Sinergi-Revision": str(write.revision)}
    return redirect(target)
