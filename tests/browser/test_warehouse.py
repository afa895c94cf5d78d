"""The warehouse in a real browser: a delivery received by keyboard scanning only (the box label, its
serials, Enter after each), with the counters and a consistency warning for a wrong serial; the received
unit found through the scan box and its timeline; the stock at phone width; axe on every screen."""

from __future__ import annotations

import re
import uuid
from typing import Any

from tests.browser.conftest import PHONE, check_accessibility, screenshot, sign_in

PART = "HDD-SAS-1T2-10K"
"""A serialized demo part (disks come ten to a box); its serials begin with ``HDD``."""


def focused(page: Any) -> str:
    return page.evaluate("document.activeElement && document.activeElement.id")


SETTLED = "!document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')"
"""htmx has finished: no request under way, nothing being swapped or settled (it focuses the new
content's autofocus field while it settles)."""


def wait_for_focus(page: Any, element_id: str) -> None:
    page.wait_for_function(f"document.activeElement && document.activeElement.id === {element_id!r}")
    page.wait_for_function(SETTLED)


def scan(page: Any, code: str) -> None:
    """What a keyboard-wedge scanner does: type the code into the focused field, then Enter; then wait
    for the screen's answer (the scan field is focused again, empty)."""
    assert focused(page) == "field-scan"
    page.keyboard.type(code)
    page.keyboard.press("Enter")
    page.wait_for_function(
        "document.activeElement && document.activeElement.id === 'field-scan' "
        "&& document.activeElement.value === ''"
    )
    page.wait_for_function(SETTLED)


def open_delivery(page: Any, depot: str, tag: str) -> None:
    """The receipt screen for ``depot`` with its delivery note typed (Enter after each field); the focus
    then waits in the scan field."""
    page.goto(f"/receipts/new?depot={depot}")
    wait_for_focus(page, "field-supplier")
    page.keyboard.type("Keyboard OEM")
    page.keyboard.press("Enter")
    wait_for_focus(page, "field-reference")
    page.keyboard.type(f"DN-KB-{tag}")
    page.keyboard.press("Enter")
    wait_for_focus(page, "field-scan")


def test_receiving_a_box_by_keyboard_scanning(page: Any) -> None:
    tag = uuid.uuid4().hex[:6].upper()
    box, batch = f"BX-KB-{tag}", f"B-KB-{tag}"
    serials = [f"HDDKB{tag}{n}" for n in range(1, 4)]
    sign_in(page, "warehouse")
    open_delivery(page, "SHA-C", tag)
    scan(page, box)
    assert page.input_value("#field-box_number") == box
    scan(page, PART)
    scan(page, batch)
    assert page.input_value("#field-batch_number") == batch
    assert page.locator("label[for=field-scan]").inner_text() == "扫描序列号"
    # The label's quantity: one field back from the scan field, typed, Enter.
    page.keyboard.press("Shift+Tab")
    assert focused(page) == "field-expected"
    page.keyboard.type("3")
    page.keyboard.press("Enter")
    wait_for_focus(page, "field-scan")
    scan(page, serials[0])
    scan(page, serials[1])
    scan(page, "PSU-NOT-A-DISK-1")
    assert page.locator("#count-scanned").inner_text() == "3"
    wrong = page.locator("tr[data-serial='PSU-NOT-A-DISK-1']")
    assert "line--warning" in (wrong.get_attribute("class") or "")
    assert "与该备件的序列号格式不符" in wrong.inner_text()
    assert "HDD" in wrong.inner_text()
    check_accessibility(page)
    screenshot(page, "warehouse-receipt-scanning")
    # Take the wrong serial out with the keyboard: its remove button, Enter.
    wrong.locator("button").focus()
    page.keyboard.press("Enter")
    wait_for_focus(page, "field-scan")
    page.wait_for_load_state("networkidle")
    assert page.locator("tr[data-serial='PSU-NOT-A-DISK-1']").count() == 0
    scan(page, serials[2])
    counters = page.locator("#receipt-counters").inner_text()
    assert "3 / 3" in counters
    assert page.locator("tbody tr .badge--ok", has_text="已齐").count() == 1
    page.locator("button[formaction='/receipts']").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/receipts/new\?depot=SHA-C&done=\d+$"))
    assert "3 件" in page.locator("#receipt-done").inner_text()
    check_accessibility(page)
    # Find the unit through the scan box and see its life.
    page.locator("#scan-code").focus()
    page.keyboard.type(serials[0])
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/stock/units/{serials[0]}\?part_number={PART}$"))
    assert page.locator("h1").inner_text() == f"单件 {serials[0]}"
    facts = page.locator(".facts").inner_text()
    assert box in facts
    assert batch in facts
    assert "SHA-C" in facts
    step = page.locator(".timeline > li").first
    assert "从供应商收货" in step.inner_text()
    assert "北京时间" in step.inner_text()
    assert re.search(r"审计记录 \d+ · 哈希 [0-9a-f]{12}", step.inner_text())
    check_accessibility(page)
    screenshot(page, "warehouse-unit-timeline")


def test_a_wrong_scan_is_said_in_words_and_refused_at_submit(page: Any) -> None:
    tag = uuid.uuid4().hex[:6].upper()
    sign_in(page, "warehouse")
    open_delivery(page, "PEK-C", tag)
    for code in (f"BX-KB-{tag}", PART, f"B-KB-{tag}", f"HDDKB{tag}1", f"HDDKB{tag}1"):
        scan(page, code)
    twice = page.locator("tr.line--error")
    assert twice.count() == 1
    assert "重复扫描" in twice.inner_text()
    page.locator("button[formaction='/receipts']").focus()
    page.keyboard.press("Enter")
    page.locator("#receipt [role=status]", has_text="部分行有错误").wait_for()
    assert "/receipts/new" in page.url
    check_accessibility(page)


def test_stock_at_phone_width(page: Any) -> None:
    sign_in(page, "warehouse")
    page.set_viewport_size(PHONE)
    page.goto("/stock?depot=PEK-C")
    assert page.locator(".data-table tbody tr").count() > 0
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert page.evaluate("document.activeElement.id") == "scan-code"
    check_accessibility(page)
    screenshot(page, "warehouse-stock")
    page.set_viewport_size(PHONE)
    page.select_option("#field-only", "with_stock")
    page.fill("#field-q", "ssd")
    page.locator(".filters button[type=submit]").click()
    page.wait_for_url(re.compile(r"only=with_stock"))
    assert page.locator(".data-table tbody tr").count() > 0
    assert all("SSD" in text for text in page.locator(".data-table tbody tr td strong").all_inner_texts())
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    check_accessibility(page)


def test_every_warehouse_screen_passes_axe(page: Any) -> None:
    sign_in(page, "warehouse")
    for path, name in (
        ("/transfers?depot=PEK-C&view=outbound", "warehouse-transfers"),
        ("/transfers/new?depot=PEK-C", "warehouse-transfer-new"),
        ("/reservations?depot=PEK-C", "warehouse-reservations"),
        ("/scan?code=NO-SUCH-CODE", "warehouse-scan-unknown"),
        ("/receipts/new", "warehouse-receipt-empty"),
    ):
        page.goto(path)
        assert page.locator("h1").count() == 1
        check_accessibility(page)
        screenshot(page, name)
    serial_link = "/stock/units?box="
    page.goto("/reservations?depot=PEK-C")
    held = page.locator(".data-table tbody tr td a[href^='/stock/units/']").first
    if held.count():
        held.click()
        page.wait_for_url(re.compile(r"/stock/units/"))
        check_accessibility(page)
        screenshot(page, "warehouse-unit-reserved")
        box = page.locator(f".facts a[href^='{serial_link}']")
        box.click()
        page.wait_for_url(re.compile(r"/stock/units\?box="))
        check_accessibility(page)
        screenshot(page, "warehouse-box")


def receive_box(page: Any, depot: str, serials: list[str]) -> None:
    """Receive one box of ``serials`` of `PART` at ``depot`` by keyboard, quickly."""
    tag = uuid.uuid4().hex[:6].upper()
    open_delivery(page, depot, tag)
    for code in (f"BX-KB-{tag}", PART, f"B-KB-{tag}", *serials):
        scan(page, code)
    page.locator("button[formaction='/receipts']").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"done=\d+$"))


def test_a_transfer_sent_and_received_by_scanning(page: Any) -> None:
    tag = uuid.uuid4().hex[:6].upper()
    serials = [f"HDDTR{tag}{n}" for n in range(1, 3)]
    sign_in(page, "warehouse")
    receive_box(page, "SHE-R", serials)
    page.goto("/transfers/new?depot=SHE-R")
    page.select_option("#field-to_depot", "SZX-F")
    page.locator("#field-scan").focus()
    page.keyboard.type(PART)
    page.keyboard.press("Enter")
    page.wait_for_function(f"document.getElementById('field-part_number').value === {PART!r}")
    wait_for_focus(page, "field-scan")
    for serial in serials:
        scan(page, serial)
    assert page.locator("tr.line--error").count() == 0
    check_accessibility(page)
    page.locator("button[formaction='/transfers']").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/transfers/\d+\?sent=1$"))
    wait_for_focus(page, "field-scan")
    scan(page, serials[0])
    assert page.locator("tr.highlight").count() == 1
    check_accessibility(page)
    screenshot(page, "warehouse-transfer-receive")
    page.locator("button[formaction$='/receive']").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/transfers/\d+\?received=1$"))
    assert "部分接收" in page.locator(".facts").inner_text()
