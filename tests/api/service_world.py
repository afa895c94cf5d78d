"""A service-desk world on top of the stock world: customers of each tier, sites, assets, stock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from inventory.persistence import write_transaction
from inventory.tickets.bill_of_parts import set_bill
from inventory.tickets.fit import BillLine
from tests.api.conftest import World, receive, units

SHANGHAI = ZoneInfo("Asia/Shanghai")
MODEL = "R2-G4 server"
"""The model of every asset of the world; its bill of parts is the stock world's disk, eight installed."""

CUSTOMERS = {
    # code: tier, delivery, hours, retention
    "PLAT": ("platinum", "4h", "7x24", True),
    "PREM": ("premium", "4h", "7x24", False),
    "STD": ("standard", "nbd", "business", False),
}
# site code, customer, latitude, longitude (Beijing, Shanghai and Guangzhou business districts)
SITES = {
    "PLAT": ("BJ-DC1", 39.9087, 116.3975),
    "PREM": ("SH-DC1", 31.2397, 121.4998),
    "STD": ("BJ-OFFICE", 39.9150, 116.4040),
    "ACME": ("GZ-HQ", 23.1200, 113.3200),
}


@dataclass(frozen=True)
class ServiceWorld:
    stock: World
    assets: dict[str, str]

    @property
    def headers(self) -> dict[str, dict[str, str]]:
        return self.stock.headers


def local(*args: int) -> datetime:
    """A Shanghai wall-clock time."""
    return datetime(*args, tzinfo=SHANGHAI)


async def build(client, world: World) -> ServiceWorld:
    admin = world.headers["admin"]
    for code, (tier, delivery, hours, retention) in CUSTOMERS.items():
        response = await client.post(
            "/api/v1/customers",
            json={
                "code": code,
                "name": f"{code} Corp",
                "tier": tier,
                "delivery_service": delivery,
                "support_hours": hours,
                "secure_media_retention": retention,
                "classification_level": "secret" if retention else "",
            },
            headers=admin,
        )
        assert response.status_code == 201, response.text
    assets = {}
    for customer, (site, lat, lon) in SITES.items():
        response = await client.post(
            f"/api/v1/customers/{customer}/sites",
            json={
                "code": site,
                "name": site,
                "address": f"{site} street 1",
                "latitude": lat,
                "longitude": lon,
                "timezone": "Asia/Shanghai",
                "calendar_region": "CN",
            },
            headers=world.headers["dispatcher"],
        )
        assert response.status_code == 201, response.text
        serial = f"SRV-{customer}-1"
        response = await client.post(
            "/api/v1/assets",
            json={
                "serial": serial,
                "model": MODEL,
                "customer": customer,
                "site": site,
                "accepted_on": "2025-06-01",
                "warranty_years": 3,
            },
            headers=admin,
        )
        assert response.status_code == 201, response.text
        assets[customer] = serial
    async with write_transaction():  # the disk fits the servers: eight are installed in each
        await set_bill(MODEL, [BillLine(world.disk, 8)], now=datetime.now(UTC))
    return ServiceWorld(stock=world, assets=assets)


async def stock_disks(client, world: World, depot: str, count: int, prefix: str = "D") -> None:
    response = await receive(
        client, world, depot, [{"part_number": world.disk, "units": units(prefix, count)}]
    )
    assert response.status_code == 201, response.text


async def open_ticket(client, sworld: ServiceWorld, customer: str, *, headers=None, **fields) -> dict:
    body = {
        "customer": customer,
        "site": SITES[customer][0],
        "asset_serial": sworld.assets[customer],
        "severity": "critical",
        "summary": "disk failed",
        **fields,
    }
    response = await client.post(
        "/api/v1/tickets", json=body, headers=headers or sworld.headers["dispatcher"]
    )
    assert response.status_code == 201, response.text
    return response.json()
