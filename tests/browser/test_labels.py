"""Label printing in a real browser: a unit received, its label sheet opened from the unit's page, each
code read back from the rendered sheet's pixels (QR code and Code 128) and scanned back to the unit."""

from __future__ import annotations

import io
import re
import uuid
from typing import Any

import httpx
import zxingcpp
from PIL import Image

from tests.browser.conftest import check_accessibility, screenshot, sign_in
from tests.demo import DEMO_PASSWORD

PART = "HDD-SAS-1T2-10K"


def received_unit(live_server: str) -> dict[str, str]:
    """A new unit of a demo disk, received at PEK-C through the API."""
    tag = uuid.uuid4().hex[:8].upper()
    unit = {"serial": f"HDDLBL{tag}", "box_number": f"BX-LBL-{tag}", "batch_number": f"B-LBL-{tag}"}
    with httpx.Client(base_url=f"{live_server}/api/v1", timeout=30) as api:
        token = api.post("/auth/token", json={"username": "warehouse", "password": DEMO_PASSWORD})
        api.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
        line = {"part_number": PART, "units": [unit]}
        answer = api.post(
            "/stock/receipts",
            json={"depot": "PEK-C", "supplier": "OEM", "reference": f"DN-{tag}", "lines": [line]},
        )
        assert answer.status_code == 201, answer.text
    return unit


def test_a_label_printed_from_a_unit_reads_back_and_scans_to_the_unit(
    page: Any, browser: Any, live_server: str
) -> None:
    unit = received_unit(live_server)
    sign_in(page, "warehouse")
    page.goto(f"/stock/units/{unit['serial']}?part_number={PART}")
    with page.context.expect_page() as opened:
        page.click("a[href^='/labels?serials=']")
    sheet = opened.value
    sheet.wait_for_load_state()
    check_accessibility(sheet)
    screenshot(sheet, "label-sheet")
    address = sheet.url
    sheet.close()
    # The sheet again as a 300 dpi printer draws it: at the screen's 96 dpi a Code 128 bar is about one
    # pixel wide, too thin for any reader.
    printer = browser.new_context(base_url=live_server, device_scale_factor=300 / 96)
    printer.add_cookies(page.context.cookies())
    printed = printer.new_page()
    printed.goto(address)
    label = printed.locator("section.label")
    assert label.count() == 1
    pixels = Image.open(io.BytesIO(label.screenshot(scale="device")))
    read = sorted((symbol.format.name, symbol.text) for symbol in zxingcpp.read_barcodes(pixels))
    printer.close()
    assert read == [("Code128", unit["serial"]), ("QRCode", unit["serial"])]

    page.goto("/scan")
    page.fill("#scan-code", read[1][1])
    page.press("#scan-code", "Enter")
    page.wait_for_url(re.compile(rf"/stock/units/{unit['serial']}\?part_number={PART}$"))
