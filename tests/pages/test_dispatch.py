"""The dispatch board (``/dispatch``) on the demo: who may open it, the board of a depot and day, planning
(a solve the board waits for), committing, a superseded plan in words, and the urgent 4-hour check shown
before it is committed."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from selectolax.lexbor import LexborNode as Node

import routing
from api.controllers.routing import planning_policy
from api.settings import Settings
from inventory.calendars import calendar_for
from routing.board import busiest_depot, day_plans, next_delivery_due
from tests.conftest import SettableClock, test_settings
from tests.pages.conftest import SQLITE_ONLY, Browser, Page
from tests.urgent import four_hour_reservation

SignedIn = Callable[[str], Awaitable[Browser]]
CHINA = ZoneInfo("Asia/Shanghai")
EN = {"accept-language": "en"}


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Plans are solved as a deployment solves them: on PostgreSQL by a worker of the solves' queue in the
    web process, on SQLite by the embedded queue; one second per solve."""
    return test_settings(
        database_url, worker_in_web=True, worker_queues=["solves"], routing_default_time_limit_s=1
    )


def next_business_day(now: datetime) -> date:
    return calendar_for("CN", "Asia/Shanghai").next_business_day(now.astimezone(CHINA).date())


def query_of(location: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(location).query).items()}


def fields_of(form: Node) -> dict[str, str]:
    """What a form of the page sends: its inputs' names and values."""
    return {node.attributes["name"]: node.attributes.get("value") or "" for node in form.css("input")}


def keys_of(page: Page, selector: str) -> list[str]:
    return [node.attributes["data-stop-key"] for node in page.css(selector)]


def island(page: Page) -> dict:
    return json.loads(page.first("#board-map-data").text())


async def board_with_table(browser: Browser, location: str) -> Page:
    """The board at ``location`` with its table of every stop, as a browser has it once the board has
    loaded the table: the board itself carries none, and names where it is (``/dispatch/stops``), which
    answers the whole board with the table to a request without htmx."""
    board = await browser.page(location, headers=EN)
    assert board.status == 200, board.response.text[:3000]
    assert not board.css(".board-stops tbody tr")
    table = board.first("#board-stops-table")
    assert table.attributes["hx-trigger"] == "load"
    return await browser.page(table.attributes["hx-get"], headers=EN)


async def plan_and_wait(browser: Browser, board: Page) -> Page:
    """Press the board's plan button, follow the solve until it is done; the board with the draft (and
    its table of every stop)."""
    answer = await browser.submit("/dispatch/plans", fields_of(board.first("form[action='/dispatch/plans']")))
    assert answer.status == 303, answer.response.text[:2000]
    location = answer.response.headers["location"]
    solve = int(query_of(location)["solve"])
    view = await routing.wait_for_solve(solve, timeout_s=60)
    assert view.state == routing.DONE, view
    return await board_with_table(browser, location)


# --- who may open it ---------------------------------------------------------------------------------


@SQLITE_ONLY
@pytest.mark.parametrize("username", ["warehouse", "compliance", "zhb"])
async def test_only_dispatchers_and_admins_open_the_board(signed_in: SignedIn, username: str) -> None:
    browser = await signed_in(username)
    answer = await browser.page("/dispatch", headers=EN)
    assert answer.status == 403
    assert "You may not open this page" in answer.text("[role=alert]")
    fields = {"date": "2026-12-07", "depot": "PEK-C", "kind": "deliveries"}
    refused = await browser.submit("/dispatch/plans", fields)
    assert refused.status == 403


@SQLITE_ONLY
async def test_the_board_needs_a_session(anonymous: Browser) -> None:
    answer = await anonymous.page("/dispatch?kind=engineers")
    assert answer.status == 303
    assert answer.response.headers["location"] == "/login?next=/dispatch%3Fkind%3Dengineers"


# --- the board before any plan -----------------------------------------------------------------------


@SQLITE_ONLY
async def test_the_board_opens_on_the_busiest_depot_and_its_next_delivery_day(
    signed_in: SignedIn, clock: SettableClock
) -> None:
    browser = await signed_in("dispatcher")
    board = await browser.page("/dispatch", headers=EN)
    assert board.status == 200, board.response.text[:3000]
    busiest = await busiest_depot()
    assert board.first("#board-depot option[selected]").attributes["value"] == busiest
    today = clock().astimezone(CHINA).date()
    due = await next_delivery_due(busiest, datetime.combine(today, time(0), CHINA))
    assert due is not None, "the demo has next-business-day deliveries"
    assert board.first("#board-date").attributes["value"] == due.astimezone(CHINA).date().isoformat()
    assert due.astimezone(CHINA).date() >= next_business_day(clock())
    assert "checked" in board.first("input[name=kind][value=deliveries]").attributes
    assert "No plan for this day yet" in board.text("#plan-heading")
    assert board.text("#plan-button") == "Plan the day"
    # One timeline row per van of the depot, even without a plan.
    vans = await routing.list_vehicles(depot=busiest, limit=50, offset=0)
    rows = [row.attributes["aria-label"] for row in board.css(".tl-row[role=group]")]
    assert rows == [van.code for van in vans]
    data = island(board)
    assert [depot["code"] for depot in data["depots"]] == [busiest]
    assert data["stops"] == []
    assert data["routes"] == []
    # The map's settings come from the settings: no tiles, the offline basemap.
    assert board.first("#board-map").attributes["data-tile-url"] == ""


@SQLITE_ONLY
async def test_the_filters_answer_the_board_block_to_htmx(signed_in: SignedIn) -> None:
    browser = await signed_in("admin")
    path = "/dispatch?depot=SHA-C&kind=engineers&date=2026-12-07"
    block = await browser.page(path, htmx=True, headers=EN)
    assert block.status == 200
    assert "<html" not in block.response.text
    assert block.first("#board-depot option[selected]").attributes["value"] == "SHA-C"
    assert "checked" in block.first("input[name=kind][value=engineers]").attributes
    assert "every depot's engineers" in block.text(".board-note")
    rows = [row.attributes["aria-label"] for row in block.css(".tl-row[role=group]")]
    assert rows == ["ENG-SHA-C-1", "ENG-SHA-C-2"]


async def test_the_table_of_every_stop_is_loaded_after_the_board(signed_in: SignedIn) -> None:
    browser = await signed_in("dispatcher")
    board = await browser.page("/dispatch?depot=PEK-C", headers=EN)
    drafted = await plan_and_wait(browser, board)  # the board with its table, without htmx
    keys = routed_keys(drafted)
    assert keys
    assert not drafted.css("#board-stops-table")
    shown = await browser.page(f"/dispatch?depot=PEK-C&date={board.first('#board-date').attributes['value']}")
    placeholder = shown.first("#board-stops-table")
    address = placeholder.attributes["hx-get"]
    assert address.startswith("/dispatch/stops?")
    assert query_of(address)["plan"] == drafted.text("#plan-heading").split()[1]
    assert shown.first("#board-stops-table a").attributes["href"].startswith(address)  # without JavaScript
    # htmx: the table alone, the same rows in route order.
    table = await browser.page(address, htmx=True, headers=EN)
    assert table.status == 200
    assert "<html" not in table.response.text
    assert keys_of(table, "tbody tr[data-stop-key]") == keys
    assert not table.css(".tl-row")


@SQLITE_ONLY
async def test_unknown_depot_and_bad_parameters_are_refused_in_words(signed_in: SignedIn) -> None:
    browser = await signed_in("dispatcher")
    missing = await browser.page("/dispatch?depot=NOWHERE", headers=EN)
    assert missing.status == 404
    assert "Not found" in missing.text("[role=alert]")
    for query in ("date=tomorrow", "kind=trucks", "plan=0", "verdict=maybe"):
        bad = await browser.page(f"/dispatch?{query}", headers=EN)
        assert bad.status == 422, query
        assert "Some of what was entered is not valid" in bad.text("[role=alert]"), query


# --- planning, committing (both engines) -------------------------------------------------------------


def routed_keys(page: Page) -> list[str]:
    return keys_of(page, ".board-stops tbody tr[data-stop-key]")


def pinned_keys(page: Page) -> set[str]:
    rows = page.css(".board-stops tbody tr[data-stop-key]")
    return {row.attributes["data-stop-key"] for row in rows if "Pinned" in row.text()}


async def test_plan_wait_commit_and_replan_on_the_board(signed_in: SignedIn, clock: SettableClock) -> None:
    browser = await signed_in("dispatcher")
    board = await browser.page("/dispatch?depot=PEK-C", headers=EN)
    day = date.fromisoformat(board.first("#board-date").attributes["value"])
    drafted = await plan_and_wait(browser, board)
    assert drafted.status == 200, drafted.response.text[:3000]
    plans = await day_plans(routing.NBD, day, "PEK-C")
    assert plans.committed is None
    assert plans.shown is not None
    assert f"Plan {plans.shown}" in drafted.text("#plan-heading")
    assert "Draft, not committed" in drafted.text("#plan-heading")
    keys = routed_keys(drafted)
    assert keys, "the demo's next business day has deliveries from Beijing"
    # The timeline, the map and the list twin show the same stops.
    assert sorted(keys_of(drafted, ".tl-stop")) == sorted(keys)
    data = island(drafted)
    routed = [key for route in data["routes"] for key in route["stops"]]
    assert routed == keys
    assert {stop["key"] for stop in data["stops"]} >= set(keys)
    assert all(route["dashed"] for route in data["routes"])  # a draft
    assert all(route["depot"] == "PEK-C" for route in data["routes"])
    first = drafted.first(".board-stops tbody tr")
    cells = [" ".join(td.text().split()) for td in first.css("td")]
    assert cells[0] == "1"
    assert cells[1].startswith("VAN-PEK-C-")
    assert cells[2] == "Delivery"
    assert cells[12] == "Beijing time"
    assert first.css("time[datetime]")
    assert not drafted.css(".board-stops .badge--neutral")  # nothing pinned

    commit = drafted.first("form[action$='/commit']")
    fields = fields_of(commit)
    committed = await browser.submit(commit.attributes["action"], fields)
    assert committed.status == 303
    shown = await board_with_table(browser, committed.response.headers["location"])
    assert "Committed" in shown.text("#plan-heading")
    assert not shown.css("#commit-button")
    pinned = [row for row in shown.css(".board-stops tbody tr") if "Pinned" in row.text()]
    assert len(pinned) == len(keys)
    assert all("is-pinned" in bar.attributes["class"] for bar in shown.css(".tl-stop"))
    assert not any(route["dashed"] for route in island(shown)["routes"])
    # The same form sent again lands on the same page without a second change.
    again = await browser.submit(commit.attributes["action"], fields)
    assert again.response.headers["location"] == committed.response.headers["location"]
    # What the vans report shows on the board: the first stop on its way, in words.
    plan_id = (await day_plans(routing.NBD, day, "PEK-C")).committed
    assert plan_id is not None
    first_stop = (await routing.get_plan(plan_id)).routes[0].stops[0]
    await routing.record_stop_event(
        plan_id,
        first_stop.id,
        kind=routing.NBD,
        status=routing.StopStatus.EN_ROUTE,
        at=datetime.now(UTC),
        reason="",
        actor="dispatcher",
        now=datetime.now(UTC),
    )
    reported = await board_with_table(browser, committed.response.headers["location"])
    row = reported.first(f"tr[data-stop-key='{first_stop.key}']")
    assert row.attributes["data-progress"] == "en_route"
    assert "On the way" in row.text()

    # A re-plan keeps the committed stops, pinned; its draft replaces the committed one when committed,
    # and the old plan can no longer be committed: 409, in words.
    replanned = await plan_and_wait(browser, shown)
    assert set(keys) <= set(routed_keys(replanned))
    assert "Show the committed plan" in replanned.text(".board-actions")
    second = replanned.first("form[action$='/commit']")
    second_fields = fields_of(second)
    assert (await browser.submit(second.attributes["action"], second_fields)).status == 303
    fields["idempotency_key"] = "another-send"
    superseded = await browser.submit(commit.attributes["action"], fields, headers=EN)
    assert superseded.status == 409
    assert "This plan was replaced by a later commit" in superseded.text("[role=alert]")
    as_htmx = await browser.submit(
        commit.attributes["action"], fields | {"idempotency_key": "third"}, htmx=True, headers=EN
    )
    assert as_htmx.status == 409
    assert as_htmx.response.headers["hx-retarget"] == "#problem"


async def test_the_board_polls_a_solve_until_its_plan_is_ready(signed_in: SignedIn) -> None:
    browser = await signed_in("admin")
    board = await browser.page("/dispatch?depot=SHA-C&kind=engineers", headers=EN)
    form = board.first("form[action='/dispatch/plans']")
    fields = fields_of(form)
    assert fields["kind"] == "engineers"
    answer = await browser.submit("/dispatch/plans", fields, htmx=True)
    assert answer.status == 204
    location = answer.response.headers["hx-redirect"]
    solve = int(query_of(location)["solve"])
    waiting = await browser.page(location, headers=EN)
    panel = waiting.css("#solve[hx-get]")
    if panel:  # still queued or solving: the panel polls its state
        assert panel[0].attributes["hx-trigger"] == "every 1s"
        assert "Planning" in waiting.text("#solve")
    view = await routing.wait_for_solve(solve, timeout_s=60)
    assert view.state == routing.DONE
    poll = await browser.page(f"/dispatch/solves/{solve}?depot=SHA-C&showing=solving", htmx=True)
    assert poll.status == 204
    target = poll.response.headers["hx-redirect"]
    expected = {
        "date": view.date.isoformat(),
        "depot": "SHA-C",
        "kind": "engineers",
        "plan": str(view.plan_id),
    }
    assert query_of(target) == expected
    shown = await browser.page(target, headers=EN)
    assert "Draft, not committed" in shown.text("#plan-heading")
    # Engineers of the depot have their rows; the day's unassigned visits are listed with reasons.
    labels = [row.attributes["aria-label"] for row in shown.css(".tl-row[role=group]")]
    assert labels == ["ENG-SHA-C-1", "ENG-SHA-C-2"]
    for row in shown.css(".board-unassigned tbody tr[data-stop-key]"):
        assert row.css("td")[-1].text().strip(), "every unassigned stop says why"


# --- the urgent 4-hour check (both engines) ----------------------------------------------------------


async def test_the_urgent_check_shows_its_draft_before_it_is_committed(
    signed_in: SignedIn, clock: SettableClock
) -> None:
    browser = await signed_in("dispatcher")
    board = await browser.page("/dispatch?depot=PEK-C", headers=EN)
    day = date.fromisoformat(board.first("#board-date").attributes["value"])
    drafted = await plan_and_wait(browser, board)
    commit = drafted.first("form[action$='/commit']")
    fields = fields_of(commit)
    assert (await browser.submit(commit.attributes["action"], fields)).status == 303
    committed = routed_keys(await board_with_table(browser, f"/dispatch?depot=PEK-C&date={day}"))

    # The morning of that day, a 4-hour delivery: the ticket page links to the board's check.
    clock.now = datetime.combine(day, time(9, 30), CHINA)
    _ticket, reservation = await four_hour_reservation(clock.now)
    pending = await browser.page(f"/dispatch?date={day}&urgent={reservation}", headers=EN)
    assert pending.status == 200, pending.response.text[:3000]
    assert f"reservation {reservation}" in pending.text("#urgent-heading")
    assert "HDD-SAS-1T2-10K" in pending.text(".board-urgent")
    check = pending.first("form[action='/dispatch/urgent']")
    assert check.attributes["hx-trigger"] == "load, submit"  # it runs as the page opens
    assert check.attributes["hx-target"] == "#urgent-checking"
    check_fields = fields_of(check)
    assert check_fields["reservation"] == str(reservation)
    assert check_fields["idempotency_key"]

    answer = await browser.submit("/dispatch/urgent", check_fields)
    assert answer.status == 303, answer.response.text[:3000]
    location = answer.response.headers["location"]
    target = query_of(location)
    assert target["urgent"] == str(reservation)
    assert target["date"] == day.isoformat()
    shown = await board_with_table(browser, location)
    assert "Feasible." in shown.text(".board-urgent")
    facts = shown.text(".urgent-facts")
    for words in ("Pickup at the depot", "Beijing time", "before it is due"):
        assert words in facts
    assert "Draft, not committed" in shown.text("#plan-heading")
    new = f"U{reservation}"
    new_rows = shown.css(".board-stops tbody tr.is-new")
    assert set(keys_of(shown, ".board-stops tbody tr.is-new")) == {new, f"{new}:pickup"}
    assert all("New" in row.text() for row in new_rows)
    assert set(keys_of(shown, ".tl-stop.is-new")) == {new, f"{new}:pickup"}
    # The committed stops stay pinned, the van carrying the new stops is the one dashed route.
    assert set(committed) <= pinned_keys(shown)
    data = island(shown)
    carrier = next(route for route in data["routes"] if new in route["stops"])
    assert carrier["dashed"]
    assert not any(route["dashed"] for route in data["routes"] if route is not carrier)
    assert carrier["stops"].index(f"{new}:pickup") < carrier["stops"].index(new)
    # The same form sent again (a retry) shows the same draft, without a second check.
    again = await browser.submit("/dispatch/urgent", check_fields)
    assert again.response.headers["location"] == location

    urgent_commit = shown.first("form:has(#urgent-commit)")
    commit_fields = fields_of(urgent_commit)
    done = await browser.submit(urgent_commit.attributes["action"], commit_fields)
    assert done.status == 303
    final = await board_with_table(browser, done.response.headers["location"])
    assert "Committed" in final.text("#plan-heading")
    assert "the urgent delivery is on its way" in final.text(".board-urgent")
    assert new in pinned_keys(final)


@SQLITE_ONLY
async def test_an_urgent_check_that_cannot_be_made_says_why(
    signed_in: SignedIn, clock: SettableClock
) -> None:
    browser = await signed_in("admin")
    morning = datetime.combine(next_business_day(clock()), time(9, 30), CHINA)
    clock.now = morning
    _ticket, reservation = await four_hour_reservation(morning)
    clock.now = morning + timedelta(hours=8)  # past its due time
    pending = await browser.page(f"/dispatch?urgent={reservation}", headers=EN)
    check = pending.first("form[action='/dispatch/urgent']")
    fields = fields_of(check)
    answer = await browser.submit("/dispatch/urgent", fields, htmx=True)
    assert answer.status == 204
    location = answer.response.headers["hx-redirect"]
    assert query_of(location)["verdict"] == "window_unreachable"
    shown = await browser.page(location, headers=EN)
    verdict = shown.text(".board-urgent .verdict")
    assert "Not feasible." in verdict
    assert "Nobody can reach it within its time window" in verdict
    # Not just "not feasible": the earliest arrival there is, and by how much it misses the due time.
    earliest = datetime.fromisoformat(query_of(location)["earliest"])
    assert earliest > morning + timedelta(hours=4)
    facts = shown.text(".board-urgent .urgent-facts")
    for words in ("Earliest arrival", "Misses it by", "Beijing time"):
        assert words in facts
    assert shown.first(".board-urgent .urgent-facts time").attributes["datetime"] == earliest.isoformat()
    assert shown.first(".board-urgent form button").text().strip() == "Check again"
    chinese = await browser.page(location, headers={"accept-language": "zh-CN"})
    assert "不可行。" in chinese.text(".board-urgent .verdict")
    assert "无人能在要求时段内到达" in chinese.text(".board-urgent .verdict")
    assert "最早送达" in chinese.text(".board-urgent .urgent-facts")


@SQLITE_ONLY
async def test_an_urgent_check_of_an_unknown_reservation_is_not_found(signed_in: SignedIn) -> None:
    browser = await signed_in("dispatcher")
    assert (await browser.page("/dispatch?urgent=999999", headers=EN)).status == 404
    refused = await browser.submit("/dispatch/urgent", {"reservation": "999999"}, htmx=True, headers=EN)
    assert refused.status == 404
    assert refused.response.headers["hx-retarget"] == "#problem"
    assert "Not found" in refused.text("[role=alert]")
    no_csrf = await browser.submit("/dispatch/urgent", {"reservation": "1"}, csrf=False, headers=EN)
    assert no_csrf.status == 403
    assert "The form has expired" in no_csrf.text("[role=alert]")


# --- domain errors in words (SQLite) -----------------------------------------------------------------


@SQLITE_ONLY
async def test_a_day_outside_the_planning_window_is_refused_in_words(signed_in: SignedIn) -> None:
    browser = await signed_in("dispatcher")
    fields = {"date": "2030-01-07", "depot": "PEK-C", "kind": "deliveries", "idempotency_key": "far"}
    refused = await browser.submit("/dispatch/plans", fields, htmx=True, headers=EN)
    assert refused.status == 422
    assert refused.response.headers["hx-retarget"] == "#problem"
    assert "This breaks a rule of the service" in refused.text("[role=alert]")
    tampered = await browser.submit("/dispatch/plans", fields | {"kind": "trucks"}, headers=EN)
    assert tampered.status == 422


@SQLITE_ONLY
async def test_a_failed_solve_says_why_on_the_board(signed_in: SignedIn, clock: SettableClock) -> None:
    browser = await signed_in("dispatcher")
    board = await browser.page("/dispatch?depot=PEK-C")
    day = date.fromisoformat(board.first("#board-date").attributes["value"])
    solve = await routing.request_solve(
        routing.NBD, day, ["PEK-C"], time_limit_s=1, seed=0, actor="dispatcher", now=clock()
    )
    tiny = planning_policy(test_settings("sqlite:///unused", routing_max_stops=1))
    failed = await routing.run_solve(solve.id, policy=tiny, now=clock())
    assert failed.state == routing.FAILED
    board = await browser.page(f"/dispatch?depot=PEK-C&date={day}&solve={solve.id}", headers=EN)
    panel = board.text("#solve")
    assert "The plan could not be made" in panel
    assert "Too many stops, vehicles or seconds for one plan" in panel
    assert not board.css("#solve[hx-get]")  # no more polling
    poll = await browser.page(
        f"/dispatch/solves/{solve.id}?depot=PEK-C&showing=solving", htmx=True, headers=EN
    )
    assert poll.status == 200
    assert "The plan could not be made" in poll.text("#solve")
