"""The stock view (filters, pagination) and warehouse corrections (status changes, bulk adjustments)."""

from __future__ import annotations

from inventory.stock.consistency import check_consistency
from tests.api.conftest import level, receive, units


async def _seed(client, world):
    assert (
        await receive(
            client,
            world,
            "PEK-C",
            [
                {"part_number": world.disk, "units": units("D", 4)},
                {"part_number": world.psu, "units": units("P", 2)},
                {"part_number": world.cable, "quantity": 50, "batch_number": "L1"},
            ],
        )
    ).status_code == 201
    assert (
        await receive(client, world, "SHA-C", [{"part_number": world.disk, "units": units("E", 3)}])
    ).status_code == 201


async def test_filters_by_part_depot_and_category(client, world):
    await _seed(client, world)
    headers = world.headers["dispatcher"]
    by_part = (await client.get("/api/v1/stock", params={"part_number": world.disk}, headers=headers)).json()[
        "items"
    ]
    assert [(row["depot"], row["available"]) for row in by_part] == [("PEK-C", 4), ("SHA-C", 3)]
    by_depot = (await client.get("/api/v1/stock", params={"depot": "PEK-C"}, headers=headers)).json()["items"]
    assert {row["part_number"] for row in by_depot} == {world.disk, world.psu, world.cable}
    by_category = (await client.get("/api/v1/stock", params={"category": "power"}, headers=headers)).json()[
        "items"
    ]
    assert [row["part_number"] for row in by_category] == [world.psu]
    blank = await client.get("/api/v1/stock?part_number=&depot=&category=", headers=headers)
    assert len(blank.json()["items"]) == 4


async def test_pagination_has_a_hard_maximum(client, world):
    await _seed(client, world)
    headers = world.headers["warehouse"]
    first = (await client.get("/api/v1/stock", params={"limit": 2}, headers=headers)).json()
    assert len(first["items"]) == 2
    assert first["next_offset"] == 2
    rest = (await client.get("/api/v1/stock", params={"limit": 2, "offset": 2}, headers=headers)).json()
    assert len(rest["items"]) == 2
    assert rest["next_offset"] is None
    too_big = await client.get("/api/v1/stock", params={"limit": 501}, headers=headers)
    assert too_big.status_code == 422
    assert too_big.json()["field"] == "limit"
    for bad in ({"limit": 0}, {"offset": -1}, {"limit": "x"}):
        refused = await client.get("/api/v1/stock", params=bad, headers=headers)
        assert refused.status_code == 422, (bad, refused.text)
        assert [error["field"] for error in refused.json()["errors"]] == list(bad)


async def test_quarantine_defective_and_return_to_vendor(client, world):
    await _seed(client, world)
    headers = world.headers["warehouse"]
    body = {"part_number": world.disk, "depot": "PEK-C", "serial": "D0001", "reason": "failed burn-in"}
    assert (
        await client.post(
            "/api/v1/stock/status-changes", json={**body, "to_status": "quarantined"}, headers=headers
        )
    ).status_code == 201
    row = await level(client, world, world.disk, "PEK-C")
    assert (row["on_hand"], row["available"], row["quarantined"]) == (3, 3, 1)
    assert (
        await client.post(
            "/api/v1/stock/status-changes", json={**body, "to_status": "defective"}, headers=headers
        )
    ).status_code == 201
    assert (await level(client, world, world.disk, "PEK-C"))["defective"] == 1
    back = await client.post(
        "/api/v1/stock/status-changes", json={**body, "to_status": "returned_to_vendor"}, headers=headers
    )
    assert back.status_code == 201
    row = await level(client, world, world.disk, "PEK-C")
    assert (row["on_hand"], row["defective"], row["quarantined"]) == (3, 0, 0)
    trace = (await client.get("/api/v1/stock/units/D0001", headers=headers)).json()
    assert (trace["status"], trace["depot"]) == ("returned_to_vendor", None)
    assert [m["to_status"] for m in trace["history"]] == [
        "available",
        "quarantined",
        "defective",
        "returned_to_vendor",
    ]
    assert await check_consistency() == []


async def test_forbidden_status_change_is_422(client, world):
    await _seed(client, world)
    body = {
        "part_number": world.disk,
        "depot": "PEK-C",
        "serial": "D0001",
        "reason": "x",
        "to_status": "issued",
    }
    response = await client.post(
        "/api/v1/stock/status-changes", json=body, headers=world.headers["warehouse"]
    )
    assert response.status_code == 422
    wrong_depot = {**body, "depot": "SHA-C", "to_status": "quarantined"}
    assert (
        await client.post(
            "/api/v1/stock/status-changes", json=wrong_depot, headers=world.headers["warehouse"]
        )
    ).status_code == 404


async def test_bulk_status_change_and_adjustments(client, world):
    await _seed(client, world)
    headers = world.headers["warehouse"]
    change = {
        "part_number": world.cable,
        "depot": "PEK-C",
        "batch_number": "L1",
        "quantity": 5,
        "from_status": "available",
        "to_status": "defective",
        "reason": "crushed",
    }
    assert (
        await client.post("/api/v1/stock/status-changes", json=change, headers=headers)
    ).status_code == 201
    too_many = {**change, "quantity": 46}
    assert (
        await client.post("/api/v1/stock/status-changes", json=too_many, headers=headers)
    ).status_code == 409
    adjust = {
        "part_number": world.cable,
        "depot": "PEK-C",
        "batch_number": "L1",
        "delta": -3,
        "reason": "count",
    }
    assert (await client.post("/api/v1/stock/adjustments", json=adjust, headers=headers)).status_code == 201
    assert (
        await client.post("/api/v1/stock/adjustments", json={**adjust, "delta": -1000}, headers=headers)
    ).status_code == 409
    assert (
        await client.post("/api/v1/stock/adjustments", json={**adjust, "delta": 0}, headers=headers)
    ).status_code == 422
    serialized = {**adjust, "part_number": world.disk}
    assert (
        await client.post("/api/v1/stock/adjustments", json=serialized, headers=headers)
    ).status_code == 422
    row = await level(client, world, world.cable, "PEK-C")
    assert (row["available"], row["defective"]) == (42, 5)
    assert await check_consistency() == []


async def test_trace_unknown_serial_is_404_and_ambiguous_serial_needs_part(client, world):
    headers = world.headers["warehouse"]
    assert (await client.get("/api/v1/stock/units/NOPE", headers=headers)).status_code == 404
    await receive(client, world, "PEK-C", [{"part_number": world.disk, "units": units("X", 1)}])
    await receive(client, world, "PEK-C", [{"part_number": world.psu, "units": units("X", 1)}])
    ambiguous = await client.get("/api/v1/stock/units/X0000", headers=headers)
    assert ambiguous.status_code == 422
    named = await client.get("/api/v1/stock/units/X0000", params={"part_number": world.psu}, headers=headers)
    assert named.status_code == 200
    assert named.json()["part_number"] == world.psu
