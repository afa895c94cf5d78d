"""Re-planning during the day: ``python -m bench.routing_live``.

A 300-stop, 30-van delivery day (`bench.routing_scale.day_problem`) is planned in the morning; the clock
then moves to the moment the 120th stop has been served, those 120 stops are history, and 20 new stops
arrive (10 urgent ones due within 4 hours, 10 due by the end of the day). The day is planned again from
the present as the service does (`routing.work.keeping_what_holds`): each van from its last stop done at
that moment, the stops it has not reached yet pinned in their committed order, the new stops free. Its
first feasible plan (one solution) and its plan at 2 s and 5 s are compared, in the same run, with a
re-solve of the same stops from the same places that ignores the pins, at 5 s. Every plan is checked by
`routing.check.check_plan`. Times are wall seconds on the machine that runs it.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, replace

from bench.routing_scale import DEPOTS, HOUR, day_problem
from routing.check import check_plan
from routing.model import RoutePlan, RoutingProblem, Stop, TimeWindow
from routing.solver import solve
from routing.work import keeping_what_holds

DONE = 120
NEW = 20


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


def afternoon(plan: RoutePlan, problem: RoutingProblem, seed: int = 3) -> tuple[RoutingProblem, int]:
    """The day at the moment the ``DONE``-th stop was served: history left out, vans at their last stop
    done from then on, the rest pinned in order, ``NEW`` new stops; and that moment."""
    visits = sorted(
        (visit.start, route.vehicle_id, visit.stop_id) for route in plan.routes for visit in route.visits
    )
    now = visits[DONE - 1][0] + 1
    done = {stop_id for start, _vehicle, stop_id in visits if start < now}
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
            TimeWindow(now, now + 4 * HOUR) if k < NEW // 2 else TimeWindow(now, 18 * HOUR),
        )
        for k in range(NEW)
    ]
    return replace(problem, stops=(*kept, *new), vehicles=tuple(vehicles)), now


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
    morning = day_problem(vehicles=30, stops=300)
    plan = solve(morning, time_limit_s=args.plan_limit)
    problem, now = afternoon(plan, morning)
    out(
        f"morning plan: {len(plan.routes)} vans; re-plan at {now // HOUR:02d}:{now % HOUR // 60:02d} "
        f"with {DONE} stops done, {len(problem.stops) - NEW} pinned, {NEW} new"
    )
    out(figure("re-plan, first feasible", problem, limit=2.0, pinned=True, iterations=1).line())
    out(figure("re-plan at 2 s", problem, limit=2.0, pinned=True).line())
    out(figure("re-plan at 5 s", problem, limit=5.0, pinned=True).line())
    out(figure("re-solve ignoring pins at 5 s", problem, limit=5.0, pinned=False).line())


if __name__ == "__main__":
    main()
