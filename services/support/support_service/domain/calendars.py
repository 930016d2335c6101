"""Business calendar definitions as users edit them, and the calendars built from them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from support_service.domain.businesstime import (
    WEEKDAYS,
    BusinessCalendar,
    CustomDay,
    check_holiday_region,
    check_timezone,
    format_clock,
    normalise_intervals,
    parse_clock,
)
from support_service.domain.errors import InvalidValue

MAX_CUSTOM_DAYS = 2000
FIELDS = (
    "name",
    "description",
    "timezone",
    "hours",
    "holiday_country",
    "holiday_subdivision",
    "observe_workdays",
    "custom_days",
    "customer_countries",
    "is_default",
)


def parse_hours(hours: dict[str, list[dict[str, str]]]) -> dict[int, tuple[tuple[int, int], ...]]:
    """``{"mon": [{"start": "09:00", "end": "12:00"}, ...], ...}`` → intervals per weekday."""
    unknown = set(hours) - set(WEEKDAYS)
    if unknown:
        raise InvalidValue(f"weekdays are {', '.join(WEEKDAYS)}; got {', '.join(sorted(unknown))}")
    return {
        WEEKDAYS.index(day): normalise_intervals(_interval(span) for span in spans or ())
        for day, spans in hours.items()
    }


def _interval(span: dict[str, str]) -> tuple[int, int]:
    return parse_clock(span["start"]), parse_clock(span["end"], allow_24=True)


def render_hours(week: dict[int, tuple[tuple[int, int], ...]]) -> dict[str, list[dict[str, str]]]:
    """Intervals per weekday as the API shows them."""
    return {
        WEEKDAYS[d]: [
            {"start": format_clock(s), "end": format_clock(e)} for s, e in week.get(d, ())
        ]
        for d in range(7)
    }


@dataclass(eq=False)
class CalendarDefinition:
    id: str
    name: str
    timezone: str = "UTC"
    week: dict[int, tuple[tuple[int, int], ...]] = field(default_factory=dict)
    holiday_country: str | None = None
    holiday_subdivision: str | None = None
    observe_workdays: bool = True
    custom_days: list[CustomDay] = field(default_factory=list)
    customer_countries: list[str] = field(default_factory=list)
    is_default: bool = False
    description: str | None = None
    version: int = 1
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @classmethod
    def create(cls, data: dict[str, Any], *, now: datetime) -> CalendarDefinition:
        """A calendar definition from API data (validated by building it)."""
        definition = cls(id=str(uuid.uuid4()), name="", created_at=now, updated_at=now)
        if "hours" not in data:
            raise InvalidValue("a business calendar needs its working hours per weekday")
        definition.apply(data, now=now)
        return definition

    def apply(self, data: dict[str, Any], *, now: datetime) -> list[str]:
        """Change fields; the result must still build into a working calendar."""
        unknown = set(data) - set(FIELDS)
        if unknown:
            raise InvalidValue(f"cannot set {', '.join(sorted(unknown))} on a calendar")
        changed = []
        for key, value in data.items():
            if key == "hours":
                key, value = "week", parse_hours(value)
            elif key == "custom_days":
                value = _custom_days(value)
            elif key == "timezone":
                check_timezone(value)
            elif key == "customer_countries":
                value = sorted({c.upper() for c in value or ()})
                if any(len(c) != 2 or not c.isalpha() for c in value):
                    raise InvalidValue("customer_countries are ISO 3166 alpha-2 codes")
            elif key == "holiday_country" and value is not None:
                value = value.upper()
            if getattr(self, key) != value:
                setattr(self, key, value)
                changed.append("hours" if key == "week" else key)
        if not (self.name or "").strip():
            raise InvalidValue("a business calendar needs a name")
        check_holiday_region(self.holiday_country, self.holiday_subdivision)
        self.build()  # refuses what cannot work (no working hours at all, bad zone, ...)
        if changed:
            self.updated_at = now
        return changed

    def build(self) -> BusinessCalendar:
        """The BusinessCalendar this definition describes."""
        calendar = BusinessCalendar(
            self.timezone,
            self.week,
            holiday_country=self.holiday_country,
            holiday_subdivision=self.holiday_subdivision,
            custom_days=self.custom_days,
            observe_workdays=self.observe_workdays,
        )
        calendar.version = self.version
        return calendar

    def custom_days_dicts(self) -> list[dict[str, Any]]:
        return [
            {
                "date": c.day.isoformat(),
                "open": c.open,
                "hours": (
                    [{"start": format_clock(s), "end": format_clock(e)} for s, e in c.hours]
                    if c.hours is not None
                    else None
                ),
                "name": c.name,
            }
            for c in sorted(self.custom_days, key=lambda c: c.day)
        ]


def _custom_days(items) -> list[CustomDay]:
    items = list(items or ())
    if len(items) > MAX_CUSTOM_DAYS:
        raise InvalidValue(f"at most {MAX_CUSTOM_DAYS} custom days")
    out: dict[date, CustomDay] = {}
    for item in items:
        day = item["date"]
        if isinstance(day, str):
            try:
                day = date.fromisoformat(day)
            except ValueError:
                raise InvalidValue(f"{day!r} is not a date like 2026-10-01") from None
        if day in out:
            raise InvalidValue(f"{day} is listed twice in custom_days")
        is_open = bool(item.get("open", False))
        hours = item.get("hours")
        if hours is not None:
            if not is_open:
                raise InvalidValue(f"{day}: only open days have hours")
            hours = normalise_intervals(_interval(span) for span in hours)
        out[day] = CustomDay(day, is_open, hours, item.get("name"))
    return sorted(out.values(), key=lambda c: c.day)
