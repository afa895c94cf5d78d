"""Depots and parts that change: fields changed and audited before and after, deactivation instead of
deletion, and new work refused at what is inactive."""

from __future__ import annotations

import json

import pytest

from inventory.audit.tables import AuditEntry
from tests.api.conftest import receive, units
from tests.api.service_world import build, local, open_ticket


async def _changes(subject: str) -> list[dict]:
    rows = (
        await AuditEntry.select(AuditEntry.action, AuditEntry.actor, AuditEntry.payload)
        .where(AuditEntry.subject == subject)
        .order_by(AuditEntry.seq)
    )
    return [{**row, "payload": json.loads(row["payload"])} for row in rows]


async def _patch(client, world, path, body, role="warehouse"):
    return await client.patch(path, json=body, headers=world.headers[role])


async def test_a_depot_change_is_audited_with_its_values_before_and_after(client, world):
    changed = await _patch(
        client, world, "/api/v1/depots/CAN-R", {"name": "Guangzhou hub", "order_cutoff": "16:30"}
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["name"], changed.json()["order_cutoff"], changed.json()["active"]) == (
        "Guangzhou hub",
        "16:30:00",
        True,
    )
    again = await _patch(client, world, "/api/v1/depots/CAN-R", {"name": "Guangzhou hub"})
    assert again.status_code == 200
    assert (await client.get("/api/v1/depots/CAN-R", headers=world.headers["dispatcher"])).json()[
        "name"
    ] == "Guangzhou hub"
    assert await _changes("depot:CAN-R") == [
        {
            "action": "depot.changed",
            "actor": "warehouse",
            "payload": {
                "before": {"name": "CAN-R", "order_cutoff": "17:00:00"},
                "after": {"name": "Guangzhou hub", "order_cutoff": "16:30:00"},
            },
        }
    ], "a change that changes nothing writes nothing"


async def test_a_part_change_keeps_its_number_and_kind(client, world):
    changed = await _patch(
        client, world, f"/api/v1/parts/{world.psu}", {"unit_cost": "99.90", "weight_kg": 1.25}
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["unit_cost"], changed.json()["weight_kg"]) == ("99.90", 1.25)
    [entry] = await _changes(f"part:{world.psu}")
    assert entry["payload"] == {
        "before": {"unit_cost": "120.50", "weight_kg": 0.5},
        "after": {"unit_cost": "99.90", "weight_kg": 1.25},
    }
    for body in ({"serialized": False}, {"part_number": "NEW"}, {}, {"category": None}, {"weight_kg": -1}):
        refused = await _patch(client, world, f"/api/v1/parts/{world.psu}", body)
        assert refused.status_code == 422, body
    assert (await _patch(client, world, "/api/v1/parts/NO-SUCH", {"weight_kg": 1})).status_code == 404
    assert (
        await _patch(client, world, f"/api/v1/parts/{world.psu}", {"weight_kg": 1}, "dispatcher")
    ).status_code == 403
    assert (
        await _patch(client, world, f"/api/v1/parts/{world.psu}", {"weight_kg": 1}, "customer")
    ).status_code == 403


async def test_an_inactive_depot_takes_no_new_work_and_can_still_be_emptied(client, world):
    stocked = await receive(client, world, "SHA-C", [{"part_number": world.disk, "units": units("I", 2)}])
    assert stocked.status_code == 201, stocked.text
    closed = await _patch(client, world, "/api/v1/depots/SHA-C", {"active": False}, "admin")
    assert closed.status_code == 200
    assert closed.json()["active"] is False

    refused = await receive(client, world, "SHA-C", [{"part_number": world.disk, "units": units("J", 1)}])
    assert refused.status_code == 409
    assert (refused.json()["type"].rsplit(":", 1)[1], refused.json()["field"]) == ("inactive", "depot")
    inbound = await client.post(
        "/api/v1/stock/transfers",
        json={"part_number": world.disk, "from_depot": "PEK-C", "to_depot": "SHA-C", "quantity": 1},
        headers=world.headers["warehouse"],
    )
    assert inbound.status_code == 409
    assert inbound.json()["field"] == "to_depot"
    emptied = await client.post(
        "/api/v1/stock/transfers",
        json={"part_number": world.disk, "from_depot": "SHA-C", "to_depot": "PEK-C", "quantity": 2},
        headers=world.headers["warehouse"],
    )
    assert emptied.status_code == 201, emptied.text
    assert (await client.get("/api/v1/depots/SHA-C", headers=world.headers["dispatcher"])).status_code == 200
    listed = await client.get("/api/v1/depots", headers=world.headers["dispatcher"])
    assert {d["code"]: d["active"] for d in listed.json()["items"]}["SHA-C"] is False

    reopened = await _patch(client, world, "/api/v1/depots/SHA-C", {"active": True}, "admin")
    assert reopened.json()["active"] is True
    again = await receive(client, world, "SHA-C", [{"part_number": world.disk, "units": units("K", 1)}])
    assert again.status_code == 201
    assert [e["payload"]["after"] for e in await _changes("depot:SHA-C")] == [
        {"active": False},
        {"active": True},
    ]


async def test_an_inactive_part_is_neither_received_nor_sent(client, world):
    stocked = await receive(
        client, world, "PEK-C", [{"part_number": world.cable, "quantity": 5, "batch_number": "C1"}]
    )
    assert stocked.status_code == 201
    assert (await _patch(client, world, f"/api/v1/parts/{world.cable}", {"active": False})).status_code == 200
    refused = await receive(
        client, world, "PEK-C", [{"part_number": world.cable, "quantity": 5, "batch_number": "C2"}]
    )
    assert (refused.status_code, refused.json()["field"]) == (409, "lines")
    sent = await client.post(
        "/api/v1/stock/transfers",
        json={"part_number": world.cable, "from_depot": "PEK-C", "to_depot": "CAN-R", "quantity": 1},
        headers=world.headers["warehouse"],
    )
    assert (sent.status_code, sent.json()["field"]) == (409, "part_number")
    part = await client.get(f"/api/v1/parts/{world.cable}", headers=world.headers["dispatcher"])
    assert part.json()["active"] is False


@pytest.fixture
async def sworld(client, world, clock):
    clock.now = local(2026, 11, 24, 10)
    return await build(client, world)


async def test_reservations_pass_over_an_inactive_depot_and_refuse_one_named(client, sworld):
    stock = sworld.stock
    for depot, prefix in (("PEK-C", "P"), ("SHA-C", "S")):
        response = await receive(
            client, stock, depot, [{"part_number": stock.disk, "units": units(prefix, 2)}]
        )
        assert response.status_code == 201
    assert (await _patch(client, stock, "/api/v1/depots/PEK-C", {"active": False})).status_code == 200
    ticket = await open_ticket(client, sworld, "STD")
    named = await client.post(
        f"/api/v1/tickets/{ticket['id']}/reservations",
        json={"part_number": stock.disk, "quantity": 1, "depot": "PEK-C"},
        headers=sworld.headers["dispatcher"],
    )
    assert (named.status_code, named.json()["field"]) == (409, "depot")
    nearest = await client.post(
        f"/api/v1/tickets/{ticket['id']}/reservations",
        json={"part_number": stock.disk, "quantity": 1},
        headers=sworld.headers["dispatcher"],
    )
    assert nearest.status_code == 201, nearest.text
    assert nearest.json()["depot"] == "SHA-C", "the nearer Beijing depot is inactive"


async def test_customers_sites_and_assets_change_and_an_inactive_site_or_customer_opens_no_ticket(
    client, sworld
):
    admin, desk = sworld.headers["admin"], sworld.headers["dispatcher"]
    renamed = await client.patch(
        "/api/v1/customers/STD", json={"name": "Standard Corp", "tier": "premium"}, headers=admin
    )
    assert renamed.status_code == 200, renamed.text
    assert (renamed.json()["name"], renamed.json()["tier"], renamed.json()["active"]) == (
        "Standard Corp",
        "premium",
        True,
    )
    assert (
        await client.patch("/api/v1/customers/STD", json={"tier": "gold"}, headers=admin)
    ).status_code == 422
    assert (await client.patch("/api/v1/customers/STD", json={"name": "x"}, headers=desk)).status_code == 403
    [entry] = await _changes("customer:STD")
    assert entry["payload"] == {
        "before": {"name": "STD Corp", "tier": "standard"},
        "after": {"name": "Standard Corp", "tier": "premium"},
    }

    site = await client.patch("/api/v1/customers/STD/sites/BJ-OFFICE", json={"active": False}, headers=desk)
    assert (site.status_code, site.json()["active"]) == (200, False)
    refused = await client.post(
        "/api/v1/tickets",
        json={"customer": "STD", "site": "BJ-OFFICE", "severity": "major", "summary": "fan failed"},
        headers=desk,
    )
    assert (refused.status_code, refused.json()["field"]) == (409, "site")
    sites = await client.get("/api/v1/customers/STD/sites", headers=desk)
    assert [s["active"] for s in sites.json()] == [False]
    assert (
        await client.patch("/api/v1/customers/STD/sites/NOWHERE", json={"name": "x"}, headers=desk)
    ).status_code == 404

    assert (
        await client.patch("/api/v1/customers/PREM", json={"active": False}, headers=admin)
    ).status_code == 200
    closed = await client.post(
        "/api/v1/tickets",
        json={"customer": "PREM", "site": "SH-DC1", "severity": "major", "summary": "fan failed"},
        headers=desk,
    )
    assert (closed.status_code, closed.json()["field"]) == (409, "customer")

    moved = await client.patch(
        f"/api/v1/assets/{sworld.assets['PLAT']}",
        json={"warranty_years": 5, "model": "R2-G5 server"},
        headers=desk,
    )
    assert moved.status_code == 200, moved.text
    assert (moved.json()["warranty_years"], moved.json()["warranty_end"]) == (5, "2030-06-01")
    elsewhere = await client.patch(
        f"/api/v1/assets/{sworld.assets['PLAT']}", json={"site": "SH-DC1"}, headers=desk
    )
    assert (elsewhere.status_code, elsewhere.json()["field"]) == (422, "site")
    [change] = await _changes(f"asset:{sworld.assets['PLAT']}")
    assert change["payload"]["before"] == {"model": "R2-G4 server", "warranty_years": 3}


async def test_a_van_s_shift_and_activity_change_is_audited_with_the_absences_added(client, world):
    admin = world.headers["admin"]
    van = {"code": "VAN-PEK-9", "depot": "PEK-C", "capacity_kg": 900, "capacity_l": 6000}
    created = await client.post(
        "/api/v1/vehicles", json=van | {"shift_start": "08:00", "shift_end": "18:00"}, headers=admin
    )
    assert created.status_code == 201, created.text
    absence = {"starts_at": "2030-01-02T01:00:00Z", "ends_at": "2030-01-02T05:00:00Z", "reason": "service"}
    changed = await client.patch(
        "/api/v1/vehicles/VAN-PEK-9", json={"shift_end": "19:00", "absences": [absence]}, headers=admin
    )
    assert changed.status_code == 200, changed.text
    unchanged = await client.patch("/api/v1/vehicles/VAN-PEK-9", json={"shift_end": "19:00"}, headers=admin)
    assert unchanged.status_code == 200
    [entry] = await _changes("vehicle:VAN-PEK-9")
    assert entry["action"] == "vehicle.changed"
    assert entry["payload"]["before"] == {"shift_end": "18:00:00"}
    assert entry["payload"]["after"] == {"shift_end": "19:00:00"}
    assert [a["reason"] for a in entry["payload"]["absences_added"]] == ["service"]
