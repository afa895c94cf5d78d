"""Unassigned reasons tell the truth: a stop the search did not get to is ``time_limit``, not
``fleet_full``; a stop at a closed site is ``site_closed``."""

from __future__ import annotations

from dataclasses import replace

from routing.check import check_plan
from routing.insertion import fits_into_plan
from routing.model import (
    UNBOUNDED,
    Objective,
    Route,
    RoutePlan,
    RoutingProblem,
    SolveStats,
    SolveStatus,
    Stop,
    StopKind,
    TimeWindow,
    UnassignedReason,
    Vehicle,
    Visit,
)
from routing.solver import solve

HOUR = 3600
STORAGE = frozenset({"storage"})
# 0: the engineer's depot, 1: the customer's data centre, 2: another site an hour away from both.
SECONDS = [[0, 1800, 3600], [1800, 0, 3600], [3600, 3600, 0]]
METRES = [[30 * s for s in row] for row in SECONDS]


def engineer(**overrides) -> Vehicle:
    fields = {"capacity": (20,), "shift": TimeWindow(8 * HOUR, 18 * HOUR), "skills": STORAGE, **overrides}
    return Vehicle("e1", 0, 0, **fields)


def visit(key: str, location: int, service: int, **overrides) -> Stop:
    fields = {"demand": (0,), "window": TimeWindow(8 * HOUR, UNBOUNDED), **overrides}
    return Stop(key, location, service, kind=StopKind.VISIT, required_skills=STORAGE, **fields)


def committed_day(*extra: Stop, vehicle: Vehicle | None = None) -> RoutingProblem:
    """The engineer's committed day: the data centre at 8:30, then the other site."""
    stops = (
        visit("T1", 1, HOUR, pinned_vehicle="e1", pinned_position=0, deadline=12 * HOUR),
        visit("T2", 2, HOUR, pinned_vehicle="e1", pinned_position=1, deadline=17 * HOUR),
        *extra,
    )
    return RoutingProblem(
        SECONDS, METRES, stops, (vehicle or engineer(),), objective=Objective(0, 1, 0), dimensions=("parts",)
    )


def test_a_new_critical_ticket_at_the_site_the_engineer_is_at_is_not_reported_fleet_full() -> None:
    """The issue's case: a platinum critical ticket at the very site an engineer is at. The search is
    stopped at its first solution (as a short time limit stops it), which keeps the committed visits at
    the head of the route and so cannot take the new visit, due before the engineer comes back."""
    urgent = visit("T3", 1, 1800, deadline=11 * HOUR, deadline_hard=True, lateness_weight=12)
    problem = committed_day(urgent)

    stopped = solve(problem, time_limit_s=1, iterations=1)
    assert stopped.unassigned == {"T3": UnassignedReason.TIME_LIMIT}

    searched = solve(problem, time_limit_s=1, iterations=10)
    assert not searched.unassigned
    assert [visit.stop_id for visit in searched.routes[0].visits] == ["T3", "T1", "T2"]


def test_a_stop_no_route_and_no_idle_vehicle_can_take_is_fleet_full() -> None:
    # Two hours of work at the data centre from 8:45 at the latest, while the other site must be begun
    # by noon: either the new visit or the other site would be late.
    late = visit("T3", 1, 2 * HOUR, window=TimeWindow(8 * HOUR, 8 * HOUR + 2700))
    day = committed_day(late)
    by_noon = replace(day.stops[1], deadline=12 * HOUR, deadline_hard=True)
    problem = replace(day, stops=(day.stops[0], by_noon, late))
    assert solve(replace(problem, stops=(late,)), time_limit_s=1, iterations=10).unassigned == {}
    plan = solve(problem, time_limit_s=1, iterations=10)
    assert plan.unassigned == {"T3": UnassignedReason.FLEET_FULL}


def test_a_pickup_and_its_visit_fit_only_together_around_the_route() -> None:
    problem = committed_day()
    route = [problem.stops[0], problem.stops[1]]
    job = visit("T4", 1, 1800, window=TimeWindow(8 * HOUR, 9 * HOUR + 1800))
    pickup = Stop("T4:pickup", 2, 600, (1,), kind=StopKind.PICKUP, pickup_of="T4", required_skills=STORAGE)
    job = replace(job, demand=(1,))
    # The part waits at the other site: collected there, it reaches the data centre at 10:10 at best.
    assert not fits_into_plan(problem, {"e1": route}, [pickup, job])
    # Due later, it fits after the second visit.
    later = replace(job, window=TimeWindow(8 * HOUR, 16 * HOUR))
    assert fits_into_plan(problem, {"e1": route}, [pickup, later])
    # ...but not when the engineer carries no parts, nor in a working day of five hours.
    empty_handed = replace(problem, vehicles=(engineer(capacity=(0,)),))
    assert not fits_into_plan(empty_handed, {"e1": route}, [pickup, later])
    shorter = replace(problem, vehicles=(engineer(max_working=5 * HOUR),))
    assert not fits_into_plan(shorter, {"e1": route}, [pickup, later])


def test_an_idle_vehicle_with_the_skills_counts_as_room() -> None:
    spare = Vehicle("e2", 0, 0, (20,), TimeWindow(8 * HOUR, 18 * HOUR), skills=STORAGE)
    problem = replace(committed_day(), vehicles=(engineer(), spare))
    first = replace(problem.stops[0], deadline=9 * HOUR, deadline_hard=True)  # e1 is bound to 8:30
    full = {"e1": [first, problem.stops[1]]}
    job = visit("T5", 2, HOUR, window=TimeWindow(8 * HOUR, 9 * HOUR + 600))
    assert fits_into_plan(problem, full, [job])
    unskilled = replace(spare, skills=frozenset({"network"}))
    assert not fits_into_plan(replace(problem, vehicles=(engineer(), unskilled)), full, [job])


def test_a_closed_site_is_reported_closed_and_never_routed() -> None:
    closed = visit("T6", 1, HOUR, closed=True)
    pickup = Stop("T6:pickup", 2, 600, (1,), kind=StopKind.PICKUP, pickup_of="T6", required_skills=STORAGE)
    problem = committed_day(replace(closed, demand=(1,)), pickup)
    plan = solve(problem, time_limit_s=1, iterations=10)
    assert plan.unassigned == {
        "T6": UnassignedReason.SITE_CLOSED,
        "T6:pickup": UnassignedReason.PARTNER_UNASSIGNED,
    }
    alone = replace(problem, stops=(replace(closed, demand=(0,)),))
    stats = SolveStats("hand", "test", 0.0, SolveStatus.SOLVED, 0, 1.0)
    served = Route("e1", 8 * HOUR, (Visit("T6", 9 * HOUR, 9 * HOUR, 10 * HOUR),), 11 * HOUR, 3600, 108000)
    errors = check_plan(alone, RoutePlan((served,), {}, 0, stats))
    assert any("closed" in error for error in errors)
