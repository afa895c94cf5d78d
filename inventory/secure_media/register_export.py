"""The register as an auditor's CSV: every field of a record, its latest destruction, verification and
closing, its documents and all its events; times in ISO 8601 with their offset (UTC) and again in the
local time of the record's site; booleans as ``yes``/``no``; and no cell that a spreadsheet would run as
a formula. Plain Python."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from inventory.audit_chain import canonical_json
from inventory.secure_media.rules import EventType, age_bucket
from inventory.secure_media.views import EventView, RetentionView

DESTRUCTION_FIELDS = (
    "method", "technique", "tool", "tool_version", "performed_by", "performed_at", "location",
    "verification_method", "verification_result", "validated_by", "certificate_number",
    "certificate_sha256", "post_sanitization_destination",
)  # fmt: skip
"""The NIST SP 800-88 fields of a destruction record."""

COLUMNS = (
    "id", "custody", "customer", "customer_name", "site", "site_name", "depot", "time_zone",
    "asset_serial", "part_number", "failed_serial", "media_type", "classification_level", "custodian",
    "state", "overdue", "age_days", "age_bucket", "retained_at", "retained_at_local", "retained_by",
    "destruction_due", "destruction_due_local", "ticket", "custody_events", "destruction_records",
    *(f"destruction_{name}" for name in DESTRUCTION_FIELDS[:6]), "destruction_performed_at_local",
    *(f"destruction_{name}" for name in DESTRUCTION_FIELDS[6:]), "destruction_policy",
    "destruction_recorded_at", "destruction_recorded_at_local", "destruction_recorded_by",
    "destruction_recorded_by_role", "verification_result", "verification_notes", "verified_at",
    "verified_at_local", "verified_by", "closed_at", "closed_at_local", "closed_by", "close_note",
    "documents", "document_sha256", "certificate_document_uploaded", "events",
)  # fmt: skip
"""The export's columns, in order."""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
"""A text cell starting with one of these is a formula to a spreadsheet (OWASP, CSV injection)."""


def safe_cell(value: object) -> object:
    """A cell as a spreadsheet shows it and never runs it: text that would start a formula gets a leading
    apostrophe; booleans are ``yes``/``no``; None is empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def utc_time(moment: datetime | str | None) -> str:
    """ISO 8601 in UTC with its offset, to the second (empty for none)."""
    parsed = _instant(moment)
    return "" if parsed is None else parsed.astimezone(ZoneInfo("UTC")).isoformat(timespec="seconds")


def local_time(moment: datetime | str | None, zone: str) -> str:
    """ISO 8601 in the local time of ``zone`` with its offset, to the second (empty for none)."""
    parsed = _instant(moment)
    return "" if parsed is None else parsed.astimezone(ZoneInfo(zone)).isoformat(timespec="seconds")


def row_of(record: RetentionView, now: datetime) -> list[object]:
    """One record as a line of the export (`COLUMNS`), every cell spreadsheet-safe."""
    zone = record.timezone
    destructions = [event for event in record.events if event.event == EventType.DESTRUCTION]
    destruction = destructions[-1] if destructions else None
    verification = _latest(record.events, EventType.VERIFICATION)
    closing = _latest(record.events, EventType.CLOSE)
    details: dict[str, Any] = destruction.details if destruction else {}
    fields = [details.get(name, "") for name in DESTRUCTION_FIELDS]
    performed_at = details.get("performed_at")
    fields[5] = utc_time(performed_at)
    policy = details.get("policy")
    certificate = details.get("certificate_sha256")
    hashes = [document.sha256 for document in record.documents]
    values: list[object] = [
        record.id, record.custody, record.customer, record.customer_name, record.site, record.site_name,
        record.depot, zone, record.asset_serial, record.part_number, record.failed_serial, record.media_type,
        record.classification_level, record.custodian, record.state, record.overdue, record.age_days,
        age_bucket(record.created_at, now), utc_time(record.created_at), local_time(record.created_at, zone),
        record.created_by, utc_time(record.destruction_due), local_time(record.destruction_due, zone),
        record.ticket, sum(event.event == EventType.CUSTODY for event in record.events), len(destructions),
        *fields[:6], local_time(performed_at, zone), *fields[6:],
        policy.get("name", "") if isinstance(policy, dict) else "",
        *_when_who(destruction, zone), destruction.actor_role if destruction else "",
        verification.details.get("result", "") if verification else "",
        verification.details.get("notes", "") if verification else "",
        *_when_who(verification, zone),
        *_when_who(closing, zone), closing.details.get("note", "") if closing else "",
        len(record.documents), " ".join(hashes),
        (certificate in hashes) if destruction else "",
        _events_text(record.events),
    ]  # fmt: skip
    return [safe_cell(value) for value in values]


def rows_of(records: Sequence[RetentionView], now: datetime) -> list[list[object]]:
    return [row_of(record, now) for record in records]


def _when_who(event: EventView | None, zone: str) -> tuple[str, str, str]:
    if event is None:
        return "", "", ""
    return utc_time(event.recorded_at), local_time(event.recorded_at, zone), event.actor


def _events_text(events: Sequence[EventView]) -> str:
    """Every event as one JSON array: id, type, time (UTC), actor, role and details."""
    return json.dumps(
        [
            json.loads(
                canonical_json(
                    {
                        "id": event.id,
                        "event": event.event,
                        "recorded_at": utc_time(event.recorded_at),
                        "actor": event.actor,
                        "role": event.actor_role,
                        "details": event.details,
                    }
                )
            )
            for event in events
        ],
        ensure_ascii=False,
        sort_keys=True,
    )


def _latest(events: Sequence[EventView], kind: EventType) -> EventView | None:
    return next((event for event in reversed(events) if event.event == kind), None)


def _instant(moment: datetime | str | None) -> datetime | None:
    if moment is None or moment == "":
        return None
    if isinstance(moment, datetime):
        return moment
    try:
        parsed = datetime.fromisoformat(moment)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None
