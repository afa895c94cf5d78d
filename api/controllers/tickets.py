"""Fault tickets with SLA clocks, and the parts reserved for them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody
from litestar.status_codes import HTTP_200_OK

from api.idempotency import idempotent
from api.pagination import Page, PageRequest, page_of
from api.params import PathId
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

    @post(operation_id="openTicket", guards=[allow(*SERVICE_DESK, Role.CUSTOMER)])
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

    @get(operation_id="listTickets")
    async def list_tickets(
        self,
        page: NamedDependency[PageRequest],
        principal: NamedDependency[Principal],
        now: NamedDependency[datetime],
        breached: FromQuery[bool | None] = None,
        status: FromQuery[Literal["open", "closed"] | None] = None,
        customer: FromQuery[str | None] = None,
        order: FromQuery[Literal["due", "reported"]] = "due",
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
        )
        return page_of([TicketOut.of(row) for row in rows], page)

    @get("/{ticket_id:int}", operation_id="getTicket")
    async def get_ticket(
        self, ticket_id: PathId, principal: NamedDependency[Principal], now: NamedDependency[datetime]
    ) -> TicketOut:
        """One ticket with its SLA clocks and delivery window."""
        return TicketOut.of(await tickets.get_ticket(ticket_id, viewer=principal.viewer, now=now))

    @post("/{ticket_id:int}/events", operation_id="recordTicketEvent", guards=[allow(*SERVICE_DESK)])
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
            viewer=principal.viewer,
        )
        return ReservationOut.of(record)

    @get("/{ticket_id:int}/reservations", operation_id="listTicketReservations")
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

    @get("/{reservation_id:int}", operation_id="getReservation")
    async def get_reservation(
        self, reservation_id: PathId, principal: NamedDependency[Principal]
    ) -> ReservationOut:
        """One reservation."""
        return ReservationOut.of(await tickets.get_reservation(reservation_id, viewer=principal.viewer))

    @post(
        "/{reservation_id:int}/release",
        operation_id="releaseReservation",
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
