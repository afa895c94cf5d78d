"""The dispatcher's day on the ticket screens, in Chromium: the SLA queue with breached and soon-breaching
tickets marked, a filter, a ticket whose countdown is followed with Playwright's clock until it crosses
into "breached" (announced in the live region), and an event recorded; axe and screenshots on each page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

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
