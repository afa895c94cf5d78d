"""The read side of reservations: one reservation, or all of a ticket's, as records.

``viewer`` confines a customer user to reservations on its own company's tickets (NotFound otherwise).
"""

from __future__ import annotations

from collections.abc import Sequence

from inventory.errors import NotFound
from inventory.tickets.records import ReservationRecord
from inventory.tickets.tables import Reservation, ReservationItem, Ticket


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


async def _records(conditions: list, viewer: str | None) -> list[ReservationRecord]:
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
    ).order_by(Reservation.id)
    for condition in conditions:
        query = query.where(condition)
    if viewer is not None:
        query = query.where(Reservation.ticket.customer.code == viewer)
    rows = await query
    items = await ReservationItem.select(
        ReservationItem.reservation,
        ReservationItem.unit.serial.as_alias("serial"),
        ReservationItem.batch_number,
        ReservationItem.quantity,
    ).where(ReservationItem.reservation.is_in([row["id"] for row in rows] or [0]))
    serials: dict[int, list[str]] = {}
    batches: dict[int, list[tuple[str, int]]] = {}
    for item in items:
        if item["serial"]:
            serials.setdefault(item["reservation"], []).append(item["serial"])
        else:
            batches.setdefault(item["reservation"], []).append((item["batch_number"], item["quantity"]))
    takers = [row["preempted_by"] for row in rows if row["preempted_by"] is not None]
    taker_tickets = {
        row["id"]: row["ticket"]
        for row in await Reservation.select(Reservation.id, Reservation.ticket).where(
            Reservation.id.is_in(takers or [0])
        )
    }
    return [
        ReservationRecord(
            **row,
            preempted_by_ticket=taker_tickets.get(row["preempted_by"]),
            serials=sorted(serials.get(row["id"], [])),
            batches=batches.get(row["id"], []),
        )
        for row in rows
    ]
