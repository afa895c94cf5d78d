"""Re-planning during the day: ``python -m bench.routing_live``.

A 300-stop, 30-van delivery day (`live_day`): 120 stops open during business hours (09:00-16:30) and
180 in the evening (16:40-21:30, sites taking deliveries after hours), the vans on shift 08:00-22:30. It
is planned in the morning; at 16:40 (`REPLAN_AT`) exactly the 120 business-hours stops have been
served, they are history, and 20 new stops arrive (10 urgent ones due within 4 hours, 10 due by the end
of the evening). The day is planned again from the present as the service does
(`routing.work.keeping_what_holds`): each van from its last stop done, the stops it has not reached yet
pinned in their committed order, the new stops free. Its first feasible plan (one solution) and its
plan at 2 s and 5 s are compared, in the same run, with a re-solve of the same stops from the same
places that ignores the pins, at 5 s. Every plan is checked by `routing.check.check_plan`. Times are
wall seconds on the machine that runs it.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, replace

from bench.routing_scale import DEPOTS, HOUR
from geo.travel import Point
from routing.check import check_plan
from routing.model import Location, RoutePlan, RoutingProblem, Stop, TimeWindow, Vehicle
from routing.solver import solve
from routing.work import keeping_what_holds

STOPS = 300
VANS = 30
DONE = 120
"""Stops served before the re-plan: the business-hours ones, all over by `REPLAN_AT`."""
NEW = 20
REPLAN_AT = 16 * HOUR + 40 * 60
EVENING_END = 21 * HOUR + 30 * 60


def out(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


@dataclass(frozen=True, slots=True)
class Figure:
    name: str
    wall_s: float
    travel_s: int
    late_s: int
    unassigned: dict[str, int]
    vehicles: int
    errors: int

    def line(self) -> str:
        return (
            f"{self.name}: {self.wall_s:.2f} s, travel {self.travel_s} s, lateness {self.late_s} s, "
            f"unassigned {self.unassigned or 'none'}, {self.vehicles} vans, checker errors {self.errors}"
        )


def live_day(seed: int = 1) -> RoutingProblem:
    """The day: 5 depots, 300 sites within ~20 km; the first `DONE` stops open 09:00-16:30 (a visit of 10
    minutes started by 16:30 is over by 16:40), the others 16:40-21:30; 30 vans on shift 08:00-22:30."""
    rng = random.Random(seed)
    depots = [Location(f"d{k}", Point(31.22 + 0.04 * k, 121.42 + 0.03 * k)) for k in range(DEPOTS)]
    sites = [
        Location(f"site{k}", Point(31.2 + rng.random() * 0.2, 121.4 + rng.random() * 0.2))
        for k in range(STOPS)
    ]
    business_hours = TimeWindow(9 * HOUR, REPLAN_AT - 600)
    evening = TimeWindow(REPLAN_AT, EVENING_END)
    planned = tuple(
        Stop(
            f"s{k}",
            DEPOTS + k,
            600,
            (rng.randint(1, 20), rng.randint(1, 50)),
            business_hours if k < DONE else evening,
        )
        for k in range(STOPS)
    )
    fleet = tuple(
        Vehicle(f"v{k}", k % DEPOTS, k % DEPOTS, (800, 3000), TimeWindow(8 * HOUR, 22 * HOUR + 30 * 60))
        for k in range(VANS)
    )
    return RoutingProblem.from_locations(depots + sites, planned, fleet)


def afternoon(plan: RoutePlan, problem: RoutingProblem, seed: int = 3) -> tuple[RoutingProblem, int]:
    """The day at `REPLAN_AT`: the stops begun before it are history, vans at their last stop done from
    then on, the rest pinned in order, ``NEW`` new stops; and how many stops were done.

    The morning plan may leave a stop out: the count says whether the scenario holds (`DONE`)."""
    now = REPLAN_AT
    done = {visit.stop_id for route in plan.routes for visit in route.visits if visit.start < now}
    stops = {stop.id: stop for stop in problem.stops}
    fleet = {vehicle.id: vehicle for vehicle in problem.vehicles}
    kept: list[Stop] = []
    for route in plan.routes:
        left = [visit.stop_id for visit in route.visits if visit.stop_id not in done]
        last = [visit.stop_id for visit in route.visits if visit.stop_id in done]
        vehicle = fleet[route.vehicle_id]
        start = stops[last[-1]].location if last else vehicle.start
        fleet[route.vehicle_id] = replace(vehicle, start=start, shift=TimeWindow(now, vehicle.shift.end))
        kept += [
            replace(stops[key], pinned_vehicle=route.vehicle_id, pinned_position=position)
            for position, key in enumerate(left)
        ]
    for vehicle_id, vehicle in fleet.items():
        if vehicle.shift.start != now:
            fleet[vehicle_id] = replace(vehicle, shift=TimeWindow(now, vehicle.shift.end))
    vehicles = list(fleet.values())
    rng = random.Random(seed)
    new = [
        Stop(
            f"n{k}",
            rng.randrange(DEPOTS, problem.size),
            600,
            (rng.randint(1, 20), rng.randint(1, 50)),
            TimeWindow(now, now + 4 * HOUR) if k < NEW // 2 else TimeWindow(now, EVENING_END),
        )
        for k in range(NEW)
    ]
    return replace(problem, stops=(*kept, *new), vehicles=tuple(vehicles)), len(done)


def figure(
    name: str, problem: RoutingProblem, *, limit: float, pinned: bool, iterations: int | None = None
) -> Figure:
    started = time.perf_counter()
    if pinned:
        kept, plan = keeping_what_holds(
            problem, lambda part: solve(part, time_limit_s=limit, iterations=iterations)
        )
    else:
        free = replace(
            problem, stops=tuple(replace(s, pinned_vehicle=None, pinned_position=None) for s in problem.stops)
        )
        kept, plan = free, solve(free, time_limit_s=limit, iterations=iterations)
    wall = time.perf_counter() - started
    return Figure(
        name,
        wall,
        sum(route.travel_seconds for route in plan.routes),
        sum(visit.lateness for route in plan.routes for visit in route.visits),
        dict(Counter(str(reason) for reason in plan.unassigned.values())),
        len(plan.routes),
        len(check_plan(kept, plan)),
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.routing_live")
    parser.add_argument("--plan-limit", type=float, default=10.0, help="time limit of the morning plan")
    args = parser.parse_args(argv)
    morning = live_day()
    plan = solve(morning, time_limit_s=args.plan_limit)
    problem, done = afternoon(plan, morning)
    out(
        f"morning plan: {len(plan.routes)} vans, {len(plan.unassigned)} stops left out; re-plan at "
        f"{REPLAN_AT // HOUR:02d}:{REPLAN_AT % HOUR // 60:02d} with {done} stops done, "
        f"{len(problem.stops) - NEW} pinned, {NEW} new"
    )
    if done != DONE:
        out(f"the scenario does not hold: {done} stops done at the re-plan, not {DONE}")
        raise SystemExit(1)
    out(figure("re-plan, first feasible", problem, limit=2.0, pinned=True, iterations=1).line())
    out(figure("re-plan at 2 s", problem, limit=2.0, pinned=True).line())
    out(figure("re-plan at 5 s", problem, limit=5.0, pinned=True).line())
    out(figure("re-solve ignoring pins at 5 s", problem, limit=5.0, pinned=False).line())


if __name__ == "__main__":
    main()
