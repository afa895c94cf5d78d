"""Customer companies, their sites and installed base.

``viewer`` arguments scope a read to one customer company (a customer user): anything else is NotFound.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict
from datetime import datetime
from typing import Any

from inventory.audit.log import append
from inventory.changes import change_of
from inventory.customers.records import AssetRecord, CustomerRecord, SiteRecord
from inventory.customers.tables import Asset, Customer, Site
from inventory.errors import AlreadyExists, InvalidRequest, NotFound
from inventory.persistence import insert_unique, write_transaction

_CUSTOMER_COLUMNS = (
    Customer.code,
    Customer.name,
    Customer.tier,
    Customer.delivery_service,
    Customer.support_hours,
    Customer.secure_media_retention,
    Customer.account_manager,
    Customer.second_line_engineer,
    Customer.classification_level,
    Customer.account_manager_contact,
    Customer.second_line_contact,
    Customer.active,
)
_SITE_COLUMNS = (
    Site.customer.code.as_alias("customer"),
    Site.code,
    Site.name,
    Site.address,
    Site.latitude,
    Site.longitude,
    Site.timezone,
    Site.calendar_region,
    Site.active,
)
_ASSET_COLUMNS = (
    Asset.serial,
    Asset.model,
    Asset.customer.code.as_alias("customer"),
    Asset.site.code.as_alias("site"),
    Asset.accepted_on,
    Asset.warranty_years,
)


async def create_customer(customer: CustomerRecord, *, now: datetime) -> CustomerRecord:
    """Open a customer file.

    Raises:
        AlreadyExists: the code is taken.
    """
    async with write_transaction():
        if await Customer.exists().where(Customer.code == customer.code):
            raise AlreadyExists(f"customer {customer.code} already exists", field="code")
        conflict = AlreadyExists(f"customer {customer.code} already exists", field="code")
        await insert_unique(Customer(**asdict(customer), created_at=now), conflict)
    return customer


async def list_customers(*, viewer: str | None, limit: int, offset: int) -> list[CustomerRecord]:
    """Customers ordered by code (a customer user sees only its own company)."""
    query = Customer.select(*_CUSTOMER_COLUMNS).order_by(Customer.code).limit(limit).offset(offset)
    if viewer is not None:
        query = query.where(Customer.code == viewer)
    return [CustomerRecord(**row) for row in await query]


async def get_customer(code: str, *, viewer: str | None) -> CustomerRecord:
    """One customer.

    Raises:
        NotFound: no such customer, or not the viewer's own.
    """
    if viewer is not None and viewer != code:
        raise NotFound(f"customer {code} not found")
    row = await Customer.select(*_CUSTOMER_COLUMNS).where(Customer.code == code).first()
    if row is None:
        raise NotFound(f"customer {code} not found")
    return CustomerRecord(**row)


async def add_site(site: SiteRecord, *, now: datetime) -> SiteRecord:
    """Add a site to a customer.

    Raises:
        NotFound: no such customer.
        AlreadyExists: the customer already has a site with this code.
    """
    async with write_transaction():
        customer_id = await customer_id_of(site.customer)
        if await Site.exists().where((Site.customer == customer_id) & (Site.code == site.code)):
            raise AlreadyExists(f"customer {site.customer} already has site {site.code}", field="code")
        conflict = AlreadyExists(f"customer {site.customer} already has site {site.code}", field="code")
        await insert_unique(Site(**{**asdict(site), "customer": customer_id}, created_at=now), conflict)
    return site


async def list_sites(customer: str, *, viewer: str | None) -> list[SiteRecord]:
    """A customer's sites, ordered by code."""
    await get_customer(customer, viewer=viewer)
    rows = await Site.select(*_SITE_COLUMNS).where(Site.customer.code == customer).order_by(Site.code)
    return [SiteRecord(**row) for row in rows]


async def sites_by_code(places: Iterable[tuple[str, str]]) -> dict[tuple[str, str], SiteRecord]:
    """The sites named by ``(customer code, site code)`` pairs, e.g. those of a page of tickets, in one
    query; pairs that name no site are left out."""
    wanted = set(places)
    if not wanted:
        return {}
    rows = await Site.select(*_SITE_COLUMNS).where(
        Site.customer.code.is_in(sorted({customer for customer, _ in wanted}))
        & Site.code.is_in(sorted({site for _, site in wanted}))
    )
    found = (SiteRecord(**row) for row in rows)
    return {(site.customer, site.code): site for site in found if (site.customer, site.code) in wanted}


async def create_asset(asset: AssetRecord, *, now: datetime) -> AssetRecord:
    """Register an installed product at one of the customer's sites.

    Raises:
        InvalidRequest: unknown customer, or a site that is not the customer's.
        AlreadyExists: the serial is registered already.
    """
    if asset.warranty_years < 0:
        raise InvalidRequest("warranty_years cannot be negative", field="warranty_years")
    async with write_transaction():
        customer = await Customer.select(Customer.id).where(Customer.code == asset.customer).first()
        if customer is None:
            raise InvalidRequest(f"unknown customer {asset.customer!r}", field="customer")
        site = (
            await Site.select(Site.id)
            .where((Site.customer == customer["id"]) & (Site.code == asset.site))
            .first()
        )
        if site is None:
            raise InvalidRequest(f"customer {asset.customer} has no site {asset.site!r}", field="site")
        if await Asset.exists().where(Asset.serial == asset.serial):
            raise AlreadyExists(f"asset {asset.serial} already exists", field="serial")
        fields = {**asdict(asset), "customer": customer["id"], "site": site["id"]}
        conflict = AlreadyExists(f"asset {asset.serial} already exists", field="serial")
        await insert_unique(Asset(**fields, created_at=now), conflict)
    return asset


async def get_asset(serial: str, *, viewer: str | None) -> AssetRecord:
    """One asset.

    Raises:
        NotFound: no such asset, or not the viewer's company's.
    """
    query = Asset.select(*_ASSET_COLUMNS).where(Asset.serial == serial)
    if viewer is not None:
        query = query.where(Asset.customer.code == viewer)
    row = await query.first()
    if row is None:
        raise NotFound(f"asset {serial} not found")
    return AssetRecord(**row)


async def list_assets(
    *, customer: str | None, viewer: str | None, limit: int, offset: int
) -> list[AssetRecord]:
    """Assets ordered by serial, of one customer if given (a customer user sees only its own)."""
    query = Asset.select(*_ASSET_COLUMNS).order_by(Asset.serial).limit(limit).offset(offset)
    if viewer is not None:
        query = query.where(Asset.customer.code == viewer)
    if customer is not None:
        query = query.where(Asset.customer.code == customer)
    return [AssetRecord(**row) for row in await query]


async def customer_id_of(code: str) -> int:
    """The id of a customer by code.

    Raises:
        NotFound: no such customer.
    """
    row = await Customer.select(Customer.id).where(Customer.code == code).first()
    if row is None:
        raise NotFound(f"customer {code} not found")
    return row["id"]


async def update_customer(
    code: str, fields: Mapping[str, Any], *, actor: str, now: datetime
) -> CustomerRecord:
    """Change a customer's fields (its code stays), or deactivate it (``active: false``: it opens no new
    tickets, and everything of it stays readable). Audited as ``customer.changed`` with the values
    before and after; a request that changes nothing writes nothing.

    Raises:
        NotFound: no such customer.
    """
    async with write_transaction():
        current = await get_customer(code, viewer=None)
        change = change_of(asdict(current), fields)
        if change:
            await Customer.update(change.after).where(Customer.code == code)
            await append("customer.changed", f"customer:{code}", change.payload(), actor=actor, at=now)
    return CustomerRecord(**{**asdict(current), **change.after})


async def update_site(
    customer: str, code: str, fields: Mapping[str, Any], *, actor: str, now: datetime
) -> SiteRecord:
    """Change a site's fields (its code stays), or deactivate it (no new tickets there; it stays
    readable). Audited as ``site.changed`` with the values before and after.

    Raises:
        NotFound: no such customer or site.
    """
    async with write_transaction():
        customer_id = await customer_id_of(customer)
        row = (
            await Site.select(*_SITE_COLUMNS)
            .where((Site.customer == customer_id) & (Site.code == code))
            .first()
        )
        if row is None:
            raise NotFound(f"customer {customer} has no site {code}")
        current = SiteRecord(**row)
        change = change_of(asdict(current), fields)
        if change:
            await Site.update(change.after).where((Site.customer == customer_id) & (Site.code == code))
            subject = f"site:{customer}/{code}"
            await append("site.changed", subject, change.payload(), actor=actor, at=now)
    return SiteRecord(**{**asdict(current), **change.after})


async def update_asset(serial: str, fields: Mapping[str, Any], *, actor: str, now: datetime) -> AssetRecord:
    """Change an asset's model, warranty years or site (another site of the same customer). Audited as
    ``asset.changed`` with the values before and after.

    Raises:
        NotFound: no such asset.
        InvalidRequest: a site that is not the customer's.
    """
    async with write_transaction():
        current = await get_asset(serial, viewer=None)
        change = change_of(asdict(current), fields)
        if change:
            values: dict[Any, Any] = {getattr(Asset, name): value for name, value in change.after.items()}
            if "site" in change.after:
                site = (
                    await Site.select(Site.id)
                    .where((Site.customer.code == current.customer) & (Site.code == change.after["site"]))
                    .first()
                )
                if site is None:
                    raise InvalidRequest(
                        f"customer {current.customer} has no site {change.after['site']!r}", field="site"
                    )
                values[Asset.site] = site["id"]
            await Asset.update(values).where(Asset.serial == serial)
            await append("asset.changed", f"asset:{serial}", change.payload(), actor=actor, at=now)
    return AssetRecord(**{**asdict(current), **change.after})
