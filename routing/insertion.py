"""Whether a stop left out of a plan still fits into it: into a route, or on an idle vehicle. Pure Python.

It tells a stop the search did not get to (``time_limit``) from one the fleet has no room for
(``fleet_full``), whatever solver made the plan. Each route is tried at every position (the pickup, then
its stop); a position passes a quick test of earliest and latest start times first, and then counts only
if `routing.schedule.schedule_route` schedules the whole new route (windows, shift, working time) and
its loads stay within capacity. Pinned stops of the route keep their order, since nothing is moved.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from routing.model import RoutingProblem, Stop, Vehicle
from routing.schedule import load_steps, schedule_route


def fits_into_plan(
    problem: RoutingProblem, sequences: Mapping[str, Sequence[Stop]], group: Sequence[Stop]
) -> bool:
    """Whether ``group`` (a stop, or a pickup and then its stop) fits into one vehicle's sequence.

    Args:
        sequences: each vehicle's stops in order, by vehicle id (missing or empty: an idle vehicle).
        group: the stops to insert together, the pickup first.
    """
    for vehicle in problem.vehicles:
        if not all(stop.required_skills <= vehicle.skills for stop in group):
            continue
        route = list(sequences.get(vehicle.id, ()))
        if not route:
            if _feasible(problem, vehicle, list(group)):
                return True
        elif any(_feasible(problem, vehicle, seq) for seq in _candidates(problem, vehicle, route, group)):
            return True
    return False


def _feasible(problem: RoutingProblem, vehicle: Vehicle, sequence: list[Stop]) -> bool:
    if schedule_route(problem, vehicle, sequence) is None:
        return False
    paired = frozenset(stop.pickup_of for stop in sequence if stop.pickup_of is not None)
    for load in load_steps(sequence, paired, len(problem.dimensions)):
        for d, amount in enumerate(load):
            if amount < 0 or (d < len(vehicle.capacity) and amount > vehicle.capacity[d]):
                return False
    return True


def _candidates(
    problem: RoutingProblem, vehicle: Vehicle, route: list[Stop], group: Sequence[Stop]
) -> Iterator[list[Stop]]:
    """The sequences with ``group`` inserted into ``route`` that pass the time test, pickup first."""
    seconds = problem.seconds
    n = len(route)
    earliest_departure = []  # from each stop of the route, leaving the shift start as early as possible
    t, here = vehicle.shift.start, vehicle.start
    for stop in route:
        t = max(t + seconds[here][stop.location], stop.window.start) + stop.service
        here = stop.location
        earliest_departure.append(t)
    latest = [0] * (n + 1)  # latest start of each stop (n: arrival back) that keeps the rest on time
    latest[n], nxt = vehicle.shift.end, vehicle.end
    for j in range(n - 1, -1, -1):
        leave_by = latest[j + 1] - route[j].service - seconds[route[j].location][nxt]
        latest[j] = min(route[j].latest_start, leave_by)
        nxt = route[j].location

    def reaches(t: int, here: int, j: int) -> bool:
        """Leaving ``here`` at ``t``, whether the route's stop ``j`` (or the end) is still on time."""
        if j == n:
            return t + seconds[here][vehicle.end] <= latest[n]
        return max(t + seconds[here][route[j].location], route[j].window.start) <= latest[j]

    def serve(t: int, here: int, stop: Stop) -> int | None:
        start = max(t + seconds[here][stop.location], stop.window.start)
        return None if start > stop.latest_start else start + stop.service

    *pickup, stop = group
    for p in range(n + 1):
        t = vehicle.shift.start if p == 0 else earliest_departure[p - 1]
        here = vehicle.start if p == 0 else route[p - 1].location
        if pickup:
            after = serve(t, here, pickup[0])
            if after is None:
                continue
            t, here = after, pickup[0].location
        for q in range(p, n + 1):
            if q > p:  # the route's stop q-1 now comes between the pickup and its stop
                j = q - 1
                start = max(t + seconds[here][route[j].location], route[j].window.start)
                if start > latest[j]:
                    break
                t, here = start + route[j].service, route[j].location
            after = serve(t, here, stop)
            if after is not None and reaches(after, stop.location, q):
                yield [*route[:p], *pickup, *route[p:q], stop, *route[q:]]
            if not pickup:
                break
