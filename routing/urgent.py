"""4-hour urgent delivery: put one pickup-and-delivery into the day's plan without re-solving.

Pure Python over the plan's times and the matrix, O(stops on a route squared) at worst per route and
usually far less (a candidate is abandoned at the first stop it would make late). Visits the vehicle has
already left (departure before ``now``) are never touched; every later visit must still begin by its
hard limit, and by its soft deadline unless it was already past it (then no later than planned).

The answer ranks up to three options (the best insertion into each of two routes and the best dedicated
run, or three insertions when no vehicle is free), each with its ETA, its slack before the due time and
the planned stops it delays. When no option keeps the due time, the same search without the due time
gives the earliest arrival there is, and by how much it misses.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace

from routing.check import check_plan
from routing.errors import InfeasiblePlan, InvalidProblem
from routing.model import (
    UNBOUNDED,
    Route,
    RoutePlan,
    RoutingProblem,
    Stop,
    StopKind,
    TimeWindow,
    UnassignedReason,
    Vehicle,
    Visit,
)
from routing.schedule import load_steps

MAX_OPTIONS = 3


@dataclass(frozen=True, slots=True)
class UrgentOption:
    """One way to take the part to its site.

    Attributes:
        pickup_position, delivery_position: where the pickup and the delivery go in the vehicle's new
            route (0-based; a dedicated run is ``0, 1``).
        slack: seconds from the ETA to the due time; negative when the option misses it by that much.
        extra_cost: what it adds to the plan's objective (a dedicated run pays its vehicle's fixed cost).
        delays: the planned stops still to come that it makes begin later, with the seconds later; none
            of them is made late.
    """

    vehicle_id: str
    dedicated: bool
    pickup_position: int
    delivery_position: int
    pickup_time: int
    eta: int
    slack: int
    extra_cost: int
    delays: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True, slots=True)
class UrgentAnswer:
    """The answer to an urgent request; ``plan``/``problem`` include the two new stops when feasible.

    Attributes:
        reason: why the due time cannot be kept, when it cannot.
        options: up to `MAX_OPTIONS`, best first: by extra cost when the due time can be kept (the
            first is the one ``plan`` carries), else by ETA. Empty when nothing can take the part at all.
        earliest_eta: when the due time cannot be kept, the earliest arrival any vehicle can make.
    """

    feasible: bool
    due: int
    vehicle_id: str | None = None
    dedicated: bool = False
    pickup_time: int | None = None
    eta: int | None = None
    extra_cost: int | None = None
    reason: UnassignedReason | None = None
    plan: RoutePlan | None = None
    problem: RoutingProblem | None = None
    options: tuple[UrgentOption, ...] = ()
    earliest_eta: int | None = None

    @property
    def misses_by(self) -> int | None:
        """Seconds the earliest arrival comes after the due time, when it cannot be kept."""
        return None if self.earliest_eta is None else max(0, self.earliest_eta - self.due)


@dataclass(slots=True)
class _Best:
    cost: int
    eta: int
    vehicle: Vehicle
    p: int
    q: int
    dedicated: bool


def insert_urgent(
    plan: RoutePlan,
    problem: RoutingProblem,
    stop: Stop,
    *,
    pickup_location: int,
    now: int,
    pickup_service: int = 0,
) -> UrgentAnswer:
    """Cheapest way to collect ``stop``'s part at ``pickup_location`` from ``now`` and deliver it by its due.

    Tries every insertion of the pickup and then the delivery into every route (after what the vehicle
    has done by ``now``), and a dedicated run for each vehicle without a route; the cheapest by the
    problem's objective wins (a dedicated run pays its vehicle's fixed cost).
    """
    if stop.kind is StopKind.PICKUP or not 0 <= stop.location < problem.size:
        raise InvalidProblem("an urgent stop is a delivery or visit at a known location", field="stop")
    if not 0 <= pickup_location < problem.size:
        raise InvalidProblem("pickup location out of range", field="pickup_location")
    pickup = Stop(
        f"{stop.id}:pickup",
        pickup_location,
        pickup_service,
        stop.demand,
        TimeWindow(now, UNBOUNDED),
        StopKind.PICKUP,
        pickup_of=stop.id,
        required_skills=stop.required_skills,
    )
    by_id = {s.id: s for s in problem.stops}
    if stop.id in by_id or pickup.id in by_id:
        raise InvalidProblem(f"stop {stop.id} is already in the problem", field="stop")
    due = stop.latest_start
    able = [v for v in problem.vehicles if stop.required_skills <= v.skills]
    if not able:
        return UrgentAnswer(False, due, reason=UnassignedReason.NO_VEHICLE)
    able = [v for v in able if _fits(v, stop.demand)]
    if not able:
        return UrgentAnswer(False, due, reason=UnassignedReason.NO_CAPACITY)
    routes = {route.vehicle_id: route for route in plan.routes}
    on_time = _candidates(problem, able, routes, by_id, pickup, stop, now, by_eta=False)
    if on_time:
        options = _options(on_time, problem, routes, by_id, pickup, stop, due)
        return replace(
            _apply(plan, problem, on_time[0], routes.get(on_time[0].vehicle.id), by_id, pickup, stop, due),
            options=options,
        )
    reachable = any(_dedicated(problem, v, pickup, stop, now) is not None for v in able)
    reason = UnassignedReason.FLEET_FULL if reachable else UnassignedReason.WINDOW_UNREACHABLE
    unbound = replace(stop, window=TimeWindow(stop.window.start, UNBOUNDED))
    late = _candidates(problem, able, routes, by_id, pickup, unbound, now, by_eta=True)
    options = _options(late, problem, routes, by_id, pickup, unbound, due)
    earliest = options[0].eta if options else None
    return UrgentAnswer(False, due, reason=reason, options=options, earliest_eta=earliest)


def _candidates(
    problem: RoutingProblem,
    able: list[Vehicle],
    routes: dict[str, Route],
    by_id: dict[str, Stop],
    pickup: Stop,
    stop: Stop,
    now: int,
    *,
    by_eta: bool,
) -> list[_Best]:
    """The best way of each vehicle, best first: the cheapest (or, ``by_eta``, the earliest)."""
    found = []
    for vehicle in able:
        route = routes.get(vehicle.id)
        candidate = (
            _dedicated(problem, vehicle, pickup, stop, now)
            if route is None
            else _best_insertion(problem, vehicle, route, by_id, pickup, stop, now, by_eta=by_eta)
        )
        if candidate is not None:
            found.append(candidate)
    return sorted(found, key=lambda c: (c.eta, c.cost) if by_eta else (c.cost, c.eta))


def _options(
    ranked: list[_Best],
    problem: RoutingProblem,
    routes: dict[str, Route],
    by_id: dict[str, Stop],
    pickup: Stop,
    stop: Stop,
    due: int,
) -> tuple[UrgentOption, ...]:
    """The first `MAX_OPTIONS` of ``ranked``, keeping a place for the best dedicated run, in rank order."""
    dedicated = next((c for c in ranked if c.dedicated), None)
    insertions = [c for c in ranked if not c.dedicated]
    chosen = [*insertions[: MAX_OPTIONS - 1], dedicated] if dedicated else insertions[:MAX_OPTIONS]
    options = []
    for best in sorted(chosen, key=ranked.index):
        route = routes.get(best.vehicle.id)
        visits, _ = _new_route(problem, best, route, by_id, pickup, stop)
        before = {visit.stop_id: visit.start for visit in route.visits} if route is not None else {}
        index = [visit.stop_id for visit in visits]
        delivery = visits[index.index(stop.id)]
        delays = tuple(
            (visit.stop_id, visit.start - before[visit.stop_id])
            for visit in visits
            if visit.stop_id in before and visit.start > before[visit.stop_id]
        )
        options.append(
            UrgentOption(
                best.vehicle.id,
                best.dedicated,
                index.index(pickup.id),
                index.index(stop.id),
                visits[index.index(pickup.id)].start,
                delivery.arrival,
                due - delivery.arrival,
                best.cost,
                delays,
            )
        )
    return tuple(options)


def _fits(vehicle: Vehicle, demand: tuple[int, ...]) -> bool:
    return all(d >= len(vehicle.capacity) or a <= vehicle.capacity[d] for d, a in enumerate(demand))


def _cost(problem: RoutingProblem, a: int, b: int) -> int:
    w = problem.objective
    return w.time_weight * problem.seconds[a][b] + w.distance_weight * problem.metres[a][b]


def _end_limit(vehicle: Vehicle, departure: int) -> int:
    if vehicle.max_working is None:
        return vehicle.shift.end
    return min(vehicle.shift.end, departure + vehicle.max_working)


def _dedicated(problem: RoutingProblem, vehicle: Vehicle, pickup: Stop, stop: Stop, now: int) -> _Best | None:
    seconds = problem.seconds
    departure = max(now, vehicle.shift.start)
    start_p = max(departure + seconds[vehicle.start][pickup.location], pickup.window.start)
    arrival = start_p + pickup.service + seconds[pickup.location][stop.location]
    start_d = max(arrival, stop.window.start)
    end = start_d + stop.service + seconds[stop.location][vehicle.end]
    if start_d > stop.latest_start or end > _end_limit(vehicle, departure):
        return None
    fixed = problem.objective.vehicle_cost if vehicle.fixed_cost is None else vehicle.fixed_cost
    cost = fixed + _cost(problem, vehicle.start, pickup.location)
    cost += _cost(problem, pickup.location, stop.location) + _cost(problem, stop.location, vehicle.end)
    return _Best(cost, arrival, vehicle, 0, 0, True)


def _best_insertion(  # noqa: PLR0912, PLR0915
    problem: RoutingProblem,
    vehicle: Vehicle,
    route: Route,
    by_id: dict[str, Stop],
    pickup: Stop,
    stop: Stop,
    now: int,
    *,
    by_eta: bool = False,
) -> _Best | None:
    """The cheapest (or, ``by_eta``, the earliest) insertion of the pickup, then ``stop``, into ``route``."""
    seconds = problem.seconds
    visits = route.visits
    seq = [by_id[v.stop_id] for v in visits]
    n = len(seq)
    locs = [s.location for s in seq]
    paired = frozenset(s.pickup_of for s in seq if s.pickup_of is not None)
    loads = load_steps(seq, paired, len(problem.dimensions))  # loads[j] = on board before visit j
    caps = [
        vehicle.capacity[d] if d < len(vehicle.capacity) else None for d in range(len(problem.dimensions))
    ]
    limits = []
    for s, v in zip(seq, visits, strict=True):
        limit = s.latest_start
        if s.deadline is not None:
            limit = min(limit, max(s.deadline, v.start))
        limits.append(limit)

    def latest(end_limit: int) -> list[int]:
        z = [0] * (n + 1)
        z[n], nxt = end_limit, vehicle.end
        for j in range(n - 1, -1, -1):
            z[j] = min(limits[j], z[j + 1] - seq[j].service - seconds[locs[j]][nxt])
            nxt = locs[j]
        return z

    z_planned = latest(_end_limit(vehicle, route.departure))
    best: _Best | None = None
    P, D = pickup.location, stop.location
    for p in range(n + 1):
        if p == 0:
            if route.departure < now:
                continue
            t, here = max(now, vehicle.shift.start), vehicle.start
            z = latest(_end_limit(vehicle, t))
        else:
            if visits[p - 1].departure < now:
                continue
            t, here, z = visits[p - 1].departure, locs[p - 1], z_planned
        start_p = max(t + seconds[here][P], pickup.window.start)
        load = [x + a for x, a in zip(loads[p], stop.demand, strict=False)]
        if any(c is not None and x > c for x, c in zip(load, caps, strict=False)):
            continue
        delta_p_base = _cost(problem, here, P)
        pred_p = here
        t, here = start_p + pickup.service, P
        for q in range(p, n + 1):
            if q > p:
                j = q - 1  # visit j now follows, carrying the part
                onboard = [x + a for x, a in zip(loads[j + 1], stop.demand, strict=False)]
                if any(c is not None and x > c for x, c in zip(onboard, caps, strict=False)):
                    break
                start_j = max(t + seconds[here][locs[j]], seq[j].window.start)
                if start_j > z[j]:
                    break
                t, here = start_j + seq[j].service, locs[j]
            arrival = t + seconds[here][D]
            start_d = max(arrival, stop.window.start)
            if start_d > stop.latest_start:
                break
            after = start_d + stop.service
            if q < n:
                ok = max(after + seconds[D][locs[q]], seq[q].window.start) <= z[q]
                next_loc = locs[q]
            else:
                ok = after + seconds[D][vehicle.end] <= z[n]
                next_loc = vehicle.end
            if not ok:
                continue
            nxt_p = locs[p] if p < n else vehicle.end
            if q == p:
                delta = delta_p_base + _cost(problem, P, D) + _cost(problem, D, next_loc)
                delta -= _cost(problem, pred_p, next_loc)
            else:
                delta = delta_p_base + _cost(problem, P, nxt_p) - _cost(problem, pred_p, nxt_p)
                delta += (
                    _cost(problem, here, D) + _cost(problem, D, next_loc) - _cost(problem, here, next_loc)
                )
            rank = (arrival, delta) if by_eta else (delta, arrival)
            if best is None or rank < ((best.eta, best.cost) if by_eta else (best.cost, best.eta)):
                best = _Best(delta, arrival, vehicle, p, q, False)
    return best


def _new_route(
    problem: RoutingProblem,
    best: _Best,
    route: Route | None,
    by_id: dict[str, Stop],
    pickup: Stop,
    stop: Stop,
) -> tuple[list[Visit], Route]:
    """The visits of ``best``'s vehicle with the pickup and ``stop`` inserted, and its new route."""
    vehicle = best.vehicle
    seconds, metres = problem.seconds, problem.metres
    old = list(route.visits) if route is not None else []
    seq = [by_id[v.stop_id] for v in old]
    p, q = best.p, best.q
    new_seq = [*seq[:p], pickup, *seq[p:q], stop, *seq[q:]]
    if best.dedicated or p == 0:
        departure = max(pickup.window.start, vehicle.shift.start)
        t, here, kept = departure, vehicle.start, []
    else:
        departure = route.departure if route is not None else 0
        kept = old[:p]
        t, here = old[p - 1].departure, seq[p - 1].location
    visits = list(kept)
    for s in new_seq[len(kept) :]:
        arrival = t + seconds[here][s.location]
        start = max(arrival, s.window.start)
        late = max(0, start - s.deadline) if s.deadline is not None else 0
        visits.append(Visit(s.id, arrival, start, start + s.service, late))
        t, here = start + s.service, s.location
    locations = [vehicle.start, *(s.location for s in new_seq), vehicle.end]
    travel = sum(seconds[a][b] for a, b in itertools.pairwise(locations))
    distance = sum(metres[a][b] for a, b in itertools.pairwise(locations))
    arrival = t + seconds[here][vehicle.end]
    return visits, Route(vehicle.id, departure, tuple(visits), arrival, travel, distance)


def _apply(
    plan: RoutePlan,
    problem: RoutingProblem,
    best: _Best,
    route: Route | None,
    by_id: dict[str, Stop],
    pickup: Stop,
    stop: Stop,
    due: int,
) -> UrgentAnswer:
    vehicle = best.vehicle
    visits, new_route = _new_route(problem, best, route, by_id, pickup, stop)
    routes = [r for r in plan.routes if r.vehicle_id != vehicle.id] + [new_route]
    new_problem = replace(problem, stops=(*problem.stops, pickup, stop))
    new_plan = replace(plan, routes=tuple(routes), objective=plan.objective + best.cost)
    errors = check_plan(new_problem, new_plan)
    if errors:
        raise InfeasiblePlan(f"urgent insertion fails the check: {errors[0]}", errors=errors[:20])
    index = [v.stop_id for v in visits]
    return UrgentAnswer(
        True,
        due,
        vehicle.id,
        best.dedicated,
        visits[index.index(pickup.id)].start,
        visits[index.index(stop.id)].arrival,
        best.cost,
        None,
        new_plan,
        new_problem,
    )
