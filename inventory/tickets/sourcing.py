"""Which depot should supply a ticket: the nearest one whose stock can arrive by the promised time.

Plain Python: candidates come in with their stock and position, time comes in as a parameter, and the
travel estimate is `geo.travel`, the same model the route planner uses.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from geo.travel import Point, SpeedProfile, travel_time

PICK_AND_PACK = timedelta(minutes=30)
"""Time from the reservation to the vehicle leaving the depot."""


@dataclass(frozen=True, slots=True)
class DepotStock:
    """A depot that could supply the part: where it is and how many it has free."""

    code: str
    point: Point
    available: int


@dataclass(frozen=True, slots=True)
class SupplyOption:
    """A depot with its estimated arrival at the site and whether that keeps the promise."""

    code: str
    available: int
    estimated_arrival: datetime
    travel: timedelta
    feasible: bool


def supply_options(
    candidates: Iterable[DepotStock],
    site: Point,
    *,
    quantity: int,
    now: datetime,
    due_by: datetime,
    profile: SpeedProfile | None = None,
) -> list[SupplyOption]:
    """Every candidate depot with enough stock, nearest first, marked feasible if it arrives by ``due_by``.

    The estimate is ``now`` + pick and pack + road travel time.
    """
    options = []
    for depot in candidates:
        if depot.available < quantity:
            continue
        travel = travel_time(depot.point, site, profile) if profile else travel_time(depot.point, site)
        arrival = now + PICK_AND_PACK + travel
        options.append(SupplyOption(depot.code, depot.available, arrival, travel, arrival <= due_by))
    return sorted(options, key=lambda option: (option.travel, option.code))


def feasible(options: Sequence[SupplyOption]) -> list[SupplyOption]:
    """The options that keep the promise, nearest first."""
    return [option for option in options if option.feasible]


FOUR_HOURS = timedelta(hours=4)


class Availability(StrEnum):
    """A part's availability for a site, in the words a customer sees (never stock figures)."""

    FOUR_HOURS = "four_hours"
    """Some depot has it and can reach the site within 4 hours."""
    NEXT_BUSINESS_DAY = "next_business_day"
    """Some depot has it, none close enough for 4 hours."""
    NOT_AVAILABLE = "not_available"


def availability(candidates: Iterable[DepotStock], site: Point, *, now: datetime) -> Availability:
    """Whether one of the part reaches ``site`` within 4 hours from ``now``, the next business day, or
    not at all (no depot has one free)."""
    options = supply_options(candidates, site, quantity=1, now=now, due_by=now + FOUR_HOURS)
    if feasible(options):
        return Availability.FOUR_HOURS
    return Availability.NEXT_BUSINESS_DAY if options else Availability.NOT_AVAILABLE
