"""Receipts: genuine stock with serial, box and batch; all or nothing."""

from __future__ import annotations

from inventory.stock import receipts
from inventory.stock.consistency import check_consistency
from inventory.stock.model import delivery_key
from inventory.stock.tables import Receipt
from tests.api.conftest import level, receive, units
from tests.conftest import rerun_migration


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
    assert broken.status_code == 400, broken.text  # malformed JSON: 400, not a validation problem
    assert broken.json()["type"].endswith("bad-request")


async def test_receipt_of_too_many_units_is_refused(client, world):
    response = await receive(
        client, world, "PEK-C", [{"part_number": world.disk, "units": units("Z", 5001, box_size=10)}]
    )
    # A body well under MAX_BODY_BYTES: the unit count refuses it (422), not the body size (413).
    assert response.status_code == 422, response.text
    assert [error["field"] for error in response.json()["errors"]] == ["lines.0.units"]


DELIVERY_KEYS_MIGRATION = "2026-12-06T07:37:24:529721"
FULL_WIDTH = "DN-2026-0001".translate({code: code + 0xFEE0 for code in range(0x21, 0x7F)})
"""The note as a Chinese input method in full-width mode types it."""


async def test_a_delivery_note_is_booked_once(client, world):
    first = await receive(
        client,
        world,
        "PEK-C",
        [{"part_number": world.disk, "units": units("D", 2)}],
        reference="DN-2026-0001",
    )
    assert first.status_code == 201, first.text
    for typed in ("DN-2026-0001", "dn-2026-0001", "  DN-2026-0001 ", FULL_WIDTH):
        again = await receive(
            client,
            world,
            "SHA-C",
            [{"part_number": world.cable, "quantity": 5, "batch_number": "L"}],
            reference=typed,
        )
        assert again.status_code == 409, (typed, again.text)
        problem = again.json()
        assert problem["type"] == "urn:spareline:problem:duplicate-delivery"
        assert problem["status"] == 409
        assert (problem["supplier"], problem["reference"], problem["receipt"]) == (
            "OEM",
            typed.strip(),
            first.json()["id"],
        )
        assert typed.strip() in problem["detail"]
    assert await level(client, world, world.cable, "SHA-C") == {}
    other_note = await receive(
        client,
        world,
        "SHA-C",
        [{"part_number": world.cable, "quantity": 5, "batch_number": "L"}],
        reference="DN20260001",
    )
    assert other_note.status_code == 201
    other_supplier = await client.post(
        "/api/v1/stock/receipts",
        json={
            "depot": "SHA-C",
            "supplier": "Another OEM",
            "reference": "DN-2026-0001",
            "lines": [{"part_number": world.cable, "quantity": 1, "batch_number": "L"}],
        },
        headers=world.headers["warehouse"],
    )
    assert other_supplier.status_code == 201
    assert await check_consistency() == []


async def test_a_replay_of_the_same_request_is_not_a_second_delivery(client, world):
    lines = [{"part_number": world.cable, "quantity": 5, "batch_number": "L"}]
    first = await receive(client, world, "PEK-C", lines, reference="DN-9", **{"Idempotency-Key": "note-9"})
    replay = await receive(client, world, "PEK-C", lines, reference="DN-9", **{"Idempotency-Key": "note-9"})
    assert (first.status_code, replay.status_code) == (201, 201)
    assert replay.json() == first.json()
    assert replay.headers["idempotency-replayed"] == "true"
    for key in ({}, {"Idempotency-Key": "note-9-again"}):
        again = await receive(client, world, "PEK-C", lines, reference="DN-9", **key)
        assert again.status_code == 409, again.text
        assert again.json()["type"].endswith("duplicate-delivery")
    assert (await level(client, world, world.cable, "PEK-C"))["available"] == 5


async def test_the_database_refuses_a_second_receipt_of_a_note(client, world, monkeypatch):
    """The unique index decides when the check before it is passed by a concurrent request; its violation
    is the same named 409."""
    monkeypatch.setattr(receipts, "refuse_known_delivery", _nothing)
    lines = [{"part_number": world.cable, "quantity": 5, "batch_number": "L"}]
    assert (await receive(client, world, "PEK-C", lines, reference="DN-RACE")).status_code == 201
    lost = await receive(client, world, "PEK-C", lines, reference="dn-race")
    assert lost.status_code == 409, lost.text
    problem = lost.json()
    assert problem["type"].endswith("duplicate-delivery")
    assert (problem["supplier"], problem["reference"]) == ("OEM", "dn-race")
    assert (await level(client, world, world.cable, "PEK-C"))["available"] == 5
    assert await check_consistency() == []


async def _nothing(*_args: object) -> None:
    return None


async def test_receipts_booked_twice_before_the_rule_keep_their_history(client, world, database_url):
    lines = [{"part_number": world.cable, "quantity": 5, "batch_number": "L"}]
    first = (await receive(client, world, "PEK-C", lines, reference="DN-7")).json()
    second = (await receive(client, world, "PEK-C", lines, reference="DN-8")).json()
    # As a database written before the rule could hold them: the same note twice, without keys.
    await Receipt.raw("DROP INDEX receipt_one_per_delivery_note")
    await Receipt.update({Receipt.reference: "dn-7 "}).where(Receipt.id == second["id"])
    await Receipt.update({Receipt.delivery_key: None}).where(Receipt.id.is_not_null())
    await rerun_migration(database_url, DELIVERY_KEYS_MIGRATION)
    keys = {row["id"]: row["delivery_key"] for row in await Receipt.select(Receipt.id, Receipt.delivery_key)}
    assert keys == {first["id"]: delivery_key("OEM", "DN-7"), second["id"]: None}
    again = await receive(client, world, "PEK-C", lines, reference="DN-7")
    assert again.status_code == 409
    assert again.json()["receipt"] == first["id"]
