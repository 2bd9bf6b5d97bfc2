"""The review phase: the organisers move the event through its phases; after the meeting the
reviewers give their verdicts on each proposal.

Same write path as the rest: validate → permit → one short unit of work that records typed changes
(the event's phase, a proposal's review, whose unread counts moved) → commit → the publisher tells
every open page of the event, or of the proposal.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from workspace.core.changes import PhaseChanged, ReviewChanged
from workspace.core.errors import NotFound, PermissionDenied, ValidationFailed
from workspace.core.permissions import can_manage_event, can_review, can_view_proposal
from workspace.core.texts import N_
from workspace.core.uow import ProposalWrite, write_transaction
from workspace.extensions import db
from workspace.models import (
    AuditEntry,
    Event,
    EventPhase,
    Membership,
    Proposal,
    ReviewVerdict,
    Role,
    User,
    VerdictKind,
)
from workspace.queries.proposals import coeditors_of
from workspace.services.changes import bump_revision
from workspace.services.comments import MAX_COMMENT_LENGTH, notify, record_notified, strip_controls
from workspace.services.editing import fresh


def parse_phase(raw: str) -> EventPhase:
    if raw not in EventPhase._value2member_map_:
        raise ValidationFailed({"phase": _("Choose a phase.")})
    return EventPhase(raw)


def set_phase(actor: User, event: Event, phase: EventPhase) -> None:
    """Move the event to another phase: what may be edited, and by whom, changes with it, so every
    open page of the event and of its proposals hears of it."""
    if not can_manage_event(actor, event):
        raise PermissionDenied(_("Only the organisers can change the event phase."))
    if event.phase is phase:
        return
    with write_transaction() as unit:
        current = fresh(Event, event.id)
        if current is None:
            raise NotFound(_("The page or data you are looking for does not exist."))
        old = current.phase
        if old is phase:  # someone else moved it there meanwhile
            return
        current.phase = phase
        db.session.add(
            AuditEntry(
                event_id=current.id,
                actor_id=actor.id,
                action="event.phase",
                target=f"event:{current.id}",
                detail=f"{old.value} → {phase.value}",
            )
        )
        unit.record(PhaseChanged(event_id=current.id))


def _proposal_for_verdict(actor: User, proposal_id: int) -> Proposal:
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None or not can_view_proposal(actor, proposal):
        raise NotFound(_("The page or data you are looking for does not exist."))
    if not can_review(actor, proposal.event):
        raise PermissionDenied(_("Only reviewers can give a verdict."))
    if proposal.event.phase is not EventPhase.REVIEW:
        raise PermissionDenied(_("Verdicts are given in the review phase, after the meeting."))
    return proposal


def _verdict_and_note(verdict: str, note: str) -> tuple[VerdictKind, str]:
    if verdict not in VerdictKind._value2member_map_:
        raise ValidationFailed({"verdict": _("Choose a verdict.")})
    kind = VerdictKind(verdict)
    text = strip_controls(note)
    if kind is VerdictKind.NEEDS_REVISION and not text:
        raise ValidationFailed({"note": _("Say what must be improved.")})
    if len(text) > MAX_COMMENT_LENGTH:
        raise ValidationFailed({"note": _("At most %(max)d characters.", max=MAX_COMMENT_LENGTH)})
    return kind, text


def _agency_participants(proposal: Proposal) -> list[User]:
    """The participants of every agency that works on the proposal (its own, and its region's
    Bappeda when the event lets them co-edit): whom a verdict concerns."""
    agency_ids = [agency.id for agency in coeditors_of(proposal)]
    return list(
        db.session.scalars(
            sa.select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(
                Membership.event_id == proposal.event_id,
                Membership.role == Role.PARTICIPANT,
                User.agency_id.in_(agency_ids),
            )
        )
    )


def give_verdict(actor: User, proposal_id: int, verdict: str, note: str) -> ProposalWrite:
    """A reviewer's verdict: disetujui, or perlu perbaikan with a note. The agency is notified.

    A verdict does not move the proposal's status (the meeting's agreement does): the review banner
    changes, and the status badge travels with it (see `ReviewChanged` in realtime/publish.py).
    """
    proposal = _proposal_for_verdict(actor, proposal_id)
    kind, text = _verdict_and_note(verdict, note)
    label = N_("approved") if kind is VerdictKind.APPROVED else N_("needs revision")
    message = N_(
        "%(name)s: %(verdict)s for %(agency)s",
        name=actor.display_name,
        verdict=label,
        agency=proposal.agency.short_name,
    )
    with write_transaction() as unit:
        revision = bump_revision(proposal_id)
        event = fresh(Event, proposal.event_id)
        if event is None or event.phase is not EventPhase.REVIEW:  # the phase moved on meanwhile
            raise PermissionDenied(_("Verdicts are given in the review phase, after the meeting."))
        db.session.add(
            ReviewVerdict(proposal_id=proposal_id, reviewer_id=actor.id, verdict=kind, note=text, at_revision=revision)
        )
        notified = notify(_agency_participants(proposal), proposal.event_id, "verdict", message, proposal_id, None)
        unit.record(
            ReviewChanged(proposal_id=proposal_id, event_id=proposal.event_id, revision=revision, actor_id=actor.id)
        )
        record_notified(notified)
    return ProposalWrite(proposal_id=proposal_id, revision=revision, published=unit.published)
