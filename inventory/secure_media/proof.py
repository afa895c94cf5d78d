"""What the audit chain recorded about a retention record, and where the stored record differs. Plain Python.

A record is written with one ``retention.created`` entry and one ``retention.<event>`` entry per event,
all with the subject ``retention:<id>``. Payloads of version 2 carry every field the certificate prints;
version 1 payloads (written before) carry the ticket, part and failed serial of the record and every field
of an event except its id, and are still checked on what they carry.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from inventory.audit_chain import Entry, canonical_json, entry_problem, payload_version
from inventory.secure_media.rules import RetentionState

PAYLOAD_VERSION = 3
FULL_VERSION = 2
"""Creation payloads from this version on carry every field the certificate prints (version 3 adds the
custody and the depot of a returned part)."""
CREATED = "retention.created"
EVENT_PREFIX = "retention."

RECORD_FIELDS: tuple[tuple[str, str], ...] = (
    ("ticket", "fault ticket"),
    ("customer", "customer"),
    ("customer_name", "customer name"),
    ("site", "site"),
    ("asset_serial", "asset"),
    ("part", "part id"),
    ("part_number", "part number"),
    ("failed_serial", "serial number"),
    ("media_type", "media type"),
    ("classification_level", "classification"),
    ("custodian", "custodian"),
    ("destruction_due", "destruction due"),
)
"""The record's fields in a version 2 creation payload, with the words the certificate uses for them."""

V3_RECORD_FIELDS: tuple[tuple[str, str], ...] = (("custody", "custody"), ("depot", "depot"))
"""The fields a version 3 creation payload adds."""

V1_RECORD_FIELDS = ("ticket", "part", "failed_serial")
"""The record's fields in a version 1 creation payload (besides ``due_days``)."""


@dataclass(frozen=True, slots=True)
class StoredRecord:
    """A retention record as stored, with the codes and names the certificate prints from other tables."""

    id: int
    ticket: int
    customer: str
    customer_name: str
    site: str
    asset_serial: str | None
    part: int
    part_number: str
    failed_serial: str
    media_type: str
    classification_level: str
    custodian: str
    state: str
    created_at: datetime
    destruction_due: datetime
    created_by: str
    custody: str = "customer"
    depot: str | None = None


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """A retention event as stored; ``details`` is its canonical JSON text."""

    id: int
    event: str
    details: str
    actor: str
    actor_role: str
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class RecordProof:
    """The outcome for one record: every difference from its chain entries, in words (none: it matches),
    and whether its creation entry predates the payloads that carry every printed field."""

    record_id: int
    differences: tuple[str, ...]
    partly_covered: bool = False

    @property
    def matches(self) -> bool:
        return not self.differences


def subject(record_id: int) -> str:
    """The audit subject of a retention record."""
    return f"retention:{record_id}"


def record_id_of(subject_text: str) -> int | None:
    """The record id in a ``retention:<id>`` subject, or None."""
    prefix, _, number = subject_text.partition(":")
    return int(number) if prefix == "retention" and number.isdigit() else None


def creation_payload(record: StoredRecord, *, due_days: int) -> dict[str, Any]:
    """The ``retention.created`` payload of a new record: every field the certificate prints. The entry's
    time and actor are the record's ``created_at`` and ``created_by``."""
    fields = {name: getattr(record, name) for name, _label in (*RECORD_FIELDS, *V3_RECORD_FIELDS)}
    return {"v": PAYLOAD_VERSION, **fields, "state": record.state, "due_days": due_days}


def event_payload(
    event_id: int, details: Mapping[str, Any], *, from_state: str, to_state: str, role: str
) -> dict[str, Any]:
    """The ``retention.<event>`` payload of a new event. The entry's action names the event, its time and
    actor are the event's ``recorded_at`` and ``actor``."""
    return {
        "v": PAYLOAD_VERSION,
        "event_id": event_id,
        "details": dict(details),
        "from": from_state,
        "to": to_state,
        "role": role,
    }


def prove(
    record: StoredRecord, events: Sequence[StoredEvent], entries: Iterable[Entry], mac_key: bytes
) -> RecordProof:
    """Compare a record and its events with the chain entries about it (its subject, in ``seq`` order)."""
    found: list[str] = []
    created: list[tuple[Entry, dict[str, Any]]] = []
    recorded: list[tuple[Entry, dict[str, Any]]] = []
    for entry in entries:
        problem = entry_problem(entry, mac_key)
        if problem is not None:
            found.append(f"audit entry {entry.seq} is not intact: {problem}")
        payload = _payload(entry)
        if payload is None:
            found.append(f"audit entry {entry.seq} cannot be read")
        elif entry.action == CREATED:
            created.append((entry, payload))
        elif entry.action.startswith(EVENT_PREFIX):
            recorded.append((entry, payload))
    partly = False
    if not created:
        found.append("the audit chain has no entry recording the creation of this record")
    else:
        if len(created) > 1:
            seqs = ", ".join(str(entry.seq) for entry, _payload in created)
            found.append(
                f"the audit chain records the creation of this record more than once: entries {seqs}"
            )
        partly = payload_version(created[0][1]) < FULL_VERSION
        found += _record_differences(record, *created[0])
    found += _event_differences(events, recorded)
    chain_state = recorded[-1][1].get("to") if recorded else RetentionState.RETAINED.value
    if isinstance(chain_state, str) and chain_state != record.state:
        found.append(f"state: the record says {record.state!r}, the audit chain says {chain_state!r}")
    return RecordProof(record.id, tuple(found), partly)


def _record_differences(record: StoredRecord, entry: Entry, payload: Mapping[str, Any]) -> list[str]:
    where = f"(entry {entry.seq})"
    found = []
    if not _same(record.created_at, entry.at):
        found.append(_differs("retained since", record.created_at, entry.at, where))
    if record.created_by != entry.actor:
        found.append(_differs("created by", record.created_by, entry.actor, where))
    if payload_version(payload) >= PAYLOAD_VERSION:
        names = [*RECORD_FIELDS, *V3_RECORD_FIELDS]
    elif payload_version(payload) >= FULL_VERSION:
        names = list(RECORD_FIELDS)
    else:
        labels = dict(RECORD_FIELDS)
        names = [(name, labels[name]) for name in V1_RECORD_FIELDS]
        due = _due_from_days(entry.at, payload.get("due_days"))
        if due is not None and not _same(record.destruction_due, due):
            found.append(_differs("destruction due", record.destruction_due, due, where))
    for name, label in names:
        stored = getattr(record, name)
        if name not in payload:
            found.append(f"{label}: the audit chain entry {entry.seq} does not record it")
        elif not _same(stored, payload[name]):
            found.append(_differs(label, stored, payload[name], where))
    return found


def _event_differences(
    events: Sequence[StoredEvent], recorded: Sequence[tuple[Entry, dict[str, Any]]]
) -> list[str]:
    """Events pair with version 2 entries by id, and the rest with version 1 entries in order."""
    found: list[str] = []
    stored_by_id = {event.id: event for event in events}
    claimed: set[int] = set()
    older: list[tuple[Entry, dict[str, Any]]] = []
    for entry, payload in recorded:
        event_id = payload.get("event_id")
        if payload_version(payload) < FULL_VERSION or type(event_id) is not int:
            older.append((entry, payload))
            continue
        event = stored_by_id.get(event_id)
        if event is None or event_id in claimed:
            found.append(
                f"the audit chain (entry {entry.seq}) records a {_event_name(entry)} event "
                f"(event {event_id}) that the record does not have"
            )
            continue
        claimed.add(event_id)
        found += _compare_event(event, entry, payload)
    unclaimed = [event for event in events if event.id not in claimed]
    for event, (entry, payload) in zip(unclaimed, older, strict=False):
        found += _compare_event(event, entry, payload)
    for event in unclaimed[len(older) :]:
        found.append(
            f"event {event.id} ({event.event}, recorded {event.recorded_at.isoformat()} by {event.actor}) "
            "is not recorded in the audit chain"
        )
    for entry, _payload in older[len(unclaimed) :]:
        found.append(
            f"the audit chain (entry {entry.seq}) records a {_event_name(entry)} event "
            "that the record does not have"
        )
    return found


def _compare_event(event: StoredEvent, entry: Entry, payload: Mapping[str, Any]) -> list[str]:
    what = f"event {event.id} ({event.event})"
    where = f"(entry {entry.seq})"
    found = []
    if event.event != _event_name(entry):
        found.append(_differs(f"{what}, type", event.event, _event_name(entry), where))
    if not _same(event.recorded_at, entry.at):
        found.append(_differs(f"{what}, recorded at", event.recorded_at, entry.at, where))
    if event.actor != entry.actor:
        found.append(_differs(f"{what}, recorded by", event.actor, entry.actor, where))
    if event.actor_role != payload.get("role"):
        found.append(_differs(f"{what}, role", event.actor_role, payload.get("role"), where))
    try:
        details = json.loads(event.details)
    except ValueError:
        return [*found, f"{what}: its stored details are not readable"]
    chain_details = payload.get("details")
    if not isinstance(details, dict) or not isinstance(chain_details, dict):
        if canonical_json({"d": details}) != canonical_json({"d": chain_details}):
            found.append(_differs(f"{what}, details", details, chain_details, where))
        return found
    for key in sorted(set(details) | set(chain_details)):
        stored, chained = details.get(key), chain_details.get(key)
        if canonical_json({"d": stored}) != canonical_json({"d": chained}):
            found.append(_differs(f"{what}, {key.replace('_', ' ')}", stored, chained, where))
    return found


def _event_name(entry: Entry) -> str:
    return entry.action.removeprefix(EVENT_PREFIX)


def _payload(entry: Entry) -> dict[str, Any] | None:
    try:
        payload = json.loads(entry.payload)
    except ValueError:
        return None
    return payload if isinstance(payload, dict) else None


def _due_from_days(at: str, days: object) -> datetime | None:
    try:
        return datetime.fromisoformat(at) + timedelta(days=days)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return None


def _same(stored: object, recorded: object) -> bool:
    """Equal values; a stored time equals a recorded ISO 8601 text of the same instant."""
    if isinstance(stored, datetime):
        if isinstance(recorded, str):
            try:
                recorded = datetime.fromisoformat(recorded)
            except ValueError:
                return False
        return isinstance(recorded, datetime) and recorded.tzinfo is not None and stored == recorded
    return type(stored) is type(recorded) and stored == recorded


def _differs(label: str, stored: object, recorded: object, where: str) -> str:
    return f"{label}: the record says {_shown(stored)}, the audit chain {where} recorded {_shown(recorded)}"


def _shown(value: object) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str):
        return repr(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
