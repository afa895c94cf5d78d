"""Retention records of secure media (kept by customers or returned to a depot), their events and
documents, the sanitization policies, and the compliance report."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, RootModel, StringConstraints

from api.schemas.base import Id, Instant, RequestModel, ResponseModel, choice
from inventory.secure_media import (
    CustodyAction,
    DocumentView,
    PolicyView,
    Report,
    RetentionView,
    SanitizationMethod,
    Technique,
)

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
    certificate_sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")] | None = Field(
        default=None,
        description=(
            "SHA-256 of the signed certificate document. Leave it out once the document is uploaded "
            "(`POST .../documents`): the service takes the hash it computed of the latest upload."
        ),
    )
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

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": "custody",
                    "action": "handed_over",
                    "party": "Li Na, Zhonghe Bank",
                    "location": "Zhonghe Bank Beijing data centre, cage 3",
                    "at": "2026-12-07T10:05:00+08:00",
                },
                {
                    "type": "destruction",
                    "method": "destroy",
                    "technique": "shred",
                    "tool": "HSM Powerline HDS 230",
                    "tool_version": "2024",
                    "performed_by": "Wang Lei",
                    "performed_at": "2026-12-07T14:30:00+08:00",
                    "location": "Zhonghe Bank Beijing data centre, media destruction room",
                    "verification_method": "visual inspection of the particles",
                    "verification_result": "pass",
                    "validated_by": "Li Na",
                    "certificate_number": "ZHB-DES-2026-0412",
                    "certificate_sha256": "3f0c2b7e9a41d5c8e6b1f0a2d4c6e8f9a1b3c5d7e9f1a2b4c6d8e0f2a4b6c8d0",
                    "post_sanitization_destination": "certified e-waste recycler, Tianjin",
                },
                {"type": "verification", "result": "accepted", "notes": "Certificate and photos checked"},
                {"type": "close", "note": "Destruction verified"},
            ]
        }
    )


class EventOut(ResponseModel):
    id: int
    event: str
    details: dict[str, Any]
    actor: str
    actor_role: str
    recorded_at: datetime


class DocumentOut(ResponseModel):
    id: int
    event: int = Field(description="The `document` event that recorded it (and its audit chain entry).")
    filename: str
    content_type: str
    size_bytes: int
    sha256: str = Field(description="Computed by the service on upload; recorded in the audit chain.")
    uploaded_by: str
    uploaded_at: datetime

    @classmethod
    def of(cls, view: DocumentView) -> DocumentOut:
        return cls.model_validate(view, from_attributes=True)


class AuditPositionOut(ResponseModel):
    seq: int
    action: str
    hash: str


class RetentionOut(ResponseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 3,
                    "ticket": 6,
                    "customer": "ZHB",
                    "customer_name": "Zhonghe Bank",
                    "site": "SH-DC2",
                    "asset_serial": "ZHB-SRV-0202",
                    "part_number": "HDD-SAS-1T2-10K",
                    "failed_serial": "WX-FAILED-0003",
                    "media_type": "disk",
                    "classification_level": "secret",
                    "custodian": "Zhonghe Bank, Zhonghe Bank Shanghai disaster recovery",
                    "state": "retained",
                    "overdue": True,
                    "age_days": 45,
                    "created_at": "2026-10-22T07:12:42Z",
                    "destruction_due": "2026-11-21T07:12:42Z",
                    "custody": "customer",
                    "depot": None,
                    "documents": [],
                    "events": [
                        {
                            "id": 11,
                            "event": "custody",
                            "details": {
                                "action": "handed_over",
                                "at": "2026-12-07T10:05:00+08:00",
                                "location": "Zhonghe Bank Beijing data centre, cage 3",
                                "note": "",
                                "party": "Li Na, Zhonghe Bank",
                            },
                            "actor": "dispatcher",
                            "actor_role": "dispatcher",
                            "recorded_at": "2026-12-07T02:06:18Z",
                        }
                    ],
                    "audit": [
                        {
                            "seq": 48,
                            "action": "retention.created",
                            "hash": "d4453a512454bc4a0cd378fbc66d808d3c3bc4dacb7b6286823be6270d0e1d49",
                        },
                        {
                            "seq": 224,
                            "action": "retention.custody",
                            "hash": "fed0c549c3aa42f577798dd758893581e2f0cc875e279f0aabbc22c35d4eb8cf",
                        },
                    ],
                }
            ]
        }
    )

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
    custody: str = Field(
        description="`customer`: kept by the customer; `depot`: returned, sanitized at `depot`."
    )
    depot: str | None
    events: list[EventOut]
    audit: list[AuditPositionOut]
    documents: list[DocumentOut]

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


class PolicyIn(RequestModel):
    """The sanitization methods and techniques allowed for one classification level and media type."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "classification_level": "secret",
                    "media_type": "ssd",
                    "methods": ["destroy"],
                    "techniques": ["shred", "disintegrate"],
                    "note": "Flash media of secret data: destroyed, particles of 2 mm or less.",
                }
            ]
        }
    )

    classification_level: Annotated[str, StringConstraints(max_length=32)] = Field(
        description="The customer's classification level; empty for unclassified customers."
    )
    media_type: Annotated[str, StringConstraints(min_length=1, max_length=32)] = Field(
        description="The part's category (`disk`, `ssd`, ...), or `*` for every type of the level."
    )
    methods: Annotated[
        list[Annotated[SanitizationMethod, choice(SanitizationMethod)]], Field(min_length=1, max_length=3)
    ]
    techniques: Annotated[list[Annotated[Technique, choice(Technique)]], Field(max_length=9)] = Field(
        default_factory=list, description="Empty: every technique of the allowed methods."
    )
    note: Note = ""


class PolicyOut(ResponseModel):
    name: str
    classification_level: str
    media_type: str
    methods: list[str]
    techniques: list[str]
    note: str
    updated_at: datetime
    updated_by: str

    @classmethod
    def of(cls, view: PolicyView) -> PolicyOut:
        policy = view.policy
        return cls(
            name=policy.name,
            classification_level=policy.classification_level,
            media_type=policy.media_type,
            methods=sorted(policy.methods),
            techniques=sorted(policy.techniques),
            note=policy.note,
            updated_at=view.updated_at,
            updated_by=view.updated_by,
        )
