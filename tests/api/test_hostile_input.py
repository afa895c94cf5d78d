"""Hostile input gets a clear 4xx problem on both engines: never a 500, never a partial write."""

from __future__ import annotations

import json

import pytest

from tests.api.conftest import receive, units
from tests.api.service_world import SITES, build, local, open_ticket

PROBLEM = "application/problem+json"
BEYOND_POSTGRES_IDS = 2**31
BEYOND_SQLITE_IDS = 2**63
FAN = {
    "part_number": "FAN-1",
    "category": "cooling",
    "serialized": False,
    "unit_cost": "12.50",
    "weight_kg": 0.2,
    "volume_l": 0.1,
}
DEPOT = {"code": "X1", "name": "X", "kind": "central", "latitude": 1, "longitude": 1, "timezone": "UTC"}


@pytest.fixture
async def sworld(client, world, clock):
    clock.now = local(2026, 12, 1, 10)
    return await build(client, world)


def problem(response, status: int) -> dict:
    """The problem document of ``response``, which must have ``status``."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status
    return body


def named(body: dict) -> set[str]:
    return {error["field"] for error in body.get("errors", [])}


async def open_ticket_as_dispatcher(client, sworld, **fields):
    """POST a premium customer's ticket with ``fields`` changed, and return the response."""
    body = {"customer": "PREM", "site": SITES["PREM"][0], "severity": "major", "summary": "fan noise"}
    return await client.post("/api/v1/tickets", json={**body, **fields}, headers=sworld.headers["dispatcher"])


async def ticket_count(client, sworld) -> int:
    listed = await client.get("/api/v1/tickets", headers=sworld.headers["dispatcher"])
    return len(listed.json()["items"])


@pytest.mark.parametrize("too_big", [BEYOND_POSTGRES_IDS, BEYOND_SQLITE_IDS, 10**30])
@pytest.mark.parametrize(
    ("method", "path", "parameter"),
    [
        ("GET", "/api/v1/tickets/{}", "ticket_id"),
        ("GET", "/api/v1/tickets/{}/reservations", "ticket_id"),
        ("GET", "/api/v1/reservations/{}", "reservation_id"),
        ("POST", "/api/v1/reservations/{}/release", "reservation_id"),
        ("GET", "/api/v1/stock/transfers/{}", "transfer_id"),
        ("POST", "/api/v1/stock/transfers/{}/receive", "transfer_id"),
        ("GET", "/api/v1/secure-media/retentions/{}/certificate", "record_id"),
        ("GET", "/api/v1/routing/plans/{}", "plan_id"),
        ("POST", "/api/v1/dispatch/plans/{}/commit", "plan_id"),
    ],
)
async def test_ids_beyond_any_record_are_a_422_naming_the_parameter(
    client, world, method, path, parameter, too_big
):
    response = await client.request(method, path.format(too_big), headers=world.headers["admin"])
    assert parameter in named(problem(response, 422))


@pytest.mark.parametrize("too_big", [BEYOND_POSTGRES_IDS, BEYOND_SQLITE_IDS])
async def test_ids_in_bodies_beyond_any_record_are_a_422_naming_the_field(client, sworld, too_big):
    admin = sworld.headers["admin"]
    urgent = await client.post("/api/v1/routing/urgent", json={"reservation_id": too_big}, headers=admin)
    assert named(problem(urgent, 422)) == {"reservation_id"}
    correction = await client.post(
        "/api/v1/secure-media/retentions/1/events",
        json={"type": "custody", "action": "stored_at", "party": "vault", "corrects": too_big},
        headers=admin,
    )
    assert "custody.corrects" in named(problem(correction, 422))


@pytest.mark.parametrize("opener", ["[", '{"a":'])
async def test_deeply_nested_json_is_a_400(client, sworld, opener):
    closer = "]" if opener == "[" else "}"
    body = opener * 5_000 + "1" + closer * 5_000
    response = await client.post(
        "/api/v1/tickets",
        content=body,
        headers={**sworld.headers["dispatcher"], "content-type": "application/json"},
    )
    assert "nests deeper" in problem(response, 400)["detail"]
    assert await ticket_count(client, sworld) == 0


async def test_ordinary_nesting_is_untouched(client, sworld):
    # A receipt nests four deep: the receipt, its lines, a line's units, a unit.
    response = await receive(
        client, sworld.stock, "PEK-C", [{"part_number": sworld.stock.psu, "units": units("P", 2)}]
    )
    assert response.status_code == 201, response.text


@pytest.mark.parametrize("character", ["\u0000", "\u0007", "\u001b", "\u007f", "\u0085"])
async def test_control_characters_in_text_are_a_422_naming_the_field(client, sworld, character):
    stock, warehouse = sworld.stock, sworld.headers["warehouse"]
    bad = f"A{character}B"
    line = {"part_number": stock.cable, "quantity": 3, "batch_number": "L1"}
    for field, body in (
        ("supplier", {"depot": "PEK-C", "supplier": bad, "reference": "DN-9", "lines": [line]}),
        ("reference", {"depot": "PEK-C", "supplier": "OEM", "reference": bad, "lines": [line]}),
        (
            "lines.0.batch_number",
            {
                "depot": "PEK-C",
                "supplier": "OEM",
                "reference": "DN-9",
                "lines": [{**line, "batch_number": bad}],
            },
        ),
    ):
        response = await client.post("/api/v1/stock/receipts", json=body, headers=warehouse)
        assert field in named(problem(response, 422)), field
    transfer = await client.post(
        "/api/v1/stock/transfers",
        json={
            "part_number": stock.cable,
            "from_depot": "PEK-C",
            "to_depot": "SHA-C",
            "quantity": 1,
            "reason": bad,
        },
        headers=warehouse,
    )
    assert "reason" in named(problem(transfer, 422))
    ticket = await open_ticket_as_dispatcher(client, sworld, summary=bad)
    assert "summary" in named(problem(ticket, 422))
    custody = await client.post(
        "/api/v1/secure-media/retentions/1/events",
        json={"type": "custody", "action": "stored_at", "party": bad},
        headers=sworld.headers["warehouse"],
    )
    assert "custody.party" in named(problem(custody, 422))
    levels = await client.get("/api/v1/stock", headers=warehouse)
    assert levels.json()["items"] == []
    assert await ticket_count(client, sworld) == 0


async def test_line_breaks_and_tabs_are_ordinary_text(client, sworld):
    ticket = await open_ticket(client, sworld, "PREM", summary="disk failed\n\tbay 3\r\nagain")
    assert ticket["summary"] == "disk failed\n\tbay 3\r\nagain"


@pytest.mark.parametrize("path", ["/api/v1/depots/%00", "/api/v1/parts/A%00B", "/api/v1/stock/units/S%07"])
async def test_control_characters_in_paths_name_nothing(client, world, path):
    problem(await client.get(path, headers=world.headers["admin"]), 404)


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/api/v1/stock?part_number=%00", "part_number"),
        ("/api/v1/tickets?customer=A%00", "customer"),
        ("/api/v1/assets?customer=%1B", "customer"),
    ],
)
async def test_control_characters_in_queries_are_a_400_naming_the_parameter(client, world, path, parameter):
    assert named(problem(await client.get(path, headers=world.headers["admin"]), 400)) == {parameter}


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "2026-10-01", "2027-03-01"])
async def test_plan_days_outside_the_horizon_are_a_422_with_the_range(client, sworld, day):
    for path in ("/api/v1/routing/nbd-plans", "/api/v1/dispatch/plans"):
        body = problem(await client.post(path, json={"date": day}, headers=sworld.headers["dispatcher"]), 422)
        assert named(body) == {"date"}
        assert (body["earliest"], body["latest"]) == ("2026-11-24", "2027-01-30")


@pytest.mark.parametrize(
    "reported_at",
    [
        "0001-01-01T00:00:00Z",
        "1900-01-01T08:00:00+08:00",
        "2026-09-01T09:00:00+08:00",
        "2999-01-01T00:00:00Z",
    ],
)
async def test_report_times_outside_the_window_are_a_422_with_the_range(client, sworld, reported_at):
    response = await open_ticket_as_dispatcher(client, sworld, reported_at=reported_at)
    body = problem(response, 422)
    assert named(body) == {"reported_at"}
    assert body["earliest"].startswith("2026-10-02")
    assert body["latest"].startswith("2026-12-01")
    assert await ticket_count(client, sworld) == 0


async def test_event_and_custody_times_outside_the_window_are_a_422(client, sworld):
    ticket = await open_ticket(client, sworld, "PREM")
    event = await client.post(
        f"/api/v1/tickets/{ticket['id']}/events",
        json={"type": "responded", "at": "2999-01-01T00:00:00Z"},
        headers=sworld.headers["dispatcher"],
    )
    assert named(problem(event, 422)) == {"at"}
    custody = await client.post(
        "/api/v1/secure-media/retentions/1/events",
        json={"type": "custody", "action": "stored_at", "party": "vault", "at": "2999-01-01T00:00:00Z"},
        headers=sworld.headers["warehouse"],
    )
    assert named(problem(custody, 422)) == {"at"}


@pytest.mark.parametrize("unix_time", [1_700_000_000, 1_700_000_000.5])
async def test_numbers_are_not_date_times(client, sworld, unix_time):
    response = await open_ticket_as_dispatcher(client, sworld, reported_at=unix_time)
    assert named(problem(response, 422)) == {"reported_at"}
    plan = await client.post(
        "/api/v1/routing/nbd-plans", json={"date": 20261202}, headers=sworld.headers["dispatcher"]
    )
    assert named(problem(plan, 422)) == {"date"}


async def test_acceptance_and_inspection_dates_far_out_are_a_422(client, sworld):
    dispatcher = sworld.headers["dispatcher"]
    asset = await client.post(
        "/api/v1/assets",
        json={
            "serial": "SRV-X",
            "model": "R2",
            "customer": "PREM",
            "site": "SH-DC1",
            "accepted_on": "9999-12-31",
        },
        headers=dispatcher,
    )
    assert named(problem(asset, 422)) == {"accepted_on"}
    inspection = await client.post(
        "/api/v1/inspections",
        json={"asset_serial": sworld.assets["PREM"], "due_on": "0001-01-01"},
        headers=dispatcher,
    )
    assert named(problem(inspection, 422)) == {"due_on"}


@pytest.mark.parametrize("quantity", [True, False, "2", 2.0, "two", {"n": 2}])
async def test_quantities_are_json_integers(client, sworld, quantity):
    ticket = await open_ticket(client, sworld, "PREM")
    response = await client.post(
        f"/api/v1/tickets/{ticket['id']}/reservations",
        json={"part_number": sworld.stock.cable, "quantity": quantity, "depot": "PEK-C"},
        headers=sworld.headers["dispatcher"],
    )
    assert named(problem(response, 422)) == {"quantity"}


async def test_flags_and_ids_are_strict_too(client, sworld):
    admin = sworld.headers["admin"]
    part = await client.post("/api/v1/parts", json={**FAN, "serialized": "true"}, headers=admin)
    assert named(problem(part, 422)) == {"serialized"}
    urgent = await client.post("/api/v1/routing/urgent", json={"reservation_id": "7"}, headers=admin)
    assert named(problem(urgent, 422)) == {"reservation_id"}
    latitude = await client.post("/api/v1/depots", json={**DEPOT, "latitude": True}, headers=admin)
    assert named(problem(latitude, 422)) == {"latitude"}


async def test_decimals_and_times_of_day_come_as_strings(client, world):
    admin = world.headers["admin"]
    part = await client.post("/api/v1/parts", json=FAN, headers=admin)
    assert part.status_code == 201, part.text
    assert part.json()["unit_cost"] == "12.50"
    vehicle = await client.post(
        "/api/v1/vehicles",
        json={"code": "V1", "depot": "PEK-C", "capacity_kg": 500, "capacity_l": 2000, "shift_start": 28800},
        headers=admin,
    )
    assert named(problem(vehicle, 422)) == {"shift_start"}


async def test_unknown_destination_depot_is_named_as_such(client, sworld):
    warehouse = sworld.headers["warehouse"]
    body = {"part_number": sworld.stock.cable, "from_depot": "PEK-C", "to_depot": "NOWHERE", "quantity": 1}
    to = await client.post("/api/v1/stock/transfers", json=body, headers=warehouse)
    assert named(problem(to, 422)) == {"to_depot"}
    source = {**body, "from_depot": "NOWHERE", "to_depot": "SHA-C"}
    assert named(
        problem(await client.post("/api/v1/stock/transfers", json=source, headers=warehouse), 422)
    ) == {"from_depot"}


@pytest.mark.parametrize("path", ["/api/v1/inspections?state=x", "/api/v1/secure-media/retentions?state=x"])
async def test_a_bad_state_filter_is_named_state(client, world, path):
    assert named(problem(await client.get(path, headers=world.headers["admin"]), 422)) == {"state"}


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
async def test_a_body_that_is_not_json_is_a_415(client, world, content_type):
    headers = {**world.headers["admin"]}
    if content_type:
        headers["content-type"] = content_type
    response = await client.post("/api/v1/depots", content=json.dumps(DEPOT), headers=headers)
    problem(response, 415)
    assert (await client.get("/api/v1/depots/X1", headers=world.headers["admin"])).status_code == 404


async def test_json_media_types_with_parameters_are_json(client, world):
    response = await client.post(
        "/api/v1/depots",
        content=json.dumps(DEPOT),
        headers={**world.headers["admin"], "content-type": "application/json; charset=utf-8"},
    )
    assert response.status_code == 201, response.text


async def test_a_domain_detail_never_replaces_the_problem_status(client, sworld):
    stock, warehouse = sworld.stock, sworld.headers["warehouse"]
    await receive(client, stock, "PEK-C", [{"part_number": stock.cable, "quantity": 3, "batch_number": "L1"}])
    adjustment = await client.post(
        "/api/v1/stock/adjustments",
        json={
            "part_number": stock.cable,
            "depot": "PEK-C",
            "batch_number": "L1",
            "delta": -100,
            "reason": "count",
        },
        headers=warehouse,
    )
    assert problem(adjustment, 409)["state"] == "available"
    sent = await client.post(
        "/api/v1/stock/transfers",
        json={"part_number": stock.cable, "from_depot": "PEK-C", "to_depot": "SHA-C", "quantity": 1},
        headers=warehouse,
    )
    assert sent.status_code == 201, sent.text
    url = f"/api/v1/stock/transfers/{sent.json()['id']}/receive"
    assert (await client.post(url, headers=warehouse)).status_code == 200
    problem(await client.post(url, headers=warehouse), 409)
