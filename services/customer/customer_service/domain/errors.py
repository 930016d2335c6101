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


class DuplicateCandidate(DomainError):
    """Creating this customer would duplicate existing ones (409 unless forced)."""

    def __init__(self, candidates: list[dict]):
        names = ", ".join(f"{c['customer_id']} ({c['reason']})" for c in candidates[:5])
        super().__init__(
            f"This looks like an existing customer: {names}. Merge, or send force=true to "
            "create it anyway.",
            details={"candidates": candidates},
        )
        self.candidates = candidates
