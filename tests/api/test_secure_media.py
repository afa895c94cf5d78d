"""Secure media kept by classified customers: created at issue, destroyed under record, then verified."""

from __future__ import annotations

import csv
import io
import sqlite3
from datetime import datetime, timedelta

import asyncpg
import pytest

from inventory.audit import log as audit
from inventory.secure_media.tables import RetentionEvent
from inventory.tickets.tables import DefectiveReturn
from tests.api.conftest import PASSWORD, login
from tests.api.service_world import build, local, open_ticket, stock_disks

CERT_HASH = "a" * 64


@pytest.fixture
async def sworld(client, world, clock):
    clock.now = local(2026, 11, 24, 10)
    built = await build(client, world)
    response = await client.post(
        "/api/v1/users",
        json={"username": "plat.it", "password": PASSWORD, "role": "customer", "customer": "PLAT"},
        headers=world.headers["admin"],
    )
    assert response.status_code == 201
    world.headers["plat"] = await login(client, "plat.it")
    return built


async def retained_disk(client, sworld, failed_serial="OLD-1", prefix="D") -> dict:
    """Issue a disk to the platinum (classified) customer; the failed one stays with them."""
    await stock_disks(client, sworld.stock, "PEK-C", 1, prefix)
    ticket = await open_ticket(client, sworld, "PLAT")
    reservation = (
        await client.post(
            f"/api/v1/tickets/{ticket['id']}/reservations",
            json={"part_number": sworld.stock.disk, "quantity": 1},
            headers=sworld.headers["dispatcher"],
        )
    ).json()
    issued = await client.post(
        f"/api/v1/reservations/{reservation['id']}/issue",
        json={"failed_serial": failed_serial},
        headers=sworld.headers["dispatcher"],
    )
    assert issued.status_code == 200, issued.text
    records = (
        await client.get("/api/v1/secure-media/retentions", headers=sworld.headers["compliance"])
    ).json()
    listed = next(r for r in records["items"] if r["failed_serial"] == failed_serial)
    detail = await client.get(
        f"/api/v1/secure-media/retentions/{listed['id']}", headers=sworld.headers["compliance"]
    )
    return detail.json()


def destruction(**changes) -> dict:
    return {
        "type": "destruction",
        "method": "destroy",
        "technique": "shred",
        "tool": "HSM Powerline 450.2",
        "tool_version": "fw 3.1",
        "performed_by": "Zhang Wei",
        "performed_at": local(2026, 11, 24, 11).isoformat(),
        "location": "BJ-DC1 secure room",
        "verification_method": "visual inspection of particles <= 2 mm",
        "verification_result": "pass",
        "validated_by": "Liu Yang",
        "certificate_number": "DC-2026-0042",
        "certificate_sha256": CERT_HASH,
        "post_sanitization_destination": "certified recycler",
        **changes,
    }


async def event(client, sworld, record_id, role, body):
    return await client.post(
        f"/api/v1/secure-media/retentions/{record_id}/events", json=body, headers=sworld.headers[role]
    )


async def test_a_retained_part_appears_at_once_with_its_due_date(client, sworld, clock):
    record = await retained_disk(client, sworld)
    assert record["state"] == "retained"
    assert (record["customer"], record["classification_level"], record["media_type"]) == (
        "PLAT",
        "secret",
        "disk",
    )
    assert datetime.fromisoformat(record["destruction_due"]) == clock.now + timedelta(days=30)
    assert record["overdue"] is False
    assert record["audit"][0]["action"] == "retention.created"
    assert await DefectiveReturn.select() == []
    trace = (await client.get("/api/v1/stock/units/OLD-1", headers=sworld.headers["warehouse"])).json()
    assert (trace["status"], trace["history"][-1]["to_status"]) == (
        "retained_by_customer",
        "retained_by_customer",
    )
    report = (
        await client.get("/api/v1/compliance/secure-media/report", headers=sworld.headers["compliance"])
    ).json()
    assert (report["total"], report["by_state"]["retained"], report["undestroyed_by_age"]["0-7"]) == (1, 1, 1)


async def test_the_whole_life_of_a_record(client, sworld, clock):
    record = await retained_disk(client, sworld)
    rid = record["id"]
    custody = {"type": "custody", "action": "stored_at", "party": "Wang Lei", "location": "BJ-DC1 safe 2"}
    assert (await event(client, sworld, rid, "warehouse", custody)).status_code == 201
    clock.now = local(2026, 11, 25, 12)
    destroyed = await event(client, sworld, rid, "plat", destruction())
    assert destroyed.status_code == 201, destroyed.text
    assert destroyed.json()["state"] == "destruction_recorded"
    verified = await event(client, sworld, rid, "compliance", {"type": "verification"})
    assert verified.json()["state"] == "verified"
    closed = await event(client, sworld, rid, "compliance", {"type": "close", "note": "certificate filed"})
    assert closed.json()["state"] == "closed"
    body = closed.json()
    assert [e["event"] for e in body["events"]] == ["custody", "destruction", "verification", "close"]
    assert [a["action"] for a in body["audit"]] == [
        "retention.created",
        "retention.custody",
        "retention.destruction",
        "retention.verification",
        "retention.close",
    ]
    await client.post("/api/v1/audit/checkpoints", headers=sworld.headers["compliance"])
    certificate = await client.get(
        f"/api/v1/secure-media/retentions/{rid}/certificate",
        headers={**sworld.headers["plat"], "accept-language": "en"},
    )
    assert certificate.status_code == 200
    assert certificate.headers["content-type"].startswith("text/html")
    page = certificate.text
    for text in (
        "OLD-1",
        "Shred",
        "HSM Powerline 450.2",
        "Zhang Wei",
        "Liu Yang",
        "DC-2026-0042",
        CERT_HASH,
        "certified recycler",
        "Secret",
        body["audit"][-1]["hash"],
        "Signed checkpoint",
        "(Beijing time)",
    ):
        assert text in page, text
    assert "+00:00" not in page, "times in the site's local time, not UTC"
    chinese = await client.get(
        f"/api/v1/secure-media/retentions/{rid}/certificate",
        headers={**sworld.headers["plat"], "accept-language": "zh-CN"},
    )
    assert "介质净化证书" in chinese.text
    assert "北京时间" in chinese.text
    assert (await audit.verify_chain()).valid


async def test_impossible_transitions_are_409(client, sworld, clock):
    rid = (await retained_disk(client, sworld))["id"]
    clock.now = local(2026, 11, 24, 12)
    assert (
        await event(client, sworld, rid, "compliance", {"type": "verification", "result": "accepted"})
    ).status_code == 409
    assert (await event(client, sworld, rid, "compliance", {"type": "close"})).status_code == 409
    await event(client, sworld, rid, "plat", destruction())
    assert (await event(client, sworld, rid, "compliance", {"type": "close"})).status_code == 409
    rejected = await event(
        client,
        sworld,
        rid,
        "compliance",
        {"type": "verification", "result": "rejected", "notes": "certificate unreadable"},
    )
    assert rejected.json()["state"] == "retained"
    again = await event(client, sworld, rid, "dispatcher", destruction(certificate_number="DC-2026-0043"))
    assert again.json()["state"] == "destruction_recorded"
    await event(client, sworld, rid, "compliance", {"type": "verification", "result": "accepted"})
    await event(client, sworld, rid, "compliance", {"type": "close"})
    custody = {"type": "custody", "action": "moved_to", "party": "x"}
    assert (await event(client, sworld, rid, "warehouse", custody)).status_code == 409


async def test_who_may_do_what(client, sworld, clock):
    rid = (await retained_disk(client, sworld))["id"]
    clock.now = local(2026, 11, 24, 12)
    custody = {"type": "custody", "action": "handed_over", "party": "Zhao"}
    assert (await event(client, sworld, rid, "compliance", custody)).status_code == 403
    assert (await event(client, sworld, rid, "admin", custody)).status_code == 403
    assert (await event(client, sworld, rid, "dispatcher", custody)).status_code == 201
    assert (await event(client, sworld, rid, "customer", destruction())).status_code == 404
    assert (
        await client.get(f"/api/v1/secure-media/retentions/{rid}", headers=sworld.headers["customer"])
    ).status_code == 404
    listed = await client.get("/api/v1/secure-media/retentions", headers=sworld.headers["customer"])
    assert listed.json()["items"] == []
    assert (
        await client.get(f"/api/v1/secure-media/retentions/{rid}", headers=sworld.headers["plat"])
    ).status_code == 200
    same_person = await event(client, sworld, rid, "plat", destruction(validated_by=" zhang  WEI "))
    assert (same_person.status_code, same_person.json()["field"]) == (422, "validated_by")
    wrong_technique = await event(client, sworld, rid, "plat", destruction(method="clear", technique="shred"))
    assert wrong_technique.status_code == 422
    assert (
        await event(client, sworld, rid, "plat", destruction(certificate_sha256="xyz"))
    ).status_code == 422
    future = await event(client, sworld, rid, "plat", destruction(performed_at=local(2027, 1, 1).isoformat()))
    assert future.status_code == 422
    before = await event(
        client, sworld, rid, "plat", destruction(performed_at=local(2026, 11, 24, 9).isoformat())
    )
    assert (before.status_code, before.json()["field"]) == (422, "performed_at")
    assert (await event(client, sworld, rid, "plat", destruction())).status_code == 201
    verify = {"type": "verification", "result": "accepted"}
    assert (await event(client, sworld, rid, "dispatcher", verify)).status_code == 403
    assert (await event(client, sworld, rid, "plat", verify)).status_code == 403
    for role in ("dispatcher", "warehouse", "customer", "plat"):
        report = await client.get("/api/v1/compliance/secure-media/report", headers=sworld.headers[role])
        assert report.status_code == 403


async def test_who_records_which_event_as_the_readme_says(client, sworld, clock):
    """Retention events are recorded by the people who do the work, each of them under their own role:
    custody by warehouse and dispatcher, destruction also by the customer for its own parts,
    verification and closing by compliance only. Admin records none of them (it reads them all)."""
    rid = (await retained_disk(client, sworld))["id"]
    clock.now = local(2026, 11, 24, 12)
    roles = ("admin", "warehouse", "dispatcher", "plat", "customer", "compliance")  # plat: the owner
    rounds = [
        (
            {"type": "custody", "action": "handed_over", "party": "Zhao"},
            {"warehouse": 201, "dispatcher": 201},
        ),
        (destruction(), {"warehouse": 201, "dispatcher": 201, "plat": 201, "customer": 404}),
        ({"type": "verification", "result": "accepted"}, {"compliance": 201}),
        ({"type": "close"}, {"compliance": 201}),
    ]
    for body, allowed in rounds:
        answers = {role: (await event(client, sworld, rid, role, body)).status_code for role in roles}
        assert answers == {role: allowed.get(role, 403) for role in roles}, body["type"]
    record = await client.get(f"/api/v1/secure-media/retentions/{rid}", headers=sworld.headers["admin"])
    assert record.status_code == 200
    assert [(e["event"], e["actor_role"]) for e in record.json()["events"]] == [
        ("custody", "warehouse"),
        ("custody", "dispatcher"),
        ("destruction", "warehouse"),
        ("destruction", "dispatcher"),
        ("destruction", "customer"),
        ("verification", "compliance"),
        ("close", "compliance"),
    ]


async def test_events_cannot_be_edited_or_deleted(client, sworld, database_url):
    rid = (await retained_disk(client, sworld))["id"]
    await event(client, sworld, rid, "warehouse", {"type": "custody", "action": "stored_at", "party": "x"})
    with pytest.raises((sqlite3.IntegrityError, asyncpg.RaiseError)):
        await RetentionEvent.update({RetentionEvent.actor: "someone else"}).where(
            RetentionEvent.record == rid
        )
    with pytest.raises((sqlite3.IntegrityError, asyncpg.RaiseError)):
        await RetentionEvent.delete().where(RetentionEvent.record == rid)


async def test_overdue_ageing_filters_and_csv(client, sworld, clock):
    ages = {"A": 120, "B": 50, "C": 20, "D": 2}
    start = local(2026, 11, 24, 10)
    for prefix, days in ages.items():
        clock.now = start - timedelta(days=days)
        await retained_disk(client, sworld, failed_serial=f"OLD-{prefix}", prefix=prefix)
    clock.now = start
    compliance = sworld.headers["compliance"]
    overdue = (
        await client.get("/api/v1/secure-media/retentions", params={"overdue": "true"}, headers=compliance)
    ).json()
    assert sorted(r["failed_serial"] for r in overdue["items"]) == ["OLD-A", "OLD-B"]
    blank = await client.get("/api/v1/secure-media/retentions?state=&customer=&overdue=", headers=compliance)
    assert (blank.status_code, len(blank.json()["items"])) == (200, 4)
    report = (await client.get("/api/v1/compliance/secure-media/report", headers=compliance)).json()
    assert report["undestroyed_by_age"] == {"0-7": 1, "8-30": 1, "31-90": 1, "over 90": 1}
    assert report["overdue"] == 2
    by_state = (
        await client.get(
            "/api/v1/secure-media/retentions",
            params={"state": "retained", "customer": "PLAT"},
            headers=compliance,
        )
    ).json()
    assert len(by_state["items"]) == 4
    aged = await client.get(
        "/api/v1/secure-media/retentions", params={"min_age_days": 8, "max_age_days": 90}, headers=compliance
    )
    assert sorted(r["failed_serial"] for r in aged.json()["items"]) == ["OLD-B", "OLD-C"]
    exported = await client.get(
        "/api/v1/compliance/secure-media/report", headers={**compliance, "Accept": "text/csv"}
    )
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert {row["failed_serial"]: row["age_bucket"] for row in rows} == {
        "OLD-A": "over 90",
        "OLD-B": "31-90",
        "OLD-C": "8-30",
        "OLD-D": "0-7",
    }
    assert {row["failed_serial"] for row in rows if row["overdue"] == "yes"} == {"OLD-A", "OLD-B"}
