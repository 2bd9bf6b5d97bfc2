"""Follow-up actions (tindak lanjut) of agreements: recorded by the organisers and facilitators
for a proposal that has an agreement; their status reported through the year by whoever works on
the proposal (its agency, and its region's Bappeda when they co-edit) or by the organisers and
facilitators. One unit of work each, audited; a refused form names each field."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import gettext as _

from workspace.core.errors import NotFound, PermissionDenied, ValidationFailed
from workspace.core.permissions import can_keep_documents, can_report_follow_up
from workspace.core.uow import write_transaction
from workspace.extensions import db
from workspace.models import Event, FollowUp, FollowUpStatus, Proposal, User
from workspace.queries.follow_ups import standing_agreement
from workspace.services.onboarding._common import event_by_id, one_line, text_field
from workspace.services.onboarding.audit import record_audit


def _due_on(errors: dict[str, str], event: Event, raw: Any) -> date | None:
    text = one_line(raw)
    try:
        day = date.fromisoformat(text)
    except ValueError:
        errors["due_on"] = _("Enter a date as YYYY-MM-DD.")
        return None
    if not event.starts_on <= day <= date(event.plan_year + 1, 12, 31):
        errors["due_on"] = _(
            "A date from the rakor (%(start)s) to the end of the year after the plan year (%(end)s).",
            start=event.starts_on.isoformat(),
            end=date(event.plan_year + 1, 12, 31).isoformat(),
        )
    return day


def add_follow_up(actor: User, event_id: int, form: dict[str, Any]) -> FollowUp:
    event = event_by_id(event_id)
    if not can_keep_documents(actor, event):
        raise PermissionDenied(_("Only the organisers and facilitators of this event record follow-up actions."))
    errors: dict[str, str] = {}
    proposal_text = one_line(form.get("proposal"))
    proposal = (
        db.session.get(Proposal, int(proposal_text))
        if proposal_text.isascii() and proposal_text.isdigit() and len(proposal_text) < 16
        else None
    )
    agreement = standing_agreement(proposal) if proposal is not None and proposal.event_id == event.id else None
    if agreement is None:
        errors["proposal"] = _("Choose a proposal of this event that has an agreement.")
    what = text_field(errors, "what", form.get("what"), 500, required=True)
    who = text_field(errors, "who", form.get("who"), 200, required=True)
    due_on = _due_on(errors, event, form.get("due_on"))
    if errors:
        raise ValidationFailed(errors)
    assert proposal is not None and agreement is not None and due_on is not None
    with write_transaction():
        follow_up = FollowUp(
            event_id=event.id,
            proposal_id=proposal.id,
            agreement_id=agreement.id,
            what=what,
            who=who,
            due_on=due_on,
            created_by_id=actor.id,
        )
        db.session.add(follow_up)
        db.session.flush()
        record_audit(actor, event, "followup.add", f"follow_up:{follow_up.id}", f"{proposal.agency.short_name}: {what}")
    return follow_up


def update_follow_up(actor: User, follow_up_id: int, form: dict[str, Any]) -> FollowUp:
    """Its status (open, done, dropped) and how it ended: a dropped action says why."""
    follow_up = db.session.get(FollowUp, follow_up_id)
    if follow_up is None:
        raise NotFound(_("The page or data you are looking for does not exist."))
    if not can_report_follow_up(actor, follow_up):
        raise PermissionDenied(_("You do not have the right to open this page or do this."))
    errors: dict[str, str] = {}
    status_text = one_line(form.get("status"))
    if status_text not in FollowUpStatus._value2member_map_:
        errors["status"] = _("Choose a status.")
    outcome = text_field(errors, "outcome", form.get("outcome"), 1000)
    if status_text == FollowUpStatus.DROPPED.value and not outcome and "outcome" not in errors:
        errors["outcome"] = _("Say why the action was dropped.")
    if errors:
        raise ValidationFailed(errors)
    with write_transaction():
        stored = db.session.get(FollowUp, follow_up_id, populate_existing=True)
        assert stored is not None
        before = stored.status.value
        stored.status = FollowUpStatus(status_text)
        stored.outcome = outcome
        record_audit(
            actor,
            stored.proposal.event,
            "followup.update",
            f"follow_up:{stored.id}",
            f"{before} → {status_text}: {outcome}",
        )
    return stored
