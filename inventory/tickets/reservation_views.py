"""The read side of reservations: one reservation, or all of a ticket's, as records.

``viewer`` confines a customer user to reservations on its own company's tickets (NotFound otherwise).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from inventory.errors import NotFound
from inventory.stock.tables import Depot, Part
from inventory.tickets.records import ReservationRecord
from inventory.tickets.tables import Fulfilment, Reservation, ReservationItem, Ticket

ACTIVE = "active"


async def get_reservation(reservation_id: int, *, viewer: str | None) -> ReservationRecord:
    """One reservation.

    Raises:
        NotFound: no such reservation, or not on one of the viewer's tickets.
    """
    records = await _records([Reservation.id == reservation_id], viewer)
    if not records:
        raise NotFound(f"reservation {reservation_id} not found")
    return records[0]


async def ticket_reservations(ticket_id: int, *, viewer: str | None) -> list[ReservationRecord]:
    """Every reservation of a ticket, oldest first.

    Raises:
        NotFound: no such ticket, or not the viewer's.
    """
    await check_visible(ticket_id, viewer=viewer)
    return await _records([Reservation.ticket == ticket_id], viewer)


async def check_visible(ticket_id: int, *, viewer: str | None) -> None:
    """Make sure the ticket exists and, for a customer user, is its company's.

    Raises:
        NotFound: no such ticket, or not the viewer's.
    """
    query = Ticket.exists().where(Ticket.id == ticket_id)
    if viewer is not None:
        query = query.where(Ticket.customer.code == viewer)
    if not await query:
        raise NotFound(f"ticket {ticket_id} not found")


async def reservations_of_tickets(
    ticket_ids: Sequence[int], *, viewer: str | None
) -> dict[int, list[ReservationRecord]]:
    """The reservations of each of ``ticket_ids`` (a page of tickets), oldest first, in three queries
    whatever the number of tickets; tickets that are not the viewer's have none."""
    grouped: dict[int, list[ReservationRecord]] = {ticket_id: [] for ticket_id in ticket_ids}
    if ticket_ids:
        for record in await _records([Reservation.ticket.is_in(list(ticket_ids))], viewer):
            grouped[record.ticket].append(record)
    return grouped


async def list_reservations(
    *,
    ticket: int | None = None,
    depot: str | None = None,
    part_number: str | None = None,
    status: str | None = None,
    viewer: str | None,
    limit: int,
    offset: int = 0,
) -> list[ReservationRecord]:
    """Reservations, newest first, filtered by ticket, depot, part and status; a customer user sees only
    those on its own company's tickets. A depot or part that does not exist gives an empty page."""
    conditions = []
    if ticket is not None:
        conditions.append(Reservation.ticket == ticket)
    if status is not None:
        conditions.append(Reservation.status == status)
    if depot is not None:
        found = await Depot.select(Depot.id).where(Depot.code == depot).first()
        if found is None:
            return []
        conditions.append(Reservation.depot == found["id"])
    if part_number is not None:
        part = await Part.select(Part.id).where(Part.part_number == part_number).first()
        if part is None:
            return []
        conditions.append(Reservation.part == part["id"])
    return await _records(conditions, viewer, newest_first=True, limit=limit, offset=offset)


async def _records(
    conditions: list,
    viewer: str | None,
    *,
    newest_first: bool = False,
    limit: int | None = None,
    offset: int = 0,
) -> list[ReservationRecord]:
    query = Reservation.select(
        Reservation.id,
        Reservation.ticket,
        Reservation.depot.code.as_alias("depot"),
        Reservation.part.part_number.as_alias("part_number"),
        Reservation.quantity,
        Reservation.status,
        Reservation.estimated_arrival,
        Reservation.expires_at,
        Reservation.created_at,
        Reservation.created_by,
        Reservation.closed_at,
        Reservation.preempted_by,
    ).order_by(Reservation.id, ascending=not newest_first)
    for condition in conditions:
        query = query.where(condition)
    if viewer is not None:
        query = query.where(Reservation.ticket.customer.code == viewer)
    if limit is not None:
        query = query.limit(limit).offset(offset)
    rows = await query
    serials, batches = await _held([row["id"] for row in rows])
    ways = await _committed_ways([row["id"] for row in rows])
    takers = [row["preempted_by"] for row in rows if row["preempted_by"] is not None]
    taker_tickets = {}
    if takers:
        taker_tickets = {
            row["id"]: row["ticket"]
            for row in await Reservation.select(Reservation.id, Reservation.ticket).where(
                Reservation.id.is_in(takers)
            )
        }
    return [
        ReservationRecord(
            **{**row, "estimated_arrival": ways[row["id"]][1]} if row["id"] in ways else row,
            preempted_by_ticket=taker_tickets.get(row["preempted_by"]),
            serials=sorted(serials.get(row["id"], [])),
            batches=batches.get(row["id"], []),
            way=ways[row["id"]][0] if row["id"] in ways else None,
            eta_committed=row["id"] in ways,
        )
        for row in rows
    ]


async def _committed_ways(reservation_ids: list[int]) -> dict[int, tuple[str, datetime]]:
    """``reservation -> (way, committed ETA)`` for those with a committed way to their site
    (`inventory.tickets.fulfilment`): that ETA, not the sourcing estimate, is the one everyone sees."""
    if not reservation_ids:
        return {}
    rows = await Fulfilment.select(Fulfilment.reservation, Fulfilment.way, Fulfilment.eta).where(
        Fulfilment.reservation.is_in(reservation_ids)
    )
    return {row["reservation"]: (row["way"], row["eta"]) for row in rows}


@dataclass(frozen=True, slots=True)
class PickRow:
    """An active reservation to pick at a depot: what, for which ticket, where it goes and by when."""

    id: int
    ticket: int
    part_number: str
    description: str
    quantity: int
    status: str
    estimated_arrival: datetime
    expires_at: datetime
    created_at: datetime
    depot: str
    delivery_service: str
    delivery_due_by: datetime
    severity: str
    customer: str
    site: str
    site_name: str
    site_timezone: str
    serials: list[str] = field(default_factory=list)
    batches: list[tuple[str, int]] = field(default_factory=list)


async def depot_pick_list(
    depot: str | None,
    *,
    ticket: int | None = None,
    part_number: str | None = None,
    limit: int,
    offset: int = 0,
) -> list[PickRow]:
    """The active reservations held at a depot (or, for ``ticket``, held for that ticket anywhere), the
    soonest delivery due first (then the oldest): what the warehouse picks next, for which ticket and
    site; of one part only with ``part_number`` (none when no part has that number).

    Raises:
        NotFound: no such depot.
    """
    condition = Reservation.status == ACTIVE
    if depot is not None:
        found = await Depot.select(Depot.id).where(Depot.code == depot).first()
        if found is None:
            raise NotFound(f"depot {depot} not found")
        condition &= Reservation.depot == found["id"]
    if ticket is not None:
        condition &= Reservation.ticket == ticket
    if part_number is not None:
        part = await Part.select(Part.id).where(Part.part_number == part_number).first()
        if part is None:
            return []
        condition &= Reservation.part == part["id"]
    rows = (
        await Reservation.select(
            Reservation.id,
            Reservation.ticket,
            Reservation.part.part_number.as_alias("part_number"),
            Reservation.part.description.as_alias("description"),
            Reservation.quantity,
            Reservation.status,
            Reservation.estimated_arrival,
            Reservation.expires_at,
            Reservation.created_at,
            Reservation.depot.code.as_alias("depot"),
            Reservation.ticket.delivery_service.as_alias("delivery_service"),
            Reservation.ticket.delivery_due_by.as_alias("delivery_due_by"),
            Reservation.ticket.severity.as_alias("severity"),
            Reservation.ticket.customer.name.as_alias("customer"),
            Reservation.ticket.site.code.as_alias("site"),
            Reservation.ticket.site.name.as_alias("site_name"),
            Reservation.ticket.site.timezone.as_alias("site_timezone"),
        )
        .where(condition)
        .order_by(Reservation.ticket.delivery_due_by)
        .order_by(Reservation.id)
        .limit(limit)
        .offset(offset)
    )
    serials, batches = await _held([row["id"] for row in rows])
    return [
        PickRow(**row, serials=sorted(serials.get(row["id"], [])), batches=batches.get(row["id"], []))
        for row in rows
    ]


async def _held(reservation_ids: list[int]) -> tuple[dict[int, list[str]], dict[int, list[tuple[str, int]]]]:
    """The serials and bulk batches each reservation holds, in one query."""
    items = await ReservationItem.select(
        ReservationItem.reservation,
        ReservationItem.unit.serial.as_alias("serial"),
        ReservationItem.batch_number,
        ReservationItem.quantity,
    ).where(ReservationItem.reservation.is_in(reservation_ids or [0]))
    serials: dict[int, list[str]] = {}
    batches: dict[int, list[tuple[str, int]]] = {}
    for item in items:
        if item["serial"]:
            serials.setdefault(item["reservation"], []).append(item["serial"])
        else:
            batches.setdefault(item["reservation"], []).append((item["batch_number"], item["quantity"]))
    return serials, batches


async def reservation_depot(reservation_id: int) -> str | None:
    """The code of the depot holding a reservation (None: no such reservation)."""
    row = (
        await Reservation.select(Reservation.depot.code.as_alias("depot"))
        .where(Reservation.id == reservation_id)
        .first()
    )
    return None if row is None else row["depot"]
