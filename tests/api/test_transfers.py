"""Transfers: stock leaves at dispatch, is in transit, lands on receipt; never negative."""

from __future__ import annotations

from inventory.stock.consistency import check_consistency
from tests.api.conftest import level, receive, units


async def _stock_disks(client, world, count=5, depot="PEK-C"):
    response = await receive(client, world, depot, [{"part_number": world.disk, "units": units("D", count)}])
    assert response.status_code == 201, response.text


async def _transfer(client, world, **body):
    return await client.post("/api/v1/stock/transfers", json=body, headers=world.headers["warehouse"])


async def test_transfer_by_quantity_leaves_source_and_lands_on_receive(client, world):
    await _stock_disks(client, world, 5)
    response = await _transfer(
        client, world, part_number=world.disk, from_depot="PEK-C", to_depot="SHA-C", quantity=2
    )
    assert response.status_code == 201, response.text
    transfer = response.json()
    assert transfer["status"] == "in_transit"
    assert [line["serial"] for line in transfer["lines"]] == ["D0000", "D0001"]
    source = await level(client, world, world.disk, "PEK-C")
    target = await level(client, world, world.disk, "SHA-C")
    assert (source["on_hand"], source["available"]) == (3, 3)
    assert (target["on_hand"], target["in_transit"]) == (0, 2)

    received = await client.post(
        f"/api/v1/stock/transfers/{transfer['id']}/receive", headers=world.headers["warehouse"]
    )
    assert received.status_code == 200, received.text
    assert received.json()["status"] == "received"
    target = await level(client, world, world.disk, "SHA-C")
    assert (target["on_hand"], target["available"], target["in_transit"]) == (2, 2, 0)
    assert await check_consistency() == []


async def test_transfer_named_serials_and_trace_shows_the_journey(client, world):
    await _stock_disks(client, world, 3)
    response = await _transfer(
        client,
        world,
        part_number=world.disk,
        from_depot="PEK-C",
        to_depot="CAN-R",
        serials=["D0002"],
        reason="rebalance",
    )
    assert response.status_code == 201
    transfer_id = response.json()["id"]
    await client.post(f"/api/v1/stock/transfers/{transfer_id}/receive", headers=world.headers["warehouse"])
    trace = await client.get("/api/v1/stock/units/D0002", headers=world.headers["warehouse"])
    assert trace.status_code == 200
    unit = trace.json()
    assert (unit["depot"], unit["status"], unit["box_number"], unit["batch_number"]) == (
        "CAN-R",
        "available",
        "D-BOX0",
        "B1",
    )
    journey = [
        (m["kind"], m["from_depot"], m["to_depot"], m["to_status"], m["actor"]) for m in unit["history"]
    ]
    assert journey == [
        ("receipt", None, "PEK-C", "available", "warehouse"),
        ("transfer_out", "PEK-C", "CAN-R", "in_transit", "warehouse"),
        ("transfer_in", "CAN-R", "CAN-R", "available", "warehouse"),
    ]
    assert unit["history"][1]["reason"] == "rebalance"
    assert unit["history"][1]["reference"] == f"transfer:{transfer_id}"


async def test_more_than_available_is_409_and_changes_nothing(client, world):
    await _stock_disks(client, world, 2)
    response = await _transfer(
        client, world, part_number=world.disk, from_depot="PEK-C", to_depot="SHA-C", quantity=3
    )
    assert response.status_code == 409
    assert response.json()["type"].endswith("insufficient-stock")
    assert (await level(client, world, world.disk, "PEK-C"))["available"] == 2
    assert await level(client, world, world.disk, "SHA-C") == {}


async def test_serial_not_available_at_source_is_409(client, world):
    await _stock_disks(client, world, 2)
    response = await _transfer(
        client, world, part_number=world.disk, from_depot="PEK-C", to_depot="SHA-C", serials=["D0001", "NOPE"]
    )
    assert response.status_code == 409
    assert response.json()["serials"] == ["NOPE"]
    assert (await level(client, world, world.disk, "PEK-C"))["available"] == 2
    assert await check_consistency() == []


async def test_in_transit_unit_cannot_be_sent_again(client, world):
    await _stock_disks(client, world, 2)
    first = await _transfer(
        client, world, part_number=world.disk, from_depot="PEK-C", to_depot="SHA-C", serials=["D0000"]
    )
    assert first.status_code == 201
    again = await _transfer(
        client, world, part_number=world.disk, from_depot="PEK-C", to_depot="CAN-R", serials=["D0000"]
    )
    assert again.status_code == 409


async def test_receiving_twice_is_409_and_unknown_transfer_404(client, world):
    await _stock_disks(client, world, 1)
    transfer = (
        await _transfer(
            client, world, part_number=world.disk, from_depot="PEK-C", to_depot="SHA-C", quantity=1
        )
    ).json()
    url = f"/api/v1/stock/transfers/{transfer['id']}/receive"
    assert (await client.post(url, headers=world.headers["warehouse"])).status_code == 200
    again = await client.post(url, headers=world.headers["warehouse"])
    assert again.status_code == 409
    missing = await client.post("/api/v1/stock/transfers/999999/receive", headers=world.headers["warehouse"])
    assert missing.status_code == 404
    assert (await level(client, world, world.disk, "SHA-C"))["on_hand"] == 1


async def test_bulk_transfer_takes_oldest_batches_first(client, world):
    lines = [
        {"part_number": world.cable, "quantity": 3, "batch_number": "OLD"},
        {"part_number": world.cable, "quantity": 10, "batch_number": "NEW"},
    ]
    assert (await receive(client, world, "PEK-C", lines)).status_code == 201
    response = await _transfer(
        client, world, part_number=world.cable, from_depot="PEK-C", to_depot="SHA-C", quantity=5
    )
    assert response.status_code == 201
    assert [(line["batch_number"], line["quantity"]) for line in response.json()["lines"]] == [
        ("OLD", 3),
        ("NEW", 2),
    ]
    await client.post(
        f"/api/v1/stock/transfers/{response.json()['id']}/receive", headers=world.headers["warehouse"]
    )
    assert (await level(client, world, world.cable, "SHA-C"))["available"] == 5
    assert (await level(client, world, world.cable, "PEK-C"))["available"] == 8
    assert await check_consistency() == []


async def test_transfer_request_rules(client, world):
    await _stock_disks(client, world, 2)
    cases = [
        ({"part_number": world.disk, "from_depot": "PEK-C", "to_depot": "PEK-C", "quantity": 1}, 422),
        ({"part_number": world.disk, "from_depot": "PEK-C", "to_depot": "SHA-C"}, 422),
        ({"part_number": world.disk, "from_depot": "PEK-C", "to_depot": "SHA-C", "quantity": 0}, 422),
        (
            {
                "part_number": world.disk,
                "from_depot": "PEK-C",
                "to_depot": "SHA-C",
                "serials": ["D0000", "D0000"],
            },
            422,
        ),
        ({"part_number": world.cable, "from_depot": "PEK-C", "to_depot": "SHA-C", "serials": ["X"]}, 422),
        ({"part_number": world.disk, "from_depot": "NOPE", "to_depot": "SHA-C", "quantity": 1}, 422),
        ({"part_number": "NOPE", "from_depot": "PEK-C", "to_depot": "SHA-C", "quantity": 1}, 422),
    ]
    for body, status in cases:
        response = await _transfer(client, world, **body)
        assert response.status_code == status, (body, response.text)
    assert (await level(client, world, world.disk, "PEK-C"))["available"] == 2


async def test_get_transfer(client, world):
    await _stock_disks(client, world, 1)
    created = (
        await _transfer(
            client, world, part_number=world.disk, from_depot="PEK-C", to_depot="SHA-C", quantity=1
        )
    ).json()
    fetched = await client.get(
        f"/api/v1/stock/transfers/{created['id']}", headers=world.headers["dispatcher"]
    )
    assert fetched.status_code == 200
    assert fetched.json() == created
    assert (
        await client.get("/api/v1/stock/transfers/424242", headers=world.headers["dispatcher"])
    ).status_code == 404
