"""Vehicles, engineers and inspections."""

from __future__ import annotations

from tests.api.service_world import build

VAN = {"code": "VAN-PEK-1", "depot": "PEK-C", "capacity_kg": 900, "capacity_l": 6000}
ENGINEER = {
    "code": "ENG-PEK-1",
    "name": "Zhou Qiang",
    "home_depot": "PEK-C",
    "skills": ["storage", "server"],
    "max_working_minutes": 480,
}


async def test_vehicles(client, world):
    dispatcher = world.headers["dispatcher"]
    created = await client.post("/api/v1/vehicles", json=VAN, headers=dispatcher)
    assert created.status_code == 201, created.text
    assert created.json()["shift_start"] == "08:00:00"
    assert (await client.post("/api/v1/vehicles", json=VAN, headers=dispatcher)).status_code == 409
    listed = await client.get(
        "/api/v1/vehicles", params={"depot": "PEK-C"}, headers=world.headers["warehouse"]
    )
    assert [v["code"] for v in listed.json()["items"]] == ["VAN-PEK-1"]
    for change in ({"depot": "NOPE"}, {"capacity_kg": 0}, {"shift_start": "19:00", "shift_end": "08:00"}):
        assert (
            await client.post("/api/v1/vehicles", json={**VAN, "code": "V2", **change}, headers=dispatcher)
        ).status_code == 422
    assert (
        await client.post("/api/v1/vehicles", json={**VAN, "code": "V3"}, headers=world.headers["warehouse"])
    ).status_code == 403


async def test_engineers(client, world):
    dispatcher = world.headers["dispatcher"]
    created = await client.post("/api/v1/engineers", json=ENGINEER, headers=dispatcher)
    assert created.status_code == 201, created.text
    assert created.json()["skills"] == ["server", "storage"]
    other = {**ENGINEER, "code": "ENG-SHA-1", "home_depot": "SHA-C", "skills": ["network"]}
    assert (await client.post("/api/v1/engineers", json=other, headers=dispatcher)).status_code == 201
    storage = (await client.get("/api/v1/engineers", params={"skill": "storage"}, headers=dispatcher)).json()
    assert [e["code"] for e in storage["items"]] == ["ENG-PEK-1"]
    for change in ({"skills": ["Bad Skill"]}, {"max_working_minutes": 1000}, {"home_depot": "NOPE"}):
        bad = await client.post(
            "/api/v1/engineers", json={**ENGINEER, "code": "E9", **change}, headers=dispatcher
        )
        assert bad.status_code == 422, change
    assert (await client.post("/api/v1/engineers", json=ENGINEER, headers=dispatcher)).status_code == 409


async def test_inspections(client, world):
    sworld = await build(client, world)
    dispatcher = world.headers["dispatcher"]
    serial = sworld.assets["PLAT"]
    body = {"asset_serial": serial, "due_on": "2026-12-01", "duration_minutes": 90}
    created = await client.post("/api/v1/inspections", json=body, headers=dispatcher)
    assert created.status_code == 201, created.text
    assert created.json()["skill"] == "server"
    assert created.json()["status"] == "planned"
    network = await client.post(
        "/api/v1/inspections", json={**body, "due_on": "2026-11-20", "skill": "network"}, headers=dispatcher
    )
    assert network.status_code == 201
    listed = await client.get("/api/v1/inspections", params={"due_by": "2026-11-25"}, headers=dispatcher)
    assert [row["skill"] for row in listed.json()["items"]] == ["network"]
    assert (
        await client.post("/api/v1/inspections", json={**body, "asset_serial": "NOPE"}, headers=dispatcher)
    ).status_code == 404
    assert (
        await client.post("/api/v1/inspections", json={**body, "duration_minutes": 5}, headers=dispatcher)
    ).status_code == 422
    assert (
        await client.post("/api/v1/inspections", json=body, headers=world.headers["warehouse"])
    ).status_code == 403
    assert (await client.get("/api/v1/inspections", headers=world.headers["customer"])).status_code == 403
