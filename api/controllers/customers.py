"""Customer files: companies, sites and the installed base with warranty coverage."""

from __future__ import annotations

from datetime import datetime

from litestar import Controller, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody

from api.idempotency import idempotent
from api.pagination import Page, PageRequest, page_of
from api.schemas.master_data import AssetPatch, CustomerPatch, SitePatch
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

    @get(
        operation_id="listCustomers",
        summary="List customer companies",
        description=(
            "Customer companies by code with their tier, delivery service (next business day or 4 "
            "hours), support hours, secure media retention and contacts."
        ),
    )
    async def list_customers(
        self, page: NamedDependency[PageRequest], principal: NamedDependency[Principal]
    ) -> Page[Customer]:
        """Customer companies by code; a customer user sees only its own."""
        rows = await customers.list_customers(viewer=principal.viewer, limit=page.fetch, offset=page.offset)
        return page_of([Customer.of(row) for row in rows], page)

    @get(
        "/{code:str}",
        operation_id="getCustomer",
        summary="Get a customer company",
        description="One customer company by its code (e.g. `ZHB`, Zhonghe Bank).",
    )
    async def get_customer(self, code: FromPath[str], principal: NamedDependency[Principal]) -> Customer:
        """One customer company (404 for a customer user asking about another company)."""
        return Customer.of(await customers.get_customer(code, viewer=principal.viewer))

    @post(
        operation_id="createCustomer",
        summary="Open a customer file",
        description=(
            "Adds a customer company with its tier (standard, premium, platinum: priority for parts), "
            "delivery service, support hours (business hours or 7x24), whether it keeps its failed "
            "data-bearing parts, and its contacts. 409 if the code is taken."
        ),
        guards=[allow(Role.ADMIN)],
    )
    @idempotent
    async def create_customer(self, data: JSONBody[Customer], now: NamedDependency[datetime]) -> Customer:
        """Open a customer file with its tier and entitlement options (admin)."""
        return Customer.of(await customers.create_customer(data.to_record(), now=now))

    @get(
        "/{code:str}/sites",
        operation_id="listSites",
        summary="List a customer's sites",
        description="The company's sites with their address, coordinates, time zone and calendar region.",
    )
    async def list_sites(self, code: FromPath[str], principal: NamedDependency[Principal]) -> list[SiteOut]:
        """A customer's sites."""
        rows = await customers.list_sites(code, viewer=principal.viewer)
        return [SiteOut.model_validate(row, from_attributes=True) for row in rows]

    @post(
        "/{code:str}/sites",
        operation_id="addSite",
        summary="Add a site",
        description=(
            "Adds a site to a customer company. Its coordinates place it for depot sourcing and routes; "
            "its time zone and calendar region set its business hours and delivery windows. 409 if the "
            "company already has a site with this code."
        ),
        guards=[allow(*SERVICE_DESK)],
    )
    @idempotent
    async def add_site(
        self, code: FromPath[str], data: JSONBody[SiteIn], now: NamedDependency[datetime]
    ) -> SiteOut:
        """Add a site with its coordinates, time zone and calendar region (admin, dispatcher)."""
        record = await customers.add_site(data.to_record(code), now=now)
        return SiteOut.model_validate(record, from_attributes=True)

    @patch(
        "/{code:str}",
        operation_id="changeCustomer",
        summary="Change or deactivate a customer",
        description=(
            "Changes the fields given (name, tier, delivery service, support hours, secure media "
            "retention, contacts, classification); the code stays. Tickets already open keep the terms "
            "they were opened with. `active: false` deactivates the company instead of deleting it: it "
            "opens no new tickets (409 `inactive`) and everything of it stays readable. Audited as "
            "`customer.changed` with the values before and after; a request that changes nothing writes "
            "nothing."
        ),
        guards=[allow(Role.ADMIN)],
    )
    @idempotent
    async def change_customer(
        self,
        code: FromPath[str],
        data: JSONBody[CustomerPatch],
        principal: NamedDependency[Principal],
        now: NamedDependency[datetime],
    ) -> Customer:
        """Change a customer's fields or deactivate it (admin); audited before and after."""
        record = await customers.update_customer(code, data.fields(), actor=principal.username, now=now)
        return Customer.of(record)

    @patch(
        "/{code:str}/sites/{site:str}",
        operation_id="changeSite",
        summary="Change or deactivate a site",
        description=(
            "Changes the fields given (name, address, coordinates, time zone, calendar region); the "
            "code stays. Tickets already open keep their deadlines. `active: false` deactivates the "
            "site instead of deleting it: it gets no new tickets (409 `inactive`) and stays readable. "
            "Audited as `site.changed` with the values before and after."
        ),
        guards=[allow(*SERVICE_DESK)],
    )
    @idempotent
    async def change_site(
        self,
        code: FromPath[str],
        site: FromPath[str],
        data: JSONBody[SitePatch],
        principal: NamedDependency[Principal],
        now: NamedDependency[datetime],
    ) -> SiteOut:
        """Change a site's fields or deactivate it (admin, dispatcher); audited before and after."""
        record = await customers.update_site(code, site, data.fields(), actor=principal.username, now=now)
        return SiteOut.model_validate(record, from_attributes=True)


class AssetController(Controller):
    path = "/assets"
    tags = ["assets"]
    guards = [allow(*EVERYONE)]

    @get(
        operation_id="listAssets",
        summary="List assets",
        description=(
            "The installed base by serial, of one `customer` if given, each with its warranty end "
            "(extended by downtime the user did not cause) and its coverage phase today."
        ),
    )
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

    @get(
        "/{serial:str}",
        operation_id="getAsset",
        summary="Get an asset",
        description=(
            "One installed product by serial, with its warranty end (extended by downtime the user did "
            "not cause) and its coverage phase today."
        ),
    )
    async def get_asset(
        self, serial: FromPath[str], principal: NamedDependency[Principal], now: NamedDependency[datetime]
    ) -> AssetOut:
        """One asset with its warranty end (extended by downtime) and coverage phase today."""
        return AssetOut.of(await tickets.get_covered_asset(serial, viewer=principal.viewer, now=now))

    @post(
        operation_id="createAsset",
        summary="Register an asset",
        description=(
            "Registers an installed product at a customer's site with the day it was accepted and its "
            "warranty years; the answer carries its warranty end and coverage phase. 409 if the serial "
            "is registered."
        ),
        guards=[allow(*SERVICE_DESK)],
    )
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

    @patch(
        "/{serial:str}",
        operation_id="changeAsset",
        summary="Change an asset",
        description=(
            "Changes the asset's model, warranty years or site (another site of the same customer: 422 "
            "otherwise); the answer carries its warranty end and coverage phase again. Audited as "
            "`asset.changed` with the values before and after."
        ),
        guards=[allow(*SERVICE_DESK)],
    )
    @idempotent
    async def change_asset(
        self,
        serial: FromPath[str],
        data: JSONBody[AssetPatch],
        principal: NamedDependency[Principal],
        now: NamedDependency[datetime],
    ) -> AssetOut:
        """Change an asset's model, warranty years or site (admin, dispatcher); audited."""
        record = await customers.update_asset(serial, data.fields(), actor=principal.username, now=now)
        (changed,) = await tickets.covered([record], now)
        return AssetOut.of(changed)
