"""How a ticket is getting on, as its customer follows it: the ticket with its site (whose time zone its
times are shown in), the parts reserved for it with their names and depots, its next milestone and when
the part should arrive; and, before a customer asks for a replacement part, what the entitlement check
says (`inventory.tickets.entitlement`, the rules `reserve` applies).

``viewer`` confines every read to one customer company (NotFound, or nothing, for another's tickets).
Each read takes a fixed number of queries whatever the size of its page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from piccolo.columns import Column

from inventory.customers.records import SiteRecord
from inventory.customers.service import sites_by_code
from inventory.errors import NotFound
from inventory.stock.tables import Depot, Part
from inventory.tickets.coverage import asset_coverage
from inventory.tickets.entitlement import Entitlement, replacement_entitlement
from inventory.tickets.priority import Severity, Tier
from inventory.tickets.records import ClockRecord, DeliveryRecord, ReservationRecord, TicketRecord
from inventory.tickets.reservation_views import reservations_of_tickets
from inventory.tickets.service import get_ticket, list_tickets
from inventory.tickets.sla import ClockState, Milestone
from inventory.tickets.tables import Ticket

UNDERWAY = frozenset({"active", "issued"})
"""Reservations whose part is on its way: held at the depot for the ticket, or handed out."""


@dataclass(frozen=True, slots=True)
class Shipment:
    """A reservation of the ticket, with the part's name and the depot's."""

    reservation: ReservationRecord
    part_name: str
    depot_name: str

    @property
    def underway(self) -> bool:
        return self.reservation.status in UNDERWAY


@dataclass(frozen=True, slots=True)
class MilestoneProgress:
    """Where one milestone of a ticket stands: ``met`` (on time) or ``met_late`` at ``at``; ``overdue``
    or ``pending``, due at ``at``; ``paused`` (waiting for the customer; no due time while paused)."""

    milestone: Milestone
    status: str
    at: datetime | None


@dataclass(frozen=True, slots=True)
class TicketProgress:
    """A ticket as its customer follows it."""

    ticket: TicketRecord
    site: SiteRecord
    shipments: tuple[Shipment, ...]

    @property
    def next_milestone(self) -> tuple[str, ClockRecord] | None:
        """The milestone still counting that falls due first (overdue ones included; paused ones not),
        as `inventory.tickets.sla.next_due` chooses it."""
        counting = [
            (name, clock)
            for name, clock in self.ticket.sla.items()
            if clock.met_at is None and clock.state != ClockState.PAUSED
        ]
        return min(counting, key=lambda item: item[1].due_at, default=None)

    @property
    def milestones(self) -> list[MilestoneProgress]:
        """The ticket's milestones in their order (response, on site, restore, replacement)."""
        rows = []
        for milestone in Milestone:
            clock = self.ticket.sla.get(milestone.value)
            if clock is None:
                continue
            if clock.met_at is not None:
                status = "met" if clock.state == ClockState.MET else "met_late"
                rows.append(MilestoneProgress(milestone, status, clock.met_at))
            elif clock.state == ClockState.PAUSED:
                rows.append(MilestoneProgress(milestone, "paused", None))
            else:
                status = "overdue" if clock.state == ClockState.BREACHED else "pending"
                rows.append(MilestoneProgress(milestone, status, clock.due_at))
        return rows

    @property
    def eta(self) -> datetime | None:
        """When the last part on its way should arrive; None while no part is."""
        return max(
            (shipment.reservation.estimated_arrival for shipment in self.shipments if shipment.underway),
            default=None,
        )


@dataclass(frozen=True, slots=True)
class ReplacementTerms:
    """What the entitlement check says about a replacement part for one ticket, and its delivery promise."""

    ticket: int
    severity: Severity
    delivery: DeliveryRecord
    entitlement: Entitlement


async def list_progress(
    *, viewer: str | None, status: str | None, asset: str | None, limit: int, offset: int, now: datetime
) -> list[TicketProgress]:
    """A page of tickets (`inventory.tickets.service.list_tickets`, nearest due milestone first), each
    with its site and parts."""
    tickets = await list_tickets(
        viewer=viewer,
        customer=None,
        breached=None,
        status=status,
        order="due",
        limit=limit,
        offset=offset,
        now=now,
        asset=asset,
    )
    return await _progress(tickets, viewer)


async def get_progress(ticket_id: int, *, viewer: str | None, now: datetime) -> TicketProgress:
    """One ticket with its site and parts.

    Raises:
        NotFound: no such ticket, or not the viewer's company's.
    """
    (progress,) = await _progress([await get_ticket(ticket_id, viewer=viewer, now=now)], viewer)
    return progress


async def replacement_terms(ticket_id: int, *, viewer: str | None, now: datetime) -> ReplacementTerms:
    """The entitlement check for a replacement part on the ticket, as `reserve` makes it for a customer.

    Raises:
        NotFound: no such ticket, or not the viewer's company's.
    """
    query = Ticket.select(
        Ticket.status,
        Ticket.severity,
        Ticket.asset,
        Ticket.customer.tier.as_alias("tier"),
        Ticket.delivery_service,
        Ticket.delivery_due_from,
        Ticket.delivery_due_by,
    ).where(Ticket.id == ticket_id)
    if viewer is not None:
        query = query.where(Ticket.customer.code == viewer)
    row = await query.first()
    if row is None:
        raise NotFound(f"ticket {ticket_id} not found")
    coverage = None if row["asset"] is None else await asset_coverage(row["asset"], now)
    severity = Severity(row["severity"])
    return ReplacementTerms(
        ticket=ticket_id,
        severity=severity,
        delivery=DeliveryRecord(row["delivery_service"], row["delivery_due_from"], row["delivery_due_by"]),
        entitlement=replacement_entitlement(
            Tier(row["tier"]), severity, coverage, ticket_open=row["status"] == "open"
        ),
    )


async def _progress(tickets: Sequence[TicketRecord], viewer: str | None) -> list[TicketProgress]:
    sites = await sites_by_code((ticket.customer, ticket.site) for ticket in tickets)
    reservations = await reservations_of_tickets([ticket.id for ticket in tickets], viewer=viewer)
    held = [record for records in reservations.values() for record in records]
    part_names = await _names(Part.part_number, Part.description, {r.part_number for r in held})
    depot_names = await _names(Depot.code, Depot.name, {r.depot for r in held})
    return [
        TicketProgress(
            ticket,
            sites[(ticket.customer, ticket.site)],
            tuple(
                Shipment(record, part_names.get(record.part_number, ""), depot_names.get(record.depot, ""))
                for record in reservations[ticket.id]
            ),
        )
        for ticket in tickets
    ]


async def _names(key: Column, name: Column, codes: set[str]) -> dict[str, str]:
    """``code -> name`` of the rows whose ``key`` column is one of ``codes``."""
    if not codes:
        return {}
    table = key._meta.table
    rows = await table.select(key.as_alias("code"), name.as_alias("name")).where(key.is_in(sorted(codes)))
    return {row["code"]: row["name"] for row in rows}
