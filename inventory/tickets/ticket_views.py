"""The read side the dispatcher's screens need beyond the API's: the SLA queue (open tickets, the next
deadline first, filtered in SQL) and a ticket's whole file (its customer, site, clocks and events).

The queue reads ``ticket.next_due_at``, the earliest due time of the milestones still counting, which the
services keep in the same transaction as the clocks (`inventory.tickets.service`), through the partial
indexes of the tickets migration "SLA queue indexes": the order ``next_due_at IS NULL, next_due_at, id``
over open tickets is an index walk, alone or after an equality on the customer or the site, so a page
costs the same with 10,000 open tickets as with 10. Ordering by the due instant is ordering by the time
left on the wall clock; a business-hours ticket shows its time left in business time, but breaches at
that same instant.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from piccolo.columns.combination import WhereRaw
from piccolo.query import OrderByRaw, Select

from inventory.customers.records import CustomerRecord, SiteRecord
from inventory.customers.tables import Customer, Site
from inventory.customers.warranty import add_years
from inventory.errors import NotFound
from inventory.stock.tables import Depot
from inventory.tickets.coverage import CoveredAsset, get_covered_asset
from inventory.tickets.records import TicketEventRecord, TicketRecord
from inventory.tickets.service import TICKET_COLUMNS, _as_clocks, _clock_rows, _events_of, ticket_record
from inventory.tickets.sla import Milestone, MilestoneClock
from inventory.tickets.tables import Reservation, Ticket

QUEUE_ORDER = "ticket.next_due_at IS NULL, ticket.next_due_at, ticket.id"
"""The queue's order: the index expression of the "SLA queue indexes" migration, written the same way."""
OPEN_TICKETS = "ticket.status = 'open'"
"""The queue's tickets, written into the statement rather than sent as a value: the queue's indexes are
partial (open tickets only), and PostgreSQL's generic plan of a statement, the one the service's
connections use (`inventory.persistence.postgres_engine`), may use them only for a condition it can see."""
HOLDING = ("active", "issued")
"""Reservation states that tie a ticket to a depot: parts held there for it, or issued from there."""


@dataclass(frozen=True, slots=True)
class QueueFilters:
    """What the queue shows: open tickets of a tier, a severity, a customer (by code), one of its sites
    (by code; needs the customer), with parts held at or issued from a depot (by code), or at risk (a
    committed plan arrives after the time promised; `inventory.tickets.fulfilment`)."""

    tier: str | None = None
    severity: str | None = None
    customer: str | None = None
    site: str | None = None
    depot: str | None = None
    at_risk: bool | None = None


@dataclass(frozen=True, slots=True)
class PartHold:
    """Parts reserved for a ticket at a depot: held there, or issued from there."""

    depot: str
    status: str


@dataclass(frozen=True, slots=True)
class QueueTicket:
    """An open ticket in the SLA queue with what its row shows: customer, site and its calendar, the
    stored clocks (as last written: read them at an instant with `inventory.tickets.countdown`) and
    where its parts are."""

    id: int
    customer: str
    customer_name: str
    tier: str
    site: str
    site_name: str
    timezone: str
    calendar_region: str
    asset_serial: str | None
    severity: str
    summary: str
    priority: int
    support_hours: str
    reported_at: datetime
    delivery_service: str
    delivery_due_by: datetime
    next_due_at: datetime | None
    breached: bool
    at_risk: bool
    predicted_late_seconds: int
    clocks: dict[Milestone, MilestoneClock] = field(default_factory=dict)
    parts: list[PartHold] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class AssetWarranty:
    """The ticket's asset with its coverage now, the end of its warranty term as agreed, and how far
    the downtime of faults the user did not cause has extended it."""

    covered: CoveredAsset
    term_end: date
    extension: timedelta


@dataclass(frozen=True, slots=True)
class TicketFile:
    """A ticket with its customer, its site, its asset's warranty (None without an asset), its stored
    clocks (with the time each paused clock was paused) and its history, oldest first."""

    ticket: TicketRecord
    customer: CustomerRecord
    site: SiteRecord
    asset: AssetWarranty | None
    clocks: dict[Milestone, MilestoneClock]
    events: list[TicketEventRecord]


_QUEUE_COLUMNS = (
    Ticket.id,
    Ticket.customer.code.as_alias("customer"),
    Ticket.customer.name.as_alias("customer_name"),
    Ticket.customer.tier.as_alias("tier"),
    Ticket.site.code.as_alias("site"),
    Ticket.site.name.as_alias("site_name"),
    Ticket.site.timezone.as_alias("timezone"),
    Ticket.site.calendar_region.as_alias("calendar_region"),
    Ticket.asset.serial.as_alias("asset_serial"),
    Ticket.severity,
    Ticket.summary,
    Ticket.priority,
    Ticket.support_hours,
    Ticket.reported_at,
    Ticket.delivery_service,
    Ticket.delivery_due_by,
    Ticket.next_due_at,
    Ticket.breached,
    Ticket.at_risk,
    Ticket.predicted_late_seconds,
)


async def sla_queue(filters: QueueFilters, *, limit: int, offset: int) -> list[QueueTicket]:
    """A page of open tickets, the next deadline first (overdue ones first of all), then those whose
    clocks are all paused or met; three queries whatever the page's size.

    A customer, site or depot code that names nothing matches no ticket.
    """
    query = await queue_query(filters)
    if query is None:
        return []
    rows = await query.limit(limit).offset(offset)
    ids = [row["id"] for row in rows]
    clocks = await _clock_rows(ids)
    parts = await _part_holds(ids)
    return [
        QueueTicket(**row, clocks=_as_clocks(clocks.get(row["id"], [])), parts=parts.get(row["id"], []))
        for row in rows
    ]


async def queue_query(filters: QueueFilters) -> Select | None:
    """The query of the queue's rows in their order (without its page), or None when a code in
    ``filters`` names nothing."""
    query = Ticket.select(*_QUEUE_COLUMNS).where(WhereRaw(OPEN_TICKETS))
    if filters.customer is not None:
        customer = await Customer.select(Customer.id).where(Customer.code == filters.customer).first()
        if customer is None:
            return None
        if filters.site is None:
            query = query.where(Ticket.customer == customer["id"])
        else:  # the site is the customer's: its index alone answers
            site = await (
                Site.select(Site.id)
                .where((Site.customer == customer["id"]) & (Site.code == filters.site))
                .first()
            )
            if site is None:
                return None
            query = query.where(Ticket.site == site["id"])
    if filters.tier is not None:
        query = query.where(Ticket.customer.tier == filters.tier)
    if filters.severity is not None:
        query = query.where(Ticket.severity == filters.severity)
    if filters.at_risk is not None:
        query = query.where(Ticket.at_risk.eq(filters.at_risk))
    if filters.depot is not None:
        depot = await Depot.select(Depot.id).where(Depot.code == filters.depot).first()
        if depot is None:
            return None
        held = Reservation.select(Reservation.ticket).where(
            (Reservation.depot == depot["id"]) & Reservation.status.is_in(list(HOLDING))
        )
        query = query.where(Ticket.id.is_in(held))
    return query.order_by(OrderByRaw(QUEUE_ORDER))


async def _part_holds(ticket_ids: Sequence[int]) -> dict[int, list[PartHold]]:
    if not ticket_ids:
        return {}
    rows = await (
        Reservation.select(Reservation.ticket, Reservation.depot.code.as_alias("depot"), Reservation.status)
        .where(Reservation.ticket.is_in(list(ticket_ids)) & Reservation.status.is_in(list(HOLDING)))
        .order_by(Reservation.id)
    )
    holds: dict[int, list[PartHold]] = {}
    for row in rows:
        hold = PartHold(row["depot"], row["status"])
        if hold not in holds.setdefault(row["ticket"], []):
            holds[row["ticket"]].append(hold)
    return holds


_CUSTOMER_PLACE = (
    Ticket.customer.code.as_alias("customer_code"),
    Ticket.customer.name.as_alias("customer_name"),
    Ticket.customer.tier.as_alias("customer_tier"),
    Ticket.customer.delivery_service.as_alias("customer_delivery_service"),
    Ticket.customer.support_hours.as_alias("customer_support_hours"),
    Ticket.customer.secure_media_retention.as_alias("customer_secure_media_retention"),
    Ticket.customer.account_manager.as_alias("customer_account_manager"),
    Ticket.customer.second_line_engineer.as_alias("customer_second_line_engineer"),
    Ticket.customer.classification_level.as_alias("customer_classification_level"),
)
_SITE_PLACE = (
    Ticket.site.code.as_alias("site_code"),
    Ticket.site.name.as_alias("site_name"),
    Ticket.site.address.as_alias("site_address"),
    Ticket.site.latitude.as_alias("site_latitude"),
    Ticket.site.longitude.as_alias("site_longitude"),
    Ticket.site.timezone.as_alias("site_timezone"),
    Ticket.site.calendar_region.as_alias("site_calendar_region"),
)


def _taken(row: dict, prefix: str) -> dict:
    """The values of ``row`` whose keys start with ``prefix``, removed from it, without the prefix."""
    keys = [key for key in row if key.startswith(prefix)]
    return {key.removeprefix(prefix): row.pop(key) for key in keys}


async def ticket_file(ticket_id: int, *, viewer: str | None, now: datetime) -> TicketFile:
    """A ticket with its customer, site, asset's warranty, clocks and history (breach state and
    coverage as at ``now``).

    A fixed few statements: the ticket with its customer and site in one, its clocks, its asset's
    coverage, its history (on PostgreSQL each is a round trip, and a loaded database server makes every
    round trip cost more than the statement).

    Raises:
        NotFound: no such ticket, or not the viewer's company's.
    """
    query = Ticket.select(*TICKET_COLUMNS, *_CUSTOMER_PLACE, *_SITE_PLACE).where(Ticket.id == ticket_id)
    if viewer is not None:
        query = query.where(Ticket.customer.code == viewer)
    row = await query.first()
    if row is None:
        raise NotFound(f"ticket {ticket_id} not found")
    customer = CustomerRecord(**_taken(row, "customer_"))
    site = SiteRecord(customer=customer.code, **_taken(row, "site_"))
    clock_rows = await _clock_rows([ticket_id])
    ticket = ticket_record(row, clock_rows, now)
    clocks = _as_clocks(clock_rows.get(ticket_id, []))
    asset = None
    if ticket.asset_serial is not None:
        covered = await get_covered_asset(ticket.asset_serial, viewer=None, now=now)
        term_end = add_years(covered.asset.accepted_on, covered.asset.warranty_years)
        asset = AssetWarranty(covered, term_end, covered.coverage.end - term_end)
    events = await _events_of(ticket_id)
    return TicketFile(ticket, customer, site, asset, clocks, events)


__all__ = [
    "HOLDING",
    "AssetWarranty",
    "PartHold",
    "QueueFilters",
    "QueueTicket",
    "TicketFile",
    "queue_query",
    "sla_queue",
    "ticket_file",
]
