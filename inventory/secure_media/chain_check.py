"""Retention records checked against the audit chain, and the whole audit verification built on it.

Records are read in batches in id order, each batch with its events and its chain entries (three
queries a batch), so that millions of records and entries need neither one query per record nor memory
for all of them. A record that differs is read once more before it is reported: an event committed
between the queries of its batch would otherwise show as a difference.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from piccolo.custom_types import Combinable

from inventory.audit import log as audit
from inventory.audit_chain import Checkpoint, Entry, Verification
from inventory.persistence import current_store
from inventory.secure_media.proof import (
    CREATED,
    EVENT_PREFIX,
    RecordProof,
    StoredEvent,
    StoredRecord,
    prove,
    record_id_of,
    subject,
)
from inventory.secure_media.rules import EventType
from inventory.secure_media.tables import RetentionEvent, RetentionRecord

BATCH = 500
MISMATCH_LIMIT = 1_000
_ACTIONS = (CREATED, *(f"{EVENT_PREFIX}{event.value}" for event in EventType))


@dataclass(frozen=True, slots=True)
class RecordsCheck:
    """Every retention record compared with its chain entries.

    ``mismatched`` lists the first ``MISMATCH_LIMIT`` records that differ (by id), ``mismatched_total``
    counts them all; ``partly_covered`` counts records whose creation entry predates the payloads that
    carry every printed field.
    """

    records_checked: int
    partly_covered: int
    mismatched: tuple[RecordProof, ...]
    mismatched_total: int


@dataclass(frozen=True, slots=True)
class AuditVerification:
    """The chain itself, the retention records against it, and whether the keys are the development ones."""

    chain: Verification
    records: RecordsCheck
    development_keys: bool

    @property
    def valid(self) -> bool:
        return self.chain.valid and self.records.mismatched_total == 0


async def verify_audit(extra_checkpoints: Sequence[Checkpoint] = ()) -> AuditVerification:
    """Walk the chain (with any exported checkpoints), then check every retention record against it."""
    chain = await audit.verify_chain(extra_checkpoints)
    records = await check_records()
    return AuditVerification(chain, records, audit.keys().development)


async def prove_record(record_id: int) -> RecordProof | None:
    """One record against its chain entries (for its certificate); None if there is no such record."""
    proofs = await _prove_batch(RetentionRecord.id == record_id)
    return proofs[0] if proofs else None


async def check_records(*, limit: int = MISMATCH_LIMIT, batch: int = BATCH) -> RecordsCheck:
    """Every record against its chain entries, and every chain entry about a record that is not stored."""
    checked = partly = total = 0
    mismatched: list[RecordProof] = []
    after = 0
    while True:
        proofs = await _prove_batch(RetentionRecord.id > after, limit=batch)
        for proof in proofs:
            checked += 1
            partly += proof.partly_covered
            if not proof.matches:
                total += 1
                if len(mismatched) < limit:
                    mismatched.append(proof)
        if len(proofs) < batch:
            break
        after = proofs[-1].record_id
    for record_id in await _recorded_but_not_stored():
        total += 1
        if len(mismatched) < limit:
            mismatched.append(
                RecordProof(
                    record_id,
                    (f"the audit chain records retention record {record_id}, which is not in the database",),
                )
            )
    return RecordsCheck(checked, partly, tuple(mismatched), total)


def _records_query():
    return RetentionRecord.select(
        RetentionRecord.id,
        RetentionRecord.ticket,
        RetentionRecord.customer.code.as_alias("customer"),
        RetentionRecord.customer.name.as_alias("customer_name"),
        RetentionRecord.site.code.as_alias("site"),
        RetentionRecord.asset.serial.as_alias("asset_serial"),
        RetentionRecord.part,
        RetentionRecord.part.part_number.as_alias("part_number"),
        RetentionRecord.failed_serial,
        RetentionRecord.media_type,
        RetentionRecord.classification_level,
        RetentionRecord.custodian,
        RetentionRecord.state,
        RetentionRecord.created_at,
        RetentionRecord.destruction_due,
        RetentionRecord.created_by,
        RetentionRecord.custody,
        RetentionRecord.depot.code.as_alias("depot"),
    ).order_by(RetentionRecord.id)


async def _prove_batch(condition: Combinable, *, limit: int | None = None) -> list[RecordProof]:
    """The records meeting ``condition`` (the first ``limit``), each against its entries; those that differ
    are read and compared again, and the second answer stands."""
    proofs = await _prove(condition, limit)
    differing = [proof.record_id for proof in proofs if not proof.matches]
    if differing:
        again = {proof.record_id: proof for proof in await _prove(RetentionRecord.id.is_in(differing), None)}
        proofs = [again.get(proof.record_id, proof) for proof in proofs]
    return proofs


async def _prove(condition: Combinable, limit: int | None) -> list[RecordProof]:
    query = _records_query().where(condition)
    if limit is not None:
        query = query.limit(limit)
    records = [StoredRecord(**row) for row in await query]
    if not records:
        return []
    ids = [record.id for record in records]
    events: dict[int, list[StoredEvent]] = defaultdict(list)
    rows = (
        await RetentionEvent.select(
            RetentionEvent.id,
            RetentionEvent.record,
            RetentionEvent.event,
            RetentionEvent.details,
            RetentionEvent.actor,
            RetentionEvent.actor_role,
            RetentionEvent.recorded_at,
        )
        .where(RetentionEvent.record.is_in(ids))
        .order_by(RetentionEvent.id)
    )
    for row in rows:
        events[row.pop("record")].append(StoredEvent(**row))
    entries: dict[int, list[Entry]] = defaultdict(list)
    for entry in await audit.entries_about([subject(record_id) for record_id in ids]):
        record_id = record_id_of(entry.subject)
        if record_id is not None:
            entries[record_id].append(entry)
    mac_key = audit.keys().mac_key
    return [prove(record, events[record.id], entries[record.id], mac_key) for record in records]


async def _recorded_but_not_stored() -> list[int]:
    """Ids of records that retention entries of the chain are about but that are not stored."""
    subjects = await current_store().retention_subjects_not_stored(_ACTIONS)
    ids = (record_id_of(subject) for subject in subjects)
    return sorted(record_id for record_id in ids if record_id is not None)
