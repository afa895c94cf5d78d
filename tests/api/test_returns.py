"""Failed units coming back from customers, graded, and returned to the vendor under an RMA."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from inventory.stock.consistency import check_consistency
from tests.api.conftest import level
from tests.api.service_world import build, local, open_ticket, stock_disks


@pytest.fixture
async def sworld(client, world, clock):
    clock.now = local(2026, 11, 24, 10)
    return await build(client, world)


async def issue_with_failed(client, sworld, customer: str, depot: str, serial: str, failed: str) -> dict:
    ticket = await open_ticket(client, sworld, customer)
    reservation = await client.post(
        f"/api/v1/tickets/{ticket['id']}/reservations",
        json={"part_number": sworld.stock.disk, "quantity": 1, "depot": depot},
        headers=sworld.headers["dispatcher"],
    )
    assert reservation.status_code == 201, reservation.text
    issued = await client.post(
        f"/api/v1/reservations/{reservation.json()['id']}/issue",
        json={"serial": serial, "failed_serial": failed},
        headers=sworld.headers["warehouse"],
    )
    assert issued.status_code == 200, issued.text
    return ticket


async def returns(client, sworld, **params) -> list[dict]:
    response = await client.get("/api/v1/returns", params=params, headers=sworld.headers["warehouse"])
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def receive_return(client, sworld, return_id: int, serial: str, grade: str, depot: str = "SHA-C"):
    return await client.post(
        f"/api/v1/returns/{return_id}/receive",
        json={"depot": depot, "serial": serial, "grade": grade},
        headers=sworld.headers["warehouse"],
    )


async def sanitized(client, sworld, clock, failed_serial: str) -> None:
    """The returned secure disk sanitized at the depot and verified, so that it may go to its vendor or be
    scrapped."""
    from tests.api.test_sanitization import destruction, event

    listed = await client.get(
        "/api/v1/secure-media/retentions", params={"custody": "depot"}, headers=sworld.headers["compliance"]
    )
    record = next(r for r in listed.json()["items"] if r["failed_serial"] == failed_serial)
    assert (
        await event(
            client, sworld, record["id"], "warehouse", destruction(performed_at=clock.now.isoformat())
        )
    ).status_code == 201
    assert (
        await event(client, sworld, record["id"], "compliance", {"type": "verification"})
    ).status_code == 201


async def test_expected_returns_are_listed_and_chased_when_overdue(client, sworld, clock):
    await stock_disks(client, sworld.stock, "SHA-C", 2)
    ticket = await issue_with_failed(client, sworld, "PREM", "SHA-C", "D0000", "OLD-777")
    await issue_with_failed(client, sworld, "PLAT", "SHA-C", "D0001", "KEPT-1")
    listed = await returns(client, sworld)
    assert [(item["ticket"], item["failed_serial"], item["status"]) for item in listed] == [
        (ticket["id"], "OLD-777", "expected")
    ]
    assert listed[0]["overdue"] is False
    assert await returns(client, sworld, depot="PEK-C") == []
    assert await returns(client, sworld, ticket=ticket["id"], status="expected") == listed
    assert await returns(client, sworld, overdue="true") == []
    clock.now = local(2026, 11, 24, 10) + timedelta(days=10, minutes=1)
    chased = await returns(client, sworld, overdue="true")
    assert [item["failed_serial"] for item in chased] == ["OLD-777"]
    assert chased[0]["overdue"] is True
    bad = await client.get("/api/v1/returns", params={"status": "gone"}, headers=sworld.headers["warehouse"])
    assert bad.status_code == 422
    assert (await client.get("/api/v1/returns", headers=sworld.headers["customer"])).status_code == 403


async def test_a_return_is_booked_in_only_with_the_failed_serial(client, sworld):
    await stock_disks(client, sworld.stock, "SHA-C", 1)
    await issue_with_failed(client, sworld, "PREM", "SHA-C", "D0000", "OLD-777")
    (expected,) = await returns(client, sworld)
    wrong = await receive_return(client, sworld, expected["id"], "OLD-778", "repairable")
    assert wrong.status_code == 422
    problem = wrong.json()
    assert problem["type"] == "urn:spareline:problem:serial-mismatch"
    assert (problem["expected"], problem["returned"]) == ("OLD-777", "OLD-778")
    assert "OLD-777" in problem["detail"]
    assert "OLD-778" in problem["detail"]
    booked = await receive_return(client, sworld, expected["id"], "OLD-777", "vendor_return", depot="PEK-C")
    assert booked.status_code == 200, booked.text
    body = booked.json()
    assert (body["status"], body["grade"], body["received_depot"]) == ("received", "vendor_return", "PEK-C")
    assert (await level(client, sworld.stock, sworld.stock.disk, "PEK-C"))["defective"] == 1
    trace = (await client.get("/api/v1/stock/units/OLD-777", headers=sworld.headers["warehouse"])).json()
    assert (trace["status"], trace["depot"]) == ("defective", "PEK-C")
    assert trace["history"][-1]["reference"] == f"return:{expected['id']}"
    again = await receive_return(client, sworld, expected["id"], "OLD-777", "scrap")
    assert again.status_code == 409
    assert (await receive_return(client, sworld, 99999, "OLD-777", "scrap")).status_code == 404
    assert await check_consistency() == []


async def test_a_unit_we_issued_comes_back_and_scrap_is_written_off(client, sworld, clock):
    await stock_disks(client, sworld.stock, "SHA-C", 2)
    await issue_with_failed(client, sworld, "PREM", "SHA-C", "D0000", "OLD-1")
    await issue_with_failed(client, sworld, "PREM", "SHA-C", "D0001", "D0000")
    ours = next(item for item in await returns(client, sworld) if item["failed_serial"] == "D0000")
    unsanitized = await receive_return(client, sworld, ours["id"], "d0000", "scrap")
    assert unsanitized.status_code == 409  # a secure disk: scrapped only once sanitized
    assert unsanitized.json()["rule"] == "returned-secure-media-sanitized"
    await sanitized(client, sworld, clock, "D0000")
    booked = await receive_return(client, sworld, ours["id"], "d0000", "scrap")
    assert booked.status_code == 200, booked.text
    trace = (await client.get("/api/v1/stock/units/D0000", headers=sworld.headers["warehouse"])).json()
    assert trace["status"] == "scrapped"
    assert [m["kind"] for m in trace["history"]][-3:] == ["issue", "return", "write_off"]
    sha = await level(client, sworld.stock, sworld.stock.disk, "SHA-C")
    assert sha["defective"] == 0
    assert await check_consistency() == []


async def test_a_vendor_return_ships_and_is_replaced(client, sworld, clock):
    await stock_disks(client, sworld.stock, "SHA-C", 2)
    await issue_with_failed(client, sworld, "PREM", "SHA-C", "D0000", "OLD-777")
    (expected,) = await returns(client, sworld)
    assert (
        await receive_return(client, sworld, expected["id"], "OLD-777", "vendor_return")
    ).status_code == 200
    await sanitized(client, sworld, clock, "OLD-777")
    body = {
        "vendor": "OEM",
        "rma_number": "RMA-1",
        "depot": "SHA-C",
        "units": [{"part_number": sworld.stock.disk, "serial": "OLD-777"}],
    }
    headers = sworld.headers["warehouse"]
    created = await client.post("/api/v1/vendor-returns", json=body, headers=headers)
    assert created.status_code == 201, created.text
    rma = created.json()
    assert rma["status"] == "open"
    again = await client.post(
        "/api/v1/vendor-returns", json={**body, "rma_number": "rma-1 "}, headers=headers
    )
    assert again.status_code == 409
    other = await client.post("/api/v1/vendor-returns", json={**body, "rma_number": "RMA-2"}, headers=headers)
    assert other.status_code == 409
    not_defective = {
        **body,
        "rma_number": "RMA-3",
        "units": [{"part_number": sworld.stock.disk, "serial": "D0001"}],
    }
    assert (
        await client.post("/api/v1/vendor-returns", json=not_defective, headers=headers)
    ).status_code == 422
    url = f"/api/v1/vendor-returns/{rma['id']}"
    assert (await client.post(f"{url}/credit", json={}, headers=headers)).status_code == 409
    shipped = await client.post(f"{url}/ship", headers=headers)
    assert shipped.status_code == 200, shipped.text
    assert shipped.json()["status"] == "shipped"
    assert shipped.json()["units"][0]["status"] == "returned_to_vendor"
    assert (await level(client, sworld.stock, sworld.stock.disk, "SHA-C"))["defective"] == 0
    replaced = await client.post(
        f"{url}/replacements",
        json={
            "lines": [
                {
                    "part_number": sworld.stock.disk,
                    "units": [{"serial": "NEW-1", "box_number": "BX-R", "batch_number": "B-R"}],
                }
            ]
        },
        headers=headers,
    )
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["status"] == "replaced"
    assert [(u["serial"], u["replacement"], u["status"]) for u in replaced.json()["units"]] == [
        ("OLD-777", False, "returned_to_vendor"),
        ("NEW-1", True, "available"),
    ]
    assert (await level(client, sworld.stock, sworld.stock.disk, "SHA-C"))["available"] == 2
    assert (await client.post(f"{url}/credit", json={}, headers=headers)).status_code == 409
    listed = await client.get("/api/v1/vendor-returns", params={"status": "replaced"}, headers=headers)
    assert [item["id"] for item in listed.json()["items"]] == [rma["id"]]
    assert (await client.post(f"{url}/ship", headers=sworld.headers["dispatcher"])).status_code == 403
    assert await check_consistency() == []


async def test_a_vendor_return_may_be_credited(client, sworld, clock):
    await stock_disks(client, sworld.stock, "SHA-C", 1)
    await issue_with_failed(client, sworld, "PREM", "SHA-C", "D0000", "OLD-9")
    (expected,) = await returns(client, sworld)
    await receive_return(client, sworld, expected["id"], "OLD-9", "vendor_return")
    await sanitized(client, sworld, clock, "OLD-9")
    headers = sworld.headers["warehouse"]
    rma = (
        await client.post(
            "/api/v1/vendor-returns",
            json={
                "vendor": "OEM",
                "rma_number": "RMA-9",
                "depot": "SHA-C",
                "units": [{"part_number": sworld.stock.disk, "serial": "OLD-9"}],
            },
            headers=headers,
        )
    ).json()
    await client.post(f"/api/v1/vendor-returns/{rma['id']}/ship", headers=headers)
    credited = await client.post(
        f"/api/v1/vendor-returns/{rma['id']}/credit", json={"note": "CN-77"}, headers=headers
    )
    assert credited.status_code == 200
    assert (credited.json()["status"], credited.json()["note"]) == ("credited", "CN-77")


async def test_parallel_receipts_of_one_return_book_it_once(client, sworld):
    await stock_disks(client, sworld.stock, "SHA-C", 1)
    await issue_with_failed(client, sworld, "PREM", "SHA-C", "D0000", "OLD-P")
    (expected,) = await returns(client, sworld)
    answers = await asyncio.gather(
        *[
            client.post(
                f"/api/v1/returns/{expected['id']}/receive",
                json={"depot": "SHA-C", "serial": "OLD-P", "grade": "repairable"},
                headers={**sworld.headers["warehouse"], "Idempotency-Key": f"r{i}"},
            )
            for i in range(4)
        ]
    )
    assert sorted(answer.status_code for answer in answers) == [200, 409, 409, 409]
    assert (await level(client, sworld.stock, sworld.stock.disk, "SHA-C"))["defective"] == 1
    assert await check_consistency() == []
