"""The compliance officer's screens: the register of retained media with its ageing chart and CSV, one
record with its timeline, forms and certificate, and the audit chain.

The demo's seven records (ids 1 to 7, oldest last in this list): ZHB 3 days retained, ZHB 20 days
retained with custody, ZHB 45 days retained (overdue), HSG 120 days retained (overdue), HSG 40 days
destruction recorded, ZHB 60 days verified, HSG 95 days closed.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import httpx
import pytest

from api.pages.compliance import FIELD_REFUSALS, MESSAGE_REFUSALS, chain_reason, refusal_of
from api.web.locale import LOCALE_DIR
from inventory.audit_chain import Entry, Verifier, sign_checkpoint
from inventory.errors import InvalidRequest
from inventory.secure_media import EventType, SanitizationMethod, Technique
from presentation import Presenter, load_catalogues
from tests.pages.conftest import SQLITE_ONLY, Browser

SignedIn = Callable[[str], Awaitable[Browser]]
EN = {"accept-language": "en"}
AWAITING = 5
"""The demo record whose destruction is recorded and awaits verification (HSG, 40 days)."""
VERIFIED = 6
RETAINED_OVERDUE = 4
"""HSG's record retained 120 days ago, still undestroyed."""
PAGES = (
    "/compliance/retentions",
    f"/compliance/retentions/{AWAITING}",
    "/compliance/audit",
)


@pytest.mark.parametrize("path", PAGES)
async def test_compliance_and_admin_open_the_screens_others_get_403(signed_in: SignedIn, path: str) -> None:
    """The register and the audit chain are the officers'; a record is also open to the staff who record
    its custody and destruction."""
    readers = (
        ("compliance", "admin", "warehouse", "dispatcher")
        if "/retentions/" in path
        else ("compliance", "admin")
    )
    for user in ("compliance", "admin", "warehouse", "dispatcher", "zhb"):
        page = await (await signed_in(user)).page(path)
        assert page.status == (200 if user in readers else 403), (user, page.response.text[:500])


async def test_the_register_lists_every_record_oldest_first_in_words(signed_in: SignedIn) -> None:
    compliance = await signed_in("compliance")
    page = await compliance.page("/compliance/retentions", headers=EN)
    rows = page.css("section[aria-labelledby=records-heading] tbody tr")
    assert len(rows) == 7
    assert page.texts("section[aria-labelledby=records-heading] tbody tr td:first-child strong") == [
        "WX-FAILED-0004", "WX-FAILED-0007", "WX-FAILED-0006", "WX-FAILED-0003", "WX-FAILED-0005",
        "WX-FAILED-0002", "WX-FAILED-0001",
    ]  # fmt: skip
    first = " ".join(rows[0].text(separator=" ").split())
    assert "Huashan Power Grid" in first
    assert "Confidential" in first
    assert "Retained" in first
    assert "Overdue" in first
    assert "(Beijing time)" in first
    assert "7 records match these filters." in page.text(".register-count")
    chinese = await compliance.page("/compliance/retentions")
    records = chinese.text("section[aria-labelledby=records-heading] tbody")
    assert "机密" in records
    assert "已逾期" in records


async def test_filters_narrow_the_list_and_the_chart_alike(signed_in: SignedIn) -> None:
    compliance = await signed_in("compliance")
    overdue = await compliance.page("/compliance/retentions?overdue=yes", headers=EN)
    assert overdue.texts("section[aria-labelledby=records-heading] tbody td:first-child strong") == [
        "WX-FAILED-0004",
        "WX-FAILED-0003",
    ]
    assert "2 records match" in overdue.text(".register-count")
    hsg = await compliance.page("/compliance/retentions?customer=HSG&state=retained", headers=EN)
    assert hsg.texts("tbody td:first-child strong") == ["WX-FAILED-0004"]
    young = await compliance.page("/compliance/retentions?age=8-30", headers=EN)
    assert young.texts("section[aria-labelledby=records-heading] tbody td:first-child strong") == [
        "WX-FAILED-0002"
    ]
    bad = await compliance.page("/compliance/retentions?state=lost", headers=EN)
    assert bad.status == 422


async def test_the_ageing_chart_is_an_svg_with_its_numbers_in_a_table(signed_in: SignedIn) -> None:
    compliance = await signed_in("compliance")
    page = await compliance.page("/compliance/retentions", headers=EN)
    svg = page.first("svg#ageing-chart")
    assert svg.attributes["role"] == "img"
    assert "by age since retention" in page.text("svg#ageing-chart title")
    assert "0–7 days: 1; 8–30 days: 1; 31–90 days: 3; Over 90 days: 2" in page.text("svg#ageing-chart desc")
    table = page.css(".ageing-grid table tbody tr")
    cells = [[" ".join(c.text().split()) for c in row.css("th, td")] for row in table]
    assert cells[0][0] == "0–7 days"
    header = page.texts(".ageing-grid table thead th")
    assert header == ["Age", "Retained", "Awaiting verification", "Verified", "Closed", "Total"]
    assert cells[2] == ["31–90 days", "1", "1", "1", "0", "3"]
    assert cells[-1] == ["Total", "4", "1", "1", "1", "7"]
    assert "Retained: 1" in page.text("svg#ageing-chart")  # each stack has its own <title>
    by_classification = await compliance.page("/compliance/retentions?stack=classification", headers=EN)
    assert by_classification.texts(".ageing-grid table thead th") == [
        "Age",
        "Confidential",
        "Secret",
        "Total",
    ]
    assert by_classification.texts(".chart-legend li") == ["Confidential", "Secret"]


async def test_htmx_gets_the_results_alone_and_the_address_to_push(signed_in: SignedIn) -> None:
    compliance = await signed_in("compliance")
    fragment = await compliance.page("/compliance/retentions?overdue=yes", htmx=True)
    assert fragment.status == 200
    assert "<html" not in fragment.response.text
    assert fragment.css("svg#ageing-chart")
    assert fragment.css("section[aria-labelledby=records-heading]")
    assert fragment.response.headers["hx-push-url"] == "/compliance/retentions?overdue=yes"


async def test_the_register_pages(signed_in: SignedIn) -> None:
    compliance = await signed_in("compliance")
    first = await compliance.page("/compliance/retentions?limit=3", headers=EN)
    assert len(first.css("section[aria-labelledby=records-heading] tbody tr")) == 3
    assert first.first("a[rel=next]").attributes["href"] == "/compliance/retentions?limit=3&offset=3"
    assert "7 records match" in first.text(".register-count")
    last = await compliance.page("/compliance/retentions?limit=3&offset=6", headers=EN)
    assert last.texts("section[aria-labelledby=records-heading] tbody td:first-child strong") == [
        "WX-FAILED-0001"
    ]


def _csv(response: httpx.Response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


async def test_the_csv_has_the_filtered_records_with_every_destruction_field(signed_in: SignedIn) -> None:
    compliance = await signed_in("compliance")
    answer = await compliance.get("/compliance/retentions.csv")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert answer.headers["content-disposition"].startswith('attachment; filename="retained-media-')
    rows = _csv(answer)
    assert [row["failed_serial"] for row in rows][:2] == ["WX-FAILED-0004", "WX-FAILED-0007"]
    by_serial = {row["failed_serial"]: row for row in rows}
    overdue = by_serial["WX-FAILED-0004"]
    assert (overdue["overdue"], overdue["state"], overdue["age_bucket"]) == ("yes", "retained", "over 90")
    assert overdue["retained_at"].endswith("+00:00")
    assert overdue["retained_at_local"].endswith("+08:00")
    assert overdue["time_zone"] == "Asia/Shanghai"
    assert overdue["destruction_method"] == ""
    assert overdue["verification_result"] == ""
    verified = by_serial["WX-FAILED-0006"]
    assert verified["overdue"] == "no"
    assert (verified["destruction_method"], verified["destruction_technique"]) == ("destroy", "shred")
    assert verified["destruction_performed_at_local"].endswith("+08:00")
    assert verified["destruction_validated_by"] == "ZHB IT manager"
    assert len(verified["destruction_certificate_sha256"]) == 64
    assert verified["destruction_recorded_by_role"] == "customer"
    assert (verified["verification_result"], verified["verified_by"]) == ("accepted", "compliance")
    assert verified["verified_at_local"].endswith("+08:00")
    assert by_serial["WX-FAILED-0007"]["close_note"] == "certificate filed"
    assert by_serial["WX-FAILED-0002"]["custody_events"] == "1"
    overdue_only = _csv(await compliance.get("/compliance/retentions.csv?overdue=yes"))
    assert [row["failed_serial"] for row in overdue_only] == ["WX-FAILED-0004", "WX-FAILED-0003"]
    register = await compliance.page("/compliance/retentions?overdue=yes&customer=HSG")
    assert register.first("a[download]").attributes["href"] == (
        "/compliance/retentions.csv?customer=HSG&overdue=yes"
    )
    assert (await (await signed_in("warehouse")).get("/compliance/retentions.csv")).status_code == 403


async def test_a_record_shows_its_timeline_destruction_and_certificate(signed_in: SignedIn) -> None:
    compliance = await signed_in("compliance")
    page = await compliance.page(f"/compliance/retentions/{VERIFIED}", headers=EN)
    assert page.text("h1") == "Retained part WX-FAILED-0006"
    assert "Destruction verified" in page.text(".record-state")
    steps = page.texts(".timeline-item > strong")
    assert steps == [
        "Kept by the customer",
        "Custody: Stored",
        "Destruction recorded",
        "Destruction verified",
    ]
    meta = page.texts(".timeline-meta")
    assert "(Beijing time)" in meta[0]
    assert "warehouse (Warehouse staff)" in meta[1]
    assert "zhb (Customer)" in meta[2]
    assert "compliance (Compliance officer)" in meta[3]
    assert all("audit entry" in line for line in meta)
    assert page.first(".timeline-meta time").attributes["datetime"].endswith("+00:00")
    nist = page.text("section[aria-labelledby=destruction-heading]")
    assert "Destroy (the media cannot be used again)" in nist
    assert "Shred" in nist
    assert "ZHB IT manager" in nist
    assert "certified recycler" in nist
    assert "This record matches its audit chain entries." in page.text(".certificate")
    link = page.first(".certificate a[role=button]").attributes["href"]
    assert link == f"/compliance/retentions/{VERIFIED}/certificate"
    assert page.css(f"form[action='/compliance/retentions/{VERIFIED}/close']")
    assert not page.css("form[action$='/verification']")
    certificate = await compliance.get(link, headers=EN)
    assert certificate.status_code == 200
    assert certificate.headers["content-type"].startswith("text/html")
    assert "Certificate of media sanitization" in certificate.text
    assert "This record matches the audit chain" in certificate.text


async def test_an_administrator_reads_a_record_without_forms(signed_in: SignedIn) -> None:
    admin = await signed_in("admin")
    page = await admin.page(f"/compliance/retentions/{AWAITING}", headers=EN)
    assert not page.css("#record-actions form")
    assert "A compliance officer verifies and closes the record" in page.text("#record-actions")
    refused = await admin.submit(f"/compliance/retentions/{AWAITING}/verification", {"type": "verification"})
    assert refused.status == 403


async def test_a_missing_record_is_a_404_page(signed_in: SignedIn) -> None:
    page = await (await signed_in("compliance")).page("/compliance/retentions/999", headers=EN)
    assert page.status == 404
    assert "Not found" in page.text("[role=alert]")


async def test_the_forms_need_the_csrf_token(signed_in: SignedIn) -> None:
    compliance = await signed_in("compliance")
    refused = await compliance.submit(
        f"/compliance/retentions/{AWAITING}/verification", {"type": "verification"}, csrf=False, headers=EN
    )
    assert refused.status == 403
    assert "The form has expired" in refused.text("[role=alert]")
    page = await compliance.page(f"/compliance/retentions/{AWAITING}")
    assert page.first("#record-actions form input[name=_csrf_token]").attributes["value"]
    assert page.first("#record-actions form input[name=idempotency_key]").attributes["value"]


async def test_a_compliance_officer_verifies_then_closes_a_record(signed_in: SignedIn) -> None:
    compliance = await signed_in("compliance")
    sent = {
        "type": "verification",
        "result": "accepted",
        "notes": "certificate checked",
        "idempotency_key": "v1",
    }
    verified = await compliance.submit(f"/compliance/retentions/{AWAITING}/verification", sent)
    assert verified.status == 303
    assert verified.response.headers["location"] == f"/compliance/retentions/{AWAITING}?done=verification"
    again = await compliance.submit(f"/compliance/retentions/{AWAITING}/verification", sent)
    assert again.status == 303  # the same form sent twice is recorded once
    page = await compliance.page(f"/compliance/retentions/{AWAITING}?done=verification", headers=EN)
    assert "Your verification is recorded." in page.text("main")
    assert page.texts(".timeline-item > strong")[-1] == "Destruction verified"
    assert len(page.css(".timeline-item")) == 4  # created, custody, destruction, one verification
    assert "certificate checked" in page.text(".timeline")
    closed = await compliance.submit(
        f"/compliance/retentions/{AWAITING}/close",
        {"type": "close", "note": "filed", "idempotency_key": "c1"},
        htmx=True,
    )  # fmt: skip
    assert closed.status == 204
    assert closed.response.headers["hx-redirect"] == f"/compliance/retentions/{AWAITING}?done=close"
    page = await compliance.page(f"/compliance/retentions/{AWAITING}", headers=EN)
    assert "Closed" in page.text(".record-state")
    assert "This record matches its audit chain entries." in page.text(".certificate")


async def test_a_verification_before_any_destruction_is_refused_in_words(signed_in: SignedIn) -> None:
    compliance = await signed_in("compliance")
    refused = await compliance.submit(
        f"/compliance/retentions/{RETAINED_OVERDUE}/verification",
        {"type": "verification", "result": "accepted", "idempotency_key": "early"},
        headers=EN,
    )
    assert refused.status == 422
    assert "there is no recorded destruction to verify" in refused.text("#record-actions [role=alert]")
    assert "Retained, not yet destroyed" in refused.text("#record-actions [role=alert]")
    by_htmx = await compliance.submit(
        f"/compliance/retentions/{RETAINED_OVERDUE}/verification",
        {"type": "verification", "result": "accepted", "idempotency_key": "early"},
        htmx=True,
    )
    assert by_htmx.status == 422
    assert by_htmx.response.headers["hx-retarget"] == "#record-actions"
    assert "<html" not in by_htmx.response.text
    assert "尚未" in by_htmx.text("[role=alert]") or "没有" in by_htmx.text("[role=alert]")


async def test_a_form_with_bad_fields_comes_back_with_its_errors(signed_in: SignedIn) -> None:
    compliance = await signed_in("compliance")
    bad = await compliance.submit(
        f"/compliance/retentions/{AWAITING}/verification",
        {"type": "verification", "result": "maybe", "notes": "x" * 1001},
        headers=EN,
    )
    assert bad.status == 422
    assert bad.text("#field-result-error") == "Choose one of the options"
    assert bad.text("#field-notes-error") == "Too long"
    assert "Destruction recorded, awaiting verification" in bad.text(".record-state")


RETAINED_RECENT = 1
"""ZHB's record retained 3 days ago, nothing recorded yet."""


def beijing(ago: timedelta) -> str:
    """The moment ``ago`` before now as a form's time field takes it: Beijing's local time, to the minute."""
    return (datetime.now(UTC) - ago).astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%dT%H:%M")


def destruction_form(**changes: str) -> dict[str, str]:
    """The destruction form as a person fills it in (its time in the site's local time, Beijing)."""
    return {
        "type": "destruction", "method": "destroy", "technique": "disintegrate", "tool": "HSM Powerline",
        "tool_version": "1.20.0", "performed_by": "Wang Lei",
        "performed_at": beijing(timedelta(hours=1)),
        "location": "Beijing depot secure room", "verification_method": "read-back of 1,000 random sectors",
        "verification_result": "pass", "validated_by": "Li Na", "certificate_number": "BJ-2026-118",
        "certificate_sha256": "c" * 64, "post_sanitization_destination": "returned to the customer's safe",
        **changes,
    }  # fmt: skip


async def test_warehouse_staff_record_a_destruction_with_its_nist_fields(signed_in: SignedIn) -> None:
    warehouse = await signed_in("warehouse")
    page = await warehouse.page(f"/compliance/retentions/{RETAINED_RECENT}", headers=EN)
    assert page.css(f"form[action='/compliance/retentions/{RETAINED_RECENT}/destruction']")
    assert page.css(f"form[action='/compliance/retentions/{RETAINED_RECENT}/custody']")
    assert not page.css(".breadcrumb")  # the register is the officers'
    assert "Performed at (Beijing time)" in page.text("label[for=field-performed_at]")
    sent = destruction_form(idempotency_key="d-1")
    recorded = await warehouse.submit(f"/compliance/retentions/{RETAINED_RECENT}/destruction", sent)
    assert recorded.status == 303, recorded.response.text[:3000]
    assert (
        recorded.response.headers["location"] == f"/compliance/retentions/{RETAINED_RECENT}?done=destruction"
    )
    page = await warehouse.page(f"/compliance/retentions/{RETAINED_RECENT}?done=destruction", headers=EN)
    assert "The destruction is recorded" in page.text("main")
    assert "Destruction recorded, awaiting verification" in page.text(".record-state")
    nist = page.text("section[aria-labelledby=destruction-heading]")
    assert "Destroy (the media cannot be used again)" in nist
    assert "Disintegrate" in nist
    assert sent["performed_at"].replace("T", " ") + " (Beijing time)" in nist
    assert page.texts(".timeline-item > strong")[-1] == "Destruction recorded"
    assert "warehouse (Warehouse staff)" in page.texts(".timeline-meta")[-1]
    compliance = await signed_in("compliance")
    refused = await compliance.submit(f"/compliance/retentions/{RETAINED_RECENT}/destruction", sent)
    assert refused.status == 403


async def test_a_destruction_validated_by_its_performer_is_refused_beside_the_field(
    signed_in: SignedIn,
) -> None:
    dispatcher = await signed_in("dispatcher")
    refused = await dispatcher.submit(
        f"/compliance/retentions/{RETAINED_RECENT}/destruction",
        destruction_form(validated_by="wang lei "),
        headers=EN,
    )
    assert refused.status == 422
    words = "The validator must be a second person, not the one who performed the destruction."
    assert refused.text("#field-validated_by-error") == words
    assert words in refused.text("#record-actions [role=alert]")
    assert refused.first("#field-validated_by").attributes["value"] == "wang lei "
    assert refused.first("#field-tool").attributes["value"] == "HSM Powerline"
    chinese = await dispatcher.submit(
        f"/compliance/retentions/{RETAINED_RECENT}/destruction", destruction_form(validated_by="Wang Lei")
    )
    assert chinese.text("#field-validated_by-error") == "确认人必须是另一人，不能是执行销毁的人。"


async def test_nothing_is_destroyed_before_it_was_retained(signed_in: SignedIn) -> None:
    warehouse = await signed_in("warehouse")
    before = beijing(timedelta(days=5))
    refused = await warehouse.submit(
        f"/compliance/retentions/{RETAINED_RECENT}/destruction",
        destruction_form(performed_at=before),
        headers=EN,
    )
    assert refused.status == 422
    error = refused.text("#field-performed_at-error")
    assert error.startswith("The part was retained at ")
    assert "(Beijing time)" in error
    assert error.endswith("it cannot have been destroyed before.")
    missing = await warehouse.submit(
        f"/compliance/retentions/{RETAINED_RECENT}/destruction",
        destruction_form(certificate_sha256="not a hash", tool=""),
        htmx=True,
        headers=EN,
    )
    assert missing.status == 422
    assert missing.response.headers["hx-retarget"] == "#record-actions"
    assert missing.text("#field-tool-error") == "Required"
    assert missing.text("#field-certificate_sha256-error") == "Not valid"


async def test_a_dispatcher_records_custody(signed_in: SignedIn) -> None:
    dispatcher = await signed_in("dispatcher")
    recorded = await dispatcher.submit(
        f"/compliance/retentions/{RETAINED_RECENT}/custody",
        {"type": "custody", "action": "handed_over", "party": "Zhao Min", "location": "BJ-DC1 loading bay",
         "note": "sealed bag 0042", "idempotency_key": "k-1"},
    )  # fmt: skip
    assert recorded.status == 303
    page = await dispatcher.page(f"/compliance/retentions/{RETAINED_RECENT}", headers=EN)
    assert page.texts(".timeline-item > strong")[-1] == "Custody: Handed over"
    assert "Zhao Min · BJ-DC1 loading bay" in page.texts(".timeline-item")[-1]
    assert "sealed bag 0042" in page.texts(".timeline-item")[-1]


async def _api_token(browser: Browser, username: str) -> dict[str, str]:
    answer = await browser.client.post("/api/v1/auth/token", json={"username": username, "password": "demo"})
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


async def test_the_destroyer_cannot_verify_their_own_destruction(
    signed_in: SignedIn, anonymous: Browser
) -> None:
    """The service's two-person rule, in words: whoever performed or validated the destruction may not
    verify it."""
    token = await _api_token(anonymous, "hsg")
    destruction = {
        "type": "destruction", "method": "purge", "technique": "crypto_erase", "tool": "sedutil",
        "tool_version": "1.20", "performed_by": "compliance",
        "performed_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
        "location": "WH-CC secure room", "verification_method": "read-back sampling",
        "verification_result": "pass", "validated_by": "HSG IT manager", "certificate_number": "HSG-X-1",
        "certificate_sha256": "b" * 64, "post_sanitization_destination": "kept by the customer",
    }  # fmt: skip
    recorded = await anonymous.client.post(
        f"/api/v1/secure-media/retentions/{RETAINED_OVERDUE}/events", json=destruction, headers=token
    )
    assert recorded.status_code == 201, recorded.text
    compliance = await signed_in("compliance")
    refused = await compliance.submit(
        f"/compliance/retentions/{RETAINED_OVERDUE}/verification",
        {"type": "verification", "result": "accepted"},
        headers=EN,
    )
    assert refused.status == 422
    assert "a second person must verify it" in refused.text("#record-actions [role=alert]")
    page = await compliance.page(f"/compliance/retentions/{RETAINED_OVERDUE}", headers=EN)
    assert "Destruction recorded, awaiting verification" in page.text(".record-state")
    assert "Purge" in page.text("section[aria-labelledby=destruction-heading]")


async def test_the_audit_page_shows_the_chain_its_checkpoint_and_key(signed_in: SignedIn) -> None:
    compliance = await signed_in("compliance")
    page = await compliance.page("/compliance/audit", headers=EN)
    assert "BEGIN PUBLIC KEY" in page.text("pre.pem")
    assert len(page.text("section[aria-labelledby=key-heading] code.hash")) == 64
    assert page.css("a[href='/compliance/audit/checkpoints.json'][download]")
    assert page.css("form[action='/compliance/audit/checkpoints'] input[name=idempotency_key]")
    assert page.first("form[action='/compliance/audit/verification']").attributes["hx-target"] == (
        "#verification"
    )


@SQLITE_ONLY
async def test_verifying_the_chain_says_it_is_intact(signed_in: SignedIn) -> None:
    compliance = await signed_in("compliance")
    fragment = await compliance.page("/compliance/audit/verification", htmx=True, headers=EN)
    assert fragment.status == 200
    assert "<html" not in fragment.response.text
    assert "The audit chain is intact." in fragment.text("[role=status]")
    assert "7 retention records compared with their chain entries: every one matches." in fragment.text(
        "body"
    )
    whole = await compliance.page("/compliance/audit/verification", headers=EN)
    assert whole.css("h1")
    assert "The audit chain is intact." in whole.text("#verification")


async def test_signing_a_checkpoint_then_exporting_it(signed_in: SignedIn) -> None:
    compliance = await signed_in("compliance")
    signed = await compliance.submit("/compliance/audit/checkpoints", {"idempotency_key": "cp-1"})
    assert signed.status == 303
    location = signed.response.headers["location"]
    assert location.startswith("/compliance/audit?signed=")
    seq = int(location.rsplit("=", 1)[1])
    page = await compliance.page(location, headers=EN)
    assert f"A checkpoint of the chain up to entry {seq:,} is signed." in page.text("main")
    assert f"1 to {seq:,}" in page.text("section[aria-labelledby=checkpoint-heading]")
    assert "the current key" in page.text("section[aria-labelledby=checkpoint-heading]")
    export = await compliance.get("/compliance/audit/checkpoints.json")
    assert export.headers["content-disposition"].startswith('attachment; filename="audit-checkpoints-')
    body = export.json()
    assert body["checkpoints"][-1]["seq"] == seq
    assert len(body["public_key"]) == 64
    pem = await compliance.get("/compliance/audit/public-key.pem")
    assert pem.text.startswith("-----BEGIN PUBLIC KEY-----")
    admin = await signed_in("admin")
    assert (await admin.submit("/compliance/audit/checkpoints", {"idempotency_key": "cp-2"})).status == 303
    assert (await (await signed_in("dispatcher")).get("/compliance/audit/public-key.pem")).status_code == 403


def _presenter(locale: str) -> Presenter:
    catalogues = load_catalogues(LOCALE_DIR)
    return Presenter(locale, catalogues.for_locale(locale), datetime.now(UTC))


def test_every_reason_of_a_broken_chain_is_said_in_words() -> None:
    """The reasons the chain verification gives (`inventory.audit_chain.Verifier`), each in words."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    verifier = Verifier(b"k" * 32, key.public_key(), [sign_checkpoint(key, 3, "f" * 64, datetime.now(UTC))])
    verifier.feed(Entry(2, "", "", "", "", "{}", "0" * 64, "0" * 64, ""))
    reasons = [
        verifier.result().reason,
        "the entry does not link to the one before it",
        "the entry's content does not match its hash",
        "the entry's MAC is wrong (written without the audit key)",
        "the checkpoint at entry 7 has an invalid signature",
        "the entry differs from the signed checkpoint at entry 7",
        Verifier(b"k" * 32, key.public_key(), [sign_checkpoint(key, 3, "f" * 64, datetime.now(UTC))])
        .result()
        .reason,
    ]
    english, chinese = _presenter("en"), _presenter("zh_CN")
    for reason in reasons:
        assert reason is not None
        said = chain_reason(english, reason)
        assert said is not None
        assert said != reason
        assert said[0].isupper(), reason
        assert chain_reason(chinese, reason) not in (said, reason)
    assert chain_reason(english, reasons[0]) == (
        "Entry 1 is missing or out of place: entry 2 was found in its place."
    )
    assert chain_reason(english, "something new") == "something new"
    assert chain_reason(english, None) is None


def test_every_refusal_of_a_destruction_is_said_in_words() -> None:
    """Each rule of `inventory.secure_media.rules.check_destruction` that a form can break has its words
    (by the service's sentence or the field it names), so no refusal falls back to a general one."""
    from inventory.secure_media.rules import DestructionRecord, check_destruction

    now = datetime.now(UTC)
    good = DestructionRecord(
        SanitizationMethod.DESTROY, Technique.SHRED, "tool", "1", "Wang Lei", now - timedelta(hours=1),
        "room", "inspection", "pass", "Li Na", "N-1", "a" * 64, "recycler",
    )  # fmt: skip
    broken = [
        replace(good, technique=Technique.OVERWRITE),
        replace(good, validated_by=" wang  lei"),
        replace(good, certificate_sha256="A" * 64),
        replace(good, performed_at=now + timedelta(minutes=1)),
        replace(good, verification_result="fail"),
    ]
    record = SimpleNamespace(timezone="Asia/Shanghai", created_at=now - timedelta(days=1))
    english = _presenter("en")
    for each in broken:
        with pytest.raises(InvalidRequest) as refused:
            check_destruction(each, now=now)
        said = refusal_of(english, refused.value, EventType.DESTRUCTION, record)  # type: ignore[arg-type]
        assert refused.value.message in MESSAGE_REFUSALS or said.field in FIELD_REFUSALS, (
            refused.value.message
        )
        assert said.field == refused.value.details["field"]
    before = InvalidRequest("the part was destroyed before it was retained", field="performed_at")
    said = refusal_of(english, before, EventType.DESTRUCTION, record)  # type: ignore[arg-type]
    assert "(Beijing time)" in said.words
