"""How reserved parts reach their sites: a ticket's fulfilment, collections, the dispatcher's list."""

from __future__ import annotations

from datetime import datetime

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody
from litestar.status_codes import HTTP_200_OK

from api.idempotency import idempotent
from api.pagination import Page, PageRequest, page_of
from api.params import PathId
from api.schemas.fulfilment import AttentionOut, CollectionIn, TicketFulfilmentOut
from api.security import allow
from inventory import tickets
from inventory.accounts import EVERYONE, Principal, Role

DISPATCHERS = (Role.ADMIN, Role.DISPATCHER)


class FulfilmentController(Controller):
    path = "/"
    tags = ["fulfilment"]
    guards = [allow(*EVERYONE)]

    @get(
        "/tickets/{ticket_id:int}/fulfilment",
        operation_id="getTicketFulfilment",
        summary="How a ticket's parts reach its site",
        description=(
            "Per reservation of the ticket: how its part reaches the site (a courier van, the engineer "
            "who collects it, or the customer's own collection; or not arranged yet), by whom, the "
            "committed ETA (the sourcing estimate until a way is committed) and its status; the "
            "engineer's committed visit; whether the ticket is at risk and by how much. Everyone may "
            "read it; customers only for their own tickets, without vans, engineers and plans."
        ),
    )
    async def get_fulfilment(
        self, ticket_id: PathId, principal: NamedDependency[Principal]
    ) -> TicketFulfilmentOut:
        """How each reserved part of the ticket reaches its site, with the committed ETA."""
        fulfilment = await tickets.ticket_fulfilment(ticket_id, viewer=principal.viewer)
        return TicketFulfilmentOut.of(fulfilment, staff=principal.viewer is None)

    @post(
        "/reservations/{reservation_id:int}/collection",
        operation_id="arrangeCollection",
        summary="Arrange a collection by the customer",
        description=(
            "The customer collects the reserved part at its depot at `at`: that becomes the part's one "
            "way to the site, and its ETA. Arranging it again moves the time. 409 if a committed plan "
            "already brings the part (naming the plan and stop) or the reservation no longer holds it. "
            "Dispatchers and admins."
        ),
        guards=[allow(*DISPATCHERS)],
        status_code=HTTP_200_OK,
    )
    @idempotent
    async def arrange_collection(
        self,
        reservation_id: PathId,
        data: JSONBody[CollectionIn],
        principal: NamedDependency[Principal],
        now: NamedDependency[datetime],
    ) -> TicketFulfilmentOut:
        """The customer collects the part at the depot at ``at``; answers the ticket's fulfilment."""
        fulfilment = await tickets.arrange_collection(
            reservation_id, data.at, actor=principal.username, now=now
        )
        return TicketFulfilmentOut.of(fulfilment, staff=True)

    @get(
        "/dispatch/attention",
        operation_id="listDispatchAttention",
        summary="The dispatcher's attention list",
        description=(
            "Tickets that lost what was arranged for them, oldest first: `preempted`, their reserved "
            "part went to a more urgent ticket (naming the committed plan and stop that carried it); "
            "`stop_failed`, a committed stop for them failed (the note gives the reason reported; the "
            "next re-plan plans it again). "
            "Open items only unless `resolved=true` lists every item. Dispatchers and admins."
        ),
        guards=[allow(*DISPATCHERS)],
    )
    async def list_attention(
        self, page: NamedDependency[PageRequest], resolved: FromQuery[bool] = False
    ) -> Page[AttentionOut]:
        """Open items of the dispatcher's list (every item with ``resolved=true``), oldest first."""
        items = await tickets.attention_list(limit=page.fetch, offset=page.offset, open_only=not resolved)
        return page_of([AttentionOut.of(item) for item in items], page)

    @post(
        "/dispatch/attention/{item_id:int}/resolve",
        operation_id="resolveDispatchAttention",
        summary="Resolve an item of the dispatcher's list",
        description="Takes the item off the list, recording who and when. Dispatchers and admins.",
        guards=[allow(*DISPATCHERS)],
        status_code=HTTP_200_OK,
    )
    @idempotent
    async def resolve_attention(
        self, item_id: PathId, principal: NamedDependency[Principal], now: NamedDependency[datetime]
    ) -> AttentionOut:
        """Take the item off the dispatcher's list."""
        return AttentionOut.of(await tickets.resolve_attention(item_id, actor=principal.username, now=now))
