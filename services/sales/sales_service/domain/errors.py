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


class ConcurrentModification(StateConflict):
    """Someone else saved the record after we read it (409)."""


class NotAllowed(DomainError):
    """The caller may see the record but not do this to it (403)."""


class MissingFxRate(DomainError):
    """No exchange rate to the base currency for a currency at a moment (422)."""

    def __init__(self, currency: str, base: str, at):
        super().__init__(
            f"no exchange rate from {currency} to {base} effective at {at.isoformat()}; "
            f"add one with POST /api/v1/fx-rates",
            details={"currency": [f"missing fx rate {currency}->{base}"]},
        )
        self.currency = currency


class CouponRejected(DomainError):
    """A coupon code cannot be used for this order (422); ``reason`` is a stable word."""

    def __init__(self, code: str, reason: str, message: str):
        super().__init__(
            f"coupon {code} cannot be used: {message}",
            details={"coupon_code": [message], "reason": reason},
        )
        self.reason = reason
