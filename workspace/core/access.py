"""Who may use a route or socket event: declared with `@access(rule)`, enforced with `load=`.

`@access(rule, load=by_id(Model, "model_id", "model"))` loads the object the route is about, 404
when it does not exist, and enforces the rule on it before the view runs, so before any form is
read. The view receives the loaded object as a keyword argument. Without `load=` the rule is only
declared (socket handlers refuse in their own acks); `tests/test_access.py` checks every route and
socket event against every actor either way, and a route without a declaration fails there.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import current_app
from flask_babel import gettext as _
from flask_login import current_user

from workspace.core import permissions
from workspace.core.errors import NotFound, PermissionDenied
from workspace.extensions import db
from workspace.models import Comment, Event, Proposal, Role

# Who may, in words; the test's table of actors per rule mirrors this one.
ACCESS_RULES: dict[str, str] = {
    "public": "anyone, signed in or not",
    "signed-in": "any signed-in person",
    "event": "anyone with a role in the event (organiser, facilitator, participant, reviewer, observer)",
    "commenter": (
        "organisers, facilitators, participants and reviewers of the event "
        "(not observers, nor the participants of a deactivated agency)"
    ),
    "comment-author": "the author of the comment",
    "proposal-editor": "participants of the proposal's agency, while the proposal is editable",
    "organiser": "the event's organisers",
    "facilitator": "the event's facilitators",
    "session-planner": "the event's facilitators and organisers (sessions and their agenda)",
    "document-keeper": "the event's organisers and facilitators (finalising and correcting its berita acara)",
    "follow-up-reporter": "whoever works on the follow-up's proposal, and the event's organisers and facilitators",
    "realisation-reporter": "participants of the agencies working on the proposal (in the monitoring phase)",
    "realisation-verifier": "the event's reviewers and the province's Bappeda, not those who reported it",
    "reviewer": "the event's reviewers (verdicts: in the review phase)",
    "review-desk": "the event's reviewers and organisers",
    "exporter": "organisers, facilitators and reviewers of the event",
    "proposal-exporter": "organisers, facilitators and reviewers, and the participants of the proposal's agency",
    "platform-admin": "platform administrators (new events, the shared nomenclature)",
}

ViewT = TypeVar("ViewT", bound=Callable[..., Any])
Loader = Callable[[dict[str, Any]], tuple[str, Any]]


def _parent(subject: Any, links: tuple[str, ...]) -> Any:
    for link in links:
        parent = getattr(subject, link, None)
        if parent is not None:
            return parent
    if getattr(subject, "proposal_id", None) is not None:  # a history entry names its proposal by id
        return db.session.get(Proposal, subject.proposal_id)
    raise TypeError(f"{type(subject).__name__} belongs to no event")


def event_of(subject: Any) -> Event:
    """The event an object belongs to (an event, proposal, item, session, comment, revision…)."""
    while not isinstance(subject, Event):
        subject = _parent(subject, ("event", "proposal", "session"))
    return subject


def proposal_of(subject: Any) -> Proposal:
    while not isinstance(subject, Proposal):
        subject = _parent(subject, ("proposal",))
    return subject


def require_edit(user: Any, proposal: Proposal) -> None:
    """The one 'may edit this proposal' check, with the reason when not."""
    if not permissions.can_view_proposal(user, proposal):
        raise NotFound(_("The page or data you are looking for does not exist."))
    if permissions.can_edit_proposal(user, proposal):
        return
    refusal = deactivated_agency_refusal(user, proposal.event)
    if refusal is not None:
        raise refusal
    if proposal.is_locked:
        raise PermissionDenied(_("This proposal is locked by the facilitator; it cannot be changed now."))
    if not proposal.event.accepts_edits:
        raise PermissionDenied(_("The event is closed; proposals can no longer be changed."))
    raise PermissionDenied(
        _("Only participants of %(agency)s can change this proposal.", agency=proposal.agency.short_name)
    )


def deactivated_agency_refusal(user: Any, event: Event) -> PermissionDenied | None:
    """The refusal of a write by a participant whose agency was deactivated, or None."""
    if Role.PARTICIPANT not in permissions.roles_of(user, event) or not permissions.agency_deactivated(user):
        return None
    return PermissionDenied(
        _(
            "%(agency)s has been deactivated in this event: its people can still read, but no longer change anything.",
            agency=user.agency.short_name,
        )
    )


def _denied() -> PermissionDenied:
    return PermissionDenied(_("You do not have the right to open this page or do this."))


def _on_event(check: Callable[[Any, Event], bool]) -> Callable[[Any, Any], None]:
    def enforce(user: Any, subject: Any) -> None:
        event = event_of(subject)
        if not permissions.can_view_event(user, event) or not check(user, event):
            raise _denied()

    return enforce


def _on_proposal(check: Callable[[Any, Proposal], bool]) -> Callable[[Any, Any], None]:
    def enforce(user: Any, subject: Any) -> None:
        proposal = proposal_of(subject)
        if not permissions.can_view_proposal(user, proposal) or not check(user, proposal):
            raise _denied()

    return enforce


def _commenter(user: Any, subject: Any) -> None:
    """Comments on a proposal; on an event, what commenting there needs (the @mention lookup)."""
    event = subject if isinstance(subject, Event) else proposal_of(subject).event
    if not permissions.can_view_event(user, event):
        raise _denied()
    if isinstance(subject, Event):
        allowed = permissions.can_mention_in(user, event) and event.accepts_edits
    else:
        allowed = permissions.can_comment(user, proposal_of(subject))
    if not allowed:
        raise deactivated_agency_refusal(user, event) or _denied()


def _comment_author(user: Any, subject: Any) -> None:
    if not isinstance(subject, Comment) or not permissions.can_view_event(user, event_of(subject)):
        raise _denied()
    if subject.author_id != user.id:
        raise PermissionDenied(_("Only the author can change this comment."))
    refusal = deactivated_agency_refusal(user, event_of(subject))
    if refusal is not None and not permissions.can_mention_in(user, event_of(subject)):
        raise refusal


def _follow_up_reporter(user: Any, subject: Any) -> None:
    if not permissions.can_view_event(user, event_of(subject)) or not permissions.can_report_follow_up(user, subject):
        raise _denied()


ENFORCERS: dict[str, Callable[[Any, Any], None]] = {
    "event": _on_event(lambda _user, _event: True),
    "commenter": _commenter,
    "comment-author": _comment_author,
    "proposal-editor": lambda user, subject: require_edit(user, proposal_of(subject)),
    "organiser": _on_event(permissions.can_manage_event),
    "facilitator": _on_event(permissions.can_facilitate),
    "session-planner": _on_event(permissions.can_plan_sessions),
    "document-keeper": _on_event(permissions.can_keep_documents),
    "follow-up-reporter": lambda user, subject: _follow_up_reporter(user, subject),
    "realisation-reporter": _on_proposal(permissions.can_report_realisation),
    "realisation-verifier": _on_proposal(permissions.can_verify_realisation),
    "reviewer": _on_event(permissions.can_review),
    "review-desk": _on_event(
        lambda user, event: permissions.can_review(user, event) or permissions.can_manage_event(user, event)
    ),
    "exporter": _on_event(permissions.can_export_event),
    "proposal-exporter": _on_proposal(permissions.can_export_proposal),
}


def by_id(model: type, url_name: str, name: str) -> Loader:
    """Load `model` by the route's `url_name` argument; the view receives it as `name`."""

    def load(arguments: dict[str, Any]) -> tuple[str, Any]:
        subject = db.session.get(model, arguments[url_name])
        if subject is None:
            raise NotFound(_("The page or data you are looking for does not exist."))
        return name, subject

    return load


def access(rule: str, load: Loader | None = None) -> Callable[[ViewT], ViewT]:
    """Declare who may use a route or socket event (see ACCESS_RULES); with `load=`, enforce it."""
    if rule not in ACCESS_RULES:
        raise ValueError(f"unknown access rule {rule!r}")

    def declare(view: ViewT) -> ViewT:
        if load is None:
            view.access_rule = rule  # type: ignore[attr-defined]
            return view

        @functools.wraps(view)
        def enforced(**arguments: Any) -> Any:
            if rule != "public" and not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
            name, subject = load(arguments)
            enforce = ENFORCERS.get(rule)
            if enforce is not None:
                enforce(current_user, subject)
            arguments[name] = subject
            return view(**arguments)

        enforced.access_rule = rule  # type: ignore[attr-defined]
        return enforced  # type: ignore[return-value]

    return declare
