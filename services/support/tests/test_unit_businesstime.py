"""Business-time arithmetic across weekends, holidays, split shifts, DST and time zones."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from support_service.domain.businesstime import (
    BusinessCalendar,
    CustomDay,
    NoWorkingTime,
    parse_clock,
)
from support_service.domain.errors import InvalidValue
from support_service.domain.sla import SlaClock

pytestmark = pytest.mark.unit

BERLIN = ZoneInfo("Europe/Berlin")
SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")
H = timedelta(hours=1)


def nine_to_six(tz: str = "Europe/Berlin", **kw) -> BusinessCalendar:
    return BusinessCalendar(tz, {d: [(540, 1080)] for d in range(5)}, **kw)


def local(tz, *args) -> datetime:
    return datetime(*args, tzinfo=tz)


# -- weekends and hours ---------------------------------------------------------------------------


def test_adding_across_a_weekend_resumes_on_monday_morning():
    cal = nine_to_six()
    friday_5pm = local(BERLIN, 2026, 1, 16, 17, 0)
    assert cal.add(friday_5pm, 2 * H) == local(BERLIN, 2026, 1, 19, 10, 0)
    assert cal.between(friday_5pm, local(BERLIN, 2026, 1, 19, 10, 0)) == 2 * H


def test_a_start_outside_hours_counts_from_the_next_opening():
    cal = nine_to_six()
    saturday = local(BERLIN, 2026, 1, 17, 12, 0)
    assert cal.add(saturday, 30 * timedelta(minutes=1)) == local(BERLIN, 2026, 1, 19, 9, 30)
    early = local(BERLIN, 2026, 1, 19, 6, 0)
    assert cal.add(early, H) == local(BERLIN, 2026, 1, 19, 10, 0)
    assert cal.between(saturday, local(BERLIN, 2026, 1, 19, 9, 0)) == timedelta(0)


def test_an_amount_ending_exactly_at_closing_time_is_due_at_closing_time():
    cal = nine_to_six()
    assert cal.add(local(BERLIN, 2026, 1, 12, 9, 0), 9 * H) == local(BERLIN, 2026, 1, 12, 18, 0)


def test_split_shifts_skip_the_lunch_break():
    cal = BusinessCalendar("Asia/Shanghai", {d: [(540, 720), (780, 1080)] for d in range(5)})
    start = local(SHANGHAI, 2026, 3, 2, 11, 0)
    assert cal.add(start, 2 * H) == local(SHANGHAI, 2026, 3, 2, 14, 0)
    assert cal.between(local(SHANGHAI, 2026, 3, 2, 9, 0), local(SHANGHAI, 2026, 3, 3, 9, 0)) == (
        8 * H
    )


def test_overlapping_and_touching_intervals_are_joined():
    cal = BusinessCalendar("UTC", {0: [(600, 720), (540, 660), (720, 780)]})
    assert cal.week[0] == ((540, 780),)


def test_between_is_negative_when_the_end_comes_first():
    cal = nine_to_six()
    a, b = local(BERLIN, 2026, 1, 12, 10, 0), local(BERLIN, 2026, 1, 12, 12, 0)
    assert cal.between(b, a) == -2 * H


def test_results_are_exact_to_the_microsecond():
    cal = nine_to_six()
    start = local(BERLIN, 2026, 1, 12, 17, 59, 59, 999_999)
    result = cal.add(start, timedelta(microseconds=2))
    assert result == local(BERLIN, 2026, 1, 13, 9, 0, 0, 1)


# -- holidays and custom days ----------------------------------------------------------------------


def test_public_holidays_are_closed():
    cal = nine_to_six(holiday_country="DE", holiday_subdivision="BE")
    # 24 Dec 2025 is a Wednesday; 25 and 26 are holidays; the weekend follows.
    start = local(BERLIN, 2025, 12, 24, 17, 0)
    assert cal.add(start, 2 * H) == local(BERLIN, 2025, 12, 29, 10, 0)
    assert cal.day_info(date(2025, 12, 25)).reason == "holiday"


def test_subdivision_holidays_apply_only_there():
    berlin = nine_to_six(holiday_country="DE", holiday_subdivision="BE")
    bavaria = nine_to_six(holiday_country="DE", holiday_subdivision="BY")
    epiphany = date(2026, 1, 6)  # a holiday in Bavaria, not in Berlin
    assert bavaria.day_info(epiphany).reason == "holiday"
    assert berlin.day_info(epiphany).reason == "weekday"


def test_chinese_new_year_and_its_make_up_working_sunday():
    cal = BusinessCalendar(
        "Asia/Shanghai", {d: [(540, 1080)] for d in range(5)}, holiday_country="CN"
    )
    # 26 Jan 2025 (a Sunday) is an official working day; 28 Jan - 4 Feb are off.
    assert cal.day_info(date(2025, 1, 26)).reason == "workday"
    assert cal.day_info(date(2025, 1, 29)).reason == "holiday"
    friday_5pm = local(SHANGHAI, 2025, 1, 24, 17, 0)
    assert cal.add(friday_5pm, 10 * H) == local(SHANGHAI, 2025, 1, 26, 18, 0)
    assert cal.add(friday_5pm, 11 * H) == local(SHANGHAI, 2025, 1, 27, 10, 0)
    after_the_holiday = cal.add(local(SHANGHAI, 2025, 1, 27, 17, 0), 2 * H)
    assert after_the_holiday == local(SHANGHAI, 2025, 2, 5, 10, 0)
    plain = BusinessCalendar(
        "Asia/Shanghai",
        {d: [(540, 1080)] for d in range(5)},
        holiday_country="CN",
        observe_workdays=False,
    )
    assert plain.day_info(date(2025, 1, 26)).reason == "weekend"


def test_custom_closed_and_open_days():
    cal = nine_to_six(
        custom_days=[
            CustomDay(date(2026, 1, 13), open=False, name="Team offsite"),
            CustomDay(date(2026, 1, 17), open=True, hours=((600, 720),), name="Sale Saturday"),
            CustomDay(date(2026, 1, 18), open=True),
        ]
    )
    assert cal.add(local(BERLIN, 2026, 1, 12, 17, 0), 2 * H) == local(BERLIN, 2026, 1, 14, 10, 0)
    assert cal.day_info(date(2026, 1, 17)).hours == ((600, 720),)
    assert cal.day_info(date(2026, 1, 18)).hours == ((540, 1080),)  # standard hours
    friday_5pm = local(BERLIN, 2026, 1, 16, 17, 0)
    assert cal.add(friday_5pm, 3 * H) == local(BERLIN, 2026, 1, 17, 12, 0)


# -- time zones and DST ---------------------------------------------------------------------------


def test_instants_in_any_zone_mean_the_same():
    cal = nine_to_six("Asia/Shanghai")
    instant = local(SHANGHAI, 2026, 3, 2, 10, 0)
    same = instant.astimezone(NEW_YORK)
    assert cal.add(instant, 5 * H) == cal.add(same, 5 * H)
    assert cal.add(instant, 5 * H).tzinfo == UTC


def test_a_berlin_working_day_is_nine_real_hours_on_both_dst_change_days():
    cal = BusinessCalendar("Europe/Berlin", {d: [(540, 1080)] for d in range(7)})
    for day in (date(2026, 3, 29), date(2026, 10, 25)):  # the changes happen at night
        start = datetime.combine(day, datetime.min.time(), BERLIN)
        assert cal.between(start, start + timedelta(hours=30)) == 9 * H


def test_night_shifts_over_the_dst_changes_last_the_real_time_they_last():
    cal = BusinessCalendar("Europe/Berlin", {6: [(60, 240)]})  # Sundays 01:00-04:00
    spring, autumn = date(2026, 3, 29), date(2026, 10, 25)
    ((a, b),) = cal.intervals_on(spring)
    assert b - a == 2 * H  # 02:00-03:00 does not exist
    ((a, b),) = cal.intervals_on(autumn)
    assert b - a == 4 * H  # 02:00-03:00 happens twice
    start = datetime.combine(autumn, datetime.min.time(), BERLIN)
    assert cal.add(start, 4 * H) == local(BERLIN, 2026, 10, 25, 4, 0)


def test_a_shift_starting_inside_the_spring_gap_starts_when_the_clock_jumps():
    cal = BusinessCalendar("Europe/Berlin", {6: [(150, 240)]})  # 02:30-04:00
    ((a, b),) = cal.intervals_on(date(2026, 3, 29))
    assert a == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)  # 03:00 CEST, the jump
    assert b == datetime(2026, 3, 29, 2, 0, tzinfo=UTC)


def test_new_york_and_berlin_change_clocks_on_different_weekends():
    cal = nine_to_six("America/New_York")
    # 8 March 2026: US clocks spring forward; Monday 9:00 EDT is 13:00 UTC (was 14:00).
    friday_5pm = local(NEW_YORK, 2026, 3, 6, 17, 0)
    due = cal.add(friday_5pm, 2 * H)
    assert due == datetime(2026, 3, 9, 14, 0, tzinfo=UTC)
    assert due.astimezone(NEW_YORK).hour == 10


# -- guards ---------------------------------------------------------------------------------------


def test_bad_inputs_are_refused():
    cal = nine_to_six()
    with pytest.raises(InvalidValue):
        cal.add(datetime(2026, 1, 12, 9, 0), H)  # naive
    with pytest.raises(InvalidValue):
        cal.add(local(BERLIN, 2026, 1, 12, 9, 0), -H)
    with pytest.raises(InvalidValue):
        BusinessCalendar("Mars/Olympus", {0: [(540, 1080)]})
    with pytest.raises(InvalidValue):
        BusinessCalendar("UTC", {0: [(600, 540)]})
    with pytest.raises(InvalidValue):
        BusinessCalendar("UTC", {0: []})
    with pytest.raises(InvalidValue):
        nine_to_six(holiday_country="XX")
    with pytest.raises(InvalidValue):
        nine_to_six(holiday_country="DE", holiday_subdivision="ZZ")
    with pytest.raises(InvalidValue):
        parse_clock("25:00")
    assert parse_clock("24:00", allow_24=True) == 1440


def test_a_calendar_closed_for_years_says_so():
    days = [CustomDay(date(2026, 1, 1) + timedelta(days=i), open=False) for i in range(366 * 6)]
    cal = BusinessCalendar("UTC", {0: [(540, 1080)]}, custom_days=days)
    with pytest.raises(NoWorkingTime):
        cal.add(datetime(2026, 1, 1, tzinfo=UTC), H)


def test_working_time_queries():
    cal = nine_to_six()
    assert cal.is_working(local(BERLIN, 2026, 1, 12, 9, 0))
    assert not cal.is_working(local(BERLIN, 2026, 1, 12, 18, 0))
    saturday = local(BERLIN, 2026, 1, 17, 12, 0)
    assert cal.next_working_instant(saturday) == local(BERLIN, 2026, 1, 19, 9, 0)


def test_around_the_clock_is_elapsed_time_even_over_dst():
    cal = BusinessCalendar("Europe/Berlin")
    start = local(BERLIN, 2026, 3, 28, 12, 0)
    assert cal.add(start, 24 * H) - start == 24 * H
    assert BusinessCalendar.always().between(start, start + 5 * H) == 5 * H


# -- properties -----------------------------------------------------------------------------------

ZONES = ["Europe/Berlin", "Asia/Shanghai", "America/New_York", "Australia/Lord_Howe", "UTC"]


@st.composite
def calendars(draw):
    week = {}
    for day in range(7):
        spans = draw(
            st.lists(
                # Shifts of at least an hour keep the capacity sane for the amounts below.
                st.tuples(st.integers(0, 1380), st.integers(60, 600)).map(
                    lambda p: (p[0], min(1440, p[0] + p[1]))
                ),
                max_size=3,
            )
        )
        week[day] = spans
    assume(any(week.values()))
    country = draw(st.sampled_from([None, "DE", "CN", "US"]))
    custom = draw(
        st.lists(
            st.builds(
                lambda offset, is_open: CustomDay(
                    date(2026, 1, 1) + timedelta(days=offset), is_open
                ),
                st.integers(0, 120),
                st.booleans(),
            ),
            max_size=5,
            unique_by=lambda c: c.day,
        )
    )
    return BusinessCalendar(
        draw(st.sampled_from(ZONES)), week, holiday_country=country, custom_days=custom
    )


instants = st.datetimes(
    min_value=datetime(2025, 12, 1), max_value=datetime(2026, 6, 1), timezones=st.just(UTC)
)
amounts = st.integers(0, 60 * 24 * 5).map(lambda m: timedelta(minutes=m)) | st.integers(
    0, 10**10
).map(lambda us: timedelta(microseconds=us))
PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(calendars(), instants, amounts)
def test_adding_then_measuring_gives_back_the_amount(cal, start, amount):
    due = cal.add(start, amount)
    assert due >= start
    assert cal.between(start, due) == amount


@PROPERTY
@given(calendars(), instants, amounts, amounts)
def test_deadlines_grow_with_the_amount_and_compose(cal, start, a, b):
    first, both = cal.add(start, a), cal.add(start, a + b)
    assert first <= both
    assert cal.add(first, b) == both or (b == timedelta(0) and first == both)
    assert cal.between(start, both) == cal.between(start, first) + cal.between(first, both)


@PROPERTY
@given(calendars(), instants, st.integers(0, 10**6), amounts)
def test_later_starts_never_give_earlier_deadlines(cal, start, later_by, amount):
    later = start + timedelta(seconds=later_by)
    assert cal.add(start, amount) <= cal.add(later, amount)


@PROPERTY
@given(
    calendars(),
    instants,
    st.lists(st.integers(1, 3 * 24 * 3600), min_size=2, max_size=8),
    st.integers(30, 60 * 24 * 5),
)
def test_a_paused_clock_counts_only_the_running_stretches(cal, start, steps, minutes):
    """Alternate running and paused stretches: the clock holds exactly the business time of
    the running ones, and its deadline is where that budget runs out."""
    clock = SlaClock.start("resolution", minutes, start, cal, warning_percent=80)
    now, running_total = start, timedelta(0)
    for i, step in enumerate(steps):
        nxt = now + timedelta(seconds=step)
        if i % 2 == 0:
            running_total += cal.between(now, nxt)
            clock.pause(nxt, cal)
        else:
            clock.resume(nxt, cal)
        now = nxt
    assert clock.elapsed(cal, now) == running_total
    if clock.paused:
        clock.resume(now, cal)
    budget = timedelta(minutes=minutes)
    if running_total < budget:
        assert clock.due_at == cal.add(now, budget - running_total)
        assert cal.between(now, clock.due_at) == budget - running_total
