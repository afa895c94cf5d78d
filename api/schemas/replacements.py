"""What fits an asset, replacement requests, a ticket's timeline and notes."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import ConfigDict, Field, StringConstraints

from api.schemas.base import Code, PartNumber, RequestModel, ResponseModel
from inventory.tickets import AssetParts, NoteRecord, ReplacementRecord, Timeline

Reason = Annotated[str, StringConstraints(max_length=500)]

AVAILABILITY = {
    "four_hours": "available for 4-hour delivery",
    "next_business_day": "next business day",
    "not_available": "not available",
}
"""A part's availability for the asset's site in words."""
PHASE = {
    "in_warranty": "in warranty until {end}: the part is free",
    "post_warranty_parts_only": (
        "the warranty ended on {end}; in years 1 to 3 after it parts are charged at cost and repair labour "
        "is free"
    ),
    "post_warranty_costs_only": (
        "the warranty ended on {end}; in years 4 to 10 after it parts, travel and lodging are charged at "
        "cost, with no repair fee"
    ),
    "expired": "the coverage has ended (10 years after the warranty, which ended on {end})",
}
"""Each coverage phase in words."""
REFUSAL = {
    "ticket_closed": "refused: the ticket is closed",
    "no_asset": "refused: the ticket names no asset, and parts are given for an asset under coverage",
    "coverage_ended": "refused: the asset's coverage has ended",
    "dispatcher": "refused by the dispatcher",
}
"""Each refusal's rule in words."""


def why(record: ReplacementRecord) -> str:
    """The entitlement check's decision on a request in words: tier and parts priority, coverage phase,
    refusal or charge, the replacement right, and what happens next."""
    said = [f"{record.tier} tier, " + ("with" if record.parts_priority else "without") + " parts priority"]
    if record.coverage_phase is not None:
        said.append(PHASE[record.coverage_phase].format(end=record.warranty_end))
    if record.refusal:
        refused = REFUSAL.get(record.refusal, f"refused: {record.refusal}")
        said.append(
            f"{refused} ({record.note})" if record.refusal == "dispatcher" and record.note else refused
        )
    if record.charge == "at_cost" and record.unit_cost is not None:
        said.append(
            f"charge: {record.quantity} x {record.unit_cost} (unit cost) = {record.total_cost}"
            + ("; it waits for your acceptance" if record.awaiting_acceptance else "")
        )
    if record.replacement_right and record.replacement_due_at is not None:
        said.append(
            "the restore milestone was breached: a replacement is due by "
            f"{record.replacement_due_at.isoformat()}"
        )
    if record.state == "pending_dispatcher":
        said.append("no depot can keep the delivery promise: a dispatcher decides")
    return "; ".join(said) + "."


class FittingPartOut(ResponseModel):
    part_number: str
    description: str
    installed: int = Field(description="How many are installed in the asset: the most a ticket may hold.")
    supersedes: str | None = Field(
        description="The installed part this newer part replaces (an alternate); null for the installed part."
    )
    availability: str = Field(
        description="`four_hours` (a depot can reach the site within 4 hours), `next_business_day` or "
        "`not_available`; never stock figures."
    )
    availability_text: str = Field(description="The availability in words.")


class AssetPartsOut(ResponseModel):
    serial: str
    model: str
    parts: list[FittingPartOut]

    @classmethod
    def of(cls, listed: AssetParts) -> AssetPartsOut:
        return cls(
            serial=listed.asset.serial,
            model=listed.asset.model,
            parts=[
                FittingPartOut(
                    part_number=part.part_number,
                    description=part.description,
                    installed=part.installed,
                    supersedes=part.supersedes,
                    availability=part.availability.value,
                    availability_text=AVAILABILITY[part.availability.value],
                )
                for part in listed.parts
            ],
        )


class ReplacementIn(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "part_number": "DIMM-DDR5-32G-4800",
                    "quantity": 1,
                    "reason": "DIMM A3 reports uncorrectable errors",
                },
                {
                    "part_number": "KIT-RAIL-2U",
                    "quantity": 1,
                    "override_reason": "Rails bent during the swap",
                },
            ]
        }
    )

    part_number: PartNumber
    quantity: int = Field(default=1, gt=0, le=100)
    reason: Reason = ""
    override_reason: Reason = Field(
        default="",
        description="Staff only: ask despite the fit and quantity rule, saying why (audited).",
    )


class ApproveIn(RequestModel):
    depot: Code | None = Field(
        default=None, description="Hold the part at this depot even if it arrives after the promise."
    )


class RefuseIn(RequestModel):
    note: Annotated[str, StringConstraints(min_length=1, max_length=500)]


class AlternativeOut(ResponseModel):
    depot: str
    available: int
    estimated_arrival: datetime
    feasible: bool


class ReplacementOut(ResponseModel):
    id: int
    ticket: int
    customer: str
    part_number: str
    part_name: str
    quantity: int
    reason: str
    state: str = Field(
        description="`requested` (a chargeable one waits for the acceptance of its charge), `approved` (a "
        "reservation holds the part), `pending_dispatcher` (no depot can keep the promise: in the "
        "dispatcher's queue), `refused`, `fulfilled` (the part was handed out) or `withdrawn`."
    )
    tier: str
    parts_priority: bool
    coverage_phase: str | None
    warranty_end: date | None
    charge: str | None = Field(description="`free` or `at_cost`; null when refused for coverage.")
    unit_cost: Decimal | None = Field(description="The price basis of a part at cost, per unit.")
    total_cost: Decimal | None
    awaiting_acceptance: bool = Field(description="The customer has to accept the charge before approval.")
    replacement_right: bool = Field(
        description="Premium tiers: the restore milestone was breached, so a replacement unit is due."
    )
    replacement_due_at: datetime | None
    refusal: str = Field(
        description="The rule that refused it: `ticket_closed`, `no_asset`, `coverage_ended`, or "
        "`dispatcher` (with the dispatcher's note)."
    )
    why: str = Field(
        description="The entitlement check's decision in words: tier and parts priority, coverage phase, "
        "refusal or charge (quantity x unit cost), the replacement right, what happens next."
    )
    note: str
    override_reason: str
    reservation: int | None
    alternatives: list[AlternativeOut] = Field(
        description="Staff only: the depots a dispatcher may choose from (empty for customers)."
    )
    requested_by: str
    requested_at: datetime
    charge_accepted_by: str | None
    charge_accepted_at: datetime | None
    decided_by: str | None
    decided_at: datetime | None
    closed_by: str | None
    closed_at: datetime | None

    @classmethod
    def of(cls, record: ReplacementRecord, *, staff: bool) -> ReplacementOut:
        values: dict[str, Any] = {
            name: getattr(record, name) for name in cls.model_fields if name not in ("alternatives", "why")
        }
        values["why"] = why(record)
        values["alternatives"] = record.alternatives if staff else []
        return cls.model_validate(values)


class NoteIn(RequestModel):
    body: Annotated[str, StringConstraints(min_length=1, max_length=2000)]
    customer_visible: bool = Field(
        default=False, description="Staff: whether the customer reads it. A customer's note always is."
    )


class NoteOut(ResponseModel):
    id: int
    ticket: int
    body: str
    customer_visible: bool
    author: str
    author_role: str
    written_at: datetime

    @classmethod
    def of(cls, record: NoteRecord) -> NoteOut:
        return cls.model_validate(record, from_attributes=True)


class TimelineEntryOut(ResponseModel):
    at: datetime
    kind: str = Field(description="`milestone`, `event`, `request`, `part`, `visit` or `note`.")
    code: str = Field(
        description="milestone: `met`, `met_late`, `running`, `overdue`, `paused`; request: its state or "
        "`charge_accepted`; part: `reserved`, `way_van`, `way_engineer`, `way_collection` (its way "
        "committed, with the committed ETA), `picked` (picked up at the depot by the engineer, or by "
        "the van of an urgent delivery), `on_the_van` (the van set out to the site with it), "
        "`delivered`, `released`, `expired`, `preempted`; visit: `planned`; note: "
        "`customer_visible` or `internal`."
    )
    subject: str
    detail: str
    due_at: datetime | None
    seconds_left: int | None = Field(description="A running milestone's time left (negative: overdue).")
    eta: datetime | None
    eta_committed: bool
    reference: int | None


class TimelineOut(ResponseModel):
    ticket: int
    status: str
    site_timezone: str
    entries: list[TimelineEntryOut]

    @classmethod
    def of(cls, timeline: Timeline) -> TimelineOut:
        return cls(
            ticket=timeline.ticket.id,
            status=timeline.ticket.status,
            site_timezone=timeline.zone,
            entries=[
                TimelineEntryOut.model_validate(entry, from_attributes=True) for entry in timeline.entries
            ],
        )
