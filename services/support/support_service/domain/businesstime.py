"""Business time: working hours on a calendar, exact across weekends, holidays, DST and zones.

A calendar says when work happens: per weekday a list of local wall-clock intervals (split shifts
allowed) in an IANA time zone, minus public holidays (the ``holidays`` package, for a country and
optional subdivision, including its official make-up working days such as China's 调休 weekends)
and custom closed days, plus custom open days. Arithmetic works on real instants (aware
datetimes, UTC inside) to the microsecond:

- ``add(t, d)``: the instant at which ``d`` of business time has elapsed after ``t``;
- ``between(a, b)``: the business time inside ``[a, b)`` (negative when ``b < a``).

DST rule for interval boundaries: a wall-clock time that happens twice (autumn) means its first
occurrence; one that does not exist (spring gap) means the instant the clock jumps past it. So
each working interval is one contiguous span of real time, and a shift spanning the autumn change
really lasts an hour longer — which is what the people on it experience.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_lib

from support_service.domain.errors import InvalidValue

MINUTES_PER_DAY = 1440
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Guard against calendars with no working time at all in reach (every day closed).
MAX_SEARCH_DAYS = 366 * 5
_DAY = timedelta(days=1)
_ZERO = timedelta(0)

Interval = tuple[int, int]  # minutes after local midnight, [start, end), 0 <= start < end <= 1440


class NoWorkingTime(InvalidValue):
    """The calendar has no working time within reach of the instant asked about."""


def parse_clock(text: str, *, allow_24: bool = False) -> int:
    """``"09:30"`` → 570 minutes after midnight; ``"24:00"`` only where an end is meant."""
    try:
        hours, minutes = text.split(":")
        if len(hours) != 2 or len(minutes) != 2:
            raise ValueError
        h, m = int(hours), int(minutes)
    except ValueError:
        raise InvalidValue(f"{text!r} is not a time of day like 09:00") from None
    if allow_24 and h == 24 and m == 0:
        return MINUTES_PER_DAY
    if not (0 <= h <= 23 and 0 <= m <= 59):
        raise InvalidValue(f"{text!r} is not a time of day like 09:00")
    return h * 60 + m


def format_clock(minutes: int) -> str:
    """570 → ``"09:30"``."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def normalise_intervals(intervals: Iterable[Sequence[int]]) -> tuple[Interval, ...]:
    """Sorted, with overlapping or touching intervals joined; invalid ones are refused."""
    items = []
    for item in intervals:
        start, end = int(item[0]), int(item[1])
        if not (0 <= start < end <= MINUTES_PER_DAY):
            raise InvalidValue(
                f"working interval {format_clock(start)}-{format_clock(end)} must start before it "
                "ends, within one day (00:00-24:00)"
            )
        items.append((start, end))
    items.sort()
    merged: list[list[int]] = []
    for start, end in items:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return tuple((s, e) for s, e in merged)


@dataclass(frozen=True)
class CustomDay:
    """A date that differs from the weekly pattern: closed, or open (with its own hours)."""

    day: date
    open: bool
    hours: tuple[Interval, ...] | None = None  # open day without hours: the standard hours
    name: str | None = None


@dataclass(frozen=True)
class DayInfo:
    day: date
    hours: tuple[Interval, ...]
    reason: str  # weekday | weekend | holiday | workday | custom_open | custom_closed
    name: str | None = None


def check_timezone(name: str) -> ZoneInfo:
    """The zone, or InvalidValue for a name that is not an IANA zone."""
    try:
        if not name or name != name.strip() or ".." in name:
            raise ValueError
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise InvalidValue(f"{name!r} is not an IANA time zone such as Asia/Shanghai") from None


def check_holiday_region(country: str | None, subdivision: str | None) -> None:
    """Refuse a country or subdivision the holidays package does not know."""
    if country is None:
        if subdivision is not None:
            raise InvalidValue("a holiday subdivision needs a holiday country")
        return
    supported = holidays_lib.list_supported_countries()
    if country not in supported:
        raise InvalidValue(f"no public holidays are known for country {country!r}")
    if subdivision is not None and subdivision not in supported[country]:
        raise InvalidValue(
            f"{subdivision!r} is not a subdivision of {country}; known: "
            + ", ".join(supported[country][:40])
        )


class BusinessCalendar:
    """Working time in one time zone. Immutable; safe to share between threads."""

    def __init__(
        self,
        timezone: str = "UTC",
        week: Mapping[int, Sequence[Sequence[int]]] | None = None,
        *,
        holiday_country: str | None = None,
        holiday_subdivision: str | None = None,
        custom_days: Iterable[CustomDay] = (),
        observe_workdays: bool = True,
    ) -> None:
        self.timezone = timezone
        self.tz = check_timezone(timezone)
        week = week if week is not None else {d: [(0, MINUTES_PER_DAY)] for d in range(7)}
        self.week: dict[int, tuple[Interval, ...]] = {
            d: normalise_intervals(week.get(d, ())) for d in range(7)
        }
        if not any(self.week.values()):
            raise InvalidValue("a business calendar needs working hours on at least one weekday")
        self.standard_hours = next(h for h in self.week.values() if h)
        check_holiday_region(holiday_country, holiday_subdivision)
        self.holiday_country = holiday_country
        self.holiday_subdivision = holiday_subdivision
        self.observe_workdays = observe_workdays
        self.custom: dict[date, CustomDay] = {}
        for custom in custom_days:
            hours = normalise_intervals(custom.hours) if custom.hours is not None else None
            if custom.open and hours == ():
                raise InvalidValue(f"open day {custom.day} needs working hours")
            self.custom[custom.day] = CustomDay(custom.day, custom.open, hours, custom.name)
        # Around the clock with no exceptions, business time is plain elapsed time (local days
        # tile real time without gaps, whatever DST does).
        self._always = (
            holiday_country is None
            and not self.custom
            and all(h == ((0, MINUTES_PER_DAY),) for h in self.week.values())
        )
        # The definition version it was built from (None for calendars made in code): tickets
        # remember it, so deadlines can follow edits of the calendar.
        self.version: int | None = None
        self._lock = threading.Lock()
        self._years: dict[int, tuple[dict[date, str], frozenset[date]]] = {}
        self._intervals: dict[date, tuple[tuple[datetime, datetime], ...]] = {}

    @classmethod
    def always(cls) -> BusinessCalendar:
        """24 hours a day, 7 days a week: business time equals elapsed time."""
        return cls("UTC")

    # -- days ------------------------------------------------------------------------------

    def _holiday_year(self, year: int) -> tuple[dict[date, str], frozenset[date]]:
        found = self._years.get(year)
        if found is not None:
            return found
        with self._lock:
            found = self._years.get(year)
            if found is None:
                if self.holiday_country is None:
                    found = ({}, frozenset())
                else:
                    table = holidays_lib.country_holidays(
                        self.holiday_country, subdiv=self.holiday_subdivision, years=year
                    )
                    names = {d: n for d, n in table.items() if d.year == year}
                    workdays = frozenset(
                        d for d in getattr(table, "weekend_workdays", ()) if d.year == year
                    )
                    found = (names, workdays)
                self._years[year] = found
        return found

    def day_info(self, day: date) -> DayInfo:
        """The working hours of ``day`` (local intervals) and why they are what they are."""
        custom = self.custom.get(day)
        if custom is not None:
            if not custom.open:
                return DayInfo(day, (), "custom_closed", custom.name)
            return DayInfo(day, custom.hours or self.standard_hours, "custom_open", custom.name)
        names, workdays = self._holiday_year(day.year)
        if day in names:
            return DayInfo(day, (), "holiday", names[day])
        hours = self.week[day.weekday()]
        if self.observe_workdays and day in workdays:
            return DayInfo(day, hours or self.standard_hours, "workday", "official working day")
        return DayInfo(day, hours, "weekday" if hours else "weekend")

    def intervals_on(self, day: date) -> tuple[tuple[datetime, datetime], ...]:
        """The working intervals of local date ``day`` as real UTC instants."""
        cached = self._intervals.get(day)
        if cached is not None:
            return cached
        spans = []
        for start, end in self.day_info(day).hours:
            a, b = self._instant(day, start), self._instant(day, end)
            if b > a:
                spans.append((a, b))
        result = tuple(spans)
        if len(self._intervals) > 20_000:
            self._intervals.clear()
        self._intervals[day] = result
        return result

    def _instant(self, day: date, minute: int) -> datetime:
        if minute == MINUTES_PER_DAY:
            day, minute = day + _DAY, 0
        wall = datetime.combine(day, time(minute // 60, minute % 60))
        first = wall.replace(tzinfo=self.tz, fold=0).astimezone(UTC)
        if first.astimezone(self.tz).replace(tzinfo=None) == wall:
            return first  # exists (if it exists twice, this is its first occurrence)
        # In a spring-forward gap: the first instant whose wall clock shows ``wall`` or later is
        # the transition itself, between the two candidate offsets' readings.
        other = wall.replace(tzinfo=self.tz, fold=1).astimezone(UTC)
        lo, hi = min(first, other), max(first, other)
        while hi - lo > timedelta(seconds=1):
            mid = lo + (hi - lo) / 2
            if mid.astimezone(self.tz).replace(tzinfo=None) >= wall:
                hi = mid
            else:
                lo = mid
        hi = hi.replace(microsecond=0)
        while hi.astimezone(self.tz).replace(tzinfo=None) < wall:
            hi += timedelta(seconds=1)
        return hi

    def local_date(self, t: datetime) -> date:
        """The calendar-local date of an instant."""
        return t.astimezone(self.tz).date()

    # -- arithmetic ------------------------------------------------------------------------

    def add(self, start: datetime, amount: timedelta) -> datetime:
        """The instant at which ``amount`` of business time has elapsed after ``start``."""
        _aware(start)
        if amount < _ZERO:
            raise InvalidValue("business time to add must not be negative")
        start = start.astimezone(UTC)
        if amount == _ZERO:
            return start
        if self._always:
            return start + amount
        remaining = amount
        day = self.local_date(start) - _DAY
        for _ in range(MAX_SEARCH_DAYS):
            for a, b in self.intervals_on(day):
                if b <= start:
                    continue
                begin = a if a > start else start
                available = b - begin
                if remaining <= available:
                    return begin + remaining
                remaining -= available
            day += _DAY
        raise NoWorkingTime(
            f"the calendar has no working time within {MAX_SEARCH_DAYS} days of {start}"
        )

    def add_minutes(self, start: datetime, minutes: int | float) -> datetime:
        """``add`` with an amount in minutes."""
        return self.add(start, timedelta(minutes=minutes))

    def between(self, a: datetime, b: datetime) -> timedelta:
        """Business time inside ``[a, b)``; negative when ``b`` is before ``a``."""
        _aware(a)
        _aware(b)
        a, b = a.astimezone(UTC), b.astimezone(UTC)
        if b < a:
            return -self.between(b, a)
        if self._always:
            return b - a
        total = _ZERO
        day, last = self.local_date(a) - _DAY, self.local_date(b) + _DAY
        while day <= last:
            for x, y in self.intervals_on(day):
                if y <= a or x >= b:
                    continue
                total += (y if y < b else b) - (x if x > a else a)
            day += _DAY
        return total

    def is_working(self, t: datetime) -> bool:
        """True when ``t`` falls inside working hours."""
        _aware(t)
        t = t.astimezone(UTC)
        day = self.local_date(t)
        return any(a <= t < b for d in (day - _DAY, day) for a, b in self.intervals_on(d))

    def next_working_instant(self, t: datetime) -> datetime:
        """``t`` itself when working, else the start of the next working interval."""
        _aware(t)
        t = t.astimezone(UTC)
        day = self.local_date(t) - _DAY
        for _ in range(MAX_SEARCH_DAYS):
            for a, b in self.intervals_on(day):
                if b > t:
                    return a if a > t else t
            day += _DAY
        raise NoWorkingTime(f"the calendar has no working time within {MAX_SEARCH_DAYS} days")

    def days(self, first: date, last: date) -> list[DayInfo]:
        """Day-by-day working hours from ``first`` to ``last`` inclusive."""
        out, day = [], first
        while day <= last:
            out.append(self.day_info(day))
            day += _DAY
        return out


def _aware(t: datetime) -> None:
    if t.tzinfo is None or t.utcoffset() is None:
        raise InvalidValue("instants must carry a time zone (UTC)")
