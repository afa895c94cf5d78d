"""Retention records as a state machine, the fields of a destruction record, the sanitization policies,
and when a returned unit may leave quarantine. Plain Python.

A record is never edited: every change is an event, and the state follows from the events::

    retained --destruction--> destruction_recorded --verification(accepted)--> verified --close--> closed
        ^                              |
        +----verification(rejected)----+

A record is in the ``customer``'s custody (a classified customer keeps its failed parts) or the
``depot``'s (the part is returned, and warehouse staff sanitize it there). Documents (the signed
certificate) may be added in any state but ``closed``.

``overdue`` is not a stored state: a record still ``retained`` after its destruction due date is overdue.
The destruction record carries the fields of the NIST SP 800-88 Rev. 1 sample certificate of sanitization.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from inventory.errors import Conflict, InvalidRequest, InvalidTransition
from inventory.stock.model import UnitStatus


class RetentionState(StrEnum):
    RETAINED = "retained"
    DESTRUCTION_RECORDED = "destruction_recorded"
    VERIFIED = "verified"
    CLOSED = "closed"


class Custody(StrEnum):
    """Who holds the failed part until it is sanitized."""

    CUSTOMER = "customer"
    DEPOT = "depot"


class EventType(StrEnum):
    CUSTODY = "custody"
    DESTRUCTION = "destruction"
    VERIFICATION = "verification"
    CLOSE = "close"
    DOCUMENT = "document"


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
    (RetentionState.RETAINED, EventType.DOCUMENT): RetentionState.RETAINED,
    (RetentionState.DESTRUCTION_RECORDED, EventType.DOCUMENT): RetentionState.DESTRUCTION_RECORDED,
    (RetentionState.VERIFIED, EventType.DOCUMENT): RetentionState.VERIFIED,
}

WHO_MAY: Mapping[Custody, Mapping[EventType, frozenset[str]]] = {
    Custody.CUSTOMER: {
        EventType.CUSTODY: frozenset({"warehouse", "dispatcher"}),
        EventType.DESTRUCTION: frozenset({"customer", "warehouse", "dispatcher"}),
        EventType.VERIFICATION: frozenset({"compliance"}),
        EventType.CLOSE: frozenset({"compliance"}),
        EventType.DOCUMENT: frozenset({"customer", "warehouse", "dispatcher", "compliance"}),
    },
    Custody.DEPOT: {
        EventType.CUSTODY: frozenset({"warehouse", "dispatcher"}),
        EventType.DESTRUCTION: frozenset({"warehouse"}),
        EventType.VERIFICATION: frozenset({"compliance"}),
        EventType.CLOSE: frozenset({"compliance"}),
        EventType.DOCUMENT: frozenset({"warehouse", "compliance"}),
    },
}
"""Which roles may record which event, by custody (a customer only on its own records). A returned part
is sanitized at the depot by warehouse staff."""


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


class SanitizationRequired(Conflict):
    """A returned secure unit may not leave quarantine before its sanitization is verified."""

    code = "sanitization-required"


class PolicyViolated(InvalidRequest):
    """A destruction record uses a method or technique its sanitization policy does not allow."""

    code = "sanitization-policy-violated"


RELEASE_RULE = "returned-secure-media-sanitized"
"""The rule's name, as refusals give it: a returned secure unit cannot leave quarantine for reuse, vendor
return or scrap without a verified sanitization record."""
QUARANTINE = frozenset({UnitStatus.QUARANTINED, UnitStatus.DEFECTIVE})
"""Where a returned unit waits for its sanitization."""
SANITIZED = frozenset({RetentionState.VERIFIED, RetentionState.CLOSED})


@dataclass(frozen=True, slots=True)
class Sanitization:
    """A depot-custody record of one unit: its state and the method of its latest destruction record."""

    record_id: int
    state: RetentionState
    method: SanitizationMethod | None


def ensure_may_leave_quarantine(
    serial: str, current: UnitStatus, target: UnitStatus, records: Sequence[Sanitization]
) -> None:
    """Raise `SanitizationRequired` if the unit ``serial``, returned under the depot-custody ``records``,
    would leave quarantine (``quarantined`` or ``defective``) for ``target`` before every record of it is
    verified; or would go back to stock (``available``) although it was destroyed.

    A unit without depot-custody records, or staying in quarantine, is not this rule's concern.
    """
    if current not in QUARANTINE or target in QUARANTINE or not records:
        return
    pending = [record.record_id for record in records if record.state not in SANITIZED]
    if pending:
        raise SanitizationRequired(
            f"unit {serial} is returned secure media: it cannot leave quarantine for {target} before its "
            f"sanitization record is verified (rule {RELEASE_RULE})",
            rule=RELEASE_RULE,
            records=pending,
        )
    destroyed = [record.record_id for record in records if record.method is SanitizationMethod.DESTROY]
    if target is UnitStatus.AVAILABLE and destroyed:
        raise SanitizationRequired(
            f"unit {serial} was destroyed under record: it cannot go back to stock (rule {RELEASE_RULE})",
            rule=RELEASE_RULE,
            records=destroyed,
        )


def ensure_may_arrive_as_stock(serial: str, records: Sequence[Sanitization]) -> None:
    """Raise `SanitizationRequired` if the unit ``serial``, returned under the depot-custody ``records``,
    is booked in as a supplier's delivery (stock to reuse) while a record of it is not verified, or
    although it was destroyed: it is booked in at the returns desk, where it waits in defective stock.
    """
    pending = [record.record_id for record in records if record.state not in SANITIZED]
    destroyed = [record.record_id for record in records if record.method is SanitizationMethod.DESTROY]
    if pending or destroyed:
        raise SanitizationRequired(
            f"unit {serial} is returned secure media: book it in at the returns desk, not as a delivery, "
            f"until its sanitization record is verified; a destroyed unit never comes back to stock "
            f"(rule {RELEASE_RULE})",
            rule=RELEASE_RULE,
            records=pending or destroyed,
        )


@dataclass(frozen=True, slots=True)
class Policy:
    """Which methods and techniques sanitize media of one classification level and media type."""

    name: str
    classification_level: str
    media_type: str
    methods: frozenset[SanitizationMethod]
    techniques: frozenset[Technique]
    note: str = ""


ANY_MEDIA = "*"


def policy_name(classification_level: str, media_type: str) -> str:
    """A policy's name: ``<level>/<media type>`` (``unclassified`` for no level)."""
    return f"{classification_level or 'unclassified'}/{media_type}"


def check_policy_definition(
    classification_level: str, media_type: str, methods: Sequence[str], techniques: Sequence[str]
) -> Policy:
    """A policy from its parts, or `InvalidRequest`: at least one method, and every technique one of an
    allowed method's (no techniques: all those of the methods)."""
    if not methods:
        raise InvalidRequest("a policy allows at least one method", field="methods")
    chosen = frozenset(SanitizationMethod(method) for method in methods)
    possible = frozenset().union(*(TECHNIQUES_BY_METHOD[method] for method in chosen))
    wanted = frozenset(Technique(technique) for technique in techniques) or possible
    if stray := sorted(wanted - possible):
        raise InvalidRequest(
            f"{', '.join(stray)} belong to none of the allowed methods",
            field="techniques",
            allowed=sorted(possible),
        )
    if not media_type.strip():
        raise InvalidRequest("name the media type, or * for every one", field="media_type")
    return Policy(
        policy_name(classification_level, media_type), classification_level, media_type, chosen, wanted
    )


def policy_for(classification_level: str, media_type: str, policies: Sequence[Policy]) -> Policy | None:
    """The policy for media of this level and type: its own, else its level's ``*`` one, else None."""
    by_key = {(policy.classification_level, policy.media_type): policy for policy in policies}
    return by_key.get((classification_level, media_type)) or by_key.get((classification_level, ANY_MEDIA))


def check_policy(policy: Policy | None, method: SanitizationMethod, technique: Technique) -> None:
    """Raise `PolicyViolated` (naming the policy) unless the policy allows the method and the technique.
    No policy for the media: only the NIST method-technique rule of `check_destruction` applies."""
    if policy is None:
        return
    if method not in policy.methods or technique not in policy.techniques:
        raise PolicyViolated(
            f"policy {policy.name} allows {', '.join(sorted(policy.methods))} "
            f"({', '.join(sorted(policy.techniques))}), not {method} by {technique}",
            field="method" if method not in policy.methods else "technique",
            policy=policy.name,
            allowed_methods=sorted(policy.methods),
            allowed_techniques=sorted(policy.techniques),
        )
