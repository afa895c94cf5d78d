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
from inventory.audit.chain import Checkpoint, UnlinkedEntry, entry_hash, entry_mac, hmac_pads, next_entry
from inventory.audit.tables import AuditCheckpoint, AuditEntry

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


def test_the_padded_keys_and_the_message_pieces_give_what_the_chain_computes():
    """PostgreSQL links entries from these pieces with SHA-256 alone; they must rebuild hash and MAC."""
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
    message = unlinked.hash_prefix() + b"42" + b"\x00" + ("ab" * 32).encode() + unlinked.hash_suffix()
    assert hashlib.sha256(message).hexdigest() == entry.hash
    inner, outer = hmac_pads(key)
    inner_digest = hashlib.sha256(inner + entry.hash.encode()).digest()
    assert hashlib.sha256(outer + inner_digest).hexdigest() == entry.mac
    assert unlinked.link(41, "ab" * 32, key) == entry
