"""Calendar buckets for reports: UTC days, ISO weeks (Monday), months, quarters, years.

Projections store each fact's day together with its week and month, so the database can group
by any of them directly; quarters and years are folded from months.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

from analytics_service.domain.errors import InvalidQuery

GRANULARITIES = ("day", "week", "month", "quarter", "year")
# Upper bounds that keep a report readable and its query cheap.
MAX_BUCKETS = 731
MAX_RANGE_DAYS = 3660
# The days a report may name. Reports reach past their period on both sides (a default start
# eleven months before ``to``, the bucket after the last, a forecast's horizon, last year's period
# for comparison): near year 1 or 9999 that arithmetic overflowed (OverflowError or ValueError, a
# 500). Within these bounds it never does, and a day outside them is a 422 naming the parameter.
EARLIEST_DAY = date(1900, 1, 1)
LATEST_DAY = date(2999, 12, 31)


def day_of(moment: datetime) -> date:
    """The UTC calendar day of an aware datetime."""
    return moment.astimezone(UTC).date()


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def month_start(day: date) -> date:
    return day.replace(day=1)


def quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def year_start(day: date) -> date:
    return date(day.year, 1, 1)


_STARTS = {
    "day": lambda d: d,
    "week": week_start,
    "month": month_start,
    "quarter": quarter_start,
    "year": year_start,
}


def bucket(day: date, granularity: str) -> date:
    """The first day of the bucket of ``granularity`` that contains ``day``."""
    return _STARTS[granularity](day)


def next_bucket(start: date, granularity: str) -> date:
    if granularity == "day":
        return start + timedelta(days=1)
    if granularity == "week":
        return start + timedelta(days=7)
    months = {"month": 1, "quarter": 3, "year": 12}[granularity]
    index = start.year * 12 + start.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def months_between(first: date, second: date) -> int:
    """Whole calendar months from ``first``'s month to ``second``'s month."""
    return (second.year - first.year) * 12 + second.month - first.month


def buckets(start: date, end: date, granularity: str) -> Iterator[date]:
    """Every bucket start from the one containing ``start`` to the one containing ``end``."""
    current = bucket(start, granularity)
    while current <= end:
        yield current
        current = next_bucket(current, granularity)


def bucket_count(start: date, end: date, granularity: str) -> int:
    if granularity == "day":
        return (end - start).days + 1
    if granularity == "week":
        return (week_start(end) - week_start(start)).days // 7 + 1
    months = months_between(start, end)
    if granularity == "month":
        return months + 1
    if granularity == "quarter":
        return months_between(quarter_start(start), quarter_start(end)) // 3 + 1
    return end.year - start.year + 1


def bucket_label(start: date, granularity: str) -> str:
    """A short human label: 2026-11-26, 2026-W48, 2026-11, 2026-Q4, 2026."""
    if granularity == "day":
        return start.isoformat()
    if granularity == "week":
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    if granularity == "month":
        return f"{start.year}-{start.month:02d}"
    if granularity == "quarter":
        return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    return str(start.year)


def check_period(start: date, end: date, granularity: str | None = None) -> None:
    """Refuse reversed, huge, or too finely bucketed periods, naming the parameter at fault."""
    if start > end:
        raise InvalidQuery("from", f"'from' ({start}) is after 'to' ({end}).")
    if (end - start).days + 1 > MAX_RANGE_DAYS:
        raise InvalidQuery(
            "to", f"The period spans more than {MAX_RANGE_DAYS} days; ask for at most ten years."
        )
    if granularity is not None:
        count = bucket_count(start, end, granularity)
        if count > MAX_BUCKETS:
            coarser = {"day": "week", "week": "month"}.get(granularity, "quarter")
            raise InvalidQuery(
                "granularity",
                f"'{granularity}' makes {count} buckets over this period (at most "
                f"{MAX_BUCKETS}); use '{coarser}' or a shorter period.",
            )
