"""The audit chain on both engines: tampering directly in the database is found, at the right entry."""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
from dataclasses import asdict
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from inventory.audit import log as audit
from inventory.audit.tables import AuditCheckpoint, AuditEntry, AuditHead
from inventory.audit_chain import Checkpoint, UnlinkedEntry, entry_hash, entry_mac, hmac_pads, next_entry
from inventory.persistence import MovementRow, current_engine, current_store, run, write_transaction
from inventory.persistence.store import ROWS_PER_INSERT
from inventory.stock.tables import Movement, Part
from tests.conftest import in_domain, test_settings

T0 = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
ENTRIES = 12
CHECKPOINT_AT = 8


@pytest.fixture
async def chain(app):
    """Twelve entries with a signed checkpoint at entry 8."""
    for n in range(1, ENTRIES + 1):
        await audit.append(
            "test.event", f"thing:{n}", {"n": n, "note": "ok"}, actor="tester", at=T0 + timedelta(minutes=n)
        )
        if n == CHECKPOINT_AT:
            await audit.create_checkpoint(T0 + timedelta(minutes=n, seconds=30))
    return app


async def tamper(database_url: str, *statements: str) -> None:
    """Run SQL as someone with full database rights, who can get past the append-only triggers."""
    if database_url.startswith("sqlite"):
        connection = sqlite3.connect(database_url.removeprefix("sqlite:///"))
        try:
            for table in ("audit_entry", "audit_checkpoint"):
                for event in ("update", "delete"):
                    connection.execute(f"DROP TRIGGER IF EXISTS {table}_no_{event}")
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


async def stored(seq: int) -> dict:
    return await AuditEntry.select().where(AuditEntry.seq == seq).first()


def rewritten(rows: list[dict], mac_key: bytes) -> list[str]:
    """UPDATE statements that recompute hashes (and MACs with ``mac_key``) from the first row on."""
    statements, prev = [], rows[0]["prev_hash"]
    for row in rows:
        digest = entry_hash(
            row["seq"], prev, row["at"], row["actor"], row["action"], row["subject"], row["payload"]
        )
        statements.append(
            f"UPDATE audit_entry SET prev_hash = '{prev}', hash = '{digest}', payload = '{row['payload']}', "
            f"mac = '{entry_mac(mac_key, digest)}' WHERE seq = {row['seq']}"
        )
        prev = digest
    return statements


async def test_an_untouched_chain_verifies(chain):
    result = await audit.verify_chain()
    assert (result.valid, result.length, result.first_bad_seq, result.checkpoints_checked) == (
        True,
        ENTRIES,
        None,
        1,
    )


async def test_a_changed_payload_is_found(chain, database_url):
    await tamper(database_url, 'UPDATE audit_entry SET payload = \'{"n":4,"note":"forged"}\' WHERE seq = 4')
    result = await audit.verify_chain()
    assert (result.valid, result.first_bad_seq) == (False, 4)
    assert "hash" in result.reason


async def test_a_deleted_row_is_found(chain, database_url):
    await tamper(database_url, "DELETE FROM audit_entry WHERE seq = 6")
    result = await audit.verify_chain()
    assert (result.valid, result.first_bad_seq, result.length) == (False, 6, 5)


async def test_two_swapped_rows_are_found(chain, database_url):
    three, nine = await stored(3), await stored(9)
    await tamper(
        database_url,
        f"UPDATE audit_entry SET payload = '{nine['payload']}', subject = '{nine['subject']}' WHERE seq = 3",
        f"UPDATE audit_entry SET payload = '{three['payload']}', subject = '{three['subject']}' "
        "WHERE seq = 9",
    )
    assert (await audit.verify_chain()).first_bad_seq == 3


async def test_an_inserted_row_is_found(chain, database_url):
    before = await stored(4)
    forged_payload = '{"n":0,"note":"inserted"}'
    digest = entry_hash(5, before["hash"], before["at"], "intruder", "test.event", "thing:x", forged_payload)
    await tamper(
        database_url,
        "UPDATE audit_entry SET seq = seq + 1000 WHERE seq >= 5",
        "UPDATE audit_entry SET seq = seq - 999 WHERE seq >= 1005",
        "INSERT INTO audit_entry (seq, at, actor, action, subject, payload, prev_hash, hash, mac) VALUES "
        f"(5, '{before['at']}', 'intruder', 'test.event', 'thing:x', '{forged_payload}', '{before['hash']}', "
        f"'{digest}', '{'0' * 64}')",
    )
    result = await audit.verify_chain()
    assert (result.valid, result.first_bad_seq) == (False, 5)


async def test_a_recomputed_chain_without_the_key_fails_at_the_first_rewritten_entry(chain, database_url):
    rows = [await stored(seq) for seq in range(4, ENTRIES + 1)]
    rows[0]["payload"] = '{"n":4,"note":"rewritten"}'
    await tamper(database_url, *rewritten(rows, mac_key=b"the attacker's guess"))
    result = await audit.verify_chain()
    assert (result.valid, result.first_bad_seq) == (False, 4)
    assert "MAC" in result.reason


async def test_a_recomputed_chain_with_the_mac_key_fails_at_the_signed_checkpoint(chain, database_url):
    rows = [await stored(seq) for seq in range(4, ENTRIES + 1)]
    rows[0]["payload"] = '{"n":4,"note":"rewritten by an insider"}'
    export = [Checkpoint(**asdict(c)) for c in await audit.list_checkpoints()]
    await tamper(database_url, *rewritten(rows, mac_key=audit.keys().mac_key), "DELETE FROM audit_checkpoint")
    assert (await audit.verify_chain()).valid is True, (
        "without checkpoints the insider's rewrite is consistent"
    )
    result = await audit.verify_chain(export)
    assert (result.valid, result.first_bad_seq) == (False, CHECKPOINT_AT)
    assert "checkpoint" in result.reason


async def test_a_truncated_tail_is_found_by_the_checkpoint(chain, database_url):
    await tamper(database_url, "DELETE FROM audit_entry WHERE seq >= 7")
    result = await audit.verify_chain()
    assert (result.valid, result.length, result.first_bad_seq) == (False, 6, 7)


async def test_a_forged_checkpoint_is_refused(chain, database_url):
    head = await stored(ENTRIES)
    await tamper(
        database_url,
        "INSERT INTO audit_checkpoint (seq, hash, at, signature, key_id) VALUES "
        f"({ENTRIES}, '{head['hash']}', '{T0.isoformat()}', '{'ab' * 64}', 'forged')",
    )
    result = await audit.verify_chain()
    assert (result.valid, result.first_bad_seq) == (False, ENTRIES)
    assert "signature" in result.reason


async def test_the_log_refuses_update_and_delete_through_the_service_connection(chain):
    with pytest.raises((sqlite3.IntegrityError, asyncpg.RaiseError)):
        await AuditEntry.update({AuditEntry.actor: "someone else"}).where(AuditEntry.seq == 1)
    with pytest.raises((sqlite3.IntegrityError, asyncpg.RaiseError)):
        await AuditEntry.delete().where(AuditEntry.seq == 1)
    with pytest.raises((sqlite3.IntegrityError, asyncpg.RaiseError)):
        await AuditCheckpoint.delete(force=True)
    assert (await audit.verify_chain()).valid


async def test_parallel_appends_make_one_linear_chain(app):
    await asyncio.gather(
        *[audit.append("test.parallel", f"p:{n}", {"n": n}, actor="t", at=T0) for n in range(40)]
    )
    result = await audit.verify_chain()
    assert (result.valid, result.length) == (True, 40)
    subjects = {row["subject"] for row in await AuditEntry.select(AuditEntry.subject)}
    assert len(subjects) == 40


def test_the_padded_keys_give_the_chain_s_mac_with_sha256_alone():
    """PostgreSQL's linking trigger computes the MAC from SHA-256 and these padded keys."""
    key = bytes(range(32))
    unlinked = UnlinkedEntry.of(
        at=T0, actor="ana", action="stock.receipt", subject="receipt:7", payload={"é": 1}
    )
    entry = next_entry(
        prev_seq=41,
        prev_hash="ab" * 32,
        at=T0,
        actor="ana",
        action="stock.receipt",
        subject="receipt:7",
        payload={"é": 1},
        mac_key=key,
    )
    inner, outer = hmac_pads(key)
    inner_digest = hashlib.sha256(inner + entry.hash.encode()).digest()
    assert hashlib.sha256(outer + inner_digest).hexdigest() == entry.mac
    assert unlinked.link(41, "ab" * 32, key) == entry


async def test_an_append_rolls_back_with_its_transaction(app):
    await audit.append("test.kept", "thing:1", {"n": 1}, actor="t", at=T0)

    async def fails_after_appending() -> None:
        async with write_transaction():
            await audit.append("test.lost", "thing:2", {"n": 2}, actor="t", at=T0)
            raise RuntimeError("the change fails")

    with pytest.raises(RuntimeError):
        await fails_after_appending()
    await audit.append("test.kept", "thing:3", {"n": 3}, actor="t", at=T0)

    rows = await AuditEntry.select(AuditEntry.seq, AuditEntry.subject).order_by(AuditEntry.seq)
    assert [(row["seq"], row["subject"]) for row in rows] == [(1, "thing:1"), (2, "thing:3")]
    assert (await audit.verify_chain()).valid


def ledger_rows(part: int, quantity: int | None, count: int = 1) -> list[MovementRow]:
    return [
        MovementRow(
            T0, "adjustment", part, None, "B1", quantity, None, None, None, "available", "t", "why", ""
        )
    ] * count  # type: ignore[list-item]


async def a_part() -> int:
    return (await Part.insert(Part(part_number="P-1", description="d", category="c")).returning(Part.id))[0][
        "id"
    ]


async def test_ledger_rows_and_the_entry_recording_them_commit_or_fail_together(app):
    part, store, key = await a_part(), current_store(), audit.keys().mac_key

    async with write_transaction():
        await store.record_movements(
            ledger_rows(part, 2), audit.entry("test.ledger", "part:A", {}, actor="t", at=T0), key
        )
    with pytest.raises(
        Exception, match=r"(?i)null"
    ):  # quantity is NOT NULL: the rows fail, so does the entry
        async with write_transaction():
            await store.record_movements(
                ledger_rows(part, None), audit.entry("test.ledger", "part:B", {}, actor="t", at=T0), key
            )

    assert [row["quantity"] for row in await Movement.select(Movement.quantity)] == [2]
    rows = await AuditEntry.select(AuditEntry.subject).order_by(AuditEntry.seq)
    assert [row["subject"] for row in rows] == ["part:A"]
    assert (await audit.verify_chain()).valid


async def test_more_ledger_rows_than_one_insert_takes_are_recorded_with_one_entry(app):
    part, count = await a_part(), ROWS_PER_INSERT * 2 + 1

    async with write_transaction():
        await current_store().record_movements(
            ledger_rows(part, 1, count),
            audit.entry("test.ledger", "part:A", {}, actor="t", at=T0),
            audit.keys().mac_key,
        )

    assert await Movement.count() == count
    assert await AuditEntry.count() == 1
    assert (await audit.verify_chain()).valid


async def test_appends_of_one_transaction_are_linked_in_their_order(app, database_url):
    async with write_transaction():
        for n in range(1, 4):
            await audit.append("test.ordered", f"thing:{n}", {"n": n}, actor="t", at=T0)

    rows = await AuditEntry.select(AuditEntry.seq, AuditEntry.subject, AuditEntry.hash, AuditEntry.prev_hash)
    assert [(row["seq"], row["subject"]) for row in sorted(rows, key=lambda row: row["seq"])] == [
        (n, f"thing:{n}") for n in range(1, 4)
    ]
    assert (await audit.verify_chain()).valid
    head = await AuditHead.select().first()
    last = max(rows, key=lambda row: row["seq"])
    assert (head["seq"], head["hash"], head["prev_hash"]) == (3, last["hash"], last["prev_hash"])
    if database_url.startswith("postgresql"):  # the queue rows stay until the sweep removes them
        assert await audit.purge_linked() == 3
        assert await AuditEntry.raw("SELECT count(*) AS n FROM audit_pending") == [{"n": 0}]


@pytest.mark.postgres
async def test_the_purge_leaves_the_entries_of_open_transactions_queued(postgres_url):
    with in_domain(test_settings(postgres_url)):
        await audit.append("test.purge", "thing:1", {"n": 1}, actor="t", at=T0)
        waiting = asyncio.Event()
        release = asyncio.Event()

        async def open_append() -> None:
            async with write_transaction():
                await audit.append("test.purge", "thing:2", {"n": 2}, actor="t", at=T0)
                waiting.set()
                await release.wait()

        task = asyncio.create_task(open_append())
        await asyncio.wait_for(waiting.wait(), 30)
        try:
            assert await audit.purge_linked() == 1
        finally:
            release.set()
            await task
        rows = await AuditEntry.select(AuditEntry.subject).order_by(AuditEntry.seq)
        assert [row["subject"] for row in rows] == ["thing:1", "thing:2"]
        assert (await audit.verify_chain()).valid
        assert await audit.purge_linked() == 1


@pytest.mark.postgres
async def test_an_entry_queued_without_the_mac_key_cannot_commit(postgres_database):
    connection = await asyncpg.connect(postgres_database)
    try:
        before = await connection.fetchval("SELECT seq FROM audit_head WHERE id = 1")
        with pytest.raises(asyncpg.PostgresError, match=r"spareline\.audit_mac"):
            async with connection.transaction():
                await connection.execute(
                    "INSERT INTO audit_pending (at, actor, action, subject, payload) "
                    "VALUES ('2026-11-25T00:00:00+00:00', 'intruder', 'test.forged', 'thing:x', '{}')"
                )
        assert await connection.fetchval("SELECT seq FROM audit_head WHERE id = 1") == before
        assert await connection.fetchval("SELECT count(*) FROM audit_entry WHERE actor = 'intruder'") == 0
    finally:
        await connection.close()


@pytest.mark.postgres
async def test_an_audited_transaction_answers_only_once_its_commit_is_on_disk(postgres_database):
    """The head row is released at COMMIT, before the log flush; the caller waits for the flush."""
    with in_domain(test_settings(postgres_database)):
        async with write_transaction():
            await audit.append("test.durable", "thing:1", {"n": 1}, actor="t", at=T0)
            inside = await run(
                "SELECT current_setting('synchronous_commit') AS mode, "
                "pg_current_wal_insert_lsn()::text AS lsn"
            )
        connection = await asyncpg.connect(postgres_database)
        try:
            flushed = await connection.fetchval(
                "SELECT pg_current_wal_flush_lsn() >= $1::text::pg_lsn", inside[0]["lsn"]
            )
        finally:
            await connection.close()
        assert inside[0]["mode"] == "off"
        assert flushed


async def test_an_append_inside_a_transaction_of_piccolo_is_refused(app):
    """Only the service's write transactions know to wait for the flush that makes an append durable."""
    async with current_engine().transaction():
        with pytest.raises(RuntimeError, match="write_transaction"):
            await audit.append("test.durable", "thing:2", {"n": 2}, actor="t", at=T0)
    assert await AuditEntry.count() == 0
