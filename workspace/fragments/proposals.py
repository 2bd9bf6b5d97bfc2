"""Renderers of a proposal's fragments: rows, tree, totals, labels, discussion, history."""

from __future__ import annotations

from flask import render_template
from markupsafe import Markup

from workspace.extensions import db
from workspace.fragments.cache import proposal_fragment
from workspace.fragments.registry import Memo, fragment
from workspace.models import Comment, Proposal, ProposalItem, Revision
from workspace.queries.comments import load_threads, open_thread_counts, review_state, threads_of
from workspace.queries.proposals import load_proposal_tree, recent_revisions

Counts = dict[tuple[int | None, str | None], int]


def _proposal(memo: Memo, proposal_id: int) -> Proposal | None:
    return memo.get(("proposal", proposal_id), lambda: db.session.get(Proposal, proposal_id))


def _counts(memo: Memo, proposal_id: int) -> Counts:
    return memo.get(("counts", proposal_id), lambda: open_thread_counts(proposal_id))


@fragment("item-{item_id}")
def item_row(memo: Memo, item_id: int) -> str | None:
    item = db.session.get(ProposalItem, item_id)
    if item is None:
        return None
    return render_template(
        "proposals/_item_row.html", item=item, proposal=item.proposal, counts=_counts(memo, item.proposal_id)
    )


def tree_html(proposal: Proposal, memo: Memo | None = None) -> Markup:
    """The whole tree of this revision, rendered at most once per language (cached)."""
    memo = memo or Memo()

    def render() -> str:
        # Only now is the whole tree loaded (300 items and their tags): a hit needs the row alone.
        tree = load_proposal_tree(proposal.id) or proposal
        return render_template("proposals/_tree.html", proposal=tree, counts=_counts(memo, proposal.id))

    return proposal_fragment("tree", proposal, render)


def threads_html(proposal: Proposal) -> Markup:
    return proposal_fragment(
        "threads",
        proposal,
        lambda: render_template("comments/_threads.html", proposal=proposal, threads=threads_of(proposal.id)),
    )


def history_html(proposal: Proposal) -> Markup:
    return proposal_fragment(
        "history",
        proposal,
        lambda: render_template("proposals/_history.html", proposal=proposal, revisions=recent_revisions(proposal.id)),
    )


@fragment("proposal-{proposal_id}-tree")
def tree(memo: Memo, proposal_id: int) -> str | None:
    proposal = _proposal(memo, proposal_id)
    return None if proposal is None else tree_html(proposal, memo)


@fragment("proposal-{proposal_id}-threads")
def threads(memo: Memo, proposal_id: int) -> str | None:
    proposal = _proposal(memo, proposal_id)
    return None if proposal is None else threads_html(proposal)


@fragment("proposal-{proposal_id}-history")
def history(memo: Memo, proposal_id: int) -> str | None:
    proposal = _proposal(memo, proposal_id)
    return None if proposal is None else history_html(proposal)


@fragment("proposal-{proposal_id}-totals")
def totals(memo: Memo, proposal_id: int) -> str | None:
    proposal = _proposal(memo, proposal_id)
    return None if proposal is None else render_template("proposals/_tree_totals.html", proposal=proposal)


@fragment("proposal-{proposal_id}-revision")
def revision_label(memo: Memo, proposal_id: int) -> str | None:
    proposal = _proposal(memo, proposal_id)
    return None if proposal is None else render_template("proposals/_revision_label.html", proposal=proposal)


@fragment("proposal-{proposal_id}-discussion-count")
def discussion_count(memo: Memo, proposal_id: int) -> str | None:
    proposal = _proposal(memo, proposal_id)
    if proposal is None:
        return None
    return render_template("comments/_discussion_count.html", proposal=proposal, counts=_counts(memo, proposal_id))


@fragment("proposal-{proposal_id}-status")
def status_badge(memo: Memo, proposal_id: int) -> str | None:
    proposal = _proposal(memo, proposal_id)
    return None if proposal is None else render_template("proposals/_status_badge.html", proposal=proposal)


@fragment("proposal-{proposal_id}-agreement")
def agreement_panel(memo: Memo, proposal_id: int) -> str | None:
    proposal = _proposal(memo, proposal_id)
    return None if proposal is None else render_template("proposals/_agreement.html", proposal=proposal)


@fragment("proposal-{proposal_id}-review")
def review_banner(memo: Memo, proposal_id: int) -> str | None:
    proposal = _proposal(memo, proposal_id)
    if proposal is None:
        return None
    return render_template("review/_review_banner.html", proposal=proposal, review=review_state(proposal))


@fragment("thread-{thread_id}")
def thread(memo: Memo, thread_id: int) -> str | None:
    found: list[Comment] = load_threads([thread_id])
    if not found:
        return None
    proposal = _proposal(memo, found[0].proposal_id)
    return render_template("comments/_thread.html", thread=found[0], proposal=proposal)


@fragment("revision-{revision_id}")
def history_entry(memo: Memo, revision_id: int) -> str | None:
    revision = db.session.get(Revision, revision_id)
    return None if revision is None else render_template("proposals/_revision.html", revision=revision)
