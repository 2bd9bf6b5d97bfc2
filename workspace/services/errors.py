"""Errors raised by services; views turn them into pages or fragments, sockets into acks."""

from __future__ import annotations


class ServiceError(Exception):
    """Base class: carries a message fit to show the user (already translated)."""

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message


class PermissionDenied(ServiceError):
    pass


class NotFound(ServiceError):
    pass


class ValidationFailed(ServiceError):
    """One message per field name; `""` holds errors that belong to the whole form."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors
