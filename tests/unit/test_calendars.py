"""Business calendars: China's working days, business-time arithmetic and the coverage fallback."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inventory import calendars
from inventory.calendars import BusinessCalendar, BusinessHours, CalendarOverrides, calendar_for

SHANGHAI = ZoneInfo("Asia/Shanghai")
CN = BusinessCalendar("CN", "Asia/Shanghai")
DE = BusinessCalendar("DE", "Europe/Berlin")


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture
def fresh_warnings(monkeypatch):
    monkeypatch.setattr(calendars, "_warned", set())


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 9, 18), True),  # Friday
        (date(2026, 9, 19), False),  # Saturday
        (date(2026, 9, 20), True),  # Sunday, make-up working day for National Day
        (date(2026, 9, 25), False),  # Mid-Autumn Festival, a Friday
        (date(2026, 9, 30), True),
        *[(date(2026, 10, d), False) for d in range(1, 8)],  # National Day week
        (date(2026, 10, 8), True),
        (date(2026, 10, 10), True),  # Saturday, make-up working day
        (date(2026, 10, 11), False),
        (date(2026, 1, 1), False),
        (date(2026, 2, 14), True),  # Saturday, make-up for the Spring Festival
        (date(2026, 2, 17), False),  # Spring Festival
        (date(2026, 11, 21), False),  # an ordinary Saturday
    ],
)
def test_china_2026_working_days(day, working):
    assert CN.is_working_day(day) is working


def test_overrides_win_over_the_package():
    overrides = CalendarOverrides(
        holidays=frozenset({date(2026, 11, 24), date(2026, 9, 20)}),
        working_days=frozenset({date(2026, 10, 3)}),
    )
    calendar = BusinessCalendar("cn", SHANGHAI, overrides=overrides)
    assert calendar.region == "CN"
    assert not calendar.is_working_day(date(2026, 11, 24))
    assert not calendar.is_working_day(date(2026, 9, 20))
    assert calendar.is_working_day(date(2026, 10, 3))
    assert calendar.next_business_day(date(2026, 9, 18)) == date(2026, 9, 21)


def test_other_countries_come_from_the_package():
    us = BusinessCalendar("US-CA", "America/Los_Angeles")
    assert not us.is_working_day(date(2026, 7, 3))  # Independence Day falls on Saturday: observed Friday
    assert us.is_working_day(date(2026, 7, 6))


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: BusinessCalendar("XX", "UTC"), "unknown region"),
        (lambda: BusinessCalendar("CN-ZZ", "UTC"), "unknown region"),
        (lambda: BusinessCalendar("CN", "Mars/Olympus"), "unknown time zone"),
        (lambda: BusinessHours(time(18), time(9)), "open before"),
        (lambda: BusinessHours(time(9, tzinfo=UTC), time(18)), "without a time zone"),
        (lambda: CalendarOverrides(frozenset({date(2026, 1, 5)}), frozenset({date(2026, 1, 5)})), "both"),
        (lambda: CN.add_business_time(datetime(2026, 9, 18, 10), timedelta(hours=1)), "timezone-aware"),
        (lambda: CN.add_business_time(sh(2026, 9, 18, 10), timedelta(hours=-1)), "negative"),
        (lambda: CN.business_time_between(sh(2026, 9, 18, 10), datetime(2026, 9, 18, 11)), "aware"),
        (lambda: CN.is_business_time(datetime(2026, 9, 18, 10)), "aware"),
        (lambda: CN.opening_on(date(2026, 10, 1)), "not a working day"),
        (lambda: CN.closing_on(date(2026, 9, 19)), "not a working day"),
    ],
)
def test_bad_input_raises_value_error(make, message):
    with pytest.raises(ValueError, match=message):
        make()


@pytest.mark.parametrize(
    ("day", "following"),
    [
        (date(2026, 9, 18), date(2026, 9, 20)),
        (date(2026, 9, 20), date(2026, 9, 21)),
        (date(2026, 9, 30), date(2026, 10, 8)),
        (date(2026, 10, 3), date(2026, 10, 8)),
        (date(2026, 10, 9), date(2026, 10, 10)),
        (date(2026, 10, 10), date(2026, 10, 12)),
        (date(2026, 11, 20), date(2026, 11, 23)),
    ],
)
def test_next_business_day(day, following):
    assert CN.next_business_day(day) == following


@pytest.mark.parametrize(
    ("start", "duration", "due"),
    [
        (sh(2026, 11, 24, 10), timedelta(hours=1), sh(2026, 11, 24, 11)),
        (sh(2026, 11, 24, 7), timedelta(hours=1), sh(2026, 11, 24, 10)),  # before opening
        (sh(2026, 11, 24, 17), timedelta(hours=1), sh(2026, 11, 24, 18)),  # ends at closing: stays
        (sh(2026, 11, 24, 16, 30), timedelta(hours=4), sh(2026, 11, 25, 11, 30)),
        (sh(2026, 11, 20, 17), timedelta(hours=2), sh(2026, 11, 23, 10)),  # across a weekend
        (sh(2026, 11, 21, 12), timedelta(hours=1), sh(2026, 11, 23, 10)),  # from a Saturday
        (sh(2026, 9, 18, 16, 30), timedelta(hours=4), sh(2026, 9, 20, 11, 30)),  # Sunday make-up day
        (sh(2026, 9, 30, 16), timedelta(hours=4), sh(2026, 10, 8, 11)),  # over National Day
        (sh(2026, 10, 9, 17), timedelta(hours=8), sh(2026, 10, 10, 16)),  # Saturday make-up day
        (sh(2026, 9, 25, 16, 30), timedelta(hours=48), sh(2026, 10, 10, 12)),  # 48 h, 2 holidays
        (sh(2026, 11, 24, 18), timedelta(0), sh(2026, 11, 25, 9)),  # zero at closing: next opening
        (sh(2026, 11, 24, 10), timedelta(0), sh(2026, 11, 24, 10)),
        (sh(2026, 11, 21, 10), timedelta(0), sh(2026, 11, 23, 9)),
        (datetime(2026, 11, 24, 1, tzinfo=UTC), timedelta(minutes=90), sh(2026, 11, 24, 10, 30)),
    ],
)
def test_add_business_time(start, duration, due):
    result = CN.add_business_time(start, duration)
    assert result == due
    assert result.tzinfo is UTC
    assert CN.business_time_between(start, result) == duration


def test_business_time_between():
    assert CN.business_time_between(sh(2026, 11, 24, 12), sh(2026, 11, 24, 11)) == timedelta(0)
    assert CN.business_time_between(sh(2026, 11, 20, 17), sh(2026, 11, 23, 10)) == timedelta(hours=2)
    assert CN.business_time_between(sh(2026, 9, 30, 8), sh(2026, 10, 8, 20)) == timedelta(hours=18)
    assert CN.business_time_between(sh(2026, 11, 21, 8), sh(2026, 11, 22, 20)) == timedelta(0)


def test_business_time_across_a_daylight_saving_change():
    berlin = ZoneInfo("Europe/Berlin")
    friday, monday = datetime(2026, 3, 27, 17, tzinfo=berlin), datetime(2026, 3, 30, 10, tzinfo=berlin)
    assert DE.business_time_between(friday, monday) == timedelta(hours=2)
    assert DE.add_business_time(friday, timedelta(hours=2)) == monday
    assert DE.closing_on(date(2026, 3, 30)) - DE.opening_on(date(2026, 3, 30)) == timedelta(hours=9)


def test_is_business_time_is_half_open():
    assert CN.is_business_time(sh(2026, 11, 24, 9))
    assert CN.is_business_time(sh(2026, 11, 24, 17, 59, 59))
    assert not CN.is_business_time(sh(2026, 11, 24, 18))
    assert not CN.is_business_time(sh(2026, 11, 24, 8, 59))
    assert not CN.is_business_time(sh(2026, 10, 2, 10))
    assert CN.is_business_time(sh(2026, 9, 20, 10))
    assert CN.is_business_time(datetime(2026, 11, 24, 2, tzinfo=UTC))


def test_opening_and_closing_are_local():
    assert CN.opening_on(date(2026, 9, 20)) == sh(2026, 9, 20, 9)
    assert CN.closing_on(date(2026, 9, 20)) == sh(2026, 9, 20, 18)
    assert CN.opening_on(date(2026, 9, 20)).tzinfo == SHANGHAI
    late = BusinessCalendar("CN", SHANGHAI, hours=BusinessHours(time(8, 30), time(20)))
    assert late.add_business_time(sh(2026, 11, 24, 19), timedelta(hours=2)) == sh(2026, 11, 25, 9, 30)


def test_an_uncovered_year_falls_back_to_weekdays_and_warns_once(caplog, fresh_warnings):
    assert CN.covers(2026)
    calendar = BusinessCalendar("CN", SHANGHAI, overrides=CalendarOverrides(frozenset({date(2027, 1, 4)})))
    with caplog.at_level(logging.WARNING, logger="inventory.calendars"):
        assert calendar.is_working_day(date(2027, 1, 1))  # New Year's Day: not known for 2027 yet
        assert not calendar.is_working_day(date(2027, 1, 2))
        assert not calendar.is_working_day(date(2027, 1, 4))  # the override still applies
        assert calendar.next_business_day(date(2027, 1, 1)) == date(2027, 1, 5)
        assert not BusinessCalendar("CN", "Asia/Urumqi").covers(2027)
        assert not BusinessCalendar("US", "UTC").covers(2101)
    assert not calendar.covers(2027)
    warnings = [(r.region, r.year) for r in caplog.records if r.name == "inventory.calendars"]
    assert warnings == [("CN", 2027), ("US", 2101)]
    assert all(r.levelno == logging.WARNING for r in caplog.records)


def test_coverage_follows_the_published_notices(fresh_warnings):
    assert [year for year in range(1999, 2029) if CN.covers(year)] == list(range(2001, 2027))
    assert BusinessCalendar("US", "UTC").covers(2027)


def test_the_factory_caches_per_region_zone_and_overrides():
    extra = {"CN": CalendarOverrides(holidays=frozenset({date(2026, 11, 24)}))}
    assert calendar_for("CN", "Asia/Shanghai") is calendar_for("cn", "Asia/Shanghai")
    assert calendar_for("CN", "Asia/Shanghai", extra) is calendar_for("CN", "Asia/Shanghai", dict(extra))
    assert calendar_for("CN", "Asia/Shanghai", extra) is not calendar_for("CN", "Asia/Shanghai")
    assert not calendar_for("CN", "Asia/Shanghai", extra).is_working_day(date(2026, 11, 24))
    assert calendar_for("CN", "Asia/Shanghai", {"DE": CalendarOverrides()}) is calendar_for(
        "CN", "Asia/Shanghai"
    )


CALENDARS = st.sampled_from([CN, DE])
INSTANTS = st.datetimes(datetime(2026, 1, 1), datetime(2026, 11, 30), timezones=st.just(UTC))
DURATIONS = st.timedeltas(timedelta(0), timedelta(hours=60)).map(lambda d: d - d % timedelta(seconds=1))


@settings(max_examples=150, deadline=None)
@given(calendar=CALENDARS, start=INSTANTS, duration=DURATIONS)
def test_business_time_round_trips(calendar, start, duration):
    due = calendar.add_business_time(start, duration)
    assert calendar.business_time_between(start, due) == duration
    assert due >= start + duration


@settings(max_examples=150, deadline=None)
@given(calendar=CALENDARS, start=INSTANTS, duration=DURATIONS)
def test_due_times_fall_in_business_hours(calendar, start, duration):
    due = calendar.add_business_time(start, duration)
    day = due.astimezone(calendar.timezone).date()
    assert calendar.is_working_day(day)
    assert calendar.opening_on(day) <= due <= calendar.closing_on(day)
    if duration == timedelta(0):
        assert calendar.is_business_time(due)


@settings(max_examples=100, deadline=None)
@given(calendar=CALENDARS, start=INSTANTS, first=DURATIONS, second=DURATIONS)
def test_business_time_is_monotonic_and_additive(calendar, start, first, second):
    shorter, longer = sorted((first, second))
    assert calendar.add_business_time(start, shorter) <= calendar.add_business_time(start, longer)
    if second > timedelta(0):
        assert calendar.add_business_time(calendar.add_business_time(start, first), second) == (
            calendar.add_business_time(start, first + second)
        )


@settings(max_examples=100, deadline=None)
@given(calendar=CALENDARS, start=INSTANTS, middle=INSTANTS, end=INSTANTS)
def test_business_time_between_adds_up(calendar, start, middle, end):
    start, middle, end = sorted((start, middle, end))
    assert calendar.business_time_between(start, end) == (
        calendar.business_time_between(start, middle) + calendar.business_time_between(middle, end)
    )
