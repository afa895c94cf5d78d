"""OR-Tools backend: the general model (pins, pickups, skills, soft deadlines, optional visits).

The only module that imports ortools. The model follows the settings measured in
shared/reference/routing-solvers.md: matrices registered with ``RegisterTransitMatrix`` and
``RegisterUnaryTransitVector`` (no Python callbacks in the search), integer seconds with travel times
rounded up, PARALLEL_CHEAPEST_INSERTION + GUIDED_LOCAL_SEARCH, every non-pinned stop in a disjunction
(so an impossible stop is dropped rather than the solve failing).

Reproducibility: the routing search with these parameters uses no random numbers, so a run with an
iteration limit (``solution_limit``) is repeatable exactly; a run stopped by wall time depends on how far
the search got and may differ under load. The seed is recorded but has nothing to seed here.

Pinned stops: allowed on their vehicle only, kept in position order by a ``Rank`` dimension (one per
visit, ``rank(a) < rank(b)``; other stops may go between them), and never dropped: they sit in a
disjunction 100x a required stop's penalty (PARALLEL_CHEAPEST_INSERTION finds no start when pinned
pairs are mandatory), and a plan that drops one anyway raises `NoSolution`.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from routing.errors import NoSolution
from routing.model import RoutingProblem, StopKind

BIG_CAPACITY = 10**12
PIN_PENALTY_FACTOR = 100


@dataclass(frozen=True, slots=True)
class BackendResult:
    """Routes as stop indices (into ``problem.stops``) per vehicle index, and the backend's status."""

    routes: list[list[int]]
    status: str


def solve_ortools(  # noqa: PLR0912, PLR0915
    problem: RoutingProblem,
    active: Sequence[int],
    *,
    time_limit_s: float,
    iterations: int | None = None,
) -> BackendResult:
    """Route the stops ``active`` (indices into ``problem.stops``); the others are left out beforehand."""
    vehicles = problem.vehicles
    depot_locations = sorted({v.start for v in vehicles} | {v.end for v in vehicles})
    depot_node = {location: node for node, location in enumerate(depot_locations)}
    stops = [problem.stops[i] for i in active]
    node_location = depot_locations + [stop.location for stop in stops]
    first_stop = len(depot_locations)
    manager = pywrapcp.RoutingIndexManager(
        len(node_location),
        len(vehicles),
        [depot_node[v.start] for v in vehicles],
        [depot_node[v.end] for v in vehicles],
    )
    routing = pywrapcp.RoutingModel(manager)
    node_of_stop = {stop.id: first_stop + k for k, stop in enumerate(stops)}
    service = [0] * first_stop + [stop.service for stop in stops]
    seconds, metres = problem.seconds, problem.metres
    weights = problem.objective
    cost_rows, time_rows = [], []
    for a, loc_a in enumerate(node_location):
        row_s, row_m = seconds[loc_a], metres[loc_a]
        serve = service[a]
        cost_rows.append(
            [weights.time_weight * row_s[b] + weights.distance_weight * row_m[b] for b in node_location]
        )
        time_rows.append([serve + row_s[b] for b in node_location])
    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitMatrix(cost_rows))
    for v, vehicle in enumerate(vehicles):
        fixed = weights.vehicle_cost if vehicle.fixed_cost is None else vehicle.fixed_cost
        if fixed:
            routing.SetFixedCostOfVehicle(fixed, v)

    horizon = max(v.shift.end for v in vehicles)
    time_cb = routing.RegisterTransitMatrix(time_rows)
    routing.AddDimension(time_cb, horizon, horizon, False, "Time")
    time_dim = routing.GetDimensionOrDie("Time")
    for v, vehicle in enumerate(vehicles):
        time_dim.CumulVar(routing.Start(v)).SetRange(vehicle.shift.start, vehicle.shift.end)
        time_dim.CumulVar(routing.End(v)).SetRange(vehicle.shift.start, vehicle.shift.end)
        if vehicle.max_working is not None:
            time_dim.SetSpanUpperBoundForVehicle(vehicle.max_working, v)
    for k, stop in enumerate(stops):
        index = manager.NodeToIndex(first_stop + k)
        time_dim.CumulVar(index).SetRange(stop.window.start, min(stop.latest_start, horizon))
        if stop.deadline is not None and not stop.deadline_hard and stop.lateness_weight:
            time_dim.SetCumulVarSoftUpperBound(index, stop.deadline, stop.lateness_weight)

    has_pairs = any(stop.kind is StopKind.PICKUP for stop in stops)
    for d, name in enumerate(problem.dimensions):
        caps = [v.capacity[d] if d < len(v.capacity) else BIG_CAPACITY for v in vehicles]
        amounts = [stop.demand[d] if d < len(stop.demand) else 0 for stop in stops]
        if not any(amounts):
            continue
        if has_pairs:
            # Load on board: leaves the depot with its deliveries, pickups add, deliveries remove, ends empty.
            signed = [a if s.kind is StopKind.PICKUP else -a for s, a in zip(stops, amounts, strict=True)]
            cb = routing.RegisterUnaryTransitVector([0] * first_stop + signed)
            routing.AddDimensionWithVehicleCapacity(cb, 0, caps, False, name)
            dim = routing.GetDimensionOrDie(name)
            for v in range(len(vehicles)):
                dim.CumulVar(routing.End(v)).SetValue(0)
        else:
            cb = routing.RegisterUnaryTransitVector([0] * first_stop + amounts)
            routing.AddDimensionWithVehicleCapacity(cb, 0, caps, True, name)

    solver = routing.solver()
    all_vehicles = len(vehicles)
    vehicle_index = {vehicle.id: v for v, vehicle in enumerate(vehicles)}
    pinned: dict[int, list[tuple[int, int]]] = {}
    for k, stop in enumerate(stops):
        index = manager.NodeToIndex(first_stop + k)
        if stop.pinned_vehicle is not None:
            v = vehicle_index[stop.pinned_vehicle]
            _allow(routing, index, [v], all_vehicles)
            pinned.setdefault(v, []).append((stop.pinned_position or 0, index))
            # Never dropped in practice; the disjunction only lets the first-solution heuristic start.
            routing.AddDisjunction([index], PIN_PENALTY_FACTOR * weights.drop_penalty)
            continue
        allowed = [v for v, vehicle in enumerate(vehicles) if stop.required_skills <= vehicle.skills]
        if len(allowed) < all_vehicles:
            _allow(routing, index, allowed, all_vehicles)
        penalty = stop.penalty if stop.optional else weights.drop_penalty
        routing.AddDisjunction([index], penalty)
    for stop in stops:
        if stop.pickup_of is not None and stop.pickup_of in node_of_stop:
            p = manager.NodeToIndex(node_of_stop[stop.id])
            d = manager.NodeToIndex(node_of_stop[stop.pickup_of])
            routing.AddPickupAndDelivery(p, d)
            solver.Add(routing.VehicleVar(p) == routing.VehicleVar(d))
            solver.Add(time_dim.CumulVar(p) <= time_dim.CumulVar(d))
    if any(len(group) > 1 for group in pinned.values()):
        routing.AddConstantDimension(1, len(node_location) + 1, True, "Rank")
        rank = routing.GetDimensionOrDie("Rank")
        for group in pinned.values():
            ordered = [index for _position, index in sorted(group)]
            for a, b in itertools.pairwise(ordered):
                solver.Add(rank.CumulVar(a) < rank.CumulVar(b))

    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
    params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    params.time_limit.FromMilliseconds(max(1, round(time_limit_s * 1000)))
    if iterations is not None:
        params.solution_limit = iterations
    params.log_search = False
    solution = None
    if pinned:
        # Start from the pinned visits in place: the first-solution heuristic alone may drop them.
        routing.CloseModelWithParameters(params)
        locked = [[index for _position, index in sorted(pinned.get(v, []))] for v in range(len(vehicles))]
        start = routing.ReadAssignmentFromRoutes(locked, True)
        if start is not None:
            solution = routing.SolveFromAssignmentWithParameters(start, params)
    if solution is None:
        solution = routing.SolveWithParameters(params)
    if solution is None:
        raise NoSolution(
            "OR-Tools found no plan within the time limit (pinned visits that cannot all be kept?)",
            status=int(routing.status()),
        )
    dropped_pins = [
        stop.id
        for k, stop in enumerate(stops)
        if stop.pinned_vehicle is not None
        and solution.Value(routing.NextVar(manager.NodeToIndex(first_stop + k)))
        == manager.NodeToIndex(first_stop + k)
    ]
    if dropped_pins:
        raise NoSolution(f"pinned visits cannot all be kept: {dropped_pins}", stops=dropped_pins)
    routes: list[list[int]] = []
    for v in range(len(vehicles)):
        sequence: list[int] = []
        index = solution.Value(routing.NextVar(routing.Start(v)))
        while not routing.IsEnd(index):
            sequence.append(active[manager.IndexToNode(index) - first_stop])
            index = solution.Value(routing.NextVar(index))
        routes.append(sequence)
    return BackendResult(routes, f"ortools status {int(routing.status())}")


def _allow(routing: pywrapcp.RoutingModel, index: int, allowed: list[int], vehicles: int) -> None:
    """Restrict the vehicle of ``index`` to ``allowed``; -1 (not performed) stays possible.

    ``SetAllowedVehiclesForIndex`` is not callable from Python in 9.15 (its ``absl::Span`` argument has no
    SWIG typemap), so the vehicle variable's domain is cut instead: the same constraint.
    """
    keep = set(allowed)
    routing.VehicleVar(index).RemoveValues([v for v in range(vehicles) if v not in keep])
