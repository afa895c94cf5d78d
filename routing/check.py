"""Independent feasibility checker for plans. Pure Python; it trusts nothing the solvers computed.

`check_plan` re-derives every constraint of a `RoutePlan` from the `RoutingProblem` (integer seconds).
`check_vrptw` re-checks plain VRPTW routes in double precision (the Solomon benchmark): each customer
once, capacity, service beginning no later than the due time everywhere and back at the depot by its
due time, waiting allowed. Both return a list of violations; an empty list means feasible.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from routing.model import RoutePlan, RoutingProblem, Stop, StopKind
from routing.schedule import load_steps


def check_plan(  # noqa: PLR0912
    problem: RoutingProblem, plan: RoutePlan
) -> list[str]:
    """Every violation of ``plan`` against ``problem``: coverage, skills, pins, pairs, times, loads."""
    errors: list[str] = []
    stops = {stop.id: stop for stop in problem.stops}
    vehicles = {vehicle.id: vehicle for vehicle in problem.vehicles}
    seen = Counter(visit.stop_id for route in plan.routes for visit in route.visits)
    for stop_id, count in seen.items():
        if stop_id not in stops:
            errors.append(f"unknown stop {stop_id} in a route")
        elif count > 1:
            errors.append(f"stop {stop_id} is visited {count} times")
    for stop_id in plan.unassigned:
        if stop_id in seen:
            errors.append(f"stop {stop_id} is both routed and unassigned")
    for stop_id in stops.keys() - seen.keys() - plan.unassigned.keys():
        errors.append(f"stop {stop_id} is neither routed nor unassigned")
    used = Counter(route.vehicle_id for route in plan.routes)
    errors.extend(f"vehicle {vid} has {n} routes" for vid, n in used.items() if n > 1)
    vehicle_of: dict[str, str] = {}
    position: dict[str, int] = {}
    for route in plan.routes:
        if route.vehicle_id not in vehicles:
            errors.append(f"unknown vehicle {route.vehicle_id}")
            continue
        for index, visit in enumerate(route.visits):
            vehicle_of[visit.stop_id], position[visit.stop_id] = route.vehicle_id, index
        errors.extend(_check_route(problem, route, stops))
    pinned: dict[str, list[Stop]] = {}
    for stop in stops.values():
        if stop.pinned_vehicle is not None:
            pinned.setdefault(stop.pinned_vehicle, []).append(stop)
            if vehicle_of.get(stop.id) != stop.pinned_vehicle:
                errors.append(f"pinned stop {stop.id} is not on vehicle {stop.pinned_vehicle}")
        if stop.pickup_of is not None:
            partner = stop.pickup_of
            if (stop.id in seen) != (partner in seen):
                errors.append(f"pickup {stop.id} and stop {partner} are not both routed or both unassigned")
            elif stop.id in seen and vehicle_of[stop.id] != vehicle_of.get(partner):
                errors.append(f"pickup {stop.id} and stop {partner} are on different vehicles")
            elif stop.id in seen and position[stop.id] > position[partner]:
                errors.append(f"pickup {stop.id} comes after its stop {partner}")
    for vid, group in pinned.items():
        order = [position.get(stop.id, -1) for stop in sorted(group, key=lambda s: s.pinned_position or 0)]
        if all(vehicle_of.get(stop.id) == vid for stop in group) and order != sorted(order):
            errors.append(f"pinned stops of vehicle {vid} are out of order")
    return errors


def _check_route(  # noqa: PLR0912
    problem: RoutingProblem, route, stops: dict[str, Stop]
) -> list[str]:
    errors: list[str] = []
    vehicle = next(v for v in problem.vehicles if v.id == route.vehicle_id)
    where = f"vehicle {vehicle.id}"
    sequence = [stops[visit.stop_id] for visit in route.visits if visit.stop_id in stops]
    if len(sequence) != len(route.visits):
        return [f"{where}: unknown stops"]
    if route.departure < vehicle.shift.start:
        errors.append(f"{where}: leaves at {route.departure}, before its shift starts")
    time, here, travel, distance = route.departure, vehicle.start, 0, 0
    for stop, visit in zip(sequence, route.visits, strict=True):
        if not stop.required_skills <= vehicle.skills:
            errors.append(
                f"{where}: lacks skills {sorted(stop.required_skills - vehicle.skills)} for {stop.id}"
            )
        leg = problem.seconds[here][stop.location]
        travel += leg
        distance += problem.metres[here][stop.location]
        if visit.arrival < time + leg:
            errors.append(f"{where}: arrives at {stop.id} at {visit.arrival}, before {time + leg}")
        if visit.start < max(visit.arrival, stop.window.start):
            errors.append(f"{where}: starts {stop.id} before arrival or before its window")
        if stop.closed:
            errors.append(f"{where}: serves {stop.id}, whose place is closed on the plan day")
        if visit.start > stop.latest_start:
            errors.append(f"{where}: starts {stop.id} at {visit.start}, after {stop.latest_start} (late)")
        if visit.departure < visit.start + stop.service:
            errors.append(f"{where}: leaves {stop.id} before its service ends")
        expected_late = max(0, visit.start - stop.deadline) if stop.deadline is not None else 0
        if visit.lateness != expected_late:
            errors.append(f"{where}: lateness of {stop.id} is {visit.lateness}, expected {expected_late}")
        time, here = visit.departure, stop.location
    leg = problem.seconds[here][vehicle.end]
    travel += leg
    distance += problem.metres[here][vehicle.end]
    if route.arrival < time + leg:
        errors.append(f"{where}: back at {route.arrival}, before {time + leg}")
    if route.arrival > vehicle.shift.end:
        errors.append(f"{where}: back at {route.arrival}, after its shift ends at {vehicle.shift.end}")
    if vehicle.max_working is not None and route.arrival - route.departure > vehicle.max_working:
        errors.append(f"{where}: works {route.arrival - route.departure} s, over {vehicle.max_working}")
    if (travel, distance) != (route.travel_seconds, route.distance_metres):
        errors.append(
            f"{where}: travel {route.travel_seconds} s / {route.distance_metres} m, "
            f"expected {travel} s / {distance} m"
        )
    paired = frozenset(stop.pickup_of for stop in sequence if stop.pickup_of is not None)
    dims = len(problem.dimensions)
    for step, load in enumerate(load_steps(sequence, paired, dims)):
        for d, amount in enumerate(load):
            if amount < 0:
                errors.append(f"{where}: negative load in dimension {d} at step {step}")
            if d < len(vehicle.capacity) and amount > vehicle.capacity[d]:
                errors.append(f"{where}: load {amount} over capacity {vehicle.capacity[d]} at step {step}")
    return errors


@dataclass(frozen=True, slots=True)
class VrptwCheck:
    errors: tuple[str, ...]
    distance: float
    vehicles: int

    @property
    def feasible(self) -> bool:
        return not self.errors


def check_vrptw(
    routes: Sequence[Sequence[int]],
    *,
    distance: Sequence[Sequence[float]],
    time: Sequence[Sequence[float]],
    service: Sequence[float],
    ready: Sequence[float],
    due: Sequence[float],
    demand: Sequence[float],
    capacity: float,
    depot: int = 0,
    tolerance: float = 1e-6,
) -> VrptwCheck:
    """Re-check VRPTW routes (customer indices, depot left out) in double precision."""
    errors: list[str] = []
    customers = [i for i in range(len(service)) if i != depot]
    count = Counter(c for route in routes for c in route)
    errors.extend(f"customer {c} visited {count[c]} times" for c in customers if count[c] != 1)
    errors.extend(f"unknown customer {c}" for c in count if c not in set(customers))
    total, used = 0.0, 0
    for r, route in enumerate(routes):
        if not route:
            continue
        used += 1
        if sum(demand[c] for c in route) > capacity + tolerance:
            errors.append(f"route {r}: load over capacity {capacity}")
        t, here = ready[depot], depot
        for c in [*route, depot]:
            total += distance[here][c]
            t = max(t + (service[here] if here != depot else 0.0) + time[here][c], ready[c])
            if t > due[c] + tolerance:
                errors.append(f"route {r}: at {c} at {t:.6f}, after due {due[c]}")
            here = c
    return VrptwCheck(tuple(errors), total, used)


__all__ = ["StopKind", "VrptwCheck", "check_plan", "check_vrptw"]
