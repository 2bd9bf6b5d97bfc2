"""Realisation entry and its verification (issue 18, items 3 and 5).

Per item and quarter: the physical realisation of its indicator (K), the budget realised (Rp, sub
kegiatan only: a parent's is the sum of its children's), what got in the way (permasalahan) and
what is done about it (solusi / tindak lanjut); and each item's formula type. Reported in the
event's monitoring phase by whoever works on the proposal (its agency, its region's Bappeda when
they co-edit), through the same path as a proposal's fields: compare-and-set against the value the
writer saw (`base`; someone else's newer value is refused with theirs, 409, nothing lost), the
proposal's revision bumped, a line in its history, one typed change published after the commit.

The event's reviewers and the province's Bappeda verify a quarter (its values are closed then) or
return it with a note (the people who reported it are notified; their next edit reopens it).
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask_babel import gettext as _

from workspace.core.achievement import REALISATION_FIELDS, FormulaType
from workspace.core.changes import QuarterReviewed, RealisationChanged
from workspace.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from workspace.core.item_fields import MAX_BUDGET, clean_text
from workspace.core.numbers import digit_count
from workspace.core.permissions import can_report_realisation, can_verify_realisation
from workspace.core.texts import N_
from workspace.core.uow import ProposalWrite, UnitOfWork, write_transaction
from workspace.extensions import db
from workspace.formatting import parse_rupiah
from workspace.models import (
    EventPhase,
    ItemLevel,
    Proposal,
    ProposalItem,
    QuarterReview,
    Realisation,
    ReviewStatus,
    User,
)
from workspace.models.base import utcnow
from workspace.queries.realisation import has_values, reporters_of, stored_text
from workspace.services.changes import bump_revision, record_revision
from workspace.services.comments import notify, record_notified
from workspace.services.editing import item_label

FIELDS = REALISATION_FIELDS
TEXT_LIMIT = 2000
_DECIMAL = re.compile(r"[0-9]{1,15}(?:[.,][0-9]{1,4})?")


def history_field(quarter: int, name: str) -> str:
    """The field's name in the proposal's history: `q2_physical`."""
    return f"q{quarter}_{name}"


class RealisationConflict(Conflict):
    """Someone changed this value since the writer saw it: theirs is kept, and shown."""

    def __init__(self, item_id: int, quarter: int, name: str, mine: str, current: str) -> None:
        super().__init__(_("Someone changed this value meanwhile; it is now: %(value)s", value=current or "–"))
        self.item_id, self.quarter, self.name = item_id, quarter, name
        self.mine, self.current = mine, current


def _phase_is_monitoring(proposal: Proposal) -> None:
    if proposal.event.phase is not EventPhase.MONITORING:  # not about who, but when: the form says so
        raise ValidationFailed({"": _("Realisation is reported in the event's monitoring phase.")})


def _item_to_report(actor: User, item_id: int) -> ProposalItem:
    item = db.session.get(ProposalItem, item_id)
    if item is None:
        raise NotFound(_("The page or data you are looking for does not exist."))
    if not can_report_realisation(actor, item.proposal):
        raise PermissionDenied(_("Only the people of the agencies working on this proposal report its realisation."))
    _phase_is_monitoring(item.proposal)
    return item


def _check_quarter(quarter: int) -> None:
    if not 1 <= quarter <= 4:
        raise ValidationFailed({"quarter": _("A quarter is 1, 2, 3 or 4.")})


def canonical(name: str, raw: str) -> str:
    """What the user typed as the stored text; ValidationFailed (naming the field) otherwise."""
    text = clean_text(raw)
    if name == "physical":
        if text and not _DECIMAL.fullmatch(text):
            raise ValidationFailed({name: _("Physical realisation: a number of 0 or more, e.g. 12 or 12,5.")})
        return text.replace(".", ",")
    if name == "budget":
        if digit_count(text) > 15:
            raise ValidationFailed({name: _("Budget realised: larger than Rp 100 trillion; check the digits.")})
        try:
            amount = parse_rupiah(text)
        except ValueError:
            raise ValidationFailed({name: _("Budget realised: a whole amount of rupiah, e.g. 25.000.000.")}) from None
        if amount is not None and amount > MAX_BUDGET:
            raise ValidationFailed({name: _("Budget realised: larger than Rp 100 trillion; check the digits.")})
        return "" if amount is None else str(amount)
    if name in ("problem", "solution"):
        if len(raw.strip()) > TEXT_LIMIT:
            raise ValidationFailed({name: _("At most %(max)d characters.", max=TEXT_LIMIT)})
        return raw.strip().replace("\r\n", "\n")
    raise ValidationFailed({"field": _("This field cannot be changed on this item.")})


def _review(proposal_id: int, quarter: int) -> QuarterReview | None:
    return db.session.scalar(
        sa.select(QuarterReview)
        .where(QuarterReview.proposal_id == proposal_id, QuarterReview.quarter == quarter)
        .execution_options(populate_existing=True)
    )


def _verified_message(quarter: int) -> str:
    return _(
        "The realisation of quarter %(quarter)s is verified; ask the reviewer to return it to change it.",
        quarter=("I", "II", "III", "IV")[quarter - 1],
    )


def validate(item: ProposalItem, quarter: int, name: str, raw: str) -> str:
    """The canonical value of `raw` for this item's quarter; ValidationFailed naming the field."""
    _check_quarter(quarter)
    if name not in FIELDS or (name == "budget" and item.level is not ItemLevel.SUBKEGIATAN):
        raise ValidationFailed({"field": _("This field cannot be changed on this item.")})
    return canonical(name, raw)


def report(actor: User, item_id: int, quarter: int, name: str, raw: str, base: str) -> ProposalWrite:
    """Set one value of one quarter's realisation if it still holds `base` (compare-and-set)."""
    item = _item_to_report(actor, item_id)
    new = validate(item, quarter, name, raw)
    with write_transaction() as unit:
        revision = apply_value(unit, actor, item, quarter, name, new, base)
        if revision is None:  # nothing to change (perhaps someone typed the same value)
            db.session.rollback()
            return ProposalWrite(item.proposal_id, item.proposal.revision, changed=False)
    return ProposalWrite(item.proposal_id, revision, published=unit.published)


def apply_value(
    unit: UnitOfWork, actor: User, item: ProposalItem, quarter: int, name: str, new: str, base: str
) -> int | None:
    """Inside the caller's unit of work: set the value `new` (canonical, see `canonical`) if the
    stored one is still `base`; the proposal's revision after it, or None when it already held
    `new` (the caller rolls back when nothing else changed). Refuses a verified quarter
    (ValidationFailed) and a stale base (RealisationConflict); a correction of a returned quarter
    reopens it. The bulk import calls this for every value."""
    proposal_id = item.proposal_id
    revision = bump_revision(proposal_id)  # first: serialises the proposal's writers
    row = db.session.scalar(
        sa.select(Realisation)
        .where(Realisation.item_id == item.id, Realisation.quarter == quarter)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    current = stored_text(row, name)
    if current == new:
        return None  # (the caller rolls back, or goes on with other values)
    review = _review(proposal_id, quarter)
    if review is not None and review.status is ReviewStatus.VERIFIED:
        raise ValidationFailed({name: _verified_message(quarter)})
    if current != base:
        raise RealisationConflict(item.id, quarter, name, new, current)
    if row is None:
        row = Realisation(item_id=item.id, quarter=quarter, physical="", problem="", solution="")
        db.session.add(row)
    setattr(row, name, (int(new) if new else None) if name == "budget" else new)
    row.updated_by_id = actor.id
    row.reported_at = row.reported_at or utcnow()
    line = record_revision(
        actor,
        proposal_id,
        revision,
        item.id,
        item_label(item),
        "realisation",
        field=history_field(quarter, name),
        old_value=current,
        new_value=new,
    )
    stamp = (proposal_id, item.proposal.event_id, revision, actor.id)
    unit.record(RealisationChanged(*stamp, revision_ids=(line.id,), item_id=item.id, quarter=quarter, field=name))
    if review is not None:  # returned: this correction reopens the quarter for verification
        db.session.delete(review)
        unit.record(QuarterReviewed(*stamp, quarter=quarter))
    return revision


def set_formula(actor: User, item_id: int, formula: str) -> ProposalWrite:
    """How the item's realisation becomes an achievement: positif, negatif, persentase, nilai akhir."""
    item = _item_to_report(actor, item_id)
    if formula not in FormulaType._value2member_map_:
        raise ValidationFailed({"formula": _("Choose how the achievement is computed.")})
    proposal_id, event_id = item.proposal_id, item.proposal.event_id
    with write_transaction() as unit:
        revision = bump_revision(proposal_id)
        fresh = db.session.get(ProposalItem, item.id, populate_existing=True)
        if fresh is None:
            raise NotFound(_("The page or data you are looking for does not exist."))
        if fresh.formula == formula:
            db.session.rollback()
            return ProposalWrite(proposal_id, revision - 1, changed=False)
        line = record_revision(
            actor, proposal_id, revision, fresh.id, item_label(fresh), "realisation",
            field="formula", old_value=fresh.formula, new_value=formula,
        )  # fmt: skip
        fresh.formula = formula
        unit.record(
            RealisationChanged(
                proposal_id, event_id, revision, actor.id, revision_ids=(line.id,), item_id=fresh.id, field="formula"
            )
        )
    return ProposalWrite(proposal_id, revision, published=unit.published)


# ---- Verification ---------------------------------------------------------------------------


def review_quarter(actor: User, proposal_id: int, quarter: int, verdict: str, note: str) -> ProposalWrite:
    """Verify a quarter's realisation, or return it with a note saying what to correct."""
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None:
        raise NotFound(_("The page or data you are looking for does not exist."))
    if not can_verify_realisation(actor, proposal):
        raise PermissionDenied(_("Only the reviewers and the province's Bappeda verify a realisation."))
    _phase_is_monitoring(proposal)
    _check_quarter(quarter)
    if verdict not in ReviewStatus._value2member_map_:
        raise ValidationFailed({"verdict": _("Choose: verify, or return with a note.")})
    status = ReviewStatus(verdict)
    note = note.strip().replace("\r\n", "\n")
    if status is ReviewStatus.RETURNED and not note:
        raise ValidationFailed({"note": _("Say what is to be corrected: a return needs a note.")})
    if len(note) > TEXT_LIMIT:
        raise ValidationFailed({"note": _("At most %(max)d characters.", max=TEXT_LIMIT)})
    if not has_values(proposal, quarter):
        raise ValidationFailed({"verdict": _("Nothing is reported for this quarter yet.")})
    with write_transaction() as unit:
        revision = bump_revision(proposal_id)
        review = _review(proposal_id, quarter)
        before = review.status.value if review else ""
        if review is None:
            review = QuarterReview(proposal_id=proposal_id, quarter=quarter)
            db.session.add(review)
        review.status, review.note, review.reviewer_id, review.decided_at = status, note, actor.id, utcnow()
        line = record_revision(
            actor, proposal_id, revision, None, proposal.agency.short_name, "realisation",
            field=history_field(quarter, "review"), old_value=before, new_value=f"{status.value}: {note}".rstrip(": "),
        )  # fmt: skip
        unit.record(
            QuarterReviewed(
                proposal_id, proposal.event_id, revision, actor.id, revision_ids=(line.id,), quarter=quarter
            )
        )
        if status is ReviewStatus.RETURNED:
            _notify_return(unit, actor, proposal, quarter)
    return ProposalWrite(proposal_id, revision, published=unit.published)


def _notify_return(unit: UnitOfWork, actor: User, proposal: Proposal, quarter: int) -> None:
    message = N_(
        "%(name)s returned the realisation of quarter %(quarter)s of %(agency)s: please correct it",
        name=actor.display_name,
        quarter=("I", "II", "III", "IV")[quarter - 1],
        agency=proposal.agency.short_name,
    )
    record_notified(
        notify(reporters_of(proposal), proposal.event_id, "realisation-returned", message, proposal.id, None)
    )
