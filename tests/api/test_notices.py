"""Advance shipping notices: what matches is booked, what differs is quarantined with its reason, what
is missing is reported; a notice and its delivery note are received once."""

from __future__ import annotations

import asyncio

from inventory.stock.consistency import check_consistency
from tests.api.conftest import level, receive, units


def manifest(world) -> list[dict]:
    return [
        {"part_number": world.disk, "units": units("ASN", 4, box_size=2, batch="B7")},
        {"part_number": world.cable, "quantity": 30, "batch_number": "L-1"},
    ]


async def post_notice(client, world, reference: str = "DN-ASN-1", **headers):
    return await client.post(
        "/api/v1/stock/notices",
        json={"depot": "PEK-C", "supplier": "OEM", "reference": reference, "lines": manifest(world)},
        headers={**world.headers["warehouse"], **headers},
    )


async def receive_notice(client, world, notice_id: int, lines: list[dict], **headers):
    return await client.post(
        f"/api/v1/stock/notices/{notice_id}/receive",
        json={"lines": lines},
        headers={**world.headers["warehouse"], **headers},
    )


async def unit_status(client, world, serial: str) -> str:
    response = await client.get(f"/api/v1/stock/units/{serial}", headers=world.headers["warehouse"])
    assert response.status_code == 200, response.text
    return response.json()["status"]


async def test_a_notice_is_recorded_and_listed(client, world):
    response = await post_notice(client, world)
    assert response.status_code == 201, response.text
    notice = response.json()
    assert notice["status"] == "open"
    assert len(notice["lines"]) == 5
    assert notice["lines"][0] == {
        "part_number": world.disk,
        "serial": "ASN0000",
        "box_number": "ASN-BOX0",
        "batch_number": "B7",
        "quantity": 1,
        "received_quantity": 0,
    }
    listed = await client.get(
        "/api/v1/stock/notices",
        params={"depot": "PEK-C", "status": "open"},
        headers=world.headers["dispatcher"],
    )
    assert [item["id"] for item in listed.json()["items"]] == [notice["id"]]
    one = await client.get(f"/api/v1/stock/notices/{notice['id']}", headers=world.headers["warehouse"])
    assert one.json() == notice
    assert (await post_notice(client, world)).status_code == 409
    assert (
        await client.get(
            "/api/v1/stock/notices", params={"status": "lost"}, headers=world.headers["warehouse"]
        )
    ).status_code == 422
    assert (
        await client.get("/api/v1/stock/notices/999", headers=world.headers["warehouse"])
    ).status_code == 404


async def test_receiving_books_matches_and_quarantines_what_differs(client, world):
    notice = (await post_notice(client, world)).json()
    arrived = [
        {
            "part_number": world.disk,
            "units": [
                {"serial": "ASN0000", "box_number": "ASN-BOX0", "batch_number": "B7"},
                {"serial": "ASN0001", "box_number": "ASN-BOX0", "batch_number": "B9"},
                {"serial": "ASN0002", "box_number": "ASN-BOX9", "batch_number": "B7"},
                {"serial": "STRAY01", "box_number": "ASN-BOX1", "batch_number": "B7"},
            ],
        },
        {"part_number": world.cable, "quantity": 34, "batch_number": "L-1"},
    ]
    response = await receive_notice(client, world, notice["id"], arrived)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "received"
    assert body["receipt_id"] is not None
    findings = {(f["reason"], f["serial"], f["quantity"]) for f in body["findings"]}
    assert findings == {
        ("batch_differs", "ASN0001", 1),
        ("box_differs", "ASN0002", 1),
        ("unexpected", "STRAY01", 1),
        ("excess", None, 4),
        ("missing", "ASN0003", 1),
    }
    differs = next(f for f in body["findings"] if f["reason"] == "batch_differs")
    assert (differs["batch_number"], differs["expected_batch_number"]) == ("B9", "B7")
    assert [line["received_quantity"] for line in body["lines"]] == [1, 0, 0, 0, 30]
    assert await unit_status(client, world, "ASN0000") == "available"
    for serial in ("ASN0001", "ASN0002", "STRAY01"):
        assert await unit_status(client, world, serial) == "quarantined"
    disk = await level(client, world, world.disk, "PEK-C")
    assert (disk["available"], disk["quarantined"]) == (1, 3)
    cable = await level(client, world, world.cable, "PEK-C")
    assert (cable["available"], cable["quarantined"]) == (30, 4)
    trace = (await client.get("/api/v1/stock/units/ASN0001", headers=world.headers["warehouse"])).json()
    assert trace["history"][0]["reason"] == "OEM DN-ASN-1: batch_differs"
    assert await check_consistency() == []


async def test_a_notice_is_received_once_and_its_note_too(client, world):
    notice = (await post_notice(client, world)).json()
    lines = [{"part_number": world.cable, "quantity": 30, "batch_number": "L-1"}]
    assert (await receive_notice(client, world, notice["id"], lines)).status_code == 200
    again = await receive_notice(client, world, notice["id"], lines)
    assert again.status_code == 409
    plain = await receive(client, world, "PEK-C", lines, reference="DN-ASN-1")
    assert plain.status_code == 409
    assert plain.json()["type"] == "urn:spareline:problem:duplicate-delivery"
    assert (await level(client, world, world.cable, "PEK-C"))["available"] == 30


async def test_a_note_already_booked_cannot_be_received_against_a_notice(client, world):
    notice = (await post_notice(client, world, reference="DN-ASN-2")).json()
    lines = [{"part_number": world.cable, "quantity": 30, "batch_number": "L-1"}]
    assert (await receive(client, world, "PEK-C", lines, reference="DN-ASN-2")).status_code == 201
    refused = await receive_notice(client, world, notice["id"], lines)
    assert refused.status_code == 409
    assert refused.json()["type"] == "urn:spareline:problem:duplicate-delivery"
    after = (
        await client.get(f"/api/v1/stock/notices/{notice['id']}", headers=world.headers["warehouse"])
    ).json()
    assert after["status"] == "open"
    assert after["findings"] == []
    assert (await post_notice(client, world, reference="dn-asn-2")).status_code == 409


async def test_bad_arrivals_write_nothing(client, world):
    notice = (await post_notice(client, world)).json()
    twice = [{"part_number": world.disk, "units": units("ASN", 1) + units("ASN", 1)}]
    assert (await receive_notice(client, world, notice["id"], twice)).status_code == 409
    unknown = [{"part_number": "NO-SUCH-PART", "quantity": 1, "batch_number": "X"}]
    assert (await receive_notice(client, world, notice["id"], unknown)).status_code == 422
    assert (await receive_notice(client, world, 999, manifest(world))).status_code == 404
    assert (
        await client.post(
            f"/api/v1/stock/notices/{notice['id']}/receive",
            json={"lines": manifest(world)},
            headers=world.headers["dispatcher"],
        )
    ).status_code == 403
    assert await level(client, world, world.disk, "PEK-C") == {}


async def test_parallel_receipts_of_one_notice_book_it_once(client, world):
    notice = (await post_notice(client, world)).json()
    responses = await asyncio.gather(
        *[
            receive_notice(client, world, notice["id"], manifest(world), **{"Idempotency-Key": f"asn-{i}"})
            for i in range(4)
        ]
    )
    assert sorted(response.status_code for response in responses) == [200, 409, 409, 409]
    disk = await level(client, world, world.disk, "PEK-C")
    assert disk["available"] == 4
    assert await check_consistency() == []
