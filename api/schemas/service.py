"""Customers, sites, assets, tickets and reservations."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, StringConstraints, field_validator

from api.schemas.base import (
    Code,
    Day,
    Instant,
    Label,
    PartNumber,
    RequestModel,
    ResponseModel,
    Serial,
    TimeZoneName,
    choice,
)
from inventory.customers import AssetRecord, CustomerRecord, SiteRecord
from inventory.tickets import CoveredAsset, ReservationRecord, Severity, TicketRecord, Tier

Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Region = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$")]


class Customer(RequestModel):
    code: Code
    name: Name
    tier: Annotated[Tier, choice(Tier)] = Tier.STANDARD
    delivery_service: Literal["nbd", "4h"] = "nbd"
    support_hours: Literal["business", "7x24"] = "business"
    secure_media_retention: bool = False
    account_manager: Annotated[str, StringConstraints(max_length=100)] = ""
    second_line_engineer: Annotated[str, StringConstraints(max_length=100)] = ""
    classification_level: Annotated[str, StringConstraints(max_length=32)] = Field(
        default="", description="The customer's data classification, printed on destruction certificates."
    )
    account_manager_contact: Annotated[str, StringConstraints(max_length=200)] = Field(
        default="", description="How to reach the account manager (telephone, e-mail)."
    )
    second_line_contact: Annotated[str, StringConstraints(max_length=200)] = Field(
        default="", description="How to reach the second-line engineer (telephone, e-mail)."
    )
    active: bool = Field(default=True, description="An inactive customer opens no new tickets.")

    def to_record(self) -> CustomerRecord:
        return CustomerRecord(**self.model_dump(mode="json"))

    @classmethod
    def of(cls, record: CustomerRecord) -> Customer:
        return cls.model_validate(record, from_attributes=True)


class SiteIn(RequestModel):
    code: Code
    name: Name
    address: Annotated[str, StringConstraints(min_length=1, max_length=500)]
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    timezone: TimeZoneName
    calendar_region: Region = "CN"

    def to_record(self, customer: str) -> SiteRecord:
        return SiteRecord(customer=customer, **self.model_dump())


class SiteOut(ResponseModel):
    customer: str
    code: str
    name: str
    address: str
    latitude: float
    longitude: float
    timezone: str
    calendar_region: str
    active: bool = True


class AssetIn(RequestModel):
    serial: Serial
    model: Name
    customer: Code
    site: Code
    accepted_on: Day
    warranty_years: int = Field(default=3, ge=0, le=30)

    def to_record(self) -> AssetRecord:
        return AssetRecord(**self.model_dump())


class WarrantyExtensionOut(ResponseModel):
    ticket: int
    started_at: datetime = Field(description="When the fault was reported.")
    restored_at: datetime | None = Field(description="When service was restored; null while it is not.")
    length_seconds: int = Field(description="The downtime, to now while not restored.")
    extends_warranty: bool = Field(description="False for a fault the user caused: it extends nothing.")


class WarrantyOut(ResponseModel):
    base_end: date = Field(description="Acceptance plus the warranty years.")
    extensions: list[WarrantyExtensionOut] = Field(
        description="Each ticket's downtime, oldest first, with whether it extends the warranty."
    )
    extension_seconds: int = Field(
        description="The downtime that extends the warranty, overlapping faults counted once."
    )
    extension_days: int = Field(
        description="The extension in whole days (rounded up): end = base end + this."
    )
    end: date


class AssetOut(ResponseModel):
    serial: str
    model: str
    customer: str
    site: str
    accepted_on: date
    warranty_years: int
    warranty_end: date
    coverage_phase: str
    warranty: WarrantyOut = Field(
        description="The warranty end's breakdown: base end and downtime extensions."
    )

    @classmethod
    def of(cls, covered: CoveredAsset) -> AssetOut:
        asset = covered.asset
        as_of = covered.as_of or datetime.now(UTC)
        return cls(
            warranty=WarrantyOut(
                base_end=covered.base_end,
                extensions=[
                    WarrantyExtensionOut(
                        ticket=period.ticket,
                        started_at=period.downtime.started_at,
                        restored_at=period.downtime.ended_at,
                        length_seconds=int(period.length(as_of).total_seconds()),
                        extends_warranty=period.extends_warranty,
                    )
                    for period in covered.downtime
                ],
                extension_seconds=int(covered.extension.total_seconds()),
                extension_days=(covered.coverage.end - covered.base_end).days,
                end=covered.coverage.end,
            ),
            serial=asset.serial,
            model=asset.model,
            customer=asset.customer,
            site=asset.site,
            accepted_on=asset.accepted_on,
            warranty_years=asset.warranty_years,
            warranty_end=covered.coverage.end,
            coverage_phase=covered.coverage.phase,
        )


class TicketIn(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "customer": "ZHB",
                    "site": "BJ-DC1",
                    "asset_serial": "ZHB-ARR-0001",
                    "severity": "critical",
                    "summary": "Controller B of the storage array reports a failed SAS disk in RAID group 2",
                    "reported_at": "2026-12-07T09:18:00+08:00",
                },
                {
                    "site": "SZ-IDC",
                    "asset_serial": "XTC-GPU-0042",
                    "severity": "minor",
                    "summary": "Fan 3 reports low speed",
                },
            ]
        }
    )

    customer: Code | None = Field(
        default=None, description="Defaults to the caller's company for customer users."
    )
    site: Code
    asset_serial: Serial | None = None
    severity: Annotated[Severity, choice(Severity)]
    summary: Annotated[str, StringConstraints(min_length=1, max_length=1000)]
    reported_at: Instant | None = Field(default=None, description="Time of the hotline call; default now.")
    user_caused: bool = Field(
        default=False, description="A fault caused by the user does not extend the warranty."
    )


class ClockOut(ResponseModel):
    due_at: datetime
    met_at: datetime | None
    state: str


class DeliveryOut(ResponseModel):
    service: str
    due_from: datetime
    due_by: datetime


class TicketOut(ResponseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 60,
                    "customer": "ZHB",
                    "site": "BJ-DC1",
                    "asset_serial": "ZHB-ARR-0001",
                    "severity": "critical",
                    "summary": "Controller B of the storage array reports a failed SAS disk in RAID group 2",
                    "status": "open",
                    "priority": 23,
                    "user_caused": False,
                    "support_hours": "7x24",
                    "reported_at": "2026-12-07T01:18:00Z",
                    "restored_at": None,
                    "closed_at": None,
                    "next_due_at": "2026-12-07T02:18:00Z",
                    "breached": False,
                    "sla": {
                        "response": {"due_at": "2026-12-07T02:18:00Z", "met_at": None, "state": "running"},
                        "on_site": {"due_at": "2026-12-07T05:18:00Z", "met_at": None, "state": "running"},
                        "restore": {"due_at": "2026-12-07T09:18:00Z", "met_at": None, "state": "running"},
                        "replacement": {"due_at": "2026-12-09T01:18:00Z", "met_at": None, "state": "running"},
                    },
                    "delivery": {
                        "service": "4h",
                        "due_from": "2026-12-07T01:18:00Z",
                        "due_by": "2026-12-07T05:18:00Z",
                    },
                    "at_risk": False,
                    "predicted_late_seconds": 0,
                    "parts_eta": None,
                    "visit_eta": None,
                }
            ]
        }
    )

    id: int
    customer: str
    site: str
    asset_serial: str | None
    severity: str
    summary: str
    status: str
    priority: int
    user_caused: bool
    support_hours: str
    reported_at: datetime
    restored_at: datetime | None
    closed_at: datetime | None
    next_due_at: datetime | None = Field(
        description="Earliest due time of the milestones not yet met (paused ones aside); in the past while "
        "one is overdue. The order of order=due."
    )
    breached: bool = Field(description="A milestone is or was breached, as at the time of the answer.")
    sla: dict[str, ClockOut]
    delivery: DeliveryOut
    at_risk: bool = Field(
        description="A committed ETA (a part's delivery or the engineer's visit) falls after the due time it "
        "has to keep (the delivery promise, the on-site milestone): late before it is breached."
    )
    predicted_late_seconds: int = Field(description="By how much, at worst (0 while not at risk).")
    parts_eta: datetime | None = Field(
        description="When the last part still on its way is at the site, as the committed plans (or the "
        "customer's collection) say; null while none is committed."
    )
    visit_eta: datetime | None = Field(
        description="When the engineer is on site, as the committed plan says."
    )

    @classmethod
    def of(cls, record: TicketRecord) -> TicketOut:
        return cls.model_validate(record, from_attributes=True)


class TicketEventIn(RequestModel):
    type: Literal["responded", "engineer_on_site", "restored", "closed", "waiting_customer", "resumed"]
    at: Instant | None = None
    note: Annotated[str, StringConstraints(max_length=500)] = ""


class ReservationIn(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"part_number": "HDD-SAS-1T2-10K", "quantity": 1},
                {"part_number": "HDD-SAS-1T2-10K", "depot": "PEK-C", "serial": "HDD260000031"},
                {"part_number": "PSU-800W-PLATINUM", "quantity": 1, "allow_preemption": True},
            ]
        }
    )

    part_number: PartNumber
    quantity: int | None = Field(default=None, gt=0, le=100)
    depot: Code | None = None
    serial: Serial | None = None
    allow_preemption: bool = False


class IssueIn(RequestModel):
    serial: Serial | None = None
    failed_serial: Label | None = None


class BatchQuantityOut(ResponseModel):
    batch_number: str
    quantity: int


class ReservationOut(ResponseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 59,
                    "ticket": 60,
                    "depot": "PEK-C",
                    "part_number": "HDD-SAS-1T2-10K",
                    "quantity": 1,
                    "serials": ["HDD260000031"],
                    "batches": [],
                    "status": "active",
                    "estimated_arrival": "2026-12-07T02:04:49Z",
                    "expires_at": "2026-12-09T01:25:12Z",
                    "created_at": "2026-12-07T01:25:12Z",
                    "created_by": "dispatcher",
                    "closed_at": None,
                    "preempted_by": None,
                    "preempted_by_ticket": None,
                    "way": None,
                    "eta_committed": False,
                }
            ]
        }
    )

    id: int
    ticket: int
    depot: str
    part_number: str
    quantity: int
    serials: list[str]
    batches: list[BatchQuantityOut] = Field(description="Bulk quantities held, per batch.")
    status: str
    estimated_arrival: datetime
    expires_at: datetime
    created_at: datetime
    created_by: str
    closed_at: datetime | None
    preempted_by: int | None
    preempted_by_ticket: int | None
    way: str | None = Field(
        description="How the part reaches its site once committed: `van`, `engineer` or `collection`."
    )
    eta_committed: bool = Field(
        description="`estimated_arrival` is the committed plan's (or collection's) ETA, not the sourcing "
        "estimate."
    )

    @field_validator("batches", mode="before")
    @classmethod
    def _batch_pairs(cls, batches: list[Any]) -> list[Any]:
        return [
            {"batch_number": item[0], "quantity": item[1]} if isinstance(item, tuple) else item
            for item in batches
        ]

    @classmethod
    def of(cls, record: ReservationRecord) -> ReservationOut:
        return cls.model_validate(record, from_attributes=True)
