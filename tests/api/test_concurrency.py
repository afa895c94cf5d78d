"""Parallel requests on both engines: never negative stock, never a serial booked twice."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime

import httpx

from api.app import create_app
from api.domain_context import domain_context
from inventory.accounts import Role, create_user
from inventory.stock.consistency import check_consistency
from tests.api.conftest import PASSWORD, level, login, receive, units
from tests.conftest import test_settings

PARALLEL = 24


async def test_parallel_transfers_for_the_last_units_never_oversell(client, world):
    await receive(client, world, "PEK-C", [{"part_number": world.disk, "units": units("D", 5)}])
    body = {"part_number": world.disk, "from_depot": "PEK-C", "to_depot": "SHA-C", "quantity": 1}
    responses = await asyncio.gather(
        *[
            client.post("/api/v1/stock/transfers", json=body, headers=world.headers["warehouse"])
            for _ in range(PARALLEL)
        ]
    )
    statuses = sorted(response.status_code for response in responses)
    assert statuses.count(201) == 5
    assert statuses.count(409) == PARALLEL - 5
    shipped = [line["serial"] for r in responses if r.status_code == 201 for line in r.json()["lines"]]
    assert sorted(shipped) == [f"D{i:04d}" for i in range(5)]
    source = await level(client, world, world.disk, "PEK-C")
    assert (source["on_hand"], source["available"]) == (0, 0)
    assert (await level(client, world, world.disk, "SHA-C"))["in_transit"] == 5
    assert await check_consistency() == []


async def test_parallel_bulk_transfers_never_oversell(client, world):
    await receive(
        client,
        world,
        "PEK-C",
        [
            {"part_number": world.cable, "quantity": 7, "batch_number": "L1"},
            {"part_number": world.cable, "quantity": 6, "batch_number": "L2"},
        ],
    )
    body = {"part_number": world.cable, "from_depot": "PEK-C", "to_depot": "CAN-R", "quantity": 3}
    responses = await asyncio.gather(
        *[
            client.post("/api/v1/stock/transfers", json=body, headers=world.headers["warehouse"])
            for _ in range(PARALLEL)
        ]
    )
    assert sum(response.status_code == 201 for response in responses) == 4
    assert {response.status_code for response in responses} == {201, 409}
    assert (await level(client, world, world.cable, "PEK-C"))["available"] == 1
    assert await check_consistency() == []


async def test_parallel_receipts_of_the_same_serial_book_it_once(client, world):
    lines = [{"part_number": world.disk, "units": units("SAME", 1)}]
    responses = await asyncio.gather(*[receive(client, world, "PEK-C", lines) for _ in range(PARALLEL)])
    statuses = sorted(response.status_code for response in responses)
    assert statuses.count(201) == 1
    assert statuses.count(409) == PARALLEL - 1
    assert (await level(client, world, world.disk, "PEK-C"))["on_hand"] == 1
    assert await check_consistency() == []


async def test_parallel_receipts_of_one_delivery_note_book_it_once(client, world):
    """Different keys and different serials: only the delivery note is shared, and it is booked once."""
    responses = await asyncio.gather(
        *[
            receive(
                client,
                world,
                "PEK-C",
                [{"part_number": world.disk, "units": units(f"N{i}-", 1)}],
                reference="DN-SHARED",
                **{"Idempotency-Key": f"note-{i}"},
            )
            for i in range(PARALLEL)
        ]
    )
    assert sorted(response.status_code for response in responses) == [201] + [409] * (PARALLEL - 1)
    refused = [response.json() for response in responses if response.status_code == 409]
    assert {problem["type"] for problem in refused} == {"urn:spareline:problem:duplicate-delivery"}
    assert {(problem["supplier"], problem["reference"]) for problem in refused} == {("OEM", "DN-SHARED")}
    assert (await level(client, world, world.disk, "PEK-C"))["on_hand"] == 1
    assert await check_consistency() == []


async def test_parallel_receive_of_one_transfer_lands_it_once(client, world):
    await receive(client, world, "PEK-C", [{"part_number": world.disk, "units": units("D", 3)}])
    body = {"part_number": world.disk, "from_depot": "PEK-C", "to_depot": "SHA-C", "quantity": 3}
    transfer = (
        await client.post("/api/v1/stock/transfers", json=body, headers=world.headers["warehouse"])
    ).json()
    url = f"/api/v1/stock/transfers/{transfer['id']}/receive"
    responses = await asyncio.gather(
        *[client.post(url, headers=world.headers["warehouse"]) for _ in range(PARALLEL)]
    )
    assert sorted(r.status_code for r in responses) == [200] + [409] * (PARALLEL - 1)
    target = await level(client, world, world.disk, "SHA-C")
    assert (target["on_hand"], target["in_transit"]) == (3, 0)
    assert await check_consistency() == []


async def test_parallel_partial_receipts_land_each_unit_once(client, world):
    """Every unit of a transfer named by two receipts at once: each lands once, the other gets 409."""
    await receive(client, world, "PEK-C", [{"part_number": world.disk, "units": units("D", 6)}])
    body = {"part_number": world.disk, "from_depot": "PEK-C", "to_depot": "SHA-C", "quantity": 6}
    transfer = (
        await client.post("/api/v1/stock/transfers", json=body, headers=world.headers["warehouse"])
    ).json()
    url = f"/api/v1/stock/transfers/{transfer['id']}/receive"
    serials = [line["serial"] for line in transfer["lines"]] * 2
    responses = await asyncio.gather(
        *[
            client.post(url, json={"serials": [serial]}, headers=world.headers["warehouse"])
            for serial in serials
        ]
    )
    assert sorted(r.status_code for r in responses) == [200] * 6 + [409] * 6
    landed = [r.json()["lines"] for r in responses if r.status_code == 200]
    assert max(sum(line["received"] for line in lines) for lines in landed) == 6
    final = (
        await client.get(f"/api/v1/stock/transfers/{transfer['id']}", headers=world.headers["warehouse"])
    ).json()
    assert (final["status"], final["received_quantity"]) == ("received", 6)
    target = await level(client, world, world.disk, "SHA-C")
    assert (target["on_hand"], target["in_transit"]) == (6, 0)
    assert await check_consistency() == []


async def test_mixed_storm_keeps_the_ledger_consistent(client, world):
    await receive(
        client,
        world,
        "PEK-C",
        [
            {"part_number": world.disk, "units": units("D", 8)},
            {"part_number": world.cable, "quantity": 20, "batch_number": "L1"},
        ],
    )
    bodies = []
    for i in range(PARALLEL):
        part = world.disk if i % 2 else world.cable
        source, target = ("PEK-C", "SHA-C") if i % 3 else ("PEK-C", "CAN-R")
        bodies.append({"part_number": part, "from_depot": source, "to_depot": target, "quantity": 1 + i % 3})
    responses = await asyncio.gather(
        *[
            client.post("/api/v1/stock/transfers", json=body, headers=world.headers["warehouse"])
            for body in bodies
        ]
    )
    # Either answer can be right for one request, depending on the order; which one is decided by what is
    # left: stock only falls during the storm, so a refused request asked for more than was left at the end.
    parts = (world.disk, world.cable)
    left = {part: (await level(client, world, part, "PEK-C"))["available"] for part in parts}
    shipped_quantity = dict.fromkeys(left, 0)
    for body, response in zip(bodies, responses, strict=True):
        if response.status_code == 409:
            assert response.json()["type"].endswith("insufficient-stock"), response.text
            assert left[body["part_number"]] < body["quantity"], (body, left)
        else:
            assert response.status_code == 201, response.text
            shipped_quantity[body["part_number"]] += body["quantity"]
    assert shipped_quantity == {world.disk: 8 - left[world.disk], world.cable: 20 - left[world.cable]}
    shipped = [r.json() for r in responses if r.status_code == 201]
    await asyncio.gather(
        *[
            client.post(f"/api/v1/stock/transfers/{t['id']}/receive", headers=world.headers["warehouse"])
            for t in shipped
        ]
    )
    assert await check_consistency() == []
    for part in (world.disk, world.cable):
        rows = (
            await client.get(
                "/api/v1/stock", params={"part_number": part}, headers=world.headers["warehouse"]
            )
        ).json()
        assert all(row["available"] >= 0 and row["in_transit"] == 0 for row in rows["items"])


async def test_a_write_kept_out_past_the_sqlite_busy_timeout_is_503_and_writes_nothing(sqlite_url):
    settings = test_settings(sqlite_url, sqlite_busy_timeout_s=0.1)
    app = create_app(settings)
    customer = {
        "code": "BUSY",
        "name": "Busy Ltd",
        "tier": "standard",
        "delivery_service": "nbd",
        "support_hours": "business",
        "secure_media_retention": False,
    }
    async with (
        app.lifespan(),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client,
    ):
        with domain_context(app).entered():
            await create_user(
                username="admin",
                password=PASSWORD,
                role=Role.ADMIN,
                customer=None,
                passwords=settings.passwords(),
                now=datetime.now(UTC),
            )
        auth = await login(client, "admin")
        other_process = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None)
        other_process.execute("BEGIN IMMEDIATE")
        try:
            response = await client.post("/api/v1/customers", json=customer, headers=auth)
        finally:
            other_process.execute("COMMIT")
            other_process.close()
        assert response.status_code == 503, response.text
        assert response.headers["retry-after"] == "1"
        assert response.json()["type"].endswith("database-busy")
        assert (await client.get("/api/v1/customers/BUSY", headers=auth)).status_code == 404
        assert (await client.post("/api/v1/customers", json=customer, headers=auth)).status_code == 201
