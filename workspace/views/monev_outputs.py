"""The Renja evaluation form's files (Monev, issue 18): an agency's XLSX and PDF, the event's XLSX
(exports/renja_evaluation.py, exports/evaluation_pdf.py). Thin: the quarter from `?tw=` (1–4 or
I–IV; by default the latest quarter that has ended), the figures from queries/realisation.

Who: an agency's files, whoever exports its proposal (`proposal-exporter`); the event's, whoever
exports the event (`exporter`).
"""

from __future__ import annotations

import re
from datetime import date

import sqlalchemy as sa
from flask import Blueprint, Response, request
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy.orm import joinedload

from workspace.core.access import access, by_id
from workspace.core.errors import ValidationFailed
from workspace.exports import renja_evaluation
from workspace.exports.evaluation_columns import QUARTER_NAMES
from workspace.exports.evaluation_pdf import evaluation_pdf
from workspace.exports.spreadsheet import XLSX_MEDIA_TYPE
from workspace.extensions import db
from workspace.formatting import local_today
from workspace.models import Agency, Event, Proposal
from workspace.queries.documents import document_settings
from workspace.queries.monitoring import bands_of, quarters_of
from workspace.queries.realisation import progress_of_proposals, proposal_progress
from workspace.views.helpers import download

blueprint = Blueprint("monev_outputs", __name__)

by_event = by_id(Event, "event_id", "event")
by_proposal = by_id(Proposal, "proposal_id", "proposal")


def default_quarter(event: Event, today: date | None = None) -> int:
    """The quarter an evaluation reports to unless asked: the latest that has ended (its report
    is being written, or is in); triwulan I before the first one ends."""
    today = today or local_today()
    ended = [quarter.number for quarter in quarters_of(event) if quarter.ends_on < today]
    return ended[-1] if ended else 1


def requested_quarter(event: Event) -> int:
    """`?tw=2` or `?tw=II`; none, the default; anything else is refused (422) rather than
    answered with a file of a quarter nobody asked for."""
    raw = (request.args.get("tw") or "").strip().upper()
    if not raw:
        return default_quarter(event)
    if raw in ("1", "2", "3", "4"):
        return int(raw)
    if raw in QUARTER_NAMES:
        return QUARTER_NAMES.index(raw) + 1
    raise ValidationFailed({"tw": _("The quarter must be 1, 2, 3 or 4 (triwulan I to IV).")})


def _stem(proposal: Proposal, quarter: int) -> str:
    agency = re.sub(r"[^a-z0-9]+", "-", proposal.agency.short_name.lower()).strip("-")
    return f"evaluasi-renja-{agency}-{proposal.plan_year}-tw{quarter}"


@blueprint.route("/usulan/<int:proposal_id>/evaluasi.xlsx")
@access("proposal-exporter", load=by_proposal)
@login_required
def agency_evaluation_xlsx(proposal_id: int, proposal: Proposal) -> Response:
    quarter = requested_quarter(proposal.event)
    content = renja_evaluation.agency_evaluation_xlsx(proposal_progress(proposal), quarter)
    return download(content, XLSX_MEDIA_TYPE, f"{_stem(proposal, quarter)}.xlsx")


@blueprint.route("/usulan/<int:proposal_id>/evaluasi.pdf")
@access("proposal-exporter", load=by_proposal)
@login_required
def agency_evaluation_pdf(proposal_id: int, proposal: Proposal) -> Response:
    quarter = requested_quarter(proposal.event)
    settings = document_settings(proposal.event)
    content = evaluation_pdf(proposal_progress(proposal), quarter, settings, local_today())
    return download(content, "application/pdf", f"{_stem(proposal, quarter)}.pdf")


@blueprint.route("/rakor/<int:event_id>/evaluasi.xlsx")
@access("exporter", load=by_event)
@login_required
def event_evaluation_xlsx(event_id: int, event: Event) -> Response:
    quarter = requested_quarter(event)
    proposals = list(
        db.session.scalars(
            sa.select(Proposal)
            .join(Agency, Agency.id == Proposal.agency_id)
            .where(Proposal.event_id == event.id)
            .order_by(Agency.region_code, Agency.kind, Agency.name)  # as the Renja export
            .options(joinedload(Proposal.agency))
        )
    )
    figures = progress_of_proposals(proposals, quarters_of(event), bands_of(event), local_today())
    content = renja_evaluation.event_evaluation_xlsx(event, [figures[p.id] for p in proposals], quarter)
    return download(content, XLSX_MEDIA_TYPE, f"evaluasi-renja-{event.slug}-tw{quarter}.xlsx")
