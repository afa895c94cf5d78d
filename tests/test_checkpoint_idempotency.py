"""One signed checkpoint per chain head, on both engines: concurrent checkpoint runs sign a head once,
signing a head already signed returns its checkpoint, the database refuses a second checkpoint of the
same position, and the migration that brings that rule keeps the earliest of duplicates made before."""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from api.app import create_app
from api.domain_context import domain_context
from inventory.audit import log as audit
from tests.conftest import rerun_migration, test_settings

T0 = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
MIGRATION = "2026-12-08T09:00:00:000000"


async def append(count: int) -> None:
    for n in range(count):
        await audit.append("test.event", f"thing:{n}", {"n": n}, actor="tester", at=T0)


async def test_concurrent_checkpoint_runs_sign_a_head_once(database_url, capsys):
    # The app is made here, logging JSON at INFO, so that capsys captures its log handler.
    app = create_app(test_settings(database_url, log_format="json", log_level="INFO"))
    try:
        with domain_context(app).entered():
            await append(3)
            signed = await asyncio.gather(
                *(audit.checkpoint_if_due(T0 + timedelta(seconds=n), every_entries=1) for n in range(4))
            )
            assert sorted(c.seq for c in signed if c is not None) == [3]
            assert [c.seq for c in await audit.list_checkpoints()] == [3]
            assert (await audit.verify_chain()).valid
        lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
        assert [
            (line["seq"], line["key_id"]) for line in lines if line["event"] == "audit_checkpoint_signed"
        ] == [(3, domain_context(app).audit_keys.key_id)]
    finally:
        logging.getLogger().handlers.clear()


async def test_signing_a_head_signed_already_returns_its_checkpoint(app):
    await append(2)
    first = await audit.create_checkpoint(T0)
    again = await audit.create_checkpoint(T0 + timedelta(minutes=5))
    assert again == first
    assert [c.seq for c in await audit.list_checkpoints()] == [2]
    assert await audit.checkpoint_if_due(T0 + timedelta(days=1), every_entries=1) is None


async def insert_checkpoint_row(database_url: str, seq: int, at: str) -> None:
    values = (seq, "h" * 64, at, "s" * 128, "k" * 16)
    if database_url.startswith("sqlite"):
        connection = sqlite3.connect(database_url.removeprefix("sqlite:///"))
        try:
            with connection:
                connection.execute(
                    "INSERT INTO audit_checkpoint (seq, hash, at, signature, key_id) VALUES (?, ?, ?, ?, ?)",
                    values,
                )
        finally:
            connection.close()
        return
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute(
            "INSERT INTO audit_checkpoint (seq, hash, at, signature, key_id) VALUES ($1, $2, $3, $4, $5)",
            *values,
        )
    finally:
        await connection.close()


async def drop_unique_index(database_url: str) -> None:
    statement = "DROP INDEX audit_checkpoint_one_per_seq"
    if database_url.startswith("sqlite"):
        connection = sqlite3.connect(database_url.removeprefix("sqlite:///"))
        try:
            connection.execute(statement)
        finally:
            connection.close()
        return
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def test_the_database_refuses_a_second_checkpoint_of_a_position(database_url):
    await insert_checkpoint_row(database_url, 7, "a")
    with pytest.raises((sqlite3.IntegrityError, asyncpg.UniqueViolationError)):
        await insert_checkpoint_row(database_url, 7, "b")


async def test_the_migration_keeps_the_earliest_of_duplicate_checkpoints(app, database_url):
    """Databases where every web process signed the same head: the migration removes the later copies
    (the append-only trigger set aside for that alone) before the unique index goes on."""
    await drop_unique_index(database_url)
    for seq, at in ((5, "first"), (5, "second"), (5, "third"), (9, "only")):
        await insert_checkpoint_row(database_url, seq, at)
    await rerun_migration(database_url, MIGRATION)
    rows = await audit.AuditCheckpoint.select(audit.AuditCheckpoint.seq, audit.AuditCheckpoint.at).order_by(
        audit.AuditCheckpoint.seq
    )
    assert [(row["seq"], row["at"]) for row in rows] == [(5, "first"), (9, "only")]
    with pytest.raises((sqlite3.IntegrityError, asyncpg.RaiseError, Exception), match="append-only"):
        await audit.AuditCheckpoint.delete().where(audit.AuditCheckpoint.seq == 9)
    await test_the_database_refuses_a_second_checkpoint_of_a_position(database_url)
