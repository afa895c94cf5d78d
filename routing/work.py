"""The CPU-heavy part of making a plan, as module-level functions of plain, picklable inputs.

`routing.planning` reads the day from the database and hands one of these to a solver child process
(`routing.solver_pool`): building the problem (with the travel matrix), solving it, or inserting an
urgent delivery into the day's committed plans. The functions run in that child, so everything they take
and return crosses a process boundary by pickling: frozen dataclasses of plain values, a matrix function
that is a module-level function or a picklable object (`routing.osrm.SourceMatrix`), and no database,
event loop or closure. The problem comes back without its matrices (`light`): what is kept of a plan is
its stops, and the matrices of a large day are tens of megabytes.

Plain Python over the routing core: no database, no web framework.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from geo.travel import Point
from routing.assembly import (
    NBD_DIMENSIONS,
    DeliveryOrder,
    Engineer,
    Inspection,
    Job,
    Matrix,
    PlanClock,
    UrgentDelivery,
    Van,
    dispatch_problem,
    nbd_problem,
)
from routing.check import check_plan
from routing.model import (
    UNBOUNDED,
    Limits,
    Route,
    RoutePlan,
    RoutingProblem,
    SolveStats,
    SolveStatus,
    Stop,
    TimeWindow,
    UnassignedReason,
    Vehicle,
)
from routing.nbd import solve_by_depot
from routing.pins import broken_pins, unpinned, without
from routing.schedule import schedule_route
from routing.solver import solve
from routing.urgent import UrgentAnswer, insert_urgent

PRELOAD = (
    "routing.work",
    "routing.solver",
    "routing.nbd",
    "routing.urgent",
    "routing.ortools_solver",
    "routing.pyvrp_solver",
)
"""Modules a solver process imports once, when it starts, so that no solve pays for importing them."""


@dataclass(frozen=True, slots=True)
class NbdWork:
    """A day's next-business-day deliveries, ready to build and solve (`solve_nbd`)."""

    depots: Mapping[str, Point]
    orders: tuple[DeliveryOrder, ...]
    vans: tuple[Van, ...]
    clock: PlanClock
    urgent: tuple[UrgentDelivery, ...]
    matrix: Matrix
    limits: Limits
    time_limit_s: float
    seed: int
    iterations: int | None = None


@dataclass(frozen=True, slots=True)
class DispatchWork:
    """A day's engineer dispatch, ready to build and solve (`solve_dispatch`)."""

    engineers: tuple[Engineer, ...]
    jobs: tuple[Job, ...]
    inspections: tuple[Inspection, ...]
    clock: PlanClock
    matrix: Matrix
    limits: Limits
    time_limit_s: float
    seed: int
    iterations: int | None = None


@dataclass(frozen=True, slots=True)
class UrgentWork:
    """The day's committed delivery plans as stops and routes, and the urgent stop to insert."""

    points: tuple[Point, ...]
    stops: tuple[Stop, ...]
    vehicles: tuple[Vehicle, ...]
    routes: tuple[Route, ...]
    unassigned: Mapping[str, UnassignedReason]
    stop: Stop
    pickup_location: int
    now: int
    pickup_service: int
    matrix: Matrix
    limits: Limits


@dataclass(frozen=True, slots=True)
class UrgentOutcome:
    """What `insert_urgent_delivery` found.

    Attributes:
        mismatch: the checker's errors when the committed plans no longer fit the fleet or travel times
            (nothing was inserted then).
        answer: the insertion, or None when there is no van at all (or on a mismatch).
    """

    mismatch: tuple[str, ...] = ()
    answer: UrgentAnswer | None = None


def light(problem: RoutingProblem) -> RoutingProblem:
    """``problem`` without its matrices: its stops, vehicles and settings, which is what a kept plan needs."""
    return replace(problem, seconds=(), metres=())


def reachable_shifts(problem: RoutingProblem) -> RoutingProblem:
    """``problem`` with each vehicle's shift (and working time) long enough to finish the stops it has
    started and to get back to its end: one far from its depot late in the day still goes back, if with
    nothing else to do, and a stop it is on its way to or at is finished, if past its shift."""
    started: dict[str, list[Stop]] = {}
    for stop in sorted(problem.stops, key=lambda s: s.pinned_position or 0):
        if stop.started and stop.pinned_vehicle is not None:
            started.setdefault(stop.pinned_vehicle, []).append(stop)
    vehicles = []
    for vehicle in problem.vehicles:
        shift = vehicle.shift
        free = replace(vehicle, shift=TimeWindow(shift.start, UNBOUNDED), max_working=None)
        chain = started.get(vehicle.id, [])
        route = schedule_route(problem, free, chain) if chain else None
        end = shift.start + problem.seconds[vehicle.start][vehicle.end] if route is None else route.arrival
        working = vehicle.max_working
        vehicles.append(
            replace(
                vehicle,
                shift=replace(shift, end=max(shift.end, end)),
                max_working=None if working is None else max(working, end - shift.start),
            )
        )
    return replace(problem, vehicles=tuple(vehicles))


def keeping_what_holds(
    problem: RoutingProblem, solve_problem: Callable[[RoutingProblem], RoutePlan]
) -> tuple[RoutingProblem, RoutePlan]:
    """Solve ``problem`` without the pinned stops that can no longer hold (`routing.pins.broken_pins`):
    they come back unpinned and unassigned as ``pin_infeasible``, and the plan names them in its notes.
    A van or engineer finishes what it started and may always go back to its end (`reachable_shifts`)."""
    problem = reachable_shifts(problem)
    dropped = broken_pins(problem)
    if not dropped:
        return problem, solve_problem(problem)
    plan = solve_problem(without(problem, dropped))
    kept = replace(problem, stops=tuple(unpinned(s) if s.id in dropped else s for s in problem.stops))
    reasons = dict.fromkeys(sorted(dropped), UnassignedReason.PIN_INFEASIBLE)
    penalty = problem.objective.drop_penalty * len(dropped)
    return kept, replace(
        plan,
        unassigned={**plan.unassigned, **reasons},
        objective=plan.objective + penalty,
        notes=(*plan.notes, f"committed stops that can no longer be kept: {', '.join(sorted(dropped))}"),
    )


def solve_nbd(work: NbdWork) -> tuple[RoutingProblem, RoutePlan]:
    """Build the day's delivery problem and solve it one depot at a time."""
    problem = nbd_problem(
        work.depots,
        work.orders,
        work.vans,
        work.clock,
        urgent=work.urgent,
        matrix=work.matrix,
        limits=work.limits,
    )
    problem, plan = keeping_what_holds(
        problem,
        lambda part: solve_by_depot(
            part, time_limit_s=work.time_limit_s, seed=work.seed, iterations=work.iterations
        ),
    )
    return light(problem), plan


def solve_dispatch(work: DispatchWork) -> tuple[RoutingProblem, RoutePlan]:
    """Build the day's dispatch problem and solve it."""
    problem = dispatch_problem(
        work.engineers, work.jobs, work.inspections, work.clock, matrix=work.matrix, limits=work.limits
    )
    problem, plan = keeping_what_holds(
        problem,
        lambda part: solve(part, time_limit_s=work.time_limit_s, seed=work.seed, iterations=work.iterations),
    )
    return light(problem), plan


def insert_urgent_delivery(work: UrgentWork) -> UrgentOutcome:
    """Read the committed plans back as a problem and plan, check them, and insert the urgent stop."""
    metres, seconds = work.matrix(work.points)
    problem = RoutingProblem(
        seconds,
        metres,
        work.stops,
        work.vehicles,
        limits=work.limits,
        dimensions=NBD_DIMENSIONS,
    )
    stats = SolveStats("stored", "committed plans of the day", 0.0, SolveStatus.SOLVED, 0, 1.0)
    plan = RoutePlan(work.routes, dict(work.unassigned), 0, stats)
    errors = check_plan(problem, plan)
    if errors:
        return UrgentOutcome(mismatch=tuple(errors[:20]))
    if not problem.vehicles:
        return UrgentOutcome()
    answer = insert_urgent(
        plan,
        problem,
        work.stop,
        pickup_location=work.pickup_location,
        now=work.now,
        pickup_service=work.pickup_service,
    )
    if answer.problem is not None:
        answer = replace(answer, problem=light(answer.problem))
    return UrgentOutcome(answer=answer)
