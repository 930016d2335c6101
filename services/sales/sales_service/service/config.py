"""What use cases need from the running service besides the database: the base currency and a
clock (tests and scheduled jobs move it)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class SalesConfig:
    base_currency: str = "EUR"
    clock: Callable[[], datetime] = field(default=_now)

    def now(self) -> datetime:
        return self.clock()
