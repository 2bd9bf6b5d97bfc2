"""Realisation entry (Monev, issue 18): a proposal's page per quarter, its live rows and editors,
the formula of an item, a reviewer's verification. Thin: services write, fragments render."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from workspace.core.access import access, by_id
from workspace.core.achievement import REALISATION_FIELDS
from workspace.core.errors import NotFound, ValidationFailed
from workspace.core.permissions import can_comment, can_report_realisation, can_verify_realisation
from workspace.extensions import db
from workspace.formatting import format_number, local_today
from workspace.fragments import render
from workspace.fragments.proposals import history_html
from workspace.models import EventPhase, ItemLevel, Proposal, ProposalItem
from workspace.queries.monitoring import bands_of, quarters_of
from workspace.queries.proposals import coeditors_of
from workspace.queries.realisation import quarter_row, stored_text
from workspace.services import realisation
from workspace.views.replies import is_htmx, retarget_errors, write_reply

blueprint = Blueprint("realisation", __name__)

by_proposal = by_id(Proposal, "proposal_id", "proposal")


def item_of(arguments: dict[str, Any]) -> tuple[str, Any]:
    item = db.session.get(ProposalItem, arguments["item_id"])
    if item is None:
        raise NotFound(_("The page or data you are looking for does not exist."))
    return "item", item


def current_quarter(proposal: Proposal) -> int:
    """The quarter to open first: the earliest whose deadline has not passed (the fourth after)."""
    today = local_today()
    return next((q.number for q in quarters_of(proposal.event) if today <= q.deadline), 4)


def _quarter(raw: Any, proposal: Proposal) -> int:
    try:
        number = int(raw)
    except (TypeError, ValueError):
        return current_quarter(proposal)
    return number if 1 <= number <= 4 else current_quarter(proposal)


def _fragment(fragment_id: str, proposal: Proposal) -> tuple[str, int, dict[str, str]]:
    html = render(fragment_id)
    if html is None:
        raise NotFound(_("The page or data you are looking for does not exist."))
    return str(html), 200, {"X-Sinergi-Revision": str(proposal.revision)}


def read_only_reason(proposal: Proposal) -> str:
    if proposal.event.phase is not EventPhase.MONITORING:
        return _("Realisation is reported in the event's monitoring phase.")
    agencies = ", ".join(agency.short_name for agency in coeditors_of(proposal))
    return _("Read only: the participants of %(agency)s report this realisation.", agency=agencies)


def _bands_text(proposal: Proposal) -> str:
    bands = sorted(bands_of(proposal.event), key=lambda band: band.minimum, reverse=True)
    return "; ".join(f"{band.label} ≥ {format_number(int(band.minimum))}" for band in bands if band.minimum) + (
        f"; {bands[-1].label} < {format_number(int(bands[-2].minimum))}" if len(bands) > 1 else ""
    )


def monev_links(proposal: Proposal, can_report: bool) -> list[dict[str, str]]:
    """The way to the proposal's other monitoring pages (evaluation form, import), where they exist."""
    links = []
    for endpoint, label, shown in (
        ("monev_outputs.agency_evaluation_xlsx", _("Evaluation XLSX"), True),
        ("monev_outputs.agency_evaluation_pdf", _("Evaluation PDF"), True),
        ("realisation_import.form", _("Import realisation"), can_report),
    ):
        if shown and endpoint in current_app.view_functions:
            links.append({"url": url_for(endpoint, proposal_id=proposal.id), "label": label})
    return links


@blueprint.route("/usulan/<int:proposal_id>/realisasi")
@access("event", load=by_proposal)
@login_required
def page(proposal_id: int, proposal: Proposal) -> str:
    quarter = _quarter(request.args.get("tw"), proposal)
    can_edit = can_report_realisation(current_user, proposal) and proposal.event.phase is EventPhase.MONITORING
    return render_template(
        "monitoring/realisation.html",
        event=proposal.event,
        proposal=proposal,
        quarter=quarter,
        editors=coeditors_of(proposal),
        can_edit=can_edit,
        can_verify=can_verify_realisation(current_user, proposal),
        can_comment=can_comment(current_user, proposal),
        read_only_reason=None if can_edit else read_only_reason(proposal),
        table_html=render(f"proposal-{proposal.id}-realisation-{quarter}") or Markup(""),
        history_html=history_html(proposal),
        bands_text=_bands_text(proposal),
        monev_links=monev_links(proposal, can_edit),
    )


@blueprint.route("/usulan/<int:proposal_id>/realisasi/tabel/<int:quarter>")
@access("event", load=by_proposal)
@login_required
def table(proposal_id: int, quarter: int, proposal: Proposal) -> tuple[str, int, dict[str, str]]:
    """One quarter's tab (what a catch-up fetches), with the revision it shows."""
    return _fragment(f"proposal-{proposal_id}-realisation-{quarter}", proposal)


@blueprint.route("/usulan/butir/<int:item_id>/realisasi/<int:quarter>")
@access("event", load=item_of)
@login_required
def row(item_id: int, quarter: int, item: ProposalItem) -> tuple[str, int, dict[str, str]]:
    return _fragment(f"realisation-{item_id}-{quarter}", item.proposal)


def _cell(item_id: int, quarter: int = 0, field: str = "", **_arguments: Any) -> str:
    return f"#item-{item_id}-q{quarter}_{field}" if field else f"#item-{item_id}-formula"


def _editor(item: ProposalItem, quarter: int, name: str, value: str, base: str, error: str | None = None) -> str:
    return render_template(
        "monitoring/_realisation_editor.html",
        item=item,
        quarter=quarter,
        name=name,
        value=value,
        base=base,
        error=error,
    )


def _editable(name: str, stored: str) -> str:
    return format_number(int(stored)) if name == "budget" and stored.isdigit() else stored


def _check_field(item: ProposalItem, quarter: int, name: str) -> None:
    if not 1 <= quarter <= 4:
        raise NotFound(_("The page or data you are looking for does not exist."))
    if name not in REALISATION_FIELDS or (name == "budget" and item.level is not ItemLevel.SUBKEGIATAN):
        raise ValidationFailed({"field": _("This field cannot be changed on this item.")})


@blueprint.route("/usulan/butir/<int:item_id>/realisasi/<int:quarter>/<field>", methods=["GET"])
@retarget_errors(_cell)
@access("realisation-reporter", load=item_of)
@login_required
def editor(item_id: int, quarter: int, field: str, item: ProposalItem) -> str:
    _check_field(item, quarter, field)
    stored = stored_text(quarter_row(item_id, quarter), field)
    return _editor(item, quarter, field, _editable(field, stored), stored)


@blueprint.route("/usulan/butir/<int:item_id>/realisasi/<int:quarter>/<field>", methods=["POST"])
@retarget_errors(_cell)
@access("realisation-reporter", load=item_of)
@login_required
def report(item_id: int, quarter: int, field: str, item: ProposalItem) -> Any:
    """One value of one quarter (`value`, and `base`: what the writer saw): the row, or the refusal
    in the cell — 422 naming the field, 409 with the value someone else wrote meanwhile."""
    raw, base = request.form.get("value", ""), request.form.get("base", "")
    try:
        write = realisation.report(current_user._get_current_object(), item_id, quarter, field, raw, base)
    except realisation.RealisationConflict as conflict:
        body = render_template("monitoring/_realisation_conflict.html", conflict=conflict)
        return body, 409, {"HX-Retarget": _cell(item_id, quarter, field), "HX-Reswap": "innerHTML"}
    except ValidationFailed as invalid:
        if not is_htmx() or field not in REALISATION_FIELDS:
            raise
        message = invalid.errors.get(field) or invalid.message
        return (
            _editor(item, quarter, field, raw, base, error=message),
            422,
            {"HX-Retarget": _cell(item_id, quarter, field), "HX-Reswap": "innerHTML"},
        )
    back = url_for("realisation.page", proposal_id=item.proposal_id, tw=quarter)
    return write_reply(write, f"realisation-{item_id}-{quarter}", back)


@blueprint.route("/usulan/butir/<int:item_id>/rumus", methods=["GET", "POST"])
@retarget_errors(_cell)
@access("realisation-reporter", load=item_of)
@login_required
def formula(item_id: int, item: ProposalItem) -> Any:
    """How the item's realisation becomes its achievement: positif, negatif, persentase, nilai akhir."""
    quarter = _quarter(request.args.get("tw"), item.proposal)
    if request.method == "GET":
        return render_template("monitoring/_formula_editor.html", item=item, quarter=quarter)
    chosen = request.form.get("value") or request.form.get("formula", "")
    try:
        write = realisation.set_formula(current_user._get_current_object(), item_id, chosen)
    except ValidationFailed as invalid:
        if not is_htmx():
            raise
        body = render_template(
            "monitoring/_formula_editor.html", item=item, quarter=quarter, error=invalid.errors.get("formula")
        )
        return body, 422, {"HX-Retarget": _cell(item_id), "HX-Reswap": "innerHTML"}
    back = url_for("realisation.page", proposal_id=item.proposal_id, tw=quarter)
    return write_reply(write, f"realisation-{item_id}-{quarter}", back)


@blueprint.route("/usulan/<int:proposal_id>/realisasi/<int:quarter>/verifikasi", methods=["POST"])
@access("realisation-verifier", load=by_proposal)
@login_required
def review(proposal_id: int, quarter: int, proposal: Proposal) -> Any:
    """Verify the quarter, or return it with a note (the broadcast redraws the page's parts)."""
    write = realisation.review_quarter(
        current_user._get_current_object(),
        proposal_id,
        quarter,
        request.form.get("verdict", ""),
        request.form.get("note", ""),
    )
    return write_reply(write, None, url_for("realisation.page", proposal_id=proposal_id, tw=quarter))
