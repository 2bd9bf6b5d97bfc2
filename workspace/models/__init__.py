"""The data model of the whole product (DESIGN.md section 2), one module per aggregate."""

from workspace.models.agency import Agency, AgencyKind, AgencyLevel
from workspace.models.audit import AuditEntry
from workspace.models.catalog import CatalogEntry, CatalogLevel, NationalDirection
from workspace.models.comment import Comment, CommentKind, Notification, SuggestionStatus
from workspace.models.document import DocumentSettings, MinutesDocument
from workspace.models.event import CoEditing, Event, EventPhase, event_agencies
from workspace.models.follow_up import FollowUp, FollowUpStatus
from workspace.models.idempotency import IdempotencyKey
from workspace.models.monitoring import MonitoringSettings
from workspace.models.proposal import (
    ItemLevel,
    Proposal,
    ProposalItem,
    ProposalStatus,
    ReviewVerdict,
    VerdictKind,
    item_directions,
)
from workspace.models.realisation import DeadlineReminder, Evidence, QuarterReview, Realisation, ReviewStatus
from workspace.models.revision import Revision
from workspace.models.session import (
    AgendaItem,
    Agreement,
    AgreementDecision,
    Attendance,
    Session,
    SessionKind,
    SessionStatus,
    session_members,
    session_proposals,
)
from workspace.models.user import JoinCode, LoginSession, Membership, Role, User

__all__ = [
    "Agency",
    "AgencyKind",
    "AgencyLevel",
    "AgendaItem",
    "Agreement",
    "AgreementDecision",
    "Attendance",
    "AuditEntry",
    "CatalogEntry",
    "CatalogLevel",
    "CoEditing",
    "Comment",
    "CommentKind",
    "DeadlineReminder",
    "DocumentSettings",
    "Event",
    "EventPhase",
    "Evidence",
    "FollowUp",
    "FollowUpStatus",
    "IdempotencyKey",
    "ItemLevel",
    "JoinCode",
    "LoginSession",
    "Membership",
    "MinutesDocument",
    "MonitoringSettings",
    "NationalDirection",
    "Notification",
    "Proposal",
    "ProposalItem",
    "ProposalStatus",
    "QuarterReview",
    "Realisation",
    "ReviewStatus",
    "ReviewVerdict",
    "Revision",
    "Role",
    "Session",
    "SessionKind",
    "SessionStatus",
    "SuggestionStatus",
    "User",
    "VerdictKind",
    "event_agencies",
    "item_directions",
    "session_members",
    "session_proposals",
]
