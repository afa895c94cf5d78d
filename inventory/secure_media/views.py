"""What the secure-media services answer: records with their events, documents and chain positions, the
ageing counts and the report. Plain data."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from inventory.secure_media.rules import Custody


@dataclass(frozen=True, slots=True)
class AuditPosition:
    seq: int
    action: str
    hash: str


@dataclass(frozen=True, slots=True)
class EventView:
    id: int
    event: str
    details: dict[str, Any]
    actor: str
    actor_role: str
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class DocumentView:
    """A document uploaded to a record; its content is in the document store."""

    id: int
    event: int
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    uploaded_by: str
    uploaded_at: datetime


@dataclass(frozen=True, slots=True)
class RetentionView:
    id: int
    ticket: int
    customer: str
    customer_name: str
    site: str
    site_name: str
    timezone: str
    """The site's time zone: the local time of the record's place."""
    asset_serial: str | None
    part_number: str
    failed_serial: str
    media_type: str
    classification_level: str
    custodian: str
    state: str
    overdue: bool
    age_days: int
    created_at: datetime
    created_by: str
    destruction_due: datetime
    custody: str = Custody.CUSTOMER.value
    """``customer`` (kept by a classified customer) or ``depot`` (returned, sanitized by warehouse staff)."""
    depot: str | None = None
    """The depot a returned part goes back to."""
    events: list[EventView] = field(default_factory=list)
    audit: list[AuditPosition] = field(default_factory=list)
    documents: list[DocumentView] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class AgeingCount:
    """How many records of one age bucket (a label of `AGE_BUCKETS`) are in one state and classification."""

    bucket: str
    state: str
    classification_level: str
    count: int


@dataclass(frozen=True, slots=True)
class Report:
    generated_at: datetime
    total: int
    by_state: dict[str, int]
    overdue: int
    undestroyed_by_age: dict[str, int]
    items: list[RetentionView]
