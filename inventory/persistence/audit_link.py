"""Linking an audit entry: its hash and MAC, which engine computes them, where, and why.

**The definition.** An entry placed after ``(prev_seq, prev_hash)`` gets ``seq = prev_seq + 1`` and::

    hash = hex(SHA-256( "spareline-audit-v1" NUL seq NUL prev_hash NUL at NUL actor NUL action NUL subject
                        NUL payload ))                  (every field as UTF-8 text, seq in decimal)
    mac  = hex(HMAC-SHA256(mac_key, hash))              = hex(SHA-256(outer || SHA-256(inner || hash)))

where ``inner`` and ``outer`` are the MAC key's padded halves (RFC 2104, `hmac_pads`). The Python form,
which verification uses on both engines, is `inventory.audit_chain.entry_hash` and ``entry_mac``.

**SQLite: Python, at the append** (`link_in_python`). Its writers are serialised already (``BEGIN
IMMEDIATE``), so the append reads the head under the write lock, links the entry with
`inventory.audit_chain.UnlinkedEntry.link`, inserts it and moves the head: three statements that cost
microseconds on the writer connection.

**PostgreSQL: SQL, at COMMIT** (`LINK_FUNCTION`, run by the deferred constraint trigger
``audit_pending_link``). Writers run concurrently there, and linking in Python would hold the head row's
lock across round trips to the service. Instead the append queues the entry in ``audit_pending``
(`inventory.persistence.postgres`), and the trigger links it as the transaction commits, in one
statement: the head row is locked only while the transaction commits, and the chain's order is the
order of the commits. The MAC key never reaches a table: the append hands the trigger its padded halves
as transaction-local settings (`mac_settings`).

``tests/test_audit_link.py`` proves that the two computations agree, and that `LINK_FUNCTION` is the
function the migrations install.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import fields
from typing import Any

from inventory.audit_chain import Entry, UnlinkedEntry, hmac_pads

Execute = Callable[..., Awaitable[Sequence[Mapping[str, Any]]]]
"""Runs one statement (``{}`` placeholders) with its arguments in the open write transaction."""

ENTRY_COLUMNS = tuple(field.name for field in fields(Entry))
_INSERT_ENTRY = (
    f"INSERT INTO audit_entry ({', '.join(ENTRY_COLUMNS)}) VALUES ({', '.join(['{}'] * len(ENTRY_COLUMNS))})"
)


async def link_in_python(execute: Execute, entry: UnlinkedEntry, mac_key: bytes) -> Entry:
    """SQLite: link ``entry`` to the head, store it and move the head, in the open write transaction
    (whose ``BEGIN IMMEDIATE`` makes the plain read of the head a read under lock)."""
    head = (await execute("SELECT seq, hash FROM audit_head WHERE id = 1"))[0]
    linked = entry.link(head["seq"], head["hash"], mac_key)
    await execute(_INSERT_ENTRY, *(getattr(linked, column) for column in ENTRY_COLUMNS))
    await execute(
        "UPDATE audit_head SET seq = {}, hash = {}, prev_hash = hash WHERE id = 1", linked.seq, linked.hash
    )
    return linked


def mac_settings(mac_key: bytes) -> tuple[str, str]:
    """PostgreSQL: the values of ``spareline.audit_mac_inner`` and ``spareline.audit_mac_outer`` that the
    append sets for its transaction alone, from which `LINK_FUNCTION` computes the MAC."""
    inner, outer = hmac_pads(mac_key)
    return inner.hex(), outer.hex()


LINK_FUNCTION = r"""
CREATE OR REPLACE FUNCTION audit_link_pending() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    nul CONSTANT BYTEA := '\x00'::bytea;
BEGIN
    WITH moved AS (
        UPDATE audit_head SET prev_hash = hash, seq = seq + 1, hash = encode(sha256(
            convert_to('spareline-audit-v1', 'UTF8') || nul || convert_to((seq + 1)::text, 'UTF8')
            || nul || convert_to(hash, 'UTF8') || nul || convert_to(NEW.at, 'UTF8')
            || nul || convert_to(NEW.actor, 'UTF8') || nul || convert_to(NEW.action, 'UTF8')
            || nul || convert_to(NEW.subject, 'UTF8') || nul || convert_to(NEW.payload, 'UTF8')
        ), 'hex')
        WHERE id = 1
        RETURNING seq, prev_hash, hash
    )
    INSERT INTO audit_entry (seq, at, actor, action, subject, payload, prev_hash, hash, mac)
    SELECT seq, NEW.at, NEW.actor, NEW.action, NEW.subject, NEW.payload, prev_hash, hash,
        encode(sha256(
            decode(current_setting('spareline.audit_mac_outer'), 'hex')
            || sha256(decode(current_setting('spareline.audit_mac_inner'), 'hex')
                      || convert_to(hash, 'UTF8'))
        ), 'hex')
    FROM moved;
    RETURN NULL;
END $$
"""
"""PostgreSQL: the trigger function that links a queued entry at COMMIT, as the audit migration of
6 December installs it (migrations are frozen; a change to it is a new migration and a change here)."""
