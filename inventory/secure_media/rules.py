"""Retention records as a state machine, and the fields of a destruction record. Plain Python.

A record is never edited: every change is an event, and the state follows from the events::

    retained --destruction--> destruction_recorded --verification(accepted)--> verified --close--> closed
        ^                              |
        +----verification(rejected)----+

``overdue`` is not a stored state: a record still ``retained`` after its destruction due date is overdue.
The destruction record carries the fields of the NIST SP 800-88 Rev. 1 sample certificate of sanitization.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from inventory.errors import InvalidRequest, InvalidTransition


class RetentionState(StrEnum):
    RETAINED = "retained"
    DESTRUCTION_RECORDED = "destruction_recorded"
    VERIFIED = "verified"
    CLOSED = "closed"


class EventType(StrEnum):
    CUSTODY = "custody"
    DESTRUCTION = "destruction"
    VERIFICATION = "verification"
    CLOSE = "close"


class CustodyAction(StrEnum):
    HANDED_OVER = "handed_over"
    STORED_AT = "stored_at"
    MOVED_TO = "moved_to"
    SIGNED_BY = "signed_by"


class SanitizationMethod(StrEnum):
    """NIST SP 800-88 categories."""

    CLEAR = "clear"
    PURGE = "purge"
    DESTROY = "destroy"


class Technique(StrEnum):
    OVERWRITE = "overwrite"
    BLOCK_ERASE = "block_erase"
    CRYPTO_ERASE = "crypto_erase"
    DEGAUSS = "degauss"
    SHRED = "shred"
    DISINTEGRATE = "disintegrate"
    PULVERIZE = "pulverize"
    INCINERATE = "incinerate"
    MELT = "melt"


TECHNIQUES_BY_METHOD: Mapping[SanitizationMethod, frozenset[Technique]] = {
    SanitizationMethod.CLEAR: frozenset({Technique.OVERWRITE}),
    SanitizationMethod.PURGE: frozenset(
        {Technique.OVERWRITE, Technique.BLOCK_ERASE, Technique.CRYPTO_ERASE, Technique.DEGAUSS}
    ),
    SanitizationMethod.DESTROY: frozenset(
        {Technique.SHRED, Technique.DISINTEGRATE, Technique.PULVERIZE, Technique.INCINERATE, Technique.MELT}
    ),
}

_SHA256 = re.compile(r"^[0-9a-f]{64}$")

_NEXT_STATE: Mapping[tuple[RetentionState, EventType], RetentionState] = {
    (RetentionState.RETAINED, EventType.CUSTODY): RetentionState.RETAINED,
    (RetentionState.RETAINED, EventType.DESTRUCTION): RetentionState.DESTRUCTION_RECORDED,
    (RetentionState.DESTRUCTION_RECORDED, EventType.CUSTODY): RetentionState.DESTRUCTION_RECORDED,
    (RetentionState.DESTRUCTION_RECORDED, EventType.DESTRUCTION): RetentionState.DESTRUCTION_RECORDED,
    (RetentionState.VERIFIED, EventType.CLOSE): RetentionState.CLOSED,
}


@dataclass(frozen=True, slots=True)
class DestructionRecord:
    """What was done to the media, by whom, checked how, and where the remains went."""

    method: SanitizationMethod
    technique: Technique
    tool: str
    tool_version: str
    performed_by: str
    performed_at: datetime
    location: str
    verification_method: str
    verification_result: str
    validated_by: str
    certificate_number: str
    certificate_sha256: str
    post_sanitization_destination: str


def check_destruction(record: DestructionRecord, *, now: datetime) -> None:
    """Raise `InvalidRequest` (naming the field) unless the destruction record is complete and coherent.

    The validator must be a second person, the technique must belong to the method, the certificate hash
    must be a SHA-256, and the destruction cannot be in the future.
    """
    if record.technique not in TECHNIQUES_BY_METHOD[record.method]:
        allowed = sorted(TECHNIQUES_BY_METHOD[record.method])
        raise InvalidRequest(
            f"{record.technique} is not a {record.method} technique", field="technique", allowed=allowed
        )
    if _same_person(record.validated_by, record.performed_by):
        raise InvalidRequest("the validator must be a second person, not the performer", field="validated_by")
    if not _SHA256.match(record.certificate_sha256):
        raise InvalidRequest(
            "certificate_sha256 must be 64 lower-case hex digits", field="certificate_sha256"
        )
    if record.performed_at.tzinfo is None:
        raise InvalidRequest("performed_at needs a time zone", field="performed_at")
    if record.performed_at > now:
        raise InvalidRequest("performed_at is in the future", field="performed_at")
    if record.verification_result not in {"pass", "fail"}:
        raise InvalidRequest("verification_result is pass or fail", field="verification_result")
    if record.verification_result == "fail":
        raise InvalidRequest(
            "a destruction whose own verification failed is not a destruction", field="verification_result"
        )
    for name in (
        "tool",
        "performed_by",
        "location",
        "verification_method",
        "validated_by",
        "certificate_number",
        "post_sanitization_destination",
    ):
        if not str(getattr(record, name)).strip():
            raise InvalidRequest(f"{name} is required", field=name)


def next_state(state: RetentionState, event: EventType, details: Mapping[str, Any]) -> RetentionState:
    """The state after ``event``.

    Raises:
        InvalidTransition: the event is not possible in ``state`` (e.g. verifying before any destruction,
            closing before verification, anything after closing).
    """
    if event is EventType.VERIFICATION and state is RetentionState.DESTRUCTION_RECORDED:
        return RetentionState.VERIFIED if details.get("result") == "accepted" else RetentionState.RETAINED
    target = _NEXT_STATE.get((state, event))
    if target is None:
        raise InvalidTransition(
            f"a {event} event is not possible when the record is {state}", state=state.value
        )
    return target


def is_overdue(state: RetentionState, destruction_due: datetime, now: datetime) -> bool:
    """Still undestroyed after its due date."""
    return state is RetentionState.RETAINED and destruction_due < now


AGE_BUCKETS = (("0-7", 0, 7), ("8-30", 8, 30), ("31-90", 31, 90), ("over 90", 91, None))


def age_bucket(created_at: datetime, now: datetime) -> str:
    """The ageing bucket of a record: whole days since it was created."""
    days = (now - created_at).days
    for label, low, high in AGE_BUCKETS:
        if days >= low and (high is None or days <= high):
            return label
    return AGE_BUCKETS[0][0]


def _same_person(a: str, b: str) -> bool:
    return " ".join(a.casefold().split()) == " ".join(b.casefold().split())
