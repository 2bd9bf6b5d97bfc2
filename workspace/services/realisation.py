"""Realisation entry (issue 18, item 3): per item and quarter, the physical realisation (K) and the
budget realised (Rp), what got in the way (permasalahan) and what is done about it (solusi / tindak
lanjut); and each item's formula type. Reported in the event's monitoring phase by whoever works on
the proposal (its agency, its region's Bappeda when they co-edit).

Like a field of a proposal, a realisation changes by compare-and-set: the write says what it saw
(`base`); when someone changed the value meanwhile it is refused with theirs (409), nothing lost.
Each change is kept in `realisation_change`; the first report of a quarter is dated, for its
deadline.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask_babel import gettext as _

from workspace.core.achievement import FormulaType
from workspace.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from workspace.core.item_fields import MAX_BUDGET, clean_text
from workspace.core.numbers import digit_count
from workspace.core.permissions import can_report_realisation
from workspace.core.uow import write_transaction
from workspace.extensions import db
from workspace.formatting import parse_rupiah
from workspace.models import EventPhase, ProposalItem, Realisation, RealisationChange, User
from workspace.models.base import utcnow

FIELDS = ("physical", "budget", "problem", "solution")
TEXT_LIMIT = 2000
_DECIMAL = re.compile(r"[0-9]{1,15}(?:[.,][0-9]{1,4})?")


class RealisationConflict(Conflict):
    """Someone changed this value since the writer saw it: theirs is kept, and shown."""

    def __init__(self, current: str) -> None:
        super().__init__(_("Someone changed this value meanwhile; it is now: %(value)s", value=current or "–"))
        self.current = current


def _item_to_report(actor: User, item_id: int) -> ProposalItem:
    item = db.session.get(ProposalItem, item_id)
    if item is None:
        raise NotFound(_("The page or data you are looking for does not exist."))
    event = item.proposal.event
    if not can_report_realisation(actor, item.proposal):
        raise PermissionDenied(_("Only the people of the agencies working on this proposal report its realisation."))
    if event.phase is not EventPhase.MONITORING:  # not about who, but when: the form says so
        raise ValidationFailed({"": _("Realisation is reported in the event's monitoring phase.")})
    return item


def canonical(field: str, raw: str) -> str:
    """What the user typed as the stored text; ValidationFailed (naming the field) otherwise."""
    text = clean_text(raw)
    if field == "physical":
        if text and not _DECIMAL.fullmatch(text):
            raise ValidationFailed({field: _("Physical realisation: a number of 0 or more, e.g. 12 or 12,5.")})
        return text.replace(".", ",")
    if field == "budget":
        if digit_count(text) > 15:
            raise ValidationFailed({field: _("Budget realised: larger than Rp 100 trillion; check the digits.")})
        try:
            amount = parse_rupiah(text)
        except ValueError:
            raise ValidationFailed({field: _("Budget realised: a whole amount of rupiah, e.g. 25.000.000.")}) from None
        if amount is not None and amount > MAX_BUDGET:
            raise ValidationFailed({field: _("Budget realised: larger than Rp 100 trillion; check the digits.")})
        return "" if amount is None else str(amount)
    if field in ("problem", "solution"):
        if len(raw.strip()) > TEXT_LIMIT:
            raise ValidationFailed({field: _("At most %(max)d characters.", max=TEXT_LIMIT)})
        return raw.strip().replace("\r\n", "\n")
    raise ValidationFailed({"field": _("This field cannot be changed on this item.")})


def stored_text(realisation: Realisation | None, field: str) -> str:
    if realisation is None:
        return ""
    value = getattr(realisation, field)
    return "" if value is None else str(value)


def report(actor: User, item_id: int, quarter: int, field: str, raw: str, base: str) -> Realisation:
    """Set one value of one quarter's realisation if it still holds `base` (compare-and-set)."""
    item = _item_to_report(actor, item_id)
    if not 1 <= quarter <= 4:
        raise ValidationFailed({"quarter": _("A quarter is 1, 2, 3 or 4.")})
    if field not in FIELDS:
        raise ValidationFailed({"field": _("This field cannot be changed on this item.")})
    new = canonical(field, raw)
    with write_transaction():
        row = db.session.scalar(
            sa.select(Realisation)
            .where(Realisation.item_id == item.id, Realisation.quarter == quarter)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        current = stored_text(row, field)
        if current == new:
            db.session.rollback()
            return row if row is not None else Realisation(item_id=item.id, quarter=quarter)
        if current != base:
            raise RealisationConflict(current)
        if row is None:
            row = Realisation(item_id=item.id, quarter=quarter, physical="", problem="", solution="")
            db.session.add(row)
        setattr(row, field, (int(new) if new else None) if field == "budget" else new)
        row.updated_by_id = actor.id
        row.reported_at = row.reported_at or utcnow()
        db.session.flush()
        db.session.add(
            RealisationChange(realisation_id=row.id, user_id=actor.id, field=field, old_value=current, new_value=new)
        )
    return row


def set_formula(actor: User, item_id: int, formula: str) -> ProposalItem:
    """How the item's realisation becomes an achievement: positif, negatif, persentase, nilai akhir."""
    item = _item_to_report(actor, item_id)
    if formula not in FormulaType._value2member_map_:
        raise ValidationFailed({"formula": _("Choose how the achievement is computed.")})
    with write_transaction():
        fresh = db.session.get(ProposalItem, item.id, populate_existing=True)
        assert fresh is not None
        fresh.formula = formula
    return fresh
