"""Sanitization in the browser: a secure disk returned by a customer who keeps none shows on the
register as the depot's; warehouse staff upload its signed certificate on the record's page and open it,
and so does the compliance officer, who also sets a sanitization policy and downloads the evidence pack of
a customer.

The returned disk is the test's own (the live server is shared by the whole run): a dispatcher issues a
replacement disk to Xintian Cloud Services through the JSON API, which opens the depot-custody record.
"""

from __future__ import annotations

import uuid
import zipfile
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

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def a_returned_disk(live_server: str) -> tuple[int, str]:
    """A new depot-custody record of Xintian Cloud Services: its id and failed serial."""
    failed = f"WX-RETURN-{uuid.uuid4().hex[:8].upper()}"
    with httpx.Client(base_url=live_server, timeout=30) as api:
        dispatcher = _token(api, "dispatcher")
        summary = "Disk reported predictive failure"
        issued_on_a_ticket(api, dispatcher, XTC_GPU_SERVER | {"summary": summary}, "HDD-SAS-1T2-10K", failed)
        listed = api.get(
            "/api/v1/secure-media/retentions", params={"custody": "depot", "limit": 500}, headers=dispatcher
        ).json()["items"]
    return next(item["id"] for item in listed if item["failed_serial"] == failed), failed


def test_a_returned_disk_s_certificate_is_uploaded_and_opened(page: Any, live_server: str, tmp_path) -> None:
    record_id, failed = a_returned_disk(live_server)
    sign_in(page, "warehouse")
    page.goto(f"/compliance/retentions/{record_id}")
    assert "退回库房" in page.locator("section[aria-labelledby=part-heading]").inner_text()
    certificate = tmp_path / "signed-certificate.pdf"
    certificate.write_bytes(PDF)
    page.locator("#field-document").set_input_files(str(certificate))
    check_accessibility(page)
    screenshot(page, "sanitization-record-upload")
    page.locator("#document-form button[type=submit]").click()
    page.wait_for_url(f"**/compliance/retentions/{record_id}?done=document")
    link = page.locator("#documents a", has_text="signed-certificate.pdf")
    assert link.count() == 1
    opened = page.request.get(link.get_attribute("href"))
    assert (opened.status, opened.body()) == (200, PDF)
    check_accessibility(page)
    page.locator("form[action='/logout'] button").click()
    page.wait_for_url("**/login")

    sign_in(page, "compliance")
    page.goto("/compliance/retentions?custody=depot")
    rows = page.locator("section[aria-labelledby=records-heading] tbody tr", has_text=failed)
    assert rows.count() == 1
    assert "退回库房" in rows.inner_text()
    check_accessibility(page)
    screenshot(page, "sanitization-register-depot")
    page.goto(f"/compliance/retentions/{record_id}")
    link = page.locator("#documents a", has_text="signed-certificate.pdf")
    opened = page.request.get(link.get_attribute("href"))  # the officer opens it too
    assert (opened.status, opened.body(), opened.headers["content-type"]) == (200, PDF, "application/pdf")


def test_the_officer_sets_a_policy_and_downloads_an_evidence_pack(
    page: Any, live_server: str, tmp_path
) -> None:
    sign_in(page, "compliance")
    page.locator(".app-nav a[href='/compliance/policies']").click()
    page.wait_for_url("**/compliance/policies")
    assert page.locator("h1").inner_text() == "介质清除策略"
    check_accessibility(page)
    screenshot(page, "sanitization-policies")
    page.select_option("#policy-level", "top secret")
    page.locator("#field-media_type").fill("memory")
    page.locator("#policy-method-destroy input[value=destroy]").check()
    page.locator("#policy-method-destroy input[value=incinerate]").check()
    page.locator("#policy-form button[type=submit]").click()
    page.wait_for_url("**/compliance/policies/saved")
    row = page.locator("tbody tr", has_text="持久内存")
    assert row.count() >= 1
    check_accessibility(page)

    page.goto("/compliance/retentions?customer=ZHB")
    with page.expect_download() as download:
        page.locator("#evidence-pack").click()
    pack = tmp_path / "pack.zip"
    download.value.save_as(pack)
    with zipfile.ZipFile(pack) as archive:
        assert "verify_pack.py" in archive.namelist()
        assert "manifest.sig" in archive.namelist()
