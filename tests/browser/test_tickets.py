"""The dispatcher's day on the ticket screens, in Chromium: the SLA queue with breached and soon-breaching
tickets marked, a filter, a ticket whose countdown is followed with Playwright's clock until it crosses
into "breached" (announced in the live region), and an event recorded; axe and screenshots on each page."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import check_accessibility, screenshot, sign_in
from tests.demo import DEMO_PASSWORD


@pytest.fixture
def due_in_five_minutes(live_server: str) -> Iterator[int]:
    """A ticket of this test's own, opened through the API: Zhonghe Bank (7x24) reported 55 minutes ago,
    so its response is due in 5 minutes."""
    with httpx.Client(base_url=live_server, timeout=30) as api:
        token = api.post("/api/v1/auth/token", json={"username": "dispatcher", "password": DEMO_PASSWORD})
        token.raise_for_status()
        reported = datetime.now(UTC) - timedelta(minutes=55)
        opened = api.post(
            "/api/v1/tickets",
            json={
                "customer": "ZHB",
                "site": "SH-DC2",
                "severity": "critical",
                "summary": "Storage controller B offline",
                "reported_at": reported.isoformat(),
            },
            headers={"Authorization": f"Bearer {token.json()['access_token']}"},
        )
        opened.raise_for_status()
        yield opened.json()["id"]


def test_the_dispatcher_follows_a_countdown_and_records_an_event(page: Any, due_in_five_minutes: int) -> None:
    ticket = due_in_five_minutes
    page.clock.install()
    sign_in(page, "dispatcher")
    page.get_by_role("link", name="工单").first.click()
    page.wait_for_url("**/tickets")
    # Critical tickets only: other tests' tickets, breached by now, may fill the first page of all.
    page.select_option("#filter-severity", "critical")
    page.get_by_role("button", name="筛选").click()
    page.wait_for_url(re.compile(r"/tickets\?.*severity=critical"))

    # The queue: breached tickets first, then the ones breaching within 60 minutes, in words and icons.
    states = page.locator("#queue tbody tr").evaluate_all("rows => rows.map(r => r.dataset.state)")
    assert states[0] == "breached"
    assert "soon" in states
    assert states.index("soon") > max(i for i, state in enumerate(states) if state == "breached")
    breached = page.locator("#queue tbody tr[data-state=breached]").first
    expect(breached.locator(".countdown .badge")).to_have_text("已违约")
    expect(breached.locator("use")).to_have_attribute("href", "#icon-breached")
    mine = page.locator(f"#queue tbody tr:has(a[href='/tickets/{ticket}'])")
    expect(mine).to_have_attribute("data-state", "soon")
    expect(mine.locator(".countdown .badge")).to_have_text("60 分钟内将违约")
    check_accessibility(page)
    screenshot(page, "tickets-queue")

    # A filter: platinum customers only; the address keeps it for the refresh.
    page.select_option("#filter-tier", "platinum")
    page.get_by_role("button", name="筛选").click()
    page.wait_for_url(re.compile(r"/tickets\?.*tier=platinum"))
    tiers = page.locator("#queue tbody td:nth-child(4) small").all_inner_texts()
    assert tiers
    assert all(text.startswith("白金") for text in tiers)
    assert "tier=platinum" in (page.locator("#queue").get_attribute("hx-get") or "")
    with page.expect_response(
        lambda answer: "tier=platinum" in answer.url and answer.request.headers.get("hx-request") == "true"
    ) as refresh:
        page.clock.run_for("00:31")
    assert refresh.value.status == 200
    expect(page.locator("#queue tbody tr").first).to_be_visible()
    assert all(
        text.startswith("白金")
        for text in page.locator("#queue tbody td:nth-child(4) small").all_inner_texts()
    )
    # While the keyboard is in the queue, the refresh waits: the reader keeps their place.
    refreshes: list[str] = []
    page.on("request", lambda request: request.headers.get("hx-request") and refreshes.append(request.url))
    page.locator("#queue tbody th a").first.focus()
    page.clock.run_for("01:05")
    page.wait_for_timeout(500)
    assert refreshes == []
    page.locator("#filter-tier").focus()
    with page.expect_response(lambda answer: answer.request.headers.get("hx-request") == "true"):
        page.clock.run_for("00:31")
    check_accessibility(page)

    # The ticket: its response clock counts down in the browser, then breaches and says so.
    page.locator(f"#queue a[href='/tickets/{ticket}']").click()
    page.wait_for_url(f"**/tickets/{ticket}")
    response = page.locator("li.milestone").first
    expect(response).to_have_attribute("data-state", "soon")
    expect(response.locator("[data-countdown-left]")).to_have_text(re.compile(r"剩余 [45] 分钟"))
    check_accessibility(page)
    screenshot(page, "tickets-ticket")
    page.clock.run_for("03:00")
    expect(response.locator("[data-countdown-left]")).to_have_text(re.compile(r"剩余 [12] 分钟"))
    expect(page.locator("[data-countdown-announcer]")).to_have_text("")
    page.clock.run_for("04:00")
    expect(response).to_have_attribute("data-state", "breached")
    expect(response.locator("[data-countdown-state]")).to_have_text("已违约")
    expect(response.locator("[data-countdown-left]")).to_have_text(
        re.compile(r"已逾期 (不到 1 分钟|[12] 分钟)")
    )
    expect(response.locator("use")).to_have_attribute("href", "#icon-breached")
    expect(page.locator("[data-countdown-announcer]")).to_have_text(f"工单 {ticket}，响应：已违约")
    on_site = page.locator("li.milestone").nth(1)
    expect(on_site).to_have_attribute("data-state", "on_track")  # no crossing, no announcement for it

    # Record the response.
    page.select_option("#field-event", "responded")
    page.fill("#field-note", "已电话联系客户")
    page.get_by_role("button", name="记录", exact=True).click()
    page.wait_for_url(f"**/tickets/{ticket}?done=event")
    expect(page.get_by_text("事件已记录。")).to_be_visible()
    expect(page.locator("#events li strong").last).to_have_text("已响应")
    # Only the browser's clock was moved: on the server's, the response came within its hour.
    expect(page.locator("li.milestone").first.locator(".badge")).to_have_text("按时达成")
    check_accessibility(page)
    screenshot(page, "tickets-ticket-recorded")


def test_an_event_refused_is_said_in_words_beside_the_form(page: Any, due_in_five_minutes: int) -> None:
    sign_in(page, "dispatcher")
    page.goto(f"/tickets/{due_in_five_minutes}")
    page.fill("#field-at", "2999-01-01T10:00")
    page.get_by_role("button", name="记录", exact=True).click()
    error = page.locator("#event-form #field-at-error")
    expect(error).to_contain_text("请输入")
    expect(page.locator("#field-at")).to_have_attribute("aria-invalid", "true")
    assert page.url.endswith(f"/tickets/{due_in_five_minutes}")  # htmx swapped the form alone
    check_accessibility(page)


SHANGHAI = ZoneInfo("Asia/Shanghai")
WORDS = {
    "units": ["%(n)s d", "%(n)s h", "%(n)s min"],
    "lessThanMinute": "less than 1 min",
    "left": "%(duration)s left",
    "late": "Overdue by %(duration)s",
    "paused": "Paused until %(time)s",
    "announce": "%(label)s: %(state)s",
    "states": {"on_track": "On track", "soon": "Breaching within 60 min", "breached": "Breached"},
    "tones": {"on_track": "info", "soon": "warn", "breached": "bad"},
}


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def clock_markup(key: str, state: str, left: timedelta, due: datetime, calendar: str) -> str:
    return (
        f'<p data-countdown-host><span class="countdown" id="{key}" data-state="{state}" data-countdown '
        f'data-key="{key}" data-label="Ticket {key}" data-left-ms="{ms(due) - ms(due - left)}" '
        f'data-due-ms="{ms(due)}" data-calendar="{calendar}"><span class="badge" data-countdown-badge>'
        f'<svg><use href="#icon-{state}" data-countdown-icon></use></svg><span data-countdown-state></span>'
        f"</span><span data-countdown-left></span><small data-countdown-paused></small></span></p>"
    )


def test_the_countdown_script_counts_business_time_only_and_announces_crossings(
    page: Any, live_server: str
) -> None:
    """js/countdown.js alone, on a page of its own: on Friday 17:50 a business-hours clock with 20 min
    left counts 10 min until closing, then stands still until Monday 09:00; one due at closing breaches
    at 18:00 though no business time passes after it; a 7x24 clock counts all night."""
    friday = datetime(2026, 11, 20, 17, 50, tzinfo=SHANGHAI)
    monday = datetime(2026, 11, 23, 9, tzinfo=SHANGHAI)
    calendars = {
        "CN|Asia/Shanghai": [
            [ms(friday), ms(friday + timedelta(minutes=10)), "Fri 17:50 (Beijing time)"],
            [ms(monday), ms(monday + timedelta(hours=9)), "Mon 09:00 (Beijing time)"],
        ]
    }
    business = "CN|Asia/Shanghai"
    page.clock.install(time=friday - timedelta(minutes=1))
    page.clock.pause_at(friday)  # time stands still between the steps below
    page.goto(f"{live_server}/login")  # any page of the server, then the countdowns alone
    page.set_content(
        f"<main data-countdowns data-now='{ms(friday)}' data-calendars='{json.dumps(calendars)}' "
        f"data-words='{json.dumps(WORDS)}'>"
        + clock_markup("A", "soon", timedelta(minutes=20), monday + timedelta(minutes=10), business)
        + clock_markup("B", "soon", timedelta(minutes=10), friday + timedelta(minutes=10), business)
        + clock_markup("C", "on_track", timedelta(minutes=90), friday + timedelta(minutes=90), "")
        + "</main><div data-countdown-announcer aria-live='polite'></div>"
        f"<script src='{live_server}/static/js/countdown.js'></script>"
    )
    text = {key: page.locator(f"#{key} [data-countdown-left]") for key in "ABC"}
    expect(text["A"]).to_have_text("20 min left")
    expect(page.locator("#A [data-countdown-paused]")).to_have_text("")
    page.clock.run_for("10:00")  # 18:00, closing time
    expect(text["A"]).to_have_text("10 min left")
    expect(text["B"]).to_have_text("less than 1 min left")
    expect(text["C"]).to_have_text("1 h 20 min left")
    page.clock.run_for("00:30")  # 18:00:30
    expect(page.locator("#B")).to_have_attribute("data-state", "breached")
    expect(text["B"]).to_have_text("Overdue by less than 1 min")
    expect(page.locator("#B [data-countdown-state]")).to_have_text("Breached")
    expect(page.locator("#B [data-countdown-badge]")).to_have_class("badge badge--bad")
    expect(page.locator("#B").locator("xpath=..")).to_have_attribute("data-state", "breached")
    expect(page.locator("[data-countdown-announcer]")).to_have_text("Ticket B: Breached")
    expect(page.locator("#A [data-countdown-paused]")).to_have_text("Paused until Mon 09:00 (Beijing time)")
    page.clock.run_for("15:00:00")  # Saturday 09:00:30: business clocks stood still, the 7x24 one did not
    expect(text["A"]).to_have_text("10 min left")
    expect(page.locator("#A")).to_have_attribute("data-state", "soon")
    expect(text["B"]).to_have_text("Overdue by less than 1 min")
    expect(text["C"]).to_have_text("Overdue by 13 h 40 min")  # 13 h 40.5 min: to even, as the server
    expect(page.locator("[data-countdown-announcer]")).to_have_text("Ticket C: Breached")
