"""Customer companies: the file every customer has, with its tier and entitlement options."""

from inventory.customers.records import AssetRecord, CustomerRecord, SiteRecord
from inventory.customers.service import (
    add_site,
    create_asset,
    create_customer,
    get_asset,
    get_customer,
    list_assets,
    list_customers,
    list_sites,
    sites_by_code,
    update_asset,
    update_customer,
    update_site,
)

__all__ = [
    "AssetRecord",
    "CustomerRecord",
    "SiteRecord",
    "add_site",
    "create_asset",
    "create_customer",
    "get_asset",
    "get_customer",
    "list_assets",
    "list_customers",
    "list_sites",
    "sites_by_code",
    "update_asset",
    "update_customer",
    "update_site",
]
