"""Carrying out committed plans on the demo data, on both engines: stop events, their effects, positions."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta

import pytest
from httpx import AsyncClient

from api.settings import Settings
from fixtures.demo import load_demo
from inventory.notifications.tables import NotificationEvent, Subscription
from routing.tables import FleetPosition, PlanStopEvent
from tests.api.test_routing_plans import CHINA, TODAY, TOMORROW
from tests.conftest import SettableClock, test_settings

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=CHINA)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return test_settings(database_url, worker_in_web=True, worker_queues=["solves"])


@pytest.fixture
async def demo(client: AsyncClient, settings: Settings, clock: SettableClock) -> dict[str, dict[str, str]]:
    clock.now = NOW
    await load_demo(password="demo", passwords=settings.passwords(), now=NOW)
    headers = {}
    for user in ("dispatcher", "warehouse", "zhb", "admin"):
        response = await client.post("/api/v1/auth/token", json={"username": user, "password": "demo"})
        headers[user] = {"Authorization": f"Bearer {response.json()['access_token']}"}
    return headers


async def plan_and_commit(client: AsyncClient, headers: dict[str, str], path: str, day) -> dict:
    made = await client.post(path, json={"date": str(day), "time_limit_s": 1}, headers=headers)
    assert made.status_code == 201, made.text
    plan = made.json()
    base = "/api/v1/dispatch" if "dispatch" in path else "/api/v1/routing"
    draft_stop = plan["routes"][0]["stops"][0]
    on_draft = await client.post(
        f"{base}/plans/{plan['id']}/stops/{draft_stop['id']}/events",
        json={"type": "arrived"},
        headers=headers,
    )
    assert on_draft.status_code == 409, "only the committed plan is carried out"
    committed = await client.post(f"{base}/plans/{plan['id']}/commit", headers=headers)
    assert committed.status_code == 200
    return committed.json()


async def test_engineer_visit_done_meets_on_site_at_arrival(
    client: AsyncClient, demo: dict[str, dict[str, str]], clock: SettableClock
) -> None:
    dispatcher = demo["dispatcher"]
    plan = await plan_and_commit(client, dispatcher, "/api/v1/dispatch/plans", TODAY)
    assert all(stop["status"] == "planned" for route in plan["routes"] for stop in route["stops"])
    assert all(isinstance(stop["id"], int) for route in plan["routes"] for stop in route["stops"])
    route = next(r for r in plan["routes"] if r["stops"][0]["kind"] == "pickup")
    pickup, visit = route["stops"][0], next(s for s in route["stops"] if s["kind"] == "visit")
    base = f"/api/v1/dispatch/plans/{plan['id']}/stops"

    async def event(stop: dict, body: dict, **extra: str):
        return await client.post(f"{base}/{stop['id']}/events", json=body, headers={**dispatcher, **extra})

    assert (await event(pickup, {"type": "done"})).status_code == 409
    assert (await event(pickup, {"type": "failed"})).status_code == 422
    future = (clock.now + timedelta(hours=1)).isoformat()
    assert (await event(pickup, {"type": "arrived", "at": future})).status_code == 422
    assert (await event(pickup, {"type": "teleported"})).status_code == 422
    assert (
        await client.post(
            f"{base}/{pickup['id']}/events", json={"type": "arrived"}, headers=demo["warehouse"]
        )
    ).status_code == 403
    assert (
        await client.post(f"{base}/999999/events", json={"type": "arrived"}, headers=dispatcher)
    ).status_code == 404
    assert (
        await client.post(
            f"/api/v1/routing/plans/{plan['id']}/stops/{pickup['id']}/events",
            json={"type": "arrived"},
            headers=dispatcher,
        )
    ).status_code == 404, "a dispatch plan is not a delivery plan"

    clock.now = NOW + timedelta(hours=2)
    first = await event(pickup, {"type": "en_route", "at": NOW.isoformat()}, **{"Idempotency-Key": "p-1"})
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "en_route"
    again = await event(pickup, {"type": "en_route", "at": NOW.isoformat()}, **{"Idempotency-Key": "p-1"})
    assert again.json() == first.json()
    assert again.headers.get("Idempotency-Replayed") == "true"
    earlier = (NOW - timedelta(minutes=5)).isoformat()
    assert (await event(pickup, {"type": "arrived", "at": earlier})).status_code == 422
    for kind in ("arrived", "done"):
        assert (await event(pickup, {"type": kind})).status_code == 200
    assert (await event(pickup, {"type": "cancelled"})).status_code == 409, "done is final"

    arrived_at = clock.now + timedelta(minutes=20)
    clock.now = arrived_at + timedelta(minutes=50)
    assert (await event(visit, {"type": "arrived", "at": arrived_at.isoformat()})).status_code == 200
    done = await event(visit, {"type": "done"})
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "done"
    ticket = (await client.get(f"/api/v1/tickets/{visit['ticket']}", headers=dispatcher)).json()
    assert datetime.fromisoformat(ticket["sla"]["on_site"]["met_at"]) == arrived_at
    shown = (await client.get(f"/api/v1/dispatch/plans/{plan['id']}", headers=dispatcher)).json()
    statuses = {s["id"]: s["status"] for r in shown["routes"] for s in r["stops"]}
    assert statuses[pickup["id"]] == statuses[visit["id"]] == "done"
    assert await PlanStopEvent.count() == 5


async def test_delivery_done_issues_its_reservations(
    client: AsyncClient, demo: dict[str, dict[str, str]], clock: SettableClock
) -> None:
    plan = await plan_and_commit(client, demo["dispatcher"], "/api/v1/routing/nbd-plans", TOMORROW)
    stop = plan["routes"][0]["stops"][0]
    warehouse = demo["warehouse"]
    base = f"/api/v1/routing/plans/{plan['id']}/stops/{stop['id']}/events"
    clock.now = datetime.fromisoformat(stop["eta"]) + timedelta(minutes=15)
    for kind in ("en_route", "arrived", "done"):
        answer = await client.post(base, json={"type": kind}, headers=warehouse)
        assert answer.status_code == 200, answer.text
    reservation = await client.get(f"/api/v1/reservations/{stop['reservation']}", headers=warehouse)
    assert reservation.json()["status"] == "issued"


async def test_a_failed_stop_needs_a_reason_and_is_final(
    client: AsyncClient, demo: dict[str, dict[str, str]], clock: SettableClock
) -> None:
    await Subscription.insert(
        Subscription(
            email_to="dispatch@example.com",
            events="stop.status_changed",
            secret="s" * 32,
            created_by="dispatcher",
            created_at=NOW,
        )
    )
    plan = await plan_and_commit(client, demo["dispatcher"], "/api/v1/routing/nbd-plans", TOMORROW)
    stop = plan["routes"][0]["stops"][0]
    base = f"/api/v1/routing/plans/{plan['id']}/stops/{stop['id']}/events"
    clock.now = datetime.fromisoformat(stop["eta"])
    failed = await client.post(
        base, json={"type": "failed", "reason": "road closed"}, headers=demo["dispatcher"]
    )
    assert failed.status_code == 200
    assert failed.json()["status"] == "failed"
    assert (await client.post(base, json={"type": "arrived"}, headers=demo["dispatcher"])).status_code == 409
    reservation = await client.get(f"/api/v1/reservations/{stop['reservation']}", headers=demo["dispatcher"])
    assert reservation.json()["status"] == "active"
    published = await NotificationEvent.select(NotificationEvent.payload).where(
        NotificationEvent.event_type == "stop.status_changed"
    )
    assert len(published) == 1, "the stop's one change, announced in its transaction"
    data = json.loads(published[0]["payload"])["data"]
    assert data["stop"] == stop["id"]
    assert (data["previous_status"], data["status"], data["reason"]) == ("planned", "failed", "road closed")


async def test_positions_are_kept_latest_by_time(
    client: AsyncClient, demo: dict[str, dict[str, str]]
) -> None:
    vans = (await client.get("/api/v1/vehicles?limit=1", headers=demo["dispatcher"])).json()["items"]
    van = vans[0]["code"]
    path = f"/api/v1/vehicles/{van}/position"
    body = {"latitude": 31.2, "longitude": 121.4, "at": (NOW - timedelta(minutes=5)).isoformat()}
    answer = await client.post(path, json=body, headers=demo["warehouse"])
    assert answer.status_code == 201, answer.text
    older = {**body, "latitude": 30.0, "at": (NOW - timedelta(minutes=30)).isoformat()}
    kept = await client.post(path, json=older, headers=demo["warehouse"])
    assert kept.json()["latitude"] == 31.2, "a report of an earlier time does not move the van back"
    assert (
        await client.post(path, json={**body, "latitude": 91}, headers=demo["warehouse"])
    ).status_code == 422
    assert (
        await client.post("/api/v1/vehicles/NOPE/position", json=body, headers=demo["dispatcher"])
    ).status_code == 404
    engineers = (await client.get("/api/v1/engineers?limit=1", headers=demo["dispatcher"])).json()["items"]
    engineer_path = f"/api/v1/engineers/{engineers[0]['code']}/position"
    assert (await client.post(engineer_path, json=body, headers=demo["warehouse"])).status_code == 403
    assert (await client.post(engineer_path, json=body, headers=demo["dispatcher"])).status_code == 201
    assert (await client.post(engineer_path, json=body, headers=demo["zhb"])).status_code == 403
    assert await FleetPosition.count() == 3


async def test_two_reports_of_one_stop_at_once_change_it_once(
    client: AsyncClient, demo: dict[str, dict[str, str]], clock: SettableClock
) -> None:
    plan = await plan_and_commit(client, demo["dispatcher"], "/api/v1/routing/nbd-plans", TOMORROW)
    stop = plan["routes"][0]["stops"][0]
    base = f"/api/v1/routing/plans/{plan['id']}/stops/{stop['id']}/events"
    clock.now = datetime.fromisoformat(stop["eta"])
    answers = await asyncio.gather(
        *(
            client.post(base, json={"type": "arrived"}, headers=demo[user])
            for user in ("dispatcher", "warehouse")
        )
    )
    assert sorted(answer.status_code for answer in answers) == [200, 409]
    assert await PlanStopEvent.count() == 1
