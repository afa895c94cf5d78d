"""Receipts: genuine stock with serial, box and batch; all or nothing."""

from __future__ import annotations

from inventory.stock.consistency import check_consistency
from tests.api.conftest import level, receive, units


async def test_receipt_books_units_and_bulk(client, world):
    response = await receive(
        client,
        world,
        "PEK-C",
        [
            {"part_number": world.disk, "quantity": 6, "units": units("D", 6)},
            {"part_number": world.cable, "quantity": 40, "batch_number": "L-7"},
        ],
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["quantity"] == 46
    assert body["line_count"] == 2
    assert body["received_by"] == "warehouse"
    disk = await level(client, world, world.disk, "PEK-C")
    assert (disk["on_hand"], disk["available"], disk["reserved"], disk["in_transit"]) == (6, 6, 0, 0)
    cable = await level(client, world, world.cable, "PEK-C")
    assert cable["available"] == 40
    assert await check_consistency() == []


async def test_quantity_may_be_left_out_for_serialized_lines(client, world):
    response = await receive(client, world, "PEK-C", [{"part_number": world.disk, "units": units("Q", 3)}])
    assert response.status_code == 201
    assert response.json()["quantity"] == 3


async def test_duplicate_serial_in_request_is_409_and_writes_nothing(client, world):
    lines = [{"part_number": world.disk, "units": units("D", 2) + units("D", 1)}]
    response = await receive(client, world, "PEK-C", lines)
    assert response.status_code == 409
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["serials"] == ["D0000"]
    assert await level(client, world, world.disk, "PEK-C") == {}


async def test_serial_already_in_stock_is_409_and_writes_nothing(client, world):
    assert (
        await receive(client, world, "PEK-C", [{"part_number": world.disk, "units": units("D", 2)}])
    ).status_code == 201
    lines = [
        {"part_number": world.psu, "units": units("P", 2)},
        {"part_number": world.disk, "units": units("D", 1)},
    ]
    response = await receive(client, world, "SHA-C", lines)
    assert response.status_code == 409
    assert response.json()["serials"] == ["D0000"]
    assert await level(client, world, world.psu, "SHA-C") == {}
    assert await check_consistency() == []


async def test_same_serial_of_another_part_is_allowed(client, world):
    assert (
        await receive(client, world, "PEK-C", [{"part_number": world.disk, "units": units("X", 1)}])
    ).status_code == 201
    assert (
        await receive(client, world, "PEK-C", [{"part_number": world.psu, "units": units("X", 1)}])
    ).status_code == 201


async def test_box_mixing_batches_is_422(client, world):
    mixed = [*units("D", 2, batch="B1"), *[{**u, "box_number": "D-BOX0"} for u in units("E", 1, batch="B2")]]
    response = await receive(client, world, "PEK-C", [{"part_number": world.disk, "units": mixed}])
    assert response.status_code == 422
    assert response.json()["box_number"] == "D-BOX0"
    assert await level(client, world, world.disk, "PEK-C") == {}


async def test_quantity_that_does_not_match_units_is_422(client, world):
    response = await receive(
        client, world, "PEK-C", [{"part_number": world.disk, "quantity": 3, "units": units("D", 2)}]
    )
    assert response.status_code == 422
    assert response.json()["field"] == "lines[0].quantity"


async def test_serialized_part_without_units_is_422(client, world):
    response = await receive(client, world, "PEK-C", [{"part_number": world.disk, "quantity": 3}])
    assert response.status_code == 422
    assert response.json()["field"] == "lines[0].units"


async def test_bad_second_line_writes_nothing(client, world):
    lines = [
        {"part_number": world.cable, "quantity": 10, "batch_number": "L1"},
        {"part_number": "NO-SUCH-PART", "quantity": 1, "batch_number": "L1"},
    ]
    response = await receive(client, world, "PEK-C", lines)
    assert response.status_code == 422
    assert response.json()["field"] == "lines[1].part_number"
    assert await level(client, world, world.cable, "PEK-C") == {}


async def test_bulk_line_may_omit_the_batch_but_not_carry_units(client, world):
    no_batch = await receive(client, world, "PEK-C", [{"part_number": world.cable, "quantity": 5}])
    assert no_batch.status_code == 201
    assert (await level(client, world, world.cable, "PEK-C"))["available"] == 5
    with_units = await receive(
        client,
        world,
        "PEK-C",
        [{"part_number": world.cable, "quantity": 1, "batch_number": "L", "units": units("C", 1)}],
    )
    assert with_units.status_code == 422


async def test_unknown_depot_is_422_naming_the_field(client, world):
    response = await receive(
        client, world, "NOPE", [{"part_number": world.cable, "quantity": 5, "batch_number": "L"}]
    )
    assert response.status_code == 422
    assert response.json()["field"] == "depot"


async def test_malformed_bodies_are_422_naming_fields(client, world):
    headers = world.headers["warehouse"]
    cases = [
        ({"depot": "PEK-C"}, "supplier"),
        (
            {
                "depot": "PEK-C",
                "supplier": "s",
                "reference": "r",
                "lines": [{"part_number": world.cable, "quantity": -1}],
            },
            "lines.0.quantity",
        ),
        ({"depot": "PEK-C", "supplier": "s", "reference": "r", "lines": [], "admin": True}, "admin"),
        ({"depot": "PEK-C", "supplier": "s", "reference": "r", "lines": "many"}, "lines"),
    ]
    for body, field in cases:
        response = await client.post("/api/v1/stock/receipts", json=body, headers=headers)
        assert response.status_code == 422, (body, response.text)
        fields = [error["field"] for error in response.json()["errors"]]
        assert any(field in f for f in fields), (field, fields)
    broken = await client.post(
        "/api/v1/stock/receipts",
        content=b"{not json",
        headers={**headers, "content-type": "application/json"},
    )
    assert 400 <= broken.status_code < 500


async def test_receipt_of_too_many_units_is_refused(client, world):
    response = await receive(
        client, world, "PEK-C", [{"part_number": world.disk, "units": units("Z", 5001, box_size=10)}]
    )
    assert response.status_code in (413, 422)
