"""The dispatcher's changes on the board (``api/pages/dispatch_actions.py``) on the demo: a stop's move with
its dry run in words before it is made, then made as a new draft; and stop events of the committed plan,
an impossible one refused in words."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest

from tests.pages.conftest import Browser, Page
from tests.pages.test_dispatch import (  # noqa: F401 (the module's settings fixture)
    EN,
    board_with_table,
    fields_of,
    plan_and_wait,
    query_of,
    settings,
)

SignedIn = Callable[[str], Awaitable[Browser]]


def routed(page: Page) -> list[tuple[str, int, str, str]]:
    """The table's routed stops: van, id, key and kind, in route order."""
    found = []
    for row in page.css(".board-stops tbody tr[data-stop-key]"):
        cells = [" ".join(td.text().split()) for td in row.css("td")]
        move = row.css_first("a[href*='/move?']")
        stop_id = int(query_of(move.attributes["href"])["stop"]) if move is not None else 0
        found.append((cells[1], stop_id, row.attributes["data-stop-key"], cells[2]))
    return found


async def drafted_board(browser: Browser) -> Page:
    board = await browser.page("/dispatch?depot=PEK-C", headers=EN)
    return await plan_and_wait(browser, board)


async def test_a_move_shows_its_dry_run_then_makes_a_new_draft(signed_in: SignedIn) -> None:
    browser = await signed_in("dispatcher")
    drafted = await drafted_board(browser)
    plan_id = int(drafted.text("#plan-heading").split()[1])
    stops = [stop for stop in routed(drafted) if stop[3] == "Delivery" and stop[1]]
    assert stops, "the demo's day has deliveries from Beijing"
    van, stop_id, key, _kind = stops[-1]
    timeline = drafted.first(".tl[data-move-url]")
    assert timeline.attributes["data-move-url"] == f"/dispatch/plans/{plan_id}/move"
    tracks = [node.attributes["data-vehicle"] for node in drafted.css(".tl-track[data-vehicle]")]
    target = next((code for code in tracks if code != van), van)
    query = {
        "stop": stop_id,
        "depot": "PEK-C",
        "kind": "deliveries",
        "date": timeline.attributes["data-date"],
    }

    # The form alone: where to, nothing checked yet.
    chosen = await browser.page(f"/dispatch/plans/{plan_id}/move?{urlencode(query)}", htmx=True, headers=EN)
    assert chosen.status == 200, chosen.response.text[:2000]
    assert "<html" not in chosen.response.text
    assert f"Now on {van}." in chosen.text("[data-move-panel]")
    assert {node.attributes["value"] for node in chosen.css("#move-to option")} >= {van, target}
    assert not chosen.css("#move-apply")

    # The dry run, in words; nothing changes.
    asked = query | {"to": target, "position": 1}
    checked = await browser.page(f"/dispatch/plans/{plan_id}/move?{urlencode(asked)}", htmx=True, headers=EN)
    assert checked.status == 200, checked.response.text[:2000]
    verdict = checked.text(".move-verdict")
    assert "Feasible." in verdict, verdict
    assert "The moved stop starts at" in verdict
    assert f"on {target}" in verdict
    assert "Beijing time" in verdict
    again = await board_with_table(browser, f"/dispatch?depot=PEK-C&plan={plan_id}")
    assert [s[2] for s in routed(again)] == [s[2] for s in routed(drafted)]

    # Apply: a new draft with the stop first on the target, the same form twice is one move.
    apply = checked.first("form[action$='/moves']")
    fields = fields_of(apply)
    assert fields["to"] == target
    assert fields["position"] == "1"
    made = await browser.submit(apply.attributes["action"], fields)
    assert made.status == 303, made.response.text[:2000]
    location = made.response.headers["location"]
    new_plan = int(query_of(location)["plan"])
    assert new_plan != plan_id
    twice = await browser.submit(apply.attributes["action"], fields)
    assert twice.response.headers["location"] == location
    moved = await board_with_table(browser, location)
    assert "Draft, not committed" in moved.text("#plan-heading")
    first_on_target = next(stop for stop in routed(moved) if stop[0] == target and stop[3] == "Delivery")
    assert first_on_target[2] == key


async def test_a_move_that_needs_what_it_cannot_have_is_refused_in_words(signed_in: SignedIn) -> None:
    browser = await signed_in("dispatcher")
    drafted = await drafted_board(browser)
    plan_id = int(drafted.text("#plan-heading").split()[1])
    _van, stop_id, _key, _kind = next(stop for stop in routed(drafted) if stop[1])
    apply = {
        "stop": str(stop_id),
        "to": "VAN-NOPE-1",
        "position": "1",
        "date": drafted.first("#board-date").attributes["value"],
        "depot": "PEK-C",
        "kind": "deliveries",
        "idempotency_key": "move-unknown-van",
    }
    refused = await browser.submit(f"/dispatch/plans/{plan_id}/moves", apply, headers=EN)
    assert refused.status == 404
    assert "Not found" in refused.text("[role=alert]")
    bad = await browser.page(
        f"/dispatch/plans/{plan_id}/move?stop={stop_id}&depot=PEK-C&position=0", headers=EN
    )
    assert bad.status in (400, 422)


async def test_without_javascript_a_move_is_checked_on_the_whole_board(signed_in: SignedIn) -> None:
    browser = await signed_in("dispatcher")
    drafted = await drafted_board(browser)
    plan_id = int(drafted.text("#plan-heading").split()[1])
    van, stop_id, _key, _kind = next(stop for stop in routed(drafted) if stop[1])
    query = {"stop": stop_id, "depot": "PEK-C", "date": drafted.first("#board-date").attributes["value"]}
    page = await browser.page(f"/dispatch/plans/{plan_id}/move?{urlencode(query | {'to': van})}", headers=EN)
    assert page.status == 200, page.response.text[:2000]
    assert page.css(".tl-row")  # the board,
    assert page.css(".board-stops tbody tr[data-stop-key]")  # its table,
    assert page.css("[data-move-panel] .move-verdict")  # and the move checked
    cancel = page.first("[data-move-cancel]").attributes["href"]
    assert query_of(cancel) == {
        "date": query["date"],
        "depot": "PEK-C",
        "kind": "deliveries",
        "plan": str(plan_id),
    }


@pytest.mark.parametrize("kind", ["deliveries"])
async def test_stop_events_from_the_board_and_an_impossible_one_in_words(
    signed_in: SignedIn, kind: str
) -> None:
    browser = await signed_in("dispatcher")
    drafted = await drafted_board(browser)
    commit = drafted.first("form[action$='/commit']")
    committed = await browser.submit(commit.attributes["action"], fields_of(commit))
    assert committed.status == 303
    board = await board_with_table(browser, committed.response.headers["location"])
    row = next(
        r for r in board.css(".board-stops tbody tr[data-stop-key]") if r.css_first("a[href*='/event?']")
    )
    address = row.css_first("a[href*='/event?']").attributes["href"]
    key = row.attributes["data-stop-key"]

    form_page = await browser.page(address, htmx=True, headers=EN)
    assert form_page.status == 200, form_page.response.text[:2000]
    assert "Now: Not started." in form_page.text(".board-action")
    offered = [node.attributes["value"] for node in form_page.css("input[name=type]")]
    assert offered == ["en_route", "arrived", "failed", "cancelled"]
    form = form_page.first("form.event-form")
    action = form.attributes["action"]
    fields = fields_of(form) | {"type": "arrived"}
    # When it happened, in the local time of the place (Beijing): a minute ago.
    a_minute_ago = (datetime.now(UTC) - timedelta(minutes=1)).astimezone(ZoneInfo("Asia/Shanghai"))

    arrived = await browser.submit(action, fields | {"at": f"{a_minute_ago:%H:%M}"})
    assert arrived.status == 303, arrived.response.text[:2000]
    shown = await board_with_table(browser, arrived.response.headers["location"])
    assert shown.first(f"tr[data-stop-key='{key}']").attributes["data-progress"] == "arrived"

    done = await browser.submit(action, fields | {"type": "done", "idempotency_key": "done-1"})
    assert done.status == 303
    # Done is the day's history: nothing may follow, and the board says so in words.
    late = await browser.submit(
        action, fields | {"type": "arrived", "idempotency_key": "again-1"}, headers=EN
    )
    assert late.status == 409
    assert "This is not possible in its current state" in late.text("[role=alert]")
    over = await browser.page(address, htmx=True, headers=EN)
    assert "Nothing more can happen to this stop" in over.text(".board-action")
    # A failure needs its reason.
    other = next(
        r
        for r in shown.css(".board-stops tbody tr[data-stop-key]")
        if r.css_first("a[href*='/event?']") and r.attributes["data-stop-key"] != key
    )
    other_action = other.css_first("a[href*='/event?']").attributes["href"].split("/event?")[0] + "/events"
    failed = await browser.submit(
        other_action, fields | {"type": "failed", "reason": "", "idempotency_key": "fail-1"}, headers=EN
    )
    assert failed.status in (400, 422)
