"""What a plan day holds, read from the database: deliveries due, vans, engineers, visits, inspections.

Each loader returns the plain inputs of `routing.assembly` plus, per stop key, what the stop is about
(`StopInfo`), so that a solved plan can be kept with its tickets, reservations, sites and depots.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from geo.travel import Point
from inventory.calendars import calendar_for
from inventory.stock.catalogue import depot_ids
from inventory.stock.tables import Depot
from inventory.tickets.fulfilment import COLLECTION, ENGINEER, VAN
from inventory.tickets.sla import SupportHours
from inventory.tickets.tables import Fulfilment, Reservation, TicketMilestone
from routing.assembly import DeliveryOrder, Engineer, Inspection, Job, Place, Van
from routing.dispatch_rules import area_of, lateness_weight, skill_for_asset, skill_for_part, works_on
from routing.tables import Engineer as EngineerRow
from routing.tables import Inspection as InspectionRow
from routing.tables import Vehicle

ACTIVE = "active"
BUSINESS = SupportHours.BUSINESS.value
INSPECTION_HOURS = (time(9), time(17))
"""Inspections are visits during the site's office hours."""
DAY_MARGIN = timedelta(hours=14)
"""Widens a date to the instants it may cover in any time zone before filtering by the local date."""


@dataclass(frozen=True, slots=True)
class StopInfo:
    """What a stop of a plan is about (kept with the stop)."""

    kind: str
    place: Place
    ticket: int | None = None
    reservation: int | None = None
    inspection: int | None = None
    site: int | None = None
    depot: str | None = None
    due_from: datetime | None = None
    due_by: datetime | None = None


@dataclass(slots=True)
class DeliveryDay:
    """Next-business-day deliveries of a date: depots on the map, orders, vans, and what each stop is."""

    depots: dict[str, Point]
    orders: list[DeliveryOrder]
    vans: list[Van]
    info: dict[str, StopInfo] = field(default_factory=dict)
    depot_zones: dict[str, ZoneInfo] = field(default_factory=dict)


@dataclass(slots=True)
class DispatchDay:
    """Engineers, ticket visits (with pickups) and inspections of a date.

    ``area``: when the plan is for some depots, the engineers' home depots (by code, where they lie) and
    the codes asked for: only sites in the asked depots' areas are visited (`dispatch_rules.area_of`).
    """

    engineers: list[Engineer]
    jobs: list[Job]
    inspections: list[Inspection]
    info: dict[str, StopInfo] = field(default_factory=dict)
    home_depots: dict[str, str] = field(default_factory=dict)
    area: tuple[dict[str, Point], frozenset[str]] | None = None

    def covers(self, site: Point) -> bool:
        """Whether ``site`` lies in the area of the plan (every site when the plan is for every depot)."""
        if self.area is None:
            return True
        homes, asked = self.area
        return area_of(site, homes) in asked


def delivery_key(ticket: int, depot: str) -> str:
    """Stop key of the delivery of a ticket's parts from a depot."""
    return f"T{ticket}@{depot}"


def visit_key(ticket: int) -> str:
    """Stop key of the site visit for a ticket (its pickup is ``<key>:pickup``)."""
    return f"T{ticket}"


def inspection_key(inspection: int) -> str:
    return f"I{inspection}"


def urgent_key(reservation: int) -> str:
    """Stop key of an urgent delivery of a reservation's part (its pickup is ``<key>:pickup``)."""
    return f"U{reservation}"


def _local(day: date, at: time, zone: str) -> datetime:
    return datetime.combine(day, at, ZoneInfo(zone))


async def _depots(codes: Sequence[str] | None) -> list[dict]:
    query = Depot.select(
        Depot.id, Depot.code, Depot.latitude, Depot.longitude, Depot.timezone, Depot.calendar_region
    )
    if codes:
        await depot_ids(list(codes), field="depots")
        query = query.where(Depot.code.is_in(list(codes)))
    return await query.order_by(Depot.code)


async def _area(codes: Sequence[str] | None) -> tuple[dict[str, Point], frozenset[str]] | None:
    """The engineers' home depots and the codes asked for, or None for a plan of every depot."""
    if not codes:
        return None
    rows = await Depot.select(Depot.code, Depot.latitude, Depot.longitude).where(
        Depot.id.is_in(EngineerRow.select(EngineerRow.home_depot))
    )
    return {row["code"]: Point(row["latitude"], row["longitude"]) for row in rows}, frozenset(codes)


async def delivery_day(
    day: date, depots: Sequence[str] | None, *, service: timedelta, now: datetime
) -> DeliveryDay:
    """Active reservations of open NBD tickets whose delivery is due on ``day`` (site time), per depot,
    but those that already reach their site another way (an engineer collects them, or the customer).

    The parts of one ticket reserved at one depot make one order: one stop, their weight and volume
    summed. Vans are the active vehicles of the depots, with what is left of their shift on ``day``
    (depot time) after ``now``.

    Raises:
        InvalidRequest: an unknown depot code.
    """
    depot_rows = await _depots(depots)
    result = DeliveryDay(
        {row["code"]: Point(row["latitude"], row["longitude"]) for row in depot_rows},
        [],
        [],
        depot_zones={row["code"]: ZoneInfo(row["timezone"]) for row in depot_rows},
    )
    if not depot_rows:
        return result
    start = datetime.combine(day, time(0), ZoneInfo("UTC"))
    rows = (
        await Reservation.select(
            Reservation.id,
            Reservation.quantity,
            Reservation.ticket.id.as_alias("ticket"),
            Reservation.depot.code.as_alias("depot"),
            Reservation.part.weight_kg.as_alias("weight_kg"),
            Reservation.part.volume_l.as_alias("volume_l"),
            Reservation.ticket.delivery_due_from.as_alias("due_from"),
            Reservation.ticket.delivery_due_by.as_alias("due_by"),
            Reservation.ticket.site.id.as_alias("site"),
            Reservation.ticket.site.code.as_alias("site_code"),
            Reservation.ticket.site.latitude.as_alias("latitude"),
            Reservation.ticket.site.longitude.as_alias("longitude"),
            Reservation.ticket.site.timezone.as_alias("timezone"),
        )
        .where(
            (Reservation.status == ACTIVE)
            & (Reservation.ticket.status == "open")
            & (Reservation.ticket.delivery_service == "nbd")
            & (Reservation.depot.code.is_in(list(result.depots)))
            & (Reservation.ticket.delivery_due_by >= start - DAY_MARGIN)
            & (Reservation.ticket.delivery_due_by < start + timedelta(days=1) + DAY_MARGIN)
            & Reservation.id.not_in(_come_otherwise(ENGINEER, COLLECTION))
        )
        .order_by(Reservation.id)
    )
    grouped: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        if row["due_by"].astimezone(ZoneInfo(row["timezone"])).date() == day:
            grouped[delivery_key(row["ticket"], row["depot"])].append(row)
    for key, group in grouped.items():
        first = group[0]
        site = Place(first["site_code"], Point(first["latitude"], first["longitude"]))
        result.orders.append(
            DeliveryOrder(
                key,
                first["depot"],
                site,
                first["due_from"],
                first["due_by"],
                service,
                sum(row["weight_kg"] * row["quantity"] for row in group),
                sum(row["volume_l"] * row["quantity"] for row in group),
            )
        )
        result.info[key] = StopInfo(
            "delivery",
            site,
            first["ticket"],
            first["id"],
            site=first["site"],
            depot=first["depot"],
            due_from=first["due_from"],
            due_by=first["due_by"],
        )
    result.vans = await vans_of(day, list(result.depots), result.depot_zones, now=now)
    return result


async def vans_of(
    day: date, depots: Sequence[str], zones: Mapping[str, ZoneInfo], *, now: datetime
) -> list[Van]:
    """Active vans of ``depots`` with what is left after ``now`` of their shift on ``day`` (depot time)."""
    rows = await Vehicle.select(
        Vehicle.code,
        Vehicle.depot.code.as_alias("depot"),
        Vehicle.capacity_kg,
        Vehicle.capacity_l,
        Vehicle.shift_start,
        Vehicle.shift_end,
    ).where((Vehicle.active == True) & Vehicle.depot.code.is_in(list(depots) or [""]))  # noqa: E712
    vans = []
    for row in sorted(rows, key=lambda row: row["code"]):
        shift = _shift_left(day, row["shift_start"], row["shift_end"], zones[row["depot"]], now)
        if shift is not None:
            vans.append(Van(row["code"], row["depot"], row["capacity_kg"], row["capacity_l"], *shift))
    return vans


def _shift_left(
    day: date, start: time, end: time, zone: ZoneInfo, now: datetime
) -> tuple[datetime, datetime] | None:
    """The shift on ``day`` in ``zone`` from ``now`` on, or ``None`` when it is over."""
    begins, ends = datetime.combine(day, start, zone), datetime.combine(day, end, zone)
    begins = max(begins, now)
    return (begins, ends) if begins < ends else None


async def dispatch_day(
    day: date,
    depots: Sequence[str] | None,
    *,
    visit_service: timedelta,
    hard_tiers: frozenset[str],
    inspection_prize: int,
    delivered: Mapping[str, datetime],
    now: datetime,
) -> DispatchDay:
    """Engineers of the depots, open tickets still waiting for an engineer on site, due inspections.

    For some depots, only the tickets and inspections of sites in their areas (nearest to them among the
    engineers' home depots); for every depot, all of them.

    A ticket with an active reservation gets a pickup at the reservation's depot first, unless a
    committed delivery plan brings the part (``delivered``: delivery key -> planned departure from the
    site, or a committed van or collection way with its ETA); then the visit may not begin before the
    part arrives. Engineers work what is left of their shift after ``now``, on their working days
    (`dispatch_rules.works_on`: the home depot's calendar unless their shift names weekdays). A visit to a
    business-hours customer begins and ends within the site's business hours on ``day``, or is ``closed``
    (none left that day, or a day off there); so are inspections there on a day off.

    Raises:
        InvalidRequest: an unknown depot code.
    """
    depot_rows = await _depots(depots)
    homes = {row["id"]: row for row in depot_rows}
    result = DispatchDay([], [], [])
    result.area = await _area(depots)
    for row in (
        await EngineerRow.select(
            EngineerRow.code,
            EngineerRow.home_depot.id.as_alias("depot_id"),
            EngineerRow.skills,
            EngineerRow.shift_start,
            EngineerRow.shift_end,
            EngineerRow.max_working_minutes,
            EngineerRow.working_days,
        )
        .where(
            (EngineerRow.active == True)  # noqa: E712
            & EngineerRow.home_depot.id.is_in(list(homes) or [0])
        )
        .order_by(EngineerRow.code)
    ):
        home = homes[row["depot_id"]]
        place = Place(home["code"], Point(home["latitude"], home["longitude"]))
        calendar = calendar_for(home["calendar_region"], home["timezone"])
        if not works_on(day, row["working_days"], calendar.is_working_day(day)):
            continue
        shift = _shift_left(day, row["shift_start"], row["shift_end"], ZoneInfo(home["timezone"]), now)
        if shift is None:
            continue
        result.engineers.append(
            Engineer(
                row["code"],
                place,
                frozenset(row["skills"].split()),
                *shift,
                timedelta(minutes=row["max_working_minutes"]),
            )
        )
        result.home_depots[row["code"]] = home["code"]
    day_end = datetime.combine(day + timedelta(days=1), time(0), ZoneInfo("UTC")) + DAY_MARGIN
    await _jobs(result, day, day_end, visit_service, hard_tiers, delivered)
    await _inspections(result, day, inspection_prize)
    return result


async def _jobs(
    result: DispatchDay,
    day: date,
    day_end: datetime,
    service: timedelta,
    hard_tiers: frozenset[str],
    delivered: Mapping[str, datetime],
) -> None:
    tickets = (
        await TicketMilestone.select(
            TicketMilestone.ticket.id.as_alias("id"),
            TicketMilestone.due_at,
            TicketMilestone.ticket.reported_at.as_alias("reported_at"),
            TicketMilestone.ticket.severity.as_alias("severity"),
            TicketMilestone.ticket.support_hours.as_alias("support_hours"),
            TicketMilestone.ticket.customer.tier.as_alias("tier"),
            TicketMilestone.ticket.asset.model.as_alias("model"),
            TicketMilestone.ticket.site.id.as_alias("site"),
            TicketMilestone.ticket.site.code.as_alias("site_code"),
            TicketMilestone.ticket.site.latitude.as_alias("latitude"),
            TicketMilestone.ticket.site.longitude.as_alias("longitude"),
            TicketMilestone.ticket.site.timezone.as_alias("timezone"),
            TicketMilestone.ticket.site.calendar_region.as_alias("calendar_region"),
        )
        .where(
            (TicketMilestone.milestone == "on_site")
            & TicketMilestone.state.is_in(["running", "breached"])
            & (TicketMilestone.ticket.status == "open")
            & TicketMilestone.ticket.restored_at.is_null()
            & (TicketMilestone.ticket.reported_at < day_end)
        )
        .order_by(TicketMilestone.ticket.id)
    )
    if not tickets:
        return
    holds: dict[int, dict] = {}
    for row in (
        await Reservation.select(
            Reservation.id,
            Reservation.ticket.id.as_alias("ticket"),
            Reservation.part.category.as_alias("category"),
            Reservation.depot.code.as_alias("depot"),
            Reservation.depot.latitude.as_alias("latitude"),
            Reservation.depot.longitude.as_alias("longitude"),
        )
        .where((Reservation.status == ACTIVE) & Reservation.ticket.id.is_in([row["id"] for row in tickets]))
        .order_by(Reservation.id)
    ):
        holds.setdefault(row["ticket"], row)
    arriving = {
        row["reservation"]: row["eta"]
        for row in await Fulfilment.select(Fulfilment.reservation, Fulfilment.eta).where(
            Fulfilment.reservation.is_in([hold["id"] for hold in holds.values()] or [0])
            & Fulfilment.way.is_in([VAN, COLLECTION])
        )
    }
    for row in tickets:
        key = visit_key(row["id"])
        site = Place(row["site_code"], Point(row["latitude"], row["longitude"]))
        if not result.covers(site.point):
            continue
        hold = holds.get(row["id"])
        skill = skill_for_part(hold["category"]) if hold else skill_for_asset(row["model"])
        earliest, pickup = row["reported_at"], None
        if hold is not None:
            arrival = delivered.get(delivery_key(row["id"], hold["depot"])) or arriving.get(hold["id"])
            if arrival is not None:
                earliest = max(earliest, arrival)
            else:
                pickup = Place(hold["depot"], Point(hold["latitude"], hold["longitude"]))
                result.info[f"{key}:pickup"] = StopInfo(
                    "pickup", pickup, row["id"], hold["id"], depot=hold["depot"]
                )
        latest, closed = None, False
        if row["support_hours"] == BUSINESS:
            hours = _business_hours(row, day)
            if hours is None:
                closed = True
            else:
                earliest, latest = max(earliest, hours[0]), hours[1] - service
                closed = earliest > latest
        hard = row["tier"] in hard_tiers and row["due_at"] > earliest
        result.jobs.append(
            Job(
                key,
                site,
                earliest,
                row["due_at"],
                hard,
                lateness_weight(row["severity"], row["tier"]),
                frozenset({skill}),
                service,
                pickup_depot=pickup,
                latest_start=None if closed else latest,
                closed=closed,
            )
        )
        result.info[key] = StopInfo(
            "visit",
            site,
            row["id"],
            hold["id"] if hold else None,
            site=row["site"],
            due_from=earliest,
            due_by=row["due_at"],
        )


def _working_day(row: dict, day: date) -> bool:
    """Whether ``day`` is a working day at the site of ``row`` (its calendar region and time zone)."""
    return calendar_for(row["calendar_region"], row["timezone"]).is_working_day(day)


def _business_hours(row: dict, day: date) -> tuple[datetime, datetime] | None:
    """Opening and closing of the site of ``row`` (its calendar region and time zone) on ``day``, or
    None when ``day`` is not a working day there."""
    if not _working_day(row, day):
        return None
    calendar = calendar_for(row["calendar_region"], row["timezone"])
    return calendar.opening_on(day), calendar.closing_on(day)


async def _inspections(result: DispatchDay, day: date, prize: int) -> None:
    rows = (
        await InspectionRow.select(
            InspectionRow.id,
            InspectionRow.skill,
            InspectionRow.duration_minutes,
            InspectionRow.asset.site.id.as_alias("site"),
            InspectionRow.asset.site.code.as_alias("site_code"),
            InspectionRow.asset.site.latitude.as_alias("latitude"),
            InspectionRow.asset.site.longitude.as_alias("longitude"),
            InspectionRow.asset.site.timezone.as_alias("timezone"),
            InspectionRow.asset.site.calendar_region.as_alias("calendar_region"),
            InspectionRow.asset.customer.support_hours.as_alias("support_hours"),
        )
        .where((InspectionRow.status == "planned") & (InspectionRow.due_on <= day))
        .order_by(InspectionRow.id)
    )
    for row in rows:
        key = inspection_key(row["id"])
        site = Place(row["site_code"], Point(row["latitude"], row["longitude"]))
        if not result.covers(site.point):
            continue
        opens, closes = (_local(day, at, row["timezone"]) for at in INSPECTION_HOURS)
        result.inspections.append(
            Inspection(
                key,
                site,
                frozenset({row["skill"]}),
                timedelta(minutes=row["duration_minutes"]),
                opens,
                closes,
                prize,
                closed=row["support_hours"] == BUSINESS and not _working_day(row, day),
            )
        )
        result.info[key] = StopInfo(
            "inspection", site, inspection=row["id"], site=row["site"], due_from=opens, due_by=closes
        )


def _come_otherwise(*ways: str):
    """The reservations whose part reaches its site by one of ``ways`` (a sub-query)."""
    return Fulfilment.select(Fulfilment.reservation).where(
        Fulfilment.way.is_in(list(ways)) & Fulfilment.reservation.is_not_null()
    )


async def still_held(reservations: Sequence[int]) -> set[int]:
    """Those of ``reservations`` that still hold their stock."""
    if not reservations:
        return set()
    rows = await Reservation.select(Reservation.id).where(
        Reservation.id.is_in(list(reservations)) & (Reservation.status == ACTIVE)
    )
    return {row["id"] for row in rows}
