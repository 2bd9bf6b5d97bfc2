"""Moved to `workspace.core.errors`; this name stays until every importer uses the new one."""

from workspace.core.errors import (  # noqa: F401
    Conflict,
    Gone,
    NotFound,
    PermissionDenied,
    ServiceError,
    TooLarge,
    ValidationFailed,
)
