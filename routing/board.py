"""What the dispatch board reads of a day's plans, one depot at a time.

A national plan day holds hundreds of depots; the board shows one. Each read here is a few indexed
queries whose size is the depot's, never the whole day's:

* `day_plans`: which plan of a kind and date to show for a depot (the latest one still standing, draft
  or committed) and which one is committed;
* `depot_plan`: that plan's routes from the depot with their stops, and a page of its unassigned stops,
  each with what the board says about it (site name and time zone, part number, customer);
* `busiest_depot`: where most parts are held for tickets, the board's depot when none is chosen, and
  `next_delivery_due`: when its next delivery is due, the board's day;
* `stops_by_id`: some stops of a plan with what the board says about them (a move's, a stop event's);
* `committed_keys`: the stops a committed plan routes from the depot (pinned in later plans);
* `urgent_subject`: the reservation an urgent check is about, with its ticket's site and due time;
  `urgent_stops`: where a plan carries that urgent delivery.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime

from geo.travel import Point
from inventory.errors import NotFound
from inventory.stock.tables import Depot
from inventory.tickets.tables import Reservation
from routing.plan_inputs import urgent_key
from routing.plan_store import (
    COMMITTED,
    DISPATCH,
    DRAFT,
    PlanView,
    StopView,
    plan_view,
    stop_view,
)
from routing.tables import PlanRoute, PlanStop, RoutePlanRecord


@dataclass(frozen=True, slots=True)
class DayPlans:
    """The plans of a kind and date that include a depot: the one to show (the latest not superseded,
    draft or committed) and the committed one (None when there is none)."""

    shown: int | None
    committed: int | None


@dataclass(frozen=True, slots=True)
class StopDetails:
    """What the board says about a stop besides the plan: the site's name, the time zone of the place
    (the site's; the depot's for a pickup), the part reserved for it and the ticket's customer."""

    site_name: str | None
    zone: str
    part_number: str | None
    customer: str | None


@dataclass(frozen=True, slots=True)
class DepotPlan:
    """A plan as one depot's board shows it.

    Attributes:
        plan: the plan with only the routes starting from the depot, and one page of its unassigned
            stops (pickups left out: their visit or delivery stands for them).
        unassigned_total: how many unassigned stops there are in all (``plan.unassigned`` is a page).
        details: what each stop shown is about, by stop key.
    """

    plan: PlanView
    unassigned_total: int
    details: dict[str, StopDetails]


@dataclass(frozen=True, slots=True)
class UrgentStops:
    """Where a plan carries an urgent delivery: the van, its depot, the pickup of the part and the
    delivery (both routed), and whether the van runs for it alone (a dedicated run)."""

    vehicle: str
    depot: str
    pickup: StopView
    delivery: StopView
    dedicated: bool


@dataclass(frozen=True, slots=True)
class UrgentSubject:
    """A reservation that an urgent check is about, and where and by when its part must arrive."""

    reservation: int
    status: str
    ticket: int
    part_number: str
    quantity: int
    depot: str
    depot_zone: str
    site: str
    site_name: str
    site_zone: str
    delivery_service: str
    due_by: datetime


_DAY_PLANS = (
    "SELECT MAX(id) AS shown, MAX(CASE WHEN status = {} THEN id END) AS committed FROM route_plan"
    " WHERE kind = {} AND plan_date = {} AND status IN ({}, {})"
    " AND (depots = '' OR (' ' || depots || ' ') LIKE {} ESCAPE '\\')"
)
"""The latest plan of a kind and date not superseded, and the latest committed one, whose depots
(space-separated; none: every depot) include the depot whose LIKE pattern is given."""


def _among_depots(depot: str) -> str:
    """The LIKE pattern of ``depot`` as one of a space-separated list (padded with spaces)."""
    escaped = "".join("\\" + c if c in "%_\\" else c for c in depot)
    return f"% {escaped} %"


async def day_plans(kind: str, day: date, depot: str) -> DayPlans:
    """The plan to show on ``depot``'s board for ``kind`` and ``day``, and the committed one."""
    rows = await RoutePlanRecord.raw(_DAY_PLANS, COMMITTED, kind, day, DRAFT, COMMITTED, _among_depots(depot))
    return DayPlans(rows[0]["shown"], rows[0]["committed"])


_STOP_COLUMNS = (
    *PlanStop.all_columns(),
    PlanStop.site.code.as_alias("site_code"),
    PlanStop.site.name.as_alias("site_name"),
    PlanStop.site.timezone.as_alias("site_zone"),
    PlanStop.reservation.part.part_number.as_alias("part_number"),
    PlanStop.ticket.customer.code.as_alias("customer"),
)


async def depot_plan(
    plan_id: int, *, kind: str, depot: str, unassigned_limit: int, unassigned_offset: int = 0
) -> DepotPlan:
    """Plan ``plan_id`` (of ``kind``) as ``depot``'s board shows it.

    Unassigned delivery stops are those of the depot; a dispatch plan's unassigned visits belong to no
    depot (any engineer might have made them), so every one of them is listed, soonest due first.

    Raises:
        NotFound: no plan of that kind.
    """
    plan = (
        await RoutePlanRecord.select()
        .where((RoutePlanRecord.id == plan_id) & (RoutePlanRecord.kind == kind))
        .first()
    )
    if plan is None:
        raise NotFound(f"plan {plan_id} not found", field="plan")
    routes = (
        await PlanRoute.select()
        .where((PlanRoute.plan == plan_id) & (PlanRoute.depot == depot))
        .order_by(PlanRoute.vehicle)
    )
    routed: list[dict] = []
    if routes:
        routed = await PlanStop.select(*_STOP_COLUMNS).where(
            (PlanStop.plan == plan_id) & PlanStop.route.is_in([route["id"] for route in routes])
        )
    waiting = (PlanStop.plan == plan_id) & PlanStop.route.is_null() & (PlanStop.kind != "pickup")
    if kind != DISPATCH:
        waiting &= PlanStop.depot == depot
    unassigned = (
        await PlanStop.select(*_STOP_COLUMNS)
        .where(waiting)
        .order_by(PlanStop.due_by)
        .order_by(PlanStop.id)
        .limit(unassigned_limit)
        .offset(unassigned_offset)
    )
    total = unassigned_offset + len(unassigned)
    if len(unassigned) == unassigned_limit or (unassigned_offset and not unassigned):
        total = await PlanStop.count().where(waiting)
    places = await _depots({row["depot"] for row in routed + unassigned if row["depot"]} | {depot})
    zones = {code: zone for code, (zone, _point) in places.items()}
    by_route: dict[int | None, list[dict]] = {None: unassigned}
    for row in routed:
        by_route.setdefault(row["route"], []).append(row)
    view = plan_view(plan, routes, by_route, {code: point for code, (_zone, point) in places.items()})
    details = {
        row["stop_key"]: StopDetails(
            row["site_name"],
            row["site_zone"] or zones.get(row["depot"] or depot, zones.get(depot, "UTC")),
            row["part_number"],
            row["customer"],
        )
        for row in routed + unassigned
    }
    return DepotPlan(view, total, details)


async def stops_by_id(plan_id: int, ids: Collection[int]) -> dict[int, tuple[StopView, StopDetails]]:
    """Stops ``ids`` of plan ``plan_id``, each with what the board says about it (those a move changes,
    the one a stop event is about); ids not in the plan are left out."""
    rows = await PlanStop.select(*_STOP_COLUMNS).where(
        (PlanStop.plan == plan_id) & PlanStop.id.is_in(sorted(ids) or [0])
    )
    zones = {
        code: zone
        for code, (zone, _point) in (await _depots({r["depot"] for r in rows if r["depot"]})).items()
    }
    return {
        row["id"]: (
            stop_view(row),
            StopDetails(
                row["site_name"],
                row["site_zone"] or zones.get(row["depot"], "UTC"),
                row["part_number"],
                row["customer"],
            ),
        )
        for row in rows
    }


async def committed_keys(plan_id: int, depot: str) -> frozenset[str]:
    """The keys of the stops that plan ``plan_id`` routes from ``depot`` (those of the committed plan
    are pinned in every later plan of the day)."""
    rows = await PlanStop.select(PlanStop.stop_key).where(
        (PlanStop.plan == plan_id) & (PlanStop.route.depot == depot)
    )
    return frozenset(row["stop_key"] for row in rows)


async def urgent_stops(plan_id: int, reservation: int) -> UrgentStops | None:
    """Where plan ``plan_id`` carries the urgent delivery of ``reservation``; None if it does not."""
    key = urgent_key(reservation)
    rows = await PlanStop.select(
        *_STOP_COLUMNS,
        PlanStop.route.vehicle.as_alias("vehicle"),
        PlanStop.route.depot.as_alias("route_depot"),
    ).where(
        (PlanStop.plan == plan_id)
        & PlanStop.stop_key.is_in([key, f"{key}:pickup"])
        & PlanStop.route.is_not_null()
    )
    found = {row["stop_key"]: row for row in rows}
    if len(found) != 2:
        return None
    delivery = found[key]
    on_route = await PlanStop.count().where(PlanStop.route == delivery["route"])
    return UrgentStops(
        delivery["vehicle"],
        delivery["route_depot"],
        stop_view(found[f"{key}:pickup"]),
        stop_view(delivery),
        dedicated=on_route == len(found),
    )


async def _depots(codes: set[str]) -> dict[str, tuple[str, Point]]:
    """The time zone and the place of each of the depots ``codes``."""
    rows = await Depot.select(Depot.code, Depot.timezone, Depot.latitude, Depot.longitude).where(
        Depot.code.is_in(sorted(codes) or [""])
    )
    return {row["code"]: (row["timezone"], Point(row["latitude"], row["longitude"])) for row in rows}


async def busiest_depot() -> str | None:
    """The depot holding the most active reservations (where the day's work is), else the first depot
    by code; None when there are no depots."""
    rows = await Depot.raw(
        "SELECT depot.code AS code FROM reservation JOIN depot ON depot.id = reservation.depot"
        " WHERE reservation.status = 'active' GROUP BY depot.code ORDER BY COUNT(*) DESC, depot.code LIMIT 1"
    )
    if rows:
        return rows[0]["code"]
    first = await Depot.select(Depot.code).order_by(Depot.code).first()
    return None if first is None else first["code"]


async def next_delivery_due(depot: str, since: datetime) -> datetime | None:
    """When the soonest next-business-day delivery from ``depot`` still waiting (an active reservation
    of an open NBD ticket) is due, at ``since`` or later; None when there is none."""
    row = (
        await Reservation.select(Reservation.ticket.delivery_due_by.as_alias("due_by"))
        .where(
            (Reservation.status == "active")
            & (Reservation.depot.code == depot)
            & (Reservation.ticket.status == "open")
            & (Reservation.ticket.delivery_service == "nbd")
            & (Reservation.ticket.delivery_due_by >= since)
        )
        .order_by(Reservation.ticket.delivery_due_by)
        .first()
    )
    return None if row is None else row["due_by"]


async def urgent_subject(reservation_id: int) -> UrgentSubject:
    """The reservation an urgent check is about.

    Raises:
        NotFound: no such reservation.
    """
    row = (
        await Reservation.select(
            Reservation.id.as_alias("reservation"),
            Reservation.status,
            Reservation.ticket.id.as_alias("ticket"),
            Reservation.part.part_number.as_alias("part_number"),
            Reservation.quantity,
            Reservation.depot.code.as_alias("depot"),
            Reservation.depot.timezone.as_alias("depot_zone"),
            Reservation.ticket.site.code.as_alias("site"),
            Reservation.ticket.site.name.as_alias("site_name"),
            Reservation.ticket.site.timezone.as_alias("site_zone"),
            Reservation.ticket.delivery_service.as_alias("delivery_service"),
            Reservation.ticket.delivery_due_by.as_alias("due_by"),
        )
        .where(Reservation.id == reservation_id)
        .first()
    )
    if row is None:
        raise NotFound(f"reservation {reservation_id} not found", field="urgent")
    return UrgentSubject(**row)


__all__ = [
    "DayPlans",
    "DepotPlan",
    "StopDetails",
    "UrgentStops",
    "UrgentSubject",
    "busiest_depot",
    "committed_keys",
    "day_plans",
    "depot_plan",
    "next_delivery_due",
    "stops_by_id",
    "urgent_stops",
    "urgent_subject",
]
