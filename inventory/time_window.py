"""Sensible windows for the times and dates people enter: a record must not be dated where no real event
can lie (a fault reported in year 1, a destruction in 2999, a plan for 9999-12-31).

The bounds are parameters (the service reads them from its settings); the rules take ``now``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from inventory.errors import InvalidRequest


@dataclass(frozen=True, slots=True)
class TimeBounds:
    """How far from now an entered time or date may lie."""

    clock_skew: timedelta = timedelta(minutes=5)
    """A reported time may be this far in the future (clocks of phones and PCs drift)."""
    report_max_age: timedelta = timedelta(days=60)
    """A reported time (a fault report, a ticket or custody event, a destruction) may be this old."""
    plan_days_back: int = 7
    plan_days_ahead: int = 60
    """A route plan may be for a day this many days before or after today."""
    earliest_acceptance: date = date(1970, 1, 1)
    """The earliest acceptance date of an installed asset."""
    inspection_years_ahead: int = 10
    """An inspection may fall due at most this many years ahead (and at most one year ago)."""


def check_reported_time(field: str, value: datetime, *, now: datetime, bounds: TimeBounds) -> None:
    """A reported time lies between ``report_max_age`` ago and ``clock_skew`` ahead.

    Raises:
        InvalidRequest: naming ``field`` and the allowed range.
    """
    _check(field, value, now - bounds.report_max_age, now + bounds.clock_skew)


def check_plan_day(field: str, value: date, *, today: date, bounds: TimeBounds) -> None:
    """A plan's day lies within ``plan_days_back`` before and ``plan_days_ahead`` after today."""
    _check(
        field,
        value,
        today - timedelta(days=bounds.plan_days_back),
        today + timedelta(days=bounds.plan_days_ahead),
    )


def check_acceptance_day(field: str, value: date, *, today: date, bounds: TimeBounds) -> None:
    """An asset was accepted on a day between ``earliest_acceptance`` and tomorrow (time zones)."""
    _check(field, value, bounds.earliest_acceptance, today + timedelta(days=1))


def check_inspection_day(field: str, value: date, *, today: date, bounds: TimeBounds) -> None:
    """An inspection falls due between a year ago and ``inspection_years_ahead`` years ahead."""
    _check(
        field,
        value,
        today - timedelta(days=366),
        today + timedelta(days=366 * bounds.inspection_years_ahead),
    )


def _check(field: str, value: date, earliest: date, latest: date) -> None:
    if not earliest <= value <= latest:
        raise InvalidRequest(
            f"{field} must lie between {_shown(earliest)} and {_shown(latest)}",
            field=field,
            earliest=earliest.isoformat(),
            latest=latest.isoformat(),
        )


def _shown(value: date) -> str:
    if isinstance(value, datetime):
        return value.isoformat(timespec="minutes")
    return value.isoformat()


__all__ = [
    "TimeBounds",
    "check_acceptance_day",
    "check_inspection_day",
    "check_plan_day",
    "check_reported_time",
]
