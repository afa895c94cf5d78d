"""Fault tickets with SLA clocks, and the parts reserved for them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Literal

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK

import routing
from api.idempotency import idempotent
from api.pagination import Page, PageRequest, page_of
from api.params import PathId
from api.schemas.base import MAX_ID
from api.schemas.service import IssueIn, ReservationIn, ReservationOut, TicketEventIn, TicketIn, TicketOut
from api.security import allow
from api.settings import Settings
from inventory import tickets
from inventory.accounts import EVERYONE, Principal, Role
from inventory.issuing import issue
from inventory.tickets import ReservationRequest, TicketEvent
from inventory.time_window import TimeBounds, check_reported_time

SERVICE_DESK = (Role.ADMIN, Role.DISPATCHER)
HANDS_OUT_PARTS = (Role.ADMIN, Role.DISPATCHER, Role.WAREHOUSE)


class TicketController(Controller):
    path = "/tickets"
    tags = ["tickets"]
    guards = [allow(*EVERYONE)]

    @post(
        operation_id="openTicket",
        summary="Open a fault ticket",
        description=(
            "Opens a ticket for a fault at a customer's site (and asset). Its SLA clocks start at "
            "`reported_at` (default now): response in 1 h, engineer on site in 4 h, restored in 8 h, "
            "replacement in 48 h, on the wall clock for 7x24 customers and in business hours for the "
            "others. The answer carries their due times and the delivery window (next business day or 4 "
            "hours) fixed now. A customer user opens tickets for its own company (`customer` may be left "
            "out)."
        ),
        guards=[allow(*SERVICE_DESK, Role.CUSTOMER)],
    )
    @idempotent
    async def open_ticket(
        self,
        data: JSONBody[TicketIn],
        principal: NamedDependency[Principal],
        now: NamedDependency[datetime],
        time_bounds: NamedDependency[TimeBounds],
    ) -> TicketOut:
        """Open a fault ticket; the answer carries its SLA deadlines and delivery window."""
        if data.reported_at is not None:
            check_reported_time("reported_at", data.reported_at, now=now, bounds=time_bounds)
        record = await tickets.open_ticket(
            customer=data.customer,
            site=data.site,
            asset_serial=data.asset_serial,
            severity=data.severity,
            summary=data.summary,
            reported_at=data.reported_at,
            user_caused=data.user_caused,
            actor=principal.username,
            now=now,
            viewer=principal.viewer,
        )
        return TicketOut.of(record)

    @get(
        operation_id="listTickets",
        summary="List tickets",
        description=(
            "Tickets, nearest due milestone first (`order=due`) or newest first (`order=reported`); "
            "filter by `status`, `customer`, `breached` (as at the time of the request) and `at_risk` "
            "(a committed ETA falls after its due time)."
        ),
    )
    async def list_tickets(
        self,
        page: NamedDependency[PageRequest],
        principal: NamedDependency[Principal],
        now: NamedDependency[datetime],
        breached: FromQuery[bool | None] = None,
        status: FromQuery[Literal["open", "closed"] | None] = None,
        customer: FromQuery[str | None] = None,
        order: FromQuery[Literal["due", "reported"]] = "due",
        at_risk: FromQuery[bool | None] = None,
    ) -> Page[TicketOut]:
        """Tickets, nearest due milestone first (``order=due``) or newest first; filter by ``breached``
        (as at the time of the request)."""
        rows = await tickets.list_tickets(
            viewer=principal.viewer,
            customer=customer,
            breached=breached,
            status=status,
            order=order,
            limit=page.fetch,
            offset=page.offset,
            now=now,
            at_risk=at_risk,
        )
        return page_of([TicketOut.of(row) for row in rows], page)

    @get(
        "/{ticket_id:int}",
        operation_id="getTicket",
        summary="Get a ticket",
        description="One ticket with its SLA clocks, their state, and its delivery window.",
    )
    async def get_ticket(
        self, ticket_id: PathId, principal: NamedDependency[Principal], now: NamedDependency[datetime]
    ) -> TicketOut:
        """One ticket with its SLA clocks and delivery window."""
        return TicketOut.of(await tickets.get_ticket(ticket_id, viewer=principal.viewer, now=now))

    @post(
        "/{ticket_id:int}/events",
        operation_id="recordTicketEvent",
        summary="Record a ticket event",
        description=(
            "Moves the ticket's clocks: `responded`, `engineer_on_site` and `restored` meet their "
            "milestones, `waiting_customer` pauses them and `resumed` restarts them, `closed` closes the "
            "ticket. `at` (default now) says when it happened."
        ),
        guards=[allow(*SERVICE_DESK)],
    )
    @idempotent
    async def record_event(
        self,
        ticket_id: PathId,
        data: JSONBody[TicketEventIn],
        principal: NamedDependency[Principal],
        now: NamedDependency[datetime],
        time_bounds: NamedDependency[TimeBounds],
    ) -> TicketOut:
        """Move the clocks: responded, engineer_on_site, restored, closed, waiting_customer, resumed."""
        if data.at is not None:
            check_reported_time("at", data.at, now=now, bounds=time_bounds)
        ticket = await tickets.record_event(
            ticket_id,
            TicketEvent(data.type),
            at=data.at,
            note=data.note,
            actor=principal.username,
            now=now,
        )
        return TicketOut.of(ticket)

    @post(
        "/{ticket_id:int}/reservations",
        operation_id="reserveParts",
        summary="Reserve a part for a ticket",
        description=(
            "Holds a part for the ticket at the named depot, or at the nearest depot whose stock can "
            "reach the site within the ticket's delivery window. A critical fault of a premium or "
            "platinum customer may take stock held for a lower-priority ticket (`allow_preemption`); "
            "issued parts are never taken. 409 with the reason and the nearest alternatives when no "
            "depot can keep the promise. A customer's own request is checked against its entitlement. "
            "The reservation expires if it is not issued in time."
        ),
        guards=[allow(*SERVICE_DESK, Role.CUSTOMER)],
    )
    @idempotent
    async def reserve(
        self,
        ticket_id: PathId,
        data: JSONBody[ReservationIn],
        principal: NamedDependency[Principal],
        settings: NamedDependency[Settings],
        now: NamedDependency[datetime],
    ) -> ReservationOut:
        """Hold parts for the ticket at the named depot, or at the nearest depot that keeps the promise.

        409 with the reason and the nearest alternatives when no depot can; a customer's request is
        checked against its entitlement.
        """
        record = await tickets.reserve(
            ticket_id,
            ReservationRequest(
                data.part_number, data.quantity, data.depot, data.serial, data.allow_preemption
            ),
            actor=principal.username,
            now=now,
            ttl=timedelta(hours=settings.reservation_ttl_hours),
            nbd_grace=timedelta(hours=settings.reservation_nbd_grace_hours),
            viewer=principal.viewer,
        )
        if data.allow_preemption:
            await routing.cancel_lost_stops(actor=principal.username, now=now)
        return ReservationOut.of(record)

    @get(
        "/{ticket_id:int}/reservations",
        operation_id="listTicketReservations",
        summary="List a ticket's reservations",
        description="Every reservation of the ticket, including released, expired and pre-empted ones.",
    )
    async def list_reservations(
        self, ticket_id: PathId, principal: NamedDependency[Principal]
    ) -> list[ReservationOut]:
        """Every reservation of the ticket, including released, expired and pre-empted ones."""
        rows = await tickets.ticket_reservations(ticket_id, viewer=principal.viewer)
        return [ReservationOut.of(row) for row in rows]


class ReservationController(Controller):
    path = "/reservations"
    tags = ["reservations"]
    guards = [allow(*EVERYONE)]

    @get(
        operation_id="listReservations",
        summary="List reservations",
        description=(
            "Reservations, newest first: which ticket holds which part at which depot, and in which "
            "status. Filter by `ticket`, `depot`, `part_number` and `status`. A customer sees only those "
            "on its own company's tickets."
        ),
    )
    async def list_reservations(
        self,
        page: NamedDependency[PageRequest],
        principal: NamedDependency[Principal],
        ticket: Annotated[int | None, QueryParameter(ge=1, le=MAX_ID, description="A ticket's id.")] = None,
        depot: Annotated[str | None, QueryParameter(min_length=1, max_length=200)] = None,
        part_number: Annotated[str | None, QueryParameter(min_length=1, max_length=200)] = None,
        status: FromQuery[Literal["active", "issued", "released", "expired", "preempted"] | None] = None,
    ) -> Page[ReservationOut]:
        """Reservations, newest first; a customer's own only."""
        rows = await tickets.list_reservations(
            ticket=ticket,
            depot=depot,
            part_number=part_number,
            status=status,
            viewer=principal.viewer,
            limit=page.fetch,
            offset=page.offset,
        )
        return page_of([ReservationOut.of(row) for row in rows], page)

    @get(
        "/{reservation_id:int}",
        operation_id="getReservation",
        summary="Get a reservation",
        description="One reservation: depot, part, serials or batches held, status and ETA.",
    )
    async def get_reservation(
        self, reservation_id: PathId, principal: NamedDependency[Principal]
    ) -> ReservationOut:
        """One reservation."""
        return ReservationOut.of(await tickets.get_reservation(reservation_id, viewer=principal.viewer))

    @post(
        "/{reservation_id:int}/release",
        operation_id="releaseReservation",
        summary="Release a reservation",
        description=(
            "Gives the held stock back to the depot's available stock. 409 unless the reservation is active."
        ),
        guards=[allow(*HANDS_OUT_PARTS)],
        status_code=HTTP_200_OK,
    )
    @idempotent
    async def release(
        self, reservation_id: PathId, principal: NamedDependency[Principal], now: NamedDependency[datetime]
    ) -> ReservationOut:
        """Give the held stock back to the depot. 409 unless the reservation is active."""
        return ReservationOut.of(await tickets.release(reservation_id, actor=principal.username, now=now))

    @post(
        "/{reservation_id:int}/issue",
        operation_id="issueReservation",
        summary="Issue reserved parts",
        description=(
            "Hands the held parts out for the ticket and fits them into its asset; `failed_serial` names "
            "the unit taken out. For a classified customer's data-bearing part, the failed unit stays "
            "with the customer and its retention record opens in the same transaction."
        ),
        guards=[allow(*HANDS_OUT_PARTS)],
        status_code=HTTP_200_OK,
    )
    @idempotent
    async def issue(
        self,
        reservation_id: PathId,
        data: JSONBody[IssueIn],
        principal: NamedDependency[Principal],
        now: NamedDependency[datetime],
    ) -> ReservationOut:
        """Hand the parts out for the ticket; ``failed_serial`` is the unit taken out of the asset."""
        record = await issue(
            reservation_id,
            serial=data.serial,
            failed_serial=data.failed_serial,
            actor=principal.username,
            now=now,
        )
        return ReservationOut.of(record)
