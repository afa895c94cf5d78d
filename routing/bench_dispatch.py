"""Engineer dispatch timing on a synthetic day: ``python -m routing.bench_dispatch [--time-limit 10]``.

100 tickets to 30 engineers around one city: skills must match, 60 tickets need a part collected at a
depot first (pickup before the visit, same engineer), soft on-site deadlines weighted by severity x
customer tier (10 of them hard), 6 visits pinned, 20 optional inspections, 8 h shifts within 8:00-19:00.
Prints wall time, backend, unassigned reasons, lateness and the checker's verdict.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import Counter
from dataclasses import replace

from routing.check import check_plan
from routing.model import Location, RoutingProblem, Stop, StopKind, TimeWindow, Vehicle
from routing.solver import solve
from routing.travel import Point

HOUR = 3600
SKILLS = ("network", "server", "storage", "power")


def dispatch_problem(tickets: int = 100, engineers: int = 30, seed: int = 3) -> RoutingProblem:
    """The synthetic dispatch day described in the module docstring."""
    rng = random.Random(seed)  # noqa: S311 - synthetic data
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
        skill = next(iter(engineer.skills)) if k < 6 else rng.choice(SKILLS)
        reported = 8 * HOUR + rng.randint(0, 4 * HOUR)
        severity, tier = rng.choice((1, 2, 3)), rng.choice((1, 2, 4))
        pin = {"pinned_vehicle": engineer.id, "pinned_position": 0} if k < 6 else {}  # committed
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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m routing.bench_dispatch")
    parser.add_argument("--time-limit", type=float, default=10.0)
    parser.add_argument("--tickets", type=int, default=100)
    parser.add_argument("--engineers", type=int, default=30)
    args = parser.parse_args(argv)
    problem = dispatch_problem(args.tickets, args.engineers)
    plan = solve(problem, time_limit_s=args.time_limit)
    routed = sum(len(route.visits) for route in plan.routes)
    late = sum(1 for route in plan.routes for visit in route.visits if visit.lateness)
    sys.stdout.write(
        f"{len(problem.stops)} stops ({args.tickets} tickets), {len(problem.vehicles)} engineers: "
        f"backend {plan.stats.backend}, wall {plan.stats.wall_s:.2f} s (limit {args.time_limit:g} s), "
        f"routed {routed}, unassigned {dict(Counter(plan.unassigned.values()))}, late visits {late}, "
        f"lateness cost {plan.lateness_cost}, checker {'ok' if not check_plan(problem, plan) else 'FAILED'}\n"
    )


if __name__ == "__main__":
    main()
