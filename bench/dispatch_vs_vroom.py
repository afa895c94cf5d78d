"""Engineer dispatch quality against VROOM on the same days, in the same run.

    python -m bench.dispatch_vs_vroom [--time-limit 10] [--instances 5]

The instances are synthetic dispatch days from `bench.routing_dispatch.dispatch_problem` (100 tickets,
30 engineers, 60 part pickups, 6 pinned tickets, 20 optional inspections), seeds 1, 2, 3, ... Each is
solved by the service (`routing.solver.solve`, which sends it to OR-Tools) and by VROOM through pyvroom
(exploration level 5, one thread, its timeout = the same limit), in the same run, the order alternating
from one instance to the next.

The VROOM model follows ours:

* engineers are vehicles from their start to their end depot within their shift, with their skills
  (names numbered) and part capacity, and the same costs: the fixed cost of using one, then travel;
* a ticket whose part is collected at a depot is a shipment (pickup there, delivery = the visit, same
  vehicle, the pickup first); a ticket without one is a job; service times and windows as ours;
* a hard deadline ends the window; a soft deadline cannot be said to VROOM, so a ticket's priority is
  proportional to its lateness weight (severity x tier) and its window stays open to the window's end;
* optional inspections are jobs of priority 0 (VROOM has no prizes: it serves all it can);
* a pinned ticket needs a skill only its engineer has, and has the highest priority. VROOM keeps the
  pickup before the visit, which is the order of the pins when an engineer holds one pinned ticket (as
  on these days). VROOM's vehicle ``steps`` would only be a starting solution for its search;
* the working-time limit has no VROOM counterpart (its ``max_travel_time`` counts travel only), so each
  engineer's VROOM time window is the shift cut to the limit from its start: 8:00-16:00 for an 8 h day
  in an 8:00-19:00 shift, where ours may work any 8 h of the shift. (Given the whole shift, VROOM made
  longer days: cut back to 8 h by leaving out their last stops, they lost about a third of them.)

VROOM's routes are scheduled in VROOM's order by `routing.schedule.schedule_route`, as the service
schedules its own; a route that it cannot schedule keeps VROOM's own times, so that the checker names
the fault. Every plan is checked by `routing.check.check_plan`: a plan it rejects is printed as such and
is never at least as good as a plan it accepts.

Scores, the same functions on both plans: **served**, the sum of the weights (severity x tier, the
lateness weight) of the tickets routed; **lateness**, the seconds past each soft deadline times the
ticket's weight; **inspections** routed; **travel**, the seconds driven. The ordering: served weight
first (higher is better), then lateness (lower), then inspections (more: they fill free time, after the
deadlines), then travel (lower). The objective of our model (fixed costs, travel, lateness, what is
left out) is printed beside them. The last line says whether ours is at least as good on every
instance; the exit status is 1 when it is not.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from bench.routing_dispatch import dispatch_problem
from routing.check import check_plan
from routing.insertion import fits_into_plan
from routing.model import (
    Route,
    RoutePlan,
    RoutingProblem,
    SolveStats,
    SolveStatus,
    Stop,
    StopKind,
    UnassignedReason,
    Vehicle,
    Visit,
)
from routing.schedule import lateness_cost, schedule_route
from routing.solver import solve

if TYPE_CHECKING:
    import vroom as pyvroom

HOUR = 3600
PIN_PRIORITY = 100
"""A pinned ticket: VROOM's highest priority."""
PRIORITY_PER_WEIGHT = 8
"""A ticket's priority is its lateness weight times this (weights 1-12 give 8-96)."""
EXPLORATION_LEVEL = 5
BIG_CAPACITY = 2**31 - 1
"""A capacity dimension a vehicle does not limit."""


def skill_numbers(problem: RoutingProblem) -> dict[str, int]:
    """VROOM's skills are integers: each skill name of the problem gets one, from 1 in name order."""
    names = {skill for vehicle in problem.vehicles for skill in vehicle.skills}
    names |= {skill for stop in problem.stops for skill in stop.required_skills}
    return {name: number for number, name in enumerate(sorted(names), start=1)}


def working_window(vehicle: Vehicle) -> tuple[int, int]:
    """The vehicle's time window for VROOM: its shift, cut to the working-time limit from its start."""
    end = vehicle.shift.end
    if vehicle.max_working is not None:
        end = min(end, vehicle.shift.start + vehicle.max_working)
    return vehicle.shift.start, end


def priority(stop: Stop) -> int:
    """VROOM's priority of a ticket (0-100): pins highest, optional stops 0, others by lateness weight.

    VROOM adds up the priorities of the tasks it serves, and a shipment is two tasks, so `vroom_input`
    gives each of a shipment's steps half of it (pins aside, which outrank everything anyway).
    """
    if stop.pinned_vehicle is not None:
        return PIN_PRIORITY
    if stop.optional:
        return 0
    return min(PIN_PRIORITY - 1, PRIORITY_PER_WEIGHT * max(1, stop.lateness_weight))


def vroom_input(problem: RoutingProblem) -> pyvroom.Input:
    """The VROOM problem for ``problem`` (see the module docstring). Task ids are indices of
    ``problem.stops``, vehicle ids indices of ``problem.vehicles``; closed stops are left out."""
    import numpy as np
    import vroom as pyvroom

    numbers = skill_numbers(problem)
    pin_skill = {vehicle.id: len(numbers) + 1 + k for k, vehicle in enumerate(problem.vehicles)}
    dims = len(problem.dimensions)
    weights = problem.objective
    seconds = np.asarray(problem.seconds, dtype=np.int64)
    costs = weights.time_weight * seconds + weights.distance_weight * np.asarray(problem.metres, np.int64)
    problem_input = pyvroom.Input()
    problem_input.set_durations_matrix("car", seconds.astype(np.uint32))
    problem_input.set_costs_matrix("car", costs.astype(np.uint32))
    problem_input.add_vehicle(
        [
            pyvroom.Vehicle(
                k,
                start=vehicle.start,
                end=vehicle.end,
                capacity=[
                    vehicle.capacity[d] if d < len(vehicle.capacity) else BIG_CAPACITY for d in range(dims)
                ],
                skills={numbers[skill] for skill in vehicle.skills} | {pin_skill[vehicle.id]},
                time_window=pyvroom.TimeWindow(*working_window(vehicle)),
                costs=pyvroom.VehicleCosts(
                    fixed=weights.vehicle_cost if vehicle.fixed_cost is None else vehicle.fixed_cost
                ),
            )
            for k, vehicle in enumerate(problem.vehicles)
        ]
    )
    index = {stop.id: k for k, stop in enumerate(problem.stops)}
    pickup_for = {stop.pickup_of: stop for stop in problem.stops if stop.pickup_of is not None}
    for k, stop in enumerate(problem.stops):
        pickup = pickup_for.get(stop.id)
        if stop.kind is StopKind.PICKUP or stop.closed or (pickup is not None and pickup.closed):
            continue
        skills = {numbers[skill] for skill in stop.required_skills}
        if pickup is not None:
            skills |= {numbers[skill] for skill in pickup.required_skills}
        if stop.pinned_vehicle is not None:
            skills.add(pin_skill[stop.pinned_vehicle])
        amount = [stop.demand[d] if d < len(stop.demand) else 0 for d in range(dims)]
        window = [pyvroom.TimeWindow(stop.window.start, stop.latest_start)]
        if pickup is None:
            problem_input.add_job(
                pyvroom.Job(
                    k,
                    stop.location,
                    default_service=stop.service,
                    delivery=amount,
                    skills=skills,
                    priority=priority(stop),
                    time_windows=window,
                )
            )
            continue
        if pickup.demand != stop.demand:
            raise ValueError(f"VROOM's shipments carry one amount: {pickup.id} and {stop.id} differ")
        share = priority(stop) if stop.pinned_vehicle is not None else priority(stop) // 2
        problem_input.add_job(
            pyvroom.Shipment(
                pyvroom.ShipmentStep(
                    index[pickup.id],
                    pickup.location,
                    default_service=pickup.service,
                    time_windows=[pyvroom.TimeWindow(pickup.window.start, pickup.latest_start)],
                ),
                pyvroom.ShipmentStep(k, stop.location, default_service=stop.service, time_windows=window),
                amount=amount,
                skills=skills,
                priority=share,
            )
        )
    return problem_input


@dataclass(frozen=True, slots=True)
class VroomStep:
    """One task of a VROOM route: the stop's index, and VROOM's arrival, start of service and departure."""

    stop: int
    arrival: int
    start: int
    departure: int


@dataclass(frozen=True, slots=True)
class VroomRoute:
    """A VROOM route: the vehicle's index, its departure, its tasks in order, its arrival at the end."""

    vehicle: int
    departure: int
    steps: tuple[VroomStep, ...]
    arrival: int


def vroom_routes(solution: pyvroom.solution.Solution) -> list[VroomRoute]:
    """The routes of a VROOM solution, as VROOM timed them."""
    frame = solution.routes
    routes = []
    for vehicle, rows in frame.groupby("vehicle_id", sort=True):
        starts = rows[rows["type"] == "start"]["arrival"]
        ends = rows[rows["type"] == "end"]["arrival"]
        tasks = rows[rows["type"].isin(("job", "pickup", "delivery"))]
        steps = tuple(
            VroomStep(
                int(row.id),
                int(row.arrival),
                int(row.arrival + row.waiting_time + row.setup),
                int(row.arrival + row.waiting_time + row.setup + row.service),
            )
            for row in tasks.itertuples()
        )
        if steps:
            routes.append(VroomRoute(int(vehicle), int(starts.iloc[0]), steps, int(ends.iloc[0])))
    return routes


def to_plan(
    problem: RoutingProblem, routes: Sequence[VroomRoute], *, wall_s: float, time_limit_s: float
) -> RoutePlan:
    """Our `RoutePlan` of VROOM's routes: each scheduled in VROOM's order by `schedule_route`, or, when
    that fails, timed as VROOM timed it (so that the checker names the fault)."""
    built: list[Route] = []
    sequences: dict[str, list[Stop]] = {}
    for vroom_route in routes:
        vehicle = problem.vehicles[vroom_route.vehicle]
        sequences[vehicle.id] = [problem.stops[step.stop] for step in vroom_route.steps]
        route = schedule_route(problem, vehicle, sequences[vehicle.id])
        built.append(route if route is not None else _as_timed(problem, vroom_route))
    by_id = {stop.id: stop for stop in problem.stops}
    unassigned = _reasons(problem, sequences)
    late = sum(lateness_cost(by_id, route) for route in built)
    stats = SolveStats("vroom", "comparator", wall_s, SolveStatus.SOLVED, 0, time_limit_s)
    return RoutePlan(tuple(built), unassigned, _objective(problem, built, unassigned) + late, stats, late)


def _as_timed(problem: RoutingProblem, vroom_route: VroomRoute) -> Route:
    vehicle = problem.vehicles[vroom_route.vehicle]
    visits, travel, distance, here = [], 0, 0, vehicle.start
    for step in vroom_route.steps:
        stop = problem.stops[step.stop]
        travel += problem.seconds[here][stop.location]
        distance += problem.metres[here][stop.location]
        late = max(0, step.start - stop.deadline) if stop.deadline is not None else 0
        visits.append(Visit(stop.id, step.arrival, step.start, step.departure, late))
        here = stop.location
    travel += problem.seconds[here][vehicle.end]
    distance += problem.metres[here][vehicle.end]
    return Route(vehicle.id, vroom_route.departure, tuple(visits), vroom_route.arrival, travel, distance)


def _reasons(problem: RoutingProblem, sequences: dict[str, list[Stop]]) -> dict[str, UnassignedReason]:
    """Why each stop VROOM left out is unassigned, in the service's words: a closed site
    ``site_closed``, no engineer with the skills ``no_vehicle``, optional ones ``not_worth_it``, else
    ``time_limit`` when the stop (with its pickup) still fits into the routes, ``fleet_full`` when not."""
    routed = {stop.id for sequence in sequences.values() for stop in sequence}
    pickup_for = {stop.pickup_of: stop for stop in problem.stops if stop.pickup_of is not None}
    reasons: dict[str, UnassignedReason] = {}
    for stop in problem.stops:
        if stop.kind is StopKind.PICKUP or stop.id in routed:
            continue
        group = [s for s in (pickup_for.get(stop.id), stop) if s is not None]
        if any(s.closed for s in group):
            reason = UnassignedReason.SITE_CLOSED
        elif not any(all(s.required_skills <= v.skills for s in group) for v in problem.vehicles):
            reason = UnassignedReason.NO_VEHICLE
        elif stop.optional:
            reason = UnassignedReason.NOT_WORTH_IT
        elif fits_into_plan(problem, sequences, group):
            reason = UnassignedReason.TIME_LIMIT
        else:
            reason = UnassignedReason.FLEET_FULL
        reasons.update(dict.fromkeys((s.id for s in group), reason))
    return reasons


def _objective(
    problem: RoutingProblem, routes: Sequence[Route], unassigned: dict[str, UnassignedReason]
) -> int:
    """Our model's objective without lateness: fixed costs, travel, and the price of what is left out."""
    weights = problem.objective
    fleet = {vehicle.id: vehicle for vehicle in problem.vehicles}
    by_id = {stop.id: stop for stop in problem.stops}
    total = 0
    for route in routes:
        fixed = fleet[route.vehicle_id].fixed_cost
        total += weights.vehicle_cost if fixed is None else fixed
        total += weights.time_weight * route.travel_seconds + weights.distance_weight * route.distance_metres
    for stop_id in unassigned:
        stop = by_id[stop_id]
        total += stop.penalty if stop.optional else weights.drop_penalty
    return total


def solve_vroom(problem: RoutingProblem, time_limit_s: float) -> RoutePlan:
    """Solve ``problem`` with VROOM within ``time_limit_s`` and convert its routes into our plan."""
    started = time.perf_counter()
    problem_input = vroom_input(problem)
    solution = problem_input.solve(
        exploration_level=EXPLORATION_LEVEL, nb_threads=1, timeout=timedelta(seconds=time_limit_s)
    )
    wall_s = time.perf_counter() - started
    return to_plan(problem, vroom_routes(solution), wall_s=wall_s, time_limit_s=time_limit_s)


@dataclass(frozen=True, slots=True)
class Score:
    """What the comparison counts of one plan (see the module docstring)."""

    served_weight: int
    tickets: int
    inspections: int
    lateness: int
    travel_s: int
    objective: int
    errors: tuple[str, ...]

    @property
    def key(self) -> tuple[int, int, int, int]:
        """Larger is better: served weight, lateness (negated), inspections, travel (negated)."""
        return (self.served_weight, -self.lateness, self.inspections, -self.travel_s)

    def at_least_as_good_as(self, other: Score) -> bool:
        return not self.errors and (bool(other.errors) or self.key >= other.key)

    def line(self) -> str:
        verdict = "ok" if not self.errors else f"REJECTED ({len(self.errors)}: {self.errors[0]})"
        return (
            f"served {self.served_weight} ({self.tickets} tickets, {self.inspections} inspections), "
            f"lateness {self.lateness}, travel {self.travel_s / HOUR:.2f} h, objective {self.objective}, "
            f"checker {verdict}"
        )


def score(problem: RoutingProblem, plan: RoutePlan) -> Score:
    """The comparison's figures of ``plan``, and the checker's verdict on it."""
    by_id = {stop.id: stop for stop in problem.stops}
    routed = [by_id[visit.stop_id] for route in plan.routes for visit in route.visits]
    tickets = [stop for stop in routed if stop.kind is not StopKind.PICKUP and not stop.optional]
    return Score(
        served_weight=sum(stop.lateness_weight for stop in tickets),
        tickets=len(tickets),
        inspections=sum(1 for stop in routed if stop.optional),
        lateness=sum(lateness_cost(by_id, route) for route in plan.routes),
        travel_s=sum(route.travel_seconds for route in plan.routes),
        objective=plan.objective,
        errors=tuple(check_plan(problem, plan)),
    )


def compare(seed: int, time_limit_s: float, vroom_first: bool) -> bool:
    """Solve the day of ``seed`` both ways, print both scores; whether ours is at least as good."""
    problem = dispatch_problem(seed=seed)
    load = os.getloadavg()[0]
    plans: dict[str, RoutePlan] = {}
    for side in ("vroom", "ours") if vroom_first else ("ours", "vroom"):
        if side == "ours":
            plans[side] = solve(problem, time_limit_s=time_limit_s, seed=0)
        else:
            plans[side] = solve_vroom(problem, time_limit_s)
    scores = {side: score(problem, plan) for side, plan in plans.items()}
    better = scores["ours"].at_least_as_good_as(scores["vroom"])
    print(f"seed {seed} (load {load:.1f}, {'VROOM' if vroom_first else 'ours'} first):")
    for side, plan in plans.items():
        stats = plan.stats
        print(f"  {side:5} {scores[side].line()}; {len(plan.routes)} engineers, wall {stats.wall_s:.2f} s")
    print(f"  ours {'is' if better else 'is NOT'} at least as good", flush=True)
    return better


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.dispatch_vs_vroom", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--time-limit", type=float, default=10.0, help="seconds, the same for both")
    parser.add_argument("--instances", type=int, default=5, help="days of seeds 1, 2, ...")
    args = parser.parse_args(argv)
    outcomes = [
        compare(seed, args.time_limit, vroom_first=seed % 2 == 0) for seed in range(1, args.instances + 1)
    ]
    verdict = "yes" if all(outcomes) else "no"
    print(f"ours at least as good as VROOM on every instance: {verdict} ({sum(outcomes)}/{len(outcomes)})")
    if not all(outcomes):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
