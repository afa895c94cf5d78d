"""The independent checker catches what solvers must never return."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

from bench.solomon import read_solomon, to_problem
from routing.check import check_plan, check_vrptw
from routing.model import (
    Route,
    RoutePlan,
    RoutingProblem,
    SolveStats,
    SolveStatus,
    Stop,
    TimeWindow,
    Vehicle,
    Visit,
)

SECONDS = [[0, 100, 200], [100, 0, 100], [200, 100, 0]]
METRES = [[0, 1000, 2000], [1000, 0, 1000], [2000, 1000, 0]]
SOLOMON = Path(__file__).resolve().parent.parent / "data" / "solomon"
STATS = SolveStats("test", "test", 0.0, SolveStatus.SOLVED, 0, 1.0)


def problem() -> RoutingProblem:
    stops = (Stop("a", 1, 10, (6,), TimeWindow(0, 150)), Stop("b", 2, 10, (3,), TimeWindow(0, 300)))
    return RoutingProblem(
        SECONDS, METRES, stops, (Vehicle("v", 0, 0, (10,), TimeWindow(0, 1000)),), dimensions=("kg",)
    )


def good_plan() -> RoutePlan:
    visits = (Visit("a", 100, 100, 110), Visit("b", 210, 210, 220))
    return RoutePlan((Route("v", 0, visits, 420, 400, 4000),), {}, 0, STATS)


def test_a_sound_plan_passes() -> None:
    assert check_plan(problem(), good_plan()) == []


def test_a_late_stop_is_caught() -> None:
    late = problem()
    late = replace(late, stops=(replace(late.stops[0], window=TimeWindow(0, 90)), late.stops[1]))
    assert any("late" in e for e in check_plan(late, good_plan()))


def test_over_capacity_and_missing_stops_are_caught() -> None:
    heavy = problem()
    heavy = replace(heavy, stops=(replace(heavy.stops[0], demand=(8,)), heavy.stops[1]))
    assert any("over capacity" in e for e in check_plan(heavy, good_plan()))
    plan = good_plan()
    short = replace(plan, routes=(replace(plan.routes[0], visits=plan.routes[0].visits[:1]),))
    assert any("neither routed nor unassigned" in e for e in check_plan(problem(), short))


def test_times_that_ignore_travel_are_caught() -> None:
    plan = good_plan()
    fast = replace(
        plan, routes=(replace(plan.routes[0], visits=(Visit("a", 50, 50, 60), Visit("b", 210, 210, 220))),)
    )
    assert any("before" in e for e in check_plan(problem(), fast))


def test_vrptw_check_in_double_precision() -> None:
    instance = read_solomon(SOLOMON / "C101.txt")
    d = instance.distance()
    kwargs = {
        "distance": d,
        "time": d,
        "service": instance.service,
        "ready": instance.ready,
        "due": instance.due,
        "demand": instance.demand,
        "capacity": instance.capacity,
    }
    one_each = [[c] for c in range(1, len(d))]
    result = check_vrptw(one_each, **kwargs)
    assert result.feasible
    assert result.vehicles == 100
    assert math.isclose(result.distance, sum(2 * d[0][c] for c in range(1, len(d))))
    assert not check_vrptw([list(range(1, len(d)))], **kwargs).feasible  # capacity and windows
    assert not check_vrptw(one_each[1:], **kwargs).feasible  # customer 1 missing
    assert len(to_problem(instance).stops) == 100
