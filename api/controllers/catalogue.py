"""Depots and parts."""

from __future__ import annotations

from datetime import datetime

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody

from api.idempotency import idempotent
from api.pagination import Page, PageRequest, page_of
from api.schemas.stock import Depot, Part
from api.security import allow
from inventory import stock
from inventory.accounts import STAFF, Role

WRITERS = (Role.ADMIN, Role.WAREHOUSE)


class DepotController(Controller):
    path = "/depots"
    tags = ["depots"]
    guards = [allow(*STAFF)]

    @get(operation_id="listDepots")
    async def list_depots(self, page: NamedDependency[PageRequest]) -> Page[Depot]:
        """Depots ordered by code."""
        rows = await stock.list_depots(limit=page.fetch, offset=page.offset)
        return page_of([Depot.of(row) for row in rows], page)

    @get("/{code:str}", operation_id="getDepot")
    async def get_depot(self, code: FromPath[str]) -> Depot:
        """One depot."""
        return Depot.of(await stock.get_depot(code))

    @post(operation_id="createDepot", guards=[allow(*WRITERS)])
    @idempotent
    async def create_depot(self, data: JSONBody[Depot], now: NamedDependency[datetime]) -> Depot:
        """Register a depot (admin, warehouse). 409 if the code is taken."""
        return Depot.of(await stock.create_depot(data.to_record(), now=now))


class PartController(Controller):
    path = "/parts"
    tags = ["parts"]
    guards = [allow(*STAFF)]

    @get(operation_id="listParts")
    async def list_parts(
        self, page: NamedDependency[PageRequest], category: FromQuery[str | None] = None
    ) -> Page[Part]:
        """Parts ordered by part number, optionally of one category."""
        rows = await stock.list_parts(category=category, limit=page.fetch, offset=page.offset)
        return page_of([Part.of(row) for row in rows], page)

    @get("/{part_number:str}", operation_id="getPart")
    async def get_part(self, part_number: FromPath[str]) -> Part:
        """One part."""
        return Part.of(await stock.get_part(part_number))

    @post(operation_id="createPart", guards=[allow(*WRITERS)])
    @idempotent
    async def create_part(self, data: JSONBody[Part], now: NamedDependency[datetime]) -> Part:
        """Add a part number to the catalogue (admin, warehouse). 409 if it exists."""
        return Part.of(await stock.create_part(data.to_record(), now=now))
