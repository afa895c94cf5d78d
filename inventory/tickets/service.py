"""Fault tickets: opening with SLA clocks and a delivery promise, clock events, lists, breach sweeps.

``viewer`` scopes every call to one customer company (a customer user); anything else is NotFound.
The clock rules live in `inventory.tickets.sla` and the calendars in `inventory.calendars`: this module
loads, applies and stores.

Breach state is right at every instant: each write stores the clocks as they stand at its time (a
ticket reported after its deadlines is breached as it is opened), each read computes it at its own time
from the stored summary (`inventory.tickets.sla.ticket_breached`), and the sweep records, in the
stored clocks, the audit chain and the log, the breaches that time brought since the last write.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

import structlog
from piccolo.query import OrderByRaw

from geo.travel import Point, great_circle_km
from inventory import notifications
from inventory.audit import log as audit
from inventory.calendars import calendar_for
from inventory.customers.tables import Asset, Customer, Site
from inventory.errors import Inactive, InvalidRequest, InvalidTransition, NotFound
from inventory.persistence import current_store, write_transaction
from inventory.stock.tables import Depot
from inventory.tickets.delivery import DeliveryService, delivery_window
from inventory.tickets.fulfilment import reassess
from inventory.tickets.priority import Severity, Tier, ticket_priority
from inventory.tickets.records import ClockRecord, DeliveryRecord, TicketEventRecord, TicketRecord
from inventory.tickets.reservation_views import check_visible
from inventory.tickets.sla import (
    ClockState,
    Milestone,
    MilestoneClock,
    SupportHours,
    TicketEvent,
    advance,
    any_breached,
    clocks_at,
    newly_breached,
    next_due,
    start_clocks,
    ticket_breached,
)
from inventory.tickets.tables import Ticket, TicketEventLog, TicketMilestone

CLOCK_SKEW = timedelta(minutes=5)
"""How far in the future a reported or event time may be (clocks of phones and PCs drift)."""

log = structlog.get_logger("inventory.tickets")

TICKET_COLUMNS = (
    Ticket.id,
    Ticket.customer.code.as_alias("customer"),
    Ticket.site.code.as_alias("site"),
    Ticket.asset.serial.as_alias("asset_serial"),
    Ticket.severity,
    Ticket.summary,
    Ticket.status,
    Ticket.priority,
    Ticket.user_caused,
    Ticket.support_hours,
    Ticket.reported_at,
    Ticket.restored_at,
    Ticket.closed_at,
    Ticket.next_due_at,
    Ticket.breached,
    Ticket.delivery_service,
    Ticket.delivery_due_from,
    Ticket.delivery_due_by,
    Ticket.at_risk,
    Ticket.predicted_late_seconds,
    Ticket.parts_eta,
    Ticket.visit_eta,
)


async def open_ticket(
    *,
    customer: str | None,
    site: str,
    asset_serial: str | None,
    severity: Severity,
    summary: str,
    reported_at: datetime | None,
    user_caused: bool,
    actor: str,
    now: datetime,
    viewer: str | None,
) -> TicketRecord:
    """Open a fault ticket; its SLA deadlines and delivery window are computed at once.

    ``reported_at`` is the time of the hotline call (default now). A customer user opens tickets
    for its own company only. Deadlines already past at ``now`` are breached from the start, and each
    such breach is recorded as the sweep records one.

    Raises:
        NotFound: the customer is not the viewer's own.
        InvalidRequest: unknown customer, site or asset, or a report time in the future.
        Inactive: the customer or the site is inactive.
    """
    customer = customer or viewer
    if customer is None:
        raise InvalidRequest("name the customer", field="customer")
    if viewer is not None and customer != viewer:
        raise NotFound(f"customer {customer} not found")
    reported_at = reported_at or now
    if reported_at > now + CLOCK_SKEW:
        raise InvalidRequest("reported_at is in the future", field="reported_at")
    async with write_transaction():
        company = await Customer.select().where(Customer.code == customer).first()
        if company is None:
            raise InvalidRequest(f"unknown customer {customer!r}", field="customer")
        place = await Site.select().where((Site.customer == company["id"]) & (Site.code == site)).first()
        if place is None:
            raise InvalidRequest(f"customer {customer} has no site {site!r}", field="site")
        if not company["active"]:
            raise Inactive(f"customer {customer} is inactive: it opens no new tickets", field="customer")
        if not place["active"]:
            raise Inactive(f"site {site} is inactive: it gets no new tickets", field="site")
        asset_id = await _asset_id(asset_serial, company["id"])
        support = SupportHours(company["support_hours"])
        site_calendar = calendar_for(place["calendar_region"], place["timezone"])
        clocks = clocks_at(start_clocks(reported_at, support, site_calendar), now)
        window = await _delivery_window(company, place, reported_at, support)
        ticket_id = (
            await Ticket.insert(
                Ticket(
                    customer=company["id"],
                    site=place["id"],
                    asset=asset_id,
                    severity=severity.value,
                    summary=summary,
                    status="open",
                    priority=ticket_priority(Tier(company["tier"]), severity),
                    user_caused=user_caused,
                    support_hours=support.value,
                    delivery_service=window.service.value,
                    delivery_due_from=window.due_from,
                    delivery_due_by=window.due_by,
                    reported_at=reported_at,
                    next_due_at=next_due(clocks),
                    breached=any_breached(clocks),
                    created_by=actor,
                    created_at=now,
                )
            ).returning(Ticket.id)
        )[0]["id"]
        await TicketMilestone.insert(
            *[
                TicketMilestone(
                    ticket=ticket_id,
                    milestone=clock.milestone.value,
                    due_at=clock.due_at,
                    met_at=clock.met_at,
                    paused_at=clock.paused_at,
                    state=clock.state.value,
                )
                for clock in clocks.values()
            ]
        )
        await _log_event(ticket_id, "opened", reported_at, actor, now)
        detected = newly_breached({}, clocks)
        await _record_breaches(ticket_id, clocks, detected, now)
    _log_breaches(ticket_id, clocks, detected, now)
    return await get_ticket(ticket_id, viewer=viewer, now=now)


async def record_event(
    ticket_id: int, event: TicketEvent, *, at: datetime | None, note: str, actor: str, now: datetime
) -> TicketRecord:
    """Move a ticket's clocks (responded, on site, restored, closed, waiting for the customer, resumed).

    The clocks are stored as they stand at ``now`` (`inventory.tickets.sla.advance`); breaches the event
    reveals are recorded as the sweep records them.

    Raises:
        NotFound: no such ticket.
        InvalidRequest: an event time before the report or in the future.
        InvalidTransition: the event does not fit the ticket's state (e.g. anything after closed).
    """
    at = at or now
    if at > now + CLOCK_SKEW:
        raise InvalidRequest("the event time is in the future", field="at")
    async with write_transaction():
        ticket = await lock_ticket(ticket_id)
        if ticket["status"] == "closed":
            raise InvalidTransition(f"ticket {ticket_id} is closed")
        if at < ticket["reported_at"]:
            raise InvalidRequest("the event is earlier than the fault report", field="at")
        site = await Site.select(Site.timezone, Site.calendar_region).where(Site.id == ticket["site"]).first()
        calendar = calendar_for(site["calendar_region"], site["timezone"])
        clocks = await _clocks(ticket_id)
        updated = advance(clocks, event, at, SupportHours(ticket["support_hours"]), calendar, now=now)
        await _store_clocks(ticket_id, clocks, updated)
        changes: dict = {Ticket.next_due_at: next_due(updated), Ticket.breached: any_breached(updated)}
        if event in (TicketEvent.RESTORED, TicketEvent.CLOSED) and ticket["restored_at"] is None:
            changes[Ticket.restored_at] = at
        if event is TicketEvent.CLOSED:
            changes[Ticket.status] = "closed"
            changes[Ticket.closed_at] = at
        await Ticket.update(changes).where(Ticket.id == ticket_id)
        await _log_event(ticket_id, event.value, at, actor, now, note)
        detected = newly_breached(clocks, updated)
        await _record_breaches(ticket_id, updated, detected, now)
        await reassess([ticket_id], now=now)
    _log_breaches(ticket_id, updated, detected, now)
    return await get_ticket(ticket_id, viewer=None, now=now)


async def get_ticket(ticket_id: int, *, viewer: str | None, now: datetime) -> TicketRecord:
    """One ticket with its clocks and delivery window, breach state as at ``now``.

    Raises:
        NotFound: no such ticket, or not the viewer's company's.
    """
    query = Ticket.select(*TICKET_COLUMNS).where(Ticket.id == ticket_id)
    if viewer is not None:
        query = query.where(Ticket.customer.code == viewer)
    row = await query.first()
    if row is None:
        raise NotFound(f"ticket {ticket_id} not found")
    return ticket_record(row, await _clock_rows([ticket_id]), now)


async def list_tickets(
    *,
    viewer: str | None,
    customer: str | None,
    breached: bool | None,
    status: str | None,
    order: str,
    limit: int,
    offset: int,
    now: datetime,
    asset: str | None = None,
    at_risk: bool | None = None,
) -> list[TicketRecord]:
    """Tickets, nearest due milestone first (``order="due"``) or newest first (``order="reported"``).

    ``breached`` filters on the breach state at ``now`` (`inventory.tickets.sla.ticket_breached`);
    ``asset`` keeps the tickets of the asset with that serial; ``at_risk`` on the stored at-risk state
    (`inventory.tickets.fulfilment.reassess`).
    """
    query = Ticket.select(*TICKET_COLUMNS)
    if viewer is not None:
        query = query.where(Ticket.customer.code == viewer)
    if customer is not None:
        query = query.where(Ticket.customer.code == customer)
    if asset is not None:
        query = query.where(Ticket.asset.serial == asset)
    if breached is not None:
        late = Ticket.next_due_at < now
        if breached:
            query = query.where(Ticket.breached.eq(True) | late)
        else:
            query = query.where(
                Ticket.breached.eq(False) & (Ticket.next_due_at.is_null() | (Ticket.next_due_at >= now))
            )
    if status is not None:
        query = query.where(Ticket.status == status)
    if at_risk is not None:
        query = query.where(Ticket.at_risk.eq(at_risk))
    if order == "due":
        query = query.order_by(OrderByRaw("ticket.next_due_at IS NULL, ticket.next_due_at, ticket.id"))
    else:
        query = query.order_by(Ticket.reported_at, Ticket.id, ascending=False)
    rows = await query.limit(limit).offset(offset)
    clocks = await _clock_rows([row["id"] for row in rows])
    return [ticket_record(row, clocks, now) for row in rows]


async def ticket_events(ticket_id: int, *, viewer: str | None) -> list[TicketEventRecord]:
    """The ticket's history, in the order it happened (by the time each event happened, then as recorded).

    Raises:
        NotFound: no such ticket, or not the viewer's company's.
    """
    await check_visible(ticket_id, viewer=viewer)
    return await _events_of(ticket_id)


async def _events_of(ticket_id: int) -> list[TicketEventRecord]:
    """The ticket's history (for a caller that has read the ticket itself)."""
    rows = (
        await TicketEventLog.select(
            TicketEventLog.event, TicketEventLog.at, TicketEventLog.actor, TicketEventLog.note
        )
        .where(TicketEventLog.ticket == ticket_id)
        .order_by(TicketEventLog.at, TicketEventLog.id)
    )
    return [TicketEventRecord(**row) for row in rows]


async def sweep_breaches(now: datetime) -> int:
    """Record every running milestone past its due time as breached: in its stored clock and the ticket's
    summary, with an audit chain entry and a structured log event for each.

    Reads already show these breaches (`get_ticket`, `list_tickets`); the sweep makes them part of the
    record. The selection is `inventory.tickets.sla.breached` (running, due strictly before now) in SQL.

    Safe to run from several processes at once: each breach is claimed by a conditional update.

    Returns:
        How many milestones were marked.
    """
    overdue = await TicketMilestone.select(TicketMilestone.id, TicketMilestone.ticket).where(
        (TicketMilestone.state == ClockState.RUNNING.value) & (TicketMilestone.due_at < now)
    )
    marked = 0
    for row in overdue:
        async with write_transaction():
            claimed = (
                await TicketMilestone.update({TicketMilestone.state: ClockState.BREACHED.value})
                .where(
                    (TicketMilestone.id == row["id"]) & (TicketMilestone.state == ClockState.RUNNING.value)
                )
                .returning(TicketMilestone.milestone, TicketMilestone.due_at)
            )
            if not claimed:
                continue
            clocks = await _clocks(row["ticket"])
            await Ticket.update({Ticket.breached: True, Ticket.next_due_at: next_due(clocks)}).where(
                Ticket.id == row["ticket"]
            )
            await _record_breaches(row["ticket"], clocks, [Milestone(claimed[0]["milestone"])], now)
        marked += 1
        _log_breaches(row["ticket"], clocks, [Milestone(claimed[0]["milestone"])], now)
    return marked


async def _record_breaches(
    ticket_id: int, clocks: Mapping[Milestone, MilestoneClock], milestones: Sequence[Milestone], now: datetime
) -> None:
    """One audit chain entry and one ``ticket.breached`` notification per breach detected, in the
    transaction that stores it."""
    customer = None
    for milestone in milestones:
        await audit.append(
            "ticket.breached",
            f"ticket:{ticket_id}",
            {"milestone": milestone.value, "due_at": clocks[milestone].due_at},
            actor="system",
            at=now,
        )
        if customer is None:
            customer = (await Ticket.select(Ticket.customer).where(Ticket.id == ticket_id).first())[
                "customer"
            ]
        await notifications.publish(
            notifications.TICKET_BREACHED,
            {
                "ticket": ticket_id,
                "milestone": milestone.value,
                "due_at": clocks[milestone].due_at,
                "detected_at": now,
            },
            company=customer,
            now=now,
        )


def _log_breaches(
    ticket_id: int, clocks: Mapping[Milestone, MilestoneClock], milestones: Sequence[Milestone], now: datetime
) -> None:
    for milestone in milestones:
        log.warning(
            "sla_breached",
            ticket=ticket_id,
            milestone=milestone.value,
            due_at=clocks[milestone].due_at.isoformat(),
            detected_at=now.isoformat(),
        )


async def _asset_id(serial: str | None, customer_id: int) -> int | None:
    if serial is None:
        return None
    row = (
        await Asset.select(Asset.id).where((Asset.serial == serial) & (Asset.customer == customer_id)).first()
    )
    if row is None:
        raise InvalidRequest(f"the customer has no asset {serial!r}", field="asset_serial")
    return row["id"]


async def _delivery_window(company: Mapping, place: Mapping, reported_at: datetime, support: SupportHours):
    """The promise, counted from the depot nearest the site (its calendar and order cut-off)."""
    site_point = Point(place["latitude"], place["longitude"])
    depots = await Depot.select(
        Depot.latitude, Depot.longitude, Depot.timezone, Depot.calendar_region, Depot.order_cutoff
    )
    if not depots:
        raise InvalidRequest("no depot exists to serve the site", field="site")
    nearest = min(depots, key=lambda d: great_circle_km(Point(d["latitude"], d["longitude"]), site_point))
    return delivery_window(
        DeliveryService(company["delivery_service"]),
        reported_at,
        depot_calendar=calendar_for(nearest["calendar_region"], nearest["timezone"]),
        site_calendar=calendar_for(place["calendar_region"], place["timezone"]),
        support_hours=support,
        cutoff=nearest["order_cutoff"],
    )


async def lock_ticket(ticket_id: int) -> dict:
    """Take the ticket's row lock (a no-op update) so that concurrent changes apply one after another.

    Returns:
        The ticket's id, status, site, support hours, report and restore times.

    Raises:
        NotFound: no such ticket.
    """
    if not await current_store().lock_ticket(ticket_id):
        raise NotFound(f"ticket {ticket_id} not found")
    return (
        await Ticket.select(
            Ticket.id,
            Ticket.status,
            Ticket.site,
            Ticket.support_hours,
            Ticket.reported_at,
            Ticket.restored_at,
        )
        .where(Ticket.id == ticket_id)
        .first()
    )


async def _clocks(ticket_id: int) -> dict[Milestone, MilestoneClock]:
    return _as_clocks((await _clock_rows([ticket_id])).get(ticket_id, []))


def _as_clocks(rows: Sequence[dict]) -> dict[Milestone, MilestoneClock]:
    return {
        Milestone(row["milestone"]): MilestoneClock(
            milestone=Milestone(row["milestone"]),
            due_at=row["due_at"],
            state=ClockState(row["state"]),
            met_at=row["met_at"],
            paused_at=row["paused_at"],
        )
        for row in rows
    }


async def _clock_rows(ticket_ids: list[int]) -> dict[int, list[dict]]:
    if not ticket_ids:
        return {}
    rows = await TicketMilestone.select(
        TicketMilestone.ticket,
        TicketMilestone.milestone,
        TicketMilestone.due_at,
        TicketMilestone.met_at,
        TicketMilestone.paused_at,
        TicketMilestone.state,
    ).where(TicketMilestone.ticket.is_in(ticket_ids))
    grouped: dict[int, list[dict]] = {}
    for row in rows:
        grouped.setdefault(row["ticket"], []).append(row)
    return grouped


async def _store_clocks(
    ticket_id: int, before: Mapping[Milestone, MilestoneClock], after: Mapping[Milestone, MilestoneClock]
) -> None:
    for milestone, clock in after.items():
        if before.get(milestone) == clock:
            continue
        await TicketMilestone.update(
            {
                TicketMilestone.due_at: clock.due_at,
                TicketMilestone.met_at: clock.met_at,
                TicketMilestone.paused_at: clock.paused_at,
                TicketMilestone.state: clock.state.value,
            }
        ).where((TicketMilestone.ticket == ticket_id) & (TicketMilestone.milestone == milestone.value))


async def _log_event(
    ticket_id: int, event: str, at: datetime, actor: str, now: datetime, note: str = ""
) -> None:
    """The ticket's own history, and the audit chain entry recording the same change with its clocks."""
    await TicketEventLog.insert(
        TicketEventLog(ticket=ticket_id, event=event, at=at, actor=actor, note=note, recorded_at=now)
    )
    clocks = {
        clock.milestone.value: [clock.state.value, clock.due_at, clock.met_at]
        for clock in (await _clocks(ticket_id)).values()
    }
    await audit.append(
        f"ticket.{event}",
        f"ticket:{ticket_id}",
        {"at": at, "note": note, "clocks": clocks},
        actor=actor,
        at=now,
    )


def ticket_record(row: dict, clock_rows: Mapping[int, list[dict]], now: datetime) -> TicketRecord:
    """The ticket as it stands at ``now``: clocks past due show as breached before the sweep records it."""
    clocks = clocks_at(_as_clocks(clock_rows.get(row["id"], [])), now)
    return TicketRecord(
        id=row["id"],
        customer=row["customer"],
        site=row["site"],
        asset_serial=row["asset_serial"],
        severity=row["severity"],
        summary=row["summary"],
        status=row["status"],
        priority=row["priority"],
        user_caused=row["user_caused"],
        support_hours=row["support_hours"],
        reported_at=row["reported_at"],
        restored_at=row["restored_at"],
        closed_at=row["closed_at"],
        next_due_at=row["next_due_at"],
        breached=ticket_breached(row["breached"], row["next_due_at"], now),
        sla={
            milestone.value: ClockRecord(clock.due_at, clock.met_at, clock.state.value)
            for milestone in Milestone
            if (clock := clocks.get(milestone)) is not None
        },
        delivery=DeliveryRecord(row["delivery_service"], row["delivery_due_from"], row["delivery_due_by"]),
        at_risk=row["at_risk"],
        predicted_late_seconds=row["predicted_late_seconds"],
        parts_eta=row["parts_eta"],
        visit_eta=row["visit_eta"],
    )
