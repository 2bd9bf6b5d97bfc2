"""Agreements (kesepakatan): recorded by a facilitator in a session, each freezing the proposal as
agreed (a snapshot the berita acara prints; queries/agreements compares it with the proposal now).
Re-recording in the same session supersedes the earlier agreement there; the history stays."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from workspace.core.changes import SessionPartChanged, StatusChanged
from workspace.core.errors import ValidationFailed
from workspace.core.uow import write_transaction
from workspace.extensions import db
from workspace.models import Agreement, AgreementDecision, ProposalStatus, User
from workspace.models.base import utcnow
from workspace.queries.agreements import fresh_items, proposal_snapshot
from workspace.services.changes import bump_revision
from workspace.services.facilitation import clean_text, facilitated_session, fresh_proposal, proposal_of_event

DECISION_STATUS = {
    AgreementDecision.AGREED: ProposalStatus.AGREED,
    AgreementDecision.AGREED_WITH_NOTES: ProposalStatus.AGREED_WITH_NOTES,
    AgreementDecision.NOT_AGREED: ProposalStatus.NOT_AGREED,
}


def record_agreement(actor: User, session_id: int, proposal_id: int, decision: str, note: str) -> Agreement:
    """Sepakat / sepakat dengan catatan / belum sepakat (note required for the last two). The
    agreement freezes the proposal as it stands (a snapshot); agreeing again makes a new one."""
    session = facilitated_session(actor, session_id)
    proposal = proposal_of_event(session, proposal_id)
    if not session.holds(proposal):
        raise ValidationFailed({"proposal": _("This proposal is not discussed in this session.")})
    if decision not in AgreementDecision._value2member_map_:
        raise ValidationFailed({"decision": _("Choose a decision.")})
    kind = AgreementDecision(decision)
    text = clean_text(note, 2000, "note", required=kind.requires_note)
    event_id = proposal.event_id
    with write_transaction() as unit:
        revision = bump_revision(proposal_id)
        for earlier in db.session.scalars(
            sa.select(Agreement).where(
                Agreement.session_id == session_id,
                Agreement.proposal_id == proposal_id,
                Agreement.superseded_at.is_(None),
            )
        ):
            earlier.superseded_at = utcnow()
        agreed = fresh_proposal(proposal_id)  # with the revision just bumped
        agreement = Agreement(
            session_id=session_id,
            proposal_id=proposal_id,
            decision=kind,
            note=text,
            recorded_by_id=actor.id,
            at_revision=revision,
            snapshot=proposal_snapshot(agreed, fresh_items(proposal_id)),  # the proposal as agreed
        )
        db.session.add(agreement)
        agreed.status = DECISION_STATUS[kind]
        unit.record(StatusChanged(proposal_id=proposal_id, event_id=event_id, revision=revision, actor_id=actor.id))
        unit.record(SessionPartChanged(session_id, "agreements"))
        if session.parent_id is not None:  # the plenary lists what its breakouts agreed
            unit.record(SessionPartChanged(session.parent_id, "agreements"))
    return agreement
