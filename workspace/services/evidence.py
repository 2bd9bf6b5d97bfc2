"""Evidence files (bukti dukung) of a quarter's realisation (issue 18, item 3).

Whoever reports an item's realisation (`can_report_realisation`: the participants of the agencies
working on the proposal), in the event's monitoring phase, adds PDF, JPG and PNG files to an item's
quarter — at most `MAX_FILES`, each within SINERGI_EVIDENCE_MAX_BYTES, judged by their content
(`evidence_files.py`) — and removes them. Kept in the database, bytes and thumbnail, so every
backup has them. A verified quarter is closed to its evidence as to its values; a returned one is
reopened by the change, as by a corrected value (services/realisation.apply_value).

Each change goes the way of a realisation value: the proposal's revision bumped, a line in its
history (`q2_evidence`: the file's name added or removed), a `RealisationChanged` published after
the commit, so the realisation page's row (its count of files) updates live.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from workspace.core.changes import QuarterReviewed, RealisationChanged
from workspace.core.errors import NotFound, PermissionDenied, ValidationFailed
from workspace.core.permissions import can_report_realisation
from workspace.core.uow import UnitOfWork, write_transaction
from workspace.extensions import db
from workspace.models import EventPhase, Evidence, ProposalItem, QuarterReview, ReviewStatus, User
from workspace.queries.evidence import MAX_FILES, count_of, same_file
from workspace.services.changes import bump_revision, record_revision
from workspace.services.editing import item_label
from workspace.services.evidence_files import CheckedFile, check_file

QUARTER_NAMES = ("I", "II", "III", "IV")


def history_field(quarter: int) -> str:
    """The field's name in the proposal's history: `q2_evidence`."""
    return f"q{quarter}_evidence"


def add_evidence(actor: User, item_id: int, quarter: int, filename: str, content: bytes) -> Evidence:
    """Add a file to the evidence of the item's quarter; ValidationFailed names what is wrong
    (nothing is stored then), PermissionDenied if `actor` does not report this realisation."""
    _check_quarter(quarter)
    item = _item_to_report(actor, item_id)
    _check_open(item, quarter)  # before the file's check: no work for a closed quarter
    checked = check_file(filename, content, current_app.config["SINERGI_EVIDENCE_MAX_BYTES"])
    with write_transaction() as unit:
        revision = bump_revision(item.proposal_id)  # first: serialises the proposal's writers
        review = _check_open(item, quarter)  # again, under the lock: what decides
        evidence = _new_evidence(actor, item, quarter, checked)
        _record(unit, actor, item, quarter, revision, old_value="", new_value=evidence.filename)
        _reopen(unit, actor, item, review, revision)
    return evidence


def remove_evidence(actor: User, evidence_id: int) -> None:
    """Remove a file from the evidence of its item's quarter (NotFound if it is gone already)."""
    evidence = _evidence(evidence_id)
    item = _item_to_report(actor, evidence.item_id)
    quarter = evidence.quarter
    with write_transaction() as unit:
        revision = bump_revision(item.proposal_id)
        review = _check_open(item, quarter)
        evidence = _evidence(evidence_id, fresh=True)  # someone may have removed it meanwhile
        filename = evidence.filename
        db.session.delete(evidence)
        _record(unit, actor, item, quarter, revision, old_value=filename, new_value="")
        _reopen(unit, actor, item, review, revision)


def _evidence(evidence_id: int, fresh: bool = False) -> Evidence:
    evidence = db.session.get(Evidence, evidence_id, populate_existing=fresh)
    if evidence is None:
        raise NotFound(_("The page or data you are looking for does not exist."))
    return evidence


def _check_quarter(quarter: int) -> None:
    if not 1 <= quarter <= 4:
        raise ValidationFailed({"quarter": _("A quarter is 1, 2, 3 or 4.")})


def _item_to_report(actor: User, item_id: int) -> ProposalItem:
    item = db.session.get(ProposalItem, item_id)
    if item is None:
        raise NotFound(_("The page or data you are looking for does not exist."))
    if not can_report_realisation(actor, item.proposal):
        raise PermissionDenied(_("Only the people of the agencies working on this proposal report its realisation."))
    if item.proposal.event.phase is not EventPhase.MONITORING:  # not about who, but when: the form says so
        raise ValidationFailed({"": _("Realisation is reported in the event's monitoring phase.")})
    return item


def _review(proposal_id: int, quarter: int) -> QuarterReview | None:
    return db.session.scalar(
        sa.select(QuarterReview)
        .where(QuarterReview.proposal_id == proposal_id, QuarterReview.quarter == quarter)
        .execution_options(populate_existing=True)
    )


def _check_open(item: ProposalItem, quarter: int) -> QuarterReview | None:
    """Refuse a verified quarter (ValidationFailed); the quarter's review otherwise, if any."""
    review = _review(item.proposal_id, quarter)
    if review is not None and review.status is ReviewStatus.VERIFIED:
        raise ValidationFailed(
            {
                "": _(
                    "The realisation of quarter %(quarter)s is verified; ask the reviewer to return it to change it.",
                    quarter=QUARTER_NAMES[quarter - 1],
                )
            }
        )
    return review


def _new_evidence(actor: User, item: ProposalItem, quarter: int, checked: CheckedFile) -> Evidence:
    """The new row, after the quarter's limit and a duplicate are ruled out (under the lock)."""
    if count_of(item.id, quarter) >= MAX_FILES:
        message = _("An item's quarter has at most %(max)d evidence files: remove one to add another.", max=MAX_FILES)
        raise ValidationFailed({"file": message})
    twin = same_file(item.id, quarter, checked.sha256)
    if twin is not None:
        raise ValidationFailed(
            {"file": _("This file is already among the evidence of this quarter, as %(name)s.", name=twin.filename)}
        )
    evidence = Evidence(
        item_id=item.id,
        quarter=quarter,
        filename=checked.filename,
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        content=checked.content,
        thumbnail=checked.thumbnail,
        uploaded_by_id=actor.id,
    )
    db.session.add(evidence)
    db.session.flush()
    return evidence


def _record(
    unit: UnitOfWork, actor: User, item: ProposalItem, quarter: int, revision: int, old_value: str, new_value: str
) -> None:
    """The history line and the change the realisation page's rows listen to."""
    line = record_revision(
        actor,
        item.proposal_id,
        revision,
        item.id,
        item_label(item),
        "realisation",
        field=history_field(quarter),
        old_value=old_value,
        new_value=new_value,
    )
    stamp = (item.proposal_id, item.proposal.event_id, revision, actor.id)
    unit.record(RealisationChanged(*stamp, revision_ids=(line.id,), item_id=item.id, quarter=quarter, field="evidence"))


def _reopen(unit: UnitOfWork, actor: User, item: ProposalItem, review: QuarterReview | None, revision: int) -> None:
    """A returned quarter is reopened for verification by a change of its evidence."""
    if review is None:
        return
    quarter = review.quarter
    db.session.delete(review)
    unit.record(QuarterReviewed(item.proposal_id, item.proposal.event_id, revision, actor.id, quarter=quarter))
