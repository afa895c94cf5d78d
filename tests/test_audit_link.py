"""The audit chain's hash and MAC, computed by Python on SQLite and by SQL on PostgreSQL, agree with their
one definition (`inventory.audit_chain.entry_hash`, ``entry_mac``), and the SQL in
`inventory.persistence.audit_link` is the function the migrations install."""

from __future__ import annotations

import importlib
import re
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from inventory.audit import log as audit
from inventory.audit.tables import AuditEntry
from inventory.audit_chain import GENESIS, UnlinkedEntry
from inventory.persistence.audit_link import LINK_FUNCTION

T0 = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
LATEST_LINK_MIGRATION = "inventory.audit.piccolo_migrations.audit_2026_12_06t02_00_01_000000"
AWKWARD = [
    ("test.plain", "thing:1", {"n": 1}, "ana"),
    ("test.text", "客户:北京", {"note": 'é ü ß 数据 \u2028 line\nbreak "quoted" \\ back'}, "李雷"),
    ("test.empty", "", {}, ""),
    ("test.long", "thing:" + "x" * 190, {"blob": "y" * 20_000, "list": list(range(50))}, "bob"),
    ("test.numbers", "thing:2", {"big": 2**62, "neg": -1, "zero": 0, "bool": True, "none": None}, "eve"),
]


def body(function: str) -> str:
    """The text between ``$$`` and ``$$``, whitespace collapsed."""
    return " ".join(function.split("$$")[1].split())


def test_the_documented_function_is_the_one_the_latest_migration_installs():
    migration = importlib.import_module(LATEST_LINK_MIGRATION)
    assert body(LINK_FUNCTION) == body(migration.POSTGRES[0])


@pytest.mark.postgres
async def test_the_documented_function_is_the_one_in_the_database(postgres_url):
    connection = await asyncpg.connect(postgres_url)
    try:
        installed = await connection.fetchval(
            "SELECT prosrc FROM pg_proc WHERE proname = 'audit_link_pending'"
        )
    finally:
        await connection.close()
    assert " ".join(installed.split()) == body(LINK_FUNCTION)


async def test_each_engine_links_entries_exactly_as_the_definition_says(app):
    """SQLite computes in Python at the append, PostgreSQL in SQL at COMMIT: both give the entries that
    `UnlinkedEntry.link` gives for the same fields."""
    for n, (action, subject, payload, actor) in enumerate(AWKWARD):
        await audit.append(action, subject, payload, actor=actor, at=T0 + timedelta(seconds=n))

    stored = await AuditEntry.select().order_by(AuditEntry.seq)
    mac_key = audit.keys().mac_key
    prev_seq, prev_hash = 0, GENESIS
    for n, (row, (action, subject, payload, actor)) in enumerate(zip(stored, AWKWARD, strict=True)):
        unlinked = UnlinkedEntry.of(
            at=T0 + timedelta(seconds=n), actor=actor, action=action, subject=subject, payload=payload
        )
        expected = unlinked.link(prev_seq, prev_hash, mac_key)
        assert (row["seq"], row["prev_hash"], row["hash"], row["mac"]) == (
            expected.seq,
            expected.prev_hash,
            expected.hash,
            expected.mac,
        )
        assert re.fullmatch(r"[0-9a-f]{64}", row["hash"])
        prev_seq, prev_hash = expected.seq, expected.hash
