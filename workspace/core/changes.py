"""What a write changed, as typed facts recorded inside its unit of work.

A service records one change per thing that became different (a field, the tree, a thread, a
lock, a session part, …). After the commit the publisher (`realtime/publish.py`) looks each type up
in its one table, which says which rooms hear of it, under which socket event, with which fragment
ids. A change type without a row there fails at start-up and in the suite. Changes are plain data:
ids, never ORM objects, so they stay valid after the commit and the session that made them.
"""

from __future__ import annotations

from dataclasses import dataclass

from workspace.core.texts import Text


@dataclass(frozen=True)
class Change:
    """Base of every change type."""


# ---- Proposals: each of these bumped the proposal's revision in the same transaction ----------


@dataclass(frozen=True)
class ProposalChange(Change):
    proposal_id: int
    event_id: int
    revision: int
    actor_id: int
    #: History entries (Revision ids) the change wrote, shown at the top of the history panel.
    revision_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class ItemChanged(ProposalChange):
    """One field of one item: its row (and, for money, its ancestors' rows and the totals)."""

    item_id: int = 0
    field: str = ""


@dataclass(frozen=True)
class TreeChanged(ProposalChange):
    """Items added, deleted, moved or imported: the whole tree."""

    item_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class ThreadAdded(ProposalChange):
    """A new comment or suggestion thread: prepended to the discussion."""

    thread_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class ThreadChanged(ProposalChange):
    """A reply, edit, deletion, hiding, resolution or decision on an existing thread."""

    thread_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class StatusChanged(ProposalChange):
    """The proposal's status (an agreement or a verdict moved it)."""


@dataclass(frozen=True)
class ReviewChanged(ProposalChange):
    """A reviewer's verdict: the review banner."""


@dataclass(frozen=True)
class RealisationChanged(ProposalChange):
    """One value of one quarter's realisation (or an item's formula, `quarter` 0): the item's rows
    and its ancestors' (their roll-up moved), the quarter's standing, the event's dashboard."""

    item_id: int = 0
    quarter: int = 0
    field: str = ""


@dataclass(frozen=True)
class QuarterReviewed(ProposalChange):
    """A quarter's realisation verified or returned (or reopened by an edit after a return): which
    cells are open changed with it."""

    quarter: int = 0


# ---- Everything else --------------------------------------------------------------------------


@dataclass(frozen=True)
class LockChanged(Change):
    """A facilitator locked or unlocked a proposal: who may edit it changed."""

    proposal_id: int


@dataclass(frozen=True)
class SessionPartChanged(Change):
    """One part of a session room: state, timer, spotlight, announcement, attendance, proposals
    or agreements."""

    session_id: int
    part: str


@dataclass(frozen=True)
class EventSessionsChanged(Change):
    """Sessions of an event were created, opened, closed or re-planned (the event home's list)."""

    event_id: int


@dataclass(frozen=True)
class PhaseChanged(Change):
    """The event's phase or details changed: what may be edited, and by whom, changed with it."""

    event_id: int


@dataclass(frozen=True)
class NotificationsChanged(Change):
    """These people's unread notification counts changed."""

    user_ids: tuple[int, ...]


@dataclass(frozen=True)
class PersonMoved(Change):
    """A facilitator sent a person to another session room (breakouts started, moved, ended)."""

    user_id: int
    session_id: int
    url: str
    message: Text  # shown on each of their screens in that screen's language


@dataclass(frozen=True)
class SignInsEnded(Change):
    """Sign-ins ended (sign-out, deactivation, a new password): their live sockets are cut.

    `tokens` are ended sign-ins; `user_id` ends every socket of that person but `keep_token`'s.
    """

    tokens: tuple[str, ...] = ()
    user_id: int | None = None
    keep_token: str | None = None


@dataclass(frozen=True)
class PeopleChanged(Change):
    """Names, agencies or roles shown in discussions and histories changed (an organiser's edit)."""

    event_id: int


@dataclass(frozen=True)
class CatalogChanged(Change):
    """The nomenclature changed (an import): views built from it re-fetch themselves."""

    event_id: int


def all_change_types() -> list[type[Change]]:
    """Every concrete change type (the publisher must have a row for each)."""
    found: list[type[Change]] = []
    pending = list(Change.__subclasses__())
    while pending:
        kind = pending.pop()
        pending.extend(kind.__subclasses__())
        if kind is not ProposalChange:
            found.append(kind)
    return found
