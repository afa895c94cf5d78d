"""Hash chain arithmetic for the audit log. Plain Python (and the ``cryptography`` package).

Every entry commits to the one before it::

    hash(n) = SHA-256( "spareline-audit-v1" NUL seq NUL prev_hash NUL at NUL actor NUL action NUL subject
                       NUL canonical_json(payload) )

so changing, removing, inserting or reordering an entry breaks every link after it. Two keys that never
live in the database make a *recomputed* chain detectable as well:

* each entry carries ``mac = HMAC-SHA256(mac_key, hash)``; without the key nobody can write an entry
  that verifies, so a rewritten tail fails at its first rewritten entry;
* signed checkpoints (Ed25519) of ``(seq, hash)`` can be exported and kept elsewhere; the public key
  verifies them, so even a holder of the MAC key cannot rewrite history before an exported checkpoint.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

GENESIS = "0" * 64
DOMAIN = "spareline-audit-v1"


def canonical_json(payload: Mapping[str, Any]) -> str:
    """JSON with sorted keys, no insignificant whitespace, UTF-8; datetimes as ISO 8601, decimals as text.

    Raises:
        TypeError: a value that has no canonical form (e.g. a float NaN or an arbitrary object).
    """
    return json.dumps(
        _plain(payload), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def _plain(value: Any) -> Any:
    # Exact type checks first: the common plain values skip the slower ABC ``isinstance`` checks.
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if kind is dict or isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if kind is list or isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise TypeError("audit timestamps must be timezone-aware")
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if hasattr(value, "value") and isinstance(value.value, str):  # enums
        return value.value
    raise TypeError(f"no canonical JSON form for {type(value).__name__}")


@dataclass(frozen=True, slots=True)
class Entry:
    """One audit log entry as stored."""

    seq: int
    at: str
    actor: str
    action: str
    subject: str
    payload: str
    prev_hash: str
    hash: str
    mac: str


def entry_hash(seq: int, prev_hash: str, at: str, actor: str, action: str, subject: str, payload: str) -> str:
    """The SHA-256 (hex) an entry commits to."""
    message = "\x00".join((DOMAIN, str(seq), prev_hash, at, actor, action, subject, payload))
    return hashlib.sha256(message.encode()).hexdigest()


def entry_mac(mac_key: bytes, digest: str) -> str:
    """The keyed MAC of an entry's hash (hex)."""
    return hmac.new(mac_key, digest.encode(), hashlib.sha256).hexdigest()


@cache
def hmac_pads(mac_key: bytes) -> tuple[bytes, bytes]:
    """The inner and outer padded keys of HMAC-SHA256 (RFC 2104), so that a database with only SHA-256
    can compute `entry_mac`: ``sha256(outer || sha256(inner || message))``."""
    if len(mac_key) > SHA256_BLOCK:
        mac_key = hashlib.sha256(mac_key).digest()
    padded = mac_key.ljust(SHA256_BLOCK, b"\x00")
    return bytes(b ^ 0x36 for b in padded), bytes(b ^ 0x5C for b in padded)


SHA256_BLOCK = 64


@dataclass(frozen=True, slots=True)
class UnlinkedEntry:
    """An entry before it is linked: everything but its place in the chain, which only the head gives."""

    at: str
    actor: str
    action: str
    subject: str
    payload: str

    @classmethod
    def of(
        cls, *, at: datetime, actor: str, action: str, subject: str, payload: Mapping[str, Any]
    ) -> UnlinkedEntry:
        return cls(at.isoformat(), actor, action, subject, canonical_json(payload))

    def link(self, prev_seq: int, prev_hash: str, mac_key: bytes) -> Entry:
        """The entry placed after ``(prev_seq, prev_hash)``."""
        seq = prev_seq + 1
        digest = entry_hash(seq, prev_hash, self.at, self.actor, self.action, self.subject, self.payload)
        return Entry(
            seq,
            self.at,
            self.actor,
            self.action,
            self.subject,
            self.payload,
            prev_hash,
            digest,
            entry_mac(mac_key, digest),
        )


def next_entry(
    *,
    prev_seq: int,
    prev_hash: str,
    at: datetime,
    actor: str,
    action: str,
    subject: str,
    payload: Mapping[str, Any],
    mac_key: bytes,
) -> Entry:
    """The entry that follows ``(prev_seq, prev_hash)``; at the start they are 0 and `GENESIS`."""
    unlinked = UnlinkedEntry.of(at=at, actor=actor, action=action, subject=subject, payload=payload)
    return unlinked.link(prev_seq, prev_hash, mac_key)


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A signed statement that the chain's entry ``seq`` had hash ``hash`` at ``at``."""

    seq: int
    hash: str
    at: str
    signature: str

    def message(self) -> bytes:
        return f"{DOMAIN}:checkpoint:{self.seq}:{self.hash}:{self.at}".encode()


def sign_checkpoint(key: Ed25519PrivateKey, seq: int, digest: str, at: datetime) -> Checkpoint:
    """Sign the chain head ``(seq, digest)``."""
    unsigned = Checkpoint(seq, digest, at.isoformat(), "")
    return Checkpoint(seq, digest, unsigned.at, key.sign(unsigned.message()).hex())


def checkpoint_is_authentic(public_key: Ed25519PublicKey, checkpoint: Checkpoint) -> bool:
    """Whether the checkpoint was signed by the holder of the private key."""
    try:
        public_key.verify(bytes.fromhex(checkpoint.signature), checkpoint.message())
    except (InvalidSignature, ValueError):
        return False
    return True


def entry_problem(entry: Entry, mac_key: bytes) -> str | None:
    """What is wrong with one entry on its own (its hash or its MAC), or None; links need the chain."""
    digest = entry_hash(
        entry.seq, entry.prev_hash, entry.at, entry.actor, entry.action, entry.subject, entry.payload
    )
    if digest != entry.hash:
        return "the entry's content does not match its hash"
    if not hmac.compare_digest(entry_mac(mac_key, entry.hash), entry.mac):
        return "the entry's MAC is wrong (written without the audit key)"
    return None


def payload_version(payload: Mapping[str, Any]) -> int:
    """The shape version of a payload: its ``"v"`` member, or 1 for payloads written before versions."""
    version = payload.get("v", 1)
    return version if type(version) is int else 1


@dataclass(frozen=True, slots=True)
class Verification:
    """The outcome of walking the chain: valid, or the first sequence number that is not."""

    valid: bool
    length: int
    head: str
    first_bad_seq: int | None
    reason: str | None
    checkpoints_checked: int = 0


class Verifier:
    """Walks entries in ``seq`` order, one at a time, so that millions of entries need no memory."""

    def __init__(
        self, mac_key: bytes, public_key: Ed25519PublicKey, checkpoints: Iterable[Checkpoint] = ()
    ) -> None:
        self._mac_key = mac_key
        self._public_key = public_key
        self._checkpoints: dict[int, list[Checkpoint]] = {}
        for checkpoint in checkpoints:
            self._checkpoints.setdefault(checkpoint.seq, []).append(checkpoint)
        self._expected_seq = 1
        self._prev_hash = GENESIS
        self._length = 0
        self._failure: tuple[int, str] | None = None
        self._checked = 0

    def feed(self, entry: Entry) -> bool:
        """Check the next entry; returns False (and stops checking) at the first bad one."""
        if self._failure is not None:
            return False
        problem = self._problem(entry)
        if problem is not None:
            self._failure = (
                min(entry.seq, self._expected_seq) if entry.seq > 0 else self._expected_seq,
                problem,
            )
            return False
        self._expected_seq += 1
        self._prev_hash = entry.hash
        self._length += 1
        return True

    def _problem(self, entry: Entry) -> str | None:
        if entry.seq != self._expected_seq:
            return f"expected entry {self._expected_seq}, found {entry.seq} (missing or out of place)"
        if entry.prev_hash != self._prev_hash:
            return "the entry does not link to the one before it"
        problem = entry_problem(entry, self._mac_key)
        if problem is not None:
            return problem
        for checkpoint in self._checkpoints.get(entry.seq, []):
            if not checkpoint_is_authentic(self._public_key, checkpoint):
                return f"the checkpoint at entry {entry.seq} has an invalid signature"
            if checkpoint.hash != entry.hash:
                return f"the entry differs from the signed checkpoint at entry {entry.seq}"
            self._checked += 1
        return None

    def result(self) -> Verification:
        """The verdict, once every entry has been fed."""
        if self._failure is None:
            beyond = [seq for seq in self._checkpoints if seq > self._length]
            if beyond:
                self._failure = (
                    self._length + 1,
                    f"a signed checkpoint covers entry {min(beyond)} but the chain ends at {self._length}",
                )
        if self._failure is not None:
            seq, reason = self._failure
            return Verification(False, self._length, self._prev_hash, seq, reason, self._checked)
        return Verification(True, self._length, self._prev_hash, None, None, self._checked)


def verify(
    entries: Iterable[Entry],
    mac_key: bytes,
    public_key: Ed25519PublicKey,
    checkpoints: Sequence[Checkpoint] = (),
) -> Verification:
    """Walk the whole chain: contiguous sequence numbers, links, hashes, MACs and checkpoints."""
    verifier = Verifier(mac_key, public_key, checkpoints)
    for entry in entries:
        if not verifier.feed(entry):
            break
    return verifier.result()


__all__ = [
    "GENESIS",
    "Checkpoint",
    "Entry",
    "UnlinkedEntry",
    "Verification",
    "Verifier",
    "canonical_json",
    "checkpoint_is_authentic",
    "entry_hash",
    "entry_mac",
    "entry_problem",
    "hmac_pads",
    "next_entry",
    "payload_version",
    "sign_checkpoint",
    "verify",
]
