"""Moved to `workspace.core.uow`; this name stays until every importer uses the new one."""

from workspace.core.uow import write_transaction  # noqa: F401
