"""Rule violations the domain raises; the API maps each to a status and a stable code."""

from __future__ import annotations


class DomainError(Exception):
    """Base: a request that breaks a business rule."""

    def __init__(self, message: str, details=None):
        super().__init__(message)
        self.details = details


class InvalidValue(DomainError):
    """A value is malformed or not allowed (422)."""


class NotFound(DomainError):
    """No such record, or one the caller may not see (404)."""


class StateConflict(DomainError):
    """The record's state does not allow this (409)."""


class TemplateProblem(InvalidValue):
    """A template does not compile or names variables nobody provides (422)."""
