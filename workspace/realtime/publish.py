"""The publisher: after a commit, every recorded change goes out through one table.

`PUBLISH` maps each change type to its routes: the socket event, the rooms, the fragment ids
whose HTML travels with it, and the plain data. Changes of one unit of work that go to the same
event in the same rooms are merged into one message (one `proposal:changed` per revision), each
fragment is rendered once per language read in the room (and in the writer's language, whose
HTTP reply sends those same bytes). Effects (cutting sockets, dropping a cache) are rows too.
A change type without a row fails at import, so at start-up and in the suite.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app, has_request_context
from flask_babel import force_locale, get_locale

from workspace.core.changes import (
    CatalogChanged,
    Change,
    EventSessionsChanged,
    ItemChanged,
    LockChanged,
    NotificationsChanged,
    PeopleChanged,
    PersonMoved,
    PhaseChanged,
    ProposalChange,
    QuarterReviewed,
    RealisationChanged,
    ReviewChanged,
    SessionPartChanged,
    SignInsEnded,
    StatusChanged,
    ThreadAdded,
    ThreadChanged,
    TreeChanged,
    all_change_types,
)
from workspace.core.texts import Text
from workspace.core.uow import Published, committed
from workspace.extensions import db, socketio
from workspace.fragments import Memo, render
from workspace.fragments.cache import people_changed
from workspace.fragments.structure import structure_change
from workspace.models import Comment, Event, Proposal, ProposalItem, Session, User
from workspace.queries.agreements import has_standing_agreement
from workspace.queries.comments import unread_counts
from workspace.queries.sessions import timer_state
from workspace.realtime import connections
from workspace.realtime.rooms import event_room, languages_in, localized, proposal_room, session_room, user_room

Data = dict[str, Any]


def _nothing(_change: Any) -> Sequence[str]:
    return ()


def _no_data(_change: Any) -> Data:
    return {}


@dataclass(frozen=True)
class Route:
    """One message a change sends: `event` to `rooms`, with `fragments` (id → HTML), `lists`
    (payload key → fragment ids whose HTML is listed, e.g. new history lines) and `data`."""

    event: str
    rooms: Callable[[Any], Sequence[str]]
    fragments: Callable[[Any], Sequence[str]] = _nothing
    lists: tuple[tuple[str, Callable[[Any], Sequence[str]]], ...] = ()
    data: Callable[[Any], Data] = _no_data


@dataclass(frozen=True)
class Effect:
    """Something the process does after the commit, beyond a message (cut sockets, drop a cache)."""

    run: Callable[[Any], None]


@dataclass(frozen=True)
class Direct:
    """Messages whose payload differs per room (each person's unread count)."""

    event: str
    messages: Callable[[Any], Sequence[tuple[str, Data]]]


Row = Route | Effect | Direct

# ---- What each proposal change shows -----------------------------------------------------------

MONEY_FIELDS = frozenset({"budget", "forward_budget"})


def _item_fragments(change: ItemChanged) -> list[str]:
    """A field without money in it changes its own row; money moves the ancestors' subtotals and
    the proposal's totals too."""
    if change.field not in MONEY_FIELDS:
        return [f"item-{change.item_id}"]
    ids = []
    item = db.session.get(ProposalItem, change.item_id)
    while item is not None:
        ids.append(f"item-{item.id}")
        item = item.parent
    return [*ids, f"proposal-{change.proposal_id}-totals"]


def _proposal_rooms(change: ProposalChange | LockChanged) -> list[str]:
    return [proposal_room(change.proposal_id)]


def _history(change: ProposalChange) -> list[str]:
    return [f"revision-{revision_id}" for revision_id in change.revision_ids]


def _actor(change: ProposalChange) -> Data:
    actor = db.session.get(User, change.actor_id)
    return {"user_id": change.actor_id, "user_name": actor.display_name if actor else ""}


def proposal_changed(
    fragments: Callable[[Any], Sequence[str]] = _nothing,
    threads: Callable[[Any], Sequence[str]] = _nothing,
    change: Callable[[Any], Data] = _no_data,
    extra: Callable[[Any], Data] = _no_data,
) -> Route:
    """`proposal:changed`: the proposal's room hears one message per revision."""

    def data(proposal_change: ProposalChange) -> Data:
        what = {"item_ids": [], "field": None, "structure": False, **_actor(proposal_change), **change(proposal_change)}
        return {
            "proposal_id": proposal_change.proposal_id,
            "revision": proposal_change.revision,
            "change": what,
            **extra(proposal_change),
        }

    return Route(
        "proposal:changed",
        _proposal_rooms,
        fragments=lambda c: [*fragments(c), f"proposal-{c.proposal_id}-revision"],
        lists=(("history", _history), ("threads", threads)),
        data=data,
    )


def _structure_fragments(change: TreeChanged) -> list[str]:
    """A row added, deleted or moved: the rows whose content changed and the totals, the tree's
    order going as data (fragments/structure.py); or the whole tree, when that is the better message."""
    found = structure_change(change)
    if found is None:
        return [f"proposal-{change.proposal_id}-tree"]
    return [*(f"item-{i}" for i in found.item_ids), f"proposal-{change.proposal_id}-totals"]


def _structure_order(change: TreeChanged) -> Data:
    found = structure_change(change)
    return {} if found is None else {"order": found.order}


def _agreement_fragments(change: ProposalChange) -> list[str]:
    """Where an agreement stands, a change of content shows on the proposal's status badge ("changed
    since the agreement") and in its agreement panel (agreed against now)."""
    if not has_standing_agreement(change.proposal_id):
        return []
    return [f"proposal-{change.proposal_id}-status", f"proposal-{change.proposal_id}-agreement"]


def _event_status_fragments(change: Change) -> list[str]:
    """The status badge travels to every page of the event (lists, the console, the room) when the
    status changed, or when an agreed proposal's content did."""
    proposal_id = getattr(change, "proposal_id", None)
    if proposal_id is None:
        return []
    if isinstance(change, StatusChanged) or has_standing_agreement(proposal_id):
        return [f"proposal-{proposal_id}-status"]
    return []


# The event's heavy views (matrix, national directions) re-fetch themselves, debounced; every page
# of the event swaps the status badges it shows.
EVENT_SIGNAL = Route(
    "event:proposal-changed",
    lambda c: [event_room(c.event_id)],
    _event_status_fragments,
    data=lambda c: {"proposal_id": getattr(c, "proposal_id", None), "revision": getattr(c, "revision", None)},
)

# ---- Realisation (Monev) ------------------------------------------------------------------------


def _realisation_fragments(change: RealisationChanged) -> list[str]:
    """The item's rows and its ancestors' (their roll-up moved), in the tabs that show the change:
    its own quarter and the later ones (cumulative figures); every quarter for a formula."""
    ids: list[str] = []
    item = db.session.get(ProposalItem, change.item_id)
    tabs = range(max(change.quarter, 1), 5)
    while item is not None:
        ids.extend(f"realisation-{item.id}-{tab}" for tab in tabs)
        item = item.parent
    return [*ids, *_quarter_strips(change)]


def _quarter_strips(change: ProposalChange) -> list[str]:
    return [f"proposal-{change.proposal_id}-quarters-{tab}" for tab in range(1, 5)]


# The province's dashboard and the event's monitoring views re-fetch themselves, debounced.
MONEV_SIGNAL = Route(
    "event:monev-changed",
    lambda c: [event_room(c.event_id)],
    data=lambda c: {"proposal_id": c.proposal_id, "quarter": getattr(c, "quarter", 0)},
)

# ---- Session rooms -----------------------------------------------------------------------------

SESSION_PART_FRAGMENTS = {
    "spotlight": ("spotlight",),
    "timer": ("timer",),
    "announcement": ("announcement",),
    "attendance": ("attendance",),
    "proposals": ("proposals",),
    "agreements": ("proposals",),
    "state": ("state", "proposals"),
}


def timer_payload(session: Session) -> Data:
    timer = timer_state(session)
    return {"ends_at_ms": timer.ends_at_ms, "server_now_ms": timer.server_now_ms, "label": timer.label}


def _session_data(change: SessionPartChanged) -> Data:
    session = db.session.get(Session, change.session_id)
    return {
        "session_id": change.session_id,
        "part": change.part,
        "timer": timer_payload(session) if session is not None else None,
    }


def _lock_data(change: LockChanged) -> Data:
    proposal = db.session.get(Proposal, change.proposal_id)
    return {"proposal_id": change.proposal_id, "locked": bool(proposal and proposal.is_locked)}


def _phase_data(change: PhaseChanged) -> Data:
    event = db.session.get(Event, change.event_id)
    if event is None:
        return {"event_id": change.event_id}
    return {"event_id": event.id, "phase": event.phase.value, "accepts_edits": event.accepts_edits}


def _unread(change: NotificationsChanged) -> list[tuple[str, Data]]:
    return [
        (user_room(user_id), {"unread": unread}) for user_id, unread in unread_counts(list(change.user_ids)).items()
    ]


def _end_sign_ins(change: SignInsEnded) -> None:
    for token in change.tokens:
        connections.disconnect_login(token)
    if change.user_id is not None:
        connections.disconnect_user(change.user_id, keep=change.keep_token)


# ---- The table -------------------------------------------------------------------------------

PUBLISH: dict[type[Change], tuple[Row, ...]] = {
    ItemChanged: (
        proposal_changed(
            lambda c: [*_item_fragments(c), *_agreement_fragments(c)],
            change=lambda c: {"item_ids": [c.item_id], "field": c.field, "structure": False},
        ),
        EVENT_SIGNAL,
    ),
    TreeChanged: (
        proposal_changed(
            lambda c: [*_structure_fragments(c), *_agreement_fragments(c)],
            change=lambda c: {"item_ids": list(c.item_ids), "structure": True},
            extra=_structure_order,
        ),
        EVENT_SIGNAL,
    ),
    ThreadAdded: (
        proposal_changed(
            lambda c: [f"proposal-{c.proposal_id}-discussion-count", *(f"item-{i}" for i in _anchors(c))],
            threads=lambda c: [f"thread-{thread_id}" for thread_id in c.thread_ids],
        ),
    ),
    ThreadChanged: (
        proposal_changed(
            lambda c: [
                f"proposal-{c.proposal_id}-discussion-count",
                *(f"thread-{thread_id}" for thread_id in c.thread_ids),
                *(f"item-{i}" for i in _anchors(c)),
            ]
        ),
    ),
    StatusChanged: (
        proposal_changed(lambda c: [f"proposal-{c.proposal_id}-status", f"proposal-{c.proposal_id}-agreement"]),
        EVENT_SIGNAL,
    ),
    ReviewChanged: (
        proposal_changed(lambda c: [f"proposal-{c.proposal_id}-review", f"proposal-{c.proposal_id}-status"]),
    ),
    RealisationChanged: (
        proposal_changed(
            _realisation_fragments,
            change=lambda c: {"item_ids": [c.item_id], "field": f"q{c.quarter}_{c.field}", "structure": False},
        ),
        MONEV_SIGNAL,
    ),
    QuarterReviewed: (
        proposal_changed(lambda c: [f"proposal-{c.proposal_id}-realisation-{c.quarter}", *_quarter_strips(c)]),
        MONEV_SIGNAL,
    ),
    LockChanged: (
        Route("proposal:lock", _proposal_rooms, lambda c: [f"proposal-{c.proposal_id}-status"], data=_lock_data),
    ),
    SessionPartChanged: (
        Route(
            "session:changed",
            lambda c: [session_room(c.session_id)],
            lambda c: [f"session-{c.session_id}-{part}" for part in SESSION_PART_FRAGMENTS[c.part]],
            data=_session_data,
        ),
    ),
    EventSessionsChanged: (
        Route("event:sessions", lambda c: [event_room(c.event_id)], data=lambda c: {"event_id": c.event_id}),
    ),
    # Every page of an event joins its room (static/js/app.js), the proposal page included.
    PhaseChanged: (Route("event:phase", lambda c: [event_room(c.event_id)], data=_phase_data),),
    NotificationsChanged: (Direct("notifications:count", _unread),),
    PersonMoved: (
        Direct(
            "session:moved",
            lambda c: [(user_room(c.user_id), {"session_id": c.session_id, "url": c.url, "message": c.message})],
        ),
    ),
    SignInsEnded: (Effect(_end_sign_ins),),
    PeopleChanged: (Effect(lambda _c: people_changed()),),
    CatalogChanged: (EVENT_SIGNAL,),
}


def _anchors(change: ThreadAdded | ThreadChanged) -> list[int]:
    """Rows whose comment-count badge moved with the threads."""
    from_threads: list[int] = []
    for thread_id in change.thread_ids:
        comment = db.session.get(Comment, thread_id)
        if comment is not None and comment.item_id is not None:
            from_threads.append(comment.item_id)
    return sorted(set(from_threads))


def missing_rows() -> list[str]:
    return sorted(kind.__name__ for kind in all_change_types() if kind not in PUBLISH)


if missing_rows():  # a new change type needs its row: fail at start-up, not silently
    raise RuntimeError(f"change types without a publish row: {', '.join(missing_rows())}")


# ---- Planning and sending --------------------------------------------------------------------


@dataclass
class Message:
    event: str
    rooms: tuple[str, ...]
    fragment_ids: list[str] = field(default_factory=list)
    lists: dict[str, list[str]] = field(default_factory=dict)
    data: Data = field(default_factory=dict)

    def merge(self, fragment_ids: Sequence[str], lists: dict[str, Sequence[str]], data: Data) -> None:
        self.fragment_ids.extend(i for i in fragment_ids if i not in self.fragment_ids)
        for key, ids in lists.items():
            listed = self.lists.setdefault(key, [])
            listed.extend(i for i in ids if i not in listed)
        for key, value in data.items():
            if isinstance(value, dict) and isinstance(self.data.get(key), dict):
                merged = self.data[key]
                for inner, inner_value in value.items():
                    if isinstance(inner_value, list) and isinstance(merged.get(inner), list):
                        merged[inner] = sorted(set(merged[inner]) | set(inner_value))
                    elif inner_value or inner not in merged:
                        merged[inner] = inner_value
            elif key == "revision" and isinstance(self.data.get(key), int) and isinstance(value, int):
                self.data[key] = max(self.data[key], value)
            else:
                self.data[key] = value


def plan(changes: Sequence[Change]) -> tuple[list[Message], list[tuple[Effect | Direct, Change]]]:
    """The messages the changes send, merged by (event, rooms), and the other rows to run."""
    messages: dict[tuple[str, tuple[str, ...]], Message] = {}
    others: list[tuple[Effect | Direct, Change]] = []
    for change in changes:
        for row in PUBLISH[type(change)]:
            if not isinstance(row, Route):
                others.append((row, change))
                continue
            rooms = tuple(row.rooms(change))
            message = messages.setdefault((row.event, rooms), Message(row.event, rooms))
            message.merge(row.fragments(change), {key: ids(change) for key, ids in row.lists}, row.data(change))
    return list(messages.values()), others


def _writer_locale() -> str | None:
    return str(get_locale()) if has_request_context() else None


def send(message: Message, memo: Memo, published: Published) -> None:
    """Render the message's fragments once per language and emit it to each language's room."""
    if not message.fragment_ids and not any(message.lists.values()):
        for room in message.rooms:
            socketio.emit(message.event, message.data, to=room)
        return
    writer = _writer_locale()
    for room in message.rooms:
        locales = languages_in(room)
        if writer and writer not in locales:
            locales.append(writer)  # the HTTP reply of the write sends these bytes
        for locale in locales:
            payload = {**message.data, **_rendered(message, locale, memo, published)}
            socketio.emit(message.event, payload, to=localized(room, locale))


def _rendered(message: Message, locale: str, memo: Memo, published: Published) -> Data:
    def html(fragment_id: str) -> str | None:
        key = (fragment_id, locale)
        if key not in published.html:
            with force_locale(locale):
                rendered = render(fragment_id, memo)
            published.html[key] = "" if rendered is None else str(rendered)
        return published.html[key] or None

    fragments = {i: h for i in message.fragment_ids if (h := html(i)) is not None}
    lists = {key: [h for i in ids if (h := html(i)) is not None] for key, ids in message.lists.items()}
    return {"fragments": fragments, **lists} if lists else {"fragments": fragments}


def send_direct(row: Direct, change: Change) -> None:
    """Each room's own message; one that carries a text goes to the room's language rooms, the
    text translated for each (the notice of a move reaches each screen in its language)."""
    for room, data in row.messages(change):
        if not any(isinstance(value, Text) for value in data.values()):
            socketio.emit(row.event, data, to=room)
            continue
        for locale in languages_in(room):
            with force_locale(locale):
                shown = {key: str(value) if isinstance(value, Text) else value for key, value in data.items()}
            socketio.emit(row.event, shown, to=localized(room, locale))


@committed.connect
def publish_changes(app: Flask, changes: Sequence[Change]) -> Published:
    """The receiver of `committed`: plan, run effects, render and emit. A failure in one message is
    logged and does not stop the others (clients catch up from the database)."""
    published = Published()
    memo = Memo()
    messages, others = plan(changes)
    for row, change in others:
        try:
            if isinstance(row, Effect):
                row.run(change)
            else:
                send_direct(row, change)
        except Exception:
            app.logger.exception("publishing %s failed", type(change).__name__)
    for message in messages:
        try:
            send(message, memo, published)
        except Exception:
            current_app.logger.exception("publishing %s to %s failed", message.event, ", ".join(message.rooms))
    return published
