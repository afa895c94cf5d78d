"""Customer files: companies, sites and the installed base with warranty coverage."""

from __future__ import annotations

from datetime import datetime

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody

from api.idempotency import idempotent
from api.pagination import Page, PageRequest, page_of
from api.schemas.service import AssetIn, AssetOut, Customer, SiteIn, SiteOut
from api.security import allow
from inventory import customers, tickets
from inventory.accounts import EVERYONE, Principal, Role
from inventory.time_window import TimeBounds, check_acceptance_day

SERVICE_DESK = (Role.ADMIN, Role.DISPATCHER)


class CustomerController(Controller):
    path = "/customers"
    tags = ["customers"]
    guards = [allow(*EVERYONE)]

    @get(operation_id="listCustomers")
    async def list_customers(
        self, page: NamedDependency[PageRequest], principal: NamedDependency[Principal]
    ) -> Page[Customer]:
        """Customer companies by code; a customer user sees only its own."""
        rows = await customers.list_customers(viewer=principal.viewer, limit=page.fetch, offset=page.offset)
        return page_of([Customer.of(row) for row in rows], page)

    @get("/{code:str}", operation_id="getCustomer")
    async def get_customer(self, code: FromPath[str], principal: NamedDependency[Principal]) -> Customer:
        """One customer company (404 for a customer user asking about another company)."""
        return Customer.of(await customers.get_customer(code, viewer=principal.viewer))

    @post(operation_id="createCustomer", guards=[allow(Role.ADMIN)])
    @idempotent
    async def create_customer(self, data: JSONBody[Customer], now: NamedDependency[datetime]) -> Customer:
        """Open a customer file with its tier and entitlement options (admin)."""
        return Customer.of(await customers.create_customer(data.to_record(), now=now))

    @get("/{code:str}/sites", operation_id="listSites")
    async def list_sites(self, code: FromPath[str], principal: NamedDependency[Principal]) -> list[SiteOut]:
        """A customer's sites."""
        rows = await customers.list_sites(code, viewer=principal.viewer)
        return [SiteOut.model_validate(row, from_attributes=True) for row in rows]

    @post("/{code:str}/sites", operation_id="addSite", guards=[allow(*SERVICE_DESK)])
    @idempotent
    async def add_site(
        self, code: FromPath[str], data: JSONBody[SiteIn], now: NamedDependency[datetime]
    ) -> SiteOut:
        """Add a site with its coordinates, time zone and calendar region (admin, dispatcher)."""
        record = await customers.add_site(data.to_record(code), now=now)
        return SiteOut.model_validate(record, from_attributes=True)


class AssetController(Controller):
    path = "/assets"
    tags = ["assets"]
    guards = [allow(*EVERYONE)]

    @get(operation_id="listAssets")
    async def list_assets(
        self,
        page: NamedDependency[PageRequest],
        principal: NamedDependency[Principal],
        now: NamedDependency[datetime],
        customer: FromQuery[str | None] = None,
    ) -> Page[AssetOut]:
        """Assets by serial with their coverage; a customer user sees only its own."""
        rows = await tickets.list_covered_assets(
            customer=customer, viewer=principal.viewer, limit=page.fetch, offset=page.offset, now=now
        )
        return page_of([AssetOut.of(row) for row in rows], page)

    @get("/{serial:str}", operation_id="getAsset")
    async def get_asset(
        self, serial: FromPath[str], principal: NamedDependency[Principal], now: NamedDependency[datetime]
    ) -> AssetOut:
        """One asset with its warranty end (extended by downtime) and coverage phase today."""
        return AssetOut.of(await tickets.get_covered_asset(serial, viewer=principal.viewer, now=now))

    @post(operation_id="createAsset", guards=[allow(*SERVICE_DESK)])
    @idempotent
    async def create_asset(
        self,
        data: JSONBody[AssetIn],
        now: NamedDependency[datetime],
        time_bounds: NamedDependency[TimeBounds],
    ) -> AssetOut:
        """Register an installed product at a customer site (admin, dispatcher)."""
        check_acceptance_day("accepted_on", data.accepted_on, today=now.date(), bounds=time_bounds)
        (created,) = await tickets.covered([await customers.create_asset(data.to_record(), now=now)], now)
        return AssetOut.of(created)
