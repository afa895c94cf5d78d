"""The routing problem and its plan: stops, vehicles, matrices, routes. Plain Python, no solver imported.

Times are whole seconds since the plan's epoch (the lead picks it, e.g. midnight of the plan date in the
depot's zone); distances are whole metres. Indices into the matrices are *location* indices: several
stops may share a location, and a depot is just a location that vehicles start or end at.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from geo.travel import DEFAULT_PROFILE, Point, SpeedProfile, travel_matrix

UNBOUNDED = 10**9
"""Open end of a window: about 31 years of seconds, far past any plan, small enough for int64 sums."""


class StopKind(StrEnum):
    DELIVERY = "delivery"
    """Goods loaded at the vehicle's start depot and dropped here (unless a pickup stop brings them)."""
    PICKUP = "pickup"
    """Goods collected here (e.g. a part at a depot) for the stop named by ``pickup_of``."""
    VISIT = "visit"
    """An engineer's on-site visit or a periodic inspection."""


class UnassignedReason(StrEnum):
    """Why a stop is not in any route; what each means is in `REASON_MEANINGS`.

    Decided per stop, in this order (the first that applies wins). The first five are facts of the
    problem: the stop cannot be served even alone. The next three are about the plan that was found; the
    last is a committed stop a re-plan during the day can no longer keep (`routing.pins`).
    """

    SITE_CLOSED = "site_closed"
    NO_VEHICLE = "no_vehicle"
    NO_CAPACITY = "no_capacity"
    WINDOW_UNREACHABLE = "window_unreachable"
    PARTNER_UNASSIGNED = "partner_unassigned"
    TIME_LIMIT = "time_limit"
    FLEET_FULL = "fleet_full"
    NOT_WORTH_IT = "not_worth_it"
    PIN_INFEASIBLE = "pin_infeasible"


REASON_MEANINGS: Mapping[UnassignedReason, str] = {
    UnassignedReason.SITE_CLOSED: "It may not be served on the plan day at all: the site takes no visits "
    "then (a business-hours customer's day off, or its business hours end before the stop could begin).",
    UnassignedReason.NO_VEHICLE: "No vehicle may serve it: none has the required skills, or none works "
    "that day.",
    UnassignedReason.NO_CAPACITY: "Its demand exceeds the capacity of every vehicle that may serve it.",
    UnassignedReason.WINDOW_UNREACHABLE: "No vehicle that may serve it can go from its start, serve it "
    "within its window and return within its shift, even with nothing else to do.",
    UnassignedReason.PARTNER_UNASSIGNED: "Its pickup (or the stop it picks up for) cannot be served, so "
    "neither is.",
    UnassignedReason.TIME_LIMIT: "The search ended (its time or iteration limit) before it placed the "
    "stop, although the stop still fits into the plan found: a route or an idle vehicle could take it. "
    "Planning again with a longer time limit places it.",
    UnassignedReason.FLEET_FULL: "A vehicle could serve it alone, but no route of the plan, and no idle "
    "vehicle, can take it besides the stops the plan kept without breaking a window, a shift or a "
    "capacity.",
    UnassignedReason.NOT_WORTH_IT: "An optional stop whose prize does not pay for the detour, or for which "
    "no free time was left.",
    UnassignedReason.PIN_INFEASIBLE: "A committed stop that its vehicle can no longer serve where it is "
    "pinned (its window has passed, its shift was cut, a skill withdrawn): planned during the day, the "
    "plan is made without it rather than failing; unpin it to plan it again.",
}
"""What each unassigned reason means (the API's documentation quotes it)."""


@dataclass(frozen=True, slots=True)
class Location:
    """A named place on the map; its position in the problem's list is its matrix index."""

    id: str
    point: Point


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """``[start, end]`` in seconds since the epoch; service must *begin* within it (waiting is allowed)."""

    start: int = 0
    end: int = UNBOUNDED

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise ValueError(f"a time window must not end before it starts, got {self.start}..{self.end}")


@dataclass(frozen=True, slots=True)
class Stop:
    """One thing to do at one place.

    Attributes:
        demand: one amount per capacity dimension (the problem's dimension order, e.g. kg then litres).
        optional: may be left out for ``penalty`` (the prize of doing it); a non-optional stop is left
            out only when it cannot be served, and then comes back as unassigned with a reason.
        pickup_of: on a ``PICKUP`` stop, the id of the stop it collects for; both go on one vehicle,
            the pickup first.
        pinned_vehicle, pinned_position: a committed visit: it stays on that vehicle, and pinned stops
            keep the order of their positions (other stops may be inserted between them).
        deadline: a soft due time; each second past it costs ``lateness_weight`` (e.g. severity x tier).
            With ``deadline_hard`` it is a hard limit instead.
        started: a pinned stop its vehicle is already on its way to or at: it is done even if that takes
            the vehicle past its shift (`routing.work.reachable_shifts`).
        closed: the place takes no service on the plan day (no window at all): the stop always comes
            back unassigned as ``site_closed``.
    """

    id: str
    location: int
    service: int = 0
    demand: tuple[int, ...] = ()
    window: TimeWindow = TimeWindow()
    kind: StopKind = StopKind.DELIVERY
    optional: bool = False
    penalty: int = 0
    pickup_of: str | None = None
    required_skills: frozenset[str] = frozenset()
    pinned_vehicle: str | None = None
    pinned_position: int | None = None
    deadline: int | None = None
    lateness_weight: int = 1
    deadline_hard: bool = False
    started: bool = False
    closed: bool = False

    def __post_init__(self) -> None:
        if self.service < 0 or any(amount < 0 for amount in self.demand):
            raise ValueError(f"stop {self.id}: service and demand must not be negative")
        if (self.pickup_of is None) != (self.kind is not StopKind.PICKUP):
            raise ValueError(f"stop {self.id}: a pickup stop names the stop it collects for, no other does")
        if (self.pinned_vehicle is None) != (self.pinned_position is None):
            raise ValueError(f"stop {self.id}: a pinned stop needs both a vehicle and a position")
        if self.penalty < 0 or self.lateness_weight < 0:
            raise ValueError(f"stop {self.id}: penalty and lateness weight must not be negative")

    @property
    def latest_start(self) -> int:
        """The last second service may begin: the window's end, or the deadline when it is hard."""
        if self.deadline is not None and self.deadline_hard:
            return min(self.window.end, self.deadline)
        return self.window.end


@dataclass(frozen=True, slots=True)
class Vehicle:
    """A van or an engineer.

    Attributes:
        start, end: location indices of the depots (or homes) the shift starts and ends at.
        capacity: one limit per capacity dimension; missing dimensions are unlimited.
        max_working: longest time from leaving ``start`` to arriving at ``end``, or ``None``.
        fixed_cost: the cost of using it at all; ``None`` takes the problem's ``Objective.vehicle_cost``.
    """

    id: str
    start: int
    end: int
    capacity: tuple[int, ...] = ()
    shift: TimeWindow = TimeWindow()
    max_working: int | None = None
    skills: frozenset[str] = frozenset()
    fixed_cost: int | None = None


@dataclass(frozen=True, slots=True)
class Objective:
    """Integer weights of the objective: vehicles used first, then travel time (the NBD default).

    ``vehicle_cost`` is far above a day's travel seconds so that a vehicle is saved whenever possible;
    ``drop_penalty`` (for leaving out a non-optional stop) is far above a vehicle, so only stops that
    cannot be served at all are left out. The benchmark uses distance only: ``Objective(0, 0, 1)``.
    """

    vehicle_cost: int = 1_000_000
    time_weight: int = 1
    distance_weight: int = 0
    drop_penalty: int = 1_000_000_000


@dataclass(frozen=True, slots=True)
class Limits:
    """What one synchronous solve accepts; larger problems raise `ProblemTooLarge` (the API says 422)."""

    max_stops: int = 2_000
    max_vehicles: int = 500
    max_time_limit_s: float = 60.0


@dataclass(frozen=True, slots=True)
class RoutingProblem:
    """Everything a solve needs. ``seconds[i][j]`` and ``metres[i][j]`` are travel from location i to j."""

    seconds: Sequence[Sequence[int]]
    metres: Sequence[Sequence[int]]
    stops: tuple[Stop, ...]
    vehicles: tuple[Vehicle, ...]
    objective: Objective = Objective()
    limits: Limits = Limits()
    dimensions: tuple[str, ...] = ("weight_kg", "volume_l")

    @classmethod
    def from_locations(
        cls,
        locations: Sequence[Location],
        stops: Sequence[Stop],
        vehicles: Sequence[Vehicle],
        *,
        profile: SpeedProfile = DEFAULT_PROFILE,
        objective: Objective = Objective(),
        limits: Limits = Limits(),
    ) -> RoutingProblem:
        """Build the matrices with `geo.travel.travel_matrix` (the same model reservations use)."""
        metres, seconds = travel_matrix([location.point for location in locations], profile)
        return cls(seconds, metres, tuple(stops), tuple(vehicles), objective, limits)

    @property
    def size(self) -> int:
        return len(self.seconds)


@dataclass(frozen=True, slots=True)
class Visit:
    """A stop in a route: arrival, start of service (after any wait), departure, and seconds late."""

    stop_id: str
    arrival: int
    start: int
    departure: int
    lateness: int = 0


@dataclass(frozen=True, slots=True)
class Route:
    """One vehicle's day: leave its start at ``departure``, the visits in order, back at ``arrival``."""

    vehicle_id: str
    departure: int
    visits: tuple[Visit, ...]
    arrival: int
    travel_seconds: int
    distance_metres: int


class SolveStatus(StrEnum):
    SOLVED = "solved"
    """A plan was found (the search ran to its time or iteration limit)."""
    TRIVIAL = "trivial"
    """Nothing to route (no stop could be given to any vehicle); no solver was run."""


@dataclass(frozen=True, slots=True)
class SolveStats:
    """How a plan was made: which backend and why, wall time, status, seed, limits."""

    backend: str
    backend_reason: str
    wall_s: float
    status: SolveStatus
    seed: int
    time_limit_s: float
    iterations: int | None = None


@dataclass(frozen=True, slots=True)
class RoutePlan:
    """Routes of the vehicles used (a vehicle without stops has none), unassigned stops with reasons."""

    routes: tuple[Route, ...]
    unassigned: Mapping[str, UnassignedReason]
    objective: int
    stats: SolveStats
    lateness_cost: int = 0
    notes: tuple[str, ...] = field(default=())

    def route_of(self, vehicle_id: str) -> Route | None:
        return next((route for route in self.routes if route.vehicle_id == vehicle_id), None)
