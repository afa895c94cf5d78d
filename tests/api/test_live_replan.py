"""Re-planning during the day on the demo data, on both engines: from where vans and engineers are, with
the day's history left out, stops in progress first, pins let go on request or when they cannot hold,
and changed shifts and absences honoured."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from httpx import AsyncClient

from api.settings import Settings
from fixtures.demo import load_demo
from geo.travel import Point
from inventory.audit.tables import AuditEntry
from routing.assembly import estimate_matrix
from routing.tables import Engineer
from tests.api.test_routing_plans import CHINA, TODAY, TOMORROW, at
from tests.conftest import SettableClock, test_settings

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=CHINA)
AFTERNOON = datetime(2026, 11, 24, 16, 40, tzinfo=CHINA)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return test_settings(database_url, worker_in_web=True, worker_queues=["solves"])


@pytest.fixture
async def demo(client: AsyncClient, settings: Settings, clock: SettableClock) -> dict[str, dict[str, str]]:
    clock.now = NOW
    await load_demo(password="demo", passwords=settings.passwords(), now=NOW)
    headers = {}
    for user in ("dispatcher", "warehouse", "admin"):
        response = await client.post("/api/v1/auth/token", json={"username": user, "password": "demo"})
        headers[user] = {"Authorization": f"Bearer {response.json()['access_token']}"}
    return headers


async def committed(client: AsyncClient, headers: dict[str, str], base: str, path: str, day, **body) -> dict:
    made = await client.post(
        f"{base}{path}", json={"date": str(day), "time_limit_s": 1, **body}, headers=headers
    )
    assert made.status_code == 201, made.text
    plan = made.json()
    answer = await client.post(f"{base}/plans/{plan['id']}/commit", headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


async def report(
    client: AsyncClient, headers: dict[str, str], base: str, plan: dict, stop: dict, *events
) -> None:
    for kind, moment in events:
        body = {"type": kind, "at": moment.isoformat()}
        if kind == "failed":
            body["reason"] = "customer not there"
        answer = await client.post(
            f"{base}/plans/{plan['id']}/stops/{stop['id']}/events", json=body, headers=headers
        )
        assert answer.status_code == 200, answer.text


def as_planned(stop: dict) -> tuple[tuple[str, datetime], ...]:
    """The events of a stop made as planned: arrived at its ETA, done at its departure."""
    return (("arrived", at(stop["eta"])), ("done", at(stop["departure_at"])))


def stops_of(plan: dict) -> dict[str, tuple[str | None, dict]]:
    routed = {stop["key"]: (route["vehicle"], stop) for route in plan["routes"] for stop in route["stops"]}
    return routed | {stop["key"]: (None, stop) for stop in plan["unassigned"]}


async def test_the_afternoon_dispatch_replan_starts_from_the_present(
    client: AsyncClient, demo: dict[str, dict[str, str]], clock: SettableClock
) -> None:
    dispatcher, base = demo["dispatcher"], "/api/v1/dispatch"
    # Working days as long as the shifts, so that the engineers who worked all day may still be given the
    # rest of it (the 8-hour limit, counted from the morning, is the next test's).
    await Engineer.update({Engineer.max_working_minutes: 600}, force=True)
    plan = await committed(client, dispatcher, base, "/plans", TODAY)
    clock.now = AFTERNOON
    done: dict[str, tuple[str, dict]] = {}
    history: set[str] = set()
    last_place: dict[str, dict] = {}
    en_route = failed = None
    for route in plan["routes"]:
        for stop in route["stops"]:
            if at(stop["departure_at"]) <= AFTERNOON - timedelta(minutes=30):
                await report(client, dispatcher, base, plan, stop, *as_planned(stop))
                done[route["vehicle"]] = (route["vehicle"], stop)
                last_place[route["vehicle"]] = stop
                history.add(stop["key"])
            elif en_route is None and stop["kind"] == "visit" and route["vehicle"] in done:
                await report(
                    client, dispatcher, base, plan, stop, ("en_route", AFTERNOON - timedelta(minutes=5))
                )
                en_route = (route["vehicle"], stop)
                break
            elif failed is None and stop["kind"] == "inspection":
                await report(
                    client, dispatcher, base, plan, stop, ("failed", AFTERNOON - timedelta(minutes=10))
                )
                failed = stop
                last_place[route["vehicle"]] = stop
                break
    assert done
    assert en_route is not None

    again = await client.post(
        f"{base}/plans", json={"date": str(TODAY), "time_limit_s": 1}, headers=dispatcher
    )
    assert again.status_code == 201, again.text
    replanned = again.json()
    found = stops_of(replanned)
    assert not history & found.keys(), "what is done is history, not planned again"
    if failed is not None:
        assert not found[failed["key"]][1].get("pinned", False), "a failed stop is planned again, freely"
        assert replanned["stats"]["pins_released"][failed["key"]] == "stop_failed"
    vehicle, stop = en_route
    assert found[stop["key"]][0] == vehicle, found[stop["key"]]
    route = next(r for r in replanned["routes"] if r["vehicle"] == vehicle)
    assert route["stops"][0]["key"] == stop["key"], "the stop on its way stays first on its engineer"
    assert route["stops"][0]["status"] == "en_route"
    assert route["stops"][0]["pinned"]
    for route in replanned["routes"]:
        assert at(route["departure"]) >= AFTERNOON
    for vehicle, last in last_place.items():
        route = next((r for r in replanned["routes"] if r["vehicle"] == vehicle), None)
        if route is None:
            continue
        _metres, seconds = estimate_matrix(
            [
                Point(last["latitude"], last["longitude"]),
                Point(route["stops"][0]["latitude"], route["stops"][0]["longitude"]),
            ]
        )
        leg = at(route["stops"][0]["eta"]) - at(route["departure"])
        assert leg == timedelta(seconds=seconds[0][1]), "the engineer sets off from the last stop reported"

    # The dispatcher lets a committed visit go: it is planned freely again, and named.
    waiting = next(
        s
        for r in replanned["routes"]
        for s in r["stops"]
        if s["status"] == "planned" and s["kind"] == "visit"
    )
    commit = await client.post(f"{base}/plans/{replanned['id']}/commit", headers=dispatcher)
    assert commit.status_code == 200
    assert stops_of(commit.json())[en_route[1]["key"]][1]["status"] == "en_route"
    freed = await client.post(
        f"{base}/plans",
        json={"date": str(TODAY), "time_limit_s": 1, "unpin": [waiting["id"]]},
        headers=dispatcher,
    )
    assert freed.status_code == 201, freed.text
    assert freed.json()["stats"]["pins_released"][waiting["key"]] == "unpinned"
    assert not stops_of(freed.json())[waiting["key"]][1].get("pinned", False)
    started = await client.post(
        f"{base}/plans",
        json={"date": str(TODAY), "time_limit_s": 1, "unpin": [found[en_route[1]["key"]][1]["id"]]},
        headers=dispatcher,
    )
    assert started.status_code == 409, "a stop on its way cannot be unpinned"
    unknown = await client.post(
        f"{base}/plans", json={"date": str(TODAY), "time_limit_s": 1, "unpin": [999999]}, headers=dispatcher
    )
    assert unknown.status_code == 422


async def test_an_engineers_working_time_counts_the_hours_already_worked(
    client: AsyncClient, demo: dict[str, dict[str, str]], clock: SettableClock
) -> None:
    dispatcher, base = demo["dispatcher"], "/api/v1/dispatch"
    plan = await committed(client, dispatcher, base, "/plans", TODAY)
    clock.now = AFTERNOON
    set_out: dict[str, datetime] = {}
    for route in plan["routes"]:
        first = route["stops"][0]
        if at(first["departure_at"]) <= AFTERNOON - timedelta(minutes=30):
            events = [("en_route", at(route["departure"])), ("arrived", at(first["eta"]))]
            await report(client, dispatcher, base, plan, first, *events, ("done", at(first["departure_at"])))
            set_out[route["vehicle"]] = at(route["departure"])
    assert set_out
    again = await client.post(
        f"{base}/plans", json={"date": str(TODAY), "time_limit_s": 1}, headers=dispatcher
    )
    assert again.status_code == 201, again.text
    limit = timedelta(minutes=480)  # the demo engineers' working time a day
    worked_late = [
        route["vehicle"]
        for route in again.json()["routes"]
        if route["vehicle"] in set_out and at(route["arrival"]) - set_out[route["vehicle"]] > limit
    ]
    assert worked_late == [], "no engineer is planned past the day's working time, counted from setting out"
    fresh = [route for route in again.json()["routes"] if route["vehicle"] not in set_out]
    assert all(at(route["arrival"]) - at(route["departure"]) <= limit for route in fresh)


async def test_a_failed_visits_ticket_returns_to_be_planned_and_to_the_dispatchers_list(
    client: AsyncClient, demo: dict[str, dict[str, str]], clock: SettableClock
) -> None:
    dispatcher, base = demo["dispatcher"], "/api/v1/dispatch"
    plan = await committed(client, dispatcher, base, "/plans", TODAY)
    clock.now = AFTERNOON
    visit = max(
        (stop for route in plan["routes"] for stop in route["stops"] if stop["kind"] == "visit"),
        key=lambda stop: at(stop["eta"]),
    )
    await report(client, dispatcher, base, plan, visit, ("failed", AFTERNOON - timedelta(minutes=5)))

    listed = (await client.get("/api/v1/dispatch/attention", headers=dispatcher)).json()["items"]
    (item,) = [item for item in listed if item["ticket"] == visit["ticket"]]
    assert (item["reason"], item["note"]) == ("stop_failed", "customer not there")
    assert (item["plan"], item["stop"]) == (plan["id"], visit["key"])

    again = await client.post(
        f"{base}/plans", json={"date": str(TODAY), "time_limit_s": 1}, headers=dispatcher
    )
    assert again.status_code == 201, again.text
    replanned = again.json()
    assert visit["key"] in stops_of(replanned), "the failed visit is planned again"
    assert replanned["stats"]["pins_released"][visit["key"]] == "stop_failed"
    vehicle, stop = stops_of(replanned)[visit["key"]]
    if vehicle is None:
        return  # too late in the day for it (e.g. its site's hours are over): it is named unassigned
    assert stop["status"] == "planned"
    assert not stop["pinned"]
    commit = await client.post(f"{base}/plans/{replanned['id']}/commit", headers=dispatcher)
    assert commit.status_code == 200, commit.text
    assert stops_of(commit.json())[visit["key"]][1]["status"] == "planned"
    later = await client.post(
        f"{base}/plans", json={"date": str(TODAY), "time_limit_s": 1}, headers=dispatcher
    )
    assert later.status_code == 201, later.text
    kept = stops_of(later.json())[visit["key"]]
    assert kept[0] == vehicle
    assert kept[1]["pinned"], "committed again, it is pinned like any other stop"
    assert visit["key"] not in later.json()["stats"]["pins_released"]
    await report(
        client,
        dispatcher,
        base,
        commit.json(),
        stops_of(commit.json())[visit["key"]][1],
        ("en_route", AFTERNOON),
    )


async def test_pins_that_cannot_hold_are_named_instead_of_failing(
    client: AsyncClient, demo: dict[str, dict[str, str]], clock: SettableClock
) -> None:
    dispatcher, base = demo["dispatcher"], "/api/v1/routing"
    plan = await committed(client, dispatcher, base, "/nbd-plans", TOMORROW)
    late = datetime(2026, 11, 25, 18, 30, tzinfo=CHINA)
    clock.now = late
    answer = await client.post(
        f"{base}/nbd-plans", json={"date": str(TOMORROW), "time_limit_s": 1}, headers=dispatcher
    )
    assert answer.status_code == 201, answer.text
    replanned = answer.json()
    broken = {stop["key"] for stop in replanned["unassigned"] if stop["reason"] == "pin_infeasible"}
    committed_keys = {stop["key"] for route in plan["routes"] for stop in route["stops"]}
    assert broken
    assert broken <= committed_keys
    assert "can no longer be kept" in " ".join(replanned["stats"]["notes"])
    for route in replanned["routes"]:
        assert at(route["departure"]) >= late


async def test_availability_changes_are_honoured(
    client: AsyncClient, demo: dict[str, dict[str, str]], clock: SettableClock
) -> None:
    dispatcher, base = demo["dispatcher"], "/api/v1/dispatch"
    plan = await committed(client, dispatcher, base, "/plans", TODAY)
    clock.now = datetime(2026, 11, 24, 13, 0, tzinfo=CHINA)
    sick = next(route for route in plan["routes"] if len(route["stops"]) >= 2)["vehicle"]
    absence = {
        "starts_at": clock.now.isoformat(),
        "ends_at": (clock.now + timedelta(days=2)).isoformat(),
        "reason": "ill",
    }
    changed = await client.patch(
        f"/api/v1/engineers/{sick}", json={"absences": [absence]}, headers=dispatcher
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["absences"][0]["reason"] == "ill"
    again = await client.post(
        f"{base}/plans", json={"date": str(TODAY), "time_limit_s": 1}, headers=dispatcher
    )
    assert again.status_code == 201, again.text
    replanned = again.json()
    assert sick not in {route["vehicle"] for route in replanned["routes"]}
    released = replanned["stats"]["pins_released"]
    sick_keys = {
        stop["key"] for route in plan["routes"] if route["vehicle"] == sick for stop in route["stops"]
    }
    assert sick_keys <= released.keys()
    assert {released[key] for key in sick_keys} == {"vehicle_unavailable"}

    # Another engineer is away for two hours this afternoon: the rest of the shift after it is planned,
    # and the visits committed to them are planned again.
    away = next(route for route in plan["routes"] if route["vehicle"] != sick and len(route["stops"]) >= 2)
    back = datetime(2026, 11, 24, 15, 0, tzinfo=CHINA)
    pause = {"starts_at": clock.now.isoformat(), "ends_at": back.isoformat(), "reason": "training"}
    changed = await client.patch(
        f"/api/v1/engineers/{away['vehicle']}", json={"absences": [pause]}, headers=dispatcher
    )
    assert changed.status_code == 200, changed.text
    again = await client.post(
        f"{base}/plans", json={"date": str(TODAY), "time_limit_s": 1}, headers=dispatcher
    )
    assert again.status_code == 201, again.text
    later = again.json()
    for route in later["routes"]:
        if route["vehicle"] == away["vehicle"]:
            assert at(route["departure"]) >= back
    away_keys = {stop["key"] for stop in away["stops"]}
    assert {later["stats"]["pins_released"].get(key) for key in away_keys} == {"absent"}

    short = await client.patch(
        f"/api/v1/engineers/{sick}", json={"shift_start": "09:00", "shift_end": "08:00"}, headers=dispatcher
    )
    assert short.status_code == 422
    assert (
        await client.patch("/api/v1/engineers/NOPE", json={"active": False}, headers=dispatcher)
    ).status_code == 404
    assert (
        await client.patch(f"/api/v1/engineers/{sick}", json={"active": False}, headers=demo["warehouse"])
    ).status_code == 403
    vans = (await client.get("/api/v1/vehicles?limit=1", headers=dispatcher)).json()["items"]
    off = await client.patch(
        f"/api/v1/vehicles/{vans[0]['code']}", json={"active": False}, headers=dispatcher
    )
    assert off.status_code == 200
    assert off.json()["active"] is False


async def test_an_absence_can_be_removed_and_plans_count_it_no_more(
    client: AsyncClient, demo: dict[str, dict[str, str]], clock: SettableClock
) -> None:
    dispatcher, base = demo["dispatcher"], "/api/v1/dispatch"
    plan = await committed(client, dispatcher, base, "/plans", TODAY)
    clock.now = datetime(2026, 11, 24, 13, 0, tzinfo=CHINA)
    sick = next(route for route in plan["routes"] if len(route["stops"]) >= 2)["vehicle"]
    absence = {
        "starts_at": clock.now.isoformat(),
        "ends_at": (clock.now + timedelta(days=2)).isoformat(),
        "reason": "entered for the wrong engineer",
    }
    changed = await client.patch(
        f"/api/v1/engineers/{sick}", json={"absences": [absence]}, headers=dispatcher
    )
    (kept,) = changed.json()["absences"]
    path = f"/api/v1/engineers/{sick}/absences/{kept['id']}"
    assert (await client.delete(path, headers=demo["warehouse"])).status_code == 403
    assert (
        await client.delete(f"/api/v1/engineers/NOPE/absences/{kept['id']}", headers=dispatcher)
    ).status_code == 404
    vans = (await client.get("/api/v1/vehicles?limit=1", headers=dispatcher)).json()["items"]
    other = f"/api/v1/vehicles/{vans[0]['code']}/absences/{kept['id']}"
    assert (await client.delete(other, headers=dispatcher)).status_code == 404  # not the van's absence
    removed = await client.delete(path, headers=dispatcher)
    assert removed.status_code == 204, removed.text
    assert (await client.delete(path, headers=dispatcher)).status_code == 404
    again = await client.post(
        f"{base}/plans", json={"date": str(TODAY), "time_limit_s": 1}, headers=dispatcher
    )
    assert again.status_code == 201, again.text
    released = again.json()["stats"]["pins_released"]
    sick_keys = {
        stop["key"] for route in plan["routes"] if route["vehicle"] == sick for stop in route["stops"]
    }
    assert not sick_keys & released.keys()
    entry = await AuditEntry.select(AuditEntry.actor, AuditEntry.subject, AuditEntry.payload).where(
        AuditEntry.action == "absence.removed"
    )
    assert [(row["actor"], row["subject"]) for row in entry] == [("dispatcher", f"engineer:{sick}")]
    assert json.loads(entry[0]["payload"])["reason"] == "entered for the wrong engineer"

    van = vans[0]["code"]
    away = await client.patch(f"/api/v1/vehicles/{van}", json={"absences": [absence]}, headers=dispatcher)
    (van_absence,) = away.json()["absences"]
    gone = await client.delete(f"/api/v1/vehicles/{van}/absences/{van_absence['id']}", headers=dispatcher)
    assert gone.status_code == 204


async def test_a_delivery_replan_during_the_day_starts_where_the_vans_are(
    client: AsyncClient, demo: dict[str, dict[str, str]], clock: SettableClock
) -> None:
    dispatcher, base = demo["dispatcher"], "/api/v1/routing"
    plan = await committed(client, dispatcher, base, "/nbd-plans", TOMORROW)
    first_eta = min(at(stop["eta"]) for route in plan["routes"] for stop in route["stops"])
    afternoon = first_eta + timedelta(hours=2)
    clock.now = afternoon
    done: set[str] = set()
    for route in plan["routes"]:
        for stop in route["stops"]:
            if at(stop["departure_at"]) <= afternoon - timedelta(hours=1):
                await report(client, demo["warehouse"], base, plan, stop, *as_planned(stop))
                done.add(stop["key"])
    assert done
    moving = next(r for r in plan["routes"] if any(s["key"] not in done for s in r["stops"]))
    here = Point(moving["depot_latitude"] + 0.02, moving["depot_longitude"] + 0.02)
    reported = await client.post(
        f"/api/v1/vehicles/{moving['vehicle']}/position",
        json={"latitude": here.latitude, "longitude": here.longitude, "at": afternoon.isoformat()},
        headers=dispatcher,
    )
    assert reported.status_code == 201
    again = await client.post(
        f"{base}/nbd-plans", json={"date": str(TOMORROW), "time_limit_s": 1}, headers=dispatcher
    )
    assert again.status_code == 201, again.text
    replanned = again.json()
    assert not done & stops_of(replanned).keys()
    left = [s["key"] for s in moving["stops"] if s["key"] not in done]
    assert {stops_of(replanned)[key][0] for key in left} == {moving["vehicle"]}, "its pins hold"
    route = next(r for r in replanned["routes"] if r["vehicle"] == moving["vehicle"])
    first = route["stops"][0]
    _metres, seconds = estimate_matrix([here, Point(first["latitude"], first["longitude"])])
    assert at(first["eta"]) - at(route["departure"]) == timedelta(seconds=seconds[0][1])
    assert at(route["departure"]) >= afternoon


async def test_a_visit_made_keeps_its_time_and_its_parts_way_when_the_day_is_replanned(
    client: AsyncClient, demo: dict[str, dict[str, str]], clock: SettableClock
) -> None:
    """A re-plan leaves what is done out; committing it must not take away the way the part came by nor
    the time the engineer was there (the customer would see the part "not arranged yet")."""
    dispatcher, base = demo["dispatcher"], "/api/v1/dispatch"
    plan = await committed(client, dispatcher, base, "/plans", TODAY)
    route, visit = next(
        (route, stop)
        for route in plan["routes"]
        for stop in route["stops"]
        if stop["kind"] == "visit" and f"{stop['key']}:pickup" in {s["key"] for s in route["stops"]}
    )
    pickup = next(stop for stop in route["stops"] if stop["key"] == f"{visit['key']}:pickup")
    clock.now = at(visit["departure_at"]) + timedelta(minutes=10)
    for stop in (pickup, visit):
        await report(client, dispatcher, base, plan, stop, *as_planned(stop))
    again = await committed(client, dispatcher, base, "/plans", TODAY)
    assert visit["key"] not in stops_of(again)
    ways = (await client.get(f"/api/v1/tickets/{visit['ticket']}/fulfilment", headers=dispatcher)).json()
    assert at(ways["visit"]["eta"]) == at(visit["eta"])
    assert ways["parts"]
    for part in ways["parts"]:
        assert (part["way"], part["plan"], part["stop"]) == ("engineer", plan["id"], pickup["key"])
        assert at(part["eta"]) == at(visit["eta"])
    shown = (await client.get(f"/api/v1/tickets/{visit['ticket']}", headers=dispatcher)).json()
    assert at(shown["visit_eta"]) == at(visit["eta"])
