"""Customers see only their own company's data (404 for anything else) and act within their entitlement."""

from __future__ import annotations

import pytest

from tests.api.conftest import PASSWORD, login
from tests.api.service_world import build, local, open_ticket, stock_disks


@pytest.fixture
async def sworld(client, world, clock):
    clock.now = local(2026, 11, 24, 10)
    return await build(client, world)


async def test_customer_sees_only_its_own_tickets_and_assets(client, sworld):
    acme = sworld.headers["customer"]
    mine = await open_ticket(client, sworld, "ACME", headers=acme)
    theirs = await open_ticket(client, sworld, "PLAT")
    assert (await client.get(f"/api/v1/tickets/{mine['id']}", headers=acme)).status_code == 200
    assert (await client.get(f"/api/v1/tickets/{theirs['id']}", headers=acme)).status_code == 404
    listed = (await client.get("/api/v1/tickets", headers=acme)).json()["items"]
    assert [t["id"] for t in listed] == [mine["id"]]
    assert (await client.get(f"/api/v1/tickets/{theirs['id']}/reservations", headers=acme)).status_code == 404
    assert (await client.get(f"/api/v1/assets/{sworld.assets['ACME']}", headers=acme)).status_code == 200
    assert (await client.get(f"/api/v1/assets/{sworld.assets['PLAT']}", headers=acme)).status_code == 404
    assert [a["serial"] for a in (await client.get("/api/v1/assets", headers=acme)).json()["items"]] == [
        "SRV-ACME-1"
    ]
    assert (await client.get("/api/v1/customers/PLAT", headers=acme)).status_code == 404
    assert [c["code"] for c in (await client.get("/api/v1/customers", headers=acme)).json()["items"]] == [
        "ACME"
    ]


async def test_customer_cannot_open_tickets_for_others_or_see_stock(client, sworld):
    acme = sworld.headers["customer"]
    body = {"customer": "PLAT", "site": "BJ-DC1", "severity": "critical", "summary": "x"}
    assert (await client.post("/api/v1/tickets", json=body, headers=acme)).status_code == 404
    own_default = {"site": "GZ-HQ", "severity": "major", "summary": "x"}
    created = await client.post("/api/v1/tickets", json=own_default, headers=acme)
    assert created.status_code == 201
    assert created.json()["customer"] == "ACME"
    for path in ("/api/v1/stock", "/api/v1/depots", "/api/v1/parts", "/api/v1/users"):
        assert (await client.get(path, headers=acme)).status_code == 403
    ticket_id = created.json()["id"]
    event = await client.post(f"/api/v1/tickets/{ticket_id}/events", json={"type": "closed"}, headers=acme)
    assert event.status_code == 403


async def test_customer_requests_a_replacement_for_its_own_asset(client, sworld):
    await stock_disks(client, sworld.stock, "CAN-R", 2)
    acme = sworld.headers["customer"]
    ticket = await open_ticket(client, sworld, "ACME", headers=acme)
    body = {"part_number": sworld.stock.disk, "quantity": 1}
    reserved = await client.post(f"/api/v1/tickets/{ticket['id']}/reservations", json=body, headers=acme)
    assert reserved.status_code == 201, reserved.text
    assert reserved.json()["depot"] == "CAN-R"
    other = await open_ticket(client, sworld, "PLAT")
    refused = await client.post(f"/api/v1/tickets/{other['id']}/reservations", json=body, headers=acme)
    assert refused.status_code == 404
    assert (
        await client.get(f"/api/v1/reservations/{reserved.json()['id']}", headers=acme)
    ).status_code == 200
    release = await client.post(f"/api/v1/reservations/{reserved.json()['id']}/release", headers=acme)
    assert release.status_code == 403


async def test_customer_shortage_answer_reveals_no_stock(client, sworld):
    acme = sworld.headers["customer"]
    ticket = await open_ticket(client, sworld, "ACME", headers=acme)
    body = {"part_number": sworld.stock.disk, "quantity": 1}
    response = await client.post(f"/api/v1/tickets/{ticket['id']}/reservations", json=body, headers=acme)
    assert response.status_code == 409
    assert response.json()["alternatives"] == []


async def test_replacement_is_refused_when_coverage_has_expired(client, sworld):
    await stock_disks(client, sworld.stock, "CAN-R", 1)
    await client.post(
        "/api/v1/assets",
        json={
            "serial": "OLD-SRV",
            "model": "R1-G1",
            "customer": "ACME",
            "site": "GZ-HQ",
            "accepted_on": "2010-01-15",
            "warranty_years": 3,
        },
        headers=sworld.headers["admin"],
    )
    acme = sworld.headers["customer"]
    asset = (await client.get("/api/v1/assets/OLD-SRV", headers=acme)).json()
    assert (asset["warranty_end"], asset["coverage_phase"]) == ("2013-01-15", "expired")
    ticket = await open_ticket(client, sworld, "ACME", headers=acme, asset_serial="OLD-SRV")
    body = {"part_number": sworld.stock.disk, "quantity": 1}
    response = await client.post(f"/api/v1/tickets/{ticket['id']}/reservations", json=body, headers=acme)
    assert response.status_code == 422
    assert response.json()["type"].endswith("not-entitled")
    staff = await client.post(
        f"/api/v1/tickets/{ticket['id']}/reservations", json=body, headers=sworld.headers["dispatcher"]
    )
    assert staff.status_code == 201


async def test_warranty_grows_with_downtime_the_user_did_not_cause(client, sworld, clock):
    headers = sworld.headers["dispatcher"]
    serial = sworld.assets["PREM"]
    before = (await client.get(f"/api/v1/assets/{serial}", headers=headers)).json()
    assert (before["warranty_end"], before["coverage_phase"]) == ("2028-06-01", "in_warranty")
    clock.now = local(2026, 11, 26, 12)
    ticket = await open_ticket(client, sworld, "PREM", reported_at=local(2026, 11, 24, 10).isoformat())
    await client.post(
        f"/api/v1/tickets/{ticket['id']}/events",
        json={"type": "restored", "at": local(2026, 11, 25, 16).isoformat()},
        headers=headers,
    )
    user_fault = await open_ticket(
        client, sworld, "PREM", reported_at=local(2026, 11, 26, 9).isoformat(), user_caused=True
    )
    await client.post(
        f"/api/v1/tickets/{user_fault['id']}/events", json={"type": "restored"}, headers=headers
    )
    after = (await client.get(f"/api/v1/assets/{serial}", headers=headers)).json()
    assert after["warranty_end"] == "2028-06-03"


async def test_who_may_hold_and_read_a_tickets_reservations(client, sworld):
    """The README's role table: holding parts is the service desk's and the ticket's own customer's;
    reading a ticket's reservations is everyone's, customers' for their own tickets only."""
    await stock_disks(client, sworld.stock, "CAN-R", 3)
    created = await client.post(
        "/api/v1/users",
        json={"username": "plat.it", "password": PASSWORD, "role": "customer", "customer": "PLAT"},
        headers=sworld.headers["admin"],
    )
    assert created.status_code == 201, created.text
    roles = {**sworld.headers, "other customer": await login(client, "plat.it")}
    ticket = await open_ticket(client, sworld, "ACME", headers=sworld.headers["customer"])
    url = f"/api/v1/tickets/{ticket['id']}/reservations"
    body = {"part_number": sworld.stock.disk, "quantity": 1}
    holds = {
        role: (await client.post(url, json=body, headers=headers)).status_code
        for role, headers in roles.items()
    }
    assert holds == {
        "admin": 201,
        "warehouse": 403,
        "dispatcher": 201,
        "compliance": 403,
        "customer": 201,
        "other customer": 404,
    }
    reads = {role: await client.get(url, headers=headers) for role, headers in roles.items()}
    assert {role: response.status_code for role, response in reads.items()} == {
        "admin": 200,
        "warehouse": 200,
        "dispatcher": 200,
        "compliance": 200,
        "customer": 200,
        "other customer": 404,
    }
    assert {len(response.json()) for role, response in reads.items() if response.status_code == 200} == {3}
