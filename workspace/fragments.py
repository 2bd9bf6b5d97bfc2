"""Fragments rendered once and reused: the proposal tree.

The tree is the same for every viewer (rights live on the page, not in the fragment) and every
change to what it shows bumps the proposal's revision, so (proposal, revision, language) names its
HTML exactly. The page, the catch-up fetch and the broadcast of a structural change share one
rendering per revision instead of rendering 300 rows for each of 65 laptops. The cache belongs to
the app (so test apps on other databases never share it) and keeps the latest trees only.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

from flask import current_app, render_template
from flask_babel import get_locale
from markupsafe import Markup

from workspace.models import Proposal

MAX_TREES = 64


class TreeCache:
    def __init__(self) -> None:
        self._trees: OrderedDict[tuple[int, int, str], Markup] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: tuple[int, int, str]) -> Markup | None:
        with self._lock:
            html = self._trees.get(key)
            if html is not None:
                self._trees.move_to_end(key)
                self.hits += 1
            else:
                self.misses += 1
            return html

    def put(self, key: tuple[int, int, str], html: Markup) -> None:
        with self._lock:
            self._trees[key] = html
            self._trees.move_to_end(key)
            while len(self._trees) > MAX_TREES:
                self._trees.popitem(last=False)


def tree_cache() -> TreeCache:
    return current_app.extensions.setdefault("sinergi.tree_cache", TreeCache())


def proposal_tree_html(proposal: Proposal, counts: Callable[[], dict]) -> Markup:
    """The tree fragment of this revision of the proposal, rendered at most once per language."""
    key = (proposal.id, proposal.revision, str(get_locale()))
    cache = tree_cache()
    html = cache.get(key)
    if html is None:
        html = Markup(render_template("proposals/_tree.html", proposal=proposal, counts=counts()))
        cache.put(key, html)
    return html
