"""Next-business-day plan at regional scale: ``python -m bench.routing_nbd``.

300 deliveries from 5 depots with 6 vans each (30 vans), sites up to about 45 km from their depot,
delivery windows 9:00-18:00 (a fifth of them 9:00-13:00), 10 minutes per stop, weight and volume
demand. Each order may only ride on a van of its depot (`routing.assembly.nbd_problem`).

The project plans it one depot at a time (`routing.nbd.solve_by_depot`); the baseline in the same run
is one OR-Tools model of the whole multi-depot problem (depots as allowed vehicles). Both are run to
their first feasible plan (one iteration or solution) and with time limits; every plan is checked.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta

from geo.travel import Point
from routing.assembly import DeliveryOrder, Place, PlanClock, Van, nbd_problem
from routing.check import check_plan
from routing.model import RoutePlan, RoutingProblem
from routing.nbd import solve_by_depot
from routing.solver import solve

DAY = date(2026, 11, 25)
DEPOTS = {
    "PEK": Point(39.9042, 116.4074),
    "SHA": Point(31.2304, 121.4737),
    "CAN": Point(23.1291, 113.2644),
    "CTU": Point(30.5728, 104.0668),
    "WUH": Point(30.5928, 114.3055),
}


def _local(hour: float) -> datetime:
    return datetime(2026, 11, 25, tzinfo=UTC) + timedelta(hours=hour - 8)


def nbd_scale_problem(stops: int = 300, vans_per_depot: int = 6, seed: int = 11) -> RoutingProblem:
    """The regional day described in the module docstring."""
    rng = random.Random(seed)
    codes = list(DEPOTS)
    orders = []
    for number in range(stops):
        depot = codes[number % len(codes)]
        base = DEPOTS[depot]
        point = Point(base.latitude + rng.uniform(-0.3, 0.3), base.longitude + rng.uniform(-0.35, 0.35))
        closes = 13 if number % 5 == 0 else 18
        orders.append(
            DeliveryOrder(
                f"T{number}@{depot}",
                depot,
                Place(f"S{number}", point),
                _local(9),
                _local(closes),
                timedelta(minutes=10),
                rng.choice((1.2, 2.5, 4.0, 12.0, 25.0)),
                rng.choice((2.0, 6.0, 15.0, 40.0)),
            )
        )
    vans = [
        Van(f"{depot}-{k}", depot, 600.0, 3500.0, _local(8), _local(19))
        for depot in codes
        for k in range(vans_per_depot)
    ]
    return nbd_problem(DEPOTS, orders, vans, PlanClock.for_date(DAY))


def _line(label: str, problem: RoutingProblem, plan: RoutePlan, wall: float) -> str:
    routed = sum(len(route.visits) for route in plan.routes)
    travel_h = sum(route.travel_seconds for route in plan.routes) / 3600
    verdict = "ok" if not check_plan(problem, plan) else "FAILED"
    reasons = dict(Counter(str(reason) for reason in plan.unassigned.values()))
    return (
        f"{label:<38} wall {wall:6.2f} s  vans {len(plan.routes):2d}  routed {routed}/{len(problem.stops)}"
        f"  travel {travel_h:6.1f} h  checker {verdict}  unassigned {reasons or 0}\n"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.routing_nbd")
    parser.add_argument("--stops", type=int, default=300)
    parser.add_argument("--time-limits", default="1,2,5")
    args = parser.parse_args(argv)
    problem = nbd_scale_problem(args.stops)
    out = sys.stdout
    out.write(f"{len(problem.stops)} stops, {len(problem.vehicles)} vans, {len(DEPOTS)} depots\n")
    runs: list[tuple[str, object]] = [
        (
            "project, per depot, first feasible",
            lambda: solve_by_depot(problem, time_limit_s=30, iterations=1),
        ),
        (
            "baseline OR-Tools whole, first",
            lambda: solve(problem, time_limit_s=30, backend="ortools", iterations=1),
        ),
    ]
    for limit in (float(x) for x in args.time_limits.split(",")):
        runs.append(
            (
                f"project, per depot, {limit:g} s",
                lambda limit=limit: solve_by_depot(problem, time_limit_s=limit),
            )
        )
        runs.append(
            (
                f"baseline OR-Tools whole, {limit:g} s",
                lambda limit=limit: solve(problem, time_limit_s=limit, backend="ortools"),
            )
        )
    for label, run in runs:
        started = time.perf_counter()
        plan = run()
        out.write(_line(label, problem, plan, time.perf_counter() - started))
        out.flush()


if __name__ == "__main__":
    main()
