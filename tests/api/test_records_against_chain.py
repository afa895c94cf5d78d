"""Retention records and ledger movements checked against the audit chain, on both engines, after someone
with full database rights changed them directly (past the triggers that protect them)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from datetime import timedelta

import asyncpg
import pytest

from inventory.audit import log as audit
from inventory.secure_media.chain_check import check_records, verify_audit
from inventory.secure_media.proof import CREATED, subject
from inventory.secure_media.tables import RetentionRecord
from inventory.stock import consistency
from inventory.stock.consistency import check_consistency, check_movements_against_chain
from inventory.stock.tables import Movement
from tests.api.conftest import receive, units
from tests.api.service_world import build, local, open_ticket
from tests.conftest import ROOT

CUSTODY = {"type": "custody", "action": "stored_at", "party": "Wang Lei", "location": "BJ-DC1 safe 2"}


async def as_owner(database_url: str, *statements: str) -> None:
    """Run SQL as someone who can get past the triggers that refuse changes (SQLite: drops them;
    PostgreSQL: a superuser session that skips them)."""
    if database_url.startswith("sqlite"):
        connection = sqlite3.connect(database_url.removeprefix("sqlite:///"))
        try:
            triggers = connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' "
                "AND (name LIKE '%no_update' OR name LIKE '%no_delete')"
            ).fetchall()
            for (name,) in triggers:
                connection.execute(f"DROP TRIGGER {name}")
            for statement in statements:
                connection.execute(statement)
            connection.commit()
        finally:
            connection.close()
        return
    connection = await asyncpg.connect(database_url)
    try:
        async with connection.transaction():
            await connection.execute("SET LOCAL session_replication_role = replica")
            for statement in statements:
                await connection.execute(statement)
    finally:
        await connection.close()


def cli(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m api ...`` against the test database, with the development keys the tests use."""
    env = {k: v for k, v in os.environ.items() if k not in {"AUDIT_SIGNING_KEY", "SECRET_KEY"}}
    return subprocess.run(
        [sys.executable, "-m", "api", *args],
        cwd=ROOT,
        env={**env, "DATABASE_URL": database_url, "LOG_LEVEL": "WARNING"},
        capture_output=True,
        text=True,
        check=False,
    )


async def retain(client, sworld, failed_serial: str) -> int:
    """Issue a stocked disk to the classified customer; the failed one stays there under a record."""
    ticket = await open_ticket(client, sworld, "PLAT")
    reservation = await client.post(
        f"/api/v1/tickets/{ticket['id']}/reservations",
        json={"part_number": sworld.stock.disk, "quantity": 1},
        headers=sworld.headers["dispatcher"],
    )
    issued = await client.post(
        f"/api/v1/reservations/{reservation.json()['id']}/issue",
        json={"failed_serial": failed_serial},
        headers=sworld.headers["dispatcher"],
    )
    assert issued.status_code == 200, issued.text
    row = (
        await RetentionRecord.select(RetentionRecord.id)
        .where(RetentionRecord.failed_serial == failed_serial)
        .first()
    )
    return row["id"]


async def custody(client, sworld, record_id: int, party: str = "Wang Lei") -> None:
    response = await client.post(
        f"/api/v1/secure-media/retentions/{record_id}/events",
        json={**CUSTODY, "party": party},
        headers=sworld.headers["warehouse"],
    )
    assert response.status_code == 201, response.text


@pytest.fixture
async def records(client, world, clock):
    """Two retention records of the classified customer, the first with a custody event."""
    clock.now = local(2026, 11, 24, 10)
    sworld = await build(client, world)
    stocked = await receive(client, world, "PEK-C", [{"part_number": world.disk, "units": units("D", 3)}])
    assert stocked.status_code == 201, stocked.text
    first = await retain(client, sworld, "OLD-1")
    second = await retain(client, sworld, "OLD-2")
    clock.now = local(2026, 11, 24, 11)
    await custody(client, sworld, first)
    return sworld, first, second


async def verify(client, sworld) -> dict:
    response = await client.get("/api/v1/audit/verify", headers=sworld.headers["compliance"])
    assert response.status_code == 200, response.text
    return response.json()


async def test_records_written_by_the_service_match_the_chain(client, records):
    sworld, _first, _second = records
    body = await verify(client, sworld)
    assert (body["valid"], body["chain_valid"], body["records_checked"]) == (True, True, 2)
    assert (body["mismatched_records"], body["mismatched_records_total"]) == ([], 0)
    assert body["records_partly_covered"] == 0
    assert body["development_keys"] is True
    assert "development" in body["warning"]
    movements = await check_movements_against_chain()
    assert (movements.mismatched, movements.movements_checked > 0) == ((), True)


@pytest.mark.parametrize(
    ("statement", "named"),
    [
        ("UPDATE retention_record SET custodian = 'Mallory, nowhere' WHERE id = {first}", "custodian"),
        ("UPDATE retention_record SET failed_serial = 'OTHER-9' WHERE id = {first}", "serial number"),
        ("UPDATE retention_record SET state = 'closed' WHERE id = {first}", "state"),
        (
            "UPDATE retention_event SET details = REPLACE(details, 'Wang Lei', 'Forged Name') "
            "WHERE record = {first}",
            "party: the record says 'Forged Name'",
        ),
        ("UPDATE retention_event SET actor = 'intruder' WHERE record = {first}", "recorded by"),
        ("UPDATE retention_event SET event = 'close' WHERE record = {first}", "type"),
        ("UPDATE asset SET serial = 'SRV-FORGED' WHERE serial = 'SRV-PLAT-1'", "asset"),
    ],
)
async def test_a_record_changed_in_the_database_is_named(client, records, database_url, statement, named):
    sworld, first, _second = records
    await as_owner(database_url, statement.format(first=first))
    body = await verify(client, sworld)
    assert (body["valid"], body["chain_valid"]) == (False, True)
    mismatched = {item["record_id"]: item["differences"] for item in body["mismatched_records"]}
    assert first in mismatched
    assert any(named in difference for difference in mismatched[first]), mismatched[first]
    assert body["mismatched_records_total"] == len(mismatched)


async def test_a_changed_customer_name_is_named_on_every_record_of_the_customer(
    client, records, database_url
):
    sworld, first, second = records
    await as_owner(database_url, "UPDATE customer SET name = 'Forged Corp' WHERE code = 'PLAT'")
    body = await verify(client, sworld)
    assert sorted(item["record_id"] for item in body["mismatched_records"]) == [first, second]
    assert body["mismatched_records"][0]["differences"] == [
        "customer name: the record says 'Forged Corp', the audit chain "
        f"(entry {await creation_seq(first)}) recorded 'PLAT Corp'"
    ]


async def creation_seq(record_id: int) -> int:
    [entry] = [e for e in await audit.entries_about([subject(record_id)]) if e.action == CREATED]
    return entry.seq


async def test_the_certificate_states_whether_its_record_matches_the_chain(client, records, database_url):
    sworld, first, second = records
    headers = {**sworld.headers["compliance"], "accept-language": "en"}
    page = (await client.get(f"/api/v1/secure-media/retentions/{first}/certificate", headers=headers)).text
    assert "This record matches the audit chain" in page
    assert "does not match" not in page
    assert "Development audit keys" in page
    await as_owner(
        database_url,
        "UPDATE retention_event SET details = REPLACE(details, 'Wang Lei', 'Forged Name') "
        f"WHERE record = {first}",
    )
    forged = (await client.get(f"/api/v1/secure-media/retentions/{first}/certificate", headers=headers)).text
    assert "This record does not match the audit chain" in forged
    assert "This record matches" not in forged
    banner = forged[forged.index('id="chain-mismatch"') : forged.index("<h2>Media</h2>")]
    assert "Forged Name" in banner
    assert "Wang Lei" in banner
    other = (await client.get(f"/api/v1/secure-media/retentions/{second}/certificate", headers=headers)).text
    assert "This record matches the audit chain" in other


async def test_entries_deleted_after_the_last_checkpoint_show_as_records_without_them(
    client, records, database_url, clock
):
    sworld, _first, second = records
    checkpoint = await client.post("/api/v1/audit/checkpoints", headers=sworld.headers["compliance"])
    covered = checkpoint.json()["seq"]
    clock.now = local(2026, 11, 24, 12)
    await custody(client, sworld, second, party="Li Na")
    third = await retain(client, sworld, "OLD-3")
    await as_owner(database_url, f"DELETE FROM audit_entry WHERE seq > {covered}")

    body = await verify(client, sworld)
    assert (body["chain_valid"], body["valid"]) == (True, False), "the chain alone cannot see it"
    mismatched = {item["record_id"]: item["differences"] for item in body["mismatched_records"]}
    assert sorted(mismatched) == [second, third]
    assert any("(custody" in d and "is not recorded in the audit chain" in d for d in mismatched[second])
    assert "the audit chain has no entry recording the creation of this record" in mismatched[third]

    movements = await check_movements_against_chain()
    assert movements.mismatched_total > 0
    assert all(m.entry_seq is None for m in movements.mismatched)
    assert all("is not recorded in the audit chain" in m.description for m in movements.mismatched)
    ledger = cli(database_url, "check-ledger")
    assert ledger.returncode == 1, ledger.stdout + ledger.stderr
    assert "is not recorded in the audit chain" in ledger.stdout


async def test_records_written_with_the_older_payloads_still_verify(client, records):
    sworld, first, _second = records
    stored = await RetentionRecord.select().where(RetentionRecord.id == first).first()
    at = local(2026, 11, 20, 9)
    legacy = (
        await RetentionRecord.insert(
            RetentionRecord(
                **{
                    name: stored[name]
                    for name in ("ticket", "customer", "site", "asset", "part", "media_type")
                },
                failed_serial="LEGACY-1",
                classification_level="secret",
                custodian="PLAT Corp, BJ-DC1",
                state="retained",
                created_at=at,
                destruction_due=at + timedelta(days=30),
                created_by="dispatcher",
            )
        ).returning(RetentionRecord.id)
    )[0]["id"]
    older = {"ticket": stored["ticket"], "part": stored["part"], "failed_serial": "LEGACY-1", "due_days": 30}
    await audit.append(CREATED, subject(legacy), older, actor="dispatcher", at=at)

    body = await verify(client, sworld)
    assert (body["valid"], body["records_checked"], body["records_partly_covered"]) == (True, 3, 1)
    await RetentionRecord.update({RetentionRecord.failed_serial: "LEGACY-2"}).where(
        RetentionRecord.id == legacy
    )
    result = await check_records()
    assert [proof.record_id for proof in result.mismatched] == [legacy]


async def test_the_chain_naming_a_record_the_database_lacks_is_reported(client, records):
    await audit.append(CREATED, subject(9_999), {"v": 2}, actor="intruder", at=local(2026, 11, 24, 13))
    result = await verify_audit()
    assert not result.valid
    assert [(p.record_id, p.differences) for p in result.records.mismatched] == [
        (9_999, ("the audit chain records retention record 9999, which is not in the database",))
    ]


async def test_audit_verify_on_the_command_line_names_records_and_warns_about_development_keys(
    records, database_url
):
    _sworld, first, _second = records
    clean = cli(database_url, "audit-verify")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "WARNING" in clean.stderr
    assert "development" in clean.stderr
    assert "2 retention record(s) checked, 0 differ" in clean.stdout
    await as_owner(database_url, f"UPDATE retention_record SET custodian = 'Mallory' WHERE id = {first}")
    broken = cli(database_url, "audit-verify")
    assert broken.returncode == 1
    assert f"retention record {first} DOES NOT MATCH the audit chain" in broken.stdout
    assert "custodian: the record says 'Mallory'" in broken.stdout


async def test_a_changed_movement_fails_check_ledger(records, database_url):
    movement = await Movement.select(Movement.id).order_by(Movement.id).first()
    assert cli(database_url, "check-ledger").returncode == 0
    await as_owner(database_url, f"UPDATE movement SET reason = 'nothing to see' WHERE id = {movement['id']}")
    assert await check_consistency() == [], "the stock still adds up: only the chain can tell"
    result = await check_movements_against_chain()
    [mismatch] = result.mismatched
    assert mismatch.movement_id == movement["id"]
    assert "reason is 'nothing to see' in the ledger" in mismatch.description
    ledger = cli(database_url, "check-ledger")
    assert ledger.returncode == 1
    assert f"movement {movement['id']} differs from audit entry {mismatch.entry_seq}" in ledger.stdout
    assert cli(database_url, "check-ledger", "--without-chain").returncode == 0


async def test_a_movement_without_a_chain_entry_fails_check_ledger(records, database_url):
    stored = await Movement.select().order_by(Movement.id).first()
    await as_owner(
        database_url,
        "INSERT INTO movement (at, kind, part, unit, batch_number, quantity, from_depot, from_status, "
        "to_depot, to_status, actor, reason, reference) "
        f"SELECT at, kind, part, unit, batch_number, quantity, from_depot, from_status, to_depot, "
        f"to_status, actor, reason, reference FROM movement WHERE id = {stored['id']}",
    )
    result = await check_movements_against_chain()
    [mismatch] = result.mismatched
    assert mismatch.entry_seq is None
    assert mismatch.description.endswith("is not recorded in the audit chain")
    assert cli(database_url, "check-ledger").returncode == 1


async def test_an_event_committed_between_the_queries_of_a_batch_is_not_a_difference(
    client, records, monkeypatch
):
    sworld, first, _second = records
    original = audit.entries_about
    raced: list[int] = []

    async def with_an_event_in_between(subjects):
        if not raced:
            raced.append(first)
            await custody(client, sworld, first, party="Zhao Min")
        return await original(subjects)

    monkeypatch.setattr(audit, "entries_about", with_an_event_in_between)
    result = await check_records()
    assert raced == [first]
    assert (result.records_checked, result.mismatched) == (2, ())


async def test_movements_written_while_the_ledger_is_checked_are_not_differences(
    client, records, monkeypatch
):
    sworld, _first, _second = records
    original = consistency._stored_movements
    late: list[int] = []

    async def with_a_receipt_at_the_end(batch):
        seen = 0
        async for movement in original(batch):
            seen = movement.id
            yield movement
        response = await client.post(
            "/api/v1/stock/receipts",
            json={
                "depot": "SHA-C",
                "supplier": "OEM",
                "reference": "DN-LATE",
                "lines": [{"part_number": sworld.stock.disk, "units": units("LATE", 2)}],
            },
            headers=sworld.headers["warehouse"],
        )
        assert response.status_code == 201, response.text
        async for movement in original(batch):
            if movement.id > seen:
                late.append(movement.id)
                yield movement

    monkeypatch.setattr(consistency, "_stored_movements", with_a_receipt_at_the_end)
    result = await check_movements_against_chain()
    assert len(late) == 2
    assert result.mismatched == ()
