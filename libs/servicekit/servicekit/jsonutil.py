"""JSON encoding for events and stored responses: Decimal as string, datetimes as UTC ISO 8601."""

from __future__ import annotations

import dataclasses
import enum
import json
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise TypeError("naive datetime cannot be serialised; use UTC")
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dumps(value: Any) -> str:
    """Compact JSON with the suite's encodings."""
    return json.dumps(value, default=_default, separators=(",", ":"), ensure_ascii=False)


def to_jsonable(value: Any) -> Any:
    """``value`` converted to plain JSON types (round trip through :func:`dumps`)."""
    return json.loads(dumps(value))


def isoformat(value: datetime) -> str:
    return _default(value)
