"""The inbound screens in a real browser: a delivery received against its shipping notice by keyboard
scanning (a serial not on the notice is shown as going to quarantine before anything is booked); a count
scanned, closed and approved by a second person; a write-off asked for by scanning and approved by a
second person; a vendor's replacement units received against a shipped return to vendor by keyboard
scanning; axe on every new screen."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.browser.conftest import (
    XTC_GPU_SERVER,
    check_accessibility,
    issued_on_a_ticket,
    screenshot,
    sign_in,
)
from tests.browser.test_compliance import _token
from tests.browser.test_warehouse import PART, scan, wait_for_focus


def create_notice(page: Any, tag: str, serials: list[str]) -> int:
    """A notice at SHA-C for ``serials`` of the demo disk, through the API as warehouse staff."""
    token = page.request.post("/api/v1/auth/token", data={"username": "warehouse", "password": "demo"}).json()
    answer = page.request.post(
        "/api/v1/stock/notices",
        headers={"Authorization": f"Bearer {token['access_token']}"},
        data={
            "depot": "SHA-C",
            "supplier": "Browser OEM",
            "reference": f"ASN-BR-{tag}",
            "lines": [
                {
                    "part_number": PART,
                    "units": [
                        {"serial": s, "box_number": f"BX-BR-{tag}", "batch_number": f"B-BR-{tag}"}
                        for s in serials
                    ],
                }
            ],
        },
    )
    assert answer.status == 201, answer.text()
    return answer.json()["id"]


def test_receiving_against_a_notice_by_scanning(page: Any) -> None:
    tag = uuid.uuid4().hex[:6].upper()
    serials = [f"HDDBR{tag}{n}" for n in range(1, 3)]
    notice = create_notice(page, tag, serials)
    sign_in(page, "warehouse")
    page.goto("/notices?depot=SHA-C")
    check_accessibility(page)
    screenshot(page, "inbound-notices")
    page.click(f"tr[data-notice='{notice}'] a[href='/receipts/new?notice={notice}']")
    wait_for_focus(page, "field-scan")
    assert page.input_value("#field-reference") == f"ASN-BR-{tag}"
    scan(page, f"BX-BR-{tag}")
    scan(page, PART)
    scan(page, f"B-BR-{tag}")
    scan(page, serials[0])
    scan(page, f"HDDSTRAY{tag}")
    stray = page.locator("#receipt-notice tr[data-notice-finding='unexpected']")
    assert f"HDDSTRAY{tag}" in stray.inner_text()
    check_accessibility(page)
    page.click("button[formaction='/receipts']")
    page.wait_for_url(f"**/notices/{notice}")
    assert page.locator("tr[data-finding='unexpected']").count() == 1
    assert serials[1] in page.locator("tr[data-finding='missing']").inner_text()
    check_accessibility(page)
    screenshot(page, "inbound-notice")


def test_a_count_scanned_closed_and_approved_by_a_second_person(page: Any) -> None:
    tag = uuid.uuid4().hex[:6].upper()
    part = f"CNT-BR-{tag}"
    token = page.request.post("/api/v1/auth/token", data={"username": "warehouse", "password": "demo"}).json()
    created = page.request.post(
        "/api/v1/parts",
        headers={"Authorization": f"Bearer {token['access_token']}"},
        data={
            "part_number": part,
            "category": "test",
            "serialized": True,
            "unit_cost": "1.00",
            "weight_kg": 0.1,
            "volume_l": 0.1,
        },
    )
    assert created.status == 201, created.text()
    sign_in(page, "warehouse")
    page.goto("/counts?depot=CTU-R")
    check_accessibility(page)
    page.fill("#field-parts", part)
    page.click("form[action='/counts'] button[type=submit]")
    page.wait_for_url("**/counts/*")
    wait_for_focus(page, "field-serial")
    page.keyboard.type(f"CNTSERIAL{tag}")
    page.keyboard.press("Enter")
    page.wait_for_url("**/counts/*?part=*")
    assert page.evaluate("document.activeElement && document.activeElement.id") == "field-serial"
    check_accessibility(page)
    page.click("form[action$='/close'] button")
    page.wait_for_selector("tr[data-variance='unknown']")
    count_url = page.url
    check_accessibility(page)
    screenshot(page, "inbound-count")
    assert page.locator("form[action$='/approve']").count() == 0
    page.context.clear_cookies()
    sign_in(page, "admin")
    page.goto(count_url)
    page.click("form[action$='/approve'] button")
    page.wait_for_function("!document.querySelector(\"form[action$='/approve']\")")
    assert "admin" in page.locator("#count-status").inner_text()


def test_the_returns_screens_are_accessible(page: Any) -> None:
    sign_in(page, "warehouse")
    for path, name in (
        ("/returns?depot=SHA-C", "inbound-returns"),
        ("/vendor-returns?depot=SHA-C", "inbound-vendor-returns"),
    ):
        page.goto(path)
        check_accessibility(page)
        screenshot(page, name)


def test_a_write_off_asked_for_by_scanning_and_approved_by_a_second_person(page: Any) -> None:
    tag = uuid.uuid4().hex[:6].upper()
    serial = f"HDDWO{tag}"
    token = page.request.post("/api/v1/auth/token", data={"username": "warehouse", "password": "demo"}).json()
    unit = {"serial": serial, "box_number": f"BX-WO-{tag}", "batch_number": f"B-WO-{tag}"}
    received = page.request.post(
        "/api/v1/stock/receipts",
        headers={"Authorization": f"Bearer {token['access_token']}"},
        data={
            "depot": "CTU-R",
            "supplier": "Browser OEM",
            "reference": f"DN-WO-{tag}",
            "lines": [{"part_number": PART, "units": [unit]}],
        },
    )
    assert received.status == 201, received.text()
    sign_in(page, "warehouse")
    page.goto("/write-offs?depot=CTU-R")
    wait_for_focus(page, "field-part_number")
    check_accessibility(page)
    # A keyboard-wedge scanner types into the focused field and sends Enter: the browser then moves to
    # the next field still empty, and sends the form once all are filled.
    page.keyboard.type(PART)
    page.keyboard.press("Enter")
    wait_for_focus(page, "field-serial")
    page.keyboard.type(serial)
    page.keyboard.press("Enter")
    wait_for_focus(page, "field-reason")
    page.select_option("#field-outcome", "lost")
    page.fill("#field-reason", "Not on its shelf after two searches")
    page.press("#field-reason", "Enter")
    page.wait_for_url("**/write-offs?depot=CTU-R&asked=*")
    row = page.locator("tr[data-write-off]", has_text=serial)
    assert "等待第二人批准" in row.inner_text()
    check_accessibility(page)
    screenshot(page, "write-offs")
    row.locator("form[action$='/approve'] button").click()
    page.wait_for_load_state("load")
    assert "须由第二人批准" in page.locator("main [role=alert]").inner_text()
    check_accessibility(page)
    page.context.clear_cookies()
    sign_in(page, "admin")
    page.goto("/write-offs?depot=CTU-R")
    row = page.locator("tr[data-write-off]", has_text=serial)
    row.locator("form[action$='/approve'] button").click()
    page.wait_for_url("**/write-offs?depot=CTU-R")
    row = page.locator("tr[data-write-off]", has_text=serial)
    assert "已批准，已出账" in row.inner_text()
    assert "admin" in row.inner_text()
    assert row.locator("form").count() == 0
    check_accessibility(page)


POWER_SUPPLY = "PSU-800W-PLATINUM"


def a_shipped_return_to_vendor(live_server: str, tag: str) -> tuple[int, str]:
    """A failed power supply taken out of a customer's server, received back at its depot for the vendor
    and shipped to the vendor on an RMA, through the JSON API: the return's id and depot."""
    failed = f"PSU-FAILED-{tag}"
    with httpx.Client(base_url=live_server, timeout=30) as api:
        dispatcher, warehouse = _token(api, "dispatcher"), _token(api, "warehouse")
        summary = {"summary": "Power supply 1 failed"}
        ticket = issued_on_a_ticket(api, dispatcher, XTC_GPU_SERVER | summary, POWER_SUPPLY, failed)
        [expected] = api.get("/api/v1/returns", params={"ticket": ticket}, headers=warehouse).json()["items"]
        depot = expected["depot"]
        received = api.post(
            f"/api/v1/returns/{expected['id']}/receive",
            json={"depot": depot, "serial": failed, "grade": "vendor_return"},
            headers=warehouse,
        )
        assert received.status_code == 200, received.text
        opened = api.post(
            "/api/v1/vendor-returns",
            json={"vendor": "OEM spare parts logistics", "rma_number": f"RMA-BR-{tag}", "depot": depot,
                  "units": [{"part_number": POWER_SUPPLY, "serial": failed}]},
            headers=warehouse,
        )  # fmt: skip
        assert opened.status_code == 201, opened.text
        shipped = api.post(f"/api/v1/vendor-returns/{opened.json()['id']}/ship", headers=warehouse)
        assert shipped.status_code == 200, shipped.text
    return opened.json()["id"], depot


def test_a_vendor_s_replacements_are_received_by_scanning(page: Any, live_server: str) -> None:
    tag = uuid.uuid4().hex[:6].upper()
    rma, depot = a_shipped_return_to_vendor(live_server, tag)
    sign_in(page, "warehouse")
    page.goto(f"/vendor-returns?depot={depot}")
    row = page.locator(f"[data-rma='{rma}']")
    row.locator("details.replacements summary").click()
    page.focus(f"#replacement-part-{rma}")
    page.keyboard.type(POWER_SUPPLY)
    page.focus(f"#replacement-units-{rma}")
    # A keyboard-wedge scanner set to end each label with a space types a unit's three labels, and the
    # person presses Enter for the next unit.
    for serial in (f"PSUNEW{tag}1", f"PSUNEW{tag}2"):
        page.keyboard.type(f"{serial} BX-RMA-{tag} B-RMA-{tag} ")
        page.keyboard.press("Enter")
    check_accessibility(page)
    screenshot(page, "inbound-vendor-replacements")
    page.click(f"#replacements-{rma} button[type=submit]")
    page.wait_for_url(f"**/vendor-returns?depot={depot}")
    shown = page.locator(f"[data-rma='{rma}']").inner_text()
    for serial in (f"PSUNEW{tag}1", f"PSUNEW{tag}2"):
        assert serial in shown
    assert page.locator(f"[data-rma='{rma}'] form").count() == 0
    check_accessibility(page)
