"""Transfers: stock leaves at dispatch, is in transit, lands on receipt; never negative."""

from __future__ import annotations

import json
import sqlite3
from unittest.mock import ANY

import asyncpg
import pytest

from inventory.audit.tables import AuditEntry
from inventory.stock.consistency import check_consistency
from inventory.stock.tables import StockUnit, TransferItem
from tests.api.conftest import level, receive, units
from tests.conftest import rerun_migration

RECEIVED_QUANTITIES_MIGRATION = "2026-12-06T07:42:21:512099"


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


async def _receive(client, world, transfer_id: int, body: dict | None = None, **headers: str):
    return await client.post(
        f"/api/v1/stock/transfers/{transfer_id}/receive",
        json=body,
        headers={**world.headers["warehouse"], **headers},
    )


async def _landing_entries(transfer_id: int) -> list[list]:
    """The movements each ``stock.transfer_in`` audit entry of the transfer records, in chain order."""
    rows = (
        await AuditEntry.select(AuditEntry.payload)
        .where((AuditEntry.action == "stock.transfer_in") & (AuditEntry.subject == f"transfer:{transfer_id}"))
        .order_by(AuditEntry.seq)
    )
    return [json.loads(row["payload"])["movements"] for row in rows]


async def _unit_ids(serials: list[str]) -> dict[str, int]:
    rows = await StockUnit.select(StockUnit.id, StockUnit.serial).where(StockUnit.serial.is_in(serials))
    return {row["serial"]: row["id"] for row in rows}


async def test_named_serials_land_in_parts_and_the_rest_stays_in_transit(client, world):
    await _stock_disks(client, world, 4)
    transfer = (
        await _transfer(
            client, world, part_number=world.disk, from_depot="PEK-C", to_depot="SHA-C", quantity=3
        )
    ).json()
    assert [(line["serial"], line["received"]) for line in transfer["lines"]] == [
        ("D0000", False),
        ("D0001", False),
        ("D0002", False),
    ]
    first = await _receive(client, world, transfer["id"], {"serials": ["D0001"]})
    assert first.status_code == 200, first.text
    body = first.json()
    assert (body["status"], body["received_quantity"]) == ("partially_received", 1)
    assert [(line["serial"], line["received_quantity"], line["received"]) for line in body["lines"]] == [
        ("D0000", 0, False),
        ("D0001", 1, True),
        ("D0002", 0, False),
    ]
    target = await level(client, world, world.disk, "SHA-C")
    assert (target["on_hand"], target["available"], target["in_transit"]) == (1, 1, 2)
    units = await _unit_ids(["D0000", "D0001", "D0002"])
    assert await _landing_entries(transfer["id"]) == [
        [["transfer_in", ANY, units["D0001"], "B1", 1, ANY, "in_transit", ANY, "available"]]
    ]
    waiting = (await client.get("/api/v1/stock/units/D0000", headers=world.headers["warehouse"])).json()
    assert (waiting["depot"], waiting["status"]) == ("SHA-C", "in_transit")

    again = await _receive(client, world, transfer["id"], {"serials": ["D0001"]})
    assert again.status_code == 409, again.text
    assert again.json()["serials"] == ["D0001"]
    strangers = await _receive(client, world, transfer["id"], {"serials": ["D0002", "D0003", "NOPE"]})
    assert strangers.status_code == 422, strangers.text
    assert (strangers.json()["field"], strangers.json()["serials"]) == ("serials", ["D0003", "NOPE"])
    assert (await level(client, world, world.disk, "SHA-C"))["in_transit"] == 2

    rest = await _receive(client, world, transfer["id"])
    assert rest.status_code == 200, rest.text
    assert (rest.json()["status"], rest.json()["received_quantity"]) == ("received", 3)
    assert all(line["received"] for line in rest.json()["lines"])
    assert [[movement[2] for movement in entry] for entry in await _landing_entries(transfer["id"])] == [
        [units["D0001"]],
        [units["D0000"], units["D0002"]],
    ]
    target = await level(client, world, world.disk, "SHA-C")
    assert (target["on_hand"], target["available"], target["in_transit"]) == (3, 3, 0)
    assert (await _receive(client, world, transfer["id"])).status_code == 409
    assert (await _receive(client, world, transfer["id"], {"serials": ["D0000"]})).status_code == 409
    assert await check_consistency() == []


async def test_a_bulk_quantity_lands_oldest_batch_first(client, world):
    lines = [
        {"part_number": world.cable, "quantity": 3, "batch_number": "OLD"},
        {"part_number": world.cable, "quantity": 10, "batch_number": "NEW"},
    ]
    assert (await receive(client, world, "PEK-C", lines)).status_code == 201
    transfer = (
        await _transfer(
            client, world, part_number=world.cable, from_depot="PEK-C", to_depot="SHA-C", quantity=5
        )
    ).json()
    part = await _receive(client, world, transfer["id"], {"quantity": 4})
    assert part.status_code == 200, part.text
    assert part.json()["status"] == "partially_received"
    assert [(line["batch_number"], line["received_quantity"]) for line in part.json()["lines"]] == [
        ("OLD", 3),
        ("NEW", 1),
    ]
    assert [[(m[3], m[4]) for m in entry] for entry in await _landing_entries(transfer["id"])] == [
        [("OLD", 3), ("NEW", 1)]
    ]
    target = await level(client, world, world.cable, "SHA-C")
    assert (target["available"], target["in_transit"]) == (4, 1)
    too_many = await _receive(client, world, transfer["id"], {"quantity": 2})
    assert too_many.status_code == 409
    assert too_many.json()["in_transit"] == 1
    for body in (
        {"quantity": 6},
        {"serials": ["X"]},
        {"quantity": 1, "serials": ["X"]},
        {"quantity": 0},
        {"quantity": True},
        {"units": 1},
    ):
        assert (await _receive(client, world, transfer["id"], body)).status_code == 422, body
    last = await _receive(client, world, transfer["id"], {})
    assert (last.status_code, last.json()["status"]) == (200, "received")
    target = await level(client, world, world.cable, "SHA-C")
    assert (target["available"], target["in_transit"]) == (5, 0)
    assert await check_consistency() == []


async def test_a_serialized_transfer_is_received_by_serial_not_by_count(client, world):
    await _stock_disks(client, world, 2)
    transfer = (
        await _transfer(
            client, world, part_number=world.disk, from_depot="PEK-C", to_depot="SHA-C", quantity=2
        )
    ).json()
    counted = await _receive(client, world, transfer["id"], {"quantity": 1})
    assert counted.status_code == 422
    assert counted.json()["field"] == "quantity"
    assert (await level(client, world, world.disk, "SHA-C"))["in_transit"] == 2


async def test_a_partial_receipt_is_replayed_with_its_key(client, world):
    await _stock_disks(client, world, 2)
    transfer = (
        await _transfer(
            client, world, part_number=world.disk, from_depot="PEK-C", to_depot="SHA-C", quantity=2
        )
    ).json()
    key = {"Idempotency-Key": "landing-1"}
    first = await _receive(client, world, transfer["id"], {"serials": ["D0000"]}, **key)
    replay = await _receive(client, world, transfer["id"], {"serials": ["D0000"]}, **key)
    assert (first.status_code, replay.status_code) == (200, 200)
    assert replay.json() == first.json()
    assert replay.headers["idempotency-replayed"] == "true"
    other = await _receive(client, world, transfer["id"], {"serials": ["D0001"]}, **key)
    assert other.status_code == 422
    assert (await level(client, world, world.disk, "SHA-C"))["in_transit"] == 1


async def test_a_line_never_lands_more_than_it_carries(client, world):
    """The database's last line of defence behind the conditional updates, on both engines."""
    await _stock_disks(client, world, 1)
    await _transfer(client, world, part_number=world.disk, from_depot="PEK-C", to_depot="SHA-C", quantity=1)
    for received in (2, -1):
        with pytest.raises((sqlite3.IntegrityError, asyncpg.CheckViolationError)):
            await TransferItem.update({TransferItem.received_quantity: received}).where(TransferItem.id > 0)


async def test_transfers_received_before_parts_count_as_landed(client, world, database_url):
    await _stock_disks(client, world, 3)
    sent = [
        (
            await _transfer(
                client, world, part_number=world.disk, from_depot="PEK-C", to_depot="SHA-C", quantity=1
            )
        ).json()
        for _ in range(2)
    ]
    assert (await _receive(client, world, sent[0]["id"])).status_code == 200
    # As a database written before this counted what landed: the bounds absent, every count zero.
    if database_url.startswith("sqlite"):
        for event in ("insert", "update"):
            await TransferItem.raw(f"DROP TRIGGER transfer_item_received_within_quantity_{event}")
    else:
        await TransferItem.raw(
            "ALTER TABLE transfer_item DROP CONSTRAINT transfer_item_received_within_quantity"
        )
    await TransferItem.update({TransferItem.received_quantity: 0}).where(TransferItem.id > 0)
    await rerun_migration(database_url, RECEIVED_QUANTITIES_MIGRATION)
    fetched = [
        (await client.get(f"/api/v1/stock/transfers/{t['id']}", headers=world.headers["warehouse"])).json()
        for t in sent
    ]
    assert [(t["status"], t["received_quantity"]) for t in fetched] == [("received", 1), ("in_transit", 0)]
    assert (await _receive(client, world, sent[0]["id"])).status_code == 409
    assert (await _receive(client, world, sent[1]["id"])).status_code == 200
