"""Reporting periods: months (``2026-11``) and quarters (``2026-Q4``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

from dateutil.relativedelta import relativedelta

from sales_service.domain.errors import InvalidValue

KINDS = ("month", "quarter")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")


@dataclass(frozen=True, order=True)
class Period:
    start: date
    kind: str

    @property
    def end(self) -> date:
        """The last day (inclusive)."""
        return self.next_start - relativedelta(days=1)

    @property
    def next_start(self) -> date:
        return self.start + relativedelta(months=1 if self.kind == "month" else 3)

    @property
    def label(self) -> str:
        if self.kind == "month":
            return f"{self.start.year}-{self.start.month:02d}"
        return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"

    @property
    def starts_at(self) -> datetime:
        return datetime(self.start.year, self.start.month, 1, tzinfo=UTC)

    @property
    def ends_before(self) -> datetime:
        nxt = self.next_start
        return datetime(nxt.year, nxt.month, 1, tzinfo=UTC)

    def next(self) -> Period:
        return Period(self.next_start, self.kind)


def parse(label: str) -> Period:
    """``2026-11`` (a month) or ``2026-Q4`` (a quarter)."""
    text = (label or "").strip().upper()
    match = _MONTH.match(text)
    if match and 1 <= int(match[2]) <= 12:
        return Period(date(int(match[1]), int(match[2]), 1), "month")
    match = _QUARTER.match(text)
    if match:
        return Period(date(int(match[1]), (int(match[2]) - 1) * 3 + 1, 1), "quarter")
    raise InvalidValue(f"period {label!r} is neither YYYY-MM nor YYYY-Qn")


def containing(day: date, kind: str) -> Period:
    if kind not in KINDS:
        raise InvalidValue(f"period kind must be one of {', '.join(KINDS)}")
    month = day.month if kind == "month" else (day.month - 1) // 3 * 3 + 1
    return Period(date(day.year, month, 1), kind)


def span(first: date, last: date, kind: str, limit: int = 60) -> list[Period]:
    """Every period from the one holding ``first`` to the one holding ``last``."""
    if last < first:
        raise InvalidValue("the end of the range is before its start")
    periods, current = [], containing(first, kind)
    while current.start <= last:
        periods.append(current)
        if len(periods) > limit:
            raise InvalidValue(f"at most {limit} periods at once")
        current = current.next()
    return periods
