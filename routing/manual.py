"""A dispatcher's manual moves: a stop (or a ticket's stop) of a plan to a van or engineer, at a position.

The move is evaluated from the present, as a re-plan would start (`routing.live_day`: each vehicle where
it is now, within what is left of its shift and outside its absences), by `routing.moves.evaluate_move`
on the two routes it touches, without a solver. A dry run answers that evaluation.

Made, a move never edits the plan it was made on: it keeps a new draft plan (``based_on`` that plan)
with the two routes changed and every other route as it was. A committed plan is a record of what was
promised and carried out (its stops' events point at it), and a draft may be compared with it, checked
again or dropped; committing the new draft makes the move effective exactly as committing a re-plan
does, and the stops' statuses follow it (`routing.stop_log.carry_statuses`). An override of a soft
deadline or a shift end needs a reason: it is kept on the moved stop and written to the audit chain.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from geo.travel import Point
from inventory.audit import log as audit
from inventory.errors import Conflict, InvalidRequest, InvalidTransition, NotFound
from inventory.persistence import write_transaction
from routing.assembly import Engineer, Locations, Matrix, Place, PlanClock, Van, van_vehicle
from routing.availability import ENGINEER, VEHICLE
from routing.live_day import LiveDay, present_fleet, replanned_of
from routing.model import (
    RoutePlan,
    RoutingProblem,
    SolveStats,
    SolveStatus,
    Stop,
    StopKind,
    UnassignedReason,
    Vehicle,
)
from routing.moves import MoveOutcome, evaluate_move
from routing.plan_store import (
    NBD,
    SUPERSEDED,
    PlanView,
    StopView,
    get_plan,
    save_plan,
    solver_route,
    stop_info,
)
from routing.stop_log import day_states
from routing.tables import Engineer as EngineerRow
from routing.tables import PlanStop
from routing.tables import Vehicle as VehicleRow

_KINDS = {"delivery": StopKind.DELIVERY, "pickup": StopKind.PICKUP}
MOVED = SolveStats("move", "a dispatcher's move", 0.0, SolveStatus.SOLVED, 0, 0.0)


@dataclass(frozen=True, slots=True)
class MoveRequest:
    """Move ``stop`` (an id of the plan's stops) or the stop of ``ticket`` to ``to`` at ``position``."""

    stop: int | None
    ticket: int | None
    to: str
    position: int | None
    dry_run: bool
    override_reason: str


@dataclass(frozen=True, slots=True)
class StopMove:
    """One stop's change: its id in the plan moved, vehicle, start of service and lateness, before and
    after."""

    id: int
    key: str
    vehicle_before: str | None
    vehicle_after: str
    start_before: datetime | None
    start_after: datetime
    late_before_s: int
    late_after_s: int


@dataclass(frozen=True, slots=True)
class MoveResult:
    """What a move does (or did): whether it can be made, and with what override; the stops it changes;
    the overtime of each touched route; the new draft plan, once made."""

    feasible: bool
    reason: str | None
    needs_override: tuple[str, ...]
    changes: tuple[StopMove, ...]
    overtime_s: dict[str, int]
    plan_id: int | None


async def move_stop(
    plan_id: int, request: MoveRequest, *, kind: str, matrix: Matrix, actor: str, now: datetime
) -> MoveResult:
    """Evaluate a move on plan ``plan_id`` (of ``kind``) and, unless a dry run, keep it as a new draft.

    Raises:
        NotFound: no such plan of that kind, stop or ticket in it, or vehicle or engineer ``to``.
        InvalidRequest: neither or both of stop and ticket, a pickup (move the stop it is for), a ticket
            with several stops, or an override reason over 500 characters.
        InvalidTransition: a superseded plan, a stop already started or finished, or ``to`` not
            available now.
        Conflict: (not a dry run) the move breaks a window or a hard deadline, a skill or the capacity,
            or needs an override that was not given.
    """
    plan = await get_plan(plan_id, kind=kind)
    if plan.status == SUPERSEDED:
        raise InvalidTransition(f"plan {plan_id} was superseded", state=plan.status)
    if len(request.override_reason) > 500:
        raise InvalidRequest("the override reason is longer than 500 characters", field="override_reason")
    stop = _stop_to_move(plan, request)
    states = await day_states(kind, plan.date)
    live = LiveDay(states, replanned=replanned_of(states, [plan]))
    if not live.keeps(stop.key) or (stop.key in live.states and live.states[stop.key].in_progress):
        raise InvalidTransition(f"stop {stop.id} has started or is over: it cannot be moved", field="stop")
    owner = next((route.vehicle for route in plan.routes if stop in route.stops), None)
    members, depots = await _members(kind, plan, {request.to} | ({owner} if owner else set()), now)
    if request.to not in {member.code for member in members}:
        raise NotFound(f"{'van' if kind == NBD else 'engineer'} {request.to} not found", field="to")
    present, _reasons = await present_fleet(
        VEHICLE if kind == NBD else ENGINEER, members, live, day=plan.date, now=now
    )
    model = _Model(plan, present, depots, live, kind)
    if request.to not in model.vehicles:
        raise InvalidTransition(f"{request.to} is not available for the rest of the day", field="to")
    moved = model.moved(stop)
    orders = model.orders({request.to} | ({owner} if owner in model.vehicles else set()))
    first = sum(1 for key in orders[request.to] if key in live.states and live.states[key].in_progress)
    stops = model.stops(orders, moved)
    metres, seconds = await asyncio.to_thread(matrix, model.places.points)
    problem = model.problem(stops, orders, seconds, metres)
    position = len(orders[request.to]) if request.position is None else request.position
    override = bool(request.override_reason.strip())
    outcome = evaluate_move(problem, orders, moved, request.to, position, first=first, override=override)
    changes = tuple(
        StopMove(
            model.ids[change.stop_id],
            change.stop_id,
            change.vehicle_before,
            change.vehicle_after,
            None if change.start_before is None else plan.clock.at(change.start_before),
            plan.clock.at(change.start_after),
            change.late_before,
            change.late_after,
        )
        for change in outcome.changes
    )
    result = MoveResult(
        outcome.feasible, outcome.reason, outcome.needs_override, changes, dict(outcome.overtime), None
    )
    if request.dry_run:
        return result
    if not outcome.feasible:
        raise Conflict(
            f"the move cannot be made: {outcome.reason or 'it needs an override_reason'}",
            field="override_reason" if outcome.reason is None else "to",
            reason=outcome.reason,
            needs_override=list(outcome.needs_override),
        )
    new_id = await _keep(plan, model, outcome, moved, request, actor=actor, now=now)
    return MoveResult(outcome.feasible, None, outcome.needs_override, changes, result.overtime_s, new_id)


def _stop_to_move(plan: PlanView, request: MoveRequest) -> StopView:
    if (request.stop is None) == (request.ticket is None):
        raise InvalidRequest("name either the stop or the ticket to move", field="stop")
    every = [stop for route in plan.routes for stop in route.stops] + list(plan.unassigned)
    if request.stop is not None:
        found = [stop for stop in every if stop.id == request.stop]
        if not found:
            raise NotFound(f"stop {request.stop} not found in plan {plan.id}", field="stop")
    else:
        found = [stop for stop in every if stop.ticket == request.ticket and stop.kind != "pickup"]
        if not found:
            raise NotFound(
                f"ticket {request.ticket} has no stop in plan {plan.id}; plan the day again to include it",
                field="ticket",
            )
        if len(found) > 1:
            raise InvalidRequest(f"ticket {request.ticket} has several stops: name the stop", field="ticket")
    if found[0].kind == "pickup":
        raise InvalidRequest("a pickup moves with the stop it is for: move that stop", field="stop")
    return found[0]


async def _members(
    kind: str, plan: PlanView, codes: set[str], now: datetime
) -> tuple[list[Van] | list[Engineer], dict[str, Point]]:
    """The active vans or engineers ``codes`` with their shift on the plan's day from ``now`` on, and
    where the vans' depots lie."""
    if kind == NBD:
        rows = await VehicleRow.select(
            VehicleRow.code,
            VehicleRow.depot.code.as_alias("depot"),
            VehicleRow.depot.latitude.as_alias("latitude"),
            VehicleRow.depot.longitude.as_alias("longitude"),
            VehicleRow.depot.timezone.as_alias("timezone"),
            VehicleRow.capacity_kg,
            VehicleRow.capacity_l,
            VehicleRow.shift_start,
            VehicleRow.shift_end,
        ).where(VehicleRow.code.is_in(sorted(codes)) & (VehicleRow.active == True))  # noqa: E712
        vans = []
        for row in rows:
            shift = _shift(plan, row["shift_start"], row["shift_end"], row["timezone"], now)
            if shift is not None:
                vans.append(Van(row["code"], row["depot"], row["capacity_kg"], row["capacity_l"], *shift))
        return vans, {row["depot"]: Point(row["latitude"], row["longitude"]) for row in rows}
    rows = await EngineerRow.select(
        EngineerRow.code,
        EngineerRow.skills,
        EngineerRow.shift_start,
        EngineerRow.shift_end,
        EngineerRow.max_working_minutes,
        EngineerRow.home_depot.code.as_alias("depot"),
        EngineerRow.home_depot.latitude.as_alias("latitude"),
        EngineerRow.home_depot.longitude.as_alias("longitude"),
        EngineerRow.home_depot.timezone.as_alias("timezone"),
    ).where(EngineerRow.code.is_in(sorted(codes)) & (EngineerRow.active == True))  # noqa: E712
    engineers = []
    for row in rows:
        shift = _shift(plan, row["shift_start"], row["shift_end"], row["timezone"], now)
        if shift is not None:
            home = Place(row["depot"], Point(row["latitude"], row["longitude"]))
            engineers.append(
                Engineer(
                    row["code"],
                    home,
                    frozenset(row["skills"].split()),
                    *shift,
                    timedelta(minutes=row["max_working_minutes"]),
                )
            )
    return engineers, {}


def _shift(plan: PlanView, start, end, zone: str, now: datetime) -> tuple[datetime, datetime] | None:
    begins = max(datetime.combine(plan.date, start, ZoneInfo(zone)), now)
    ends = datetime.combine(plan.date, end, ZoneInfo(zone))
    return (begins, ends) if begins < ends else None


class _Model:
    """The plan's stops and the available vans or engineers as a routing problem's parts."""

    def __init__(
        self, plan: PlanView, members: list, depots: dict[str, Point], live: LiveDay, kind: str
    ) -> None:
        self.plan, self.live, self.kind = plan, live, kind
        self.clock = PlanClock(plan.epoch)
        self.places = Locations()
        self.depots = {route.vehicle: route.depot for route in plan.routes}
        self.vehicles: dict[str, Vehicle] = {}
        for member in members:
            if isinstance(member, Van):
                self.depots[member.code] = member.depot
                self.vehicles[member.code] = van_vehicle(member, depots, self.places, self.clock)
            else:
                self.depots[member.code] = member.home.code
                self.vehicles[member.code] = Vehicle(
                    member.code,
                    self.places.index(member.start or member.home),
                    self.places.index(member.home),
                    (),
                    self.clock.window(member.shift_start, member.shift_end),
                    max_working=round(member.max_working.total_seconds()),
                    skills=member.skills,
                )
        self.views = {stop.key: stop for route in plan.routes for stop in route.stops} | {
            stop.key: stop for stop in plan.unassigned
        }
        self.ids = {key: view.id for key, view in self.views.items()}

    def stop(self, view: StopView) -> Stop:
        place = Place(view.place, Point(view.latitude, view.longitude))
        return Stop(
            view.key,
            self.places.index(place),
            view.service_seconds,
            (view.weight_g, view.volume_ml) if self.kind == NBD else (),
            self.clock.window(view.window_start, view.window_end),
            _KINDS.get(view.kind, StopKind.VISIT),
            optional=view.optional,
            penalty=view.prize,
            pickup_of=view.pickup_of,
            required_skills=frozenset(view.skills),
            deadline=None if view.deadline is None else self.clock.seconds(view.deadline),
            lateness_weight=view.lateness_weight,
            deadline_hard=view.deadline_hard,
        )

    def moved(self, stop: StopView) -> tuple[str, ...]:
        """The stop and, first, its pickup still to do."""
        pickup = f"{stop.key}:pickup"
        if pickup in self.views and self.live.keeps(pickup):
            return (pickup, stop.key)
        return (stop.key,)

    def orders(self, vehicles: set[str]) -> dict[str, list[str]]:
        """The stops still to do of each of ``vehicles``' routes, in order."""
        orders: dict[str, list[str]] = {vehicle: [] for vehicle in vehicles}
        for route in self.plan.routes:
            if route.vehicle in vehicles:
                orders[route.vehicle] = [stop.key for stop in route.stops if self.live.keeps(stop.key)]
        return orders

    def stops(self, orders: dict[str, list[str]], moved: tuple[str, ...]) -> tuple[Stop, ...]:
        """The stops of the touched routes and the moved ones (their places indexed)."""
        keys = {key for order in orders.values() for key in order} | set(moved)
        return tuple(self.stop(self.views[key]) for key in sorted(keys))

    def problem(
        self, stops: tuple[Stop, ...], orders: dict[str, list[str]], seconds: list, metres: list
    ) -> RoutingProblem:
        vehicles = tuple(self.vehicles[vehicle] for vehicle in orders)
        dimensions = ("weight_g", "volume_ml") if self.kind == NBD else ()
        return RoutingProblem(seconds, metres, stops, vehicles, dimensions=dimensions)


async def _keep(
    plan: PlanView,
    model: _Model,
    outcome: MoveOutcome,
    moved: tuple[str, ...],
    request: MoveRequest,
    *,
    actor: str,
    now: datetime,
) -> int:
    """Keep the plan with the move as a new draft based on it; the override (if any) on the moved stop
    and an audit entry for the move, in one transaction."""
    clock = model.clock
    routes = [
        solver_route(route, clock)
        for route in plan.routes
        if route.vehicle not in outcome.routes and all(s.key not in moved for s in route.stops)
    ]
    routes += list(outcome.routes.values())
    unassigned = {
        stop.key: UnassignedReason(stop.unassigned_reason)
        for stop in plan.unassigned
        if stop.key not in moved and stop.unassigned_reason
    }
    kept = {visit.stop_id for route in routes for visit in route.visits} | unassigned.keys()
    stops = tuple(model.stop(view) for key, view in model.views.items() if key in kept)
    solved = RoutePlan(tuple(routes), unassigned, plan.objective, MOVED)
    move = {
        "stops": list(moved),
        "to": request.to,
        "position": request.position,
        "override_reason": request.override_reason or None,
        "needs_override": list(outcome.needs_override),
        "based_on": plan.id,
    }
    async with write_transaction():
        new_id = await save_plan(
            kind=plan.kind,
            day=plan.date,
            depots=plan.depots,
            clock=clock,
            problem=RoutingProblem((), (), stops, (), dimensions=("weight_g", "volume_ml")),
            plan=solved,
            info={key: stop_info(view) for key, view in model.views.items() if key in kept},
            vehicle_depots=model.depots,
            stats={**plan.stats, "move": move},
            actor=actor,
            now=now,
            based_on=plan.id,
        )
        pinned = [key for key, view in model.views.items() if view.pinned and key in kept]
        if pinned:
            await PlanStop.update({PlanStop.pinned: True}).where(
                (PlanStop.plan == new_id) & PlanStop.stop_key.is_in(pinned)
            )
        if request.override_reason:
            await PlanStop.update({PlanStop.override_reason: request.override_reason}).where(
                (PlanStop.plan == new_id) & PlanStop.stop_key.is_in(list(moved))
            )
        await audit.append("plan.stop_moved", f"route_plan:{new_id}", move, actor=actor, at=now)
    return new_id
