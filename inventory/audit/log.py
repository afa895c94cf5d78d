"""Appending to, checkpointing and verifying the audit chain in the database.

Appends are serialised by the head row: linking an entry takes its lock, links to the head, inserts the
entry and moves the head, all inside the caller's write transaction, so the entry commits (or rolls
back) with the change it records. SQLite links at the append (``BEGIN IMMEDIATE`` already serialises its
writers); PostgreSQL links at COMMIT, in a deferred trigger, so that the head row is locked only while
the transaction commits.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from inventory.audit.chain import (
    Checkpoint,
    Entry,
    UnlinkedEntry,
    Verification,
    Verifier,
    hmac_pads,
    sign_checkpoint,
)
from inventory.audit.tables import AuditCheckpoint, AuditEntry, AuditHead
from inventory.errors import Conflict
from inventory.persistence import (
    commit_mode_releasing_locks_early,
    current_engine,
    engine_kind,
    placeholders,
    run,
    write_transaction,
)

BATCH = 10_000


@dataclass(frozen=True, slots=True)
class AuditKeys:
    """The signing key for checkpoints and the MAC key for entries; neither is stored in the database.

    ``development`` keys come from a secret published in the source code: anyone can forge with them.
    """

    signing_key: Ed25519PrivateKey
    mac_key: bytes
    development: bool = False

    @classmethod
    def from_seed(cls, seed: bytes, *, development: bool = False) -> AuditKeys:
        """Both keys from one 32-byte secret seed."""
        if len(seed) != 32:
            raise ValueError("the audit key seed must be 32 bytes")
        return cls(
            Ed25519PrivateKey.from_private_bytes(seed),
            hashlib.sha256(b"spareline-audit-mac" + seed).digest(),
            development,
        )

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.signing_key.public_key()

    @property
    def public_key_hex(self) -> str:
        raw = self.public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return raw.hex()

    @property
    def key_id(self) -> str:
        """A short fingerprint of the public key, stored with each checkpoint."""
        return hashlib.sha256(bytes.fromhex(self.public_key_hex)).hexdigest()[:16]


DEVELOPMENT_KEYS_WARNING = (
    "The audit keys are the development keys, derived from a secret published in the source code: "
    "anyone can write entries and sign checkpoints that verify. Set AUDIT_SIGNING_KEY (and SECRET_KEY) "
    "before relying on this verification."
)

_keys: AuditKeys | None = None


def configure_keys(keys: AuditKeys) -> None:
    """Set the service's audit keys (from settings, at start-up)."""
    global _keys  # noqa: PLW0603
    _keys = keys


def keys() -> AuditKeys:
    """The configured audit keys.

    Raises:
        RuntimeError: none were configured.
    """
    if _keys is None:
        raise RuntimeError("audit keys are not configured")
    return _keys


class NothingToCheckpoint(Conflict):
    """The chain is empty."""

    code = "nothing-to-checkpoint"


_ENTRY_COLUMNS = tuple(field.name for field in fields(Entry))
_INSERT_ENTRY = (
    f"INSERT INTO audit_entry ({', '.join(_ENTRY_COLUMNS)}) "  # noqa: S608 (column names, not input)
    f"VALUES ({placeholders(len(_ENTRY_COLUMNS))})"
)
POSTGRES_QUEUE_CTE = """
WITH settings AS (
    SELECT set_config('spareline.audit_mac_inner', {}, true) AS inner_pad,
        set_config('spareline.audit_mac_outer', {}, true) AS outer_pad,
        set_config('synchronous_commit', {}, true) AS commit_mode
), queued AS (
    INSERT INTO audit_pending (at, actor, action, subject, payload)
    SELECT {}, {}, {}, {}, {} FROM settings
)
"""
"""PostgreSQL: queue the entry for the deferred trigger that links it at COMMIT (see the audit migration
of 25 November), give that trigger the MAC key's padded halves for this transaction only, and let the
transaction release the head row as soon as it commits
(`inventory.persistence.commit_mode_releasing_locks_early`). The statement it prefixes runs with it."""

Statement = tuple[str, Sequence[object]]
"""A statement for `inventory.persistence.run`: its text with ``{}`` placeholders, and its arguments."""


async def append(
    action: str,
    subject: str,
    payload: Mapping[str, Any],
    *,
    actor: str,
    at: datetime,
    alongside: Statement | None = None,
    before: Statement | None = None,
) -> None:
    """Append one entry, in the caller's transaction (or a new one); it is linked as that commits.

    SQLite links it here, under the head row (its writers are serialised already). PostgreSQL links it
    at COMMIT, in a deferred trigger, so that appends are serialised only for the commit itself; entries
    of one transaction keep their order, and the chain's order is the order of the commits.

    ``alongside``, a statement that writes the change the entry records (not itself starting with
    ``WITH``), runs first in the same transaction; on PostgreSQL in the same statement as the append,
    which saves a round trip. ``before`` (PostgreSQL only) adds data-modifying common table expressions
    (``name AS (INSERT ...)``, comma-separated) to that statement.

    Raises:
        ValueError: ``before`` on SQLite, or without ``alongside``.
    """
    unlinked = UnlinkedEntry.of(at=at, actor=actor, action=action, subject=subject, payload=payload)
    mac_key = keys().mac_key
    async with write_transaction():
        postgresql = engine_kind(current_engine()) == "postgresql"
        if before is not None and (alongside is None or not postgresql):
            raise ValueError("before needs alongside, on PostgreSQL")
        if postgresql:
            inner, outer = hmac_pads(mac_key)
            sql, args = alongside if alongside is not None else ("SELECT 1", ())
            if before is not None:
                sql, args = f", {before[0]} {sql}", (*before[1], *args)
            await run(
                POSTGRES_QUEUE_CTE + sql,
                inner.hex(),
                outer.hex(),
                commit_mode_releasing_locks_early(),
                unlinked.at,
                unlinked.actor,
                unlinked.action,
                unlinked.subject,
                unlinked.payload,
                *args,
            )
            return
        if alongside is not None:
            await run(alongside[0], *alongside[1])
        # BEGIN IMMEDIATE already admits one writer at a time: a plain read of the head is under lock.
        head = await run("SELECT seq, hash FROM audit_head WHERE id = 1")
        entry = unlinked.link(head[0]["seq"], head[0]["hash"], mac_key)
        await run(_INSERT_ENTRY, *(getattr(entry, column) for column in _ENTRY_COLUMNS))
        await run(
            "UPDATE audit_head SET seq = {}, hash = {}, prev_hash = hash WHERE id = 1", entry.seq, entry.hash
        )


async def link_now() -> None:
    """Link this transaction's appended entries now rather than at COMMIT, for a caller that reads their
    chain positions before it commits (PostgreSQL; SQLite links at the append). The head row then stays
    locked until the commit, so only rare writes should ask for it."""
    if engine_kind(current_engine()) == "postgresql":
        await run("SET CONSTRAINTS audit_pending_link IMMEDIATE")


_COLUMNS = ", ".join(_ENTRY_COLUMNS)


async def entries(after: int = 0, batch: int = BATCH, *, action_prefix: str = "") -> AsyncIterator[Entry]:
    """Every entry after ``after`` in ``seq`` order, fetched in batches; only the actions that start with
    ``action_prefix`` (e.g. ``"stock."``, without LIKE wildcards) if given."""
    if "_" in action_prefix or "%" in action_prefix:
        raise ValueError("action_prefix must not contain LIKE wildcards")
    only = " AND action LIKE {}" if action_prefix else ""
    pattern = (f"{action_prefix}%",) if action_prefix else ()
    while True:
        rows = await AuditEntry.raw(
            f"SELECT {_COLUMNS} FROM audit_entry WHERE seq > {{}}{only} "  # noqa: S608
            f"ORDER BY seq LIMIT {int(batch)}",
            after,
            *pattern,
        )
        for row in rows:
            yield Entry(**row)
        if len(rows) < batch:
            return
        after = rows[-1]["seq"]


async def entries_about(subjects: Sequence[str]) -> list[Entry]:
    """The entries about any of ``subjects`` (e.g. ``"retention:7"``), in ``seq`` order: one query."""
    if not subjects:
        return []
    rows = await AuditEntry.raw(
        f"SELECT {_COLUMNS} FROM audit_entry "  # noqa: S608 (column names and placeholders, not input)
        f"WHERE subject IN ({placeholders(len(subjects))}) ORDER BY seq",
        *subjects,
    )
    return [Entry(**row) for row in rows]


async def verify_chain(extra_checkpoints: Sequence[Checkpoint] = ()) -> Verification:
    """Walk the stored chain against the stored checkpoints and any supplied from outside (an export)."""
    audit_keys = keys()
    verifier = Verifier(
        audit_keys.mac_key, audit_keys.public_key, [*await list_checkpoints(), *extra_checkpoints]
    )
    async for entry in entries():
        if not verifier.feed(entry):
            break
    return verifier.result()


async def create_checkpoint(now: datetime) -> Checkpoint:
    """Sign the current head and keep the signature.

    Raises:
        NothingToCheckpoint: the chain is empty.
    """
    async with write_transaction():
        head = await AuditHead.raw("UPDATE audit_head SET seq = seq WHERE id = 1 RETURNING seq, hash")
        if head[0]["seq"] == 0:
            raise NothingToCheckpoint("the audit chain is empty")
        audit_keys = keys()
        checkpoint = sign_checkpoint(audit_keys.signing_key, head[0]["seq"], head[0]["hash"], now)
        await AuditCheckpoint.insert(AuditCheckpoint(**asdict(checkpoint), key_id=audit_keys.key_id))
    return checkpoint


async def purge_linked() -> int:
    """Remove the queued entries that have been linked (PostgreSQL; SQLite queues nothing).

    Every queue row that committed was linked before its transaction committed, and rows of transactions
    still open are not visible here, so this removes exactly the linked ones.

    Returns:
        How many queue rows were removed.
    """
    if engine_kind(current_engine()) != "postgresql":
        return 0
    async with write_transaction():
        rows = await run(
            "WITH purged AS (DELETE FROM audit_pending RETURNING 1) SELECT count(*) AS n FROM purged"
        )
    return rows[0]["n"]


async def checkpoint_if_due(
    now: datetime, *, every_entries: int = 1_000, every_seconds: float = 0
) -> Checkpoint | None:
    """Checkpoint when the chain grew by ``every_entries`` since the last checkpoint, or (when
    ``every_seconds`` is positive) when its oldest entry not yet covered by one is that old."""
    head = await AuditHead.select(AuditHead.seq).where(AuditHead.id == 1).first()
    last = (
        await AuditCheckpoint.select(AuditCheckpoint.seq)
        .order_by(AuditCheckpoint.seq, ascending=False)
        .first()
    )
    covered = last["seq"] if last else 0
    uncovered = head["seq"] - covered
    if uncovered <= 0:
        return None
    if uncovered < every_entries:
        if every_seconds <= 0:
            return None
        oldest = await AuditEntry.select(AuditEntry.at).where(AuditEntry.seq == covered + 1).first()
        if oldest is not None and not _older_than(oldest["at"], now, every_seconds):
            return None
    return await create_checkpoint(now)


def _older_than(at: str, now: datetime, seconds: float) -> bool:
    """Whether the entry time ``at`` (ISO 8601) is at least ``seconds`` before ``now``; an unreadable
    time counts as old."""
    try:
        return (now - datetime.fromisoformat(at)).total_seconds() >= seconds
    except (TypeError, ValueError):
        return True


async def list_checkpoints() -> list[Checkpoint]:
    """Every stored checkpoint, oldest first."""
    rows = await AuditCheckpoint.select(
        AuditCheckpoint.seq, AuditCheckpoint.hash, AuditCheckpoint.at, AuditCheckpoint.signature
    ).order_by(AuditCheckpoint.seq)
    return [Checkpoint(**row) for row in rows]
