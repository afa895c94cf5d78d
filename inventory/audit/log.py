"""Appending to, checkpointing and verifying the audit chain in the database.

Appends are serialised by the head row and made in the caller's write transaction, so an entry commits
(or rolls back) with the change it records. SQLite links the entry to the head at the append; PostgreSQL
queues it, and a deferred trigger links it as the transaction commits. Where and when each engine links,
and why: `inventory.persistence.audit_link`.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from inventory.audit.tables import AuditCheckpoint, AuditEntry, AuditHead
from inventory.audit_chain import Checkpoint, Entry, UnlinkedEntry, Verification, Verifier, sign_checkpoint
from inventory.errors import Conflict
from inventory.persistence import current_store

BATCH = 10_000

log = structlog.get_logger("inventory.audit")


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
    def public_key_pem(self) -> str:
        """The public key as a PEM ``PUBLIC KEY`` (SubjectPublicKeyInfo), as other tools read it."""
        return self.public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode()

    @property
    def fingerprint(self) -> str:
        """The SHA-256 of the raw public key (hex): what to compare with a copy kept elsewhere."""
        return hashlib.sha256(bytes.fromhex(self.public_key_hex)).hexdigest()

    @property
    def key_id(self) -> str:
        """A short fingerprint of the public key (the first 16 hex digits of `fingerprint`), stored with
        each checkpoint."""
        return self.fingerprint[:16]


DEVELOPMENT_KEYS_WARNING = (
    "The audit keys are the development keys, derived from a secret published in the source code: "
    "anyone can write entries and sign checkpoints that verify. Set AUDIT_SIGNING_KEY (and SECRET_KEY) "
    "before relying on this verification."
)

_keys_in_use: ContextVar[AuditKeys | None] = ContextVar("spareline_audit_keys", default=None)


@contextmanager
def using_keys(audit_keys: AuditKeys) -> Iterator[AuditKeys]:
    """Make ``audit_keys`` the ones `keys` returns in this context (and in tasks started in it) until the
    block ends: an application's keys, for its requests and background tasks."""
    token = _keys_in_use.set(audit_keys)
    try:
        yield audit_keys
    finally:
        _keys_in_use.reset(token)


def keys() -> AuditKeys:
    """The audit keys in use in this context (`using_keys`).

    Raises:
        RuntimeError: none are.
    """
    audit_keys = _keys_in_use.get()
    if audit_keys is None:
        raise RuntimeError("no audit keys are in use here: run this inside an application's context")
    return audit_keys


class NothingToCheckpoint(Conflict):
    """The chain is empty."""

    code = "nothing-to-checkpoint"


async def append(action: str, subject: str, payload: Mapping[str, Any], *, actor: str, at: datetime) -> None:
    """Append one entry, in the caller's write transaction (or a new one); it is linked before that
    commits, and the chain's order is the order of the commits (`inventory.persistence.audit_link`)."""
    store = current_store()
    async with store.write_transaction():
        await store.append_audit(entry(action, subject, payload, actor=actor, at=at), keys().mac_key)


def entry(
    action: str, subject: str, payload: Mapping[str, Any], *, actor: str, at: datetime
) -> UnlinkedEntry:
    """An entry to append (with a store operation that records a change and its entry together)."""
    return UnlinkedEntry.of(at=at, actor=actor, action=action, subject=subject, payload=payload)


async def link_now() -> None:
    """Link this transaction's appended entries now rather than at COMMIT, for a caller that reads their
    chain positions before it commits. The head row then stays locked until the commit, so only rare
    writes should ask for it."""
    await current_store().link_audit_now()


async def entries(after: int = 0, batch: int = BATCH, *, action_prefix: str = "") -> AsyncIterator[Entry]:
    """Every entry after ``after`` in ``seq`` order, fetched in batches; only the actions that start with
    ``action_prefix`` (e.g. ``"stock."``, without LIKE wildcards) if given."""
    store = current_store()
    while True:
        rows = await store.audit_entries(after, batch, action_prefix)
        for row in rows:
            yield row
        if len(rows) < batch:
            return
        after = rows[-1].seq


async def entries_about(subjects: Sequence[str]) -> list[Entry]:
    """The entries about any of ``subjects`` (e.g. ``"retention:7"``), in ``seq`` order: one query."""
    return await current_store().audit_entries_about(subjects)


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
    """Sign the current head and keep the signature; the head's checkpoint if it is signed already (one
    checkpoint per chain position: the unique index ``audit_checkpoint_one_per_seq``).

    Raises:
        NothingToCheckpoint: the chain is empty.
    """
    store = current_store()
    async with store.write_transaction():
        seq, digest = await store.lock_audit_head()
        if seq == 0:
            raise NothingToCheckpoint("the audit chain is empty")
        signed = await _sign(seq, digest, now)
        if signed is not None:
            return signed
    row = await AuditCheckpoint.select(*_CHECKPOINT_COLUMNS).where(AuditCheckpoint.seq == seq).first()
    return Checkpoint(**row)


_CHECKPOINT_COLUMNS = (
    AuditCheckpoint.seq,
    AuditCheckpoint.hash,
    AuditCheckpoint.at,
    AuditCheckpoint.signature,
)


async def _sign(seq: int, digest: str, now: datetime) -> Checkpoint | None:
    """Sign the head ``(seq, digest)`` and keep it, under the head row lock; None if a checkpoint of
    ``seq`` is kept already."""
    audit_keys = keys()
    checkpoint = sign_checkpoint(audit_keys.signing_key, seq, digest, now)
    if not await current_store().insert_checkpoint(checkpoint, audit_keys.key_id):
        return None
    log.info("audit_checkpoint_signed", seq=seq, hash=digest, at=checkpoint.at, key_id=audit_keys.key_id)
    return checkpoint


async def purge_linked() -> int:
    """Remove the queued entries that have been linked (PostgreSQL queues entries for linking at COMMIT;
    SQLite queues none).

    Returns:
        How many queue rows were removed.
    """
    store = current_store()
    async with store.write_transaction():
        return await store.purge_linked_audit()


async def checkpoint_if_due(
    now: datetime, *, every_entries: int = 1_000, every_seconds: float = 0
) -> Checkpoint | None:
    """Checkpoint when the chain grew by ``every_entries`` since the last checkpoint, or (when
    ``every_seconds`` is positive) when its oldest entry not yet covered by one is that old.

    Safe to run from several processes at once: whether a checkpoint is due is decided again under the
    head row lock, so a head is signed once (and the unique index on the checkpoint's position backs
    that up); each checkpoint signed is logged (``audit_checkpoint_signed``).

    Returns:
        The checkpoint signed here, or None.
    """
    store = current_store()
    head = await AuditHead.select(AuditHead.seq).where(AuditHead.id == 1).first()
    if not await _due(head["seq"], await store.last_checkpoint_seq(), now, every_entries, every_seconds):
        return None
    async with store.write_transaction():
        seq, digest = await store.lock_audit_head()
        if not await _due(seq, await store.last_checkpoint_seq(), now, every_entries, every_seconds):
            return None  # another process signed meanwhile
        return await _sign(seq, digest, now)


async def _due(seq: int, covered: int, now: datetime, every_entries: int, every_seconds: float) -> bool:
    """Whether a head at ``seq``, with checkpoints up to ``covered``, is due for a checkpoint."""
    uncovered = seq - covered
    if uncovered <= 0:
        return False
    if uncovered >= every_entries:
        return True
    if every_seconds <= 0:
        return False
    oldest = await AuditEntry.select(AuditEntry.at).where(AuditEntry.seq == covered + 1).first()
    return oldest is None or _older_than(oldest["at"], now, every_seconds)


@dataclass(frozen=True, slots=True)
class ChainStatus:
    """The audit chain at a moment: its length, its last signed checkpoint and its queue."""

    length: int
    """The head's ``seq``: how many entries the chain has."""
    checkpoint_seq: int | None
    """The ``seq`` the last signed checkpoint covers; None before the first."""
    checkpoint_age_s: float | None
    """Seconds since the last checkpoint was signed; None before the first."""
    queue_rows: int
    """Entries waiting in the PostgreSQL queue until the sweep purges them (0 on SQLite)."""

    @property
    def uncovered(self) -> int:
        """Entries after the last checkpoint: what no signed checkpoint protects yet."""
        return self.length - (self.checkpoint_seq or 0)


async def chain_status(now: datetime) -> ChainStatus:
    """The chain's length, its last checkpoint and the age of that at ``now``, and its queue: three
    short reads, no lock."""
    head = await AuditHead.select(AuditHead.seq).where(AuditHead.id == 1).first()
    last = (
        await AuditCheckpoint.select(AuditCheckpoint.seq, AuditCheckpoint.at)
        .order_by(AuditCheckpoint.seq, ascending=False)
        .first()
    )
    age = None
    if last is not None:
        try:
            age = max((now - datetime.fromisoformat(last["at"])).total_seconds(), 0.0)
        except (TypeError, ValueError):
            age = None
    return ChainStatus(
        length=head["seq"] if head else 0,
        checkpoint_seq=last["seq"] if last else None,
        checkpoint_age_s=age,
        queue_rows=await current_store().audit_queue_rows(),
    )


def _older_than(at: str, now: datetime, seconds: float) -> bool:
    """Whether the entry time ``at`` (ISO 8601) is at least ``seconds`` before ``now``; an unreadable
    time counts as old."""
    try:
        return (now - datetime.fromisoformat(at)).total_seconds() >= seconds
    except (TypeError, ValueError):
        return True


@dataclass(frozen=True, slots=True)
class KeptCheckpoint:
    """A stored checkpoint and the short fingerprint (``key_id``) of the key that signed it."""

    checkpoint: Checkpoint
    key_id: str


async def last_checkpoint() -> KeptCheckpoint | None:
    """The latest signed checkpoint (one indexed read), or None before the first."""
    row = (
        await AuditCheckpoint.select(*_CHECKPOINT_COLUMNS, AuditCheckpoint.key_id)
        .order_by(AuditCheckpoint.seq, ascending=False)
        .first()
    )
    if row is None:
        return None
    key_id = row.pop("key_id")
    return KeptCheckpoint(Checkpoint(**row), key_id)


async def first_checkpoint_covering(seq: int) -> Checkpoint | None:
    """The earliest signed checkpoint at or after entry ``seq`` (one indexed read), or None."""
    row = (
        await AuditCheckpoint.select(*_CHECKPOINT_COLUMNS)
        .where(AuditCheckpoint.seq >= seq)
        .order_by(AuditCheckpoint.seq)
        .first()
    )
    return None if row is None else Checkpoint(**row)


async def list_checkpoints() -> list[Checkpoint]:
    """Every stored checkpoint, oldest first."""
    rows = await AuditCheckpoint.select(
        AuditCheckpoint.seq, AuditCheckpoint.hash, AuditCheckpoint.at, AuditCheckpoint.signature
    ).order_by(AuditCheckpoint.seq)
    return [Checkpoint(**row) for row in rows]
