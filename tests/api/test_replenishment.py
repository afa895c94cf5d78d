"""Replenishment: the depot hierarchy, stock policies, suggestions with their reasons, accepted once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from inventory.planning import recompute_forecasts
from inventory.stock.consistency import check_consistency
from tests.api.conftest import level, receive
from tests.api.service_world import build, local, open_ticket, stock_disks


async def _route(client, world, depot, supplier, lead_time_days, who="warehouse"):
    return await client.put(
        "/api/v1/replenishment/hierarchy",
        json={"depot": depot, "supplier_depot": supplier, "lead_time_days": lead_time_days},
        headers=world.headers[who],
    )


async def _hierarchy(client, world):
    for depot, supplier, days in (("PEK-C", None, 21), ("SHA-C", "PEK-C", 2), ("CAN-R", "SHA-C", 3)):
        response = await _route(client, world, depot, supplier, days)
        assert response.status_code == 200, response.text


async def _policy(client, world, part, depot, kind, reorder=None, target=None, who="warehouse"):
    body = {"depot": depot, "part_number": part, "kind": kind}
    if reorder is not None:
        body |= {"reorder_level": reorder, "target_level": target}
    return await client.put("/api/v1/stock/policies", json=body, headers=world.headers[who])


async def _cables(client, world, depot, quantity):
    response = await receive(
        client, world, depot, [{"part_number": world.cable, "batch_number": "C1", "quantity": quantity}]
    )
    assert response.status_code == 201, response.text


async def _suggestions(client, world, depot):
    response = await client.get(
        "/api/v1/replenishment/suggestions", params={"depot": depot}, headers=world.headers["warehouse"]
    )
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def _accept(client, world, suggestion, key=None):
    headers = world.headers["warehouse"] | ({"Idempotency-Key": key} if key else {})
    return await client.post(f"/api/v1/replenishment/suggestions/{suggestion}/accept", headers=headers)


async def test_the_hierarchy_is_read_and_set_and_refuses_a_cycle(client, world):
    await _hierarchy(client, world)
    routes = (await client.get("/api/v1/replenishment/hierarchy", headers=world.headers["dispatcher"])).json()
    assert [(r["depot"], r["supplier_depot"], r["lead_time_days"]) for r in routes] == [
        ("CAN-R", "SHA-C", 3),
        ("PEK-C", None, 21),
        ("SHA-C", "PEK-C", 2),
    ]
    cycle = await _route(client, world, "PEK-C", "CAN-R", 5)
    assert cycle.status_code == 422
    assert "cycle" in cycle.json()["detail"]
    assert (await _route(client, world, "PEK-C", "PEK-C", 5)).status_code == 422
    assert (await _route(client, world, "NOPE", None, 5)).status_code == 422
    assert (await _route(client, world, "CAN-R", None, 500)).status_code == 422
    assert (await _route(client, world, "CAN-R", "PEK-C", 4, who="dispatcher")).status_code == 403
    moved = await _route(client, world, "CAN-R", "PEK-C", 4)
    assert moved.json()["supplier_depot"] == "PEK-C"


async def test_policies_are_set_replaced_and_checked(client, world):
    assert (await _policy(client, world, world.cable, "SHA-C", "min_max", 5, 20)).status_code == 200
    replaced = await _policy(client, world, world.cable, "SHA-C", "reorder_point", 6, 30)
    assert replaced.status_code == 200, replaced.text
    auto = await _policy(client, world, world.disk, "SHA-C", "auto")
    assert (auto.json()["reorder_level"], auto.json()["target_level"], auto.json()["forecast"]) == (
        0,
        0,
        None,
    )
    listed = await client.get(
        "/api/v1/stock/policies", params={"depot": "SHA-C"}, headers=world.headers["compliance"]
    )
    assert [
        (p["part_number"], p["kind"], p["reorder_level"], p["target_level"]) for p in listed.json()["items"]
    ] == [
        (world.cable, "reorder_point", 6, 30),
        (world.disk, "auto", 0, 0),
    ]
    assert (await _policy(client, world, world.cable, "SHA-C", "min_max", 9, 3)).status_code == 422
    assert (await _policy(client, world, world.cable, "SHA-C", "min_max")).status_code == 422
    assert (await _policy(client, world, world.cable, "SHA-C", "auto", 1, 2)).status_code == 422
    assert (await _policy(client, world, "NO-SUCH-PART", "SHA-C", "min_max", 1, 2)).status_code == 422
    assert (await _policy(client, world, world.cable, "SHA-C", "min_max", -1, 2)).status_code == 422
    assert (
        await _policy(client, world, world.cable, "SHA-C", "min_max", 1, 2, who="dispatcher")
    ).status_code == 403
    missing = await client.get(
        "/api/v1/stock/policies", params={"depot": "NOPE"}, headers=world.headers["warehouse"]
    )
    assert missing.status_code == 404


async def test_a_transfer_suggestion_with_its_reasons_becomes_a_transfer_once(client, world):
    await _hierarchy(client, world)
    await _cables(client, world, "PEK-C", 30)
    await _cables(client, world, "SHA-C", 3)
    await _policy(client, world, world.cable, "SHA-C", "min_max", 5, 20)
    [suggestion] = await _suggestions(client, world, "SHA-C")
    assert {k: suggestion[k] for k in ("kind", "source_depot", "quantity", "needed", "short_by")} == {
        "kind": "transfer",
        "source_depot": "PEK-C",
        "quantity": 17,
        "needed": 17,
        "short_by": 0,
    }
    assert (
        suggestion["on_hand"],
        suggestion["reserved"],
        suggestion["in_transit"],
        suggestion["on_order"],
    ) == (
        3,
        0,
        0,
        0,
    )
    assert (suggestion["policy"], suggestion["reorder_level"], suggestion["target_level"]) == (
        "min_max",
        5,
        20,
    )
    assert suggestion["lead_time_days"] == 2

    accepted = await _accept(client, world, suggestion["id"], key="accept-1")
    assert accepted.status_code == 200, accepted.text
    transfer_id = accepted.json()["transfer_id"]
    transfer = await client.get(f"/api/v1/stock/transfers/{transfer_id}", headers=world.headers["warehouse"])
    assert (transfer.json()["status"], transfer.json()["quantity"], transfer.json()["from_depot"]) == (
        "in_transit",
        17,
        "PEK-C",
    )
    replayed = await _accept(client, world, suggestion["id"], key="accept-1")
    assert replayed.status_code == 200
    assert replayed.headers.get("Idempotency-Replayed") == "true"
    again = await _accept(client, world, suggestion["id"], key="accept-2")
    assert again.status_code == 409
    assert again.json()["type"] == "urn:spareline:problem:suggestion-accepted"
    assert await _suggestions(client, world, "SHA-C") == []
    assert (await level(client, world, world.cable, "SHA-C"))["in_transit"] == 17
    assert (await level(client, world, world.cable, "PEK-C"))["available"] == 13
    assert await check_consistency() == []


async def test_a_suggestion_goes_stale_when_what_it_rests_on_changes(client, world):
    await _hierarchy(client, world)
    await _cables(client, world, "PEK-C", 30)
    await _policy(client, world, world.cable, "CAN-R", "reorder_point", 4, 10)
    assert await _suggestions(client, world, "CAN-R") == []  # SHA-C, its supplier, has nothing
    await _cables(client, world, "SHA-C", 6)
    [short] = await _suggestions(client, world, "CAN-R")
    assert (short["quantity"], short["needed"], short["short_by"]) == (6, 10, 4)
    await _policy(client, world, world.cable, "CAN-R", "reorder_point", 4, 8)
    stale = await _accept(client, world, short["id"])
    assert stale.status_code == 409
    assert stale.json()["type"] == "urn:spareline:problem:suggestion-stale"
    assert (await _accept(client, world, "1-1-0123456789abcdef")).status_code == 409
    assert (await _accept(client, world, "99999-1-0123456789abcdef")).status_code == 404
    assert (await _accept(client, world, "not-a-suggestion")).status_code in (404, 422)
    denied = await client.post(
        f"/api/v1/replenishment/suggestions/{short['id']}/accept", headers=world.headers["dispatcher"]
    )
    assert denied.status_code == 403


async def test_the_top_of_the_hierarchy_buys_and_counts_what_is_on_order(client, world):
    await _hierarchy(client, world)
    await _cables(client, world, "PEK-C", 30)
    await _policy(client, world, world.cable, "PEK-C", "min_max", 40, 60)
    [purchase] = await _suggestions(client, world, "PEK-C")
    assert (purchase["kind"], purchase["source_depot"], purchase["quantity"], purchase["lead_time_days"]) == (
        "purchase",
        None,
        30,
        21,
    )
    accepted = await _accept(client, world, purchase["id"])
    assert (accepted.json()["kind"], accepted.json()["transfer_id"]) == ("purchase", None)
    assert await _suggestions(client, world, "PEK-C") == []
    await _cables(client, world, "PEK-C", 25)  # part of the order arrives: 5 still on order
    await _policy(client, world, world.cable, "PEK-C", "min_max", 61, 70)
    [next_one] = await _suggestions(client, world, "PEK-C")
    assert (next_one["on_hand"], next_one["on_order"], next_one["quantity"]) == (55, 5, 10)


async def test_two_acceptances_at_once_make_one_transfer(client, world):
    await _hierarchy(client, world)
    await _cables(client, world, "PEK-C", 30)
    await _policy(client, world, world.cable, "SHA-C", "min_max", 5, 20)
    [suggestion] = await _suggestions(client, world, "SHA-C")
    answers = await asyncio.gather(*(_accept(client, world, suggestion["id"]) for _ in range(4)))
    assert sorted(answer.status_code for answer in answers) == [200, 409, 409, 409]
    assert (await level(client, world, world.cable, "SHA-C"))["in_transit"] == 20
    assert (await level(client, world, world.cable, "PEK-C"))["available"] == 10
    assert await check_consistency() == []


@pytest.fixture
async def sworld(client, world, clock):
    clock.now = local(2026, 11, 24, 10)
    return await build(client, world)


async def test_an_auto_policy_takes_its_levels_from_the_forecast_of_the_issue_history(client, sworld, clock):
    world = sworld.stock
    await _hierarchy(client, world)
    await stock_disks(client, world, "PEK-C", 12, prefix="P")
    await stock_disks(client, world, "SHA-C", 8)
    start = clock.now
    for week, customer in ((0, "PREM"), (2, "PLAT"), (3, "PREM"), (6, "PREM"), (7, "PLAT")):
        clock.now = start + timedelta(weeks=week)
        ticket = await open_ticket(client, sworld, customer)
        reservation = await client.post(
            f"/api/v1/tickets/{ticket['id']}/reservations",
            json={"part_number": world.disk, "quantity": 1, "depot": "SHA-C"},
            headers=world.headers["dispatcher"],
        )
        assert reservation.status_code == 201, reservation.text
        issued = await client.post(
            f"/api/v1/reservations/{reservation.json()['id']}/issue",
            json={},
            headers=world.headers["warehouse"],
        )
        assert issued.status_code == 200, issued.text
    clock.now = start + timedelta(weeks=8)
    await _policy(client, world, world.disk, "SHA-C", "auto")
    assert await _suggestions(client, world, "SHA-C") == []  # no forecast yet: no levels

    assert await recompute_forecasts(clock.now) == 1
    [policy] = (
        await client.get(
            "/api/v1/stock/policies", params={"depot": "SHA-C"}, headers=world.headers["warehouse"]
        )
    ).json()["items"]
    forecast = policy["forecast"]
    assert (forecast["demand_class"], forecast["method"], forecast["service_level"]) == (
        "intermittent",
        "sba",
        0.99,
    )
    assert (forecast["demand_weeks"], forecast["lead_time_days"]) == (5, 2)
    assert 0.3 < forecast["per_week"] < 1.0
    assert policy["target_level"] >= 2
    assert policy["reorder_level"] == policy["target_level"]
    [suggestion] = await _suggestions(client, world, "SHA-C")
    assert suggestion["policy"] == "auto"
    assert suggestion["forecast"]["method"] == "sba"
    assert suggestion["quantity"] == policy["target_level"] - 3
