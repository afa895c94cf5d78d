"""Times and loads along one route. Pure Python; shared by the solver adapters and urgent insertion.

A route's schedule is fixed by the order of its stops: each service begins at the later of the arrival
and the window's start (waiting is allowed). `schedule_route` leaves the start as late as possible
without making the route end later, so the working time is the shortest the order allows.
"""

from __future__ import annotations

from collections.abc import Sequence

from routing.model import Route, RoutingProblem, Stop, StopKind, Vehicle, Visit


def initial_load(stops: Sequence[Stop], paired: frozenset[str], dims: int) -> list[int]:
    """Load on leaving the start depot: every delivery or visit not brought by a pickup on the route."""
    load = [0] * dims
    for stop in stops:
        if stop.kind is not StopKind.PICKUP and stop.id not in paired:
            for d, amount in enumerate(stop.demand):
                load[d] += amount
    return load


def load_steps(stops: Sequence[Stop], paired: frozenset[str], dims: int) -> list[list[int]]:
    """Load after each stop (index 0 = on leaving the depot, i+1 = after stop i)."""
    load = initial_load(stops, paired, dims)
    steps = [list(load)]
    for stop in stops:
        sign = 1 if stop.kind is StopKind.PICKUP else -1
        for d, amount in enumerate(stop.demand):
            load[d] += sign * amount
        steps.append(list(load))
    return steps


def soft_limit(stop: Stop) -> int:
    """Latest start worth aiming for: the hard limit, or the soft deadline when that is earlier."""
    limit = stop.latest_start
    if stop.deadline is not None:
        limit = min(limit, stop.deadline)
    return limit


def schedule_route(problem: RoutingProblem, vehicle: Vehicle, stops: Sequence[Stop]) -> Route | None:
    """The route of ``vehicle`` through ``stops`` in order, or ``None`` when a window or the shift breaks.

    Earliest times first (leaving at the shift start); then the latest departure that still reaches every
    stop by its limit (soft deadlines count as limits where they can be kept) and ends just as early.
    """
    seconds, metres = problem.seconds, problem.metres
    earliest: list[int] = []
    time, here = vehicle.shift.start, vehicle.start
    for stop in stops:
        start = max(time + seconds[here][stop.location], stop.window.start)
        if start > stop.latest_start:
            return None
        earliest.append(start)
        time, here = start + stop.service, stop.location
    end = time + seconds[here][vehicle.end]
    if end > vehicle.shift.end:
        return None
    # Backward: the latest start of each stop that keeps the end time.
    latest_next, nxt = end, vehicle.end
    latest: list[int] = [0] * len(stops)
    for i in range(len(stops) - 1, -1, -1):
        stop = stops[i]
        bound = min(soft_limit(stop), latest_next - stop.service - seconds[stop.location][nxt])
        latest[i] = max(bound, earliest[i])
        latest_next, nxt = latest[i], stop.location
    departure = max(vehicle.shift.start, latest_next - seconds[vehicle.start][nxt]) if stops else end
    if not stops:
        departure = end = vehicle.shift.start
    visits, travel, distance = _forward(problem, vehicle, stops, departure)
    arrival = visits[-1].departure + seconds[stops[-1].location][vehicle.end] if stops else end
    travel += seconds[stops[-1].location][vehicle.end] if stops else 0
    distance += metres[stops[-1].location][vehicle.end] if stops else 0
    if vehicle.max_working is not None and arrival - departure > vehicle.max_working:
        return None
    return Route(vehicle.id, departure, tuple(visits), arrival, travel, distance)


def _forward(
    problem: RoutingProblem, vehicle: Vehicle, stops: Sequence[Stop], departure: int
) -> tuple[list[Visit], int, int]:
    seconds, metres = problem.seconds, problem.metres
    visits: list[Visit] = []
    time, here, travel, distance = departure, vehicle.start, 0, 0
    for stop in stops:
        leg = seconds[here][stop.location]
        travel += leg
        distance += metres[here][stop.location]
        arrival = time + leg
        start = max(arrival, stop.window.start)
        late = max(0, start - stop.deadline) if stop.deadline is not None else 0
        visits.append(Visit(stop.id, arrival, start, start + stop.service, late))
        time, here = start + stop.service, stop.location
    return visits, travel, distance


def lateness_cost(stops_by_id: dict[str, Stop], route: Route) -> int:
    """Sum of seconds late times each stop's lateness weight."""
    return sum(visit.lateness * stops_by_id[visit.stop_id].lateness_weight for visit in route.visits)
