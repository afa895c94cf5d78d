"""Engineer dispatch timing on a synthetic day: ``python -m bench.routing_dispatch [--time-limit 10]``.

100 tickets to 30 engineers around one city: skills must match, 60 tickets need a part collected at a
depot first (pickup before the visit, same engineer), soft on-site deadlines weighted by severity x
customer tier (10 of them hard), 6 visits pinned, 20 optional inspections, 8 h shifts within 8:00-19:00.
Prints wall time, backend, unassigned reasons, lateness, whether the pins held and the checker's verdict.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import Counter
from dataclasses import dataclass, replace

from geo.travel import Point
from routing import ortools_solver, pyvrp_solver
from routing.check import check_plan
from routing.model import Location, RoutePlan, RoutingProblem, Stop, StopKind, TimeWindow, Vehicle
from routing.solver import solve

HOUR = 3600
SKILLS = ("network", "server", "storage", "power")
BACKENDS = (ortools_solver, pyvrp_solver)
"""Imported before any timing, as in the running service: a solve's wall time then holds no imports."""


def dispatch_problem(
    tickets: int = 100, engineers: int = 30, seed: int = 3, pinned: int = 6
) -> RoutingProblem:
    """The synthetic dispatch day described in the module docstring.

    The first ``pinned`` tickets (with their part pickups) are committed to engineer ``k % engineers``,
    numbered per engineer in ticket order; with fewer engineers than pins, one engineer holds several.
    """
    rng = random.Random(seed)
    depots = [Location(f"depot{k}", Point(31.1 + 0.08 * k, 121.3 + 0.05 * k)) for k in range(6)]
    sites = [
        Location(f"site{k}", Point(31.05 + rng.random() * 0.5, 121.2 + rng.random() * 0.5))
        for k in range(tickets)
    ]
    spots = [
        Location(f"insp{k}", Point(31.05 + rng.random() * 0.5, 121.2 + rng.random() * 0.5)) for k in range(20)
    ]
    fleet = tuple(
        Vehicle(
            f"eng{k}",
            k % len(depots),
            k % len(depots),
            (4,),
            TimeWindow(8 * HOUR, 19 * HOUR),
            max_working=8 * HOUR,
            skills=frozenset(rng.sample(SKILLS, 2)),
        )
        for k in range(engineers)
    )
    stops: list[Stop] = []
    for k in range(tickets):
        engineer = fleet[k % engineers]
        skill = next(iter(engineer.skills)) if k < pinned else rng.choice(SKILLS)
        reported = 8 * HOUR + rng.randint(0, 4 * HOUR)
        severity, tier = rng.choice((1, 2, 3)), rng.choice((1, 2, 4))
        pin = {"pinned_vehicle": engineer.id, "pinned_position": 0} if k < pinned else {}
        visit = Stop(
            f"t{k}",
            len(depots) + k,
            rng.choice((2700, 3600, 5400)),
            (1,),
            TimeWindow(reported, 19 * HOUR),
            StopKind.VISIT,
            required_skills=frozenset({skill}),
            deadline=reported + 4 * HOUR,
            lateness_weight=severity * tier,
            deadline_hard=k % 10 == 9,
            **pin,
        )
        if k % 5 < 3:
            depot = engineer.start if pin else rng.randrange(len(depots))
            stops.append(
                Stop(
                    f"t{k}:part",
                    depot,
                    600,
                    (1,),
                    TimeWindow(8 * HOUR, 19 * HOUR),
                    StopKind.PICKUP,
                    pickup_of=visit.id,
                    required_skills=visit.required_skills,
                    **pin,
                )
            )
        stops.append(visit)
    for k in range(len(spots)):
        stops.append(
            Stop(
                f"i{k}",
                len(depots) + tickets + k,
                3600,
                (),
                TimeWindow(9 * HOUR, 17 * HOUR),
                StopKind.VISIT,
                optional=True,
                penalty=20_000,
                required_skills=frozenset({rng.choice(SKILLS)}),
            )
        )
    # Pinned positions are numbered per engineer in list order: each pickup right before its visit.
    numbered, seen = [], Counter()
    for stop in stops:
        if stop.pinned_vehicle is None:
            numbered.append(stop)
            continue
        numbered.append(replace(stop, pinned_position=seen[stop.pinned_vehicle]))
        seen[stop.pinned_vehicle] += 1
    problem = RoutingProblem.from_locations(depots + sites + spots, numbered, fleet)
    return replace(problem, dimensions=("parts",))


def pins_held(problem: RoutingProblem, plan: RoutePlan) -> bool:
    """Every pinned stop is on its vehicle, and each vehicle's pinned stops are in position order."""
    where = {v.stop_id: (r.vehicle_id, i) for r in plan.routes for i, v in enumerate(r.visits)}
    by_vehicle: dict[str, list[tuple[int, int]]] = {}
    for stop in problem.stops:
        if stop.pinned_vehicle is None:
            continue
        vehicle, index = where.get(stop.id, (None, -1))
        if vehicle != stop.pinned_vehicle:
            return False
        by_vehicle.setdefault(vehicle, []).append((stop.pinned_position or 0, index))
    orders = ([index for _position, index in sorted(group)] for group in by_vehicle.values())
    return all(order == sorted(order) for order in orders)


@dataclass(frozen=True, slots=True)
class DispatchRun:
    """One timed dispatch solve, summarised."""

    stops: int
    engineers: int
    time_limit_s: float
    wall_s: float
    backend: str
    routed: int
    unassigned: dict[str, int]
    late_visits: int
    lateness_cost: int
    pins_held: bool
    checker_ok: bool

    def line(self) -> str:
        reasons = ", ".join(f"{reason} {n}" for reason, n in sorted(self.unassigned.items())) or "none"
        return (
            f"{self.stops} stops, {self.engineers} engineers, limit {self.time_limit_s:g} s: "
            f"backend {self.backend}, wall {self.wall_s:.2f} s, routed {self.routed}, "
            f"unassigned [{reasons}], late visits {self.late_visits}, lateness cost {self.lateness_cost}, "
            f"pins {'held' if self.pins_held else 'BROKEN'}, checker {'ok' if self.checker_ok else 'FAILED'}"
        )


def run_dispatch(problem: RoutingProblem, time_limit_s: float, seed: int = 0) -> DispatchRun:
    """Solve ``problem`` once within ``time_limit_s`` and summarise the plan."""
    plan = solve(problem, time_limit_s=time_limit_s, seed=seed)
    return DispatchRun(
        stops=len(problem.stops),
        engineers=len(problem.vehicles),
        time_limit_s=time_limit_s,
        wall_s=plan.stats.wall_s,
        backend=plan.stats.backend,
        routed=sum(len(route.visits) for route in plan.routes),
        unassigned=dict(Counter(str(reason) for reason in plan.unassigned.values())),
        late_visits=sum(1 for route in plan.routes for visit in route.visits if visit.lateness),
        lateness_cost=plan.lateness_cost,
        pins_held=pins_held(problem, plan),
        checker_ok=not check_plan(problem, plan),
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.routing_dispatch")
    parser.add_argument("--time-limit", type=float, default=10.0)
    parser.add_argument("--tickets", type=int, default=100)
    parser.add_argument("--engineers", type=int, default=30)
    parser.add_argument("--pinned", type=int, default=6)
    parser.add_argument("--seed", type=int, default=3, help="seed of the synthetic day")
    args = parser.parse_args(argv)
    problem = dispatch_problem(args.tickets, args.engineers, args.seed, args.pinned)
    run = run_dispatch(problem, args.time_limit)
    sys.stdout.write(f"{args.tickets} tickets: {run.line()}\n")
    if not (run.checker_ok and run.pins_held):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
