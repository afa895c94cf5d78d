"""OR-Tools backend: the general model (pins, pickups, skills, soft deadlines, optional visits).

The only module that imports ortools. The model follows the settings measured on the Solomon instances
(docs/decisions, docs/benchmarks.md): matrices registered with ``RegisterTransitMatrix`` and
``RegisterUnaryTransitVector`` (no Python callbacks in the search), integer seconds with travel times
rounded up, PARALLEL_CHEAPEST_INSERTION + GUIDED_LOCAL_SEARCH, every non-pinned stop in a disjunction
(so an impossible stop is dropped rather than the solve failing).

Reproducibility: the routing search with these parameters uses no random numbers, so a run with an
iteration limit (``solution_limit``) is repeatable exactly; a run stopped by wall time depends on how far
the search got and may differ under load. The seed is recorded but has nothing to seed here.

Pinned stops: allowed on their vehicle only, kept in position order by a ``Rank`` dimension (one per
visit, ``rank(a) < rank(b)``; other stops may go between them), and mandatory (no disjunction), so no
solution the search accepts can drop one. The cheapest-insertion heuristic cannot start with mandatory
pins, so the search starts from an assignment that already holds them: a first solution built with the
pins locked as the head of their routes (``ApplyLocksToAllVehicles``), the locks then cleared so that
the local search may move other stops around them; when that first solution is not found in time, the
pinned stops alone, in order (``ReadAssignmentFromRoutes``). The starting assignment is itself a valid
plan, so the pins hold at any time limit; only pins that cannot be kept even alone raise `NoSolution`.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass

from ortools.constraint_solver import pywrapcp, routing_enums_pb2, routing_parameters_pb2

from routing.errors import NoSolution
from routing.model import RoutingProblem, Stop, StopKind
from routing.schedule import schedule_route

BIG_CAPACITY = 10**12
RESTORE_LIMIT_S = 5.0
"""Time limit for restoring the pinned stops alone (propagation only, milliseconds in practice): a limit
that has run out must not pass for pins that cannot be kept."""


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
    status = ""
    if pinned:
        locked = [[index for _position, index in sorted(pinned.get(v, []))] for v in range(len(vehicles))]
        solution, status = _solve_pinned(routing, locked, params, time_limit_s)
        if solution is None:
            raise _pins_broken(problem, stops, pinned)
    else:
        solution = routing.SolveWithParameters(params)
    if solution is None:
        raise NoSolution("OR-Tools found no plan within the time limit", status=int(routing.status()))
    routes: list[list[int]] = []
    for v in range(len(vehicles)):
        sequence: list[int] = []
        index = solution.Value(routing.NextVar(routing.Start(v)))
        while not routing.IsEnd(index):
            sequence.append(active[manager.IndexToNode(index) - first_stop])
            index = solution.Value(routing.NextVar(index))
        routes.append(sequence)
    return BackendResult(routes, status or f"ortools status {int(routing.status())}")


def _solve_pinned(
    routing: pywrapcp.RoutingModel,
    locked: list[list[int]],
    params: routing_parameters_pb2.RoutingSearchParameters,
    time_limit_s: float,
) -> tuple[pywrapcp.Assignment | None, str]:
    """Search from an assignment that keeps every pinned stop (``locked``: per vehicle, in order).

    Returns the best assignment found and a status naming the start it came from; no assignment when
    the pinned stops cannot be kept in order even without any other stop.
    """
    started = time.perf_counter()
    solver = routing.solver()
    restore = _with_limits(params, max(time_limit_s, RESTORE_LIMIT_S))
    routing.CloseModelWithParameters(restore)
    alone = routing.ReadAssignmentFromRoutes(locked, True)
    if alone is None:
        return None, f"ortools status {int(routing.status())}"
    start, origin = solver.Assignment(alone), "pinned stops alone"
    if routing.ApplyLocksToAllVehicles(locked, False):
        left = time_limit_s - (time.perf_counter() - started)
        first = routing.SolveWithParameters(_with_limits(params, left, solutions=1))
        if first is not None:
            start, origin = solver.Assignment(first), "first solution with pins locked"
    routing.MutablePreAssignment().Clear()
    left = time_limit_s - (time.perf_counter() - started)
    solution = routing.SolveFromAssignmentWithParameters(start, _with_limits(params, left))
    if solution is None:
        return start, f"ortools: no time left to improve the {origin}"
    return solution, f"ortools status {int(routing.status())} from the {origin}"


def _with_limits(
    params: routing_parameters_pb2.RoutingSearchParameters, seconds: float, solutions: int | None = None
) -> routing_parameters_pb2.RoutingSearchParameters:
    """A copy of ``params`` with another time limit (at least 1 ms) and, if given, solution limit."""
    copy = routing_parameters_pb2.RoutingSearchParameters()
    copy.CopyFrom(params)
    copy.time_limit.FromMilliseconds(max(1, round(seconds * 1000)))
    if solutions is not None:
        copy.solution_limit = solutions
    return copy


def _pins_broken(
    problem: RoutingProblem, stops: Sequence[Stop], pinned: dict[int, list[tuple[int, int]]]
) -> NoSolution:
    """The error for pins that cannot be kept, naming the vehicles whose pinned stops alone break a window
    or the shift (by `routing.schedule.schedule_route`), or every vehicle with pins when none does alone.
    """
    by_vehicle: dict[str, list[Stop]] = {}
    for stop in sorted((s for s in stops if s.pinned_vehicle), key=lambda s: s.pinned_position or 0):
        by_vehicle.setdefault(stop.pinned_vehicle or "", []).append(stop)
    fleet = {vehicle.id: vehicle for vehicle in problem.vehicles}
    broken = [vid for vid, chain in by_vehicle.items() if schedule_route(problem, fleet[vid], chain) is None]
    named = broken or [problem.vehicles[v].id for v in sorted(pinned)]
    return NoSolution(f"pinned visits cannot be kept in their order on vehicles {named}", vehicles=named)


def _allow(routing: pywrapcp.RoutingModel, index: int, allowed: list[int], vehicles: int) -> None:
    """Restrict the vehicle of ``index`` to ``allowed``; -1 (not performed) stays possible.

    ``SetAllowedVehiclesForIndex`` is not callable from Python in 9.15 (its ``absl::Span`` argument has no
    SWIG typemap), so the vehicle variable's domain is cut instead: the same constraint.
    """
    keep = set(allowed)
    routing.VehicleVar(index).RemoveValues([v for v in range(vehicles) if v not in keep])
