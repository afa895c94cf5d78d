"""PyVRP backend for the plain class: VRPTW / CVRP with multi-depot, optional stops, shifts.

Served here because it measured better than OR-Tools on exactly this class (see
docs/benchmarks.md and ``python -m bench.routing_solvers``). Not served here: pinned stops,
pickup pairs, skills that exclude vehicles, soft deadlines (`in_class` says which applies).

PyVRP is seeded (``seed``) and, stopped by an iteration count, repeatable exactly; stopped by wall
time it depends on how far the search got.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
from pyvrp import Client, Depot, ProblemData, VehicleType, solve
from pyvrp import Location as PyvrpLocation
from pyvrp.exceptions import PenaltyBoundWarning
from pyvrp.stop import MaxIterations, MaxRuntime, MultipleCriteria

from routing.model import RoutingProblem, Vehicle
from routing.ortools_solver import BackendResult

UNLIMITED = 10**9


def in_class(problem: RoutingProblem) -> str | None:
    """``None`` when PyVRP may serve ``problem``, else the reason it may not."""
    for stop in problem.stops:
        if stop.pinned_vehicle is not None:
            return "pinned stops"
        if stop.pickup_of is not None:
            return "pickup and delivery pairs"
        if stop.deadline is not None:
            return "deadlines"
        if any(not stop.required_skills <= vehicle.skills for vehicle in problem.vehicles):
            return "skills that exclude vehicles"
    return None


def _type_key(vehicle: Vehicle) -> tuple:
    return (
        vehicle.start,
        vehicle.end,
        vehicle.capacity,
        vehicle.shift,
        vehicle.max_working,
        vehicle.fixed_cost,
    )


def solve_pyvrp(
    problem: RoutingProblem,
    active: Sequence[int],
    *,
    time_limit_s: float,
    seed: int = 0,
    iterations: int | None = None,
) -> BackendResult:
    """Route the stops ``active`` (indices into ``problem.stops``); the result may be infeasible."""
    stops = [problem.stops[i] for i in active]
    depot_locations = sorted({v.start for v in problem.vehicles} | {v.end for v in problem.vehicles})
    locations = depot_locations + sorted({stop.location for stop in stops} - set(depot_locations))
    position = {location: k for k, location in enumerate(locations)}
    seconds = np.asarray(problem.seconds, dtype=np.int64)[np.ix_(locations, locations)]
    metres = np.asarray(problem.metres, dtype=np.int64)[np.ix_(locations, locations)]
    weights = problem.objective
    cost = weights.time_weight * seconds + weights.distance_weight * metres
    dims = len(problem.dimensions)

    def padded(values: tuple[int, ...], fill: int) -> list[int]:
        return [values[d] if d < len(values) else fill for d in range(dims)]

    groups: dict[tuple, list[int]] = {}
    for v, vehicle in enumerate(problem.vehicles):
        groups.setdefault(_type_key(vehicle), []).append(v)
    types = []
    for members in groups.values():
        vehicle = problem.vehicles[members[0]]
        fixed = weights.vehicle_cost if vehicle.fixed_cost is None else vehicle.fixed_cost
        types.append(
            VehicleType(
                num_available=len(members),
                capacity=padded(vehicle.capacity, UNLIMITED),
                start_depot=depot_locations.index(vehicle.start),
                end_depot=depot_locations.index(vehicle.end),
                fixed_cost=fixed,
                tw_early=vehicle.shift.start,
                tw_late=vehicle.shift.end,
                shift_duration=vehicle.max_working if vehicle.max_working is not None else UNLIMITED,
                unit_distance_cost=1,
                unit_duration_cost=0,
            )
        )
    clients = [
        Client(
            location=position[stop.location],
            delivery=padded(stop.demand, 0),
            service_duration=stop.service,
            tw_early=stop.window.start,
            tw_late=stop.latest_start,
            prize=stop.penalty if stop.optional else 0,
            required=not stop.optional,
            name=stop.id,
        )
        for stop in stops
    ]
    data = ProblemData(
        locations=[PyvrpLocation(0.0, 0.0) for _ in locations],
        clients=clients,
        depots=[Depot(location=k) for k in range(len(depot_locations))],
        vehicle_types=types,
        distance_matrices=[cost],
        duration_matrices=[seconds],
    )
    stop = MaxRuntime(max(0.001, time_limit_s))
    if iterations is not None:
        stop = MultipleCriteria([MaxIterations(iterations), stop])
    with warnings.catch_warnings():
        # Raised when the required stops cannot all be kept; the caller then falls back to OR-Tools.
        warnings.simplefilter("ignore", PenaltyBoundWarning)
        result = solve(data, stop, seed=seed, collect_stats=False, display=False)
    routes: list[list[int]] = [[] for _ in problem.vehicles]
    free = [list(members) for members in groups.values()]
    for route in result.best.routes():
        v = free[route.vehicle_type()].pop(0)
        routes[v] = [active[activity.idx] for activity in route.schedule() if activity.is_client()]
    status = "pyvrp feasible" if result.is_feasible() else "pyvrp infeasible"
    return BackendResult(routes, status)
