"""Business calendars: working days, business hours and business-time arithmetic. Plain Python.

A working day comes from the ``holidays`` package: statutory holidays are off, and make-up working days
(China moves weekends around its holidays) are on. Per-region overrides win over the package.

Business time is the time inside business hours (local time of the calendar's zone) on working days.
Each day's business interval is half-open, ``[opening, closing)``: an instant at closing time is not
business time. A due time that ends exactly at closing stays at closing (it is the honest deadline);
a zero duration from outside business hours moves forward to the next opening.

Coverage. The package does not know every year: outside a country's ``start_year..end_year`` it has
no holidays at all, and for regions whose working days are set by a yearly decree (China's State
Council notice) a year is only known when the package has that year's notice in its table of special
(substituted) holidays. For a year it does not cover, a calendar falls back to the package's weekend
(Saturday and Sunday for China) plus the overrides, and logs a warning once per region and year.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

logger = logging.getLogger("inventory.calendars")

DECREED_REGIONS = frozenset({"CN"})
"""Countries whose holidays and make-up working days are published year by year: a year is covered
only if the package holds that year's notice."""

MAX_DAYS_WITHOUT_WORK = 366
"""Search limit for the next working day; more consecutive days off means the overrides are wrong."""

_warned: set[tuple[str, int]] = set()
_warned_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class BusinessHours:
    """Daily opening and closing time, local to the calendar's time zone."""

    start: time = time(9)
    end: time = time(18)

    def __post_init__(self) -> None:
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("business hours are local wall-clock times without a time zone")
        if self.start >= self.end:
            raise ValueError(f"business hours must open before they close, got {self.start}-{self.end}")


@dataclass(frozen=True, slots=True)
class CalendarOverrides:
    """Extra days off and extra (make-up) working days for one region; they win over the package."""

    holidays: frozenset[date] = frozenset()
    working_days: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        if clash := self.holidays & self.working_days:
            raise ValueError(f"days both off and working: {sorted(clash)}")


def to_utc(value: datetime, name: str) -> datetime:
    """``value`` in UTC.

    Raises:
        ValueError: ``value`` is naive (its name is in the message).
    """
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {value!r}")
    return value.astimezone(UTC)


class BusinessCalendar:
    """Working days and business hours of one region in one time zone.

    Args:
        region: an ISO 3166-1 country code the ``holidays`` package knows (``"CN"``), optionally with a
            subdivision (``"US-CA"``); case-insensitive.
        timezone: an IANA zone name or a ``ZoneInfo``.
        hours: daily business hours, local time.
        overrides: extra days off and extra working days; they win over the package.

    Raises:
        ValueError: an unknown region, subdivision or time zone.
    """

    __slots__ = ("_holidays", "_lock", "_years", "hours", "overrides", "region", "timezone")

    def __init__(
        self,
        region: str,
        timezone: str | ZoneInfo,
        *,
        hours: BusinessHours = BusinessHours(),
        overrides: CalendarOverrides = CalendarOverrides(),
    ) -> None:
        self.region = region.strip().upper()
        country, _, subdiv = self.region.partition("-")
        try:
            self._holidays = holidays.country_holidays(country, subdiv=subdiv or None)
        except NotImplementedError as error:
            raise ValueError(f"unknown region {region!r}: {error}") from None
        try:
            self.timezone = timezone if isinstance(timezone, ZoneInfo) else ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {timezone!r}: {error}") from None
        self.hours = hours
        self.overrides = overrides
        self._years: dict[int, tuple[bool, frozenset[date]]] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"BusinessCalendar({self.region!r}, {self.timezone.key!r}, hours={self.hours!r})"

    def covers(self, year: int) -> bool:
        """Whether the ``holidays`` package has real data for ``year`` in this region."""
        return self._year(year)[0]

    def is_working_day(self, day: date) -> bool:
        """Whether ``day`` is a working day: overrides first, then the package, else the weekend rule."""
        if day in self.overrides.working_days:
            return True
        if day in self.overrides.holidays:
            return False
        return day not in self._year(day.year)[1]

    def next_business_day(self, day: date) -> date:
        """The first working day strictly after ``day``."""
        return next(self._working_days_from(day + timedelta(days=1)))

    def opening_on(self, day: date) -> datetime:
        """Opening time of working day ``day``, aware in the calendar's zone.

        Raises:
            ValueError: ``day`` is not a working day.
        """
        self._require_working_day(day)
        return datetime.combine(day, self.hours.start, tzinfo=self.timezone)

    def closing_on(self, day: date) -> datetime:
        """Closing time of working day ``day``, aware in the calendar's zone.

        Raises:
            ValueError: ``day`` is not a working day.
        """
        self._require_working_day(day)
        return datetime.combine(day, self.hours.end, tzinfo=self.timezone)

    def is_business_time(self, at: datetime) -> bool:
        """Whether ``at`` falls in business hours of a working day (opening inclusive, closing not)."""
        at = to_utc(at, "at")
        local = at.astimezone(self.timezone)
        if not self.is_working_day(local.date()):
            return False
        opening, closing = self._interval(local.date())
        return opening <= at < closing

    def add_business_time(self, start: datetime, duration: timedelta) -> datetime:
        """The instant when ``duration`` of business time has elapsed since ``start``, in UTC.

        Counting begins at ``start`` if it is business time, else at the next opening. A result exactly
        at closing time stays there; a zero duration returns ``start`` moved forward to the next
        business moment (``start`` itself during business hours).

        Raises:
            ValueError: a naive ``start`` or a negative ``duration``.
        """
        moment = to_utc(start, "start")
        if duration < timedelta(0):
            raise ValueError(f"duration must not be negative, got {duration}")
        remaining = duration
        days = self._working_days_from(moment.astimezone(self.timezone).date())
        while True:
            opening, closing = self._interval(next(days))
            moment = max(moment, opening)
            if moment >= closing:
                continue
            if remaining <= closing - moment:
                return moment + remaining
            remaining -= closing - moment

    def business_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Business time elapsed from ``start`` to ``end``; zero if ``end`` is not after ``start``.

        Raises:
            ValueError: a naive ``start`` or ``end``.
        """
        start, end = to_utc(start, "start"), to_utc(end, "end")
        if end <= start:
            return timedelta(0)
        first = start.astimezone(self.timezone).date()
        last = end.astimezone(self.timezone).date()
        total = timedelta(0)
        for offset in range((last - first).days + 1):
            day = first + timedelta(days=offset)
            if self.is_working_day(day):
                opening, closing = self._interval(day)
                overlap = min(closing, end) - max(opening, start)
                total += max(overlap, timedelta(0))
        return total

    def _interval(self, day: date) -> tuple[datetime, datetime]:
        """Business interval of ``day`` in UTC, whether or not it is a working day."""
        return (
            datetime.combine(day, self.hours.start, tzinfo=self.timezone).astimezone(UTC),
            datetime.combine(day, self.hours.end, tzinfo=self.timezone).astimezone(UTC),
        )

    def _working_days_from(self, day: date) -> Iterator[date]:
        """Working days from ``day`` inclusive, in order, without end."""
        idle = 0
        while True:
            if self.is_working_day(day):
                idle = 0
                yield day
            else:
                idle += 1
                if idle > MAX_DAYS_WITHOUT_WORK:
                    raise ValueError(f"{self.region} has no working day in {idle} days before {day}")
            day += timedelta(days=1)

    def _require_working_day(self, day: date) -> None:
        if not self.is_working_day(day):
            raise ValueError(f"{day} is not a working day in {self.region}")

    def _year(self, year: int) -> tuple[bool, frozenset[date]]:
        """Whether the package covers ``year``, and the year's days off before overrides."""
        if year not in self._years:
            with self._lock:
                if year not in self._years:
                    self._years[year] = self._load_year(year)
        return self._years[year]

    def _load_year(self, year: int) -> tuple[bool, frozenset[date]]:
        covered = _package_covers(self._holidays, year)
        if not covered:
            _warn_uncovered(self.region, year)
        first = date(year, 1, 1)
        days = [first + timedelta(days=offset) for offset in range((date(year + 1, 1, 1) - first).days)]
        if covered:
            return True, frozenset(day for day in days if not self._holidays.is_working_day(day))
        return False, frozenset(day for day in days if self._holidays.is_weekend(day))


def _package_covers(entity: holidays.HolidayBase, year: int) -> bool:
    """Whether the package has real data for ``year``: inside the entity's years and, for a decreed
    region, inside the years of the notices in its table of special holidays."""
    if not entity.start_year <= year <= entity.end_year:
        return False
    if entity.country not in DECREED_REGIONS:
        return True
    published = getattr(entity, "special_public_holidays", None) or {}
    return bool(published) and min(published) <= year <= max(published)


def _warn_uncovered(region: str, year: int) -> None:
    with _warned_lock:
        if (region, year) in _warned:
            return
        _warned.add((region, year))
    logger.warning(
        "the holidays package has no calendar for %s in %d: every weekday counts as working, overrides apply",
        region,
        year,
        extra={"region": region, "year": year},
    )


_overrides_in_use: ContextVar[Mapping[str, CalendarOverrides]] = ContextVar(
    "spareline_calendar_overrides", default=MappingProxyType({})
)


@contextmanager
def using_overrides(overrides: Mapping[str, CalendarOverrides]) -> Iterator[None]:
    """Make ``overrides`` (per region code) the ones `calendar_for` applies by default in this context
    (and in tasks started in it) until the block ends: an application's, for its requests and
    background tasks. Outside any such block, no overrides apply."""
    token = _overrides_in_use.set(
        MappingProxyType({code.strip().upper(): value for code, value in overrides.items()})
    )
    try:
        yield
    finally:
        _overrides_in_use.reset(token)


def parse_overrides(document: Mapping[str, Mapping[str, list[str]]]) -> dict[str, CalendarOverrides]:
    """Overrides from ``{"CN": {"holidays": ["2027-01-01"], "working_days": ["2027-02-07"]}}``.

    Raises:
        ValueError: an unknown key or a malformed date.
    """
    parsed = {}
    for code, days in document.items():
        unknown = set(days) - {"holidays", "working_days"}
        if unknown:
            raise ValueError(f"unknown calendar override keys for {code}: {sorted(unknown)}")
        parsed[code.strip().upper()] = CalendarOverrides(
            holidays=frozenset(date.fromisoformat(day) for day in days.get("holidays", [])),
            working_days=frozenset(date.fromisoformat(day) for day in days.get("working_days", [])),
        )
    return parsed


def calendar_for(
    region: str,
    timezone: str,
    overrides: Mapping[str, CalendarOverrides] | None = None,
) -> BusinessCalendar:
    """A shared calendar for ``region`` in ``timezone``, cached with its overrides.

    Args:
        region: the region code, as for `BusinessCalendar`.
        timezone: an IANA zone name.
        overrides: overrides per region code (upper case); only the entry for ``region`` is used.
            Default: those in use in this context (`using_overrides`).
    """
    code = region.strip().upper()
    chosen = _overrides_in_use.get() if overrides is None else overrides
    return _cached_calendar(code, timezone, chosen.get(code, CalendarOverrides()))


@functools.lru_cache(maxsize=256)
def _cached_calendar(region: str, timezone: str, overrides: CalendarOverrides) -> BusinessCalendar:
    return BusinessCalendar(region, timezone, overrides=overrides)


__all__ = [
    "BusinessCalendar",
    "BusinessHours",
    "CalendarOverrides",
    "calendar_for",
    "parse_overrides",
    "to_utc",
    "using_overrides",
]
