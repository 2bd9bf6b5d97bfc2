"""Live editing over HTTP (htmx): field editor, save with compare-and-set, tree changes, history.

Thin: parse the form, call services.editing, map its outcome to a fragment and a status code.
The socket only pushes; every write comes through here (DESIGN.md §3).
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from workspace.extensions import db
from workspace.fragments import proposal_history_html, proposal_tree_html
from workspace.models import CatalogLevel, ItemLevel, NationalDirection, ProposalItem, Revision
from workspace.permissions import can_edit_proposal
from workspace.services import editing
from workspace.services.catalog import entries_for
from workspace.services.comments import open_thread_counts
from workspace.services.errors import NotFound, PermissionDenied, ServiceError, ValidationFailed
from workspace.services.item_fields import FIELDS, field_applies
from workspace.views.access import access
from workspace.views.helpers import proposal_for_viewer

blueprint = Blueprint("editing", __name__)


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def _item_for_viewer(item_id: int) -> ProposalItem:
    item = db.session.get(ProposalItem, item_id)
    if item is None:
        abort(404)
    proposal_for_viewer(item.proposal_id)
    return item


def _message(message: str, status: int) -> tuple[str, int]:
    return render_template("proposals/_cell_message.html", message=message), status


def _done(result: editing.ChangeResult, fragment: str | None = None) -> Response | tuple[str, int, dict]:
    headers = {"X-Sinergi-Revision": str(result.revision)}
    if not is_htmx():
        return redirect(url_for("proposals.detail", proposal_id=result.proposal_id))
    return (fragment or ""), 200, headers


def _failure(error: ServiceError, proposal_id: int | None = None) -> tuple[str, int] | Response:
    status = {editing.ItemGone: 410, PermissionDenied: 403, NotFound: 404, ValidationFailed: 422}.get(type(error), 400)
    if not is_htmx():
        flash(error.message, "error")
        if proposal_id is not None:
            return redirect(url_for("proposals.detail", proposal_id=proposal_id))
        abort(status)
    return _message(error.message, status)


@blueprint.route("/usulan/<int:proposal_id>/pohon")
@access("event")
@login_required
def tree(proposal_id: int) -> str:
    """The whole tree fragment: what a client re-fetches to catch up after a gap or a reconnect."""
    proposal = proposal_for_viewer(proposal_id)
    return proposal_tree_html(proposal, lambda: open_thread_counts(proposal_id))


@blueprint.route("/usulan/<int:proposal_id>/riwayat")
@access("event")
@login_required
def history(proposal_id: int) -> str:
    proposal = proposal_for_viewer(proposal_id)
    return proposal_history_html(proposal)


@blueprint.route("/usulan/butir/<int:item_id>/baris")
@access("event")
@login_required
def item_row(item_id: int) -> tuple[str, int, dict]:
    """One row; the revision it shows travels in a header so a client can drop an outdated answer."""
    item = _item_for_viewer(item_id)
    revision = item.proposal.revision
    body = render_template(
        "proposals/_item_row.html", item=item, proposal=item.proposal, counts=open_thread_counts(item.proposal_id)
    )
    return body, 200, {"X-Sinergi-Revision": str(revision)}


@blueprint.route("/usulan/butir/<int:item_id>/ubah/<field>", methods=["GET"])
@access("proposal-editor")
@login_required
def field_editor(item_id: int, field: str) -> str | tuple[str, int]:
    item = _item_for_viewer(item_id)
    if field not in FIELDS or not field_applies(item, field):
        abort(404)
    if not can_edit_proposal(current_user, item.proposal):
        return _message(_("You cannot change this proposal."), 403)
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
@access("proposal-editor")
@login_required
def update(item_id: int, field: str) -> object:
    if field not in FIELDS:
        abort(404)
    item = db.session.get(ProposalItem, item_id)
    if item is not None:  # a deleted item: the service says who deleted it
        try:
            editing.require_edit(current_user, item.proposal)  # refused before the form is read
        except ServiceError as error:
            return _failure_in_cell(error, item_id, field)
    values = request.form.getlist("value")
    raw = ",".join(values) if field == "directions" else (values[0] if values else "")
    base = request.form.get("base")
    if base is None:
        return _message(_("The form is incomplete; reload the page and try again."), 400)
    try:
        result = editing.update_field(current_user, item_id, field, raw, base)
    except editing.EditConflict as conflict:
        return _conflict_response(conflict)
    except ValidationFailed as invalid:
        item = db.session.get(ProposalItem, item_id)
        if not is_htmx() or item is None:
            return _failure(invalid, item.proposal_id if item else None)
        return (
            render_editor(item, field, value=raw, base=base, error=invalid.errors.get(field, invalid.message)),
            422,
            {"HX-Retarget": f"#item-{item_id}-{field}", "HX-Reswap": "innerHTML"},
        )
    except ServiceError as error:
        return _failure_in_cell(error, item_id, field)
    item = db.session.get(ProposalItem, item_id)
    fragment = (
        render_template(
            "proposals/_item_row.html", item=item, proposal=item.proposal, counts=open_thread_counts(item.proposal_id)
        )
        if item
        else ""
    )
    return _done(result, fragment)


def _failure_in_cell(error: ServiceError, item_id: int, field: str) -> object:
    response = _failure(error)
    if isinstance(response, tuple):
        return response[0], response[1], {"HX-Retarget": f"#item-{item_id}-{field}", "HX-Reswap": "innerHTML"}
    return response


def _conflict_response(conflict: editing.EditConflict) -> tuple[str, int, dict]:
    spec = FIELDS[conflict.field_name]
    body = render_template(
        "proposals/_conflict.html",
        conflict=conflict,
        display=spec.display,
        mine_editable=_editable_value(conflict.field_name, conflict.mine_text),
    )
    return body, 409, {"HX-Retarget": f"#item-{conflict.item_id}-{conflict.field_name}", "HX-Reswap": "innerHTML"}


@blueprint.route("/usulan/riwayat/<int:revision_id>/pulihkan", methods=["POST"])
@access("proposal-editor")
@login_required
def restore(revision_id: int) -> object:
    revision = db.session.get(Revision, revision_id)
    if revision is None:
        abort(404)
    proposal_for_viewer(revision.proposal_id)
    try:
        result = editing.restore_revision(current_user, revision_id)
    except editing.EditConflict as conflict:
        return _conflict_response(conflict)
    except ServiceError as error:
        return _failure(error, revision.proposal_id)
    return _done(result)


@blueprint.route("/usulan/<int:proposal_id>/butir/baru")
@access("proposal-editor")
@login_required
def add_item_form(proposal_id: int) -> str | tuple[str, int]:
    proposal = proposal_for_viewer(proposal_id)
    if not can_edit_proposal(current_user, proposal):
        return _message(_("You cannot change this proposal."), 403)
    parent = None
    parent_arg = request.args.get("parent", "")
    if parent_arg:
        parent = db.session.get(ProposalItem, int(parent_arg)) if parent_arg.isdigit() else None
        if parent is None or parent.proposal_id != proposal.id:
            abort(404)
    return render_add_form(proposal, parent)


def render_add_form(
    proposal: object, parent: ProposalItem | None, errors: dict | None = None, form: dict | None = None
) -> str:
    level = parent.level.child_level if parent is not None and parent.level.child_level else ItemLevel.PROGRAM
    scope = proposal.agency.level.catalog_scope  # type: ignore[attr-defined]
    present = {item.code for item in proposal.items}  # type: ignore[attr-defined]
    catalog_level = CatalogLevel(editing.ITEM_LEVEL_TO_CATALOG[level])
    entries = [e for e in entries_for(scope, catalog_level, parent.code if parent else None) if e.code not in present]
    digit = proposal.agency.level.code_level_digit  # type: ignore[attr-defined]
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
@access("proposal-editor")
@login_required
def add_item(proposal_id: int) -> object:
    proposal = proposal_for_viewer(proposal_id)
    parent_arg = request.form.get("parent", "")
    entry_arg = request.form.get("catalog_entry", "")
    if (parent_arg and not parent_arg.isdigit()) or (entry_arg and not entry_arg.isdigit()):
        return _message(_("The form is incomplete; reload the page and try again."), 400)
    new_item = editing.NewItem(
        parent_id=int(parent_arg) if parent_arg else None,
        catalog_entry_id=int(entry_arg) if entry_arg else None,
        name=request.form.get("name", "")[:2000],
        code=request.form.get("code", "")[:200],
    )
    try:
        result = editing.add_item(current_user, proposal_id, new_item)
    except ValidationFailed as invalid:
        if not is_htmx():
            return _failure(invalid, proposal_id)
        parent = db.session.get(ProposalItem, new_item.parent_id) if new_item.parent_id else None
        return render_add_form(proposal, parent, invalid.errors, request.form.to_dict()), 422
    except ServiceError as error:
        return _failure(error, proposal_id)
    return _done(result, "")


@blueprint.route("/usulan/butir/<int:item_id>/hapus", methods=["POST"])
@access("proposal-editor")
@login_required
def delete(item_id: int) -> object:
    item = db.session.get(ProposalItem, item_id)
    proposal_id = item.proposal_id if item else None
    try:
        result = editing.delete_item(current_user, item_id)
    except ServiceError as error:
        return _failure(error, proposal_id)
    return _done(result)


@blueprint.route("/usulan/butir/<int:item_id>/pindah", methods=["POST"])
@access("proposal-editor")
@login_required
def move(item_id: int) -> object:
    item = db.session.get(ProposalItem, item_id)
    proposal_id = item.proposal_id if item else None
    try:
        result = editing.move_item(current_user, item_id, request.form.get("direction", ""))
    except ServiceError as error:
        return _failure(error, proposal_id)
    return _done(result)
