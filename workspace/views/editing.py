"""Live editing over HTTP (htmx): field editor, save with compare-and-set, tree changes, history.

Thin: `@access` loads what the route is about and refuses before the form is read; the service
validates and writes; the reply is the fragment the publisher rendered. Service errors answer
through the one error handler (views/errors.py). The socket only pushes (DESIGN.md §3).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from workspace.core.access import access, by_id
from workspace.core.errors import NotFound, ValidationFailed
from workspace.core.item_fields import FIELDS, field_applies
from workspace.core.numbers import form_id, query_id
from workspace.extensions import db
from workspace.fragments import render
from workspace.fragments.proposals import history_html, tree_html
from workspace.models import CatalogLevel, ItemLevel, NationalDirection, Proposal, ProposalItem, Revision
from workspace.queries.catalog import entries_for
from workspace.services import editing
from workspace.views.replies import is_htmx, retarget_errors, write_reply

blueprint = Blueprint("editing", __name__)


def item_or_gone(arguments: dict[str, Any]) -> tuple[str, ProposalItem]:
    """Load the route's item; a deleted one answers 410 with who deleted it."""
    return "item", editing.item_or_gone(arguments["item_id"])


def _cell(item_id: int, field: str = "", **_arguments: Any) -> str:
    return f"#item-{item_id}-{field}" if field else f"#item-{item_id}"


def _back(proposal_id: int) -> str:
    return url_for("proposals.detail", proposal_id=proposal_id)


@blueprint.route("/usulan/<int:proposal_id>/pohon")
@access("event", load=by_id(Proposal, "proposal_id", "proposal"))
@login_required
def tree(proposal_id: int, proposal: Proposal) -> str:
    """The whole tree fragment: what a client re-fetches to catch up after a gap or a reconnect."""
    return tree_html(proposal)


@blueprint.route("/usulan/<int:proposal_id>/riwayat")
@access("event", load=by_id(Proposal, "proposal_id", "proposal"))
@login_required
def history(proposal_id: int, proposal: Proposal) -> str:
    return history_html(proposal)


@blueprint.route("/usulan/butir/<int:item_id>/baris")
@access("event", load=item_or_gone)
@login_required
def item_row(item_id: int, item: ProposalItem) -> tuple[str, int, dict[str, str]]:
    """One row; the revision it shows travels in a header so a client can drop an outdated answer."""
    revision = item.proposal.revision
    return str(render(f"item-{item_id}") or ""), 200, {"X-Sinergi-Revision": str(revision)}


@blueprint.route("/usulan/butir/<int:item_id>/ubah/<field>", methods=["GET"])
@retarget_errors(_cell)
@access("proposal-editor", load=item_or_gone)
@login_required
def field_editor(item_id: int, field: str, item: ProposalItem) -> str:
    if field not in FIELDS or not field_applies(item, field):
        raise NotFound(_("The page or data you are looking for does not exist."))
    text = FIELDS[field].to_text(item)
    return render_editor(item, field, value=_editable_value(field, text), base=text)


def _editable_value(field: str, text: str) -> str:
    return FIELDS[field].display(text).removeprefix("Rp ") if FIELDS[field].kind == "money" else text


def render_editor(item: ProposalItem, field: str, value: str, base: str, error: str | None = None) -> str:
    directions = list(db.session.scalars(sa.select(NationalDirection).order_by(NationalDirection.number)))
    return render_template(
        "proposals/_field_editor.html",
        item=item,
        field=field,
        value=value,
        base=base,
        error=error,
        directions=directions,
    )


@blueprint.route("/usulan/butir/<int:item_id>/ubah/<field>", methods=["POST"])
@retarget_errors(_cell)
@access("proposal-editor", load=item_or_gone)
@login_required
def update(item_id: int, field: str, item: ProposalItem) -> Any:
    if field not in FIELDS:
        raise NotFound(_("The page or data you are looking for does not exist."))
    values = request.form.getlist("value")
    raw = ",".join(values) if field == "directions" else (values[0] if values else "")
    base = request.form.get("base")
    if base is None:
        raise ValidationFailed({"": _("The form is incomplete; reload the page and try again.")})
    proposal_id = item.proposal_id
    try:
        write = editing.update_field(_actor(), item_id, field, raw, base)
    except editing.EditConflict as conflict:
        return _conflict_response(conflict)
    except ValidationFailed as invalid:
        fresh = db.session.get(ProposalItem, item_id)
        if not is_htmx() or fresh is None:
            raise
        return (
            render_editor(fresh, field, value=raw, base=base, error=invalid.errors.get(field, invalid.message)),
            422,
            {"HX-Retarget": f"#item-{item_id}-{field}", "HX-Reswap": "innerHTML"},
        )
    return write_reply(write, f"item-{item_id}", _back(proposal_id))


def _actor() -> Any:
    return current_user._get_current_object()


def _conflict_response(conflict: editing.EditConflict) -> tuple[str, int, dict[str, str]]:
    spec = FIELDS[conflict.field_name]
    body = render_template(
        "proposals/_conflict.html",
        conflict=conflict,
        display=spec.display,
        mine_editable=_editable_value(conflict.field_name, conflict.mine_text),
    )
    return body, 409, {"HX-Retarget": f"#item-{conflict.item_id}-{conflict.field_name}", "HX-Reswap": "innerHTML"}


@blueprint.route("/usulan/riwayat/<int:revision_id>/pulihkan", methods=["POST"])
@access("proposal-editor", load=by_id(Revision, "revision_id", "revision"))
@login_required
def restore(revision_id: int, revision: Revision) -> Any:
    try:
        write = editing.restore_revision(_actor(), revision_id)
    except editing.EditConflict as conflict:
        return _conflict_response(conflict)
    return write_reply(write, None, _back(revision.proposal_id))


@blueprint.route("/usulan/<int:proposal_id>/butir/baru")
@access("proposal-editor", load=by_id(Proposal, "proposal_id", "proposal"))
@login_required
def add_item_form(proposal_id: int, proposal: Proposal) -> str:
    parent = None
    parent_id = query_id(request.args.get("parent"))  # after @access: an observer is refused first
    if parent_id is not None:
        parent = db.session.get(ProposalItem, parent_id)
        if parent is None or parent.proposal_id != proposal.id:
            raise NotFound(_("The page or data you are looking for does not exist."))
    return render_add_form(proposal, parent)


def render_add_form(
    proposal: Proposal,
    parent: ProposalItem | None,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
) -> str:
    level = parent.level.child_level if parent is not None and parent.level.child_level else ItemLevel.PROGRAM
    scope = proposal.agency.level.catalog_scope
    present = {item.code for item in proposal.items}
    catalog_level = CatalogLevel(editing.ITEM_LEVEL_TO_CATALOG[level])
    entries = [e for e in entries_for(scope, catalog_level, parent.code if parent else None) if e.code not in present]
    digit = proposal.agency.level.code_level_digit
    example = {
        ItemLevel.PROGRAM: "8.01.07",
        ItemLevel.KEGIATAN: f"{parent.code if parent else '8.01.02'}.{digit}.02",
        ItemLevel.SUBKEGIATAN: f"{parent.code if parent else ''}.0099",
    }[level]
    return render_template(
        "proposals/_add_item_form.html",
        proposal=proposal,
        parent=parent,
        level=level,
        entries=entries,
        errors=errors or {},
        form=form or {},
        example_code=example,
    )


@blueprint.route("/usulan/<int:proposal_id>/butir", methods=["POST"])
@access("proposal-editor", load=by_id(Proposal, "proposal_id", "proposal"))
@login_required
def add_item(proposal_id: int, proposal: Proposal) -> Any:
    new_item = editing.NewItem(
        parent_id=form_id(request.form.get("parent")),
        catalog_entry_id=form_id(request.form.get("catalog_entry")),
        name=request.form.get("name", "")[:2000],
        code=request.form.get("code", "")[:200],
    )
    try:
        write = editing.add_item(_actor(), proposal_id, new_item)
    except ValidationFailed as invalid:
        if not is_htmx():
            raise
        parent = db.session.get(ProposalItem, new_item.parent_id) if new_item.parent_id else None
        return render_add_form(proposal, parent, invalid.errors, request.form.to_dict()), 422
    return write_reply(write, None, _back(proposal_id))


@blueprint.route("/usulan/butir/<int:item_id>/hapus", methods=["POST"])
@access("proposal-editor", load=item_or_gone)
@login_required
def delete(item_id: int, item: ProposalItem) -> Response | tuple[str, int, dict[str, str]]:
    proposal_id = item.proposal_id
    return write_reply(editing.delete_item(_actor(), item_id), None, _back(proposal_id))


@blueprint.route("/usulan/butir/<int:item_id>/pindah", methods=["POST"])
@access("proposal-editor", load=item_or_gone)
@login_required
def move(item_id: int, item: ProposalItem) -> Response | tuple[str, int, dict[str, str]]:
    proposal_id = item.proposal_id
    return write_reply(
        editing.move_item(_actor(), item_id, request.form.get("direction", "")), None, _back(proposal_id)
    )
