"""Every data-bearing part accounted for: a secure part returned by a customer who keeps none is tracked
from the issue to its sanitization at the depot, and cannot leave quarantine before it; destruction
records follow the sanitization policy of their classification; the signed certificate is uploaded,
hashed by the service, chained and opened again."""

from __future__ import annotations

import hashlib
import json

from inventory.audit.tables import AuditEntry
from inventory.secure_media.tables import RetentionDocument
from tests.api import test_counts, test_secure_media
from tests.api.conftest import receive
from tests.api.service_world import local, open_ticket, stock_disks
from tests.api.test_secure_media import destruction, event, retained_disk

sworld = test_secure_media.sworld  # the fixture
second = test_counts.second  # the fixture
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40


async def returned_disk(client, sworld, failed_serial: str, prefix: str) -> dict:
    """Issue a disk to the standard customer, who keeps no failed parts: the failed one goes back."""
    await stock_disks(client, sworld.stock, "PEK-C", 1, prefix)
    ticket = await open_ticket(client, sworld, "STD")
    reservation = await client.post(
        f"/api/v1/tickets/{ticket['id']}/reservations",
        json={"part_number": sworld.stock.disk, "quantity": 1},
        headers=sworld.headers["dispatcher"],
    )
    assert reservation.status_code == 201, reservation.text
    issued = await client.post(
        f"/api/v1/reservations/{reservation.json()['id']}/issue",
        json={"failed_serial": failed_serial},
        headers=sworld.headers["dispatcher"],
    )
    assert issued.status_code == 200, issued.text
    listed = await client.get(
        "/api/v1/secure-media/retentions", params={"custody": "depot"}, headers=sworld.headers["compliance"]
    )
    return next(r for r in listed.json()["items"] if r["failed_serial"] == failed_serial)


async def back_in_quarantine(client, sworld, serial: str) -> dict:
    """The failed unit is booked in at the depot's returns desk (defective), then quarantined."""
    expected = await client.get(
        "/api/v1/returns", params={"status": "expected"}, headers=sworld.headers["warehouse"]
    )
    the_return = next(item for item in expected.json()["items"] if item["failed_serial"] == serial)
    arrived = await client.post(
        f"/api/v1/returns/{the_return['id']}/receive",
        json={"depot": "PEK-C", "serial": serial, "grade": "repairable"},
        headers=sworld.headers["warehouse"],
    )
    assert arrived.status_code == 200, arrived.text
    body = {"part_number": sworld.stock.disk, "depot": "PEK-C", "serial": serial, "reason": "returned"}
    moved = await status(client, sworld, body, "quarantined")
    assert moved.status_code == 201, moved.text
    return body


async def status(client, sworld, body: dict, to_status: str):
    return await client.post(
        "/api/v1/stock/status-changes",
        json={**body, "to_status": to_status},
        headers=sworld.headers["warehouse"],
    )


async def upload(
    client, sworld, record_id: int, content: bytes, role: str = "warehouse", name: str = "cert.pdf"
):
    return await client.post(
        f"/api/v1/secure-media/retentions/{record_id}/documents",
        params={"filename": name},
        content=content,
        headers={**sworld.headers[role], "content-type": "application/pdf"},
    )


async def test_a_returned_secure_part_is_sanitized_at_the_depot_before_it_leaves_quarantine(
    client, sworld, clock
):
    record = await returned_disk(client, sworld, "RET-1", "E")
    assert (record["custody"], record["depot"], record["customer"], record["state"]) == (
        "depot",
        "PEK-C",
        "STD",
        "retained",
    )
    assert record["custodian"].startswith("returning to depot PEK-C")
    rid = record["id"]
    body = await back_in_quarantine(client, sworld, "RET-1")

    refused = await status(client, sworld, body, "available")
    assert refused.status_code == 409, refused.text
    problem = refused.json()
    assert problem["type"] == "urn:spareline:problem:sanitization-required"
    assert problem["rule"] == "returned-secure-media-sanitized"
    assert "returned-secure-media-sanitized" in problem["detail"]
    assert problem["records"] == [rid]
    assert (await status(client, sworld, body, "defective")).status_code == 201  # still in quarantine
    assert (await status(client, sworld, body, "returned_to_vendor")).status_code == 409

    # sanitized at the depot by warehouse staff, not by dispatchers or the customer
    clock.now = local(2026, 11, 24, 12)
    purge = destruction(method="purge", technique="block_erase", location="PEK-C secure room")
    purge.pop("certificate_sha256")
    assert (await event(client, sworld, rid, "dispatcher", purge)).status_code == 403
    assert (await event(client, sworld, rid, "customer", purge)).status_code == 404
    no_document = await event(client, sworld, rid, "warehouse", purge)
    assert no_document.status_code == 422
    assert no_document.json()["field"] == "certificate_sha256"
    uploaded = await upload(client, sworld, rid, PDF)
    assert uploaded.status_code == 201, uploaded.text
    alone = await event(client, sworld, rid, "warehouse", {**purge, "validated_by": purge["performed_by"]})
    assert (alone.status_code, alone.json()["field"]) == (422, "validated_by")  # a second person validates
    recorded = await event(client, sworld, rid, "warehouse", purge)
    assert recorded.status_code == 201, recorded.text
    details = recorded.json()["events"][-1]["details"]
    assert details["certificate_sha256"] == hashlib.sha256(PDF).hexdigest()
    assert details["policy"]["name"] == "unclassified/*"
    assert (await status(client, sworld, body, "returned_to_vendor")).status_code == 409  # not verified yet

    verified = await event(client, sworld, rid, "compliance", {"type": "verification"})
    assert verified.json()["state"] == "verified"
    assert (await status(client, sworld, body, "returned_to_vendor")).status_code == 201
    assert [a["action"] for a in verified.json()["audit"]] == [
        "retention.created",
        "retention.document",
        "retention.destruction",
        "retention.verification",
    ]


async def test_a_destroyed_returned_part_never_goes_back_to_stock(client, sworld, clock):
    rid = (await returned_disk(client, sworld, "RET-2", "F"))["id"]
    body = await back_in_quarantine(client, sworld, "RET-2")
    clock.now = local(2026, 11, 24, 12)
    assert (await event(client, sworld, rid, "warehouse", destruction())).status_code == 201
    assert (await event(client, sworld, rid, "compliance", {"type": "verification"})).status_code == 201
    reuse = await status(client, sworld, body, "available")
    assert reuse.status_code == 409
    assert "destroyed" in reuse.json()["detail"]


async def test_the_register_shows_both_custody_kinds_with_their_ages(client, sworld, clock):
    clock.now = local(2026, 11, 10, 10)
    await retained_disk(client, sworld, failed_serial="KEPT-1", prefix="K")
    clock.now = local(2026, 11, 20, 10)
    await returned_disk(client, sworld, "RET-3", "G")
    clock.now = local(2026, 11, 24, 12)
    compliance = sworld.headers["compliance"]
    listed = (await client.get("/api/v1/secure-media/retentions", headers=compliance)).json()["items"]
    assert [(r["failed_serial"], r["custody"], r["age_days"]) for r in listed] == [
        ("KEPT-1", "customer", 14),
        ("RET-3", "depot", 4),
    ]
    kept = await client.get(
        "/api/v1/secure-media/retentions", params={"custody": "customer"}, headers=compliance
    )
    assert [r["failed_serial"] for r in kept.json()["items"]] == ["KEPT-1"]
    wrong = await client.get(
        "/api/v1/secure-media/retentions", params={"custody": "cupboard"}, headers=compliance
    )
    assert wrong.status_code == 422


async def test_a_destruction_against_the_policy_is_refused_naming_it(client, sworld, clock):
    record = await retained_disk(client, sworld)  # a secret disk
    clock.now = local(2026, 11, 24, 12)
    purge = await event(
        client, sworld, record["id"], "warehouse", destruction(method="purge", technique="crypto_erase")
    )
    assert purge.status_code == 422, purge.text
    problem = purge.json()
    assert problem["type"] == "urn:spareline:problem:sanitization-policy-violated"
    assert problem["policy"] == "secret/*"
    assert "secret/*" in problem["detail"]
    assert problem["allowed_methods"] == ["destroy"]

    # the officer narrows the policy of secret disks to disintegration only
    policies = await client.get(
        "/api/v1/compliance/sanitization-policies", headers=sworld.headers["warehouse"]
    )
    assert "secret/*" in {p["name"] for p in policies.json()}
    changed = await client.post(
        "/api/v1/compliance/sanitization-policies",
        json={
            "classification_level": "secret",
            "media_type": "disk",
            "methods": ["destroy"],
            "techniques": ["disintegrate"],
        },
        headers=sworld.headers["compliance"],
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["name"] == "secret/disk"
    shred = await event(client, sworld, record["id"], "warehouse", destruction())
    assert (shred.status_code, shred.json()["policy"]) == (422, "secret/disk")
    done = await event(client, sworld, record["id"], "warehouse", destruction(technique="disintegrate"))
    assert done.status_code == 201
    assert done.json()["events"][-1]["details"]["policy"] == {
        "name": "secret/disk",
        "methods": ["destroy"],
        "techniques": ["disintegrate"],
    }
    certificate = await client.get(
        f"/api/v1/secure-media/retentions/{record['id']}/certificate",
        headers={**sworld.headers["compliance"], "accept-language": "en"},
    )
    assert "secret/disk" in certificate.text
    stray = await client.post(
        "/api/v1/compliance/sanitization-policies",
        json={
            "classification_level": "secret",
            "media_type": "ssd",
            "methods": ["destroy"],
            "techniques": ["degauss"],
        },
        headers=sworld.headers["compliance"],
    )
    assert (stray.status_code, stray.json()["field"]) == (422, "techniques")
    for role in ("warehouse", "dispatcher", "customer"):
        denied = await client.post(
            "/api/v1/compliance/sanitization-policies",
            json={"classification_level": "", "media_type": "*", "methods": ["destroy"]},
            headers=sworld.headers[role],
        )
        assert denied.status_code == 403


async def test_an_uploaded_certificate_opens_and_its_hash_is_in_the_chain(client, sworld, clock):
    record = await retained_disk(client, sworld)
    rid = record["id"]
    uploaded = await upload(client, sworld, rid, PNG, role="plat", name="../../etc/signed scan.png")
    assert uploaded.status_code == 201, uploaded.text
    document = uploaded.json()
    assert (document["content_type"], document["filename"], document["sha256"]) == (
        "image/png",
        "signed scan.png",
        hashlib.sha256(PNG).hexdigest(),
    )
    detail = (
        await client.get(f"/api/v1/secure-media/retentions/{rid}", headers=sworld.headers["compliance"])
    ).json()
    assert detail["documents"][0]["sha256"] == document["sha256"]
    document_event = next(e for e in detail["events"] if e["event"] == "document")
    assert document_event["details"]["document"]["sha256"] == document["sha256"]
    assert detail["audit"][-1]["action"] == "retention.document"
    chained = await AuditEntry.select(AuditEntry.payload).where(AuditEntry.seq == detail["audit"][-1]["seq"])
    assert (
        json.loads(chained[0]["payload"])["details"]["document"]["sha256"] == hashlib.sha256(PNG).hexdigest()
    )
    chain = await client.get("/api/v1/audit/verify", headers=sworld.headers["compliance"])
    assert chain.json()["valid"] is True

    opened = await client.get(
        f"/api/v1/secure-media/retentions/{rid}/documents/{document['id']}",
        headers=sworld.headers["compliance"],
    )
    assert opened.status_code == 200
    assert opened.content == PNG
    assert opened.headers["content-type"] == "image/png"
    assert opened.headers["x-content-type-options"] == "nosniff"
    other = await client.get(
        f"/api/v1/secure-media/retentions/{rid}/documents/{document['id']}",
        headers=sworld.headers["customer"],
    )
    assert other.status_code == 404

    for content, why in (
        (b"hello, I am not a PDF", "not a PDF"),
        (b"", "empty"),
        (b"%PDF-" + b"x" * 1_600_000, "bytes"),
    ):
        refused = await upload(client, sworld, rid, content)
        assert refused.status_code in (413, 422), refused.text
        if refused.status_code == 422:
            assert refused.json()["type"] == "urn:spareline:problem:document-rejected"
            assert why in refused.json()["detail"]
    assert len(await RetentionDocument.select()) == 1
    again = await upload(client, sworld, rid, PDF, role="dispatcher")
    assert again.status_code == 201
    assert (await upload(client, sworld, rid, PDF, role="admin")).status_code == 403


async def test_a_stored_document_that_changed_is_never_served(client, sworld, settings):
    record = await retained_disk(client, sworld)
    document = (await upload(client, sworld, record["id"], PDF + b"% unique to this test\n")).json()
    row = (await RetentionDocument.select().where(RetentionDocument.id == document["id"]))[0]
    (settings.document_folder / row["storage_key"]).write_bytes(PDF + b"% forged\n")
    opened = await client.get(
        f"/api/v1/secure-media/retentions/{record['id']}/documents/{document['id']}",
        headers=sworld.headers["compliance"],
    )
    assert opened.status_code == 409
    assert opened.json()["type"] == "urn:spareline:problem:document-altered"


async def test_a_returned_secure_part_goes_back_to_its_vendor_only_once_sanitized(client, sworld, clock):
    record = await returned_disk(client, sworld, "RET-V", "V")
    body = await back_in_quarantine(client, sworld, "RET-V")
    assert (await status(client, sworld, body, "defective")).status_code == 201
    rma = {
        "vendor": "OEM",
        "rma_number": "RMA-SECURE",
        "depot": "PEK-C",
        "units": [{"part_number": sworld.stock.disk, "serial": "RET-V"}],
    }
    refused = await client.post("/api/v1/vendor-returns", json=rma, headers=sworld.headers["warehouse"])
    assert refused.status_code == 409, refused.text
    assert refused.json()["rule"] == "returned-secure-media-sanitized"

    clock.now = local(2026, 11, 24, 12)
    assert (await upload(client, sworld, record["id"], PDF)).status_code == 201
    purge = destruction(method="purge", technique="block_erase", location="PEK-C secure room")
    purge["certificate_sha256"] = hashlib.sha256(PDF).hexdigest()
    assert (await event(client, sworld, record["id"], "warehouse", purge)).status_code == 201
    verified = await event(client, sworld, record["id"], "compliance", {"type": "verification"})
    assert verified.status_code == 201
    opened = await client.post("/api/v1/vendor-returns", json=rma, headers=sworld.headers["warehouse"])
    assert opened.status_code == 201, opened.text
    shipped = await client.post(
        f"/api/v1/vendor-returns/{opened.json()['id']}/ship", headers=sworld.headers["warehouse"]
    )
    assert shipped.status_code == 200, shipped.text
    assert shipped.json()["status"] == "shipped"


async def test_a_returned_secure_part_booked_in_at_the_returns_desk_is_scrapped_only_once_sanitized(
    client, sworld, clock, second
):
    record = await returned_disk(client, sworld, "RET-S", "S")
    rid = record["id"]
    warehouse = sworld.headers["warehouse"]
    expected = await client.get("/api/v1/returns", params={"ticket": record["ticket"]}, headers=warehouse)
    (the_return,) = expected.json()["items"]
    receive = f"/api/v1/returns/{the_return['id']}/receive"
    scrap = await client.post(
        receive, json={"depot": "PEK-C", "serial": "RET-S", "grade": "scrap"}, headers=warehouse
    )
    assert scrap.status_code == 409, scrap.text
    assert scrap.json()["rule"] == "returned-secure-media-sanitized"
    assert scrap.json()["records"] == [rid]
    still = await client.get(f"/api/v1/returns/{the_return['id']}", headers=warehouse)
    assert still.json()["status"] == "expected"  # nothing was booked

    booked = await client.post(
        receive, json={"depot": "PEK-C", "serial": "RET-S", "grade": "repairable"}, headers=warehouse
    )
    assert booked.status_code == 200, booked.text
    body = {"part_number": sworld.stock.disk, "depot": "PEK-C", "serial": "RET-S", "reason": "repaired"}
    assert (await status(client, sworld, body, "quarantined")).status_code == 201
    assert (await status(client, sworld, body, "available")).status_code == 409
    asked = await client.post(
        "/api/v1/stock/write-offs", json={**body, "outcome": "scrapped", "reason": "beyond repair"},
        headers=warehouse,
    )  # fmt: skip
    assert asked.status_code == 201, asked.text
    approve = f"/api/v1/stock/write-offs/{asked.json()['id']}/approve"
    refused = await client.post(approve, headers=second)
    assert refused.status_code == 409, refused.text
    assert refused.json()["rule"] == "returned-secure-media-sanitized"
    unit = await client.get("/api/v1/stock/units/RET-S", headers=warehouse)
    assert unit.json()["status"] == "quarantined"

    clock.now = local(2026, 11, 24, 12)
    assert (await upload(client, sworld, rid, PDF)).status_code == 201
    purge = destruction(method="purge", technique="block_erase", location="PEK-C secure room")
    purge.pop("certificate_sha256")
    assert (await event(client, sworld, rid, "warehouse", purge)).status_code == 201
    assert (await client.post(approve, headers=second)).status_code == 409  # recorded, not yet verified
    assert (await event(client, sworld, rid, "compliance", {"type": "verification"})).status_code == 201
    approved = await client.post(approve, headers=second)
    assert approved.status_code == 200, approved.text
    unit = await client.get("/api/v1/stock/units/RET-S", headers=warehouse)
    assert unit.json()["status"] == "scrapped"


async def test_a_secret_ssd_is_destroyed_only(client, sworld, clock):
    changed = await client.patch(
        f"/api/v1/parts/{sworld.stock.disk}", json={"category": "ssd"}, headers=sworld.headers["admin"]
    )
    assert changed.status_code == 200, changed.text
    record = await retained_disk(client, sworld, failed_serial="SSD-1")
    assert (record["classification_level"], record["media_type"]) == ("secret", "ssd")
    clock.now = local(2026, 11, 24, 12)
    for method, technique in (("purge", "crypto_erase"), ("purge", "block_erase"), ("clear", "overwrite")):
        refused = await event(
            client, sworld, record["id"], "warehouse", destruction(method=method, technique=technique)
        )
        assert refused.status_code == 422, (method, refused.text)
        assert refused.json()["type"] == "urn:spareline:problem:sanitization-policy-violated"
        assert refused.json()["policy"] == "secret/*"
        assert "secret/*" in refused.json()["detail"]
    destroyed = await event(client, sworld, record["id"], "warehouse", destruction(technique="pulverize"))
    assert destroyed.status_code == 201, destroyed.text
    assert destroyed.json()["events"][-1]["details"]["policy"]["methods"] == ["destroy"]


async def test_a_returned_secure_part_is_not_booked_in_as_a_delivery_before_its_sanitization(
    client, sworld, clock
):
    rid = (await returned_disk(client, sworld, "RET-D", "H"))["id"]

    async def delivered(reference: str):
        unit = {"serial": "RET-D", "box_number": "B", "batch_number": "R"}
        line = {"part_number": sworld.stock.disk, "units": [unit]}
        return await receive(client, sworld.stock, "PEK-C", [line], reference=reference)

    refused = await delivered("RETURNED-1")
    assert refused.status_code == 409, refused.text
    assert (refused.json()["rule"], refused.json()["records"]) == ("returned-secure-media-sanitized", [rid])
    assert "returns desk" in refused.json()["detail"]
    unit = await client.get("/api/v1/stock/units/RET-D", headers=sworld.headers["warehouse"])
    assert unit.status_code == 404  # nothing was booked

    clock.now = local(2026, 11, 24, 12)
    assert (await event(client, sworld, rid, "warehouse", destruction())).status_code == 201
    assert (await event(client, sworld, rid, "compliance", {"type": "verification"})).status_code == 201
    destroyed = await delivered("RETURNED-2")
    assert (destroyed.status_code, destroyed.json()["records"]) == (409, [rid])  # never back as stock
