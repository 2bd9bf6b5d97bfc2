"""Every route and socket event declares who may use it.

The declaration is what `tests/test_access.py` checks the real behaviour against, for each role,
an anonymous client and a person of another event; a route or socket event without one fails the
suite. The checks themselves stay where they are (views, services, `permissions.py`): this is
the contract they must meet.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

# Who may, in words; the test's table of actors per rule mirrors this one.
ACCESS_RULES: dict[str, str] = {
    "public": "anyone, signed in or not",
    "signed-in": "any signed-in person",
    "event": "anyone with a role in the event (organiser, facilitator, participant, reviewer, observer)",
    "commenter": "organisers, facilitators, participants and reviewers of the event (not observers)",
    "comment-author": "the author of the comment",
    "proposal-editor": "participants of the proposal's agency, while the proposal is editable",
    "organiser": "the event's organisers",
    "facilitator": "the event's facilitators",
    "session-planner": "the event's facilitators and organisers (sessions and their agenda)",
    "reviewer": "the event's reviewers (verdicts: in the review phase)",
    "review-desk": "the event's reviewers and organisers",
    "exporter": "organisers, facilitators and reviewers of the event",
    "proposal-exporter": "organisers, facilitators and reviewers, and the participants of the proposal's agency",
}

ViewT = TypeVar("ViewT", bound=Callable)


def access(rule: str) -> Callable[[ViewT], ViewT]:
    """Declare who may use a route or socket event (see ACCESS_RULES)."""
    if rule not in ACCESS_RULES:
        raise ValueError(f"unknown access rule {rule!r}")

    def declare(view: ViewT) -> ViewT:
        view.access_rule = rule  # type: ignore[attr-defined]
        return view

    return declare
