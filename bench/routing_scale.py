"""Routing figures at realistic scale: ``python -m bench.routing_scale [--requests 200]``.

One function per figure, run in order by `main`:

* `urgent_decision`: a day plan of 500 stops for a fleet of 50 vans (made by `routing.solver.solve`),
  then random 4-hour urgent requests answered by `routing.urgent.insert_urgent`: p50/p95/max answer
  time and how many were feasible. Baseline in the same run: for a few of the requests, a full re-solve
  of the day with the urgent pickup and delivery added (visits already under way pinned to their van
  and order), its wall time and how many planned stops it moves to another van.
* `dispatch_day`: the engineer dispatch day of `bench.routing_dispatch` (100 tickets to 30 engineers,
  60 part pickups, 6 pinned visits) at 10 s and at 2 s.

Times are wall seconds on the machine that runs it; the solver backends are imported before any timing.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from dataclasses import dataclass, replace

from bench.routing_dispatch import dispatch_problem, pins_held, run_dispatch
from geo.travel import Point
from routing.check import check_plan
from routing.model import (
    UNBOUNDED,
    Location,
    RoutePlan,
    RoutingProblem,
    Stop,
    StopKind,
    TimeWindow,
    Vehicle,
)
from routing.solver import solve
from routing.urgent import insert_urgent

HOUR = 3600
URGENT_P95_GOAL_S = 1.0
DEPOTS = 5


def out(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def day_problem(vehicles: int = 50, stops: int = 500, seed: int = 1) -> RoutingProblem:
    """A regional delivery day: 5 depots, ``stops`` sites within ~20 km, a third of them morning-only."""
    rng = random.Random(seed)
    depots = [Location(f"d{k}", Point(31.22 + 0.04 * k, 121.42 + 0.03 * k)) for k in range(DEPOTS)]
    sites = [
        Location(f"site{k}", Point(31.2 + rng.random() * 0.2, 121.4 + rng.random() * 0.2))
        for k in range(stops)
    ]
    planned = tuple(
        Stop(
            f"s{k}",
            DEPOTS + k,
            600,
            (rng.randint(1, 20), rng.randint(1, 50)),
            TimeWindow(9 * HOUR, 18 * HOUR) if k % 3 else TimeWindow(9 * HOUR, 13 * HOUR),
        )
        for k in range(stops)
    )
    fleet = tuple(
        Vehicle(
            f"v{k}",
            k % DEPOTS,
            k % DEPOTS,
            (800, 3000),
            TimeWindow(8 * HOUR, 19 * HOUR),
            max_working=10 * HOUR,
        )
        for k in range(vehicles)
    )
    return RoutingProblem.from_locations(depots + sites, planned, fleet)


@dataclass(frozen=True, slots=True)
class UrgentRequest:
    """A part to collect at a depot from ``now`` and deliver to a site within 4 hours."""

    stop: Stop
    pickup_location: int
    now: int


def urgent_requests(problem: RoutingProblem, count: int, seed: int = 7) -> list[UrgentRequest]:
    rng = random.Random(seed)
    requests = []
    for k in range(count):
        now = rng.randint(9 * HOUR, 14 * HOUR)
        site = rng.randrange(DEPOTS, problem.size)
        stop = Stop(f"urgent{k}", site, 900, (5, 10), TimeWindow(now, now + 4 * HOUR))
        requests.append(UrgentRequest(stop, rng.randrange(DEPOTS), now))
    return requests


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def resolve_with(
    problem: RoutingProblem, plan: RoutePlan, request: UrgentRequest
) -> tuple[RoutingProblem, tuple[Stop, ...]]:
    """The day with the urgent pair added and every visit under way at ``now`` pinned to its van and order."""
    under_way = {
        visit.stop_id: (route.vehicle_id, position)
        for route in plan.routes
        for position, visit in enumerate(route.visits)
        if visit.start < request.now
    }
    stops = tuple(
        replace(stop, pinned_vehicle=under_way[stop.id][0], pinned_position=under_way[stop.id][1])
        if stop.id in under_way
        else stop
        for stop in problem.stops
    )
    pickup = Stop(
        f"{request.stop.id}:pickup",
        request.pickup_location,
        300,
        request.stop.demand,
        TimeWindow(request.now, UNBOUNDED),
        StopKind.PICKUP,
        pickup_of=request.stop.id,
    )
    return replace(problem, stops=(*stops, pickup, request.stop)), stops


def urgent_decision(
    *,
    requests: int = 200,
    plan_limit_s: float = 10.0,
    resolves: int = 3,
    resolve_limits: tuple[float, ...] = (1.0, 10.0),
    seed: int = 1,
) -> None:
    """Figure a: urgent 4-hour insertion into a 50-van, 500-stop day plan, beside a full re-solve."""
    problem = day_problem(seed=seed)
    plan = solve(problem, time_limit_s=plan_limit_s, seed=0)
    out(
        f"day plan: {len(problem.stops)} stops, fleet {len(problem.vehicles)}, {len(plan.routes)} routes, "
        f"{len(plan.unassigned)} unassigned, {plan.stats.backend} {plan.stats.wall_s:.2f} s "
        f"(limit {plan_limit_s:g} s), checker {'ok' if not check_plan(problem, plan) else 'FAILED'}"
    )
    asked = urgent_requests(problem, requests)
    timings: list[float] = []
    feasible = dedicated = 0
    for request in asked:
        started = time.perf_counter()
        answer = insert_urgent(
            plan,
            problem,
            request.stop,
            pickup_location=request.pickup_location,
            now=request.now,
            pickup_service=300,
        )
        timings.append(time.perf_counter() - started)
        feasible += answer.feasible
        dedicated += answer.dedicated
    out(
        f"urgent insertion, {len(timings)} requests: p50 {1000 * statistics.median(timings):.1f} ms, "
        f"p95 {1000 * percentile(timings, 0.95):.1f} ms, max {1000 * max(timings):.1f} ms; "
        f"feasible {feasible} ({feasible - dedicated} into a route, {dedicated} on an idle van); "
        f"goal p95 < {URGENT_P95_GOAL_S:g} s: "
        f"{'met' if percentile(timings, 0.95) < URGENT_P95_GOAL_S else 'NOT met'}"
    )
    planned_van = {visit.stop_id: route.vehicle_id for route in plan.routes for visit in route.visits}
    for request in asked[:resolves]:
        resolved, pinned = resolve_with(problem, plan, request)
        under_way = sum(stop.pinned_vehicle is not None for stop in pinned)
        for limit in resolve_limits:
            again = solve(resolved, time_limit_s=limit, seed=0)
            moved = sum(
                1
                for route in again.routes
                for visit in route.visits
                if visit.stop_id in planned_van and planned_van[visit.stop_id] != route.vehicle_id
            )
            out(
                f"  full re-solve for {request.stop.id} ({under_way} visits under way pinned), limit "
                f"{limit:g} s: {again.stats.backend} {again.stats.wall_s:.2f} s, urgent "
                f"{'routed' if request.stop.id not in again.unassigned else 'left out'}, "
                f"{len(again.unassigned)} unassigned, {moved} planned stops moved to another van, "
                f"pins {'held' if pins_held(resolved, again) else 'BROKEN'}, "
                f"checker {'ok' if not check_plan(resolved, again) else 'FAILED'}"
            )


def dispatch_day(*, limits: tuple[float, ...] = (10.0, 2.0)) -> None:
    """Figure b: engineer dispatch, 100 tickets to 30 engineers with part pickups, at each time limit."""
    problem = dispatch_problem()
    for limit in limits:
        out(f"dispatch: {run_dispatch(problem, limit).line()}")


def _floats(text: str) -> tuple[float, ...]:
    return tuple(float(part) for part in text.split(",") if part)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.routing_scale")
    parser.add_argument("--requests", type=int, default=200, help="urgent requests to answer")
    parser.add_argument("--plan-limit", type=float, default=10.0, help="time limit of the day plan's solve")
    parser.add_argument("--resolves", type=int, default=3, help="requests also answered by a full re-solve")
    parser.add_argument("--resolve-limits", type=_floats, default=(1.0, 10.0))
    parser.add_argument("--dispatch-limits", type=_floats, default=(10.0, 2.0))
    args = parser.parse_args(argv)
    urgent_decision(
        requests=args.requests,
        plan_limit_s=args.plan_limit,
        resolves=args.resolves,
        resolve_limits=args.resolve_limits,
    )
    dispatch_day(limits=args.dispatch_limits)


if __name__ == "__main__":
    main()
