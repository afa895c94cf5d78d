"""A route's times from its order (`routing.schedule.schedule_route`): windows, shift and working time are
hard; soft deadlines are kept only where the hard limits allow."""

from __future__ import annotations

from routing.model import RoutingProblem, Stop, StopKind, TimeWindow, Vehicle
from routing.schedule import schedule_route

HOUR = 3600
MINUTE = 60


def line(*points: int) -> tuple[list[list[int]], list[list[int]]]:
    """Places on a line, one second of travel per unit."""
    seconds = [[abs(a - b) for b in points] for a in points]
    return seconds, [[1000 * s for s in row] for row in seconds]


def test_a_soft_deadline_gives_way_to_the_working_time_limit() -> None:
    # The first visit's deadline could only be kept by leaving at once, then waiting hours for the second
    # visit's window: more than the engineer's working time. Leaving later and being late at the first
    # visit is the route's schedule, not "no schedule".
    seconds, metres = line(0, 10 * MINUTE, 20 * MINUTE)
    first = Stop("a", 1, 0, kind=StopKind.VISIT, deadline=8 * HOUR + 20 * MINUTE)
    second = Stop("b", 2, 0, kind=StopKind.VISIT, window=TimeWindow(15 * HOUR, 18 * HOUR))
    engineer = Vehicle("e", 0, 0, (), TimeWindow(8 * HOUR, 19 * HOUR), max_working=3 * HOUR)
    problem = RoutingProblem(seconds, metres, (first, second), (engineer,))
    route = schedule_route(problem, engineer, [first, second])
    assert route is not None
    assert route.arrival - route.departure <= 3 * HOUR
    assert route.visits[1].start == 15 * HOUR
    assert route.visits[0].lateness > 0


def test_a_soft_deadline_is_kept_when_the_working_time_allows() -> None:
    seconds, metres = line(0, 10 * MINUTE, 20 * MINUTE)
    first = Stop("a", 1, 0, kind=StopKind.VISIT, deadline=8 * HOUR + 20 * MINUTE)
    second = Stop("b", 2, 0, kind=StopKind.VISIT, window=TimeWindow(10 * HOUR, 18 * HOUR))
    engineer = Vehicle("e", 0, 0, (), TimeWindow(8 * HOUR, 19 * HOUR), max_working=3 * HOUR)
    problem = RoutingProblem(seconds, metres, (first, second), (engineer,))
    route = schedule_route(problem, engineer, [first, second])
    assert route is not None
    assert route.visits[0].lateness == 0
    assert route.arrival - route.departure <= 3 * HOUR


def test_no_schedule_when_even_the_latest_departure_breaks_the_working_time() -> None:
    seconds, metres = line(0, 10 * MINUTE, 20 * MINUTE)
    first = Stop("a", 1, 0, kind=StopKind.VISIT, window=TimeWindow(8 * HOUR, 9 * HOUR))
    second = Stop("b", 2, 0, kind=StopKind.VISIT, window=TimeWindow(15 * HOUR, 18 * HOUR))
    engineer = Vehicle("e", 0, 0, (), TimeWindow(8 * HOUR, 19 * HOUR), max_working=3 * HOUR)
    problem = RoutingProblem(seconds, metres, (first, second), (engineer,))
    assert schedule_route(problem, engineer, [first, second]) is None
