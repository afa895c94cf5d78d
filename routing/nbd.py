"""Next-business-day plans: a multi-depot problem solved one depot at a time. Plain Python.

In `routing.assembly.nbd_problem` an order may only ride on a van of the depot that holds its parts, so
the depots share nothing and the problem splits exactly into one plain VRPTW per depot. Each part is
solved by `routing.solver.solve` (PyVRP for this class unless stops are pinned) with a share of the
time limit in proportion to its stops; the parts are joined into one plan of the whole problem and that
plan is checked again as a whole.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import replace

from routing.check import check_plan
from routing.errors import InfeasiblePlan
from routing.model import (
    RoutePlan,
    RoutingProblem,
    SolveStats,
    SolveStatus,
    Stop,
    UnassignedReason,
    Vehicle,
)
from routing.solver import solve, validate

MIN_SHARE_S = 0.05
"""The least time one depot's part gets, however few its stops."""


def _depot_of(skills: frozenset[str]) -> str | None:
    return next((skill for skill in sorted(skills) if skill.startswith("depot:")), None)


def split_by_depot(problem: RoutingProblem) -> tuple[dict[str, RoutingProblem], dict[str, UnassignedReason]]:
    """One sub-problem per depot that has vehicles and orders; orders of a depot without vans.

    A sub-problem keeps the stop and vehicle ids and uses the rows and columns of the matrices of the
    locations it needs, re-numbered.
    """
    vehicles: dict[str | None, list[Vehicle]] = defaultdict(list)
    for vehicle in problem.vehicles:
        vehicles[_depot_of(vehicle.skills)].append(vehicle)
    stops: dict[str | None, list[Stop]] = defaultdict(list)
    for stop in problem.stops:
        stops[_depot_of(stop.required_skills)].append(stop)
    parts: dict[str, RoutingProblem] = {}
    orphans: dict[str, UnassignedReason] = {}
    for depot, group in stops.items():
        fleet = vehicles.get(depot, [])
        if depot is None or not fleet:
            orphans.update(dict.fromkeys((stop.id for stop in group), UnassignedReason.NO_VEHICLE))
            continue
        used = sorted({v.start for v in fleet} | {v.end for v in fleet} | {s.location for s in group})
        index = {location: new for new, location in enumerate(used)}
        parts[depot] = replace(
            problem,
            seconds=[[problem.seconds[a][b] for b in used] for a in used],
            metres=[[problem.metres[a][b] for b in used] for a in used],
            stops=tuple(replace(stop, location=index[stop.location]) for stop in group),
            vehicles=tuple(replace(v, start=index[v.start], end=index[v.end]) for v in fleet),
        )
    return parts, orphans


def solve_by_depot(
    problem: RoutingProblem, *, time_limit_s: float, seed: int = 0, iterations: int | None = None
) -> RoutePlan:
    """Plan every depot's deliveries within ``time_limit_s`` in all, as one checked plan of ``problem``.

    Raises what `routing.solver.solve` raises: `ProblemTooLarge` for the whole problem, `NoSolution`
    when pinned stops cannot be kept.
    """
    started = time.perf_counter()
    validate(problem, time_limit_s)
    parts, unassigned = split_by_depot(problem)
    remaining_stops = sum(len(part.stops) for part in parts.values())
    routes, objective, late, backends, notes = [], 0, 0, set(), []
    for depot, part in sorted(parts.items(), key=lambda item: -len(item[1].stops)):
        left = time_limit_s - (time.perf_counter() - started)
        share = max(MIN_SHARE_S, left * len(part.stops) / max(remaining_stops, 1))
        remaining_stops -= len(part.stops)
        share = min(share, part.limits.max_time_limit_s)
        plan = solve(part, time_limit_s=share, seed=seed, iterations=iterations)
        routes.extend(plan.routes)
        unassigned.update(plan.unassigned)
        objective += plan.objective
        late += plan.lateness_cost
        backends.add(plan.stats.backend)
        notes.append(f"{depot.removeprefix('depot:')}: {plan.stats.backend} ({plan.stats.backend_reason})")
    weights = problem.objective
    by_id = {stop.id: stop for stop in problem.stops}
    objective += sum(
        by_id[stop_id].penalty if by_id[stop_id].optional else weights.drop_penalty
        for stop_id, reason in unassigned.items()
        if reason is UnassignedReason.NO_VEHICLE
    )
    status = SolveStatus.SOLVED if routes or backends - {"none"} else SolveStatus.TRIVIAL
    stats = SolveStats(
        "+".join(sorted(backends)) or "none",
        f"one solve per depot ({len(parts)} depots)",
        time.perf_counter() - started,
        status,
        seed,
        time_limit_s,
        iterations,
    )
    plan = RoutePlan(tuple(routes), unassigned, objective, stats, late, tuple(notes))
    errors = check_plan(problem, plan)
    if errors:
        raise InfeasiblePlan(f"the joined plan fails the check: {errors[0]}", errors=errors[:20])
    return plan
