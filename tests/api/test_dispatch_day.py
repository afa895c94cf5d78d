"""A dispatcher's whole live day replayed through the JSON API, in order, on both engines.

Issue 18's acceptance run on the demo data, with the clock moved between the steps: the evening plan
for Tuesday and its commit, the morning's stop events, a platinum ticket at 16:40, an engineer who falls
ill, a re-plan that succeeds, a dispatcher's move after its dry run, a pre-emption, and the urgent check
that cannot keep 4 hours. At each step the ticket (the dispatcher's and the customer's), the customer's
timeline and the fulfilment view agree on one committed ETA, no part has two ways to the site, and the
webhooks of the day arrive signed.

The people: ``dispatcher`` (Beijing's dispatcher, who plans the whole country's engineers) and ``zhb``
(Zhonghe Bank's service contact, a platinum customer with a data centre in Beijing).
"""

from __future__ import annotations

import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest
from httpx import AsyncClient
from standardwebhooks.webhooks import Webhook

from api.settings import Settings
from fixtures.demo import load_demo
from routing.tables import Engineer
from tests.api.test_live_replan import as_planned, report, stops_of
from tests.api.test_routing_plans import CHINA, TODAY, at
from tests.api.test_webhooks import deliver, subscribe
from tests.conftest import SettableClock, test_settings
from tests.webhook_receiver import Received, webhook_receiver

EVENING = datetime(2026, 11, 23, 18, 0, tzinfo=CHINA)
"""Monday evening: the demo's tickets are open, Tuesday is planned."""
DISK = "HDD-SAS-1T2-10K"
LOWER = 57
"""The demo's ticket of a standard customer's critical fault that holds a PEK-C disk (lower priority than
any platinum ticket)."""
PLANS = "/api/v1/dispatch/plans"
LIMIT = 1
"""The solver's time limit of every plan, in seconds (as the other live-day tests)."""


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Plans solved as a deployment solves them (the solves' worker in the web process), and webhooks
    to the receiver on loopback."""
    return test_settings(
        database_url, worker_in_web=True, worker_queues=["solves"], webhook_allow_private_targets=True
    )


async def _get(client: AsyncClient, headers: dict[str, str], path: str) -> dict:
    response = await client.get(path, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def _plan(client: AsyncClient, headers: dict[str, str], **body) -> dict:
    """A new draft of Tuesday's engineer plan, solved from the clock's present."""
    made = await client.post(PLANS, json={"date": str(TODAY), "time_limit_s": LIMIT, **body}, headers=headers)
    assert made.status_code == 201, made.text
    plan = made.json()
    assert plan["stats"]["status"] in {"solved", "trivial"}, plan["stats"]
    assert all(stop["reason"] for stop in plan["unassigned"]), "every stop left out is named with why"
    return plan


async def _commit(client: AsyncClient, headers: dict[str, str], plan: dict) -> dict:
    answer = await client.post(f"{PLANS}/{plan['id']}/commit", headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "committed"
    return answer.json()


async def one_eta(client: AsyncClient, staff: dict[str, str], customer: dict[str, str], ticket: int):
    """The engineer's committed visit time of ``ticket`` as the dispatcher's ticket, the customer's ticket,
    both fulfilment views and the customer's timeline show it: they must agree. Every part has at most
    one way, the same on the timeline as in the fulfilment view; a part the engineer brings is there at
    the visit's time. Returns (visit ETA or None, the staff's fulfilment view)."""
    shown = await _get(client, staff, f"/api/v1/tickets/{ticket}")
    own = await _get(client, customer, f"/api/v1/tickets/{ticket}")
    ways = await _get(client, staff, f"/api/v1/tickets/{ticket}/fulfilment")
    seen = await _get(client, customer, f"/api/v1/tickets/{ticket}/fulfilment")
    entries = (await _get(client, customer, f"/api/v1/tickets/{ticket}/timeline"))["entries"]
    visit_eta = at(shown["visit_eta"])
    assert at(own["visit_eta"]) == visit_eta
    assert (at(ways["visit"]["eta"]) if ways["visit"] else None) == visit_eta
    assert (at(seen["visit"]["eta"]) if seen["visit"] else None) == visit_eta
    visits = [entry for entry in entries if entry["kind"] == "visit"]
    assert [(at(entry["eta"]), entry["eta_committed"]) for entry in visits] == (
        [(visit_eta, True)] if visit_eta else []
    )
    assert (own["parts_eta"], own["at_risk"]) == (shown["parts_eta"], shown["at_risk"])
    assert [(p["reservation"], p["way"], p["eta"]) for p in seen["parts"]] == [
        (p["reservation"], p["way"], p["eta"]) for p in ways["parts"]
    ]
    assert len({part["reservation"] for part in ways["parts"]}) == len(ways["parts"]), "one row a part"
    on_its_way = []
    for part in ways["parts"]:
        shown_ways = [
            (entry["code"], at(entry["eta"]))
            for entry in entries
            if entry["kind"] == "part"
            and entry["code"].startswith("way_")
            and entry["reference"] == part["reservation"]
        ]
        if part["way"] is None:
            assert shown_ways == [], part
            continue
        assert shown_ways == [(f"way_{part['way']}", at(part["eta"]))], "one way, the same ETA"
        assert part["eta_committed"] is True
        if part["way"] == "engineer":
            assert at(part["eta"]) == visit_eta, "the part arrives with the engineer"
        if part["status"] == "active":
            on_its_way.append(at(part["eta"]))
    assert at(shown["parts_eta"]) == max(on_its_way, default=None)
    return visit_eta, ways


async def bank_fault(client: AsyncClient, bank: dict[str, str], asset: str, summary: str) -> dict:
    """A critical ticket the bank's own user opens on one of its assets at its Beijing data centre."""
    where = {"customer": "ZHB", "site": "BJ-DC1", "asset_serial": asset}
    opened = await client.post(
        "/api/v1/tickets", json=where | {"severity": "critical", "summary": summary}, headers=bank
    )
    assert opened.status_code == 201, opened.text
    return opened.json()


async def report_until(
    client: AsyncClient,
    headers: dict[str, str],
    plan: dict,
    until: datetime,
    *,
    skip: str | None,
    done: frozenset[str] = frozenset(),
) -> set[str]:
    """Report every stop of the committed ``plan`` finished by ``until`` and not ``done`` already arrived
    and done at its planned times, but for the route of the vehicle ``skip``; the keys reported."""
    reported = set()
    for route in plan["routes"]:
        if route["vehicle"] == skip:
            continue
        for stop in route["stops"]:
            if stop["key"] not in done and at(stop["departure_at"]) <= until:
                await report(client, headers, "/api/v1/dispatch", plan, stop, *as_planned(stop))
                reported.add(stop["key"])
    return reported


def signed(secret: str, request: Received) -> dict:
    """The body of a webhook whose signature ``secret`` made, checked as Standard Webhooks checks it
    (`standardwebhooks.Webhook.verify`) but for the timestamp's age: it is the replayed day's clock's."""
    headers = {name.lower(): value for name, value in request.headers.items()}
    stamp = datetime.fromtimestamp(int(headers["webhook-timestamp"]), UTC)
    expected = Webhook(secret).sign(headers["webhook-id"], stamp, request.body)
    assert any(hmac.compare_digest(expected, given) for given in headers["webhook-signature"].split(" ")), (
        "no matching signature"
    )
    return json.loads(request.body)


def one_way_each(*plans: dict) -> None:
    """No reservation is carried to its site by two ways in the committed plans (a pickup and its visit,
    or a pickup and its delivery, are one way: the stops of one ticket's key)."""
    ways: dict[int, set[tuple[int, str, str]]] = {}
    for plan in plans:
        for route in plan["routes"]:
            for stop in route["stops"]:
                if stop["reservation"] is not None:
                    way = (plan["id"], route["vehicle"], stop["key"].removesuffix(":pickup"))
                    ways.setdefault(stop["reservation"], set()).add(way)
    assert {reservation: len(found) for reservation, found in ways.items() if len(found) > 1} == {}, (
        "a part with two ways to the site"
    )


async def test_a_dispatchers_live_day(client: AsyncClient, settings: Settings, clock: SettableClock):
    # Before the day: the demo data (customers, sites, assets, stock, the fleet, the users and the open
    # tickets with their held parts) is loaded directly, as every demo-day test loads it: there is no API
    # that loads it. Everything after this is the JSON API.
    clock.now = EVENING
    await load_demo(password="demo", passwords=settings.passwords(), now=EVENING)
    # Working days as long as the shifts, so that the Beijing engineers who worked all day may still take
    # a fault at 16:40: there is no API for an engineer's working time, and the live re-plan tests set it
    # the same way.
    await Engineer.update({Engineer.max_working_minutes: 600}, force=True)
    signed_in = {}
    for user in ("dispatcher", "zhb"):
        response = await client.post("/api/v1/auth/token", json={"username": user, "password": "demo"})
        assert response.status_code == 200, response.text
        signed_in[user] = {"Authorization": f"Bearer {response.json()['access_token']}"}
    dispatcher, zhb = signed_in["dispatcher"], signed_in["zhb"]

    with webhook_receiver() as receiver:
        # 18:00 Monday. The dispatcher's operations console and the bank's ticketing system subscribe:
        # the console to every plan committed and every committed ETA a stop event moves, the bank to its
        # own tickets' ETAs and risks.
        console = await subscribe(
            client, dispatcher, url=receiver.url, events=["plan.committed", "ticket.eta_changed"]
        )
        bank = await subscribe(
            client, zhb, url=receiver.url + "?bank", events=["ticket.eta_changed", "ticket.at_risk"]
        )

        # 18:00 The evening plan: Tuesday's visits for every engineer, with the pickups of the held parts,
        # solved and committed. The bank's critical array ticket (the demo's first) is visited in the
        # morning; its disk comes with the engineer, at the visit's time, and the bank sees that time.
        evening = await _commit(client, dispatcher, await _plan(client, dispatcher))
        one_way_each(evening)
        array = 1
        array_vehicle, array_visit = stops_of(evening)[f"T{array}"]
        assert array_vehicle is not None, "the platinum critical fault is visited on Tuesday"
        eta, ways = await one_eta(client, dispatcher, zhb, array)
        assert eta == at(array_visit["eta"])
        ((disk,),) = [ways["parts"]]
        assert (disk["way"], disk["carrier"], disk["plan"]) == ("engineer", array_vehicle, evening["id"])

        # The Tianjin engineer who is to fetch a Beijing disk for a lower-priority ticket (the demo's
        # standard customer's critical fault) is held up all day: his stops are never reported, and each
        # re-plan plans them again from its present. That disk is still on the PEK-C shelf in the evening.
        held_up_key = f"T{LOWER}:pickup"
        held_up = stops_of(evening)[held_up_key][0]

        # 10:00 Tuesday. The engineers report their morning: every stop finished by now is reported
        # arrived and done. The bank's engineer was on site at the planned time: the on-site milestone
        # is met then, and the ETA everybody sees is still the committed one.
        clock.now = datetime(2026, 11, 24, 10, 0, tzinfo=CHINA)
        done = await report_until(client, dispatcher, evening, clock.now, skip=held_up)
        assert {f"T{array}:pickup", f"T{array}"} <= done
        assert (await one_eta(client, dispatcher, zhb, array))[0] == at(array_visit["eta"])
        milestones = {
            entry["subject"]: entry
            for entry in (await _get(client, zhb, f"/api/v1/tickets/{array}/timeline"))["entries"]
            if entry["kind"] == "milestone"
        }
        assert at(milestones["on_site"]["at"]) == at(array_visit["eta"])
        assert milestones["on_site"]["code"] in {"met", "met_late"}

        # 16:40 The afternoon is reported likewise. Then the bank's service desk opens a ticket itself:
        # two more disks of the array have failed. The dispatcher holds two disks for it; the service
        # picks PEK-C, the only depot near enough with two free.
        clock.now = datetime(2026, 11, 24, 16, 40, tzinfo=CHINA)
        done |= await report_until(
            client, dispatcher, evening, clock.now - timedelta(minutes=30), skip=held_up, done=frozenset(done)
        )
        raid = "Two more SAS disks failed in RAID group 3"
        late_fault = await bank_fault(client, zhb, "ZHB-ARR-0001", raid)
        assert (
            late_fault["priority"] > (await _get(client, dispatcher, f"/api/v1/tickets/{LOWER}"))["priority"]
        )
        held = await client.post(
            f"/api/v1/tickets/{late_fault['id']}/reservations",
            json={"part_number": DISK, "quantity": 2},
            headers=dispatcher,
        )
        assert held.status_code == 201, held.text
        pair = held.json()
        assert (pair["depot"], pair["quantity"]) == ("PEK-C", 2)
        assert (await one_eta(client, dispatcher, zhb, late_fault["id"]))[0] is None, "no visit committed yet"

        # 16:45 The dispatcher re-plans the rest of the day from now: what is done is history, the new
        # ticket is planned with its pickup, and the plan is committed; everybody sees its visit time.
        clock.now = datetime(2026, 11, 24, 16, 45, tzinfo=CHINA)
        afternoon = await _plan(client, dispatcher)
        assert not done & stops_of(afternoon).keys(), "what is done is not planned again"
        afternoon = await _commit(client, dispatcher, afternoon)
        one_way_each(afternoon)
        late_key = f"T{late_fault['id']}"
        carrier, late_visit = stops_of(afternoon)[late_key]
        assert carrier is not None, "the platinum fault is visited this evening"
        eta, ways = await one_eta(client, dispatcher, zhb, late_fault["id"])
        assert eta == at(late_visit["eta"])
        assert [(p["reservation"], p["way"], p["carrier"]) for p in ways["parts"]] == [
            (pair["id"], "engineer", carrier)
        ]
        assert (await one_eta(client, dispatcher, zhb, array))[0] == at(array_visit["eta"]), "history kept"

        # 17:00 The engineer who is to bring the two disks calls in sick for the rest of today and
        # tomorrow. The dispatcher enters the absence and re-plans: the re-plan succeeds (made and
        # committed; no pin it breaks makes it fail), the sick engineer has no route, every stop committed
        # to him is let go for that reason, and the bank's visit is either given to a colleague or named
        # unassigned with a reason that is true.
        clock.now = datetime(2026, 11, 24, 17, 0, tzinfo=CHINA)
        absence = {
            "starts_at": clock.now.isoformat(),
            "ends_at": datetime(2026, 11, 25, 18, 30, tzinfo=CHINA).isoformat(),
            "reason": "ill",
        }
        changed = await client.patch(
            f"/api/v1/engineers/{carrier}", json={"absences": [absence]}, headers=dispatcher
        )
        assert changed.status_code == 200, changed.text
        assert [a["reason"] for a in changed.json()["absences"]] == ["ill"]
        sick_plan = await _plan(client, dispatcher)
        assert carrier not in {route["vehicle"] for route in sick_plan["routes"]}
        sick_keys = {
            stop["key"]
            for route in afternoon["routes"]
            if route["vehicle"] == carrier
            for stop in route["stops"]
        }
        assert {late_key, f"{late_key}:pickup"} <= sick_keys
        released = sick_plan["stats"]["pins_released"]
        assert {key: released.get(key) for key in sick_keys} == dict.fromkeys(
            sick_keys, "vehicle_unavailable"
        )
        sick_plan = await _commit(client, dispatcher, sick_plan)
        one_way_each(sick_plan)
        late_vehicle, late_stop = stops_of(sick_plan)[late_key]
        engineers = (await _get(client, dispatcher, "/api/v1/engineers?limit=100"))["items"]
        skilled = [
            row["code"]
            for row in engineers
            if row["code"] != carrier and row["active"] and set(late_visit["skills"]) <= set(row["skills"])
        ]
        moves = f"{PLANS}/{sick_plan['id']}/moves"
        if late_vehicle is None:
            # Named unassigned: truthfully so, for no colleague with the skills could be there within
            # his shift and the ticket's due time (each dry run needs an override).
            assert late_stop["reason"] == "window_unreachable", late_stop
            assert (await one_eta(client, dispatcher, zhb, late_fault["id"]))[0] is None, (
                "no stale visit time"
            )
            for code in skilled:
                dry = await client.post(
                    moves, json={"ticket": late_fault["id"], "to": code, "dry_run": True}, headers=dispatcher
                )
                assert dry.status_code == 200, dry.text
                assert (dry.json()["feasible"], dry.json()["needs_override"] != []) == (False, True), dry.text
        else:
            assert late_vehicle != carrier
            assert (await one_eta(client, dispatcher, zhb, late_fault["id"]))[0] == at(late_stop["eta"])

        # 17:10 The dispatcher moves the bank's visit by hand: first a dry run to each storage engineer,
        # to see what it would cost; the Tianjin storage engineer can be on site before the ticket is
        # due, past his shift's end. The dry run changes nothing; the move, with the dispatcher's
        # reason for the overtime, makes a new draft, and its commit gives everybody the new time.
        clock.now = datetime(2026, 11, 24, 17, 10, tzinfo=CHINA)
        before = await _get(client, dispatcher, f"{PLANS}/{sick_plan['id']}")
        eta_before = (await one_eta(client, dispatcher, zhb, late_fault["id"]))[0]
        dry_runs = {}
        for code in skilled:
            dry = await client.post(
                moves, json={"ticket": late_fault["id"], "to": code, "dry_run": True}, headers=dispatcher
            )
            assert dry.status_code == 200, dry.text
            dry_runs[code] = dry.json()
        target, preview = min(
            ((code, answer) for code, answer in dry_runs.items() if answer["reason"] is None),
            key=lambda item: len(item[1]["needs_override"]),
        )
        assert preview["plan_id"] is None
        assert "deadline:" + late_key not in preview["needs_override"], "the ticket's due time is kept"
        moved = {change["key"]: change for change in preview["changes"]}
        assert moved[late_key]["vehicle_after"] == target
        assert moved[late_key]["late_after_s"] == 0
        unskilled = next(row["code"] for row in engineers if "storage" not in row["skills"])
        refused = await client.post(
            moves, json={"ticket": late_fault["id"], "to": unskilled, "dry_run": True}, headers=dispatcher
        )
        assert (refused.json()["feasible"], refused.json()["reason"]) == (False, "skills")
        assert await _get(client, dispatcher, f"{PLANS}/{sick_plan['id']}") == before, (
            "a dry run changes nothing"
        )
        assert (await one_eta(client, dispatcher, zhb, late_fault["id"]))[0] == eta_before
        without = await client.post(
            moves, json={"ticket": late_fault["id"], "to": target}, headers=dispatcher
        )
        assert without.status_code == 409, "overtime needs the dispatcher's reason"
        made = await client.post(
            moves,
            json={
                "ticket": late_fault["id"],
                "to": target,
                "override_reason": "platinum array, overtime agreed",
            },
            headers=dispatcher,
        )
        assert made.status_code == 200, made.text
        draft = await _get(client, dispatcher, f"{PLANS}/{made.json()['plan_id']}")
        assert (draft["status"], draft["based_on"]) == ("draft", sick_plan["id"])
        moved_plan = await _commit(client, dispatcher, draft)
        one_way_each(moved_plan)
        vehicle, moved_stop = stops_of(moved_plan)[late_key]
        assert vehicle == target
        assert moved_stop["override_reason"] == "platinum array, overtime agreed"
        assert at(moved_stop["start_at"]) == at(moved[late_key]["start_after"]), "as the dry run said"
        eta, ways = await one_eta(client, dispatcher, zhb, late_fault["id"])
        assert eta == at(moved_stop["eta"])
        assert [(p["reservation"], p["way"], p["carrier"]) for p in ways["parts"]] == [
            (pair["id"], "engineer", target)
        ]
        assert await _get(client, dispatcher, f"{PLANS}/{sick_plan['id']}") != before
        assert (await one_eta(client, dispatcher, zhb, array))[0] == at(array_visit["eta"])

        # 18:30 A disk of the bank's server fails too; nothing is free at PEK-C. The dispatcher holds
        # one for the new platinum critical ticket there, allowing pre-emption: the service takes the
        # lowest-priority hold of a disk at PEK-C (the standard customer's ticket, whose engineer never
        # fetched it), not the bank's own holds. That ticket loses its way and is on the dispatcher's
        # list; the bank's other tickets keep theirs.
        clock.now = datetime(2026, 11, 24, 18, 30, tzinfo=CHINA)
        server = await bank_fault(client, zhb, "ZHB-SRV-0101", "Boot disk failed")
        lower_ways = await _get(client, dispatcher, f"/api/v1/tickets/{LOWER}/fulfilment")
        (lower_part,) = [p for p in lower_ways["parts"] if p["part_number"] == DISK]
        assert (lower_part["depot"], lower_part["status"]) == ("PEK-C", "active")
        ask = {"part_number": DISK, "quantity": 1, "depot": "PEK-C"}
        short = await client.post(
            f"/api/v1/tickets/{server['id']}/reservations", json=ask, headers=dispatcher
        )
        assert short.status_code == 409, short.text
        taken = await client.post(
            f"/api/v1/tickets/{server['id']}/reservations",
            json={**ask, "allow_preemption": True},
            headers=dispatcher,
        )
        assert taken.status_code == 201, taken.text
        urgent = taken.json()
        lower_ways = await _get(client, dispatcher, f"/api/v1/tickets/{LOWER}/fulfilment")
        (lost,) = [p for p in lower_ways["parts"] if p["reservation"] == lower_part["reservation"]]
        assert (lost["status"], lost["way"]) == ("preempted", None)
        listed = (await _get(client, dispatcher, "/api/v1/dispatch/attention"))["items"]
        assert (LOWER, lower_part["reservation"]) in {
            (item["ticket"], item["reservation"]) for item in listed if item["reason"] == "preempted"
        }
        for kept in (array, late_fault["id"]):
            parts = (await _get(client, dispatcher, f"/api/v1/tickets/{kept}/fulfilment"))["parts"]
            assert {p["status"] for p in parts} == {"active"}, "the bank's own holds are not taken"
        assert (await one_eta(client, dispatcher, zhb, late_fault["id"]))[0] == at(moved_stop["eta"])
        hidden = await client.get(f"/api/v1/tickets/{LOWER}/fulfilment", headers=zhb)
        assert hidden.status_code == 404, "the bank sees its own tickets only"

        # 18:40 The urgent check for the server's disk: a van cannot bring it within 4 hours (the vans'
        # shifts end before it can be picked and packed). The answer says so, when it can arrive at the
        # earliest and by how much that misses, with the options ranked; nothing is planned.
        clock.now = datetime(2026, 11, 24, 18, 40, tzinfo=CHINA)
        check = await client.post(
            "/api/v1/routing/urgent", json={"reservation_id": urgent["id"]}, headers=dispatcher
        )
        assert check.status_code == 200, check.text
        answer = check.json()
        assert (answer["feasible"], answer["reason"], answer["plan_id"]) == (
            False,
            "window_unreachable",
            None,
        )
        due, earliest = at(answer["due_by"]), at(answer["earliest_eta"])
        assert due == at(server["delivery"]["due_by"])
        assert earliest > due
        assert answer["misses_by_seconds"] == (earliest - due).total_seconds()
        options = answer["options"]
        assert 1 <= len(options) <= 3
        assert [at(o["eta"]) for o in options] == sorted(at(o["eta"]) for o in options)
        assert at(options[0]["eta"]) == earliest
        assert options[0]["slack_seconds"] == -answer["misses_by_seconds"]
        assert (await one_eta(client, dispatcher, zhb, server["id"]))[0] is None

        # The day's webhooks are delivered: the console heard of every plan committed, once each, the
        # bank of its own tickets only; every one is signed with its own subscription's secret.
        assert (await deliver(settings, clock.now))["failed"] == 0
        received = list(receiver.requests)
    assert received
    committed_plans = [evening["id"], afternoon["id"], sick_plan["id"], moved_plan["id"]]
    heard: dict[str, list[dict]] = {"console": [], "bank": []}
    for request in received:
        listener, secret, other = (
            ("bank", bank["secret"], console["secret"])
            if request.path.endswith("?bank")
            else ("console", console["secret"], bank["secret"])
        )
        heard[listener].append(signed(secret, request))
        with pytest.raises(AssertionError, match="signature"):
            signed(other, request)
    assert sorted(
        event["data"]["plan"] for event in heard["console"] if event["type"] == "plan.committed"
    ) == sorted(committed_plans)
    assert heard["bank"], "the bank heard of its at-risk array"
    bank_tickets = {array, late_fault["id"], server["id"]}
    assert {event["data"]["ticket"] for event in heard["bank"]} <= bank_tickets
    assert {event["type"] for event in heard["bank"]} <= {"ticket.eta_changed", "ticket.at_risk"}
