"""A compliance officer's day in the browser: the register of retained media filtered to what is
overdue, a record whose destruction awaits verification verified as a second person, its timeline and
certificate, then the audit chain verified intact.

The record is the test's own (the live server is shared by the whole run): a dispatcher opens a ticket
for Zhonghe Bank (which keeps its failed disks) and issues a replacement disk through the JSON API, which
opens the retention record; warehouse staff then record the disk's destruction on the record's page, as
their role may, before the compliance officer verifies it.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from tests.browser.conftest import check_accessibility, issued_on_a_ticket, screenshot, sign_in
from tests.demo import DEMO_PASSWORD

BEIJING = ZoneInfo("Asia/Shanghai")


def _token(api: httpx.Client, username: str) -> dict[str, str]:
    answer = api.post("/api/v1/auth/token", json={"username": username, "password": DEMO_PASSWORD})
    answer.raise_for_status()
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def a_retained_disk(live_server: str) -> tuple[int, str, datetime]:
    """A new retention record of Zhonghe Bank: its id, failed serial and when it was opened."""
    failed = f"WX-BROWSER-{uuid.uuid4().hex[:8].upper()}"
    with httpx.Client(base_url=live_server, timeout=30) as api:
        dispatcher = _token(api, "dispatcher")
        array = {"customer": "ZHB", "site": "BJ-DC1", "asset_serial": "ZHB-ARR-0001", "severity": "major"}
        summary = {"summary": "Disk reported predictive failure"}
        issued_on_a_ticket(api, dispatcher, array | summary, "HDD-SAS-1T2-10K", failed)
        listed = api.get(
            "/api/v1/secure-media/retentions",
            params={"customer": "ZHB", "state": "retained", "limit": 500},
            headers=dispatcher,
        ).json()["items"]
    record = next(item for item in listed if item["failed_serial"] == failed)
    return record["id"], failed, datetime.fromisoformat(record["created_at"])


def record_the_destruction(page: Any, record_id: int, retained_at: datetime) -> None:
    """Warehouse staff fill in the destruction form (NIST SP 800-88's fields) on the record's page."""
    sign_in(page, "warehouse")
    page.goto(f"/compliance/retentions/{record_id}")
    form = page.locator(f"form[action='/compliance/retentions/{record_id}/destruction']")
    form.locator("#field-method").select_option("destroy")
    form.locator("#field-technique").select_option("shred")
    performed = (retained_at + timedelta(seconds=1)).astimezone(BEIJING)
    for name, value in {
        "tool": "HSM Powerline 450.2",
        "tool_version": "fw 3.1",
        "performed_by": "Wang Lei",
        "performed_at": performed.strftime("%Y-%m-%dT%H:%M:%S"),
        "location": "Beijing depot secure room",
        "verification_method": "visual inspection of particles",
        "validated_by": "Li Na",
        "certificate_number": f"DC-{record_id}",
        "certificate_sha256": uuid.uuid4().hex * 2,
        "post_sanitization_destination": "certified recycler",
    }.items():
        form.locator(f"#field-{name}").fill(value)
    check_accessibility(page)
    screenshot(page, "compliance-record-destruction-form")
    form.locator("button[type=submit]").click()
    page.wait_for_url(f"**/compliance/retentions/{record_id}?done=destruction")
    assert "已登记销毁，待核验" in page.locator(".record-state").inner_text()
    assert (
        performed.strftime("%Y-%m-%d %H:%M")
        in page.locator("section[aria-labelledby=destruction-heading]").inner_text()
    )
    check_accessibility(page)
    page.locator("form[action='/logout'] button").click()
    page.wait_for_url("**/login")


def _results_swapped(page: Any, query: str) -> None:
    """Send the register's filters (htmx swaps the results and pushes the address)."""
    with page.expect_response(lambda response: "/compliance/retentions?" in response.url):
        page.locator("form.filters button[type=submit]").click()
    page.wait_for_url(re.compile(re.escape(query)))


def test_a_compliance_officer_verifies_a_destruction_record(page: Any, live_server: str) -> None:
    record_id, failed, retained_at = a_retained_disk(live_server)
    record_the_destruction(page, record_id, retained_at)
    sign_in(page, "compliance")

    page.locator(".app-nav a[href='/compliance/retentions']").click()
    page.wait_for_url("**/compliance/retentions")
    assert page.locator("h1").inner_text() == "留存介质"
    assert page.locator("svg#ageing-chart[role=img] > title").count() == 1
    check_accessibility(page)
    screenshot(page, "compliance-register")

    page.select_option("#filter-overdue", "yes")
    _results_swapped(page, "overdue=yes")
    rows = page.locator("section[aria-labelledby=records-heading] tbody tr")
    assert rows.count() >= 2
    for index in range(rows.count()):
        assert "已逾期" in rows.nth(index).inner_text()
    assert failed not in page.locator("#register-results").inner_text()
    check_accessibility(page)
    screenshot(page, "compliance-register-overdue")

    page.select_option("#filter-overdue", "")
    page.select_option("#filter-state", "destruction_recorded")
    _results_swapped(page, "state=destruction_recorded")
    page.locator(f"a[href='/compliance/retentions/{record_id}']").click()
    page.wait_for_url(f"**/compliance/retentions/{record_id}")
    assert page.locator("h1").inner_text() == f"留存备件 {failed}"
    assert "已登记销毁，待核验" in page.locator(".record-state").inner_text()
    assert "北京时间" in page.locator(".timeline").inner_text()
    check_accessibility(page)
    screenshot(page, "compliance-record")

    form = page.locator("#record-actions form")
    form.locator("input[name=result][value=accepted]").check()
    form.locator("#field-notes").fill("Certificate checked against the shredder's log")
    form.locator("button[type=submit]").click()
    page.wait_for_url(f"**/compliance/retentions/{record_id}?done=verification")
    assert "您的核验结果已登记" in page.locator("main").inner_text()
    assert "销毁已核验" in page.locator(".record-state").inner_text()
    steps = page.locator(".timeline-item > strong").all_inner_texts()
    assert steps == ["由客户留存", "已登记销毁", "销毁已核验"]
    assert "compliance" in page.locator(".timeline-item").last.inner_text()
    assert "此记录与其审计链条目一致" in page.locator(".certificate").inner_text()
    assert page.locator(f"form[action='/compliance/retentions/{record_id}/close']").count() == 1
    check_accessibility(page)
    screenshot(page, "compliance-record-verified")

    page.locator(".certificate a[role=button]").click()
    page.wait_for_url(f"**/compliance/retentions/{record_id}/certificate")
    assert "本记录与审计链一致" in page.locator("#chain-match").inner_text()
    assert failed in page.locator("body").inner_text()
    check_accessibility(page)
    screenshot(page, "compliance-certificate")

    page.goto("/compliance/audit")
    assert "BEGIN PUBLIC KEY" in page.locator("pre.pem").inner_text()
    page.locator("form[action='/compliance/audit/verification'] button").click()
    result = page.locator("#verification [role=status]").first
    result.wait_for()
    assert "审计链完好" in result.inner_text()
    assert "全部一致" in page.locator("#verification").inner_text()
    assert page.url.endswith("/compliance/audit")  # htmx put the result into the page
    check_accessibility(page)
    screenshot(page, "compliance-audit")
