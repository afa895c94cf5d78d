"""Replacement requests, a ticket's timeline and notes, and what fits an asset."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Literal

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK

from api.idempotency import idempotent
from api.pagination import Page, PageRequest, page_of
from api.params import PathId
from api.schemas.replacements import (
    ApproveIn,
    AssetPartsOut,
    NoteIn,
    NoteOut,
    RefuseIn,
    ReplacementIn,
    ReplacementOut,
    TimelineOut,
)
from api.security import allow
from api.settings import Settings
from inventory import tickets
from inventory.accounts import EVERYONE, Principal, Role
from inventory.tickets import HoldTerms, ReplacementAsk, ReplacementRecord, check_visible

SERVICE_DESK = (Role.ADMIN, Role.DISPATCHER)
REQUESTERS = (*SERVICE_DESK, Role.CUSTOMER)
RequestStateFilter = Literal[
    "requested", "approved", "pending_dispatcher", "refused", "fulfilled", "withdrawn"
]


def hold_terms(settings: Settings) -> HoldTerms:
    """How long a reservation made on approval holds its part, from the settings."""
    return HoldTerms(
        ttl=timedelta(hours=settings.reservation_ttl_hours),
        nbd_grace=timedelta(hours=settings.reservation_nbd_grace_hours),
    )


def _out(record: ReplacementRecord, principal: Principal) -> ReplacementOut:
    return ReplacementOut.of(record, staff=principal.viewer is None)


class TicketFollowUpController(Controller):
    path = "/tickets/{ticket_id:int}"
    tags = ["tickets"]
    guards = [allow(*EVERYONE)]

    @post(
        "/replacement-requests",
        operation_id="requestReplacement",
        summary="Request a replacement part for a ticket",
        description=(
            "The part must fit the ticket's asset (its model's bill of field-replaceable parts, alternates "
            "included) within the installed quantity, else 422 `part-does-not-fit` naming the `rule`; "
            "staff may override with `override_reason` (audited). The entitlement check decides and says "
            "why: tier and parts priority, coverage phase and charge, the premium tiers' replacement right "
            "when the restore milestone is breached. A refused request is kept (`refused`, with the "
            "rule); a chargeable one (`at_cost`, with the unit cost) waits for the acceptance of its "
            "charge; a free one is approved at once with a reservation, or goes to the dispatcher's queue "
            "(`pending_dispatcher`) when no depot can keep the delivery promise."
        ),
        guards=[allow(*REQUESTERS)],
    )
    @idempotent
    async def request_replacement(
        self,
        ticket_id: PathId,
        data: JSONBody[ReplacementIn],
        principal: NamedDependency[Principal],
        settings: NamedDependency[Settings],
        now: NamedDependency[datetime],
    ) -> ReplacementOut:
        """Record a replacement request and decide it."""
        record = await tickets.request_replacement(
            ticket_id,
            ReplacementAsk(data.part_number, data.quantity, data.reason, data.override_reason),
            actor=principal.username,
            viewer=principal.viewer,
            now=now,
            hold=hold_terms(settings),
        )
        return _out(record, principal)

    @get(
        "/replacement-requests",
        operation_id="listTicketReplacementRequests",
        summary="List a ticket's replacement requests",
        description="Every replacement request of the ticket, oldest first, in any state.",
    )
    async def list_ticket_requests(
        self, ticket_id: PathId, page: NamedDependency[PageRequest], principal: NamedDependency[Principal]
    ) -> Page[ReplacementOut]:
        """The ticket's replacement requests."""
        await check_visible(ticket_id, viewer=principal.viewer)
        rows = await tickets.list_requests(
            ticket=ticket_id, state=None, viewer=principal.viewer, limit=page.fetch, offset=page.offset
        )
        return page_of([_out(row, principal) for row in rows], page)

    @get(
        "/timeline",
        operation_id="getTicketTimeline",
        summary="A ticket's timeline",
        description=(
            "What the customer follows, oldest first: SLA milestones (met, or running with the seconds "
            "left), the ticket's events, its replacement requests' states, each part's way (reserved, on "
            "its way by van, engineer or collection with the committed ETA, delivered), the engineer's "
            "committed visit, and notes. Customers see only customer-visible notes; internal notes and "
            "the service desk's event notes stay internal."
        ),
    )
    async def get_timeline(
        self, ticket_id: PathId, principal: NamedDependency[Principal], now: NamedDependency[datetime]
    ) -> TimelineOut:
        """The ticket's timeline."""
        return TimelineOut.of(await tickets.ticket_timeline(ticket_id, viewer=principal.viewer, now=now))

    @post(
        "/notes",
        operation_id="addTicketNote",
        summary="Add a note to a ticket",
        description=(
            "A customer adds notes to its own tickets (always customer-visible); staff choose with "
            "`customer_visible` (default: internal)."
        ),
        guards=[allow(*REQUESTERS)],
    )
    @idempotent
    async def add_note(
        self,
        ticket_id: PathId,
        data: JSONBody[NoteIn],
        principal: NamedDependency[Principal],
        now: NamedDependency[datetime],
    ) -> NoteOut:
        """Add a note to the ticket."""
        record = await tickets.add_note(
            ticket_id,
            data.body,
            customer_visible=data.customer_visible,
            actor=principal.username,
            role=principal.role.value,
            viewer=principal.viewer,
            now=now,
        )
        return NoteOut.of(record)

    @get(
        "/notes",
        operation_id="listTicketNotes",
        summary="List a ticket's notes",
        description="The ticket's notes, oldest first; customers read only the customer-visible ones.",
    )
    async def list_notes(self, ticket_id: PathId, principal: NamedDependency[Principal]) -> list[NoteOut]:
        """The ticket's notes."""
        return [NoteOut.of(note) for note in await tickets.list_notes(ticket_id, viewer=principal.viewer)]


class ReplacementController(Controller):
    path = "/replacement-requests"
    tags = ["replacement requests"]
    guards = [allow(*EVERYONE)]

    @get(
        operation_id="listReplacementRequests",
        summary="List replacement requests",
        description=(
            "Replacement requests, oldest first, of one `state` if given: "
            "`state=pending_dispatcher` is the dispatcher's queue, each with its alternatives. A customer "
            "sees only its company's."
        ),
    )
    async def list_requests(
        self,
        page: NamedDependency[PageRequest],
        principal: NamedDependency[Principal],
        request_state: Annotated[
            RequestStateFilter | None,
            QueryParameter(name="state", description="Only requests in this state."),
        ] = None,
    ) -> Page[ReplacementOut]:
        """Replacement requests, oldest first."""
        rows = await tickets.list_requests(
            ticket=None, state=request_state, viewer=principal.viewer, limit=page.fetch, offset=page.offset
        )
        return page_of([_out(row, principal) for row in rows], page)

    @get(
        "/{request_id:int}",
        operation_id="getReplacementRequest",
        summary="Get a replacement request",
        description="One replacement request with its decision, charge and state.",
    )
    async def get_request(self, request_id: PathId, principal: NamedDependency[Principal]) -> ReplacementOut:
        """One replacement request."""
        return _out(await tickets.get_request(request_id, viewer=principal.viewer), principal)

    @post(
        "/{request_id:int}/accept-charge",
        operation_id="acceptReplacementCharge",
        summary="Accept a replacement request's charge",
        description=(
            "The customer accepts the charge of a part at cost; the request is then approved with a "
            "reservation, or goes to the dispatcher's queue. 409 unless it waits for acceptance."
        ),
        guards=[allow(*REQUESTERS)],
        status_code=HTTP_200_OK,
    )
    @idempotent
    async def accept_charge(
        self,
        request_id: PathId,
        principal: NamedDependency[Principal],
        settings: NamedDependency[Settings],
        now: NamedDependency[datetime],
    ) -> ReplacementOut:
        """Accept the charge, then approve or queue."""
        record = await tickets.accept_charge(
            request_id, actor=principal.username, viewer=principal.viewer, now=now, hold=hold_terms(settings)
        )
        return _out(record, principal)

    @post(
        "/{request_id:int}/withdraw",
        operation_id="withdrawReplacementRequest",
        summary="Withdraw a replacement request",
        description=(
            "Withdraws the request until its part has left the depot (picked up by its carrier, on the van "
            "or handed out); a reservation it holds is released and "
            "its stock is available again. 409 once the part has left the depot or the request is closed."
        ),
        guards=[allow(*REQUESTERS)],
        status_code=HTTP_200_OK,
    )
    @idempotent
    async def withdraw(
        self, request_id: PathId, principal: NamedDependency[Principal], now: NamedDependency[datetime]
    ) -> ReplacementOut:
        """Withdraw the request and release its stock."""
        record = await tickets.withdraw_request(
            request_id, actor=principal.username, viewer=principal.viewer, now=now
        )
        return _out(record, principal)

    @post(
        "/{request_id:int}/approve",
        operation_id="approveReplacementRequest",
        summary="Approve a request from the dispatcher's queue",
        description=(
            "Reserves the part for a `pending_dispatcher` request: at `depot` (held even if it arrives "
            "after the promise) or at the nearest depot that keeps it (409 with the alternatives if none)."
        ),
        guards=[allow(*SERVICE_DESK)],
        status_code=HTTP_200_OK,
    )
    @idempotent
    async def approve(
        self,
        request_id: PathId,
        data: JSONBody[ApproveIn],
        principal: NamedDependency[Principal],
        settings: NamedDependency[Settings],
        now: NamedDependency[datetime],
    ) -> ReplacementOut:
        """Approve a queued request with a reservation."""
        record = await tickets.approve_request(
            request_id, depot=data.depot, actor=principal.username, now=now, hold=hold_terms(settings)
        )
        return _out(record, principal)

    @post(
        "/{request_id:int}/refuse",
        operation_id="refuseReplacementRequest",
        summary="Refuse a request from the dispatcher's queue",
        description="Refuses a `pending_dispatcher` request with a note the customer reads.",
        guards=[allow(*SERVICE_DESK)],
        status_code=HTTP_200_OK,
    )
    @idempotent
    async def refuse(
        self,
        request_id: PathId,
        data: JSONBody[RefuseIn],
        principal: NamedDependency[Principal],
        now: NamedDependency[datetime],
    ) -> ReplacementOut:
        """Refuse a queued request, saying why."""
        record = await tickets.refuse_request(request_id, note=data.note, actor=principal.username, now=now)
        return _out(record, principal)


class AssetPartsController(Controller):
    path = "/assets/{serial:str}/parts"
    tags = ["assets"]
    guards = [allow(*EVERYONE)]

    @get(
        operation_id="listAssetParts",
        summary="Parts that fit an asset",
        description=(
            "The field-replaceable parts of the asset's model: each installed part with its installed "
            "quantity, then its alternates (newer parts that supersede it), with the availability for the "
            "asset's site in words (`four_hours`, `next_business_day`, `not_available`), never stock "
            "figures."
        ),
    )
    async def list_parts(
        self, serial: FromPath[str], principal: NamedDependency[Principal], now: NamedDependency[datetime]
    ) -> AssetPartsOut:
        """What fits the asset, with availability in words."""
        return AssetPartsOut.of(await tickets.asset_parts(serial, viewer=principal.viewer, now=now))
