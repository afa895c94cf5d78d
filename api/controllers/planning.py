"""Replenishment: the depot hierarchy, stock policies, and suggestions to accept."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from litestar import Controller, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody, PathParameter
from litestar.status_codes import HTTP_200_OK

from api.idempotency import idempotent
from api.pagination import Page, PageRequest, page_of
from api.schemas.planning import (
    AcceptedOut,
    PolicyIn,
    PolicyOut,
    SuggestionOut,
    SupplyRouteIn,
    SupplyRouteOut,
)
from api.security import allow
from inventory import planning
from inventory.accounts import STAFF, Principal, Role

PLANNERS = (Role.ADMIN, Role.WAREHOUSE)

SuggestionId = Annotated[
    str,
    PathParameter(
        min_length=20,
        max_length=64,
        pattern=r"^[0-9]+-[0-9]+-[0-9a-f]{16}$",
        description="A suggestion's id.",
    ),
]


class StockPolicyController(Controller):
    path = "/stock/policies"
    tags = ["replenishment"]
    guards = [allow(*STAFF)]

    @get(
        operation_id="listStockPolicies",
        summary="List a depot's stock policies",
        description=(
            "The stock policies of a `depot` by part number (one part with `part_number`): min/max, reorder "
            "point and order-up-to level, or `auto`, with the levels in force; an auto policy's come from "
            "the part's stored demand forecast at the depot, which is shown."
        ),
    )
    async def list_policies(
        self,
        page: NamedDependency[PageRequest],
        depot: FromQuery[str],
        part_number: FromQuery[str | None] = None,
    ) -> Page[PolicyOut]:
        """A depot's stock policies with the levels in force."""
        rows = await planning.list_policies(
            depot=depot, part_number=part_number, limit=page.fetch, offset=page.offset
        )
        return page_of([PolicyOut.model_validate(row) for row in rows], page)

    @put(
        operation_id="setStockPolicy",
        summary="Set a depot's stock policy for a part",
        description=(
            "Replaces the policy of a part at a depot: `min_max` (below the reorder level, order up to the "
            "target), `reorder_point` (at or below it) or `auto` (no levels: the forecast's). 422 for "
            "levels that do not fit the kind or an unknown depot or part."
        ),
        guards=[allow(*PLANNERS)],
        status_code=HTTP_200_OK,
    )
    @idempotent
    async def set_policy(
        self, data: JSONBody[PolicyIn], principal: NamedDependency[Principal], now: NamedDependency[datetime]
    ) -> PolicyOut:
        """Set the policy of a part at a depot."""
        record = await planning.set_policy(
            depot=data.depot,
            part_number=data.part_number,
            kind=data.kind,
            reorder_level=data.reorder_level,
            target_level=data.target_level,
            actor=principal.username,
            now=now,
        )
        return PolicyOut.model_validate(record)


class ReplenishmentController(Controller):
    path = "/replenishment"
    tags = ["replenishment"]
    guards = [allow(*STAFF)]

    @get(
        "/hierarchy",
        operation_id="listSupplyRoutes",
        summary="Read the depot hierarchy",
        description=(
            "Which depot supplies each depot and with what lead time; a depot without a supplying depot "
            "buys from suppliers (the top of the hierarchy)."
        ),
    )
    async def hierarchy(self) -> list[SupplyRouteOut]:
        """Every depot's supply route."""
        return [SupplyRouteOut.model_validate(row) for row in await planning.supply_routes()]

    @put(
        "/hierarchy",
        operation_id="setSupplyRoute",
        summary="Set where a depot's stock comes from",
        description=(
            "Sets the depot that supplies `depot` (none: it buys from suppliers) and the lead time in days. "
            "422 for a route that would make the hierarchy a cycle."
        ),
        guards=[allow(*PLANNERS)],
        status_code=HTTP_200_OK,
    )
    @idempotent
    async def set_route(
        self,
        data: JSONBody[SupplyRouteIn],
        principal: NamedDependency[Principal],
        now: NamedDependency[datetime],
    ) -> SupplyRouteOut:
        """Set a depot's supply route."""
        record = await planning.set_supply_route(
            data.depot,
            supplier_depot=data.supplier_depot,
            lead_time_days=data.lead_time_days,
            actor=principal.username,
            now=now,
        )
        return SupplyRouteOut.model_validate(record)

    @get(
        "/suggestions",
        operation_id="listReplenishmentSuggestions",
        summary="Suggest what a depot should order",
        description=(
            "For each part whose policy is triggered at the `depot`: a transfer from its supplying depot (as "
            "far as that has stock available) or, at the top of the hierarchy, a purchase, up to the target "
            "level, with the reasons: the policy and its levels, the forecast, the lead time, on hand, "
            "reserved, in transit and on order. A suggestion's id changes with any of them."
        ),
    )
    async def suggestions(
        self, page: NamedDependency[PageRequest], depot: FromQuery[str]
    ) -> Page[SuggestionOut]:
        """A depot's replenishment suggestions with their reasons."""
        found = await planning.suggestions(depot)
        window = found[page.offset : page.offset + page.fetch]
        return page_of([SuggestionOut.model_validate(row) for row in window], page)

    @post(
        "/suggestions/{suggestion_id:str}/accept",
        operation_id="acceptReplenishmentSuggestion",
        summary="Accept a replenishment suggestion",
        description=(
            "A transfer suggestion dispatches the transfer from the supplying depot; a purchase is recorded "
            "as on order until stock of the part is received at the depot. 409 if the suggestion was "
            "accepted before (`suggestion-accepted`) or the stock, policy, route or forecast it rests on has "
            "changed (`suggestion-stale`: ask for the suggestions again); 404 for an unknown id."
        ),
        guards=[allow(*PLANNERS)],
        status_code=HTTP_200_OK,
    )
    @idempotent
    async def accept(
        self,
        suggestion_id: SuggestionId,
        principal: NamedDependency[Principal],
        now: NamedDependency[datetime],
    ) -> AcceptedOut:
        """Accept a suggestion once: the transfer is dispatched, or the purchase is on order."""
        return AcceptedOut.model_validate(
            await planning.accept(suggestion_id, actor=principal.username, now=now)
        )
