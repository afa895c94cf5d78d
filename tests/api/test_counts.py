"""Stock counts: lines scanned, variances at closing, adjustments booked when a second person approves;
write-offs of serialized units with a second person's approval."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from inventory.accounts import Role, create_user
from inventory.stock.consistency import check_consistency
from tests.api.conftest import PASSWORD, level, login, receive, units

PARALLEL = 4


@pytest.fixture
async def second(client, world, settings) -> dict[str, str]:
    """A second warehouse user's headers."""
    await create_user(
        username="warehouse2",
        customer=None,
        password=PASSWORD,
        role=Role.WAREHOUSE,
        passwords=settings.passwords(),
        now=datetime.now(UTC),
    )
    return await login(client, "warehouse2")


async def stocked(client, world) -> None:
    assert (
        await receive(client, world, "PEK-C", [{"part_number": world.disk, "units": units("C", 4)}])
    ).status_code == 201
    lines = [
        {"part_number": world.cable, "quantity": 20, "batch_number": "L-1"},
        {"part_number": world.cable, "quantity": 10, "batch_number": "L-2"},
    ]
    assert (await receive(client, world, "PEK-C", lines)).status_code == 201


async def scan(client, world, count_id: int, **line):
    return await client.post(
        f"/api/v1/stock/counts/{count_id}/lines", json=line, headers=world.headers["warehouse"]
    )


async def test_a_count_finds_variances_and_a_second_person_books_them(client, world, second):
    await stocked(client, world)
    opened = await client.post(
        "/api/v1/stock/counts",
        json={"depot": "PEK-C", "parts": [world.disk, world.cable]},
        headers=world.headers["warehouse"],
    )
    assert opened.status_code == 201, opened.text
    count = opened.json()
    assert (count["status"], count["parts"]) == ("open", sorted([world.disk, world.cable]))
    for serial in ("C0000", "C0001", "C0002", "STRAY-9"):
        assert (
            await scan(client, world, count["id"], part_number=world.disk, serial=serial)
        ).status_code == 201
    assert (await scan(client, world, count["id"], part_number=world.disk, serial="C0000")).status_code == 409
    for quantity in (15, 3):
        assert (
            await scan(
                client, world, count["id"], part_number=world.cable, batch_number="L-1", quantity=quantity
            )
        ).status_code == 201
    assert (
        await scan(client, world, count["id"], part_number=world.cable, batch_number="L-2", quantity=12)
    ).status_code == 201
    assert (await scan(client, world, count["id"], part_number=world.psu, serial="P1")).status_code == 422
    assert (await scan(client, world, count["id"], part_number=world.disk)).status_code == 422
    closed = await client.post(
        f"/api/v1/stock/counts/{count['id']}/close", headers=world.headers["warehouse"]
    )
    assert closed.status_code == 200, closed.text
    body = closed.json()
    assert body["status"] == "closed"
    assert body["line_count"] == 7
    assert [
        (v["kind"], v["serial"], v["batch_number"], v["expected"], v["counted"], v["outcome"])
        for v in body["variances"]
    ] == [
        ("missing", "C0003", "B1", 1, 0, "lost"),
        ("unknown", "STRAY-9", "", 0, 1, "found"),
        ("quantity", None, "L-1", 20, 18, "adjust"),
        ("quantity", None, "L-2", 10, 12, "adjust"),
    ]
    assert (await scan(client, world, count["id"], part_number=world.disk, serial="C0003")).status_code == 409
    mine = await client.post(
        f"/api/v1/stock/counts/{count['id']}/approve", headers=world.headers["warehouse"]
    )
    assert mine.status_code == 403
    assert mine.json()["type"] == "urn:spareline:problem:second-person-required"
    approved = await client.post(f"/api/v1/stock/counts/{count['id']}/approve", headers=second)
    assert approved.status_code == 200, approved.text
    assert approved.json()["approved_by"] == "warehouse2"
    disk = await level(client, world, world.disk, "PEK-C")
    assert (disk["available"], disk["quarantined"]) == (3, 1)
    cable = await level(client, world, world.cable, "PEK-C")
    assert cable["available"] == 30
    lost = (await client.get("/api/v1/stock/units/C0003", headers=world.headers["warehouse"])).json()
    assert (lost["status"], lost["depot"]) == ("lost", None)
    assert lost["history"][-1]["reference"] == f"count:{count['id']}"
    found = (await client.get("/api/v1/stock/units/STRAY-9", headers=world.headers["warehouse"])).json()
    assert (found["status"], found["depot"]) == ("quarantined", "PEK-C")
    assert (
        await client.post(f"/api/v1/stock/counts/{count['id']}/approve", headers=second)
    ).status_code == 409
    listed = await client.get(
        "/api/v1/stock/counts",
        params={"depot": "PEK-C", "status": "approved"},
        headers=world.headers["compliance"],
    )
    assert [item["id"] for item in listed.json()["items"]] == [count["id"]]
    assert await check_consistency() == []


async def test_a_lost_unit_found_in_a_later_count_comes_back(client, world, second):
    await stocked(client, world)
    first = (
        await client.post(
            "/api/v1/stock/counts", json={"depot": "PEK-C", "parts": [world.disk]}, headers=second
        )
    ).json()
    for serial in ("C0000", "C0001", "C0002"):
        await scan(client, world, first["id"], part_number=world.disk, serial=serial)
    await client.post(f"/api/v1/stock/counts/{first['id']}/close", headers=world.headers["warehouse"])
    assert (
        await client.post(f"/api/v1/stock/counts/{first['id']}/approve", headers=second)
    ).status_code == 403
    assert (
        await client.post(f"/api/v1/stock/counts/{first['id']}/approve", headers=world.headers["admin"])
    ).status_code == 200
    again = (await client.post("/api/v1/stock/counts", json={"depot": "PEK-C"}, headers=second)).json()
    for serial in ("C0000", "C0001", "C0002", "C0003"):
        await scan(client, world, again["id"], part_number=world.disk, serial=serial)
    await scan(client, world, again["id"], part_number=world.cable, batch_number="L-1", quantity=20)
    await scan(client, world, again["id"], part_number=world.cable, batch_number="L-2", quantity=10)
    closed = (await client.post(f"/api/v1/stock/counts/{again['id']}/close", headers=second)).json()
    assert [(v["kind"], v["serial"], v["outcome"]) for v in closed["variances"]] == [
        ("unknown", "C0003", "found")
    ]
    assert (
        await client.post(f"/api/v1/stock/counts/{again['id']}/approve", headers=world.headers["admin"])
    ).status_code == 200
    back = (await client.get("/api/v1/stock/units/C0003", headers=world.headers["warehouse"])).json()
    assert (back["status"], back["depot"]) == ("quarantined", "PEK-C")
    assert await check_consistency() == []


async def test_a_write_off_needs_a_second_person(client, world, second):
    await stocked(client, world)
    body = {
        "part_number": world.disk,
        "depot": "PEK-C",
        "serial": "C0001",
        "outcome": "scrapped",
        "reason": "cracked",
    }
    asked = await client.post("/api/v1/stock/write-offs", json=body, headers=world.headers["warehouse"])
    assert asked.status_code == 201, asked.text
    write_off = asked.json()
    assert write_off["status"] == "pending"
    assert (await client.post("/api/v1/stock/write-offs", json=body, headers=second)).status_code == 409
    url = f"/api/v1/stock/write-offs/{write_off['id']}"
    assert (await client.post(f"{url}/approve", headers=world.headers["warehouse"])).status_code == 403
    assert (await level(client, world, world.disk, "PEK-C"))["available"] == 4
    approved = await client.post(f"{url}/approve", headers=second)
    assert approved.status_code == 200, approved.text
    assert (approved.json()["status"], approved.json()["decided_by"]) == ("approved", "warehouse2")
    assert (await level(client, world, world.disk, "PEK-C"))["available"] == 3
    unit = (await client.get("/api/v1/stock/units/C0001", headers=world.headers["warehouse"])).json()
    assert unit["status"] == "scrapped"
    assert unit["history"][-1]["reference"] == f"write-off:{write_off['id']}"
    assert (await client.post(f"{url}/reject", headers=second)).status_code == 409
    gone = await client.post("/api/v1/stock/write-offs", json=body, headers=second)
    assert gone.status_code == 422
    bulk = {**body, "part_number": world.cable}
    assert (await client.post("/api/v1/stock/write-offs", json=bulk, headers=second)).status_code == 422
    assert (
        await client.post("/api/v1/stock/write-offs", json={**body, "outcome": "sold"}, headers=second)
    ).status_code == 422
    assert await check_consistency() == []


async def test_a_quarantined_unit_is_written_off_as_lost_and_a_withdrawn_one_stays(client, world, second):
    await stocked(client, world)
    quarantine = {
        "part_number": world.disk,
        "depot": "PEK-C",
        "serial": "C0002",
        "to_status": "quarantined",
        "reason": "check",
    }
    assert (
        await client.post("/api/v1/stock/status-changes", json=quarantine, headers=second)
    ).status_code == 201
    body = {
        "part_number": world.disk,
        "depot": "PEK-C",
        "serial": "C0002",
        "outcome": "lost",
        "reason": "not on its shelf",
    }
    lost = (
        await client.post("/api/v1/stock/write-offs", json=body, headers=world.headers["warehouse"])
    ).json()
    assert (
        await client.post(f"/api/v1/stock/write-offs/{lost['id']}/approve", headers=second)
    ).status_code == 200
    assert (await level(client, world, world.disk, "PEK-C"))["quarantined"] == 0
    other = {**body, "serial": "C0003"}
    withdrawn = (
        await client.post("/api/v1/stock/write-offs", json=other, headers=world.headers["warehouse"])
    ).json()
    rejected = await client.post(
        f"/api/v1/stock/write-offs/{withdrawn['id']}/reject", headers=world.headers["warehouse"]
    )
    assert rejected.json()["status"] == "rejected"
    listed = await client.get(
        "/api/v1/stock/write-offs", params={"status": "approved"}, headers=world.headers["warehouse"]
    )
    assert [item["serial"] for item in listed.json()["items"]] == ["C0002"]
    assert (await level(client, world, world.disk, "PEK-C"))["available"] == 3
    assert await check_consistency() == []


async def test_parallel_approvals_book_a_count_and_a_write_off_once(client, world, second):
    await stocked(client, world)
    count = (
        await client.post(
            "/api/v1/stock/counts",
            json={"depot": "PEK-C", "parts": [world.cable]},
            headers=world.headers["warehouse"],
        )
    ).json()
    await scan(client, world, count["id"], part_number=world.cable, batch_number="L-1", quantity=25)
    await scan(client, world, count["id"], part_number=world.cable, batch_number="L-2", quantity=10)
    await client.post(f"/api/v1/stock/counts/{count['id']}/close", headers=world.headers["warehouse"])
    body = {
        "part_number": world.disk,
        "depot": "PEK-C",
        "serial": "C0000",
        "outcome": "lost",
        "reason": "gone",
    }
    write_off = (
        await client.post("/api/v1/stock/write-offs", json=body, headers=world.headers["warehouse"])
    ).json()
    answers = await asyncio.gather(
        *[
            client.post(
                f"/api/v1/stock/counts/{count['id']}/approve", headers={**second, "Idempotency-Key": f"c{i}"}
            )
            for i in range(PARALLEL)
        ],
        *[
            client.post(
                f"/api/v1/stock/write-offs/{write_off['id']}/approve",
                headers={**second, "Idempotency-Key": f"w{i}"},
            )
            for i in range(PARALLEL)
        ],
    )
    counted, written = answers[:PARALLEL], answers[PARALLEL:]
    assert sorted(answer.status_code for answer in counted) == [200] + [409] * (PARALLEL - 1)
    assert sorted(answer.status_code for answer in written) == [200] + [409] * (PARALLEL - 1)
    assert (await level(client, world, world.cable, "PEK-C"))["available"] == 35
    assert (await level(client, world, world.disk, "PEK-C"))["available"] == 3
    assert await check_consistency() == []
