"""Routing core: solve() invariants on tiny problems (both backends), hygiene and reasons."""

from __future__ import annotations

import pytest

from bench.routing_dispatch import dispatch_problem
from bench.routing_scale import day_problem, resolve_with, urgent_requests
from routing.check import check_plan
from routing.errors import InvalidProblem, NoSolution, ProblemTooLarge
from routing.model import (
    Limits,
    Objective,
    RoutingProblem,
    Stop,
    StopKind,
    TimeWindow,
    UnassignedReason,
    Vehicle,
)
from routing.solver import solve

HOUR = 3600


def grid(n: int) -> tuple[list[list[int]], list[list[int]]]:
    """Locations on a 2-D grid of 10 columns, 10 minutes and 5 km per step (Manhattan)."""
    cells = [(i % 10, i // 10) for i in range(n)]
    steps = [[abs(a[0] - b[0]) + abs(a[1] - b[1]) for b in cells] for a in cells]
    return [[600 * s for s in row] for row in steps], [[5000 * s for s in row] for row in steps]


def deliveries(count: int, **overrides) -> tuple[Stop, ...]:
    return tuple(
        Stop(f"s{k}", 1 + k, 300, (10, 5), TimeWindow(8 * HOUR, 18 * HOUR), **overrides) for k in range(count)
    )


def vans(count: int, capacity=(100, 100), **overrides) -> tuple[Vehicle, ...]:
    return tuple(
        Vehicle(f"v{k}", 0, 0, capacity, TimeWindow(8 * HOUR, 18 * HOUR), **overrides) for k in range(count)
    )


def routed(plan) -> dict[str, str]:
    return {visit.stop_id: route.vehicle_id for route in plan.routes for visit in route.visits}


def assert_sound(problem: RoutingProblem, plan) -> None:
    assert check_plan(problem, plan) == []
    ids = {stop.id for stop in problem.stops}
    assert routed(plan).keys() | plan.unassigned.keys() == ids
    assert not routed(plan).keys() & plan.unassigned.keys()


@pytest.mark.parametrize("backend", ["auto", "ortools"])
def test_every_stop_once_within_windows_and_capacity(backend: str) -> None:
    seconds, metres = grid(13)
    problem = RoutingProblem(seconds, metres, deliveries(12), vans(3))
    plan = solve(problem, time_limit_s=0.3, backend=backend)
    assert_sound(problem, plan)
    assert not plan.unassigned
    assert plan.stats.backend == ("pyvrp" if backend == "auto" else "ortools")
    # 12 x 10 kg on 100 kg vans: two vans are needed, and "vehicles first" uses no more.
    assert len(plan.routes) == 2


def test_impossible_stops_come_back_with_reasons() -> None:
    seconds, metres = grid(6)
    stops = (
        Stop("ok", 1, 300, (10,), TimeWindow(8 * HOUR, 18 * HOUR)),
        Stop("heavy", 2, 300, (500,), TimeWindow(8 * HOUR, 18 * HOUR)),
        Stop("early", 5, 300, (1,), TimeWindow(0, 8 * HOUR + 60)),
        Stop("skilled", 3, 300, (1,), required_skills=frozenset({"hv"})),
    )
    problem = RoutingProblem(seconds, metres, stops, vans(1, capacity=(100,)), dimensions=("kg",))
    plan = solve(problem, time_limit_s=0.3)
    assert_sound(problem, plan)
    assert plan.unassigned == {
        "heavy": UnassignedReason.NO_CAPACITY,
        "early": UnassignedReason.WINDOW_UNREACHABLE,
        "skilled": UnassignedReason.NO_VEHICLE,
    }


@pytest.mark.parametrize("backend", ["auto", "ortools"])
def test_a_full_fleet_leaves_stops_out_instead_of_failing(backend: str) -> None:
    seconds, metres = grid(11)
    problem = RoutingProblem(seconds, metres, deliveries(10), vans(1, capacity=(50, 50)))
    plan = solve(problem, time_limit_s=0.3, backend=backend)
    assert_sound(problem, plan)
    assert len(routed(plan)) == 5
    assert set(plan.unassigned.values()) == {UnassignedReason.FLEET_FULL}


def test_shift_and_max_working_hold() -> None:
    seconds, metres = grid(21)
    problem = RoutingProblem(
        seconds, metres, deliveries(20), vans(4, capacity=(1000, 1000), max_working=3 * HOUR)
    )
    plan = solve(problem, time_limit_s=0.5, backend="ortools")
    assert_sound(problem, plan)
    for route in plan.routes:
        assert route.arrival - route.departure <= 3 * HOUR
        assert route.departure >= 8 * HOUR
        assert route.arrival <= 18 * HOUR


def test_pickups_precede_deliveries_on_the_same_engineer_with_matching_skills() -> None:
    seconds, metres = grid(30)
    engineers = (
        Vehicle("e-net", 0, 0, (), TimeWindow(8 * HOUR, 18 * HOUR), skills=frozenset({"network"})),
        Vehicle("e-srv", 10, 10, (), TimeWindow(8 * HOUR, 18 * HOUR), skills=frozenset({"server"})),
    )
    stops = []
    for k in range(6):
        skill = "network" if k % 2 else "server"
        need = frozenset({skill})
        visit = Stop(f"t{k}", 20 + k, 1800, (1,), kind=StopKind.VISIT, required_skills=need)
        stops += [visit, Stop(f"t{k}:part", 5, 300, (1,), kind=StopKind.PICKUP, pickup_of=visit.id)]
    problem = RoutingProblem(seconds, metres, tuple(stops), engineers, dimensions=("parts",))
    plan = solve(problem, time_limit_s=0.5)
    assert plan.stats.backend == "ortools"
    assert_sound(problem, plan)
    assert not plan.unassigned
    where = routed(plan)
    order = {v.stop_id: i for r in plan.routes for i, v in enumerate(r.visits)}
    for k in range(6):
        assert where[f"t{k}"] == where[f"t{k}:part"] == ("e-net" if k % 2 else "e-srv")
        assert order[f"t{k}:part"] < order[f"t{k}"]


def test_pinned_visits_stay_on_their_engineer_in_order_after_a_replan() -> None:
    seconds, metres = grid(20)
    base = deliveries(8)
    first = solve(RoutingProblem(seconds, metres, base, vans(2)), time_limit_s=0.3, backend="ortools")
    committed = {}
    for route in first.routes:
        for position, visit in enumerate(route.visits[:2]):
            committed[visit.stop_id] = (route.vehicle_id, position)
    pinned = tuple(
        Stop(
            s.id,
            s.location,
            s.service,
            s.demand,
            s.window,
            pinned_vehicle=committed[s.id][0],
            pinned_position=committed[s.id][1],
        )
        if s.id in committed
        else s
        for s in base
    )
    extra = tuple(Stop(f"n{k}", 10 + k, 300, (10, 5), TimeWindow(8 * HOUR, 18 * HOUR)) for k in range(6))
    problem = RoutingProblem(seconds, metres, pinned + extra, vans(2))
    plan = solve(problem, time_limit_s=0.5)
    assert plan.stats.backend == "ortools"
    assert_sound(problem, plan)
    for route in plan.routes:
        mine = [v.stop_id for v in route.visits if v.stop_id in committed]
        assert all(committed[s][0] == route.vehicle_id for s in mine)
        assert mine == sorted(mine, key=lambda s: committed[s][1])
    assert committed.keys() <= routed(plan).keys()


def assert_pins_kept(problem: RoutingProblem, plan) -> None:
    """Every pinned stop is routed on its vehicle, and each vehicle's pins come in position order."""
    where = {v.stop_id: (r.vehicle_id, i) for r in plan.routes for i, v in enumerate(r.visits)}
    pins: dict[str, list[Stop]] = {}
    for stop in problem.stops:
        if stop.pinned_vehicle is not None:
            assert stop.id not in plan.unassigned
            assert where[stop.id][0] == stop.pinned_vehicle
            pins.setdefault(stop.pinned_vehicle, []).append(stop)
    for group in pins.values():
        order = [where[s.id][1] for s in sorted(group, key=lambda s: s.pinned_position or 0)]
        assert order == sorted(order)


@pytest.mark.parametrize(
    ("tickets", "engineers", "seed", "pinned", "limit"),
    [
        (100, 30, 3, 6, 1.0),  # the dispatch benchmark day itself
        (60, 20, 5, 6, 0.5),
        (40, 6, 3, 12, 0.5),  # two pinned tickets (four ordered stops with parts) per engineer
        (40, 6, 4, 12, 0.5),
    ],
)
def test_pinned_dispatch_keeps_every_pin_at_short_time_limits(
    tickets: int, engineers: int, seed: int, pinned: int, limit: float
) -> None:
    problem = dispatch_problem(tickets, engineers, seed, pinned)
    plan = solve(problem, time_limit_s=limit)
    assert plan.stats.backend == "ortools"
    assert_sound(problem, plan)
    assert_pins_kept(problem, plan)


def test_pinned_dispatch_starts_from_a_full_first_solution_not_the_pins_alone() -> None:
    problem = dispatch_problem()
    plan = solve(problem, time_limit_s=10, iterations=1)  # the starting assignment, whatever the load
    assert_sound(problem, plan)
    assert_pins_kept(problem, plan)
    required = [s for s in problem.stops if not s.optional]
    assert len([s for s in required if s.id in routed(plan)]) >= 0.9 * len(required)


def test_a_replan_keeps_the_visits_under_way_pinned_in_order_at_half_a_second() -> None:
    problem = day_problem(vehicles=10, stops=100)
    plan = solve(problem, time_limit_s=1)
    request = urgent_requests(problem, 1)[0]  # late morning: several visits under way on every van
    replan, _stops = resolve_with(problem, plan, request)
    assert sum(stop.pinned_vehicle is not None for stop in replan.stops) > 30
    again = solve(replan, time_limit_s=0.5)
    assert_sound(replan, again)
    assert_pins_kept(replan, again)
    assert request.stop.id in routed(again)


def test_pins_that_cannot_be_kept_in_their_order_raise_no_solution_naming_the_vehicle() -> None:
    seconds, metres = grid(4)
    afternoon, morning = TimeWindow(15 * HOUR, 15 * HOUR + 600), TimeWindow(9 * HOUR, 9 * HOUR + 600)
    stops = (
        Stop("a", 1, 600, window=afternoon, pinned_vehicle="v1", pinned_position=0),
        Stop("b", 2, 600, window=morning, pinned_vehicle="v1", pinned_position=1),
        Stop("c", 3, 600, window=TimeWindow(8 * HOUR, 18 * HOUR)),
    )
    problem = RoutingProblem(seconds, metres, stops, vans(2))
    with pytest.raises(NoSolution) as raised:
        solve(problem, time_limit_s=0.5)
    assert raised.value.details["vehicles"] == ["v1"]


def test_optional_inspections_fill_free_time_only() -> None:
    seconds, metres = grid(12)
    must = tuple(Stop(f"m{k}", 1 + k, 1800, window=TimeWindow(8 * HOUR, 12 * HOUR)) for k in range(3))
    inspections = tuple(
        Stop(f"i{k}", 4 + k, 2 * HOUR, kind=StopKind.VISIT, optional=True, penalty=50_000) for k in range(6)
    )
    engineer = (Vehicle("e", 0, 0, (), TimeWindow(8 * HOUR, 14 * HOUR)),)
    problem = RoutingProblem(seconds, metres, must + inspections, engineer, Objective(vehicle_cost=0))
    plan = solve(problem, time_limit_s=0.3)
    assert_sound(problem, plan)
    assert {f"m{k}" for k in range(3)} <= routed(plan).keys()
    dropped = [s for s, reason in plan.unassigned.items() if reason is UnassignedReason.NOT_WORTH_IT]
    assert dropped
    assert all(s.startswith("i") for s in dropped)
    assert any(s.startswith("i") for s in routed(plan))


def test_soft_deadlines_are_kept_when_possible_and_costed_when_not() -> None:
    seconds, metres = grid(5)
    urgent = Stop("sev1", 4, 600, kind=StopKind.VISIT, deadline=8 * HOUR + 2700, lateness_weight=100)
    slow = Stop("sev3", 1, 3 * HOUR, kind=StopKind.VISIT, deadline=8 * HOUR + 1200, lateness_weight=1)
    engineer = (Vehicle("e", 0, 0, (), TimeWindow(8 * HOUR, 18 * HOUR)),)
    problem = RoutingProblem(seconds, metres, (urgent, slow), engineer)
    plan = solve(problem, time_limit_s=0.3)
    assert_sound(problem, plan)
    visits = {v.stop_id: v for v in plan.routes[0].visits}
    assert visits["sev1"].lateness == 0  # the heavy one first
    assert visits["sev3"].lateness > 0
    assert plan.lateness_cost == visits["sev3"].lateness


def test_a_fixed_seed_and_iteration_budget_reproduce_the_plan() -> None:
    seconds, metres = grid(25)
    problem = RoutingProblem(seconds, metres, deliveries(24), vans(4))
    for backend in ("pyvrp", "ortools"):
        a = solve(problem, time_limit_s=5, seed=7, backend=backend, iterations=200)
        b = solve(problem, time_limit_s=5, seed=7, backend=backend, iterations=200)
        assert a.routes == b.routes
        assert a.objective == b.objective


def test_oversized_problems_and_limits_are_refused() -> None:
    seconds, metres = grid(5)
    small = Limits(max_stops=3, max_vehicles=2, max_time_limit_s=10)
    with pytest.raises(ProblemTooLarge):
        solve(RoutingProblem(seconds, metres, deliveries(4), vans(1), limits=small), time_limit_s=1)
    with pytest.raises(ProblemTooLarge):
        solve(RoutingProblem(seconds, metres, deliveries(2), vans(3), limits=small), time_limit_s=1)
    with pytest.raises(ProblemTooLarge):
        solve(RoutingProblem(seconds, metres, deliveries(2), vans(1), limits=small), time_limit_s=11)
    with pytest.raises(InvalidProblem):
        solve(RoutingProblem(seconds, metres, deliveries(2), vans(1)), time_limit_s=1, backend="nope")
