"""Shared pieces of the sales aggregates: clock, ids, ownership, change tracking."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sales_service.domain.errors import InvalidValue, StateConflict
from sales_service.domain.events import Happened
from servicekit.domain import EventRecorder


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return str(uuid.uuid4())


def uuid_or_none(value: str | None) -> str | None:
    """Users and API keys are UUIDs; anything else (the system) is not an owner or author."""
    if not value:
        return None
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        return None


def clean(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


@dataclass(eq=False)
class Aggregate(EventRecorder):
    """Base of every sales aggregate: an id, an optimistic ``version`` and recorded events."""

    def emit(self, name: str, **details: Any) -> None:
        self.record(Happened(name, self, details))

    def apply_changes(self, changes: dict[str, Any], allowed: tuple[str, ...]) -> list[str]:
        """Set plain fields; return the names whose value really changed."""
        unknown = set(changes) - set(allowed)
        if unknown:
            raise InvalidValue(f"cannot change {', '.join(sorted(unknown))} here")
        changed = []
        for name, value in changes.items():
            if getattr(self, name) != value:
                setattr(self, name, value)
                changed.append(name)
        return changed

    def require_status(self, *allowed: str, action: str) -> None:
        status = getattr(self, "status")  # noqa: B009 - every aggregate using this has one
        if status not in allowed:
            raise StateConflict(
                f"cannot {action} a {type(self).__name__.lower()} that is {status} "
                f"(only when {' or '.join(allowed)})"
            )
