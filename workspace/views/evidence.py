"""Evidence files (bukti dukung) of a quarter's realisation (issue 18, item 3): an item's quarter's
page (its files, the upload form, removal), a file's download and its thumbnail. Thin: the service
checks and writes (services/evidence.py), the queries read (queries/evidence.py).

A file is sent as an attachment, with the type its content was found to be, never shown by the
browser in the page's origin: `nosniff`, and `Content-Security-Policy: sandbox` should it be opened
anyway (a PDF's scripts, whatever it holds, run nowhere near the app).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from workspace.core.access import access
from workspace.core.errors import NotFound, ValidationFailed
from workspace.core.permissions import can_report_realisation
from workspace.extensions import db
from workspace.formatting import format_number
from workspace.models import EventPhase, Evidence, Proposal, ProposalItem
from workspace.queries.evidence import MAX_FILES, files_of, has_thumbnail, is_verified
from workspace.services import evidence as evidence_service
from workspace.services.evidence_files import megabytes
from workspace.views.realisation import item_of, read_only_reason

blueprint = Blueprint("evidence", __name__)

PAGE = "/usulan/butir/<int:item_id>/realisasi/<int:quarter>/bukti"
TYPE_LABELS = {"application/pdf": "PDF", "image/jpeg": "JPG", "image/png": "PNG"}


@dataclass(frozen=True)
class EvidenceFile:
    """A file with the proposal it backs: what the access rules look for (`proposal`)."""

    evidence: Evidence
    proposal: Proposal


def evidence_of(arguments: dict[str, Any]) -> tuple[str, Any]:
    evidence = db.session.get(Evidence, arguments["evidence_id"])
    if evidence is None:
        raise NotFound(_("The page or data you are looking for does not exist."))
    return "file", EvidenceFile(evidence, evidence.item.proposal)


def size_text(size: int) -> str:
    """`850 KB`, `1,2 MB`."""
    if size < 1024 * 1024:
        return f"{format_number(max(1, -(-size // 1024)))} KB"
    return f"{megabytes(size)} MB"


def _check_quarter(quarter: int) -> None:
    if not 1 <= quarter <= 4:
        raise NotFound(_("The page or data you are looking for does not exist."))


def _closed_reason(item: ProposalItem, quarter: int) -> str | None:
    """Why the viewer cannot change this quarter's evidence; None if they can."""
    proposal = item.proposal
    if not can_report_realisation(current_user, proposal) or proposal.event.phase is not EventPhase.MONITORING:
        return read_only_reason(proposal)
    if is_verified(proposal.id, quarter):
        return _(
            "The realisation of quarter %(quarter)s is verified; ask the reviewer to return it to change it.",
            quarter=evidence_service.QUARTER_NAMES[quarter - 1],
        )
    return None


def _page(item: ProposalItem, quarter: int, errors: dict[str, str] | None = None, status: int = 200) -> Any:
    files = files_of(item.id, quarter)
    return (
        render_template(
            "monitoring/evidence.html",
            item=item,
            event=item.proposal.event,
            proposal=item.proposal,
            quarter=quarter,
            quarter_name=evidence_service.QUARTER_NAMES[quarter - 1],
            files=files,
            thumbnails=has_thumbnail([evidence.id for evidence in files]),
            closed_reason=_closed_reason(item, quarter),
            errors=errors or {},
            max_files=MAX_FILES,
            max_size=megabytes(current_app.config["SINERGI_EVIDENCE_MAX_BYTES"]),
            size_text=size_text,
            type_labels=TYPE_LABELS,
        ),
        status,
    )


@blueprint.route(PAGE)
@access("event", load=item_of)
@login_required
def index(item_id: int, quarter: int, item: ProposalItem) -> Any:
    _check_quarter(quarter)
    return _page(item, quarter)


@blueprint.route(PAGE, methods=["POST"])
@access("realisation-reporter", load=item_of)
@login_required
def upload(item_id: int, quarter: int, item: ProposalItem) -> Any:
    """One file (`file`); the page again, with the reason (422) when it is refused."""
    _check_quarter(quarter)
    sent = request.files.get("file")
    filename = (sent.filename or "") if sent is not None else ""
    # One byte more than allowed is enough to know it is too large.
    content = sent.read(current_app.config["SINERGI_EVIDENCE_MAX_BYTES"] + 1) if sent is not None else b""
    try:
        added = evidence_service.add_evidence(current_user._get_current_object(), item_id, quarter, filename, content)
    except ValidationFailed as invalid:
        return _page(item, quarter, invalid.errors, 422)
    flash(_("Added to the evidence: %(name)s", name=added.filename), "success")
    return redirect(url_for("evidence.index", item_id=item_id, quarter=quarter), 303)


@blueprint.route("/bukti/<int:evidence_id>/hapus", methods=["POST"])
@access("realisation-reporter", load=evidence_of)
@login_required
def remove(evidence_id: int, file: EvidenceFile) -> Any:
    evidence = file.evidence
    item, quarter, filename = evidence.item, evidence.quarter, evidence.filename
    try:
        evidence_service.remove_evidence(current_user._get_current_object(), evidence_id)
    except ValidationFailed as invalid:
        return _page(item, quarter, invalid.errors, 422)
    flash(_("Removed from the evidence: %(name)s", name=filename), "success")
    return redirect(url_for("evidence.index", item_id=item.id, quarter=quarter), 303)


def _guarded(response: Response) -> Response:
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "sandbox"
    response.headers["Cache-Control"] = "private"
    return response


@blueprint.route("/bukti/<int:evidence_id>")
@access("event", load=evidence_of)
@login_required
def download(evidence_id: int, file: EvidenceFile) -> Response:
    """The file as uploaded, to save: named as stored (UTF-8, with an ASCII fallback)."""
    evidence = file.evidence
    response = send_file(
        io.BytesIO(evidence.content),
        mimetype=evidence.content_type,
        as_attachment=True,
        download_name=evidence.filename,
        conditional=False,
        etag=False,
        max_age=None,
    )
    return _guarded(response)


@blueprint.route("/bukti/<int:evidence_id>/gambar-kecil")
@access("event", load=evidence_of)
@login_required
def thumbnail(evidence_id: int, file: EvidenceFile) -> Response:
    """The file's thumbnail (a PNG the server drew, at most 160 × 160), shown in the page."""
    picture = file.evidence.thumbnail
    if picture is None:
        raise NotFound(_("The page or data you are looking for does not exist."))
    return _guarded(Response(picture, content_type="image/png"))
