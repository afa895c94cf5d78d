"""Delivery plans, urgent deliveries and engineer dispatch on the demo data, on both engines.

Every plan is checked from the outside: no stop begins after its due time or before its window, no
van carries more than its capacity, every route stays within its shift, every pickup comes before
its visit on the same engineer, skills match, and committed stops keep their vehicle and order when
the day is planned again.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from httpx import AsyncClient

from api.controllers.routing import planning_policy
from api.settings import Settings
from fixtures.demo import load_demo
from inventory.customers.tables import Site
from inventory.stock.tables import Depot
from inventory.tickets.priority import Severity
from inventory.tickets.reservations import ReservationRequest, reserve
from inventory.tickets.service import open_ticket
from inventory.tickets.tables import Ticket
from routing import UnassignedReason, planning
from routing.errors import ProblemTooLarge
from routing.tables import PlanSolve, RoutePlanRecord
from tests.conftest import SettableClock, test_settings
from tests.urgent import four_hour_reservation

CHINA = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 11, 24)
TOMORROW = date(2026, 11, 25)
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=CHINA)
LIMIT = 1.0


@pytest.fixture
def settings(database_url: str) -> Settings:
    """The plans are solved as a deployment solves them: on PostgreSQL by the job queue (a worker of the
    solves' queue in the web process, here), on SQLite by the embedded queue."""
    return test_settings(database_url, worker_in_web=True, worker_queues=["solves"])


def at(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


@pytest.fixture
async def demo(client: AsyncClient, settings: Settings, clock: SettableClock) -> dict[str, dict[str, str]]:
    """The demo data loaded at ``NOW``; headers of the demo users by name."""
    clock.now = NOW
    await load_demo(password="demo", passwords=settings.passwords(), now=NOW)
    headers = {}
    for user in ("dispatcher", "warehouse", "zhb", "admin"):
        response = await client.post("/api/v1/auth/token", json={"username": user, "password": "demo"})
        headers[user] = {"Authorization": f"Bearer {response.json()['access_token']}"}
    return headers


async def fleet(client: AsyncClient, headers: dict[str, str], what: str) -> dict[str, dict]:
    response = await client.get(f"/api/v1/{what}?limit=500", headers=headers)
    assert response.status_code == 200, response.text
    return {row["code"]: row for row in response.json()["items"]}


def shift(day: date, row: dict) -> tuple[datetime, datetime]:
    return (
        datetime.combine(day, time.fromisoformat(row["shift_start"]), CHINA),
        datetime.combine(day, time.fromisoformat(row["shift_end"]), CHINA),
    )


def check_delivery_plan(plan: dict, vans: dict[str, dict], day: date) -> None:
    for route in plan["routes"]:
        van = vans[route["vehicle"]]
        start, end = shift(day, van)
        assert start <= at(route["departure"]) <= at(route["arrival"]) <= end
        assert sum(stop["weight_g"] for stop in route["stops"]) <= van["capacity_kg"] * 1000
        assert sum(stop["volume_ml"] for stop in route["stops"]) <= van["capacity_l"] * 1000
        previous = at(route["departure"])
        stop_keys = [stop["key"] for stop in route["stops"]]
        for stop in route["stops"]:
            assert at(stop["eta"]) >= previous
            if stop["kind"] == "pickup":
                assert stop["key"] == f"{stop_keys[stop_keys.index(stop['key']) + 1]}:pickup"
                previous = at(stop["departure_at"])
                continue
            assert at(stop["start_at"]) <= at(stop["due_by"]), stop
            assert at(stop["start_at"]) >= at(stop["due_from"]), stop
            if not stop["key"].startswith("U"):
                assert stop["depot"] == van["depot"]
            previous = at(stop["departure_at"])


Coordinates = dict[str, tuple[float, float]]


async def places() -> tuple[Coordinates, Coordinates]:
    """Where the depots and the sites lie, by code."""
    depots = await Depot.select(Depot.code, Depot.latitude, Depot.longitude)
    sites = await Site.select(Site.code, Site.latitude, Site.longitude)
    return (
        {row["code"]: (row["latitude"], row["longitude"]) for row in depots},
        {row["code"]: (row["latitude"], row["longitude"]) for row in sites},
    )


async def check_coordinates(plan: dict) -> None:
    """Every stop carries where it is made (the depot's for a pickup, the site's otherwise) and every
    route where its depot lies, so that the plan can be drawn on a map."""
    depots, sites = await places()
    for route in plan["routes"]:
        assert (route["depot_latitude"], route["depot_longitude"]) == depots[route["depot"]]
    stops = [stop for route in plan["routes"] for stop in route["stops"]] + plan["unassigned"]
    assert stops
    for stop in stops:
        expected = depots[stop["depot"]] if stop["kind"] == "pickup" else sites[stop["site"]]
        assert (stop["latitude"], stop["longitude"]) == expected, stop


def committed_order(plan: dict) -> dict[str, list[str]]:
    return {route["vehicle"]: [stop["key"] for stop in route["stops"]] for route in plan["routes"]}


def assert_pins_kept(before: dict, after: dict) -> None:
    """Every committed stop still to do is on the same vehicle, marked pinned, in the same order."""
    keys_after = {stop["key"]: route["vehicle"] for route in after["routes"] for stop in route["stops"]}
    pinned = {stop["key"] for route in after["routes"] for stop in route["stops"] if stop["pinned"]}
    for vehicle, keys in committed_order(before).items():
        still = [key for key in keys if key in keys_after or key in {s["key"] for s in after["unassigned"]}]
        assert all(keys_after.get(key) == vehicle for key in still), (vehicle, still)
        assert set(still) <= pinned
        new_order = [key for key in committed_order(after)[vehicle] if key in still]
        assert new_order == still


async def test_delivery_plan_commit_replan_and_urgent(
    client: AsyncClient, demo: dict[str, dict[str, str]], clock: SettableClock
) -> None:
    dispatcher = demo["dispatcher"]
    vans = await fleet(client, dispatcher, "vehicles")
    response = await client.post(
        "/api/v1/routing/nbd-plans", json={"date": str(TOMORROW), "time_limit_s": LIMIT}, headers=dispatcher
    )
    assert response.status_code == 201, response.text
    plan = response.json()
    assert plan["kind"] == "nbd"
    assert plan["status"] == "draft"
    routed = sum(len(route["stops"]) for route in plan["routes"])
    assert routed >= 30
    assert routed + len(plan["unassigned"]) == plan["stats"]["stops"]
    check_delivery_plan(plan, vans, TOMORROW)
    await check_coordinates(plan)
    assert (await client.get(f"/api/v1/routing/plans/{plan['id']}", headers=dispatcher)).json() == plan

    committed = await client.post(f"/api/v1/routing/plans/{plan['id']}/commit", headers=dispatcher)
    assert committed.status_code == 200
    assert committed.json()["status"] == "committed"

    # A new next-business-day ticket arrives; the re-plan keeps every committed stop in place.
    ticket = await open_ticket(
        customer="LJL",
        site="CD-HUB",
        asset_serial=None,
        severity=Severity.MAJOR,
        summary="Power supply failed",
        reported_at=NOW,
        user_caused=False,
        actor="dispatcher",
        now=NOW,
        viewer=None,
    )
    await reserve(
        ticket.id,
        ReservationRequest("DIMM-DDR5-32G-4800", 1, None, None, allow_preemption=False),
        actor="dispatcher",
        now=NOW,
        ttl=timedelta(hours=72),
        viewer=None,
    )
    again = await client.post(
        "/api/v1/routing/nbd-plans", json={"date": str(TOMORROW), "time_limit_s": LIMIT}, headers=dispatcher
    )
    assert again.status_code == 201, again.text
    replanned = again.json()
    assert replanned["stats"]["stops"] == plan["stats"]["stops"] + 1
    assert replanned["stats"]["stops_pinned"] == routed
    check_delivery_plan(replanned, vans, TOMORROW)
    assert_pins_kept(plan, replanned)
    second = await client.post(f"/api/v1/routing/plans/{replanned['id']}/commit", headers=dispatcher)
    assert second.status_code == 200
    superseded = await client.post(f"/api/v1/routing/plans/{plan['id']}/commit", headers=dispatcher)
    assert superseded.status_code == 409

    # Next morning a platinum customer's array loses a disk: 4-hour delivery into the day's plan.
    clock.now = datetime(2026, 11, 25, 9, 30, tzinfo=CHINA)
    urgent_ticket = await open_ticket(
        customer="ZHB",
        site="BJ-DC1",
        asset_serial="ZHB-ARR-0001",
        severity=Severity.CRITICAL,
        summary="Second disk failed in one RAID group",
        reported_at=clock.now,
        user_caused=False,
        actor="dispatcher",
        now=clock.now,
        viewer=None,
    )
    held = await reserve(
        urgent_ticket.id,
        ReservationRequest("HDD-SAS-1T2-10K", 1, None, None, allow_preemption=False),
        actor="dispatcher",
        now=clock.now,
        ttl=timedelta(hours=8),
        viewer=None,
    )
    response = await client.post(
        "/api/v1/routing/urgent", json={"reservation_id": held.id}, headers=dispatcher
    )
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["feasible"] is True
    assert answer["reason"] is None
    assert clock.now <= at(answer["pickup_at"]) < at(answer["eta"]) <= at(answer["due_by"])
    assert answer["based_on"] == [replanned["id"]]
    inserted = (await client.get(f"/api/v1/routing/plans/{answer['plan_id']}", headers=dispatcher)).json()
    check_delivery_plan(inserted, vans, TOMORROW)
    await check_coordinates(inserted)
    route = next(route for route in inserted["routes"] if route["vehicle"] == answer["vehicle"])
    keys = [stop["key"] for stop in route["stops"]]
    assert keys.index(f"U{held.id}:pickup") < keys.index(f"U{held.id}")
    before = {s["key"]: s["start_at"] for r in replanned["routes"] for s in r["stops"]}
    after = {s["key"]: s for r in inserted["routes"] for s in r["stops"]}
    assert before.keys() <= after.keys()
    assert all(at(after[key]["start_at"]) <= at(after[key]["due_by"]) for key in before)

    # A reservation whose due time has passed cannot be made on time.
    clock.now = datetime(2026, 11, 25, 17, 0, tzinfo=CHINA)
    late = await client.post("/api/v1/routing/urgent", json={"reservation_id": held.id}, headers=dispatcher)
    assert late.status_code == 200
    assert late.json()["feasible"] is False
    assert late.json()["reason"] == "window_unreachable"

    # Committed, the urgent delivery stays on its van, after its pickup, when the day is planned again
    # (from the evening before: a re-plan during the day starts every van at the time of the re-plan).
    clock.now = NOW
    assert (
        await client.post(f"/api/v1/routing/plans/{answer['plan_id']}/commit", headers=dispatcher)
    ).status_code == 200
    third = await client.post(
        "/api/v1/routing/nbd-plans", json={"date": str(TOMORROW), "time_limit_s": LIMIT}, headers=dispatcher
    )
    assert third.status_code == 201, third.text
    kept = third.json()
    assert_pins_kept(inserted, kept)
    route = next(route for route in kept["routes"] if route["vehicle"] == answer["vehicle"])
    keys = [stop["key"] for stop in route["stops"]]
    assert keys.index(f"U{held.id}:pickup") < keys.index(f"U{held.id}")
    check_delivery_plan(kept, vans, TOMORROW)
    clock.now = datetime(2026, 11, 25, 9, 45, tzinfo=CHINA)
    again = await client.post("/api/v1/routing/urgent", json={"reservation_id": held.id}, headers=dispatcher)
    assert again.status_code == 409


def check_dispatch_plan(plan: dict, engineers: dict[str, dict], day: date, now: datetime) -> None:
    for route in plan["routes"]:
        engineer = engineers[route["vehicle"]]
        start, end = shift(day, engineer)
        assert max(start, now) <= at(route["departure"]) <= at(route["arrival"]) <= end
        worked = at(route["arrival"]) - at(route["departure"])
        assert worked <= timedelta(minutes=engineer["max_working_minutes"])
        keys = [stop["key"] for stop in route["stops"]]
        for position, stop in enumerate(route["stops"]):
            assert set(stop["skills"]) <= set(engineer["skills"]), (stop, engineer)
            if stop["kind"] == "pickup":
                assert f"T{stop['ticket']}" in keys[position + 1 :], "the pickup comes before its visit"
            if stop["kind"] == "inspection":
                assert at(stop["due_from"]) <= at(stop["start_at"]) <= at(stop["due_by"])
            if stop["kind"] == "visit":
                assert at(stop["start_at"]) >= at(stop["due_from"])
    for stop in plan["unassigned"]:
        assert stop["reason"] in set(UnassignedReason)


async def test_dispatch_plan_commit_and_replan_keeps_pins(
    client: AsyncClient, demo: dict[str, dict[str, str]]
) -> None:
    dispatcher = demo["dispatcher"]
    engineers = await fleet(client, dispatcher, "engineers")
    response = await client.post(
        "/api/v1/dispatch/plans", json={"date": str(TODAY), "time_limit_s": 2}, headers=dispatcher
    )
    assert response.status_code == 201, response.text
    plan = response.json()
    assert plan["kind"] == "dispatch"
    check_dispatch_plan(plan, engineers, TODAY, NOW)
    await check_coordinates(plan)
    kinds = {stop["kind"] for route in plan["routes"] for stop in route["stops"]}
    assert {"visit", "pickup"} <= kinds
    assert plan["stats"]["stops_routed"] >= 60

    commit = await client.post(f"/api/v1/dispatch/plans/{plan['id']}/commit", headers=dispatcher)
    assert commit.status_code == 200
    assert commit.json()["status"] == "committed"
    again = await client.post(
        "/api/v1/dispatch/plans", json={"date": str(TODAY), "time_limit_s": 1}, headers=dispatcher
    )
    assert again.status_code == 201, again.text
    replanned = again.json()
    check_dispatch_plan(replanned, engineers, TODAY, NOW)
    assert_pins_kept(plan, replanned)
    assert replanned["stats"]["stops_pinned"] == plan["stats"]["stops_routed"]
    # A dispatch plan is not a delivery plan.
    assert (
        await client.post(f"/api/v1/routing/plans/{plan['id']}/commit", headers=dispatcher)
    ).status_code == 404


async def test_planning_rights_and_limits(client: AsyncClient, demo: dict[str, dict[str, str]]) -> None:
    body = {"date": str(TOMORROW), "time_limit_s": 0.5}
    assert (await client.post("/api/v1/routing/nbd-plans", json=body)).status_code == 401
    for user in ("zhb", "warehouse"):
        assert (
            await client.post("/api/v1/routing/nbd-plans", json=body, headers=demo[user])
        ).status_code == 403
        assert (await client.post("/api/v1/dispatch/plans", json=body, headers=demo[user])).status_code == 403
        assert (
            await client.post("/api/v1/routing/urgent", json={"reservation_id": 1}, headers=demo[user])
        ).status_code == 403
    made = await client.post("/api/v1/routing/nbd-plans", json=body, headers=demo["admin"])
    assert made.status_code == 201
    plan_id = made.json()["id"]
    assert (
        await client.get(f"/api/v1/routing/plans/{plan_id}", headers=demo["warehouse"])
    ).status_code == 200
    assert (await client.get(f"/api/v1/routing/plans/{plan_id}", headers=demo["zhb"])).status_code == 403
    assert (await client.get("/api/v1/routing/plans/999999", headers=demo["admin"])).status_code == 404

    too_long = await client.post(
        "/api/v1/routing/nbd-plans", json={**body, "time_limit_s": 3600}, headers=demo["dispatcher"]
    )
    assert too_long.status_code == 422
    assert too_long.json()["type"].endswith("routing-problem-too-large")
    unknown = await client.post(
        "/api/v1/dispatch/plans", json={**body, "depots": ["NOPE"]}, headers=demo["dispatcher"]
    )
    assert unknown.status_code == 422
    missing = await client.post(
        "/api/v1/routing/urgent", json={"reservation_id": 999999}, headers=demo["dispatcher"]
    )
    assert missing.status_code == 404
    assert (
        await client.post(
            "/api/v1/routing/nbd-plans", json={**body, "date": "tomorrow"}, headers=demo["dispatcher"]
        )
    ).status_code == 422


async def test_oversized_plans_are_refused_before_solving(demo: dict[str, dict[str, str]]) -> None:
    policy = planning_policy(Settings(_env_file=None, routing_max_stops=5))  # type: ignore[call-arg]
    with pytest.raises(ProblemTooLarge, match="at most 5"):
        await planning.solve_nbd_day(TOMORROW, None, time_limit_s=1, seed=0, now=NOW, policy=policy)


async def test_a_retried_plan_request_replays_the_first_plan(
    client: AsyncClient, demo: dict[str, dict[str, str]]
) -> None:
    headers = {**demo["dispatcher"], "Idempotency-Key": "nbd-2026-11-25"}
    body = {"date": str(TOMORROW), "time_limit_s": 0.5}
    first = await client.post("/api/v1/routing/nbd-plans", json=body, headers=headers)
    again = await client.post("/api/v1/routing/nbd-plans", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers.get("Idempotency-Replayed") == "true"
    assert again.json()["id"] == first.json()["id"]
    other = await client.post("/api/v1/routing/nbd-plans", json={**body, "seed": 7}, headers=headers)
    assert other.status_code == 422
    assert other.json()["type"].endswith("idempotency-key-reused")
    # Neither the replay nor the refused retry solved the day again.
    assert await PlanSolve.count() == 1
    assert await RoutePlanRecord.count() == 1


async def test_an_urgent_check_at_1840_says_the_earliest_arrival_and_the_miss(
    client: AsyncClient, demo: dict[str, dict[str, str]], clock: SettableClock
) -> None:
    """The issue's case: at 18:40 a platinum customer in Beijing loses a disk. Picking and packing ends
    after every van's shift, so 4 hours cannot be kept: the answer says when the part can arrive at the
    earliest (on the vans' next shift) and by how much that misses, not just "infeasible"."""
    clock.now = datetime(2026, 11, 24, 18, 40, tzinfo=CHINA)
    _ticket, held = await four_hour_reservation(clock.now)
    response = await client.post(
        "/api/v1/routing/urgent", json={"reservation_id": held}, headers=demo["dispatcher"]
    )
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["feasible"] is False
    assert answer["reason"] == "window_unreachable"
    assert answer["plan_id"] is None
    due, earliest = at(answer["due_by"]), at(answer["earliest_eta"])
    assert earliest > due
    assert answer["misses_by_seconds"] == (earliest - due).total_seconds()
    options = answer["options"]
    assert 1 <= len(options) <= 3
    assert [at(option["eta"]) for option in options] == sorted(at(option["eta"]) for option in options)
    first = options[0]
    assert at(first["eta"]) == earliest
    assert first["date"] == str(TOMORROW)
    # The vans' next shift starts at 8:00; pick and pack ends at 8:30 at the earliest.
    assert at(first["pickup_at"]) >= datetime(2026, 11, 25, 8, 0, tzinfo=CHINA)
    assert earliest >= datetime(2026, 11, 25, 8, 30, tzinfo=CHINA)
    assert first["slack_seconds"] == -answer["misses_by_seconds"]
    assert first["vehicle"].startswith("VAN-")


async def test_urgent_options_name_the_stops_they_delay(
    client: AsyncClient, demo: dict[str, dict[str, str]], clock: SettableClock
) -> None:
    """In the morning, with the day's deliveries committed, the answer ranks up to three ways with their
    slack; the first is the one the draft carries, and the delays it names are the draft's."""
    dispatcher = demo["dispatcher"]
    made = await client.post(
        "/api/v1/routing/nbd-plans",
        json={"date": str(TOMORROW), "depots": ["PEK-C"], "time_limit_s": LIMIT},
        headers=dispatcher,
    )
    assert made.status_code == 201, made.text
    plan = made.json()
    assert (
        await client.post(f"/api/v1/routing/plans/{plan['id']}/commit", headers=dispatcher)
    ).status_code == 200
    clock.now = datetime(2026, 11, 25, 9, 30, tzinfo=CHINA)
    _ticket, held = await four_hour_reservation(clock.now)
    response = await client.post("/api/v1/routing/urgent", json={"reservation_id": held}, headers=dispatcher)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["feasible"] is True
    assert answer["earliest_eta"] is None
    assert answer["misses_by_seconds"] is None
    options = answer["options"]
    assert 1 <= len(options) <= 3
    first = options[0]
    assert (first["vehicle"], first["eta"], first["pickup_at"]) == (
        answer["vehicle"],
        answer["eta"],
        answer["pickup_at"],
    )
    assert all(option["slack_seconds"] >= 0 for option in options)
    draft = (await client.get(f"/api/v1/routing/plans/{answer['plan_id']}", headers=dispatcher)).json()
    before = {s["key"]: at(s["start_at"]) for r in plan["routes"] for s in r["stops"]}
    route = next(r for r in draft["routes"] if r["vehicle"] == first["vehicle"])
    keys = [stop["key"] for stop in route["stops"]]
    assert (keys.index(f"U{held}:pickup"), keys.index(f"U{held}")) == (
        first["pickup_position"],
        first["delivery_position"],
    )
    delayed = {
        s["key"]: (at(s["start_at"]) - before[s["key"]]).total_seconds()
        for s in route["stops"]
        if s["key"] in before and at(s["start_at"]) > before[s["key"]]
    }
    assert {d["key"]: d["seconds"] for d in first["delays"]} == delayed
    for delay in first["delays"]:
        assert delay["ticket"] is not None


async def test_a_plan_for_beijing_reports_only_beijing_stops(
    client: AsyncClient, demo: dict[str, dict[str, str]]
) -> None:
    """The issue's case: a plan asked for Beijing listed the other cities' stops as unassigned. Delivery
    plans take the orders of Beijing's depot, dispatch plans the sites nearest to Beijing among the
    engineers' depots; a plan of every depot still takes them all."""
    dispatcher = demo["dispatcher"]
    depots, sites = await places()

    def nearest(site: str) -> str:
        here = sites[site]
        return min(
            sorted(depots),
            key=lambda code: (depots[code][0] - here[0]) ** 2 + (depots[code][1] - here[1]) ** 2,
        )

    body = {"date": str(TODAY), "depots": ["PEK-C"], "time_limit_s": LIMIT}
    beijing = await client.post("/api/v1/dispatch/plans", json=body, headers=dispatcher)
    assert beijing.status_code == 201, beijing.text
    plan = beijing.json()
    stops = [stop for route in plan["routes"] for stop in route["stops"]] + plan["unassigned"]
    visits = [stop for stop in stops if stop["kind"] != "pickup"]
    assert visits
    assert {nearest(stop["site"]) for stop in visits} == {"PEK-C"}
    assert {route["depot"] for route in plan["routes"]} == {"PEK-C"}
    everywhere = await client.post("/api/v1/dispatch/plans", json={**body, "depots": []}, headers=dispatcher)
    assert everywhere.status_code == 201, everywhere.text
    whole = everywhere.json()
    assert whole["stats"]["stops"] > plan["stats"]["stops"]
    all_sites = {stop["site"] for route in whole["routes"] for stop in route["stops"]}
    all_sites |= {stop["site"] for stop in whole["unassigned"]}
    assert len({nearest(site) for site in all_sites if site}) > 1

    deliveries = await client.post(
        "/api/v1/routing/nbd-plans", json={**body, "date": str(TOMORROW)}, headers=dispatcher
    )
    assert deliveries.status_code == 201, deliveries.text
    nbd = deliveries.json()
    delivered = [stop for route in nbd["routes"] for stop in route["stops"]] + nbd["unassigned"]
    assert delivered
    assert {stop["depot"] for stop in delivered} == {"PEK-C"}


SUNDAY = date(2026, 11, 29)


async def support_of(plan: dict) -> dict[int, str]:
    """The support hours of the tickets of a plan's visits, by ticket."""
    tickets = {stop["ticket"] for route in plan["routes"] for stop in route["stops"]}
    tickets |= {stop["ticket"] for stop in plan["unassigned"]}
    rows = await Ticket.select(Ticket.id, Ticket.support_hours).where(
        Ticket.id.is_in(sorted(tickets - {None}))
    )
    return {row["id"]: row["support_hours"] for row in rows}


async def test_on_a_sunday_only_weekend_engineers_go_out_and_never_to_a_business_hours_customer(
    client: AsyncClient, demo: dict[str, dict[str, str]], clock: SettableClock
) -> None:
    """The issue's case: engineers were sent out on a Sunday to a business-hours customer. Engineers work
    their home depot's working days unless their shift names weekdays; a business-hours site takes no
    visit on its day off, and says so."""
    dispatcher = demo["dispatcher"]
    weekend = {
        "code": "ENG-PEK-C-WKND",
        "name": "Weekend rota",
        "home_depot": "PEK-C",
        "skills": ["network", "server", "storage", "gpu"],
        "working_days": ["sun", "sat"],
    }
    added = await client.post("/api/v1/engineers", json=weekend, headers=dispatcher)
    assert added.status_code == 201, added.text
    assert added.json()["working_days"] == ["sat", "sun"]
    bad = await client.post(
        "/api/v1/engineers", json={**weekend, "code": "X-1", "working_days": ["sunday"]}, headers=dispatcher
    )
    assert bad.status_code == 422

    clock.now = datetime(2026, 11, 29, 7, 0, tzinfo=CHINA)
    response = await client.post(
        "/api/v1/dispatch/plans",
        json={"date": str(SUNDAY), "depots": ["PEK-C"], "time_limit_s": LIMIT},
        headers=dispatcher,
    )
    assert response.status_code == 201, response.text
    plan = response.json()
    assert {route["vehicle"] for route in plan["routes"]} <= {"ENG-PEK-C-WKND"}
    support = await support_of(plan)
    visits = [stop for route in plan["routes"] for stop in route["stops"] if stop["kind"] == "visit"]
    assert all(support[stop["ticket"]] == "7x24" for stop in visits)
    business = [
        stop
        for stop in plan["unassigned"]
        if stop["kind"] == "visit" and support[stop["ticket"]] == "business"
    ]
    assert business, "the demo has business-hours tickets in Beijing"
    assert {stop["reason"] for stop in business} == {"site_closed"}

    # On a working day, a business-hours visit begins after opening and ends by closing, site time.
    clock.now = NOW
    weekday = await client.post(
        "/api/v1/dispatch/plans", json={"date": str(TODAY), "time_limit_s": LIMIT}, headers=dispatcher
    )
    assert weekday.status_code == 201, weekday.text
    day_plan = weekday.json()
    assert "ENG-PEK-C-WKND" not in {route["vehicle"] for route in day_plan["routes"]}
    support = await support_of(day_plan)
    for route in day_plan["routes"]:
        for stop in route["stops"]:
            if stop["kind"] == "visit" and support[stop["ticket"]] == "business":
                begins = at(stop["start_at"]).astimezone(CHINA)
                ends = begins + timedelta(seconds=stop["service_seconds"])
                assert begins.time() >= time(9), stop
                assert (ends.date(), ends.time()) <= (TODAY, time(18)), stop


async def test_committing_a_dispatch_plan_supersedes_only_the_plans_it_overlaps(
    client: AsyncClient, demo: dict[str, dict[str, str]]
) -> None:
    """Two depots' dispatch plans of one day are both kept; a new plan of one depot supersedes only that
    depot's, and a plan of every depot supersedes both."""
    dispatcher = demo["dispatcher"]
    engineers = await fleet(client, dispatcher, "engineers")
    beijing, other = "PEK-C", next(e["home_depot"] for e in engineers.values() if e["home_depot"] != "PEK-C")

    async def committed(depots: list[str]) -> int:
        body = {"date": str(TODAY), "depots": depots, "time_limit_s": LIMIT}
        made = await client.post("/api/v1/dispatch/plans", json=body, headers=dispatcher)
        assert made.status_code == 201, made.text
        answer = await client.post(f"/api/v1/dispatch/plans/{made.json()['id']}/commit", headers=dispatcher)
        assert answer.status_code == 200, answer.text
        return made.json()["id"]

    async def status(plan_id: int) -> str:
        return (await client.get(f"/api/v1/dispatch/plans/{plan_id}", headers=dispatcher)).json()["status"]

    first_beijing = await committed([beijing])
    elsewhere = await committed([other])
    assert [await status(first_beijing), await status(elsewhere)] == ["committed", "committed"]
    second_beijing = await committed([beijing])
    assert [await status(first_beijing), await status(elsewhere), await status(second_beijing)] == [
        "superseded",
        "committed",
        "committed",
    ]
    everywhere = await committed([])
    assert [await status(elsewhere), await status(second_beijing), await status(everywhere)] == [
        "superseded",
        "superseded",
        "committed",
    ]
