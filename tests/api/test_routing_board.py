"""What the dispatch board reads of a day's plans (`routing.board`), on the demo data, on both engines:
the plan to show for a depot and the committed one, a plan as one depot's board shows it, the busiest
depot and its next delivery day, and where a draft carries an urgent delivery."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from httpx import AsyncClient

from api.settings import Settings
from fixtures.demo import load_demo
from inventory.errors import NotFound
from inventory.tickets.tables import Reservation
from routing import DISPATCH, NBD
from routing.board import (
    busiest_depot,
    committed_keys,
    day_plans,
    depot_plan,
    next_delivery_due,
    urgent_stops,
    urgent_subject,
)
from tests.conftest import SettableClock, test_settings
from tests.urgent import four_hour_reservation

CHINA = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 11, 24)
TOMORROW = date(2026, 11, 25)
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=CHINA)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return test_settings(database_url, worker_in_web=True, worker_queues=["solves"])


@pytest.fixture
async def dispatcher(client: AsyncClient, settings: Settings, clock: SettableClock) -> dict[str, str]:
    """The demo loaded at ``NOW``; the dispatcher's headers."""
    clock.now = NOW
    await load_demo(password="demo", passwords=settings.passwords(), now=NOW)
    token = await client.post("/api/v1/auth/token", json={"username": "dispatcher", "password": "demo"})
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


async def plan(client: AsyncClient, headers: dict[str, str], path: str, **body: object) -> dict:
    answer = await client.post(path, json={"time_limit_s": 1, **body}, headers=headers)
    assert answer.status_code == 201, answer.text
    return answer.json()


async def commit(client: AsyncClient, headers: dict[str, str], path: str) -> None:
    assert (await client.post(path, headers=headers)).status_code == 200


async def test_the_plan_shown_for_a_depot_and_the_committed_one(
    client: AsyncClient, dispatcher: dict[str, str]
) -> None:
    nbd = "/api/v1/routing/nbd-plans"
    assert (await day_plans(NBD, TOMORROW, "PEK-C")).shown is None
    beijing = await plan(client, dispatcher, nbd, date=str(TOMORROW), depots=["PEK-C"])
    found = await day_plans(NBD, TOMORROW, "PEK-C")
    assert (found.shown, found.committed) == (beijing["id"], None)
    # Another depot's plan, another day's, another kind's: not Beijing's.
    await plan(client, dispatcher, nbd, date=str(TOMORROW), depots=["SHA-C"])
    assert (await day_plans(NBD, TOMORROW, "PEK-C")).shown == beijing["id"]
    assert (await day_plans(NBD, TODAY, "PEK-C")).shown is None
    assert (await day_plans(DISPATCH, TOMORROW, "PEK-C")).shown is None
    # A depot is matched by its whole code, LIKE's wildcards taken literally.
    for code in ("PEK", "PEK_C", "EK-C", "%"):
        assert (await day_plans(NBD, TOMORROW, code)).shown is None, code

    await commit(client, dispatcher, f"/api/v1/routing/plans/{beijing['id']}/commit")
    every = await plan(client, dispatcher, nbd, date=str(TOMORROW))  # every depot, Beijing included
    found = await day_plans(NBD, TOMORROW, "PEK-C")
    assert (found.shown, found.committed) == (every["id"], beijing["id"])
    assert (await day_plans(NBD, TOMORROW, "CAN-R")).shown == every["id"]
    await commit(client, dispatcher, f"/api/v1/routing/plans/{every['id']}/commit")
    found = await day_plans(NBD, TOMORROW, "PEK-C")  # the first is superseded now
    assert (found.shown, found.committed) == (every["id"], every["id"])

    # A dispatch plan names no depots: it covers every one.
    engineers = await plan(client, dispatcher, "/api/v1/dispatch/plans", date=str(TODAY))
    assert engineers["depots"] == []
    assert (await day_plans(DISPATCH, TODAY, "SHE-R")).shown == engineers["id"]


async def test_a_plan_as_one_depots_board_shows_it(client: AsyncClient, dispatcher: dict[str, str]) -> None:
    every = await plan(client, dispatcher, "/api/v1/routing/nbd-plans", date=str(TOMORROW))
    board = await depot_plan(every["id"], kind=NBD, depot="SHA-C", unassigned_limit=50)
    expected = [route for route in every["routes"] if route["depot"] == "SHA-C"]
    assert [route.vehicle for route in board.plan.routes] == sorted(route["vehicle"] for route in expected)
    by_vehicle = {route["vehicle"]: [stop["key"] for stop in route["stops"]] for route in expected}
    assert {route.vehicle: [stop.key for stop in route.stops] for route in board.plan.routes} == by_vehicle
    assert all(stop.depot == "SHA-C" for stop in board.plan.unassigned)
    assert board.unassigned_total == sum(1 for stop in every["unassigned"] if stop["depot"] == "SHA-C")
    shown = [stop for route in board.plan.routes for stop in route.stops] + list(board.plan.unassigned)
    assert set(board.details) == {stop.key for stop in shown}
    for stop in shown:
        details = board.details[stop.key]
        assert details.zone == "Asia/Shanghai"
        assert details.site_name
        assert details.part_number
        assert details.customer in {"ZHB", "HSG", "XTC", "LJL", "MSU"}
    with pytest.raises(NotFound):
        await depot_plan(every["id"], kind=DISPATCH, depot="SHA-C", unassigned_limit=50)

    # A dispatch plan's unassigned visits belong to no depot: every depot's board lists them all, by
    # page, soonest due first, without their pickups.
    engineers = await plan(client, dispatcher, "/api/v1/dispatch/plans", date=str(TODAY), time_limit_s=0.5)
    waiting = [stop for stop in engineers["unassigned"] if stop["kind"] != "pickup"]
    first = await depot_plan(engineers["id"], kind=DISPATCH, depot="PEK-C", unassigned_limit=3)
    assert first.unassigned_total == len(waiting)
    assert len(first.plan.unassigned) == min(3, len(waiting))
    rest = await depot_plan(
        engineers["id"], kind=DISPATCH, depot="PEK-C", unassigned_limit=500, unassigned_offset=3
    )
    keys = [stop.key for stop in first.plan.unassigned + rest.plan.unassigned]
    assert sorted(keys) == sorted(stop["key"] for stop in waiting)
    assert all(route.depot == "PEK-C" for route in first.plan.routes)


async def test_the_busiest_depot_and_its_next_delivery_day(dispatcher: dict[str, str]) -> None:
    rows = await Reservation.select(Reservation.depot.code.as_alias("depot")).where(
        Reservation.status == "active"
    )
    counts = Counter(row["depot"] for row in rows)
    most = max(counts.values())
    assert await busiest_depot() == min(code for code, n in counts.items() if n == most)
    due = await next_delivery_due("PEK-C", NOW)
    assert due is not None
    assert due.astimezone(CHINA).date() == TOMORROW  # the demo's tickets were opened before the cut-off
    assert await next_delivery_due("PEK-C", due + timedelta(seconds=1)) is None


async def test_where_a_draft_carries_an_urgent_delivery(
    client: AsyncClient, dispatcher: dict[str, str], clock: SettableClock
) -> None:
    beijing = await plan(client, dispatcher, "/api/v1/routing/nbd-plans", date=str(TOMORROW))
    await commit(client, dispatcher, f"/api/v1/routing/plans/{beijing['id']}/commit")
    committed = {
        stop["key"] for route in beijing["routes"] if route["depot"] == "PEK-C" for stop in route["stops"]
    }
    assert await committed_keys(beijing["id"], "PEK-C") == committed

    clock.now = datetime(2026, 11, 25, 9, 30, tzinfo=CHINA)
    ticket, held = await four_hour_reservation(clock.now)
    subject = await urgent_subject(held)
    assert (subject.ticket, subject.site, subject.delivery_service) == (ticket, "BJ-DC1", "4h")
    assert subject.due_by == clock.now + timedelta(hours=4)
    with pytest.raises(NotFound):
        await urgent_subject(999_999)

    answer = await client.post("/api/v1/routing/urgent", json={"reservation_id": held}, headers=dispatcher)
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert result["feasible"] is True
    assert await urgent_stops(beijing["id"], held) is None
    carried = await urgent_stops(result["plan_id"], held)
    assert carried is not None
    assert carried.vehicle == result["vehicle"]
    assert carried.delivery.key == f"U{held}"
    assert carried.pickup.key == f"U{held}:pickup"
    assert carried.pickup.depot == subject.depot
    assert carried.dedicated is result["dedicated"]
