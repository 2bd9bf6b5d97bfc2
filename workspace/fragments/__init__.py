"""Fragments: one renderer per fragment id (`registry`), the renderers of proposals and of
session rooms, and the per-revision cache of the heavy ones (`cache`). Imports point down only:
fragments → queries → models (DESIGN.md §10)."""

from workspace.fragments import proposals, realisation, sessions  # noqa: F401  (register the renderers)
from workspace.fragments.registry import Memo, known, render

__all__ = ["Memo", "known", "render"]
