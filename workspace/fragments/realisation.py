"""Renderers of the realisation page's fragments (issue 18): one row per item and quarter tab, the
table of a tab (what a catch-up fetches), and the strip of quarters with their standing."""

from __future__ import annotations

from flask import render_template

from workspace.extensions import db
from workspace.fragments.registry import Memo, fragment
from workspace.models import Proposal, ProposalItem
from workspace.queries.realisation import ProposalProgress, proposal_progress


def progress(memo: Memo, proposal_id: int) -> ProposalProgress | None:
    """The proposal's progress, computed once per render batch (every row of a broadcast needs it)."""

    def load() -> ProposalProgress | None:
        proposal = db.session.get(Proposal, proposal_id)
        return None if proposal is None else proposal_progress(proposal)

    return memo.get(("realisation-progress", proposal_id), load)


def _valid(quarter: int) -> bool:
    return 1 <= quarter <= 4


@fragment("realisation-{item_id}-{quarter}")
def realisation_row(memo: Memo, item_id: int, quarter: int) -> str | None:
    item = db.session.get(ProposalItem, item_id)
    if item is None or not _valid(quarter):
        return None
    figures = progress(memo, item.proposal_id)
    row = figures.item(item_id) if figures else None
    if figures is None or row is None:
        return None
    return render_template(
        "monitoring/_realisation_row.html", row=row, quarter=quarter, standing=figures.standings[quarter - 1]
    )


@fragment("proposal-{proposal_id}-realisation-{quarter}")
def realisation_table(memo: Memo, proposal_id: int, quarter: int) -> str | None:
    figures = progress(memo, proposal_id)
    if figures is None or not _valid(quarter):
        return None
    return render_template("monitoring/_realisation_table.html", figures=figures, quarter=quarter)


@fragment("proposal-{proposal_id}-quarters-{quarter}")
def quarter_strip(memo: Memo, proposal_id: int, quarter: int) -> str | None:
    figures = progress(memo, proposal_id)
    if figures is None or not _valid(quarter):
        return None
    return render_template("monitoring/_quarters.html", figures=figures, quarter=quarter)
