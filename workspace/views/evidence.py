"""Evidence files (bukti dukung) of a quarter's realisation (issue 18, item 3)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask_babel import gettext as _
from flask_login import login_required

from workspace.core.access import access
from workspace.core.errors import NotFound
from workspace.views.realisation import item_of

blueprint = Blueprint("evidence", __name__)


@blueprint.route("/usulan/butir/<int:item_id>/realisasi/<int:quarter>/bukti")
@access("event", load=item_of)
@login_required
def index(item_id: int, quarter: int, item: Any) -> Any:
    raise NotFound(_("The page or data you are looking for does not exist."))
