"""The dispatcher's queue: a premium customer's request that no depot can deliver in 4 hours waits there
with its alternatives, and the dispatcher reserves the part at one of them. The page passes axe."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.browser.conftest import check_accessibility, screenshot, sign_in
from tests.demo import DEMO_PASSWORD


def _headers(live_server: str, username: str) -> dict[str, str]:
    token = httpx.post(
        f"{live_server}/api/v1/auth/token", json={"username": username, "password": DEMO_PASSWORD}
    ).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def _pending_request(live_server: str) -> int:
    """A ticket reported 6 hours ago (its 4-hour promise is past) and Zhonghe Bank's request on it."""
    reported = (datetime.now(UTC) - timedelta(hours=6)).isoformat()
    ticket = httpx.post(
        f"{live_server}/api/v1/tickets",
        json={
            "customer": "ZHB",
            "site": "BJ-DC1",
            "asset_serial": "ZHB-SRV-0202",
            "severity": "major",
            "summary": "PSU 2 failed overnight",
            "reported_at": reported,
        },
        headers=_headers(live_server, "dispatcher"),
    ).json()
    request = httpx.post(
        f"{live_server}/api/v1/tickets/{ticket['id']}/replacement-requests",
        json={"part_number": "PSU-800W-PLATINUM", "quantity": 1},
        headers=_headers(live_server, "zhb"),
    ).json()
    assert request["state"] == "pending_dispatcher", request
    return request["id"]


def test_the_dispatcher_reserves_a_queued_request(page: Any, live_server: str) -> None:
    request_id = _pending_request(live_server)
    sign_in(page, "dispatcher")
    page.goto("/")
    page.locator("a[href='/replacements']").first.click()
    page.wait_for_url("**/replacements")
    card = page.locator(f"#request-{request_id}")
    assert "PSU-800W-PLATINUM" in card.inner_text()
    assert card.locator("tbody tr").count() >= 1
    check_accessibility(page)
    screenshot(page, "replacements-queue")
    card.locator("tbody tr button").first.click()
    page.wait_for_url(f"**/replacements?done={request_id}")
    assert page.locator(f"#request-{request_id}").count() == 0
    state = httpx.get(
        f"{live_server}/api/v1/replacement-requests/{request_id}", headers=_headers(live_server, "dispatcher")
    ).json()["state"]
    assert state == "approved"
    check_accessibility(page)
