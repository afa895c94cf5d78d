"""Depots and parts."""

from __future__ import annotations

DEPOT = {
    "code": "XIY-R",
    "name": "Xi'an hub",
    "kind": "regional",
    "latitude": 34.34,
    "longitude": 108.94,
    "timezone": "Asia/Shanghai",
}
DEPOT_OUT = {**DEPOT, "calendar_region": "CN", "order_cutoff": "17:00:00", "active": True}
PART = {
    "part_number": "NIC-25G-2P",
    "description": "25GbE",
    "category": "network",
    "serialized": True,
    "secure_media": False,
    "unit_cost": "2300.00",
    "weight_kg": 0.3,
    "volume_l": 0.6,
}


async def test_create_list_and_get_depot(client, world):
    admin = world.headers["admin"]
    created = await client.post("/api/v1/depots", json=DEPOT, headers=world.headers["warehouse"])
    assert created.status_code == 201
    assert created.json() == DEPOT_OUT
    assert (await client.get("/api/v1/depots/XIY-R", headers=admin)).json() == DEPOT_OUT
    codes = [d["code"] for d in (await client.get("/api/v1/depots", headers=admin)).json()["items"]]
    assert codes == sorted(codes)
    assert "XIY-R" in codes
    assert (await client.get("/api/v1/depots/NOPE", headers=admin)).status_code == 404


async def test_duplicate_depot_is_409(client, world):
    assert (
        await client.post("/api/v1/depots", json=DEPOT, headers=world.headers["admin"])
    ).status_code == 201
    again = await client.post(
        "/api/v1/depots", json={**DEPOT, "name": "other"}, headers=world.headers["admin"]
    )
    assert again.status_code == 409
    assert again.json()["field"] == "code"


async def test_depot_validation(client, world):
    for field, value in (
        ("calendar_region", "china"),
        ("order_cutoff", "25:00"),
        ("kind", "moon"),
        ("latitude", 91),
        ("longitude", -181),
        ("timezone", "Mars/Olympus"),
        ("code", ""),
        ("code", "bad code!"),
    ):
        response = await client.post(
            "/api/v1/depots", json={**DEPOT, field: value}, headers=world.headers["admin"]
        )
        assert response.status_code == 422, (field, value)
        assert any(error["field"] == field for error in response.json()["errors"])


async def test_create_and_get_part(client, world):
    created = await client.post("/api/v1/parts", json=PART, headers=world.headers["admin"])
    assert created.status_code == 201
    fetched = await client.get("/api/v1/parts/NIC-25G-2P", headers=world.headers["dispatcher"])
    assert fetched.json() == {**PART, "active": True}
    listed = await client.get(
        "/api/v1/parts", params={"category": "network"}, headers=world.headers["dispatcher"]
    )
    assert [p["part_number"] for p in listed.json()["items"]] == ["NIC-25G-2P"]
    assert (await client.post("/api/v1/parts", json=PART, headers=world.headers["admin"])).status_code == 409
    assert (await client.get("/api/v1/parts/NOPE", headers=world.headers["admin"])).status_code == 404


async def test_part_validation(client, world):
    for field, value in (
        ("unit_cost", "-1"),
        ("unit_cost", "1.234"),
        ("weight_kg", -1),
        ("serialized", "maybe"),
        ("part_number", ""),
    ):
        response = await client.post(
            "/api/v1/parts", json={**PART, field: value}, headers=world.headers["admin"]
        )
        assert response.status_code == 422, (field, value, response.text)
