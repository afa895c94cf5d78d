"""Kept plans: saving a solved plan with its stops, reading it back, committing it, and its pins."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from geo.travel import Point
from inventory import notifications
from inventory.errors import InvalidTransition, NotFound
from inventory.persistence import current_store, write_transaction
from inventory.stock.tables import Depot
from routing.assembly import Pin, Place, PlanClock
from routing.fulfilment import commit_plan_ways
from routing.model import UNBOUNDED, Route, RoutePlan, RoutingProblem, Stop, Visit
from routing.plan_inputs import StopInfo
from routing.stop_log import carry_statuses
from routing.tables import PlanRoute, PlanStop, RoutePlanRecord

DRAFT, COMMITTED, SUPERSEDED = "draft", "committed", "superseded"
NBD, DISPATCH = "nbd", "dispatch"


@dataclass(frozen=True, slots=True)
class StopView:
    key: str
    kind: str
    ticket: int | None
    reservation: int | None
    inspection: int | None
    site: str | None
    site_id: int | None
    depot: str | None
    place: str
    latitude: float
    longitude: float
    eta: datetime | None
    start_at: datetime | None
    departure_at: datetime | None
    due_from: datetime | None
    due_by: datetime | None
    late_seconds: int
    pinned: bool
    window_start: datetime | None
    window_end: datetime | None
    deadline: datetime | None
    deadline_hard: bool
    lateness_weight: int
    service_seconds: int
    weight_g: int
    volume_ml: int
    skills: tuple[str, ...]
    pickup_of: str | None
    optional: bool
    prize: int
    unassigned_reason: str | None
    id: int = 0
    status: str = "planned"
    override_reason: str | None = None


@dataclass(frozen=True, slots=True)
class RouteView:
    """A vehicle's (or an engineer's) route; it starts and ends at ``depot``, which lies at
    ``depot_point`` (None if no depot has that code any more)."""

    vehicle: str
    depot: str
    departure: datetime
    arrival: datetime
    travel_seconds: int
    distance_metres: int
    stops: tuple[StopView, ...]
    depot_point: Point | None = None


@dataclass(frozen=True, slots=True)
class PlanView:
    id: int
    kind: str
    date: date
    depots: tuple[str, ...]
    status: str
    based_on: int | None
    epoch: datetime
    objective: int
    lateness_cost: int
    stats: dict
    created_by: str
    created_at: datetime
    committed_by: str | None
    committed_at: datetime | None
    routes: tuple[RouteView, ...]
    unassigned: tuple[StopView, ...]

    @property
    def clock(self) -> PlanClock:
        return PlanClock(self.epoch)


async def save_plan(
    *,
    kind: str,
    day: date,
    depots: Sequence[str],
    clock: PlanClock,
    problem: RoutingProblem,
    plan: RoutePlan,
    info: Mapping[str, StopInfo],
    vehicle_depots: Mapping[str, str],
    stats: dict,
    actor: str,
    now: datetime,
    based_on: int | None = None,
) -> int:
    """Keep ``plan`` (a draft) with every stop of ``problem``, routed or not; returns the plan id."""
    stops = {stop.id: stop for stop in problem.stops}
    async with write_transaction():
        record = RoutePlanRecord(
            kind=kind,
            plan_date=day,
            depots=" ".join(sorted(depots)),
            status=DRAFT,
            based_on=based_on,
            epoch=clock.epoch,
            objective=plan.objective,
            lateness_cost=plan.lateness_cost,
            stats=json.dumps(stats, sort_keys=True, default=str),
            created_by=actor,
            created_at=now,
        )
        await record.save()
        rows: list[PlanStop] = []
        for route in plan.routes:
            route_row = PlanRoute(
                plan=record.id,
                vehicle=route.vehicle_id,
                depot=vehicle_depots.get(route.vehicle_id, ""),
                departure=clock.at(route.departure),
                arrival=clock.at(route.arrival),
                travel_seconds=route.travel_seconds,
                distance_metres=route.distance_metres,
            )
            await route_row.save()
            for position, visit in enumerate(route.visits):
                row = _stop_row(record.id, stops[visit.stop_id], info[visit.stop_id], clock)
                row.route = route_row.id
                row.position = position
                row.eta = clock.at(visit.arrival)
                row.start_at = clock.at(visit.start)
                row.departure_at = clock.at(visit.departure)
                row.late_seconds = visit.lateness
                rows.append(row)
        for stop_id, reason in sorted(plan.unassigned.items()):
            row = _stop_row(record.id, stops[stop_id], info[stop_id], clock)
            row.unassigned_reason = str(reason)
            rows.append(row)
        if rows:
            await PlanStop.insert(*rows)
        await carry_statuses(record.id, kind, day)
    return record.id


def _stop_row(plan_id: int, stop: Stop, info: StopInfo, clock: PlanClock) -> PlanStop:
    weight, volume = stop.demand if len(stop.demand) == 2 else (0, 0)
    return PlanStop(
        plan=plan_id,
        stop_key=stop.id,
        kind=info.kind,
        ticket=info.ticket,
        reservation=info.reservation,
        inspection=info.inspection,
        site=info.site,
        depot=info.depot,
        place=info.place.code,
        latitude=info.place.point.latitude,
        longitude=info.place.point.longitude,
        window_start=clock.at(stop.window.start) if stop.window.start > 0 else None,
        window_end=clock.at(stop.window.end) if stop.window.end < UNBOUNDED else None,
        deadline=clock.at(stop.deadline) if stop.deadline is not None else None,
        deadline_hard=stop.deadline_hard,
        lateness_weight=stop.lateness_weight,
        service_seconds=stop.service,
        weight_g=weight,
        volume_ml=volume,
        skills=" ".join(sorted(stop.required_skills)),
        pickup_of=stop.pickup_of,
        optional=stop.optional,
        prize=stop.penalty,
        pinned=stop.pinned_vehicle is not None,
        due_from=info.due_from,
        due_by=info.due_by,
    )


async def get_plan(plan_id: int, *, kind: str | None = None) -> PlanView:
    """A kept plan with its routes in order and its unassigned stops.

    Raises:
        NotFound: no such plan (of that kind, when given).
    """
    query = RoutePlanRecord.select().where(RoutePlanRecord.id == plan_id)
    if kind is not None:
        query = query.where(RoutePlanRecord.kind == kind)
    plan = await query.first()
    if plan is None:
        raise NotFound(f"plan {plan_id} not found", field="id")
    routes = await PlanRoute.select().where(PlanRoute.plan == plan_id).order_by(PlanRoute.id)
    stops = (
        await PlanStop.select(*PlanStop.all_columns(), PlanStop.site.code.as_alias("site_code"))
        .where(PlanStop.plan == plan_id)
        .order_by(PlanStop.id)
    )
    by_route: dict[int | None, list[dict]] = defaultdict(list)
    for stop in stops:
        by_route[stop["route"]].append(stop)
    depots = await _depot_points({route["depot"] for route in routes})
    return plan_view(plan, routes, by_route, depots)


@dataclass(frozen=True, slots=True)
class PlanSummary:
    """A kept plan in a list: its day, state and the solver's figures, without its routes."""

    id: int
    kind: str
    date: date
    depots: tuple[str, ...]
    status: str
    based_on: int | None
    stats: dict
    created_by: str
    created_at: datetime
    committed_by: str | None
    committed_at: datetime | None


async def list_plans(
    *, kind: str, day: date | None = None, status: str | None = None, limit: int, offset: int = 0
) -> list[PlanSummary]:
    """Kept plans of one kind (``nbd`` or ``dispatch``), newest first, of a day and in a state if given
    (through the index on ``(kind, plan_date, status, id)``)."""
    query = RoutePlanRecord.select(
        RoutePlanRecord.id,
        RoutePlanRecord.kind,
        RoutePlanRecord.plan_date,
        RoutePlanRecord.depots,
        RoutePlanRecord.status,
        RoutePlanRecord.based_on,
        RoutePlanRecord.stats,
        RoutePlanRecord.created_by,
        RoutePlanRecord.created_at,
        RoutePlanRecord.committed_by,
        RoutePlanRecord.committed_at,
    ).where(RoutePlanRecord.kind == kind)
    if day is not None:
        query = query.where(RoutePlanRecord.plan_date == day)
    if status is not None:
        query = query.where(RoutePlanRecord.status == status)
    rows = await query.order_by(RoutePlanRecord.id, ascending=False).limit(limit).offset(offset)
    return [
        PlanSummary(
            id=row["id"],
            kind=row["kind"],
            date=row["plan_date"],
            depots=tuple(row["depots"].split()),
            status=row["status"],
            based_on=row["based_on"],
            stats=json.loads(row["stats"]),
            created_by=row["created_by"],
            created_at=row["created_at"],
            committed_by=row["committed_by"],
            committed_at=row["committed_at"],
        )
        for row in rows
    ]


def plan_view(
    plan: dict,
    routes: Sequence[dict],
    stops: Mapping[int | None, Sequence[dict]],
    depots: Mapping[str, Point],
) -> PlanView:
    """A kept plan from its rows: the plan's, its routes' in order, its stops' by route (``None``: the
    unassigned ones), and where the routes' depots lie."""
    return PlanView(
        plan["id"],
        plan["kind"],
        plan["plan_date"],
        tuple(plan["depots"].split()),
        plan["status"],
        plan["based_on"],
        plan["epoch"],
        plan["objective"],
        plan["lateness_cost"],
        json.loads(plan["stats"]),
        plan["created_by"],
        plan["created_at"],
        plan["committed_by"],
        plan["committed_at"],
        tuple(
            RouteView(
                route["vehicle"],
                route["depot"],
                route["departure"],
                route["arrival"],
                route["travel_seconds"],
                route["distance_metres"],
                tuple(stop_view(s) for s in sorted(stops.get(route["id"], ()), key=lambda s: s["position"])),
                depots.get(route["depot"]),
            )
            for route in routes
        ),
        tuple(stop_view(stop) for stop in stops.get(None, ())),
    )


async def _depot_points(codes: set[str]) -> dict[str, Point]:
    """Where the depots of a plan's routes lie: one query for the whole plan (none without routes)."""
    if not codes:
        return {}
    rows = await Depot.select(Depot.code, Depot.latitude, Depot.longitude).where(
        Depot.code.is_in(sorted(codes))
    )
    return {row["code"]: Point(row["latitude"], row["longitude"]) for row in rows}


def stop_view(row: dict) -> StopView:
    """A kept stop, from its row."""
    return StopView(
        row["stop_key"],
        row["kind"],
        row["ticket"],
        row["reservation"],
        row["inspection"],
        row["site_code"],
        row["site"],
        row["depot"],
        row["place"],
        row["latitude"],
        row["longitude"],
        row["eta"],
        row["start_at"],
        row["departure_at"],
        row["due_from"],
        row["due_by"],
        row["late_seconds"],
        row["pinned"],
        row["window_start"],
        row["window_end"],
        row["deadline"],
        row["deadline_hard"],
        row["lateness_weight"],
        row["service_seconds"],
        row["weight_g"],
        row["volume_ml"],
        tuple(row["skills"].split()),
        row["pickup_of"],
        row["optional"],
        row["prize"],
        row["unassigned_reason"],
        row["id"],
        row["status"],
        row["override_reason"],
    )


async def commit_plan(plan_id: int, *, kind: str, actor: str, now: datetime) -> PlanView:
    """Make a draft plan the committed one of its kind and date; the one it replaces is superseded.

    Committing the committed plan again changes nothing. A committed plan of the same kind and day is
    superseded when it shares a depot with the new one (`overlaps`): committing one depot's plan leaves
    another depot's committed plan as it is. The plan's ways to the sites become the
    committed ones (`routing.fulfilment.commit_plan_ways`), those of the plans it supersedes end. The
    commit publishes ``plan.committed`` in its transaction. Commits of one day run one after the other
    (`inventory.persistence.Store.lock_plan_day`, taken before any row of the day's plans), so of two
    overlapping plans committed at the same moment the later supersedes the earlier.

    Raises:
        NotFound: no plan of that kind.
        InvalidTransition: the plan was superseded.
        inventory.tickets.fulfilment.SecondWay: a part of the plan already reaches its site another way
            (a plan not superseded by this one, or a collection).
    """
    async with write_transaction():
        found = await RoutePlanRecord.select(RoutePlanRecord.plan_date).where(
            (RoutePlanRecord.id == plan_id) & (RoutePlanRecord.kind == kind)
        )
        if not found:
            raise NotFound(f"plan {plan_id} not found", field="id")
        await current_store().lock_plan_day(found[0]["plan_date"])
        rows = await RoutePlanRecord.raw(
            "UPDATE route_plan SET status = status WHERE id = {} AND kind = {}"
            " RETURNING status, plan_date, depots",
            plan_id,
            kind,
        )
        if not rows:
            raise NotFound(f"plan {plan_id} not found", field="id")
        status, day, depots = rows[0]["status"], rows[0]["plan_date"], set(rows[0]["depots"].split())
        if status == SUPERSEDED:
            raise InvalidTransition(f"plan {plan_id} was superseded by a later commit", state=status)
        if status == DRAFT:
            current = await RoutePlanRecord.select(RoutePlanRecord.id, RoutePlanRecord.depots).where(
                (RoutePlanRecord.kind == kind)
                & (RoutePlanRecord.plan_date == day)
                & (RoutePlanRecord.status == COMMITTED)
            )
            replaced = [row["id"] for row in current if overlaps(set(row["depots"].split()), depots)]
            if replaced:
                await RoutePlanRecord.update({RoutePlanRecord.status: SUPERSEDED}).where(
                    RoutePlanRecord.id.is_in(replaced)
                )
            await RoutePlanRecord.update(
                {
                    RoutePlanRecord.status: COMMITTED,
                    RoutePlanRecord.committed_by: actor,
                    RoutePlanRecord.committed_at: now,
                }
            ).where(RoutePlanRecord.id == plan_id)
            await carry_statuses(plan_id, kind, day)
            await commit_plan_ways(plan_id, replacing=replaced, actor=actor, now=now)
            await notifications.publish(
                notifications.PLAN_COMMITTED,
                {
                    "plan": plan_id,
                    "kind": kind,
                    "date": day,
                    "depots": sorted(depots),
                    "superseded": replaced,
                    "committed_by": actor,
                    "committed_at": now,
                },
                company=None,
                now=now,
            )
    return await get_plan(plan_id, kind=kind)


def overlaps(depots: set[str], others: set[str]) -> bool:
    """Whether two plans of a day cover some depot in common (a plan of no depots named covers all)."""
    return not depots or not others or bool(depots & others)


async def committed_plans(kind: str, day: date, depots: Sequence[str] | None = None) -> list[PlanView]:
    """The committed plans of a kind and date (sharing a depot with ``depots`` when given)."""
    rows = (
        await RoutePlanRecord.select(RoutePlanRecord.id, RoutePlanRecord.depots)
        .where(
            (RoutePlanRecord.kind == kind)
            & (RoutePlanRecord.plan_date == day)
            & (RoutePlanRecord.status == COMMITTED)
        )
        .order_by(RoutePlanRecord.id)
    )
    wanted = set(depots or ())
    return [
        await get_plan(row["id"])
        for row in rows
        if not wanted or not row["depots"] or set(row["depots"].split()) & wanted
    ]


def pins_of(plans: Sequence[PlanView], keys: set[str], vehicles: set[str]) -> dict[str, Pin]:
    """Pins that keep the committed stops still to do on their vehicles, in their committed order.

    A committed visit whose part now needs a pickup gets that pickup pinned right before it.
    """
    order: dict[str, list[str]] = defaultdict(list)
    for plan in plans:
        for route in plan.routes:
            if route.vehicle not in vehicles:
                continue
            for stop in route.stops:
                if stop.key in keys:
                    pickup = f"{stop.key}:pickup"
                    if stop.kind != "pickup" and pickup in keys and pickup not in order[route.vehicle]:
                        order[route.vehicle].append(pickup)
                    if stop.key not in order[route.vehicle]:
                        order[route.vehicle].append(stop.key)
    return {
        key: Pin(vehicle, position) for vehicle, keys_ in order.items() for position, key in enumerate(keys_)
    }


def solver_route(route: RouteView, clock: PlanClock) -> Route:
    """A kept route as the solver's `Route`, its times in seconds of ``clock``."""
    return Route(
        route.vehicle,
        clock.seconds(route.departure),
        tuple(
            Visit(
                s.key,
                clock.seconds(s.eta),
                clock.seconds(s.start_at),
                clock.seconds(s.departure_at),
                s.late_seconds,
            )
            for s in route.stops
        ),
        clock.seconds(route.arrival),
        route.travel_seconds,
        route.distance_metres,
    )


def stop_info(view: StopView) -> StopInfo:
    """What a kept stop is about, as it was when the plan was made."""
    return StopInfo(
        view.kind,
        Place(view.place, Point(view.latitude, view.longitude)),
        view.ticket,
        view.reservation,
        view.inspection,
        view.site_id,
        view.depot,
        view.due_from,
        view.due_by,
    )


def delivered_by_courier(plans: Sequence[PlanView]) -> dict[str, datetime]:
    """Delivery key -> when the courier leaves the site, for every routed stop of committed NBD plans."""
    return {
        stop.key: stop.departure_at
        for plan in plans
        for route in plan.routes
        for stop in route.stops
        if stop.departure_at is not None
    }
