"""API fixtures: users of every role with their bearer tokens, and a small stocked world."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from httpx import AsyncClient

from api.settings import Settings
from inventory.accounts import Role, create_user
from inventory.customers.tables import Customer

PASSWORD = "correct horse battery"


@dataclass(frozen=True)
class World:
    """Depots, parts and role headers a test works with."""

    headers: dict[str, dict[str, str]]
    depots: tuple[str, ...] = ("PEK-C", "SHA-C", "CAN-R")
    disk: str = "HDD-SAS-1T2-10K"
    psu: str = "PSU-800W-PLATINUM"
    cable: str = "CBL-DAC-25G-1M"


async def login(client: AsyncClient, username: str, password: str = PASSWORD) -> dict[str, str]:
    response = await client.post("/api/v1/auth/token", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture
async def headers(client: AsyncClient, settings: Settings) -> dict[str, dict[str, str]]:
    """``role -> Authorization header`` for one user of each role (the customer belongs to ACME)."""
    now = datetime.now(UTC)
    await Customer.insert(
        Customer(code="ACME", name="Acme Bank", tier="premium", created_at=now),
        Customer(code="OTHER", name="Other Corp", tier="standard", created_at=now),
    )
    passwords = settings.passwords()
    for role in Role:
        await create_user(
            username=role.value,
            password=PASSWORD,
            role=role,
            customer="ACME" if role is Role.CUSTOMER else None,
            passwords=passwords,
            now=now,
        )
    return {role.value: await login(client, role.value) for role in Role}


@pytest.fixture
async def world(client: AsyncClient, headers: dict[str, dict[str, str]]) -> World:
    """Three depots and three parts (a secure serialized disk, a serialized PSU, a bulk cable)."""
    world = World(headers=headers)
    admin = headers["admin"]
    for code, kind, lat, lon in (
        ("PEK-C", "central", 39.9042, 116.4074),
        ("SHA-C", "central", 31.2304, 121.4737),
        ("CAN-R", "regional", 23.1291, 113.2644),
    ):
        response = await client.post(
            "/api/v1/depots",
            json={
                "code": code,
                "name": code,
                "kind": kind,
                "latitude": lat,
                "longitude": lon,
                "timezone": "Asia/Shanghai",
            },
            headers=admin,
        )
        assert response.status_code == 201, response.text
    for number, category, serialized, secure in (
        (world.disk, "disk", True, True),
        (world.psu, "power", True, False),
        (world.cable, "cabling", False, False),
    ):
        response = await client.post(
            "/api/v1/parts",
            json={
                "part_number": number,
                "description": number,
                "category": category,
                "serialized": serialized,
                "secure_media": secure,
                "unit_cost": "120.50",
                "weight_kg": 0.5,
                "volume_l": 0.4,
            },
            headers=admin,
        )
        assert response.status_code == 201, response.text
    return world


def units(prefix: str, count: int, *, box_size: int = 5, batch: str = "B1") -> list[dict[str, str]]:
    """``count`` receipt units with serials ``prefix0001...``, boxed ``box_size`` to a box, one batch."""
    return [
        {"serial": f"{prefix}{i:04d}", "box_number": f"{prefix}-BOX{i // box_size}", "batch_number": batch}
        for i in range(count)
    ]


_DELIVERY_NOTES = itertools.count(1)


async def receive(
    client: AsyncClient,
    world: World,
    depot: str,
    lines: list[dict],
    *,
    reference: str | None = None,
    **extra_headers: str,
):
    """POST a receipt as warehouse staff and return the response; a new delivery note unless one is named."""
    return await client.post(
        "/api/v1/stock/receipts",
        json={
            "depot": depot,
            "supplier": "OEM",
            "reference": reference or f"DN-{next(_DELIVERY_NOTES)}",
            "lines": lines,
        },
        headers={**world.headers["warehouse"], **extra_headers},
    )


async def level(client: AsyncClient, world: World, part: str, depot: str) -> dict:
    response = await client.get(
        "/api/v1/stock", params={"part_number": part, "depot": depot}, headers=world.headers["warehouse"]
    )
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    return items[0] if items else {}
