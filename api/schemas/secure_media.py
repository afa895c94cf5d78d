"""Retention records of secure media, their events, and the compliance report."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, RootModel, StringConstraints

from api.schemas.base import Id, Instant, RequestModel, ResponseModel, choice
from inventory.secure_media import CustodyAction, Report, RetentionView, SanitizationMethod, Technique

Words = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Note = Annotated[str, StringConstraints(max_length=1000)]


class CustodyIn(RequestModel):
    type: Literal["custody"]
    action: Annotated[CustodyAction, choice(CustodyAction)]
    party: Words = Field(description="Who hands over, stores, moves or signs.")
    location: Annotated[str, StringConstraints(max_length=200)] = ""
    at: Instant | None = None
    note: Note = ""
    corrects: Id | None = Field(default=None, description="Id of an earlier event this one corrects.")


class DestructionIn(RequestModel):
    """The fields of the NIST SP 800-88 Rev. 1 sample certificate of sanitization."""

    type: Literal["destruction"]
    method: Annotated[SanitizationMethod, choice(SanitizationMethod)]
    technique: Annotated[Technique, choice(Technique)]
    tool: Words
    tool_version: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    performed_by: Words
    performed_at: Instant
    location: Words
    verification_method: Words
    verification_result: Literal["pass", "fail"]
    validated_by: Words = Field(description="A second person, never the performer.")
    certificate_number: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    certificate_sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
    post_sanitization_destination: Words
    corrects: Id | None = None


class VerificationIn(RequestModel):
    type: Literal["verification"]
    result: Literal["accepted", "rejected"] = Field(
        default="accepted", description="A rejected destruction record sends the part back to retained."
    )
    notes: Note = ""


class CloseIn(RequestModel):
    type: Literal["close"]
    note: Note = ""


AnyEvent = Annotated[CustodyIn | DestructionIn | VerificationIn | CloseIn, Field(discriminator="type")]


class RetentionEventIn(RootModel[AnyEvent]):
    """One event; ``type`` says which fields it carries."""


class EventOut(ResponseModel):
    id: int
    event: str
    details: dict[str, Any]
    actor: str
    actor_role: str
    recorded_at: datetime


class AuditPositionOut(ResponseModel):
    seq: int
    action: str
    hash: str


class RetentionOut(ResponseModel):
    id: int
    ticket: int
    customer: str
    customer_name: str
    site: str
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
    destruction_due: datetime
    events: list[EventOut]
    audit: list[AuditPositionOut]

    @classmethod
    def of(cls, view: RetentionView) -> RetentionOut:
        return cls.model_validate(view, from_attributes=True)


class ReportOut(ResponseModel):
    generated_at: datetime
    total: int
    by_state: dict[str, int]
    overdue: int
    undestroyed_by_age: dict[str, int]
    items: list[RetentionOut]

    @classmethod
    def of(cls, report: Report) -> ReportOut:
        return cls.model_validate(report, from_attributes=True)
