"""Solver quality benchmark on Solomon VRPTW instances: the project's model beside PyVRP and VROOM.

    python -m bench.routing_solvers --instances bench/data/solomon \
        --bks bench/data/BKS.csv --time-limits 1,5

For every instance and time limit, one solve at a time, one thread, distance objective:

* ``project``: `routing.solver.solve` (backend ``auto``: what the service runs);
* ``ortools``: the same with ``backend="ortools"`` (the base model, for the record);
* ``pyvrp``: PyVRP 0.14 driven directly (comparator);
* ``vroom``: VROOM through pyvroom, exploration level 5, its timeout = the limit (comparator).

Every solution is re-checked by `routing.check.check_vrptw` in double precision; an infeasible one is
a failure (``INFEAS``), not a gap. Gaps are to the distance-only BKS rows. The last line is
``mean gap at 1 s: X%, at 5 s: Y%`` for the project's model. PyVRP and pyvroom are imported only here
for the comparators (install the ``bench`` extra).
"""

from __future__ import annotations

import argparse
import csv
import statistics
import time
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path

from bench.solomon import SolomonInstance, read_solomon, to_problem
from routing.check import check_vrptw
from routing.solver import solve

Routes = list[list[int]]


def project(instance: SolomonInstance, limit: float) -> Routes:
    plan = solve(to_problem(instance), time_limit_s=limit, seed=0)
    if plan.unassigned:
        return []  # every customer must be served: the checker reports the missing ones
    return [[int(visit.stop_id) for visit in route.visits] for route in plan.routes]


def ortools(instance: SolomonInstance, limit: float) -> Routes:
    plan = solve(to_problem(instance), time_limit_s=limit, backend="ortools")
    return [[int(visit.stop_id) for visit in route.visits] for route in plan.routes]


def pyvrp(instance: SolomonInstance, limit: float) -> Routes:
    import numpy as np
    from pyvrp import Client, Depot, Location, ProblemData, VehicleType
    from pyvrp import solve as pyvrp_solve
    from pyvrp.stop import MaxRuntime

    problem = to_problem(instance)
    n = len(instance.x)
    data = ProblemData(
        locations=[Location(instance.x[c], instance.y[c]) for c in range(n)],
        clients=[
            Client(
                stop.location,
                delivery=list(stop.demand),
                service_duration=stop.service,
                tw_early=stop.window.start,
                tw_late=stop.window.end,
            )
            for stop in problem.stops
        ],
        depots=[Depot(0)],
        vehicle_types=[
            VehicleType(
                instance.vehicles,
                capacity=[instance.capacity],
                tw_early=problem.vehicles[0].shift.start,
                tw_late=problem.vehicles[0].shift.end,
            )
        ],
        distance_matrices=[np.asarray(problem.metres, dtype=np.int64)],
        duration_matrices=[np.asarray(problem.seconds, dtype=np.int64)],
    )
    result = pyvrp_solve(data, MaxRuntime(limit), seed=0, collect_stats=False)
    return [[a.idx + 1 for a in route.schedule() if a.is_client()] for route in result.best.routes()]


def vroom(instance: SolomonInstance, limit: float) -> Routes:
    import numpy as np
    import vroom as pyvroom

    problem = to_problem(instance)
    problem_input = pyvroom.Input()
    problem_input.set_durations_matrix("car", np.asarray(problem.seconds, dtype=np.uint32))
    problem_input.set_costs_matrix("car", np.asarray(problem.metres, dtype=np.uint32))
    shift = problem.vehicles[0].shift
    problem_input.add_vehicle(
        [
            pyvroom.Vehicle(
                k,
                start=0,
                end=0,
                capacity=[instance.capacity],
                time_window=pyvroom.TimeWindow(shift.start, shift.end),
            )
            for k in range(instance.vehicles)
        ]
    )
    problem_input.add_job(
        [
            pyvroom.Job(
                stop.location,
                stop.location,
                default_service=stop.service,
                delivery=list(stop.demand),
                time_windows=[pyvroom.TimeWindow(stop.window.start, stop.window.end)],
            )
            for stop in problem.stops
        ]
    )
    solution = problem_input.solve(exploration_level=5, nb_threads=1, timeout=timedelta(seconds=limit))
    frame = solution.routes
    jobs = frame[frame["type"] == "job"]
    return [[int(c) for c in group["id"]] for _vehicle, group in jobs.groupby("vehicle_id", sort=True)]


SOLVERS: dict[str, Callable[[SolomonInstance, float], Routes]] = {
    "project": project,
    "ortools": ortools,
    "pyvrp": pyvrp,
    "vroom": vroom,
}


def read_bks(path: Path) -> dict[str, tuple[float, int]]:
    """Distance-only BKS per instance: ``name -> (distance, vehicles)``."""
    with path.open(newline="") as handle:
        return {
            row["instance"]: (float(row["distance"]), int(row["vehicles"]))
            for row in csv.DictReader(handle)
            if row["objective"] == "distance-only"
        }


def run(
    instances: Sequence[Path],
    bks: dict[str, tuple[float, int]],
    limits: Sequence[float],
    solvers: Sequence[str],
) -> dict[tuple[str, float], list[float | None]]:
    """Print the table; return the gaps (``None`` = infeasible) per (solver, limit)."""
    columns = [(solver, limit) for solver in solvers for limit in limits]
    gaps: dict[tuple[str, float], list[float | None]] = {column: [] for column in columns}
    header = ["instance", "BKS dist (veh)"] + [f"{s} {limit:g}s" for s, limit in columns]
    print(" | ".join(header))
    for path in instances:
        instance = read_solomon(path)
        reference = bks.get(instance.name) or bks.get(path.stem)
        if reference is None:
            print(f"{instance.name}: no distance-only BKS, skipped")
            continue
        d = instance.distance()
        cells = [instance.name, f"{reference[0]:.2f} ({reference[1]})"]
        for solver, limit in columns:
            started = time.perf_counter()
            try:
                routes = SOLVERS[solver](instance, limit)
                error = None
            except Exception as exc:  # a crash counts as a failure of that cell, the run goes on
                routes, error = [], f"{type(exc).__name__}: {exc}"
            wall = time.perf_counter() - started
            check = check_vrptw(
                routes,
                distance=d,
                time=d,
                service=instance.service,
                ready=instance.ready,
                due=instance.due,
                demand=instance.demand,
                capacity=instance.capacity,
            )
            if error or not check.feasible:
                gaps[(solver, limit)].append(None)
                cells.append(f"INFEAS ({error or check.errors[0]})")
            else:
                gap = 100 * (check.distance - reference[0]) / reference[0]
                gaps[(solver, limit)].append(gap)
                cells.append(f"{check.vehicles} {check.distance:.2f} {gap:+.2f}% {wall:.1f}s")
        print(" | ".join(cells), flush=True)
    for solver, limit in columns:
        values = gaps[(solver, limit)]
        ok = [g for g in values if g is not None]
        mean = f"{statistics.fmean(ok):+.2f}%" if ok else "n/a"
        worst = f"{max(ok):+.2f}%" if ok else "n/a"
        print(f"{solver} {limit:g} s: mean gap {mean}, max gap {worst}, feasible {len(ok)}/{len(values)}")
    return gaps


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.routing_solvers", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--instances", type=Path, required=True, help="folder of Solomon .txt files")
    parser.add_argument("--bks", type=Path, required=True, help="BKS.csv (distance-only rows are used)")
    parser.add_argument("--time-limits", default="1,5", help="comma-separated seconds, e.g. 1,5")
    parser.add_argument("--solvers", default=",".join(SOLVERS), help=f"subset of {','.join(SOLVERS)}")
    args = parser.parse_args(argv)
    limits = [float(x) for x in args.time_limits.split(",") if x.strip()]
    solvers = [s for s in args.solvers.split(",") if s]
    unknown = set(solvers) - SOLVERS.keys()
    if unknown or "project" not in solvers:
        parser.error(f"solvers must include project, known: {', '.join(SOLVERS)}")
    instances = sorted(args.instances.glob("*.txt"))
    gaps = run(instances, read_bks(args.bks), limits, solvers)

    def mean(limit: float) -> str:
        values = gaps[("project", limit)]
        ok = [g for g in values if g is not None]
        return f"{statistics.fmean(ok):.2f}" if ok and len(ok) == len(values) else "nan"

    print("mean gap " + ", ".join(f"at {limit:g} s: {mean(limit)}%" for limit in limits))


if __name__ == "__main__":
    main()
