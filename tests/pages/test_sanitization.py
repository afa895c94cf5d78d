"""The sanitization screens: both custody kinds on the register, the signed certificate uploaded on a
record's page and opened again, the policy table (read by the staff who sanitize, set by officers), and
the evidence pack download."""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from inventory.persistence import write_transaction
from inventory.secure_media.service import track_returned_unit
from inventory.secure_media.tables import RetentionRecord
from inventory.stock.tables import Depot, Part, StockUnit
from inventory.tickets.tables import DefectiveReturn, Ticket
from tests.pages.conftest import SQLITE_ONLY, Browser

SignedIn = Callable[[str], Awaitable[Browser]]
EN = {"accept-language": "en"}
RETAINED_RECENT = 1
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


async def a_returned_disk() -> int:
    """A depot-custody record, as issuing a disk to a customer who keeps no failed parts opens one."""
    ticket = await Ticket.select(Ticket.id).where(Ticket.customer.code == "XTC").first()
    part = await Part.select(Part.id).where(Part.part_number == "HDD-SAS-1T2-10K").first()
    depot = (
        await Depot.select(Depot.id).where(Depot.code == "SZ").first() or await Depot.select(Depot.id).first()
    )
    async with write_transaction():
        return await track_returned_unit(
            ticket_id=ticket["id"],
            part_id=part["id"],
            depot_id=depot["id"],
            failed_serial="WX-RETURN-0001",
            actor="warehouse",
            now=datetime.now(UTC),
            destruction_days=30,
        )


async def test_the_register_shows_both_custody_kinds(signed_in: SignedIn) -> None:
    record_id = await a_returned_disk()
    compliance = await signed_in("compliance")
    page = await compliance.page("/compliance/retentions?custody=depot", headers=EN)
    assert page.status == 200
    rows = page.css(".register-table tbody tr")
    assert len(rows) == 1
    assert "Returned to the depot" in rows[0].text()
    assert "WX-RETURN-0001" in rows[0].text()
    assert "0 days" in rows[0].text()  # its age
    kept = await compliance.page("/compliance/retentions?custody=customer", headers=EN)
    assert "7 records match" in kept.text(".register-count")
    assert "Kept by the customer" in kept.text(".register-table tbody tr")
    everything = await compliance.page("/compliance/retentions", headers=EN)
    assert "8 records match" in everything.text(".register-count")
    record = await compliance.page(f"/compliance/retentions/{record_id}", headers=EN)
    assert "Returned to the depot" in record.text("section[aria-labelledby=part-heading]")
    csv = await compliance.get("/compliance/retentions.csv?custody=depot")
    assert "WX-RETURN-0001" in csv.text
    assert "depot" in csv.text.splitlines()[1]
    bad = await compliance.page("/compliance/retentions?custody=cupboard", headers=EN)
    assert bad.status == 422


async def test_only_warehouse_staff_sanitize_a_returned_part(signed_in: SignedIn) -> None:
    record_id = await a_returned_disk()
    dispatcher = await signed_in("dispatcher")
    page = await dispatcher.page(f"/compliance/retentions/{record_id}", headers=EN)
    assert not page.css(f"form[action='/compliance/retentions/{record_id}/destruction']")
    assert not page.css("#document-form")
    warehouse = await signed_in("warehouse")
    page = await warehouse.page(f"/compliance/retentions/{record_id}", headers=EN)
    assert page.css(f"form[action='/compliance/retentions/{record_id}/destruction']")
    assert page.css("#document-form")


@SQLITE_ONLY
async def test_a_signed_certificate_is_uploaded_and_opens(signed_in: SignedIn) -> None:
    warehouse = await signed_in("warehouse")
    await warehouse.page(f"/compliance/retentions/{RETAINED_RECENT}")
    sent = await warehouse.client.post(
        f"/compliance/retentions/{RETAINED_RECENT}/documents",
        data={"_csrf_token": warehouse.csrf_token(), "idempotency_key": "doc-1"},
        files={"document": ("signed certificate.pdf", PDF, "application/pdf")},
        headers={"accept": "text/html"},
    )
    assert sent.status_code == 303, sent.text[:2000]
    assert sent.headers["location"] == f"/compliance/retentions/{RETAINED_RECENT}?done=document"
    page = await warehouse.page(sent.headers["location"], headers=EN)
    assert "The document is uploaded" in page.text("main")
    link = page.css("#documents a")[0]
    assert link.text() == "signed certificate.pdf"
    assert hashlib.sha256(PDF).hexdigest() in page.text("#documents")
    opened = await warehouse.get(link.attributes["href"])
    assert (opened.status_code, opened.content, opened.headers["content-type"]) == (
        200,
        PDF,
        "application/pdf",
    )
    refused = await warehouse.client.post(
        f"/compliance/retentions/{RETAINED_RECENT}/documents",
        data={"_csrf_token": warehouse.csrf_token()},
        files={"document": ("notes.txt", b"just some text", "application/pdf")},
        headers={"accept": "text/html", "accept-language": "en"},
    )
    assert refused.status_code == 422
    assert "PDF, PNG or JPEG" in refused.text


async def test_the_policy_table_is_read_by_staff_and_set_by_officers(signed_in: SignedIn) -> None:
    for user, status in (
        ("warehouse", 200),
        ("dispatcher", 200),
        ("compliance", 200),
        ("admin", 200),
        ("zhb", 403),
    ):
        page = await (await signed_in(user)).page("/compliance/policies", headers=EN)
        assert page.status == status, user
    warehouse = await signed_in("warehouse")
    page = await warehouse.page("/compliance/policies", headers=EN)
    assert "Secret" in page.text("tbody")
    assert not page.css("#policy-form")
    refused = await warehouse.submit("/compliance/policies/changes", {"classification_level": "secret"})
    assert refused.status == 403
    compliance = await signed_in("compliance")
    assert (await compliance.page("/compliance/policies", headers=EN)).css("#policy-form")
    saved = await compliance.submit(
        "/compliance/policies/changes",
        {"classification_level": "secret", "media_type": "ssd", "methods": ["destroy"],
         "techniques": ["disintegrate"], "idempotency_key": "policy-1"},
    )  # fmt: skip
    assert saved.status == 303, saved.response.text[:2000]
    table = await compliance.page(saved.response.headers["location"], headers=EN)
    assert "The policy is saved" in table.text("main")
    row = next(row for row in table.css("tbody tr") if "Secret" in row.text() and "Solid-state" in row.text())
    assert "Disintegrate" in row.text()
    assert "Shred" not in row.text()
    wrong = await compliance.submit(
        "/compliance/policies/changes",
        {
            "classification_level": "secret",
            "media_type": "ssd",
            "methods": ["destroy"],
            "techniques": ["degauss"],
        },
        headers=EN,
    )
    assert wrong.status == 422
    assert "The policy is not saved" in wrong.text("main")


@SQLITE_ONLY
async def test_the_officer_downloads_the_evidence_pack(signed_in: SignedIn) -> None:
    compliance = await signed_in("compliance")
    await compliance.submit("/compliance/audit/checkpoints", {"idempotency_key": "cp-1"})
    register = await compliance.page("/compliance/retentions?customer=ZHB", headers=EN)
    address = register.css("#evidence-pack")[0].attributes["href"]
    assert address.startswith("/compliance/evidence-packs.zip?customer=ZHB")
    answer = await compliance.get(address)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(answer.content)) as pack:
        names = pack.namelist()
        assert "verify_pack.py" in names
        assert {name.split("/")[1] for name in names if name.startswith("records/")} == {"1", "2", "3", "6"}
    assert (await (await signed_in("warehouse")).get(address)).status_code == 403


async def test_a_returned_disk_is_not_scrapped_on_the_screens_before_its_sanitization(
    signed_in: SignedIn,
) -> None:
    record_id = await a_returned_disk()
    record = (
        await RetentionRecord.select(RetentionRecord.ticket, RetentionRecord.part, RetentionRecord.depot)
        .where(RetentionRecord.id == record_id)
        .first()
    )
    depot = (await Depot.select(Depot.code).where(Depot.id == record["depot"]).first())["code"]
    now = datetime.now(UTC)
    [expected] = await DefectiveReturn.insert(
        DefectiveReturn(
            ticket=record["ticket"],
            part=record["part"],
            failed_serial="WX-RETURN-0001",
            depot=record["depot"],
            status="expected",
            expected_by=now,
            created_at=now,
        )
    ).returning(DefectiveReturn.id)
    warehouse = await signed_in("warehouse")
    receive = f"/returns/{expected['id']}/receive"
    scrap = {"depot": depot, "serial": "WX-RETURN-0001", "grade": "scrap", "idempotency_key": "ret-scrap"}
    refused = await warehouse.submit(receive, scrap, headers=EN)
    assert refused.status == 409
    assert "cannot leave quarantine before its sanitization is verified" in refused.text("main")
    kept = {**scrap, "grade": "repairable", "idempotency_key": "ret-keep"}
    assert (await warehouse.submit(receive, kept)).status == 303
    asked = await warehouse.submit(
        "/write-offs",
        {"depot": depot, "part_number": "HDD-SAS-1T2-10K", "serial": "WX-RETURN-0001", "outcome": "scrapped",
         "reason": "Beyond repair", "idempotency_key": "wo-secure"},
    )  # fmt: skip
    assert asked.status == 303, asked.response.text[:2000]
    write_off = asked.response.headers["location"].rsplit("=", 1)[1]
    admin = await signed_in("admin")
    approve = await admin.submit(f"/write-offs/{write_off}/approve", {"idempotency_key": "wo-ok"}, headers=EN)
    assert approve.status == 409
    assert "cannot leave quarantine before its sanitization is verified" in approve.text("main")
    unit = await StockUnit.select(StockUnit.status).where(StockUnit.serial == "WX-RETURN-0001").first()
    assert unit["status"] == "defective"
