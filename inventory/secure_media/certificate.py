"""What a retention record's certificate of sanitization shows: the record, its destruction, whether it
matches the audit chain, the signed checkpoint that covers its entries, and whether the audit keys are
the development ones. The API renders it; this module decides what it says."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from inventory.audit import log as audit
from inventory.audit_chain import Checkpoint
from inventory.secure_media import service
from inventory.secure_media.chain_check import prove_record
from inventory.secure_media.proof import RecordProof
from inventory.secure_media.rules import EventType


@dataclass(frozen=True, slots=True)
class Certificate:
    record: service.RetentionView
    proof: RecordProof | None
    """The record against its chain entries; None if it was deleted while the certificate was made."""
    destruction: dict[str, Any] | None
    """The details of the latest destruction event, if any."""
    checkpoint: Checkpoint | None
    """The earliest signed checkpoint covering every chain entry of the record, if one does yet."""
    public_key: str
    """The checkpoint signing key's public half (hex)."""
    development_keys: bool
    development_warning: str
    printed_at: datetime


async def certificate_of(record_id: int, *, viewer: str | None, now: datetime) -> Certificate:
    """The certificate of a record as at ``now``.

    Raises:
        NotFound: no such record, or not the viewer's.
    """
    record = await service.get_record(record_id, viewer=viewer, now=now)
    proof = await prove_record(record_id)
    destruction = next(
        (event.details for event in reversed(record.events) if event.event == EventType.DESTRUCTION), None
    )
    last_seq = max((position.seq for position in record.audit), default=0)
    checkpoint = await audit.first_checkpoint_covering(last_seq)
    keys = audit.keys()
    return Certificate(
        record=record,
        proof=proof,
        destruction=destruction,
        checkpoint=checkpoint,
        public_key=keys.public_key_hex,
        development_keys=keys.development,
        development_warning=audit.DEVELOPMENT_KEYS_WARNING,
        printed_at=now,
    )
