"""Who may do what: predicates on the models, shared by views, services and socket handlers.

Every predicate takes the acting user (possibly anonymous) and the object, and returns a bool.
They never raise and never touch the request, so they can be unit-tested as a matrix.
"""

from __future__ import annotations

from typing import Any

from workspace.models import AgencyKind, AgencyLevel, CoEditing, Event, Proposal, Role


def roles_of(user: Any, event: Event) -> frozenset[Role]:
    """The user's roles in the event; empty for anonymous or deactivated users."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    return user.roles_in(event)


def agency_deactivated(user: Any) -> bool:
    """The person's agency was deactivated by an organiser (Admin rakor → agencies): it no longer
    takes part, so its people read but no longer write as its participants."""
    agency = getattr(user, "agency", None) if getattr(user, "is_authenticated", False) else None
    return agency is not None and not agency.active


def working_roles(user: Any, event: Event) -> frozenset[Role]:
    """The roles the person may write with: those of `roles_of`, without the participant role while
    their agency is deactivated (roles given to the person to run the event stay)."""
    roles = roles_of(user, event)
    if Role.PARTICIPANT in roles and agency_deactivated(user):
        return roles - {Role.PARTICIPANT}
    return roles


def can_view_event(user: Any, event: Event) -> bool:
    return bool(roles_of(user, event))


def can_view_proposal(user: Any, proposal: Proposal) -> bool:
    return can_view_event(user, proposal.event)


def works_on(agency: Any, proposal: Proposal) -> bool:
    """Does this agency work on the proposal? Its own agency does; so does the Bappeda of the same
    region (province or kabupaten/kota) unless the organiser chose the agency alone for the event."""
    if agency is None:
        return False
    if agency.id == proposal.agency_id:
        return True
    return (
        proposal.event.coediting is CoEditing.REGION
        and agency.kind is AgencyKind.BAPPEDA
        and agency.region_code == proposal.agency.region_code
        and agency.level is proposal.agency.level
    )


def can_edit_proposal(user: Any, proposal: Proposal) -> bool:
    """A participant of an agency that works on the proposal (`works_on`) edits it while the event
    accepts edits and it is unlocked."""
    if Role.PARTICIPANT not in working_roles(user, proposal.event):
        return False
    return works_on(user.agency, proposal) and proposal.event.accepts_edits and not proposal.is_locked


def is_proposal_owner(user: Any, proposal: Proposal) -> bool:
    """A participant of an agency that works on the proposal, whether or not it is editable now."""
    return Role.PARTICIPANT in roles_of(user, proposal.event) and works_on(user.agency, proposal)


def can_comment(user: Any, proposal: Proposal) -> bool:
    """Everyone taking part comments; observers (the projector) and the participants of a
    deactivated agency only read."""
    return can_mention_in(user, proposal.event) and proposal.event.accepts_edits


COMMENTING_ROLES = frozenset({Role.ORGANISER, Role.FACILITATOR, Role.PARTICIPANT, Role.REVIEWER})


def can_mention_in(user: Any, event: Event) -> bool:
    """May write comments in the event at all (so may look up whom to @mention)."""
    return bool(working_roles(user, event) & COMMENTING_ROLES)


def can_check_in(user: Any, event: Event) -> bool:
    """May be recorded present in the event's sessions: anyone taking part (an observer too), not
    the participants of a deactivated agency."""
    return bool(working_roles(user, event))


def can_facilitate(user: Any, event: Event) -> bool:
    return Role.FACILITATOR in roles_of(user, event)


def can_review(user: Any, event: Event) -> bool:
    return Role.REVIEWER in roles_of(user, event)


def can_manage_event(user: Any, event: Event) -> bool:
    return Role.ORGANISER in roles_of(user, event)


def can_moderate_comments(user: Any, event: Event) -> bool:
    return can_manage_event(user, event)


def can_export_event(user: Any, event: Event) -> bool:
    """The whole event's spreadsheets: the secretariat, the facilitators and the reviewers."""
    return bool(roles_of(user, event) & {Role.ORGANISER, Role.FACILITATOR, Role.REVIEWER})


def can_export_proposal(user: Any, proposal: Proposal) -> bool:
    """One agency's spreadsheet: whoever exports the event, and the agency's own participants."""
    return can_export_event(user, proposal.event) or is_proposal_owner(user, proposal)


def can_plan_sessions(user: Any, event: Event) -> bool:
    """Sessions and their agenda: facilitators, and organisers preparing the event."""
    return can_facilitate(user, event) or can_manage_event(user, event)


def can_keep_documents(user: Any, event: Event) -> bool:
    """Finalise and correct the berita acara: the organisers and the facilitators who ran the room."""
    return can_facilitate(user, event) or can_manage_event(user, event)


def can_report_follow_up(user: Any, follow_up: Any) -> bool:
    """Say how a follow-up action stands: whoever works on its proposal, organisers, facilitators."""
    proposal = follow_up.proposal
    return can_keep_documents(user, proposal.event) or is_proposal_owner(user, proposal)


def can_report_realisation(user: Any, proposal: Proposal) -> bool:
    """Report an agreed proposal's realisation: a participant of an agency that works on it."""
    return Role.PARTICIPANT in working_roles(user, proposal.event) and works_on(user.agency, proposal)


def can_verify_realisation(user: Any, proposal: Proposal) -> bool:
    """Verify or return a quarter's realisation: the event's reviewers and the people of the
    province's Bappeda (DESIGN.md §9), never those who reported it."""
    if works_on(getattr(user, "agency", None), proposal):
        return False
    roles = working_roles(user, proposal.event)
    if Role.REVIEWER in roles:
        return True
    agency = getattr(user, "agency", None)
    return (
        Role.PARTICIPANT in roles
        and agency is not None
        and agency.kind is AgencyKind.BAPPEDA
        and agency.level is AgencyLevel.PROVINSI
    )
