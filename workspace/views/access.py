"""Moved to `workspace.core.access`; this name stays until every importer uses the new one."""

from workspace.core.access import ACCESS_RULES, access  # noqa: F401
