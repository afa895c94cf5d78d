"""A dispatcher's move of one stop to a vehicle and position, evaluated without a solver. Plain Python.

The routes the move touches are scheduled before and after it by `routing.schedule.schedule_route`
(earliest service, latest departure), on vehicles whose shift end and working time are relaxed so that
the overtime a move causes (past the shift end or the working time) can be measured, and the routes
after it are checked by `routing.check.check_plan`. Windows and hard deadlines always bind. Making any
stop later past its soft deadline than it was, or a route end later past its shift than it did, needs
the dispatcher's override.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from routing.check import check_plan
from routing.model import (
    UNBOUNDED,
    Route,
    RoutePlan,
    RoutingProblem,
    SolveStats,
    SolveStatus,
    Stop,
    StopKind,
    TimeWindow,
    Vehicle,
)
from routing.schedule import load_steps, schedule_route


@dataclass(frozen=True, slots=True)
class StopChange:
    """How a move changes one stop: its vehicle and start of service before and after, and its lateness."""

    stop_id: str
    vehicle_before: str | None
    vehicle_after: str
    start_before: int | None
    start_after: int
    late_before: int
    late_after: int


@dataclass(frozen=True, slots=True)
class MoveOutcome:
    """What a move does.

    Attributes:
        feasible: the move may be made (with the override, if ``needs_override`` names anything).
        reason: why it cannot be made at all: ``skills``, ``capacity`` or ``window`` (a window or hard
            deadline that cannot be kept).
        needs_override: ``deadline:<stop>`` for each stop made later past its soft deadline,
            ``shift_end:<vehicle>`` for each route made to end later past its shift.
        routes: the touched routes after the move (a vehicle left without stops has none).
        changes: every stop whose vehicle, start or lateness changes.
        overtime: seconds past the shift end, per touched vehicle, after the move.
    """

    feasible: bool
    reason: str | None = None
    needs_override: tuple[str, ...] = ()
    routes: Mapping[str, Route] = field(default_factory=dict)
    changes: tuple[StopChange, ...] = ()
    overtime: Mapping[str, int] = field(default_factory=dict)


def _relaxed(vehicle: Vehicle) -> Vehicle:
    return replace(vehicle, shift=TimeWindow(vehicle.shift.start, UNBOUNDED), max_working=None)


def _fits(problem: RoutingProblem, vehicle: Vehicle, stops: Sequence[Stop]) -> bool:
    paired = frozenset(stop.pickup_of for stop in stops if stop.pickup_of is not None)
    return all(
        d >= len(vehicle.capacity) or amount <= vehicle.capacity[d]
        for load in load_steps(stops, paired, len(problem.dimensions))
        for d, amount in enumerate(load)
    )


def moved_order(
    orders: Mapping[str, Sequence[str]], moved: Sequence[str], to: str, position: int, first: int = 0
) -> dict[str, list[str]]:
    """The stop orders after taking ``moved`` (a stop, its pickup first) out of wherever they are and
    putting them at ``position`` of ``to`` (clamped to ``first``, the stops already started, and to the
    end)."""
    after = {vehicle: [key for key in order if key not in moved] for vehicle, order in orders.items()}
    target = after.setdefault(to, [])
    at = min(max(position, first), len(target))
    target[at:at] = list(moved)
    return after


def evaluate_move(
    problem: RoutingProblem,
    orders: Mapping[str, Sequence[str]],
    moved: Sequence[str],
    to: str,
    position: int,
    *,
    first: int = 0,
    override: bool = False,
) -> MoveOutcome:
    """Move the stops ``moved`` (a stop, its pickup first) to ``position`` of vehicle ``to``'s route.

    ``orders`` are the stop ids of each touched vehicle's route, in order, before the move; ``first`` is
    how many stops of ``to`` are already started (nothing goes before them).
    """
    stops = {stop.id: stop for stop in problem.stops}
    fleet = {vehicle.id: vehicle for vehicle in problem.vehicles}
    after_orders = moved_order(orders, moved, to, position, first)
    vehicle = fleet[to]
    if any(not stops[key].required_skills <= vehicle.skills for key in moved):
        return MoveOutcome(False, "skills")
    if not _fits(problem, vehicle, [stops[key] for key in after_orders[to]]):
        return MoveOutcome(False, "capacity")
    before = {vid: _schedule(problem, fleet[vid], [stops[k] for k in order]) for vid, order in orders.items()}
    after = {
        vid: _schedule(problem, fleet[vid], [stops[k] for k in order]) for vid, order in after_orders.items()
    }
    if any(route is None for route in after.values()):
        return MoveOutcome(False, "window")
    was = {v.stop_id: (vid, v) for vid, route in before.items() if route for v in route.visits}
    changes, late_more = [], []
    for vid, route in after.items():
        for visit in route.visits if route else ():
            old_vehicle, old = was.get(visit.stop_id, (None, None))
            late_before = old.lateness if old else 0
            if old is None or old_vehicle != vid or old.start != visit.start or late_before != visit.lateness:
                changes.append(
                    StopChange(
                        visit.stop_id,
                        old_vehicle,
                        vid,
                        None if old is None else old.start,
                        visit.start,
                        late_before,
                        visit.lateness,
                    )
                )
            if visit.lateness > late_before:
                late_more.append(f"deadline:{visit.stop_id}")
    overtime = {vid: _overtime(fleet[vid], route) for vid, route in after.items()}
    longer = [
        f"shift_end:{vid}"
        for vid, extra in overtime.items()
        if extra > _overtime(fleet[vid], before.get(vid))
    ]
    routes = {vid: route for vid, route in after.items() if route is not None and route.visits}
    touched = replace(
        problem,
        stops=tuple(stops[key] for order in after_orders.values() for key in order),
        vehicles=tuple(_relaxed(v) for v in problem.vehicles if v.id in after_orders),
    )
    stats = SolveStats("move", "a dispatcher's move", 0.0, SolveStatus.SOLVED, 0, 0.0)
    if check_plan(touched, RoutePlan(tuple(routes.values()), {}, 0, stats)):
        return MoveOutcome(False, "window")
    needs = tuple(late_more + longer)
    return MoveOutcome(override or not needs, None, needs, routes, tuple(changes), overtime)


def _schedule(problem: RoutingProblem, vehicle: Vehicle, stops: Sequence[Stop]) -> Route | None:
    return schedule_route(problem, _relaxed(vehicle), stops)


def _overtime(vehicle: Vehicle, route: Route | None) -> int:
    """Seconds past the end of the shift, or over the working time if that is more."""
    if route is None or not route.visits:
        return 0
    over = route.arrival - vehicle.shift.end
    if vehicle.max_working is not None:
        over = max(over, route.arrival - route.departure - vehicle.max_working)
    return max(0, over)


def pickup_first(stop: Stop, pickups: Mapping[str, Stop]) -> tuple[str, ...]:
    """The stops that move together: ``stop``'s pickup (if it has one), then ``stop``."""
    pickup = pickups.get(stop.id)
    return (stop.id,) if pickup is None or stop.kind is StopKind.PICKUP else (pickup.id, stop.id)
