"""What can go wrong in a report request, named after the parameter at fault."""

from __future__ import annotations


class AnalyticsError(Exception):
    """Base of the service's own errors."""


class InvalidQuery(AnalyticsError):
    """A report parameter cannot be served; ``details`` names the parameter."""

    def __init__(self, parameter: str, message: str):
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter
        self.details = {parameter: [message]}


class NotFound(AnalyticsError):
    """Nothing is known about the requested record."""
