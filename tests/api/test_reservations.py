"""Reservations: the right depot, the promise kept or refused with alternatives, and never oversold."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest

from api.sweeper import sweep_once
from inventory.secure_media.tables import RetentionRecord
from inventory.stock.consistency import check_consistency
from inventory.tickets.tables import DefectiveReturn
from tests.api.conftest import level
from tests.api.service_world import build, local, open_ticket, stock_disks


@pytest.fixture
async def sworld(client, world, clock):
    clock.now = local(2026, 11, 24, 10)
    return await build(client, world)


def instants(reservation: dict) -> dict:
    """A reservation with its times as instants, whatever offset they were written with."""
    times = ("estimated_arrival", "expires_at", "created_at", "closed_at")
    return {k: datetime.fromisoformat(v) if k in times and v else v for k, v in reservation.items()}


async def reserve(client, sworld, ticket_id, headers=None, **body):
    body = {"part_number": sworld.stock.disk, "quantity": 1, **body}
    return await client.post(
        f"/api/v1/tickets/{ticket_id}/reservations",
        json=body,
        headers=headers or sworld.headers["dispatcher"],
    )


async def test_nearest_depot_that_keeps_the_promise(client, sworld, clock):
    await stock_disks(client, sworld.stock, "SHA-C", 2, "S")
    await stock_disks(client, sworld.stock, "PEK-C", 2, "P")
    ticket = await open_ticket(client, sworld, "PLAT")
    response = await reserve(client, sworld, ticket["id"])
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["depot"], body["status"], body["quantity"], body["serials"]) == (
        "PEK-C",
        "active",
        1,
        ["P0000"],
    )
    assert datetime.fromisoformat(body["expires_at"]) == clock.now + timedelta(hours=48)
    assert datetime.fromisoformat(body["estimated_arrival"]) <= datetime.fromisoformat(
        ticket["delivery"]["due_by"]
    )
    pek = await level(client, sworld.stock, sworld.stock.disk, "PEK-C")
    assert (pek["on_hand"], pek["reserved"], pek["available"]) == (2, 1, 1)
    trace = (await client.get("/api/v1/stock/units/P0000", headers=sworld.headers["warehouse"])).json()
    assert trace["status"] == "reserved"
    assert trace["history"][-1]["reference"] == f"reservation:{body['id']}"
    listed = await client.get(
        f"/api/v1/tickets/{ticket['id']}/reservations", headers=sworld.headers["dispatcher"]
    )
    assert [instants(r) for r in listed.json()] == [instants(body)], (
        "the POST answer is what it reads back as"
    )


async def test_no_depot_can_keep_a_4h_promise_gives_409_with_alternatives(client, sworld):
    await stock_disks(client, sworld.stock, "CAN-R", 3)
    ticket = await open_ticket(client, sworld, "PLAT")
    response = await reserve(client, sworld, ticket["id"])
    assert response.status_code == 409
    problem = response.json()
    assert problem["type"].endswith("no-feasible-source")
    assert "before the promised time" in problem["detail"]
    assert [(a["depot"], a["available"], a["feasible"]) for a in problem["alternatives"]] == [
        ("CAN-R", 3, False)
    ]
    assert (await level(client, sworld.stock, sworld.stock.disk, "CAN-R"))["reserved"] == 0


async def test_nbd_ticket_may_be_supplied_from_a_distant_depot(client, sworld):
    await stock_disks(client, sworld.stock, "SHA-C", 1)
    ticket = await open_ticket(client, sworld, "STD")
    response = await reserve(client, sworld, ticket["id"])
    assert response.status_code == 201, response.text
    assert response.json()["depot"] == "SHA-C"


async def test_named_depot_and_named_serial(client, sworld):
    await stock_disks(client, sworld.stock, "CAN-R", 2)
    ticket = await open_ticket(client, sworld, "PLAT")
    named = await reserve(client, sworld, ticket["id"], depot="CAN-R")
    assert named.status_code == 201
    assert named.json()["depot"] == "CAN-R"
    by_serial = await reserve(client, sworld, ticket["id"], serial="D0001", quantity=None)
    assert by_serial.status_code == 201
    assert by_serial.json()["serials"] == ["D0001"]
    again = await reserve(client, sworld, ticket["id"], serial="D0001", quantity=None)
    assert again.status_code == 409
    assert (await reserve(client, sworld, ticket["id"], depot="NOPE")).status_code == 422
    for depot in ("CAN-R", "SHA-C"):  # all held already; never stocked
        refused = await reserve(client, sworld, ticket["id"], depot=depot)
        assert refused.status_code == 409
        assert refused.json()["type"].endswith("no-feasible-source")
    assert (await level(client, sworld.stock, sworld.stock.disk, "CAN-R"))["reserved"] == 2
    assert (await reserve(client, sworld, ticket["id"], quantity=0)).status_code == 422
    unknown_part = await reserve(client, sworld, ticket["id"], part_number="NO-SUCH-PART")
    assert unknown_part.status_code == 422
    assert "unknown part" in unknown_part.json()["detail"]
    assert (await reserve(client, sworld, 999_999, part_number="NO-SUCH-PART")).status_code == 404


async def test_bulk_parts_are_reserved_by_batch(client, sworld):
    from tests.api.conftest import receive

    await receive(
        client,
        sworld.stock,
        "PEK-C",
        [{"part_number": sworld.stock.cable, "quantity": 3, "batch_number": "L1"}],
    )
    ticket = await open_ticket(client, sworld, "PLAT")
    by_serial = await reserve(
        client, sworld, ticket["id"], part_number=sworld.stock.cable, serial="L1", quantity=None
    )
    assert by_serial.status_code == 422
    assert "serialized" in by_serial.json()["detail"]
    response = await reserve(client, sworld, ticket["id"], part_number=sworld.stock.cable, quantity=2)
    assert response.status_code == 201, response.text
    assert response.json()["batches"] == [{"batch_number": "L1", "quantity": 2}]
    fetched = await client.get(
        f"/api/v1/reservations/{response.json()['id']}", headers=sworld.headers["dispatcher"]
    )
    assert instants(fetched.json()) == instants(response.json())
    released = await client.post(
        f"/api/v1/reservations/{response.json()['id']}/release", headers=sworld.headers["dispatcher"]
    )
    assert released.status_code == 200
    assert (await level(client, sworld.stock, sworld.stock.cable, "PEK-C"))["available"] == 3
    assert await check_consistency() == []


async def test_release_returns_the_stock_once(client, sworld):
    await stock_disks(client, sworld.stock, "PEK-C", 1)
    ticket = await open_ticket(client, sworld, "PLAT")
    reservation = (await reserve(client, sworld, ticket["id"])).json()
    url = f"/api/v1/reservations/{reservation['id']}/release"
    released = await client.post(url, headers=sworld.headers["warehouse"])
    assert released.status_code == 200
    assert released.json()["status"] == "released"
    assert (await client.post(url, headers=sworld.headers["warehouse"])).status_code == 409
    assert (await level(client, sworld.stock, sworld.stock.disk, "PEK-C"))["available"] == 1
    assert (
        await client.post("/api/v1/reservations/99999/release", headers=sworld.headers["warehouse"])
    ).status_code == 404


async def test_issue_sends_the_part_to_the_asset_and_expects_the_failed_one_back(client, sworld):
    await stock_disks(client, sworld.stock, "SHA-C", 2)
    ticket = await open_ticket(client, sworld, "PREM")
    reservation = (await reserve(client, sworld, ticket["id"])).json()
    url = f"/api/v1/reservations/{reservation['id']}/issue"
    wrong = await client.post(url, json={"serial": "D0001"}, headers=sworld.headers["warehouse"])
    assert wrong.status_code == 422
    issued = await client.post(
        url, json={"serial": "D0000", "failed_serial": "OLD-777"}, headers=sworld.headers["warehouse"]
    )
    assert issued.status_code == 200, issued.text
    assert issued.json()["status"] == "issued"
    sha = await level(client, sworld.stock, sworld.stock.disk, "SHA-C")
    assert (sha["on_hand"], sha["reserved"], sha["available"]) == (1, 0, 1)
    trace = (await client.get("/api/v1/stock/units/D0000", headers=sworld.headers["warehouse"])).json()
    assert (trace["status"], trace["depot"], trace["history"][-1]["kind"]) == ("issued", None, "issue")
    assert trace["installed"] == {
        "asset_serial": "SRV-PREM-1",
        "warranty_end": "2028-06-01",
        "coverage_phase": "in_warranty",
    }
    expected = await DefectiveReturn.select(DefectiveReturn.failed_serial, DefectiveReturn.status)
    assert expected == [{"failed_serial": "OLD-777", "status": "expected"}]
    assert (
        await client.post(
            f"/api/v1/reservations/{reservation['id']}/release", headers=sworld.headers["warehouse"]
        )
    ).status_code == 409
    assert await check_consistency() == []


async def test_secure_media_retention_keeps_the_failed_disk_with_the_customer(client, sworld):
    await stock_disks(client, sworld.stock, "PEK-C", 1)
    ticket = await open_ticket(client, sworld, "PLAT")
    reservation = (await reserve(client, sworld, ticket["id"])).json()
    issued = await client.post(
        f"/api/v1/reservations/{reservation['id']}/issue",
        json={"failed_serial": "OLD-1"},
        headers=sworld.headers["dispatcher"],
    )
    assert issued.status_code == 200
    assert await DefectiveReturn.select(DefectiveReturn.status) == []
    records = await RetentionRecord.select(RetentionRecord.failed_serial, RetentionRecord.state)
    assert records == [{"failed_serial": "OLD-1", "state": "retained"}]


async def test_expired_reservations_release_their_stock(client, sworld, clock):
    await stock_disks(client, sworld.stock, "PEK-C", 1)
    ticket = await open_ticket(client, sworld, "PLAT")
    reservation = (await reserve(client, sworld, ticket["id"])).json()
    assert (await sweep_once(clock.now + timedelta(hours=47))).expired_reservations == 0
    assert (await sweep_once(clock.now + timedelta(hours=49))).expired_reservations == 1
    fetched = (
        await client.get(f"/api/v1/reservations/{reservation['id']}", headers=sworld.headers["dispatcher"])
    ).json()
    assert fetched["status"] == "expired"
    assert (await level(client, sworld.stock, sworld.stock.disk, "PEK-C"))["available"] == 1
    assert await check_consistency() == []


async def test_premium_critical_ticket_may_preempt_a_lower_priority_hold(client, sworld):
    await stock_disks(client, sworld.stock, "PEK-C", 1)
    low = await open_ticket(client, sworld, "STD", severity="minor")
    held = (await reserve(client, sworld, low["id"])).json()
    high = await open_ticket(client, sworld, "PLAT")
    assert (await reserve(client, sworld, high["id"])).status_code == 409
    taken = await reserve(client, sworld, high["id"], allow_preemption=True)
    assert taken.status_code == 201, taken.text
    assert taken.json()["serials"] == held["serials"]
    bumped = (
        await client.get(f"/api/v1/tickets/{low['id']}/reservations", headers=sworld.headers["dispatcher"])
    ).json()
    assert bumped[0]["status"] == "preempted"
    assert (bumped[0]["preempted_by"], bumped[0]["preempted_by_ticket"]) == (taken.json()["id"], high["id"])
    assert await check_consistency() == []


async def test_issued_parts_and_equal_priority_holds_are_never_preempted(client, sworld):
    await stock_disks(client, sworld.stock, "PEK-C", 2)
    low = await open_ticket(client, sworld, "STD", severity="minor")
    issued = (await reserve(client, sworld, low["id"])).json()
    await client.post(
        f"/api/v1/reservations/{issued['id']}/issue", json={}, headers=sworld.headers["dispatcher"]
    )
    peer = await open_ticket(client, sworld, "PLAT")
    assert (await reserve(client, sworld, peer["id"])).status_code == 201
    high = await open_ticket(client, sworld, "PLAT")
    refused = await reserve(client, sworld, high["id"], allow_preemption=True)
    assert refused.status_code == 409


async def test_only_premium_critical_tickets_may_ask_to_preempt(client, sworld):
    await stock_disks(client, sworld.stock, "PEK-C", 1)
    standard = await open_ticket(client, sworld, "STD", severity="critical")
    assert (await reserve(client, sworld, standard["id"], allow_preemption=True)).status_code == 422
    major = await open_ticket(client, sworld, "PLAT", severity="major")
    response = await reserve(client, sworld, major["id"], allow_preemption=True)
    assert response.status_code == 422
    assert response.json()["type"].endswith("not-entitled")


async def test_parallel_reservations_for_the_last_units(client, sworld):
    await stock_disks(client, sworld.stock, "PEK-C", 3)
    tickets = [await open_ticket(client, sworld, "PLAT") for _ in range(4)]
    responses = await asyncio.gather(*[reserve(client, sworld, tickets[i % 4]["id"]) for i in range(20)])
    statuses = sorted(response.status_code for response in responses)
    assert statuses.count(201) == 3
    assert statuses.count(409) == 17
    held = sorted(s for r in responses if r.status_code == 201 for s in r.json()["serials"])
    assert held == ["D0000", "D0001", "D0002"]
    pek = await level(client, sworld.stock, sworld.stock.disk, "PEK-C")
    assert (pek["reserved"], pek["available"]) == (3, 0)
    assert await check_consistency() == []


async def test_parallel_duplicate_key_creates_one_reservation(client, sworld):
    await stock_disks(client, sworld.stock, "PEK-C", 5)
    ticket = await open_ticket(client, sworld, "PLAT")
    headers = {**sworld.headers["dispatcher"], "Idempotency-Key": "reserve-once"}
    responses = await asyncio.gather(
        *[reserve(client, sworld, ticket["id"], headers=headers) for _ in range(10)]
    )
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["id"] for r in responses}) == 1
    assert (await level(client, sworld.stock, sworld.stock.disk, "PEK-C"))["reserved"] == 1
