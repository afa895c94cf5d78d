"""The premium customer's replacement request, end to end on the demo data and on both engines: what fits
an asset (no stock figures), the fit and quantity rule, the entitlement decision and its charge, the
dispatcher's queue with alternatives, withdrawal releasing the stock, the timeline with its notes, the
warranty's breakdown and whom to call; another company's requests and timelines are 404."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from httpx import AsyncClient

from api.settings import Settings
from fixtures.demo import load_demo
from inventory.audit.tables import AuditEntry
from tests.api.test_routing_plans import CHINA, TODAY
from tests.conftest import SettableClock, test_settings

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=CHINA)
USERS = ("dispatcher", "warehouse", "admin", "zhb", "hsg", "ljl")


@pytest.fixture
def settings(database_url: str) -> Settings:
    # The engineers' day is planned by the solve worker.
    return test_settings(database_url, worker_in_web=True, worker_queues=["solves"])


@pytest.fixture
async def demo(client: AsyncClient, settings: Settings, clock: SettableClock) -> dict[str, dict[str, str]]:
    clock.now = NOW
    await load_demo(password="demo", passwords=settings.passwords(), now=NOW)
    headers = {}
    for user in USERS:
        response = await client.post("/api/v1/auth/token", json={"username": user, "password": "demo"})
        headers[user] = {"Authorization": f"Bearer {response.json()['access_token']}"}
    return headers


async def _ticket(client, headers, site, asset, *, hours_ago=0, customer=None) -> int:
    body = {
        "site": site,
        "asset_serial": asset,
        "severity": "critical",
        "summary": "Memory errors on DIMM A3",
    }
    if customer is not None:
        body["customer"] = customer
    if hours_ago:
        body["reported_at"] = (NOW - timedelta(hours=hours_ago)).isoformat()
    answer = await client.post("/api/v1/tickets", json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


async def _available(client, headers, part, depot) -> int:
    answer = await client.get(f"/api/v1/stock?part_number={part}&depot={depot}", headers=headers)
    assert answer.status_code == 200, answer.text
    (row,) = answer.json()["items"]
    return row["available"]


def _no_figures(value) -> None:
    """Nothing in a customer's answer counts stock."""
    if isinstance(value, dict):
        assert not {"available", "on_hand", "reserved"} & set(value), value
        for item in value.values():
            _no_figures(item)
    elif isinstance(value, list):
        for item in value:
            _no_figures(item)


async def test_zhb_asks_for_fitting_parts_gets_them_free_and_withdraws(client: AsyncClient, demo) -> None:
    zhb = demo["zhb"]
    parts = await client.get("/api/v1/assets/ZHB-SRV-0101/parts", headers=zhb)
    assert parts.status_code == 200, parts.text
    listed = {part["part_number"]: part for part in parts.json()["parts"]}
    _no_figures(parts.json())
    assert listed["DIMM-DDR5-32G-4800"]["installed"] == 16
    assert listed["DIMM-DDR5-32G-5600"]["supersedes"] == "DIMM-DDR5-32G-4800"
    assert {part["availability"] for part in listed.values()} <= {
        "four_hours",
        "next_business_day",
        "not_available",
    }
    assert listed["DIMM-DDR5-32G-4800"]["availability"] == "four_hours"  # every depot stocks it
    assert listed["DIMM-DDR5-32G-4800"]["availability_text"] == "available for 4-hour delivery"
    assert {part["availability_text"] for part in listed.values()} <= {
        "available for 4-hour delivery",
        "next business day",
        "not available",
    }
    assert "KIT-RAIL-4U" not in listed

    ticket = await _ticket(client, zhb, "BJ-DC1", "ZHB-SRV-0101")
    path = f"/api/v1/tickets/{ticket}/replacement-requests"
    rails = await client.post(path, json={"part_number": "KIT-RAIL-4U", "quantity": 1}, headers=zhb)
    assert rails.status_code == 422
    assert rails.json()["type"] == "urn:spareline:problem:part-does-not-fit"
    assert rails.json()["rule"] == "not_fitted"
    hoard = await client.post(
        f"/api/v1/tickets/{ticket}/reservations",
        json={"part_number": "KIT-RAIL-4U", "quantity": 100},
        headers=zhb,
    )
    assert hoard.status_code == 422
    assert hoard.json()["rule"] == "not_fitted"
    too_many = await client.post(
        path, json={"part_number": "DIMM-DDR5-32G-5600", "quantity": 17}, headers=zhb
    )
    assert too_many.status_code == 422
    assert too_many.json()["rule"] == "over_installed_quantity"

    requested = await client.post(
        path,
        json={"part_number": "DIMM-DDR5-32G-4800", "quantity": 2, "reason": "DIMM A3 and A4"},
        headers=zhb,
    )
    assert requested.status_code == 201, requested.text
    request = requested.json()
    assert (request["state"], request["charge"], request["tier"]) == ("approved", "free", "platinum")
    assert request["parts_priority"]
    assert request["coverage_phase"] == "in_warranty"
    assert request["why"].startswith("platinum tier, with parts priority; in warranty until ")
    assert "the part is free" in request["why"]
    assert request["reservation"] is not None
    assert request["alternatives"] == []
    # The two held count against the 16 installed: 15 more are too many now.
    more = await client.post(path, json={"part_number": "DIMM-DDR5-32G-4800", "quantity": 15}, headers=zhb)
    assert more.status_code == 422
    assert more.json()["may_still_hold"] == 14

    reservation = (await client.get(f"/api/v1/reservations/{request['reservation']}", headers=zhb)).json()
    depot = reservation["depot"]
    held = await _available(client, demo["dispatcher"], "DIMM-DDR5-32G-4800", depot)
    withdrawn = await client.post(f"/api/v1/replacement-requests/{request['id']}/withdraw", headers=zhb)
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["state"] == "withdrawn"
    assert await _available(client, demo["dispatcher"], "DIMM-DDR5-32G-4800", depot) == held + 2
    released = (await client.get(f"/api/v1/reservations/{request['reservation']}", headers=zhb)).json()
    assert released["status"] == "released"
    again = await client.post(f"/api/v1/replacement-requests/{request['id']}/withdraw", headers=zhb)
    assert again.status_code == 409


async def test_an_infeasible_four_hour_request_waits_for_the_dispatcher_with_alternatives(
    client: AsyncClient, demo
) -> None:
    zhb, dispatcher = demo["zhb"], demo["dispatcher"]
    # Reported 10 hours ago: the 4-hour delivery can no longer be kept, and the restore milestone (8 h) is
    # breached, which gives the platinum customer its replacement right.
    ticket = await _ticket(client, dispatcher, "BJ-DC1", "ZHB-SRV-0101", hours_ago=10, customer="ZHB")
    answer = await client.post(
        f"/api/v1/tickets/{ticket}/replacement-requests",
        json={"part_number": "PSU-800W-PLATINUM", "quantity": 1},
        headers=zhb,
    )
    assert answer.status_code == 201, answer.text
    request = answer.json()
    assert request["state"] == "pending_dispatcher"
    assert request["replacement_right"]
    assert "the restore milestone was breached: a replacement is due by" in request["why"]
    assert request["why"].endswith("no depot can keep the delivery promise: a dispatcher decides.")
    sla = (await client.get(f"/api/v1/tickets/{ticket}", headers=zhb)).json()["sla"]
    due = datetime.fromisoformat(request["replacement_due_at"])
    assert (
        due
        == datetime.fromisoformat(sla["replacement"]["due_at"])
        == NOW - timedelta(hours=10) + timedelta(hours=48)
    )
    assert request["alternatives"] == []  # the customer sees no depots' stock
    _no_figures(request)

    queue = await client.get("/api/v1/replacement-requests?state=pending_dispatcher", headers=dispatcher)
    assert queue.status_code == 200
    queued = next(item for item in queue.json()["items"] if item["id"] == request["id"])
    assert queued["alternatives"], "the dispatcher sees the depots that have it"
    depot = queued["alternatives"][0]["depot"]
    approved = await client.post(
        f"/api/v1/replacement-requests/{request['id']}/approve", json={"depot": depot}, headers=dispatcher
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["state"] == "approved"
    mine = await client.get("/api/v1/replacement-requests?state=pending_dispatcher", headers=zhb)
    assert request["id"] not in {item["id"] for item in mine.json()["items"]}

    # The part's way, notes and milestones on the timeline; internal notes stay internal.
    notes = f"/api/v1/tickets/{ticket}/notes"
    internal = {"body": "Customer's PDU suspected", "customer_visible": False}
    assert (await client.post(notes, json=internal, headers=dispatcher)).status_code == 201
    shared = {"body": "The engineer brings the PSU", "customer_visible": True}
    assert (await client.post(notes, json=shared, headers=dispatcher)).status_code == 201
    assert (
        await client.post(notes, json={"body": "Rack B7, ask for Mr Liu"}, headers=zhb)
    ).status_code == 201
    issued = await client.post(
        f"/api/v1/reservations/{approved.json()['reservation']}/issue", json={}, headers=demo["warehouse"]
    )
    assert issued.status_code == 200, issued.text
    fulfilled = await client.get(f"/api/v1/replacement-requests/{request['id']}", headers=zhb)
    assert fulfilled.json()["state"] == "fulfilled"

    timeline = await client.get(f"/api/v1/tickets/{ticket}/timeline", headers=zhb)
    assert timeline.status_code == 200, timeline.text
    entries = timeline.json()["entries"]
    bodies = [entry["detail"] for entry in entries if entry["kind"] == "note"]
    assert bodies == ["The engineer brings the PSU", "Rack B7, ask for Mr Liu"]
    part_steps = [entry["code"] for entry in entries if entry["kind"] == "part"]
    assert part_steps == ["reserved", "delivered"]
    assert next(e for e in entries if e["kind"] == "part")["eta"]
    requests = [entry["code"] for entry in entries if entry["kind"] == "request"]
    assert requests[0] == "requested"
    assert requests[-1] == "fulfilled"
    milestones = {entry["subject"]: entry for entry in entries if entry["kind"] == "milestone"}
    assert milestones["restore"]["code"] == "overdue"
    assert milestones["replacement"]["code"] == "running"
    assert milestones["replacement"]["seconds_left"] > 0
    staff_view = await client.get(f"/api/v1/tickets/{ticket}/timeline", headers=dispatcher)
    assert "Customer's PDU suspected" in [entry["detail"] for entry in staff_view.json()["entries"]]

    # Another company sees none of it.
    hsg = demo["hsg"]
    for path in (
        f"/api/v1/tickets/{ticket}/timeline",
        f"/api/v1/tickets/{ticket}/replacement-requests",
        f"/api/v1/tickets/{ticket}/notes",
        f"/api/v1/replacement-requests/{request['id']}",
        "/api/v1/assets/ZHB-SRV-0101/parts",
    ):
        assert (await client.get(path, headers=hsg)).status_code == 404, path
    for path in (f"/api/v1/replacement-requests/{request['id']}/withdraw", f"/api/v1/tickets/{ticket}/notes"):
        assert (await client.post(path, json={"body": "x"}, headers=hsg)).status_code == 404, path
    theirs = await client.get("/api/v1/replacement-requests", headers=hsg)
    assert request["id"] not in {item["id"] for item in theirs.json()["items"]}
    assert (
        await client.post(f"/api/v1/replacement-requests/{request['id']}/approve", json={}, headers=zhb)
    ).status_code == 403


async def test_post_warranty_requests_show_the_charge_and_wait_for_acceptance(
    client: AsyncClient, demo
) -> None:
    # Huashan (premium) and Lijiang (standard): servers past their warranty, parts at cost: Huashan's in
    # years 1 to 3 after it (repair labour free), Lijiang's in years 4 to 10 (travel and lodging too).
    for user, site, asset, tier, phase in (
        ("hsg", "WH-CC", "HSG-SRV-0007", "premium", "post_warranty_parts_only"),
        ("ljl", "CD-HUB", "LJL-SRV-0001", "standard", "post_warranty_costs_only"),
    ):
        headers = demo[user]
        parts = await client.get(f"/api/v1/assets/{asset}/parts", headers=headers)
        _no_figures(parts.json())
        ticket = await _ticket(client, headers, site, asset)
        # A part at cost is not held behind the customer's back: only a request shows the charge.
        direct = await client.post(
            f"/api/v1/tickets/{ticket}/reservations",
            json={"part_number": "FAN-1U-STD", "quantity": 1},
            headers=headers,
        )
        assert direct.status_code == 422, direct.text
        assert direct.json()["type"].endswith("not-entitled")
        assert "replacement request" in direct.json()["detail"]
        path = f"/api/v1/tickets/{ticket}/replacement-requests"
        wrong = await client.post(path, json={"part_number": "GPU-H100-80G", "quantity": 1}, headers=headers)
        assert wrong.status_code == 422
        assert wrong.json()["rule"] == "not_fitted"
        answer = await client.post(path, json={"part_number": "FAN-1U-STD", "quantity": 1}, headers=headers)
        assert answer.status_code == 201, answer.text
        request = answer.json()
        assert request["tier"] == tier
        assert request["parts_priority"] is (tier != "standard")
        assert request["coverage_phase"] == phase
        assert f"{tier} tier, with{'out' if tier == 'standard' else ''} parts priority" in request["why"]
        assert f"charge: 1 x {request['unit_cost']} (unit cost)" in request["why"]
        assert request["why"].endswith("it waits for your acceptance.")
        assert ("travel and lodging" in request["why"]) is (phase == "post_warranty_costs_only")
        assert (request["state"], request["charge"], request["awaiting_acceptance"]) == (
            "requested",
            "at_cost",
            True,
        )
        fan = (await client.get("/api/v1/parts/FAN-1U-STD", headers=demo["admin"])).json()
        assert Decimal(request["unit_cost"]) == Decimal(str(fan["unit_cost"])) > 0
        assert Decimal(request["total_cost"]) == Decimal(request["unit_cost"])
        assert request["reservation"] is None
        unaccepted = await client.get(f"/api/v1/replacement-requests/{request['id']}", headers=headers)
        assert (unaccepted.json()["state"], unaccepted.json()["awaiting_acceptance"]) == ("requested", True)
        accepted = await client.post(
            f"/api/v1/replacement-requests/{request['id']}/accept-charge", headers=headers
        )
        assert accepted.status_code == 200, accepted.text
        assert accepted.json()["state"] in ("approved", "pending_dispatcher")
        assert accepted.json()["charge_accepted_by"] == user
        twice = await client.post(
            f"/api/v1/replacement-requests/{request['id']}/accept-charge", headers=headers
        )
        assert twice.status_code == 409


async def test_staff_override_the_fit_rule_with_a_reason_and_the_audit_chain_keeps_it(
    client: AsyncClient, demo
) -> None:
    dispatcher = demo["dispatcher"]
    ticket = await _ticket(client, dispatcher, "BJ-DC1", "ZHB-SRV-0101", customer="ZHB")
    path = f"/api/v1/tickets/{ticket}/replacement-requests"
    refused = await client.post(path, json={"part_number": "KIT-RAIL-4U"}, headers=dispatcher)
    assert refused.status_code == 422
    assert refused.json()["rule"] == "not_fitted"
    body = {"part_number": "KIT-RAIL-4U", "override_reason": "The customer's rack needs the 4U rails"}
    overridden = await client.post(path, json=body, headers=dispatcher)
    assert overridden.status_code == 201, overridden.text
    assert overridden.json()["override_reason"] == body["override_reason"]
    by_customer = await client.post(path, json=body, headers=demo["zhb"])
    assert by_customer.status_code == 403
    kept = await AuditEntry.select(AuditEntry.actor, AuditEntry.payload).where(
        (AuditEntry.action == "replacement_request.fit_override") & (AuditEntry.subject == f"ticket:{ticket}")
    )
    assert [row["actor"] for row in kept] == ["dispatcher"]
    assert body["override_reason"] in kept[0]["payload"]


async def test_the_warranty_in_words_and_whom_to_call(client: AsyncClient, demo) -> None:
    zhb = demo["zhb"]
    asset = (await client.get("/api/v1/assets/ZHB-ARR-0001", headers=zhb)).json()
    warranty = asset["warranty"]
    assert warranty["base_end"] == "2029-03-18"
    assert warranty["extensions"]
    assert all(item["ticket"] for item in warranty["extensions"])
    restored = [item for item in warranty["extensions"] if item["restored_at"] is not None]
    assert restored
    for item in restored:
        length = datetime.fromisoformat(item["restored_at"]) - datetime.fromisoformat(item["started_at"])
        assert item["length_seconds"] == int(length.total_seconds()) > 0
    assert warranty["end"] == asset["warranty_end"]
    assert (
        warranty["extension_days"]
        == (datetime.fromisoformat(warranty["end"]) - datetime.fromisoformat(warranty["base_end"])).days
    )
    customer = (await client.get("/api/v1/customers/ZHB", headers=zhb)).json()
    assert customer["account_manager"] == "Li Na"
    assert "li.na@" in customer["account_manager_contact"]
    assert customer["second_line_engineer"] == "Wang Lei"
    assert customer["second_line_contact"]


async def test_concurrent_requests_never_pass_the_installed_quantity_and_a_withdrawal_releases_once(
    client: AsyncClient, demo
) -> None:
    zhb = demo["zhb"]
    ticket = await _ticket(client, zhb, "BJ-DC1", "ZHB-SRV-0101")
    path = f"/api/v1/tickets/{ticket}/replacement-requests"
    body = {"part_number": "PSU-800W-PLATINUM", "quantity": 1}  # two are installed
    answers = await asyncio.gather(*(client.post(path, json=body, headers=zhb) for _ in range(3)))
    assert sorted(answer.status_code for answer in answers) == [201, 201, 422]
    request = next(answer.json() for answer in answers if answer.status_code == 201)
    assert request["state"] == "approved"
    depot = (await client.get(f"/api/v1/reservations/{request['reservation']}", headers=zhb)).json()["depot"]
    held = await _available(client, demo["dispatcher"], "PSU-800W-PLATINUM", depot)
    withdraw = f"/api/v1/replacement-requests/{request['id']}/withdraw"
    withdrawals = await asyncio.gather(*(client.post(withdraw, headers=zhb) for _ in range(3)))
    assert sorted(answer.status_code for answer in withdrawals) == [200, 409, 409]
    assert await _available(client, demo["dispatcher"], "PSU-800W-PLATINUM", depot) == held + 1


async def test_a_bad_state_filter_is_named_as_the_client_sent_it(client: AsyncClient, demo) -> None:
    for user in ("dispatcher", "zhb"):
        answer = await client.get("/api/v1/replacement-requests?state=bogus", headers=demo[user])
        assert answer.status_code == 422, answer.text
        assert answer.json()["type"] == "urn:spareline:problem:validation-error"
        assert [error["field"] for error in answer.json()["errors"]] == ["state"]
    queue = await client.get(
        "/api/v1/replacement-requests?state=pending_dispatcher", headers=demo["dispatcher"]
    )
    assert queue.status_code == 200, queue.text


async def test_a_request_without_an_asset_is_kept_refused_with_the_rule(client: AsyncClient, demo) -> None:
    zhb = demo["zhb"]
    body = {"site": "BJ-DC1", "severity": "minor", "summary": "Something beeps"}
    ticket = (await client.post("/api/v1/tickets", json=body, headers=zhb)).json()["id"]
    answer = await client.post(
        f"/api/v1/tickets/{ticket}/replacement-requests", json={"part_number": "FAN-2U-STD"}, headers=zhb
    )
    assert answer.status_code == 201, answer.text
    assert (answer.json()["state"], answer.json()["refusal"]) == ("refused", "no_asset")
    withdrawn = await client.post(f"/api/v1/replacement-requests/{answer.json()['id']}/withdraw", headers=zhb)
    assert withdrawn.status_code == 409


async def _steps(client, ticket: int, headers) -> list[dict]:
    answer = await client.get(f"/api/v1/tickets/{ticket}/timeline", headers=headers)
    assert answer.status_code == 200, answer.text
    return [entry for entry in answer.json()["entries"] if entry["kind"] in ("part", "visit")]


async def test_the_timeline_follows_the_part_on_the_van_to_its_delivery(
    client: AsyncClient, demo, clock: SettableClock
) -> None:
    zhb, dispatcher = demo["zhb"], demo["dispatcher"]
    ticket = await _ticket(client, zhb, "BJ-DC1", "ZHB-SRV-0101")
    request = (
        await client.post(
            f"/api/v1/tickets/{ticket}/replacement-requests",
            json={"part_number": "PSU-800W-PLATINUM", "quantity": 1},
            headers=zhb,
        )
    ).json()
    assert request["state"] == "approved", request
    urgent = await client.post(
        "/api/v1/routing/urgent", json={"reservation_id": request["reservation"]}, headers=dispatcher
    )
    assert urgent.status_code == 200, urgent.text
    assert urgent.json()["feasible"], urgent.json()
    plan_id = urgent.json()["plan_id"]
    committed = await client.post(f"/api/v1/routing/plans/{plan_id}/commit", headers=dispatcher)
    assert committed.status_code == 200, committed.text
    stops = {
        stop["kind"]: stop
        for route in committed.json()["routes"]
        for stop in route["stops"]
        if stop["reservation"] == request["reservation"]
    }
    pickup, delivery = stops["pickup"], stops["delivery"]
    eta = datetime.fromisoformat(delivery["eta"])
    assert [step["code"] for step in await _steps(client, ticket, zhb)] == ["reserved", "way_van"]

    async def report(stop: dict, *kinds: str) -> None:
        for kind in kinds:
            answer = await client.post(
                f"/api/v1/routing/plans/{plan_id}/stops/{stop['id']}/events",
                json={"type": kind},
                headers=dispatcher,
            )
            assert answer.status_code == 200, answer.text

    clock.now = NOW + timedelta(minutes=20)
    await report(pickup, "arrived", "done")
    picked_at = clock.now
    # Picked up by the van: shipped, so no longer withdrawn by the customer.
    late = await client.post(f"/api/v1/replacement-requests/{request['id']}/withdraw", headers=zhb)
    assert late.status_code == 409, late.text
    assert "left the depot" in late.json()["detail"]
    clock.now = NOW + timedelta(minutes=30)
    await report(delivery, "en_route")
    steps = await _steps(client, ticket, zhb)
    assert [step["code"] for step in steps] == ["reserved", "way_van", "picked", "on_the_van"]
    assert [datetime.fromisoformat(step["at"]) for step in steps[-2:]] == [picked_at, clock.now]
    assert all(datetime.fromisoformat(step["eta"]) == eta and step["eta_committed"] for step in steps[1:])

    clock.now = max(eta, clock.now + timedelta(minutes=1))
    await report(delivery, "arrived", "done")
    steps = await _steps(client, ticket, zhb)
    assert [step["code"] for step in steps] == ["reserved", "way_van", "picked", "on_the_van", "delivered"]
    assert (await client.get(f"/api/v1/replacement-requests/{request['id']}", headers=zhb)).json()[
        "state"
    ] == "fulfilled"
    assert (await client.get(f"/api/v1/tickets/{ticket}/timeline", headers=demo["hsg"])).status_code == 404


async def test_the_timeline_shows_the_part_picked_up_by_the_engineer_and_the_visit(
    client: AsyncClient, demo, clock: SettableClock
) -> None:
    dispatcher = demo["dispatcher"]
    made = await client.post(
        "/api/v1/dispatch/plans", json={"date": str(TODAY), "time_limit_s": 1}, headers=dispatcher
    )
    assert made.status_code == 201, made.text
    plan = made.json()
    committed = await client.post(f"/api/v1/dispatch/plans/{plan['id']}/commit", headers=dispatcher)
    assert committed.status_code == 200, committed.text
    route = next(r for r in committed.json()["routes"] if r["stops"][0]["kind"] == "pickup")
    pickup = route["stops"][0]
    visit = next(s for s in route["stops"] if s["key"] == pickup["key"].removesuffix(":pickup"))
    ticket = pickup["ticket"]
    customer = (await client.get(f"/api/v1/tickets/{ticket}", headers=dispatcher)).json()["customer"]
    login = await client.post("/api/v1/auth/token", json={"username": customer.lower(), "password": "demo"})
    mine = {"Authorization": f"Bearer {login.json()['access_token']}"}

    steps = await _steps(client, ticket, mine)
    assert ("visit", "planned") in {(step["kind"], step["code"]) for step in steps}
    assert datetime.fromisoformat(next(s for s in steps if s["kind"] == "visit")["eta"]) == (
        datetime.fromisoformat(visit["eta"])
    )
    assert "way_engineer" in [step["code"] for step in steps]
    assert "picked" not in [step["code"] for step in steps]

    events = f"/api/v1/dispatch/plans/{plan['id']}/stops/{pickup['id']}/events"
    clock.now = NOW + timedelta(minutes=20)
    for kind in ("arrived", "done"):
        answer = await client.post(events, json={"type": kind}, headers=dispatcher)
        assert answer.status_code == 200, answer.text
    picked = [step for step in await _steps(client, ticket, mine) if step["code"] == "picked"]
    assert picked, "the engineer picked the part up at the depot"
    assert all(datetime.fromisoformat(step["at"]) == clock.now for step in picked)
    assert all(datetime.fromisoformat(step["eta"]) == datetime.fromisoformat(visit["eta"]) for step in picked)


async def test_a_request_on_an_asset_whose_coverage_has_ended_is_kept_refused_with_the_rule(
    client: AsyncClient, demo
) -> None:
    # Accepted in 2010 with 3 years: the warranty ended in 2013, the 10 years after it in 2023.
    old = {
        "serial": "LJL-SRV-0009",
        "model": "1U rack server gen 3",
        "customer": "LJL",
        "site": "CD-HUB",
        "accepted_on": "2010-04-01",
        "warranty_years": 3,
    }
    assert (await client.post("/api/v1/assets", json=old, headers=demo["admin"])).status_code == 201
    ljl = demo["ljl"]
    ticket = await _ticket(client, ljl, "CD-HUB", "LJL-SRV-0009")
    answer = await client.post(
        f"/api/v1/tickets/{ticket}/replacement-requests",
        json={"part_number": "FAN-1U-STD", "quantity": 1},
        headers=ljl,
    )
    assert answer.status_code == 201, answer.text
    request = answer.json()
    assert (request["state"], request["refusal"], request["coverage_phase"]) == (
        "refused",
        "coverage_ended",
        "expired",
    )
    assert (request["charge"], request["reservation"], request["awaiting_acceptance"]) == (None, None, False)
    assert "refused: the asset's coverage has ended" in request["why"]
    assert (
        await client.post(f"/api/v1/replacement-requests/{request['id']}/accept-charge", headers=ljl)
    ).status_code == 409
    listed = await client.get(f"/api/v1/tickets/{ticket}/replacement-requests", headers=ljl)
    assert [(item["id"], item["state"]) for item in listed.json()["items"]] == [(request["id"], "refused")]
