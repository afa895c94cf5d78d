"""The dispatch benchmark's translation: our problem -> VROOM's input -> its routes -> our checked plan."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bench.dispatch_vs_vroom import (
    Score,
    VroomRoute,
    VroomStep,
    priority,
    skill_numbers,
    solve_vroom,
    to_plan,
    working_window,
)
from routing.check import check_plan
from routing.model import RoutingProblem, Stop, StopKind, TimeWindow, UnassignedReason, Vehicle

HOUR = 3600
# Locations: 0 the depot, 1-4 sites in a row, 10 minutes apart.
SECONDS = [[600 * abs(a - b) for b in range(5)] for a in range(5)]
METRES = [[10_000 * abs(a - b) for b in range(5)] for a in range(5)]
SHIFT = TimeWindow(8 * HOUR, 19 * HOUR)


def tiny_day() -> RoutingProblem:
    """Two engineers with different skills; a ticket with a part, one without, a pinned one, an
    inspection, and a ticket nobody has the skill for."""
    fleet = (
        Vehicle("ann", 0, 0, (2,), SHIFT, max_working=8 * HOUR, skills=frozenset({"network"})),
        Vehicle("bo", 0, 0, (2,), SHIFT, max_working=8 * HOUR, skills=frozenset({"power"})),
    )
    day = TimeWindow(8 * HOUR, 19 * HOUR)
    network, power = frozenset({"network"}), frozenset({"power"})
    pin = {"pinned_vehicle": "bo"}
    stops = (
        Stop("t0:part", 0, 600, (1,), day, StopKind.PICKUP, pickup_of="t0", required_skills=network),
        Stop("t0", 1, 3600, (1,), day, StopKind.VISIT, required_skills=network, deadline=12 * HOUR),
        Stop("t1", 2, 2700, (1,), day, StopKind.VISIT, required_skills=power, lateness_weight=6),
        Stop("t2:part", 0, 600, (1,), day, StopKind.PICKUP, pickup_of="t2", pinned_position=0, **pin),
        Stop("t2", 3, 3600, (1,), day, StopKind.VISIT, pinned_position=1, **pin),
        Stop(
            "i0", 4, 3600, (), TimeWindow(9 * HOUR, 17 * HOUR), StopKind.VISIT, optional=True, penalty=20_000
        ),
        Stop("t3", 2, 1800, (1,), day, StopKind.VISIT, required_skills=frozenset({"storage"})),
    )
    return RoutingProblem(SECONDS, METRES, stops, fleet, dimensions=("parts",))


def test_skills_are_numbered_by_name_and_priorities_follow_the_weights() -> None:
    problem = tiny_day()
    assert skill_numbers(problem) == {"network": 1, "power": 2, "storage": 3}
    by_id = {stop.id: stop for stop in problem.stops}
    assert priority(by_id["t2"]) == 100  # pinned
    assert priority(by_id["i0"]) == 0  # optional
    assert priority(by_id["t1"]) == 48 > priority(by_id["t0"]) == 8


def test_the_working_time_limit_cuts_the_shift_from_its_start() -> None:
    engineer = tiny_day().vehicles[0]
    assert working_window(engineer) == (8 * HOUR, 16 * HOUR)
    assert working_window(Vehicle("free", 0, 0, shift=SHIFT)) == (8 * HOUR, 19 * HOUR)


def test_vroom_solves_the_tiny_day_into_a_plan_our_checker_accepts() -> None:
    pytest.importorskip("vroom")
    problem = tiny_day()
    plan = solve_vroom(problem, time_limit_s=1.0)
    assert check_plan(problem, plan) == []
    routes = {route.vehicle_id: [visit.stop_id for visit in route.visits] for route in plan.routes}
    assert routes["ann"].index("t0:part") < routes["ann"].index(
        "t0"
    )  # a shipment: same engineer, pickup first
    assert routes["bo"].index("t2:part") < routes["bo"].index("t2")  # the pin held
    assert "t1" in routes["bo"]
    assert "i0" in routes["ann"] + routes["bo"]
    assert plan.unassigned == {"t3": UnassignedReason.NO_VEHICLE}
    assert all(route.arrival - route.departure <= 8 * HOUR for route in plan.routes)


def test_a_vroom_route_our_checker_rejects_is_reported_not_repaired() -> None:
    problem = tiny_day()
    stops = [stop.id for stop in problem.stops]
    # t1 needs "power", which ann lacks: scheduled as usual, then rejected by the checker.
    wrong_engineer = VroomRoute(0, 8 * HOUR, (VroomStep(stops.index("t1"), 0, 0, 0),), 9 * HOUR)
    plan = to_plan(problem, [wrong_engineer], wall_s=0.1, time_limit_s=1.0)
    assert any("lacks skills ['power'] for t1" in error for error in check_plan(problem, plan))
    # A route that cannot be scheduled keeps VROOM's times: here t0 must begin by 8:10, which the
    # pickup first makes impossible (8:20), and VROOM's times would have to skip the travel.
    tight = problem.stops[stops.index("t0")]
    problem = replace(
        problem,
        stops=tuple(
            s if s is not tight else replace(tight, window=TimeWindow(0, 8 * HOUR + 600))
            for s in problem.stops
        ),
    )
    steps = (
        VroomStep(stops.index("t0:part"), 8 * HOUR, 8 * HOUR, 8 * HOUR),
        VroomStep(stops.index("t0"), 8 * HOUR + 600, 8 * HOUR + 600, 9 * HOUR + 600),
    )
    plan = to_plan(problem, [VroomRoute(0, 8 * HOUR, steps, 10 * HOUR)], wall_s=0.1, time_limit_s=1.0)
    errors = check_plan(problem, plan)
    assert [visit.start for visit in plan.routes[0].visits] == [8 * HOUR, 8 * HOUR + 600]
    assert any("leaves t0:part before its service ends" in error for error in errors)
    assert plan.unassigned["t1"] is UnassignedReason.TIME_LIMIT  # it still fits on bo, who is idle


def test_the_ordering_is_served_weight_then_lateness_then_inspections_then_travel() -> None:
    def figures(
        served: int, lateness: int, inspections: int, travel: int, errors: tuple[str, ...] = ()
    ) -> Score:
        return Score(served, 0, inspections, lateness, travel, 0, errors)

    ours = figures(100, 500, 10, 3000)
    assert ours.at_least_as_good_as(figures(99, 0, 20, 1000))
    assert not ours.at_least_as_good_as(figures(100, 499, 0, 9000))
    assert ours.at_least_as_good_as(figures(100, 500, 9, 1000))
    assert ours.at_least_as_good_as(figures(100, 500, 10, 3000))
    assert not ours.at_least_as_good_as(figures(100, 500, 10, 2999))
    assert ours.at_least_as_good_as(figures(200, 0, 20, 0, errors=("rejected",)))
    assert not figures(200, 0, 20, 0, errors=("rejected",)).at_least_as_good_as(ours)
