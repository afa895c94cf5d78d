"""From a day's deliveries and visits to a `RoutingProblem`. Plain Python: times are aware datetimes in,
whole seconds since the plan's epoch out, and back again.

Two kinds of day plan are built here:

- **next-business-day deliveries**: each order is the parts of one ticket reserved at one depot; only
  that depot's vans may carry them (the stop requires the depot's skill ``depot:<code>``), within the
  ticket's delivery window, with weight and volume demand;
- **engineer dispatch**: each job is a site visit needing skills, with a soft on-site deadline weighted
  by severity and tier (or a hard one), and, when the part waits at a depot, a pickup there first by the
  same engineer; periodic inspections are optional visits with a prize.

Committed stops come in as pins: the vehicle and the position among that vehicle's pinned stops.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from geo.travel import DEFAULT_PROFILE, Point, travel_matrix
from routing.model import (
    UNBOUNDED,
    Limits,
    Objective,
    RoutingProblem,
    Stop,
    StopKind,
    TimeWindow,
    Vehicle,
)

NBD_DIMENSIONS = ("weight_g", "volume_ml")
DISPATCH_DIMENSIONS = ("parts",)
ENGINEER_PART_CAPACITY = 20
"""Parts an engineer can carry at once (a limit that rarely binds, kept so pickups load the car)."""

DEFAULT_LIMITS = Limits()

DISPATCH_OBJECTIVE = Objective(vehicle_cost=0, time_weight=1, distance_weight=0)
"""Dispatch: no cost for using an engineer; lateness (in the stops) first, then travel time."""

Matrix = Callable[[Sequence[Point]], tuple[list[list[int]], list[list[int]]]]
"""Metres and seconds between points (``geo.travel.travel_matrix`` or a road-network adapter)."""


def estimate_matrix(points: Sequence[Point]) -> tuple[list[list[int]], list[list[int]]]:
    """The straight-line estimate, the same one reservations use."""
    return travel_matrix(points, DEFAULT_PROFILE)


def depot_skill(depot: str) -> str:
    """The skill a van has, and an order requires, to carry parts reserved at ``depot``."""
    return f"depot:{depot}"


@dataclass(frozen=True, slots=True)
class PlanClock:
    """Converts between aware datetimes and the plan's integer seconds.

    The epoch is midnight UTC of the day before the plan date, so that every time of the plan day in
    any zone from UTC-12 to UTC+14 is a positive number of seconds.
    """

    epoch: datetime

    @classmethod
    def for_date(cls, day: date) -> PlanClock:
        return cls(datetime.combine(day - timedelta(days=1), time(0), UTC))

    def seconds(self, at: datetime) -> int:
        """Seconds since the epoch, clamped to ``0..UNBOUNDED`` (earlier times are "at once")."""
        value = math.ceil((at - self.epoch).total_seconds())
        return min(max(value, 0), UNBOUNDED)

    def at(self, seconds: int) -> datetime:
        return self.epoch + timedelta(seconds=seconds)

    def window(self, start: datetime | None, end: datetime | None) -> TimeWindow:
        first = 0 if start is None else self.seconds(start)
        last = UNBOUNDED if end is None else self.seconds(end)
        return TimeWindow(min(first, last), last)


@dataclass(frozen=True, slots=True)
class Place:
    """A depot or a site on the map."""

    code: str
    point: Point


@dataclass(frozen=True, slots=True)
class Pin:
    """A committed stop: stays with ``vehicle``, at ``position`` among that vehicle's pinned stops;
    ``started`` when the vehicle is already on its way to it or there."""

    vehicle: str
    position: int
    started: bool = False


@dataclass(frozen=True, slots=True)
class DeliveryOrder:
    """The parts of one ticket reserved at one depot, to be delivered to the ticket's site."""

    id: str
    depot: str
    site: Place
    due_from: datetime
    due_by: datetime
    service: timedelta
    weight_kg: float
    volume_l: float
    pin: Pin | None = None


@dataclass(frozen=True, slots=True)
class UrgentDelivery:
    """A committed urgent delivery carried into a re-plan: the part is collected at ``pickup`` and
    delivered to ``site`` by a van of ``van_depot`` (the one it is pinned to, unless its pin was let
    go), pickup first."""

    id: str
    van_depot: str
    pickup: Place
    site: Place
    due_from: datetime | None
    due_by: datetime | None
    service: timedelta
    pickup_service: timedelta
    weight_g: int
    volume_ml: int
    pin: Pin | None
    pickup_pin: Pin | None


@dataclass(frozen=True, slots=True)
class Van:
    """A courier vehicle of a depot for the plan day; it ends at its depot and starts there too unless
    ``start`` says where it is (a re-plan during the day)."""

    code: str
    depot: str
    capacity_kg: float
    capacity_l: float
    shift_start: datetime
    shift_end: datetime
    start: Place | None = None


@dataclass(frozen=True, slots=True)
class Engineer:
    """A field engineer for the plan day, ending at the home depot and starting there too unless
    ``start`` says where they are (a re-plan during the day)."""

    code: str
    home: Place
    skills: frozenset[str]
    shift_start: datetime
    shift_end: datetime
    max_working: timedelta
    start: Place | None = None


@dataclass(frozen=True, slots=True)
class Job:
    """A site visit for a ticket.

    Attributes:
        earliest: the visit may not begin before (the report, a courier's planned delivery, or the
            opening of a business-hours site).
        deadline: the on-site due time; lateness costs ``lateness_weight`` per second unless ``hard``.
        pickup_depot: where the engineer collects the reserved part first, if it is not delivered.
        latest_start: the visit must begin by then, if at all (a business-hours site: so that it ends
            by closing time).
        closed: the site takes no visit on the plan day (a business-hours site's day off, or its hours
            end before the visit could begin).
    """

    id: str
    site: Place
    earliest: datetime
    deadline: datetime
    hard: bool
    lateness_weight: int
    skills: frozenset[str]
    service: timedelta
    pickup_depot: Place | None = None
    pickup_service: timedelta = timedelta(minutes=10)
    pin: Pin | None = None
    pickup_pin: Pin | None = None
    latest_start: datetime | None = None
    closed: bool = False


@dataclass(frozen=True, slots=True)
class Inspection:
    """A periodic inspection: an optional visit worth ``prize`` seconds of travel (none at a ``closed``
    site: a business-hours customer's day off)."""

    id: str
    site: Place
    skills: frozenset[str]
    service: timedelta
    window_start: datetime
    window_end: datetime
    prize: int
    pin: Pin | None = None
    closed: bool = False


class Locations:
    """Distinct places in first-seen order; a place's index is its matrix index."""

    def __init__(self) -> None:
        self.points: list[Point] = []
        self._index: dict[tuple[str, Point], int] = {}

    def index(self, place: Place) -> int:
        key = (place.code, place.point)
        if key not in self._index:
            self._index[key] = len(self.points)
            self.points.append(place.point)
        return self._index[key]


def _pin(pin: Pin | None) -> dict[str, object]:
    if pin is None:
        return {}
    return {"pinned_vehicle": pin.vehicle, "pinned_position": pin.position, "started": pin.started}


def _grams(kg: float) -> int:
    return math.ceil(round(kg * 1000, 6))


def van_vehicle(van: Van, depots: Mapping[str, Point], places: Locations, clock: PlanClock) -> Vehicle:
    """A van as a vehicle: from where it is (its depot) back to its depot, capacity in grams and
    millilitres, its shift."""
    home = places.index(Place(van.depot, depots[van.depot]))
    return Vehicle(
        van.code,
        home if van.start is None else places.index(van.start),
        home,
        (math.floor(van.capacity_kg * 1000), math.floor(van.capacity_l * 1000)),
        clock.window(van.shift_start, van.shift_end),
        skills=frozenset({depot_skill(van.depot)}),
    )


def nbd_problem(
    depots: Mapping[str, Point],
    orders: Sequence[DeliveryOrder],
    vans: Sequence[Van],
    clock: PlanClock,
    *,
    urgent: Sequence[UrgentDelivery] = (),
    matrix: Matrix = estimate_matrix,
    limits: Limits = DEFAULT_LIMITS,
) -> RoutingProblem:
    """The day's deliveries as one multi-depot problem: each order only on its own depot's vans.

    Committed urgent deliveries stay pinned to their van, with their pickup. Objective: vehicles used,
    then travel time. Demand and capacity are whole grams and millilitres.
    """
    places = Locations()
    for code, point in depots.items():
        places.index(Place(code, point))
    vehicles = tuple(van_vehicle(van, depots, places, clock) for van in vans)
    stops = tuple(
        Stop(
            order.id,
            places.index(order.site),
            math.ceil(order.service.total_seconds()),
            (_grams(order.weight_kg), _grams(order.volume_l)),
            clock.window(order.due_from, order.due_by),
            StopKind.DELIVERY,
            required_skills=frozenset({depot_skill(order.depot)}),
            **_pin(order.pin),
        )
        for order in orders
    )
    for item in urgent:
        skills = frozenset({depot_skill(item.van_depot)})
        demand = (item.weight_g, item.volume_ml)
        stops += (
            Stop(
                f"{item.id}:pickup",
                places.index(item.pickup),
                math.ceil(item.pickup_service.total_seconds()),
                demand,
                TimeWindow(),
                StopKind.PICKUP,
                pickup_of=item.id,
                required_skills=skills,
                **_pin(item.pickup_pin),
            ),
            Stop(
                item.id,
                places.index(item.site),
                math.ceil(item.service.total_seconds()),
                demand,
                clock.window(item.due_from, item.due_by),
                StopKind.DELIVERY,
                required_skills=skills,
                **_pin(item.pin),
            ),
        )
    metres, seconds = matrix(places.points)
    return RoutingProblem(seconds, metres, stops, vehicles, Objective(), limits, NBD_DIMENSIONS)


def dispatch_problem(
    engineers: Sequence[Engineer],
    jobs: Sequence[Job],
    inspections: Sequence[Inspection],
    clock: PlanClock,
    *,
    matrix: Matrix = estimate_matrix,
    limits: Limits = DEFAULT_LIMITS,
) -> RoutingProblem:
    """Engineers' day: skills match, pickups before their visits, soft or hard on-site deadlines."""
    places = Locations()
    vehicles = tuple(
        Vehicle(
            engineer.code,
            places.index(engineer.home if engineer.start is None else engineer.start),
            places.index(engineer.home),
            (ENGINEER_PART_CAPACITY,),
            clock.window(engineer.shift_start, engineer.shift_end),
            max_working=math.floor(engineer.max_working.total_seconds()),
            skills=engineer.skills,
        )
        for engineer in engineers
    )
    stops: list[Stop] = []
    for job in jobs:
        if job.pickup_depot is not None:
            stops.append(
                Stop(
                    f"{job.id}:pickup",
                    places.index(job.pickup_depot),
                    math.ceil(job.pickup_service.total_seconds()),
                    (1,),
                    TimeWindow(),
                    StopKind.PICKUP,
                    pickup_of=job.id,
                    required_skills=job.skills,
                    **_pin(job.pickup_pin),
                )
            )
        stops.append(
            Stop(
                job.id,
                places.index(job.site),
                math.ceil(job.service.total_seconds()),
                (1 if job.pickup_depot is not None else 0,),
                clock.window(job.earliest, job.latest_start),
                StopKind.VISIT,
                required_skills=job.skills,
                deadline=clock.seconds(job.deadline),
                lateness_weight=job.lateness_weight,
                deadline_hard=job.hard,
                closed=job.closed,
                **_pin(job.pin),
            )
        )
    for inspection in inspections:
        stops.append(
            Stop(
                inspection.id,
                places.index(inspection.site),
                math.ceil(inspection.service.total_seconds()),
                (0,),
                clock.window(inspection.window_start, inspection.window_end),
                StopKind.VISIT,
                optional=True,
                penalty=inspection.prize,
                required_skills=inspection.skills,
                closed=inspection.closed,
                **_pin(inspection.pin),
            )
        )
    metres, seconds = matrix(places.points)
    return RoutingProblem(
        seconds, metres, tuple(stops), vehicles, DISPATCH_OBJECTIVE, limits, DISPATCH_DIMENSIONS
    )
