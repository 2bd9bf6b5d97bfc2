"""One renderer per fragment id.

A fragment id names an element of a page (`item-12`, `proposal-3-tree`, `session-4-timer`, …).
Its renderer loads what it shows through `workspace.queries` and renders its `_partial.html`; pages
(by include or by call), htmx GETs, POST replies, broadcasts and catch-up all get its HTML from
here. `Memo` shares the loads of one batch (every row of one proposal needs the same comment
counts) and lives no longer than that batch.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from markupsafe import Markup

T = TypeVar("T")
Renderer = Callable[..., str | None]


class Memo:
    """Loads shared by the fragments of one render batch."""

    def __init__(self) -> None:
        self._values: dict[Hashable, Any] = {}
        self.renders = 0

    def get(self, key: Hashable, load: Callable[[], T]) -> T:
        if key not in self._values:
            self._values[key] = load()
        return self._values[key]


_RENDERERS: list[tuple[re.Pattern[str], Renderer]] = []


def fragment(pattern: str) -> Callable[[Renderer], Renderer]:
    """Register the renderer of the fragment ids matching `pattern` (`{name}` is a database id,
    `{name:word}` a lower-case word); the renderer gets them as keyword arguments and a `memo`."""
    regex = re.sub(r"\{(\w+):word\}", r"(?P<\1>[a-z]+)", pattern)
    regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[0-9]{1,16})", regex)
    compiled = re.compile(f"^{regex}$")

    def register(renderer: Renderer) -> Renderer:
        _RENDERERS.append((compiled, renderer))
        return renderer

    return register


def render(fragment_id: str, memo: Memo | None = None) -> Markup | None:
    """The HTML of one fragment now, or None when what it shows no longer exists."""
    for pattern, renderer in _RENDERERS:
        match = pattern.match(fragment_id)
        if match is None:
            continue
        arguments: dict[str, Any] = {
            name: int(value) if value.isdigit() else value for name, value in match.groupdict().items()
        }
        html = renderer(memo=memo or Memo(), **arguments)
        if memo is not None:
            memo.renders += 1
        return None if html is None else Markup(html)
    raise KeyError(f"no renderer for fragment {fragment_id!r}")


def known(fragment_id: str) -> bool:
    return any(pattern.match(fragment_id) for pattern, _renderer in _RENDERERS)
