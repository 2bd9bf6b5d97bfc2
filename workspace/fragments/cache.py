"""The per-revision cache of the heavy fragments: a proposal's tree, its discussion and its history.

They are the same for every viewer (rights live on the page, not in the fragment) and every change
to what they show bumps the proposal's revision, so (fragment, proposal, revision, language) names
their HTML exactly. The page, the catch-up fetches and the broadcast of a structural change share
one rendering per revision instead of rendering 300 rows for each of 65 laptops. The cache belongs
to the app (so test apps on other databases never share it) and keeps the latest fragments only.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

import sqlalchemy as sa
from flask import current_app
from flask_babel import get_locale
from markupsafe import Markup

from workspace.extensions import db
from workspace.models import AuditEntry, Proposal

MAX_FRAGMENTS = 192


class FragmentCache:
    def __init__(self) -> None:
        self._trees: OrderedDict[tuple[str, int, int, str, int], Markup] = OrderedDict()
        self._lock = threading.Lock()
        self._bytes: dict[int, tuple[Markup, bytes]] = {}
        self.people_version = 0
        self.people_checked_at = float("-inf")
        self.hits = 0
        self.misses = 0

    def get(self, key: tuple[str, int, int, str, int]) -> Markup | None:
        with self._lock:
            html = self._trees.get(key)
            if html is not None:
                self._trees.move_to_end(key)
                self.hits += 1
            else:
                self.misses += 1
            return html

    def put(self, key: tuple[str, int, int, str, int], html: Markup) -> None:
        with self._lock:
            self._trees[key] = html
            self._trees.move_to_end(key)
            while len(self._trees) > MAX_FRAGMENTS:
                self._trees.popitem(last=False)


def fragment_cache() -> FragmentCache:
    return current_app.extensions.setdefault("sinergi.fragment_cache", FragmentCache())


def people_changed() -> None:
    """Names or agencies changed: this process reads the people version again at once (other
    processes within PEOPLE_VERSION_SECONDS)."""
    fragment_cache().people_checked_at = float("-inf")


PEOPLE_VERSION_SECONDS = 2.0


def people_version() -> int:
    """Names and agencies shown in the discussion and the history change without a proposal
    revision (an organiser renames someone): every such change is audited, so the latest audit
    entry versions them. Read at most every two seconds per process (a rename shows within that)."""
    cache = fragment_cache()
    now = time.monotonic()
    if now - cache.people_checked_at > PEOPLE_VERSION_SECONDS:
        cache.people_version = db.session.scalar(sa.select(sa.func.max(AuditEntry.id))) or 0
        cache.people_checked_at = now
    return cache.people_version


def proposal_fragment(kind: str, proposal: Proposal, render: Callable[[], str]) -> Markup:
    """The `kind` fragment of this revision of the proposal, rendered at most once per language."""
    # The tree shows no people; the discussion and the history show names and agencies.
    version = 0 if kind == "tree" else people_version()
    key = (kind, proposal.id, proposal.revision, str(get_locale()), version)
    cache = fragment_cache()
    html = cache.get(key)
    if html is None:
        html = Markup(render())
        cache.put(key, html)
    return html


def encoded(html: Markup) -> bytes:
    """The UTF-8 bytes of a cached fragment, encoded once (a 300-item tree is about 900 KB)."""
    cache = fragment_cache()
    with cache._lock:
        found = cache._bytes.get(id(html))
        if found is not None and found[0] is html:
            return found[1]
    data = str(html).encode("utf-8")
    with cache._lock:
        cache._bytes[id(html)] = (html, data)
        while len(cache._bytes) > MAX_FRAGMENTS:
            cache._bytes.pop(next(iter(cache._bytes)))
    return data
