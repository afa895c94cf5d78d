"""The dispatch board in Chromium: a dispatcher plans the demo's next delivery day for Beijing, waits
for the solve, sees the timeline, the map's markers and the list twin agree, hovers and focuses stops to
see them highlighted on the map and the timeline, commits and sees the stops pinned; then runs an urgent
4-hour check and sees the new stops marked on the map and the timeline before committing them. Every page
is checked with axe, and screenshots are saved at desktop and phone sizes."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.browser.conftest import check_accessibility, screenshot, sign_in
from tests.demo import DEMO_PASSWORD

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

SOLVE_WAIT_MS = 120_000
ZONES = (
    "Pacific/Kiritimati", "Pacific/Tongatapu", "Pacific/Fiji", "Pacific/Noumea", "Australia/Brisbane",
    "Asia/Tokyo", "Asia/Shanghai", "Asia/Bangkok", "Asia/Dhaka", "Asia/Karachi", "Asia/Dubai",
    "Europe/Moscow", "Africa/Cairo", "Africa/Lagos", "UTC", "Atlantic/Cape_Verde", "America/Noronha",
    "America/Sao_Paulo", "America/La_Paz", "America/Bogota", "America/Guatemala", "America/Phoenix",
    "Pacific/Pitcairn", "Pacific/Gambier", "Pacific/Honolulu", "Pacific/Pago_Pago",
)  # fmt: skip
"""Time zones an hour apart, for a test depot whose vans are at work whenever the test runs."""


def keys(page: Any, selector: str) -> list[str]:
    return page.eval_on_selector_all(selector, "nodes => nodes.map(n => n.dataset.stopKey)")


def island(page: Any) -> dict:
    return json.loads(page.text_content("#board-map-data"))


def expect_highlighted(page: Any, key: str) -> None:
    """The stop is highlighted on the map, on the timeline and in the table."""
    for selector in (".sl-map-marker", ".tl-stop", ".board-stops tr"):
        expect(page.locator(f"{selector}.is-highlighted[data-stop-key='{key}']")).to_have_count(1)


def working_zone() -> str:
    """A zone where it is now late morning: a depot there has its vans at work."""
    now = datetime.now(UTC)
    return next(zone for zone in ZONES if 9 <= now.astimezone(ZoneInfo(zone)).hour < 14)


def urgent_reservation(live_server: str) -> int:
    """Through the API, as staff would: a depot where it is late morning (near Beijing), a disk in stock
    there and a van, and a platinum customer's 4-hour ticket with that disk reserved at it."""
    suffix = uuid.uuid4().hex[:6].upper()
    depot, zone = f"URG-{suffix}", working_zone()
    with httpx.Client(base_url=f"{live_server}/api/v1", timeout=30) as api:
        token = api.post("/auth/token", json={"username": "admin", "password": DEMO_PASSWORD})
        api.headers["Authorization"] = f"Bearer {token.json()['access_token']}"

        def post(path: str, body: dict) -> dict:
            answer = api.post(path, json=body)
            assert answer.status_code in (200, 201), answer.text
            return answer.json()

        depot_fields = {"code": depot, "name": f"Urgent test depot {suffix}", "kind": "forward"}
        post("/depots", depot_fields | {"latitude": 39.99, "longitude": 116.47, "timezone": zone})
        unit = {"serial": f"HDDURG{suffix}0001", "box_number": f"BX{suffix}", "batch_number": f"B{suffix}"}
        line = {"part_number": "HDD-SAS-1T2-10K", "units": [unit]}
        post(
            "/stock/receipts",
            {"depot": depot, "supplier": "OEM", "reference": f"DN-{suffix}", "lines": [line]},
        )
        van = {"code": f"VAN-{depot}", "depot": depot, "capacity_kg": 900, "capacity_l": 6000}
        post("/vehicles", van | {"shift_start": "08:00", "shift_end": "19:00"})
        ticket = post(
            "/tickets",
            {
                "customer": "ZHB",
                "site": "BJ-DC1",
                "asset_serial": "ZHB-ARR-0001",
                "severity": "critical",
                "summary": "Second disk failed in one RAID group",
            },
        )
        part = {"part_number": "HDD-SAS-1T2-10K", "quantity": 1, "depot": depot}
        held = post(f"/tickets/{ticket['id']}/reservations", part)
    return held["id"]


def test_plan_commit_and_an_urgent_check_on_the_board(page: Any, live_server: str) -> None:
    sign_in(page, "dispatcher")
    page.goto("/dispatch?depot=PEK-C")
    page.wait_for_selector("#board-map[data-basemap=drawn]")
    expect(page.locator("#plan-button")).to_be_visible()
    check_accessibility(page)

    # Plan: the board says it is planning, polls the solve, then shows the draft.
    page.click("#plan-button")
    page.wait_for_selector("#commit-button", timeout=SOLVE_WAIT_MS)
    page.wait_for_selector(".board-stops tbody tr[data-stop-key]")  # the table, loaded after the board
    page.wait_for_selector("#board-map[data-basemap=drawn]")
    routed = keys(page, ".board-stops tbody tr[data-stop-key]")
    assert sorted(keys(page, ".tl-stop")) == sorted(routed)
    markers = keys(page, ".sl-map-marker[data-stop-key]")
    assert set(routed) <= set(markers)
    assert set(markers) == {stop["key"] for stop in island(page)["stops"]}
    assert page.locator(".tl-row[role=group]").count() == 2  # PEK-C's two vans

    # Hovering or focusing a stop anywhere highlights it everywhere.
    first, second = routed[0], routed[-1]
    page.hover(f".tl-stop[data-stop-key='{first}']")
    expect_highlighted(page, first)
    page.focus(f".tl-stop[data-stop-key='{second}']")
    expect_highlighted(page, second)
    page.hover(f".sl-map-marker[data-stop-key='{first}']")
    expect_highlighted(page, first)
    page.hover(f".board-stops tr[data-stop-key='{second}']")
    expect_highlighted(page, second)
    check_accessibility(page)
    screenshot(page, "dispatch-board-draft")

    # The filters swap the board (and its map) for another depot's, in the address too.
    page.select_option("#board-depot", "SHA-C")
    page.wait_for_function("() => location.search.includes('depot=SHA-C')")
    page.wait_for_selector("#board-map[data-basemap=drawn]")
    expect(page.locator(".tl-row[role=group]").first).to_have_attribute("aria-label", "VAN-SHA-C-1")
    page.go_back()
    page.wait_for_selector("#commit-button")
    page.wait_for_selector("#board-map[data-basemap=drawn]")

    # Commit: the stops are pinned.
    page.click("#commit-button")
    expect(page.locator("#commit-button")).to_have_count(0)
    expect(page.locator(".tl-stop.is-pinned")).to_have_count(len(routed))
    expect(page.locator(".board-stops .badge--neutral")).to_have_count(len(routed))
    check_accessibility(page)
    screenshot(page, "dispatch-board-committed")

    # The urgent check from a ticket: it runs as the board opens, and shows its draft.
    reservation = urgent_reservation(live_server)
    page.goto(f"/dispatch?urgent={reservation}")
    page.wait_for_selector(".urgent-facts", timeout=SOLVE_WAIT_MS)
    page.wait_for_selector("#board-map[data-basemap=drawn]")
    page.wait_for_selector(".board-stops tbody tr[data-stop-key]")  # the table, loaded after the board
    new = {f"U{reservation}", f"U{reservation}:pickup"}
    assert set(keys(page, ".tl-stop.is-new")) == new
    assert set(keys(page, ".board-stops tr.is-new")) == new
    assert new <= set(keys(page, ".sl-map-marker[data-stop-key]"))
    carrier = [route for route in island(page)["routes"] if f"U{reservation}" in route["stops"]]
    assert len(carrier) == 1
    assert carrier[0]["dashed"]
    page.hover(f".tl-stop[data-stop-key='U{reservation}']")
    expect_highlighted(page, f"U{reservation}")
    check_accessibility(page)
    screenshot(page, "dispatch-urgent-check")

    page.click("#urgent-commit")
    expect(page.locator("#urgent-commit")).to_have_count(0)
    expect(page.locator(f".tl-stop.is-pinned[data-stop-key='U{reservation}']")).to_have_count(1)
