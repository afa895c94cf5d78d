"""One way to the site per reserved part, the committed ETA everywhere, and tickets at risk, on both engines.

The world: a standard next-business-day customer in Beijing whose disk is held at PEK-C, one van and one
storage engineer there, on Tuesday 24 November 2026 at 10:00.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest
from httpx import AsyncClient

from api.settings import Settings
from inventory import notifications
from inventory.notifications.tables import NotificationEvent
from inventory.persistence import write_transaction
from inventory.tickets import expire_due, get_progress
from routing import refresh_committed_etas
from routing.tables import PlanStop
from tests.api.service_world import ServiceWorld, build, local, open_ticket, stock_disks
from tests.conftest import SettableClock, test_settings

TOMORROW = date(2026, 11, 25)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return test_settings(database_url, worker_in_web=True, worker_queues=["solves"])


@pytest.fixture
async def sworld(client: AsyncClient, world, clock: SettableClock) -> ServiceWorld:
    clock.now = local(2026, 11, 24, 10)
    built = await build(client, world)
    dispatcher = world.headers["dispatcher"]
    van = {"code": "PEK-V1", "depot": "PEK-C", "capacity_kg": 500, "capacity_l": 2000}
    assert (await client.post("/api/v1/vehicles", json=van, headers=dispatcher)).status_code == 201
    engineer = {"code": "PEK-E1", "name": "Li Wei", "home_depot": "PEK-C", "skills": ["storage", "server"]}
    assert (await client.post("/api/v1/engineers", json=engineer, headers=dispatcher)).status_code == 201
    return built


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


async def reserve(client: AsyncClient, sworld: ServiceWorld, ticket: int, **body) -> dict:
    response = await client.post(
        f"/api/v1/tickets/{ticket}/reservations",
        json={"part_number": sworld.stock.disk, "quantity": 1, **body},
        headers=sworld.headers["dispatcher"],
    )
    assert response.status_code == 201, response.text
    return response.json()


async def plan(client: AsyncClient, headers: dict[str, str], path: str) -> dict:
    body = {"date": str(TOMORROW), "depots": ["PEK-C"], "time_limit_s": 1}
    response = await client.post(path, json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def stop_of(plan: dict, key: str) -> tuple[str, dict]:
    return next(
        (route["vehicle"], stop) for route in plan["routes"] for stop in route["stops"] if stop["key"] == key
    )


async def fulfilment(client: AsyncClient, ticket: int, headers: dict[str, str]) -> dict:
    response = await client.get(f"/api/v1/tickets/{ticket}/fulfilment", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_part_reaches_its_site_one_way_with_the_committed_eta(
    client: AsyncClient, sworld: ServiceWorld, clock: SettableClock, settings: Settings
):
    dispatcher = sworld.headers["dispatcher"]
    await notifications.subscribe(
        notifications.SubscriptionRequest(
            events=[notifications.TICKET_AT_RISK, notifications.TICKET_ETA_CHANGED],
            url="http://127.0.0.1:9/hook",
        ),
        policy=replace(settings.delivery_policy(), allow_private_targets=True),
        viewer=None,
        actor="admin",
        now=clock.now,
    )
    await stock_disks(client, sworld.stock, "PEK-C", 1)
    ticket = await open_ticket(client, sworld, "STD", severity="minor")
    held = await reserve(client, sworld, ticket["id"])
    assert held["depot"] == "PEK-C"
    # Next business day: held until the delivery window has passed plus the grace, not 48 h from now.
    due_by = at(ticket["delivery"]["due_by"])
    assert at(held["expires_at"]) == max(due_by + timedelta(hours=24), local(2026, 11, 26, 10))

    # Two drafts for the same day: the vans' deliveries and the engineers' visits with their pickups.
    deliveries = await plan(client, dispatcher, "/api/v1/routing/nbd-plans")
    delivery_key = f"T{ticket['id']}@PEK-C"
    assert stop_of(deliveries, delivery_key)[1]["reservation"] == held["id"]
    visits = await plan(client, dispatcher, "/api/v1/dispatch/plans")
    engineer, pickup = stop_of(visits, f"T{ticket['id']}:pickup")
    _, visit = stop_of(visits, f"T{ticket['id']}")
    assert engineer == "PEK-E1"

    clock.now += timedelta(minutes=5)
    committed = await client.post(f"/api/v1/dispatch/plans/{visits['id']}/commit", headers=dispatcher)
    assert committed.status_code == 200, committed.text
    ways = await fulfilment(client, ticket["id"], dispatcher)
    (part,) = ways["parts"]
    assert (part["reservation"], part["way"], part["carrier"], part["plan"], part["stop"]) == (
        held["id"],
        "engineer",
        "PEK-E1",
        visits["id"],
        pickup["key"],
    )
    assert at(part["eta"]) == at(visit["eta"]), "the part arrives with the engineer"
    assert part["eta_committed"] is True
    assert at(ways["visit"]["eta"]) == at(visit["eta"])
    reservation = (await client.get(f"/api/v1/reservations/{held['id']}", headers=dispatcher)).json()
    assert (at(reservation["estimated_arrival"]), reservation["way"]) == (at(visit["eta"]), "engineer")

    # The case: the van delivery of the same part is refused, naming the plan and stop that
    # already bring it.
    second = await client.post(f"/api/v1/routing/plans/{deliveries['id']}/commit", headers=dispatcher)
    assert second.status_code == 409, second.text
    problem = second.json()
    assert problem["type"].endswith("second-fulfilment")
    assert (problem["plan"], problem["stop"], problem["way"]) == (visits["id"], pickup["key"], "engineer")
    assert (await client.get(f"/api/v1/routing/plans/{deliveries['id']}", headers=dispatcher)).json()[
        "status"
    ] == "draft"
    # Planned again, the deliveries leave out the part the engineer brings, and commit.
    again = await plan(client, dispatcher, "/api/v1/routing/nbd-plans")
    assert delivery_key not in {stop["key"] for route in again["routes"] for stop in route["stops"]}
    assert delivery_key not in {stop["key"] for stop in again["unassigned"]}
    assert (
        await client.post(f"/api/v1/routing/plans/{again['id']}/commit", headers=dispatcher)
    ).status_code == 200
    collect = await client.post(
        f"/api/v1/reservations/{held['id']}/collection",
        json={"at": "2026-11-25T15:00:00+08:00"},
        headers=dispatcher,
    )
    assert collect.status_code == 409
    assert collect.json()["plan"] == visits["id"]

    # The visit tomorrow misses today's on-site deadline: at risk, by exactly that much.
    on_site_due = at(ticket["sla"]["on_site"]["due_at"])
    expected_late = round((at(visit["eta"]) - on_site_due).total_seconds())
    assert expected_late > 0
    shown = (await client.get(f"/api/v1/tickets/{ticket['id']}", headers=dispatcher)).json()
    assert (shown["at_risk"], shown["predicted_late_seconds"]) == (True, expected_late)
    assert at(shown["parts_eta"]) == at(shown["visit_eta"]) == at(visit["eta"])
    at_risk = (await client.get("/api/v1/tickets?at_risk=true", headers=dispatcher)).json()["items"]
    assert [row["id"] for row in at_risk] == [ticket["id"]]
    [announced] = await NotificationEvent.select(NotificationEvent.payload).where(
        NotificationEvent.event_type == notifications.TICKET_AT_RISK
    )
    data = json.loads(announced["payload"])["data"]
    assert (data["ticket"], data["milestone"], data["source"]) == (ticket["id"], "on_site", "visit")
    assert (data["late_seconds"], at(data["eta"])) == (expected_late, at(visit["eta"]))
    on_time = (await client.get("/api/v1/tickets?at_risk=false", headers=dispatcher)).json()["items"]
    assert ticket["id"] not in {row["id"] for row in on_time}

    # The stop's time changes (as a stop event or a move would change it): the ETA everyone sees follows.
    later = at(visit["eta"]) + timedelta(minutes=40)
    async with write_transaction():
        await PlanStop.update({PlanStop.eta: later}).where(
            (PlanStop.plan == visits["id"]) & (PlanStop.stop_key == visit["key"])
        )
    await refresh_committed_etas(visits["id"], now=clock.now)
    ways = await fulfilment(client, ticket["id"], dispatcher)
    assert at(ways["parts"][0]["eta"]) == later
    assert ways["predicted_late_seconds"] == expected_late + 40 * 60
    shown = (await client.get(f"/api/v1/tickets/{ticket['id']}", headers=dispatcher)).json()
    assert at(shown["parts_eta"]) == at(shown["visit_eta"]) == at(ways["visit"]["eta"]) == later
    reservation = (await client.get(f"/api/v1/reservations/{held['id']}", headers=dispatcher)).json()
    assert at(reservation["estimated_arrival"]) == later
    moved = [
        json.loads(row["payload"])["data"]
        for row in await NotificationEvent.select(NotificationEvent.payload).where(
            NotificationEvent.event_type == notifications.TICKET_ETA_CHANGED
        )
    ]
    assert {(m["source"], m["reservation"]) for m in moved} == {("visit", None), ("delivery", held["id"])}
    assert all((at(m["previous_eta"]), at(m["eta"])) == (at(visit["eta"]), later) for m in moved)

    # A platinum critical fault takes the part: its way ends, and its ticket is on the dispatcher's list
    # with the plan and stop that lost it.
    urgent = await open_ticket(client, sworld, "PLAT")
    taken = await client.post(
        f"/api/v1/tickets/{urgent['id']}/reservations",
        json={"part_number": sworld.stock.disk, "quantity": 1, "allow_preemption": True},
        headers=dispatcher,
    )
    assert taken.status_code == 201, taken.text
    ways = await fulfilment(client, ticket["id"], dispatcher)
    assert (ways["parts"][0]["status"], ways["parts"][0]["way"]) == ("preempted", None)
    assert (ways["at_risk"], ways["predicted_late_seconds"]) == (True, expected_late + 40 * 60), (
        "the engineer's visit is still late on site"
    )
    listed = (await client.get("/api/v1/dispatch/attention", headers=dispatcher)).json()["items"]
    assert [(i["ticket"], i["reservation"], i["reason"], i["plan"], i["stop"]) for i in listed] == [
        (ticket["id"], held["id"], "preempted", visits["id"], pickup["key"])
    ]
    # The engineer no longer collects the part: the committed pickup stop is cancelled, the visit stays.
    committed_plan = (await client.get(f"/api/v1/dispatch/plans/{visits['id']}", headers=dispatcher)).json()
    statuses = {stop["key"]: stop["status"] for route in committed_plan["routes"] for stop in route["stops"]}
    assert (statuses[pickup["key"]], statuses[visit["key"]]) == ("cancelled", "planned")
    resolved = await client.post(f"/api/v1/dispatch/attention/{listed[0]['id']}/resolve", headers=dispatcher)
    assert resolved.status_code == 200
    assert (await client.get("/api/v1/dispatch/attention", headers=dispatcher)).json()["items"] == []
    assert (
        await client.get("/api/v1/dispatch/attention", headers=sworld.headers["warehouse"])
    ).status_code == 403


async def test_collection_customers_view_and_expiry(
    client: AsyncClient, sworld: ServiceWorld, clock: SettableClock
):
    dispatcher, customer = sworld.headers["dispatcher"], sworld.headers["customer"]
    await stock_disks(client, sworld.stock, "PEK-C", 4)
    collected, waiting = [await open_ticket(client, sworld, "STD", severity="minor") for _ in range(2)]
    held = await reserve(client, sworld, collected["id"])
    idle = await reserve(client, sworld, waiting["id"])
    path = f"/api/v1/reservations/{held['id']}/collection"
    body = {"at": "2026-11-25T15:00:00+08:00"}
    keyed = {**dispatcher, "Idempotency-Key": "collect-1"}
    first = await client.post(path, json=body, headers=keyed)
    assert first.status_code == 200, first.text
    assert (await client.post(path, json=body, headers=keyed)).json() == first.json()
    (part,) = first.json()["parts"]
    assert (part["way"], at(part["eta"]), part["eta_committed"]) == ("collection", at(body["at"]), True)
    assert (await client.post(path, json=body, headers=sworld.headers["warehouse"])).status_code == 403
    assert (
        await client.post(path, json={"at": "2026-11-20T15:00:00+08:00"}, headers=dispatcher)
    ).status_code == 422
    assert (
        await client.post("/api/v1/reservations/999999/collection", json=body, headers=dispatcher)
    ).status_code == 404

    # The engineer's visit waits for the collected part and collects nothing on the way.
    visits = await plan(client, dispatcher, "/api/v1/dispatch/plans")
    keys = {stop["key"]: stop for route in visits["routes"] for stop in route["stops"]} | {
        stop["key"]: stop for stop in visits["unassigned"]
    }
    assert f"T{collected['id']}:pickup" not in keys
    assert f"T{waiting['id']}:pickup" in keys
    assert at(keys[f"T{collected['id']}"]["due_from"]) == at(body["at"])

    # Expiry passes over a part with a way to its site; the other expires.
    assert await expire_due(local(2026, 12, 31, 0)) == 1
    statuses = {
        r["id"]: r["status"]
        for t in (collected, waiting)
        for r in (await client.get(f"/api/v1/tickets/{t['id']}/reservations", headers=dispatcher)).json()
    }
    assert statuses == {held["id"]: "active", idle["id"]: "expired"}

    # A second part of the collected ticket goes by van: each part has its own way.
    second = await reserve(client, sworld, collected["id"])
    deliveries = await plan(client, dispatcher, "/api/v1/routing/nbd-plans")
    assert (
        await client.post(f"/api/v1/routing/plans/{deliveries['id']}/commit", headers=dispatcher)
    ).status_code == 200
    ways = {
        part["reservation"]: part["way"]
        for part in (await fulfilment(client, collected["id"], dispatcher))["parts"]
    }
    assert ways == {held["id"]: "collection", second["id"]: "van"}

    # A customer reads its own tickets only, in words, without vans, engineers and plans.
    assert (
        await client.get(f"/api/v1/tickets/{collected['id']}/fulfilment", headers=customer)
    ).status_code == 404
    own = await open_ticket(client, sworld, "ACME", headers=customer, severity="minor")
    mine = await reserve(client, sworld, own["id"], depot="PEK-C")
    arranged = await client.post(
        f"/api/v1/reservations/{mine['id']}/collection", json=body, headers=dispatcher
    )
    assert arranged.status_code == 200, arranged.text
    seen = await fulfilment(client, own["id"], customer)
    assert seen["parts"] == [
        {
            "reservation": mine["id"],
            "part_number": sworld.stock.disk,
            "quantity": 1,
            "depot": "PEK-C",
            "status": "active",
            "status_text": "on its way",
            "way": "collection",
            "how": "collected at the depot by the customer",
            "carrier": None,
            "plan": None,
            "stop": None,
            "eta": seen["parts"][0]["eta"],
            "eta_committed": True,
        }
    ]
    assert at(seen["parts"][0]["eta"]) == at(body["at"])
    progress = await get_progress(own["id"], viewer="ACME", now=clock.now)
    assert progress.eta == at(body["at"]), "the customer's ticket shows the committed ETA"
    assert at((await client.get(f"/api/v1/tickets/{own['id']}", headers=customer)).json()["parts_eta"]) == at(
        body["at"]
    )


async def test_concurrent_commits_give_a_part_one_way(
    client: AsyncClient, sworld: ServiceWorld, clock: SettableClock
):
    dispatcher = sworld.headers["dispatcher"]
    await stock_disks(client, sworld.stock, "PEK-C", 1)
    ticket = await open_ticket(client, sworld, "STD", severity="minor")
    held = await reserve(client, sworld, ticket["id"])
    deliveries = await plan(client, dispatcher, "/api/v1/routing/nbd-plans")
    visits = await plan(client, dispatcher, "/api/v1/dispatch/plans")
    clock.now += timedelta(minutes=5)
    answers = await asyncio.gather(
        client.post(f"/api/v1/routing/plans/{deliveries['id']}/commit", headers=dispatcher),
        client.post(f"/api/v1/dispatch/plans/{visits['id']}/commit", headers=dispatcher),
    )
    assert sorted(answer.status_code for answer in answers) == [200, 409], [a.text for a in answers]
    (part,) = (await fulfilment(client, ticket["id"], dispatcher))["parts"]
    winner = deliveries if answers[0].status_code == 200 else visits
    assert (part["reservation"], part["plan"]) == (held["id"], winner["id"])


@pytest.mark.parametrize(
    ("plans", "commit"), [("routing/nbd-plans", "routing/plans"), ("dispatch/plans", "dispatch/plans")]
)
async def test_overlapping_plans_committed_together_leave_one_committed(
    client: AsyncClient, sworld: ServiceWorld, clock: SettableClock, plans: str, commit: str
):
    """Plans of one depot and day that share no ticket, committed at the same moment, round after round:
    each commit answers, and only the last of each round stays committed."""
    dispatcher = sworld.headers["dispatcher"]
    made: list[int] = []
    for _ in range(3):
        pair = [(await plan(client, dispatcher, f"/api/v1/{plans}"))["id"] for _ in range(2)]
        clock.now += timedelta(minutes=1)
        answers = await asyncio.gather(
            *(client.post(f"/api/v1/{commit}/{plan_id}/commit", headers=dispatcher) for plan_id in pair)
        )
        assert [answer.status_code for answer in answers] == [200, 200], [a.text for a in answers]
        made += pair
        statuses = [
            (await client.get(f"/api/v1/{commit}/{plan_id}", headers=dispatcher)).json()["status"]
            for plan_id in made
        ]
        assert statuses.count("committed") == 1, statuses
        assert statuses.count("superseded") == len(made) - 1, statuses
