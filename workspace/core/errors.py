"""Errors raised by services, each with the HTTP status it answers with.

One error handler (`views/errors.py`) turns any of them into a fragment for htmx or a page; socket
handlers turn them into acks. The message is already translated and fit to show the user.
"""

from __future__ import annotations


class ServiceError(Exception):
    """Base class: a message for the user and the HTTP status of the answer."""

    status = 400
    #: Where an htmx answer goes instead of the request's own target (a CSS selector), if anywhere.
    retarget: str | None = None

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message


class PermissionDenied(ServiceError):
    status = 403


class NotFound(ServiceError):
    status = 404


class Gone(ServiceError):
    """What the request is about existed and was deleted (by someone else)."""

    status = 410


class Conflict(ServiceError):
    status = 409


class TooLarge(ServiceError):
    status = 413


class ValidationFailed(ServiceError):
    """One message per field name; `""` holds errors that belong to the whole form."""

    status = 422

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors
