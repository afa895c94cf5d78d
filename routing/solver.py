"""The single entry point of the routing core: `solve` a `RoutingProblem` into a checked `RoutePlan`.

Synchronous and CPU-bound: the API calls it off the event loop. Every solve has a time limit, capped by
``problem.limits``; stops that cannot be served come back unassigned with a reason; the plan is re-checked
by `routing.check.check_plan` and never handed out when the check fails.

Backends (``backend="auto"``): PyVRP for the plain VRPTW/CVRP class, where it measured far better than
OR-Tools (docs/benchmarks.md, ``python -m bench.routing_solvers``); OR-Tools, the base, for
everything else (pins, pickup pairs, skills, soft deadlines). The choice and its reason are in
``plan.stats``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

from routing.check import check_plan
from routing.errors import InfeasiblePlan, InvalidProblem, ProblemTooLarge
from routing.insertion import fits_into_plan
from routing.model import (
    Limits,
    RoutePlan,
    RoutingProblem,
    SolveStats,
    SolveStatus,
    Stop,
    StopKind,
    UnassignedReason,
    Vehicle,
)
from routing.schedule import lateness_cost, schedule_route
from routing.urgent import UrgentAnswer, insert_urgent

FALLBACK_SHARE = 0.25
"""When PyVRP cannot keep every required stop, OR-Tools re-solves with at least this share of the limit."""

__all__ = ["UrgentAnswer", "check_limits", "insert_urgent", "solve", "validate"]


def check_limits(limits: Limits, *, stops: int, vehicles: int, time_limit_s: float) -> None:
    """Raise `ProblemTooLarge` unless a solve of this size and time limit is allowed.

    Callers that build large problems call it first, before the matrices are built.
    """
    if not (math.isfinite(time_limit_s) and 0 < time_limit_s <= limits.max_time_limit_s):
        raise ProblemTooLarge(
            f"time limit must be within 0..{limits.max_time_limit_s} s, got {time_limit_s}",
            field="time_limit_s",
            limit=limits.max_time_limit_s,
        )
    if stops > limits.max_stops:
        raise ProblemTooLarge(
            f"{stops} stops, at most {limits.max_stops} per solve", field="stops", limit=limits.max_stops
        )
    if vehicles > limits.max_vehicles:
        raise ProblemTooLarge(
            f"{vehicles} vehicles, at most {limits.max_vehicles} per solve",
            field="vehicles",
            limit=limits.max_vehicles,
        )


def validate(problem: RoutingProblem, time_limit_s: float) -> None:
    """Raise `ProblemTooLarge` or `InvalidProblem` unless ``problem`` may be solved as given.

    A problem without vehicles is valid: every stop comes back unassigned with ``no_vehicle``.
    """
    check_limits(
        problem.limits,
        stops=len(problem.stops),
        vehicles=len(problem.vehicles),
        time_limit_s=time_limit_s,
    )
    size = problem.size
    if len(problem.metres) != size or any(len(row) != size for row in (*problem.seconds, *problem.metres)):
        raise InvalidProblem("seconds and metres must be square matrices of the same size", field="matrix")
    ids = [stop.id for stop in problem.stops]
    vehicle_ids = {vehicle.id for vehicle in problem.vehicles}
    if len(set(ids)) != len(ids) or len(vehicle_ids) != len(problem.vehicles):
        raise InvalidProblem("stop ids and vehicle ids must be unique", field="id")
    by_id = dict(zip(ids, problem.stops, strict=True))
    for stop in problem.stops:
        if not 0 <= stop.location < size:
            raise InvalidProblem(f"stop {stop.id}: location {stop.location} out of range", field="location")
        if stop.pinned_vehicle is not None and stop.pinned_vehicle not in vehicle_ids:
            raise InvalidProblem(f"stop {stop.id}: unknown pinned vehicle {stop.pinned_vehicle}")
        if stop.pickup_of is not None:
            partner = by_id.get(stop.pickup_of)
            if partner is None or partner.kind is StopKind.PICKUP:
                raise InvalidProblem(f"pickup {stop.id}: {stop.pickup_of} is not a delivery or visit")
            if partner.pinned_vehicle != stop.pinned_vehicle:
                raise InvalidProblem(f"pickup {stop.id} and {stop.pickup_of} must be pinned alike")
            if stop.pinned_position is not None and stop.pinned_position >= (partner.pinned_position or 0):
                raise InvalidProblem(f"pinned pickup {stop.id} must come before {stop.pickup_of}")
    pickups = [stop.pickup_of for stop in problem.stops if stop.pickup_of is not None]
    if len(set(pickups)) != len(pickups):
        raise InvalidProblem("a stop may have one pickup at most", field="pickup_of")
    for vehicle in problem.vehicles:
        if not (0 <= vehicle.start < size and 0 <= vehicle.end < size):
            raise InvalidProblem(f"vehicle {vehicle.id}: depot out of range", field="vehicles")


def solve(
    problem: RoutingProblem,
    *,
    time_limit_s: float,
    seed: int = 0,
    backend: str = "auto",
    iterations: int | None = None,
) -> RoutePlan:
    """Plan routes for ``problem`` within ``time_limit_s`` seconds of wall time.

    Args:
        seed: PyVRP's random seed (OR-Tools' search uses none); recorded in the stats.
        backend: ``"auto"`` (PyVRP for the plain class, else OR-Tools), ``"ortools"`` or ``"pyvrp"``.
        iterations: stop after this many iterations (PyVRP) or solutions (OR-Tools) as well: with it,
            the same problem and seed give the same plan on any machine not hitting the time limit.

    Raises:
        ProblemTooLarge: too many stops or vehicles, or a time limit beyond ``problem.limits``.
        InvalidProblem: the problem is malformed, or ``backend="pyvrp"`` for a problem outside its class.
        NoSolution: pinned visits cannot all be kept.
        InfeasiblePlan: the checker rejected the solver's plan (a bug; never expected).
    """
    started = time.perf_counter()
    validate(problem, time_limit_s)
    from routing.pyvrp_solver import in_class

    outside = in_class(problem)
    if backend == "auto":
        chosen = "ortools" if outside else "pyvrp"
        why = (
            f"auto: {outside} need OR-Tools"
            if outside
            else "auto: plain VRPTW/CVRP class, PyVRP measured best"
        )
    elif backend in {"ortools", "pyvrp"}:
        if backend == "pyvrp" and outside:
            raise InvalidProblem(f"PyVRP cannot serve this problem: {outside}", field="backend")
        chosen, why = backend, "requested"
    else:
        raise InvalidProblem(f"unknown backend {backend!r}", field="backend")

    unassigned = _unservable(problem)
    active = [i for i, stop in enumerate(problem.stops) if stop.id not in unassigned]
    pinned_unservable = [s.id for s in problem.stops if s.pinned_vehicle is not None and s.id in unassigned]
    if pinned_unservable:
        raise InvalidProblem(f"pinned stops cannot be served: {pinned_unservable}", field="stops")
    status = SolveStatus.SOLVED
    if not active:
        routes: list[list[int]] = [[] for _ in problem.vehicles]
        status, chosen, why = SolveStatus.TRIVIAL, "none", "no stop can be served"
    else:
        remaining = time_limit_s - (time.perf_counter() - started)
        routes, chosen, why = _run(problem, active, chosen, why, remaining, time_limit_s, seed, iterations)
    plan = _plan(problem, routes, unassigned, chosen, why, status, seed, time_limit_s, iterations, started)
    errors = check_plan(problem, plan)
    if errors:
        raise InfeasiblePlan(f"the {chosen} plan fails the check: {errors[0]}", errors=errors[:20])
    return plan


def _run(
    problem: RoutingProblem,
    active: list[int],
    chosen: str,
    why: str,
    remaining: float,
    time_limit_s: float,
    seed: int,
    iterations: int | None,
) -> tuple[list[list[int]], str, str]:
    if chosen == "pyvrp":
        from routing.pyvrp_solver import solve_pyvrp

        result = solve_pyvrp(
            problem, active, time_limit_s=max(0.01, remaining), seed=seed, iterations=iterations
        )
        if result.status == "pyvrp feasible":
            return result.routes, chosen, why
        why += "; PyVRP could not keep every required stop, OR-Tools decides which to leave out"
        chosen = "ortools"
        remaining = max(time_limit_s * FALLBACK_SHARE, remaining)
    from routing.ortools_solver import solve_ortools

    result = solve_ortools(problem, active, time_limit_s=max(0.01, remaining), iterations=iterations)
    return result.routes, chosen, why


def _allowed(problem: RoutingProblem, stop: Stop) -> list[Vehicle]:
    if stop.pinned_vehicle is not None:
        return [v for v in problem.vehicles if v.id == stop.pinned_vehicle]
    return [v for v in problem.vehicles if stop.required_skills <= v.skills]


def _fits(vehicle: Vehicle, stop: Stop) -> bool:
    return all(
        d >= len(vehicle.capacity) or amount <= vehicle.capacity[d] for d, amount in enumerate(stop.demand)
    )


def _unservable(problem: RoutingProblem) -> dict[str, UnassignedReason]:
    """Stops no vehicle could serve even alone, with the first reason that applies (see UnassignedReason)."""
    by_id = {stop.id: stop for stop in problem.stops}
    pickup_for = {stop.pickup_of: stop for stop in problem.stops if stop.pickup_of is not None}
    reasons: dict[str, UnassignedReason] = {}
    cache: dict[tuple, bool] = {}
    for stop in problem.stops:
        if stop.kind is StopKind.PICKUP:
            continue
        group = [s for s in (pickup_for.get(stop.id), stop) if s is not None]
        allowed = [v for v in _allowed(problem, stop) if all(s.required_skills <= v.skills for s in group)]
        if any(s.closed for s in group):
            reason = UnassignedReason.SITE_CLOSED
        elif not allowed:
            reason = UnassignedReason.NO_VEHICLE
        elif not any(all(_fits(v, s) for s in group) for v in allowed):
            reason = UnassignedReason.NO_CAPACITY
        else:
            reachable = False
            for vehicle in allowed:
                if not all(_fits(vehicle, s) for s in group):
                    continue
                key = (vehicle.start, vehicle.end, vehicle.shift, vehicle.max_working, *(s.id for s in group))
                if key not in cache:
                    cache[key] = schedule_route(problem, vehicle, group) is not None
                if cache[key]:
                    reachable = True
                    break
            if reachable:
                continue
            reason = UnassignedReason.WINDOW_UNREACHABLE
        reasons[stop.id] = reason
        if len(group) == 2:
            reasons[group[0].id] = UnassignedReason.PARTNER_UNASSIGNED
    del by_id
    return reasons


def _left_out(
    problem: RoutingProblem, routes: Sequence[list[int]], decided: dict[str, UnassignedReason]
) -> dict[str, UnassignedReason]:
    """Why the search left out each stop it could have served: ``time_limit`` when the stop (with its
    pickup) still fits into the routes found, else ``fleet_full``; optional stops are ``not_worth_it``."""
    sequences = {
        vehicle.id: [problem.stops[i] for i in sequence]
        for vehicle, sequence in zip(problem.vehicles, routes, strict=True)
    }
    routed = {stop.id for sequence in sequences.values() for stop in sequence}
    pickup_for = {stop.pickup_of: stop for stop in problem.stops if stop.pickup_of is not None}
    reasons: dict[str, UnassignedReason] = {}
    for stop in problem.stops:
        if stop.kind is StopKind.PICKUP or stop.id in routed or stop.id in decided:
            continue
        group = [s for s in (pickup_for.get(stop.id), stop) if s is not None]
        if stop.optional:
            reason = UnassignedReason.NOT_WORTH_IT
        elif fits_into_plan(problem, sequences, group):
            reason = UnassignedReason.TIME_LIMIT
        else:
            reason = UnassignedReason.FLEET_FULL
        reasons.update(dict.fromkeys((s.id for s in group), reason))
    return reasons


def _plan(
    problem: RoutingProblem,
    routes: Sequence[list[int]],
    unassigned: dict[str, UnassignedReason],
    chosen: str,
    why: str,
    status: SolveStatus,
    seed: int,
    time_limit_s: float,
    iterations: int | None,
    started: float,
) -> RoutePlan:
    weights = problem.objective
    by_id = {stop.id: stop for stop in problem.stops}
    built = []
    objective = late = 0
    for vehicle, sequence in zip(problem.vehicles, routes, strict=True):
        if not sequence:
            continue
        route = schedule_route(problem, vehicle, [problem.stops[i] for i in sequence])
        if route is None:
            raise InfeasiblePlan(f"the {chosen} route of vehicle {vehicle.id} breaks a window or its shift")
        built.append(route)
        fixed = weights.vehicle_cost if vehicle.fixed_cost is None else vehicle.fixed_cost
        late += lateness_cost(by_id, route)
        objective += fixed + weights.time_weight * route.travel_seconds
        objective += weights.distance_weight * route.distance_metres
    reasons = dict(unassigned)
    reasons.update(_left_out(problem, routes, reasons))
    for stop in problem.stops:
        if stop.pickup_of is not None and (stop.id in reasons) != (stop.pickup_of in reasons):
            raise InfeasiblePlan(f"pickup {stop.id} and {stop.pickup_of} were split")
    for stop_id in reasons:
        stop = by_id[stop_id]
        objective += stop.penalty if stop.optional else weights.drop_penalty
    stats = SolveStats(chosen, why, time.perf_counter() - started, status, seed, time_limit_s, iterations)
    return RoutePlan(tuple(built), reasons, objective + late, stats, late)
