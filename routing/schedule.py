"""Times and loads along one route. Pure Python; shared by the solver adapters and urgent insertion.

A route's schedule is fixed by the order of its stops: each service begins at the later of the arrival
and the window's start (waiting is allowed). `schedule_route` leaves the start as late as possible
without making the route end later, so the working time is the shortest the order allows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

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
    When keeping the soft deadlines would break the working-time limit, the departure is as late as that
    limit needs (within the hard limits) and the deadlines are missed instead.
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
    departure = _latest_departure(problem, vehicle, stops, earliest, end, soft_limit)
    if not stops:
        departure = end = vehicle.shift.start
    elif vehicle.max_working is not None and end - departure > vehicle.max_working:
        # Keeping a soft deadline would make the day too long: leave as late as the working time needs,
        # as long as every hard limit still holds (the deadline is then missed, and costed).
        hard = _latest_departure(problem, vehicle, stops, earliest, end, _hard_limit)
        departure = min(hard, end - vehicle.max_working)
    visits, travel, distance = _forward(problem, vehicle, stops, departure)
    arrival = visits[-1].departure + seconds[stops[-1].location][vehicle.end] if stops else end
    travel += seconds[stops[-1].location][vehicle.end] if stops else 0
    distance += metres[stops[-1].location][vehicle.end] if stops else 0
    if vehicle.max_working is not None and arrival - departure > vehicle.max_working:
        return None
    return Route(vehicle.id, departure, tuple(visits), arrival, travel, distance)


def _hard_limit(stop: Stop) -> int:
    return stop.latest_start


def _latest_departure(
    problem: RoutingProblem,
    vehicle: Vehicle,
    stops: Sequence[Stop],
    earliest: Sequence[int],
    end: int,
    limit: Callable[[Stop], int],
) -> int:
    """The latest departure that reaches each stop by ``limit(stop)`` (where the earliest times allow) and
    still ends at ``end``, found backwards from the end."""
    seconds = problem.seconds
    latest_next, nxt = end, vehicle.end
    for i in range(len(stops) - 1, -1, -1):
        stop = stops[i]
        bound = min(limit(stop), latest_next - stop.service - seconds[stop.location][nxt])
        latest_next, nxt = max(bound, earliest[i]), stop.location
    return max(vehicle.shift.start, latest_next - seconds[vehicle.start][nxt])


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
