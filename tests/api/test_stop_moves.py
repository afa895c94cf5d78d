"""A dispatcher's moves on the demo data, on both engines: a dry run first, then a new draft plan."""

from __future__ import annotations

from datetime import datetime

import pytest
from httpx import AsyncClient

from api.settings import Settings
from fixtures.demo import load_demo
from tests.api.test_routing_plans import CHINA, TODAY
from tests.conftest import SettableClock, test_settings

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=CHINA)
BASE = "/api/v1/dispatch/plans"


@pytest.fixture
def settings(database_url: str) -> Settings:
    return test_settings(database_url, worker_in_web=True, worker_queues=["solves"])


@pytest.fixture
async def demo(client: AsyncClient, settings: Settings, clock: SettableClock) -> dict[str, dict[str, str]]:
    clock.now = NOW
    await load_demo(password="demo", passwords=settings.passwords(), now=NOW)
    headers = {}
    for user in ("dispatcher", "warehouse"):
        response = await client.post("/api/v1/auth/token", json={"username": user, "password": "demo"})
        headers[user] = {"Authorization": f"Bearer {response.json()['access_token']}"}
    return headers


async def test_a_visit_moves_to_another_engineer_after_a_dry_run(
    client: AsyncClient, demo: dict[str, dict[str, str]]
) -> None:
    dispatcher = demo["dispatcher"]
    made = await client.post(BASE, json={"date": str(TODAY), "time_limit_s": 1}, headers=dispatcher)
    plan = made.json()
    assert (await client.post(f"{BASE}/{plan['id']}/commit", headers=dispatcher)).status_code == 200
    engineers = {
        row["code"]: row
        for row in (await client.get("/api/v1/engineers?limit=100", headers=dispatcher)).json()["items"]
    }
    candidates = [
        (route, stop, code)
        for route in plan["routes"]
        for stop in route["stops"]
        if stop["kind"] == "visit"
        for code, row in engineers.items()
        if code != route["vehicle"]
        and row["home_depot"] == engineers[route["vehicle"]]["home_depot"]
        and set(stop["skills"]) <= set(row["skills"])
    ]
    for candidate in candidates:
        route, visit, other = candidate
        move = {"stop": visit["id"], "to": other, "position": 0}
        dry = await client.post(
            f"{BASE}/{plan['id']}/moves", json={**move, "dry_run": True}, headers=dispatcher
        )
        assert dry.status_code == 200, dry.text
        answer = dry.json()
        if answer["reason"] is None:
            break
    else:
        pytest.fail("no visit of the plan can move to a colleague at all")
    assert answer["plan_id"] is None
    moved = next(change for change in answer["changes"] if change["key"] == visit["key"])
    assert moved["vehicle_before"] == route["vehicle"]
    assert moved["vehicle_after"] == other
    assert moved["lateness_change_s"] == moved["late_after_s"] - moved["late_before_s"]
    assert all(change["start_after"] for change in answer["changes"])

    made = await client.post(
        f"{BASE}/{plan['id']}/moves",
        json={**move, "override_reason": "customer asked for her"},
        headers=dispatcher,
    )
    assert made.status_code == 200, made.text
    new_id = made.json()["plan_id"]
    draft = (await client.get(f"{BASE}/{new_id}", headers=dispatcher)).json()
    assert draft["status"] == "draft"
    assert draft["based_on"] == plan["id"]
    new_route = next(r for r in draft["routes"] if r["vehicle"] == other)
    keys = [stop["key"] for stop in new_route["stops"]]
    assert visit["key"] in keys
    assert keys.index(visit["key"]) <= 1, "at the position asked (after its pickup, if it has one)"
    assert route["vehicle"] not in {
        r["vehicle"] for r in draft["routes"] if visit["key"] in {s["key"] for s in r["stops"]}
    }
    stop = next(s for s in new_route["stops"] if s["key"] == visit["key"])
    assert stop["override_reason"] == "customer asked for her"
    assert (await client.post(f"{BASE}/{new_id}/commit", headers=dispatcher)).status_code == 200
    # The plan moved from is superseded now: no more moves on it.
    assert (await client.post(f"{BASE}/{plan['id']}/moves", json=move, headers=dispatcher)).status_code == 409


async def test_moves_that_cannot_be_made(client: AsyncClient, demo: dict[str, dict[str, str]]) -> None:
    dispatcher = demo["dispatcher"]
    plan = (await client.post(BASE, json={"date": str(TODAY), "time_limit_s": 1}, headers=dispatcher)).json()
    engineers = (await client.get("/api/v1/engineers?limit=100", headers=dispatcher)).json()["items"]
    visit = next(s for r in plan["routes"] for s in r["stops"] if s["kind"] == "visit")
    unskilled = next(row["code"] for row in engineers if not set(visit["skills"]) <= set(row["skills"]))
    path = f"{BASE}/{plan['id']}/moves"
    dry = await client.post(
        path, json={"stop": visit["id"], "to": unskilled, "dry_run": True}, headers=dispatcher
    )
    assert dry.status_code == 200
    assert dry.json()["feasible"] is False
    assert dry.json()["reason"] == "skills"
    refused = await client.post(path, json={"stop": visit["id"], "to": unskilled}, headers=dispatcher)
    assert refused.status_code == 409
    pickup = next((s for r in plan["routes"] for s in r["stops"] if s["kind"] == "pickup"), None)
    if pickup is not None:
        answer = await client.post(path, json={"stop": pickup["id"], "to": unskilled}, headers=dispatcher)
        assert answer.status_code == 422
    both = await client.post(
        path, json={"stop": visit["id"], "ticket": 1, "to": unskilled}, headers=dispatcher
    )
    assert both.status_code == 422
    assert (
        await client.post(path, json={"stop": 999999, "to": unskilled}, headers=dispatcher)
    ).status_code == 404
    assert (
        await client.post(path, json={"stop": visit["id"], "to": "NOPE"}, headers=dispatcher)
    ).status_code == 404
    assert (
        await client.post(path, json={"stop": visit["id"], "to": unskilled}, headers=demo["warehouse"])
    ).status_code == 403
    by_ticket = await client.post(
        path, json={"ticket": visit["ticket"], "to": unskilled, "dry_run": True}, headers=dispatcher
    )
    assert by_ticket.status_code == 200
    assert by_ticket.json()["reason"] == "skills"
