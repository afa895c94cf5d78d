"""A retention record against the audit chain entries about it, without a database."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from inventory.audit_chain import GENESIS, Entry, canonical_json, next_entry
from inventory.secure_media.proof import (
    CREATED,
    StoredEvent,
    StoredRecord,
    creation_payload,
    event_payload,
    prove,
    record_id_of,
    subject,
)

KEY = b"k" * 32
T0 = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
RECORD = StoredRecord(
    id=7,
    ticket=3,
    customer="PLAT",
    customer_name="PLAT Corp",
    site="BJ-DC1",
    asset_serial="SRV-PLAT-1",
    part=2,
    part_number="HDD-SAS-1T2-10K",
    failed_serial="OLD-1",
    media_type="disk",
    classification_level="secret",
    custodian="PLAT Corp, BJ-DC1",
    state="retained",
    created_at=T0,
    destruction_due=T0 + timedelta(days=30),
    created_by="dispatcher",
)
CUSTODY = {"action": "stored_at", "party": "Wang Lei", "location": "safe 2"}


class Chain:
    """Entries appended in order, linked as the service links them."""

    def __init__(self) -> None:
        self.entries: list[Entry] = []

    def add(self, action: str, payload: dict, *, actor: str, at: datetime, about: int = RECORD.id) -> Entry:
        prev = self.entries[-1] if self.entries else None
        entry = next_entry(
            prev_seq=prev.seq if prev else 0,
            prev_hash=prev.hash if prev else GENESIS,
            at=at,
            actor=actor,
            action=action,
            subject=subject(about),
            payload=payload,
            mac_key=KEY,
        )
        self.entries.append(entry)
        return entry


def written(record: StoredRecord = RECORD) -> tuple[Chain, list[StoredEvent]]:
    """A record, a custody event and a destruction event, with the entries the service writes."""
    chain = Chain()
    chain.add(CREATED, creation_payload(record, due_days=30), actor=record.created_by, at=record.created_at)
    events = []
    for event_id, (kind, details, to) in enumerate(
        (("custody", CUSTODY, "retained"), ("destruction", {"method": "destroy"}, "destruction_recorded")),
        start=11,
    ):
        at = T0 + timedelta(hours=event_id)
        events.append(StoredEvent(event_id, kind, canonical_json(details), "wh", "warehouse", at))
        payload = event_payload(event_id, details, from_state="retained", to_state=to, role="warehouse")
        chain.add(f"retention.{kind}", payload, actor="wh", at=at)
    return chain, events


def test_a_record_written_by_the_service_matches_its_entries():
    chain, events = written()
    proof = prove(replace(RECORD, state="destruction_recorded"), events, chain.entries, KEY)
    assert (proof.matches, proof.differences, proof.partly_covered) == (True, (), False)


def test_the_creation_payload_carries_every_printed_field():
    payload = creation_payload(RECORD, due_days=30)
    for name in (
        "ticket",
        "customer",
        "customer_name",
        "site",
        "asset_serial",
        "part_number",
        "failed_serial",
        "media_type",
        "classification_level",
        "custodian",
        "destruction_due",
    ):
        assert payload[name] == getattr(RECORD, name), name
    assert (payload["v"], payload["custody"], payload["depot"]) == (3, "customer", None)


def test_a_changed_record_field_is_named_with_both_values():
    chain, events = written()
    forged = replace(RECORD, state="destruction_recorded", custodian="Mallory, nowhere")
    proof = prove(forged, events, chain.entries, KEY)
    assert proof.differences == (
        "custodian: the record says 'Mallory, nowhere', "
        "the audit chain (entry 1) recorded 'PLAT Corp, BJ-DC1'",
    )


def test_a_changed_event_detail_is_named():
    chain, events = written()
    events[0] = replace(events[0], details=canonical_json({**CUSTODY, "party": "Forged Name"}))
    proof = prove(replace(RECORD, state="destruction_recorded"), events, chain.entries, KEY)
    assert len(proof.differences) == 1
    assert proof.differences[0].startswith("event 11 (custody), party: the record says 'Forged Name'")
    assert "'Wang Lei'" in proof.differences[0]


def test_a_changed_state_is_named():
    chain, events = written()
    proof = prove(replace(RECORD, state="closed"), events, chain.entries, KEY)
    assert proof.differences == (
        "state: the record says 'closed', the audit chain says 'destruction_recorded'",
    )


def test_missing_entries_show_as_a_record_without_its_entries():
    chain, events = written()
    record = replace(RECORD, state="destruction_recorded")
    without_last = prove(record, events, chain.entries[:-1], KEY)
    assert any("event 12 (destruction" in d and "not recorded" in d for d in without_last.differences)
    nothing = prove(record, events, [], KEY)
    assert "the audit chain has no entry recording the creation of this record" in nothing.differences
    assert sum("not recorded in the audit chain" in d for d in nothing.differences) == 2


def test_an_event_the_record_lacks_is_named():
    chain, events = written()
    proof = prove(replace(RECORD, state="destruction_recorded"), events[:1], chain.entries, KEY)
    assert any(
        "entry 3" in d and "destruction event (event 12) that the record does not have" in d
        for d in proof.differences
    )


def test_an_altered_entry_is_named():
    chain, events = written()
    first = chain.entries[0]
    payload = json.loads(first.payload) | {"custodian": "Mallory, nowhere"}
    chain.entries[0] = replace(first, payload=canonical_json(payload))
    forged = replace(RECORD, state="destruction_recorded", custodian="Mallory, nowhere")
    proof = prove(forged, events, chain.entries, KEY)
    assert proof.differences == ("audit entry 1 is not intact: the entry's content does not match its hash",)


def test_older_payloads_are_checked_on_what_they_carry():
    chain = Chain()
    v1 = {"ticket": 3, "part": 2, "failed_serial": "OLD-1", "due_days": 30}
    chain.add(CREATED, v1, actor="dispatcher", at=T0)
    event = StoredEvent(11, "custody", canonical_json(CUSTODY), "wh", "warehouse", T0 + timedelta(hours=1))
    v1_event = {"details": CUSTODY, "from": "retained", "to": "retained", "role": "warehouse"}
    chain.add("retention.custody", v1_event, actor="wh", at=event.recorded_at)
    proof = prove(RECORD, [event], chain.entries, KEY)
    assert (proof.matches, proof.partly_covered) == (True, True)
    forged = prove(replace(RECORD, failed_serial="OTHER"), [event], chain.entries, KEY)
    assert forged.differences == (
        "serial number: the record says 'OTHER', the audit chain (entry 1) recorded 'OLD-1'",
    )
    later_due = prove(replace(RECORD, destruction_due=T0 + timedelta(days=300)), [event], chain.entries, KEY)
    assert len(later_due.differences) == 1
    assert later_due.differences[0].startswith("destruction due:")
    renamed = replace(event, actor="someone else")
    assert (
        prove(RECORD, [renamed], chain.entries, KEY)
        .differences[0]
        .startswith("event 11 (custody), recorded by: the record says 'someone else'")
    )


def test_subjects_name_records():
    assert (subject(42), record_id_of("retention:42"), record_id_of("ticket:42")) == (
        "retention:42",
        42,
        None,
    )
