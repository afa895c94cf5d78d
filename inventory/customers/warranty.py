"""Warranty arithmetic: the end of an asset's warranty and its coverage phase on a day. Plain Python.

The warranty runs for a number of years from full acceptance and is extended by the downtime of
faults the user did not cause. After it ends, years 1-3 bring free repair labour with parts at cost,
years 4-10 travel, lodging and parts at cost with no repair fee; after that nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from inventory.calendars import to_utc

PARTS_ONLY_YEARS = 3
COSTS_ONLY_YEARS = 10
_DAY = timedelta(days=1)


class CoveragePhase(StrEnum):
    IN_WARRANTY = "in_warranty"
    POST_WARRANTY_PARTS_ONLY = "post_warranty_parts_only"
    POST_WARRANTY_COSTS_ONLY = "post_warranty_costs_only"
    EXPIRED = "expired"


class PartsCharge(StrEnum):
    """What a replacement part costs the customer: nothing in warranty, its cost after."""

    FREE = "free"
    AT_COST = "at_cost"


_PARTS_CHARGE = {
    CoveragePhase.IN_WARRANTY: PartsCharge.FREE,
    CoveragePhase.POST_WARRANTY_PARTS_ONLY: PartsCharge.AT_COST,
    CoveragePhase.POST_WARRANTY_COSTS_ONLY: PartsCharge.AT_COST,
}


@dataclass(frozen=True, slots=True)
class Downtime:
    """A fault from its report to its restore; ``ended_at`` is None while it is not restored."""

    started_at: datetime
    ended_at: datetime | None
    user_caused: bool

    def __post_init__(self) -> None:
        started_at = to_utc(self.started_at, "started_at")
        if self.ended_at is not None and to_utc(self.ended_at, "ended_at") < started_at:
            raise ValueError(f"downtime ends before it starts: {self.started_at} > {self.ended_at}")


@dataclass(frozen=True, slots=True)
class Coverage:
    end: date
    phase: CoveragePhase


def add_years(day: date, years: int) -> date:
    """``day`` plus ``years`` calendar years; February 29 becomes February 28 in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def total_downtime(downtimes: Iterable[Downtime], *, as_of: datetime | None = None) -> timedelta:
    """Downtime of faults not caused by the user, overlaps counted once.

    Args:
        downtimes: the asset's downtimes.
        as_of: the end of every open downtime; an open one that starts later counts nothing.

    Raises:
        ValueError: an open downtime without ``as_of``, or a naive ``as_of``.
    """
    now = None if as_of is None else to_utc(as_of, "as_of")
    intervals: list[tuple[datetime, datetime]] = []
    for downtime in downtimes:
        if downtime.user_caused:
            continue
        if downtime.ended_at is None and now is None:
            raise ValueError("a downtime is still open: give as_of to count it")
        started_at = to_utc(downtime.started_at, "started_at")
        ended_at = now if downtime.ended_at is None else to_utc(downtime.ended_at, "ended_at")
        if ended_at > started_at:
            intervals.append((started_at, ended_at))
    total = timedelta(0)
    current: tuple[datetime, datetime] | None = None
    for start, end in sorted(intervals):
        if current is not None and start <= current[1]:
            current = (current[0], max(current[1], end))
            continue
        if current is not None:
            total += current[1] - current[0]
        current = (start, end)
    if current is not None:
        total += current[1] - current[0]
    return total


def warranty_end(
    accepted_on: date,
    years: int,
    downtimes: Iterable[Downtime] = (),
    *,
    as_of: datetime | None = None,
) -> date:
    """The last day of the warranty: acceptance plus ``years``, plus the downtime of faults the user did
    not cause, rounded up to whole days.

    Raises:
        ValueError: negative ``years``, or an open downtime without ``as_of``.
    """
    if years < 0:
        raise ValueError(f"warranty years must not be negative, got {years}")
    downtime = total_downtime(downtimes, as_of=as_of)
    return add_years(accepted_on, years) + _DAY * -(-downtime // _DAY)


def coverage_phase(on: date, end: date) -> CoveragePhase:
    """The coverage phase on day ``on`` of a warranty that ends on ``end`` (inclusive)."""
    if on <= end:
        return CoveragePhase.IN_WARRANTY
    if on <= add_years(end, PARTS_ONLY_YEARS):
        return CoveragePhase.POST_WARRANTY_PARTS_ONLY
    if on <= add_years(end, COSTS_ONLY_YEARS):
        return CoveragePhase.POST_WARRANTY_COSTS_ONLY
    return CoveragePhase.EXPIRED


def parts_charge(phase: CoveragePhase) -> PartsCharge | None:
    """What a replacement part costs in ``phase``: free in warranty, at cost in the two phases after it;
    None once coverage has expired (no part is given)."""
    return _PARTS_CHARGE.get(phase)


def coverage(
    on: date,
    accepted_on: date,
    years: int,
    downtimes: Iterable[Downtime] = (),
    *,
    as_of: datetime | None = None,
) -> Coverage:
    """The warranty end and phase of an asset on day ``on``.

    A replacement part carries the warranty status of the part it replaces: it gets the `Coverage` of
    the asset it goes into, computed from that asset's acceptance, years and downtimes. It starts no
    warranty of its own.

    Raises:
        ValueError: as for `warranty_end`.
    """
    end = warranty_end(accepted_on, years, downtimes, as_of=as_of)
    return Coverage(end, coverage_phase(on, end))
