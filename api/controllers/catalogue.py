"""Depots and parts."""

from __future__ import annotations

from datetime import datetime

from litestar import Controller, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody

from api.idempotency import idempotent
from api.pagination import Page, PageRequest, page_of
from api.schemas.master_data import DepotPatch, PartPatch
from api.schemas.stock import Depot, Part
from api.security import allow
from inventory import stock
from inventory.accounts import STAFF, Principal, Role

WRITERS = (Role.ADMIN, Role.WAREHOUSE)


class DepotController(Controller):
    path = "/depots"
    tags = ["depots"]
    guards = [allow(*STAFF)]

    @get(
        operation_id="listDepots",
        summary="List depots",
        description=(
            "Depots by code: central warehouses, regional hubs and forward stocking locations, with "
            "their coordinates, time zone, calendar region and order cut-off."
        ),
    )
    async def list_depots(self, page: NamedDependency[PageRequest]) -> Page[Depot]:
        """Depots ordered by code."""
        rows = await stock.list_depots(limit=page.fetch, offset=page.offset)
        return page_of([Depot.of(row) for row in rows], page)

    @get(
        "/{code:str}",
        operation_id="getDepot",
        summary="Get a depot",
        description="One depot by its code (e.g. `PEK-C`, the Beijing central warehouse).",
    )
    async def get_depot(self, code: FromPath[str]) -> Depot:
        """One depot."""
        return Depot.of(await stock.get_depot(code))

    @post(
        operation_id="createDepot",
        summary="Register a depot",
        description=(
            "Adds a depot with its kind, coordinates, time zone, calendar region and the local order "
            "cut-off after which an order ships a day later. It holds nothing until a receipt or a "
            "transfer brings stock. 409 if the code is taken."
        ),
        guards=[allow(*WRITERS)],
    )
    @idempotent
    async def create_depot(self, data: JSONBody[Depot], now: NamedDependency[datetime]) -> Depot:
        """Register a depot (admin, warehouse). 409 if the code is taken."""
        return Depot.of(await stock.create_depot(data.to_record(), now=now))

    @patch(
        "/{code:str}",
        operation_id="changeDepot",
        summary="Change or deactivate a depot",
        description=(
            "Changes the fields given (name, kind, coordinates, time zone, calendar region, order "
            "cut-off); the code stays. `active: false` deactivates it instead of deleting it: it stays "
            "readable with its stock and history, its stock can still be sent away, but receipts, "
            "transfers to it and reservations at it get 409 `inactive`, and reservations no longer "
            "choose it. Every change is an audit entry (`depot.changed`) with the values before and "
            "after; a request that changes nothing writes nothing."
        ),
        guards=[allow(*WRITERS)],
    )
    @idempotent
    async def change_depot(
        self,
        code: FromPath[str],
        data: JSONBody[DepotPatch],
        principal: NamedDependency[Principal],
        now: NamedDependency[datetime],
    ) -> Depot:
        """Change a depot's fields or deactivate it (admin, warehouse); audited before and after."""
        return Depot.of(await stock.update_depot(code, data.fields(), actor=principal.username, now=now))


class PartController(Controller):
    path = "/parts"
    tags = ["parts"]
    guards = [allow(*STAFF)]

    @get(
        operation_id="listParts",
        summary="List parts",
        description=(
            "The catalogue by part number, of one `category` if given: description, serialized or bulk, "
            "secure media (data-bearing) or not, unit cost, weight and volume."
        ),
    )
    async def list_parts(
        self, page: NamedDependency[PageRequest], category: FromQuery[str | None] = None
    ) -> Page[Part]:
        """Parts ordered by part number, optionally of one category."""
        rows = await stock.list_parts(category=category, limit=page.fetch, offset=page.offset)
        return page_of([Part.of(row) for row in rows], page)

    @get(
        "/{part_number:str}",
        operation_id="getPart",
        summary="Get a part",
        description="One part number of the catalogue (e.g. `HDD-SAS-1T2-10K`).",
    )
    async def get_part(self, part_number: FromPath[str]) -> Part:
        """One part."""
        return Part.of(await stock.get_part(part_number))

    @post(
        operation_id="createPart",
        summary="Add a part number",
        description=(
            "Adds a part number to the catalogue. A serialized part is received and moved unit by unit, "
            "a bulk part by batch and quantity; a failed secure media unit of a classified customer "
            "stays with the customer under a retention record. 409 if the part number exists."
        ),
        guards=[allow(*WRITERS)],
    )
    @idempotent
    async def create_part(self, data: JSONBody[Part], now: NamedDependency[datetime]) -> Part:
        """Add a part number to the catalogue (admin, warehouse). 409 if it exists."""
        return Part.of(await stock.create_part(data.to_record(), now=now))

    @patch(
        "/{part_number:str}",
        operation_id="changePart",
        summary="Change or deactivate a part",
        description=(
            "Changes the fields given (description, category, secure media, unit cost, weight, volume); "
            "the part number and whether it is serialized stay. `active: false` deactivates it instead "
            "of deleting it: it stays readable with its stock and history, but receipts, transfers and "
            "reservations of it get 409 `inactive`. Every change is an audit entry (`part.changed`) with "
            "the values before and after; a request that changes nothing writes nothing."
        ),
        guards=[allow(*WRITERS)],
    )
    @idempotent
    async def change_part(
        self,
        part_number: FromPath[str],
        data: JSONBody[PartPatch],
        principal: NamedDependency[Principal],
        now: NamedDependency[datetime],
    ) -> Part:
        """Change a part's fields or deactivate it (admin, warehouse); audited before and after."""
        return Part.of(await stock.update_part(part_number, data.fields(), actor=principal.username, now=now))
