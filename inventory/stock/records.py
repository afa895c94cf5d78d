"""Read models returned by the stock service: plain dataclasses, converted to JSON at the API edge."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class DepotRecord:
    code: str
    name: str
    kind: str
    latitude: float
    longitude: float
    timezone: str
    calendar_region: str = "CN"
    order_cutoff: time = time(17, 0)
    active: bool = True


@dataclass(frozen=True, slots=True)
class PartRecord:
    part_number: str
    description: str
    category: str
    serialized: bool
    secure_media: bool
    unit_cost: Decimal
    weight_kg: float
    volume_l: float
    active: bool = True


@dataclass(frozen=True, slots=True)
class LevelRecord:
    depot: str
    part_number: str
    on_hand: int
    reserved: int
    in_transit: int
    defective: int
    quarantined: int

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


@dataclass(frozen=True, slots=True)
class MovementRecord:
    id: int
    at: datetime
    kind: str
    part_number: str
    serial: str | None
    batch_number: str
    quantity: int
    from_depot: str | None
    from_status: str | None
    to_depot: str | None
    to_status: str | None
    actor: str
    reason: str
    reference: str


@dataclass(frozen=True, slots=True)
class UnitRecord:
    part_number: str
    serial: str
    box_number: str
    batch_number: str
    depot: str | None
    status: str
    received_at: datetime
    history: list[MovementRecord] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ReceiptRecord:
    id: int
    depot: str
    supplier: str
    reference: str
    received_at: datetime
    received_by: str
    line_count: int
    quantity: int


@dataclass(frozen=True, slots=True)
class TransferLine:
    batch_number: str
    quantity: int
    serial: str | None
    received_quantity: int = 0

    @property
    def received(self) -> bool:
        """The whole line has landed."""
        return self.received_quantity == self.quantity


@dataclass(frozen=True, slots=True)
class TransferRecord:
    id: int
    part_number: str
    from_depot: str
    to_depot: str
    quantity: int
    status: str
    reason: str
    dispatched_at: datetime
    dispatched_by: str
    received_at: datetime | None
    received_by: str | None
    lines: list[TransferLine]

    @property
    def received_quantity(self) -> int:
        return sum(line.received_quantity for line in self.lines)


@dataclass(frozen=True, slots=True)
class NoticeLineRecord:
    part_number: str
    serial: str | None
    box_number: str
    batch_number: str
    quantity: int
    received_quantity: int


@dataclass(frozen=True, slots=True)
class NoticeFindingRecord:
    part_number: str
    reason: str
    serial: str | None
    box_number: str
    batch_number: str
    quantity: int
    expected_box_number: str | None
    expected_batch_number: str | None


@dataclass(frozen=True, slots=True)
class NoticeRecord:
    id: int
    depot: str
    supplier: str
    reference: str
    status: str
    created_at: datetime
    created_by: str
    receipt_id: int | None
    lines: list[NoticeLineRecord]
    findings: list[NoticeFindingRecord]


@dataclass(frozen=True, slots=True)
class RmaUnitRecord:
    part_number: str
    serial: str
    batch_number: str
    status: str
    replacement: bool


@dataclass(frozen=True, slots=True)
class VendorReturnRecord:
    id: int
    vendor: str
    rma_number: str
    depot: str
    status: str
    note: str
    created_at: datetime
    created_by: str
    shipped_at: datetime | None
    shipped_by: str | None
    closed_at: datetime | None
    closed_by: str | None
    units: list[RmaUnitRecord]


@dataclass(frozen=True, slots=True)
class CountLineRecord:
    id: int
    part_number: str
    serial: str | None
    batch_number: str
    quantity: int
    counted_by: str
    counted_at: datetime


@dataclass(frozen=True, slots=True)
class CountVarianceRecord:
    kind: str
    part_number: str
    serial: str | None
    batch_number: str
    expected: int
    counted: int
    outcome: str


@dataclass(frozen=True, slots=True)
class CountRecord:
    id: int
    depot: str
    parts: list[str]
    status: str
    opened_at: datetime
    opened_by: str
    closed_at: datetime | None
    closed_by: str | None
    approved_at: datetime | None
    approved_by: str | None
    line_count: int
    lines: list[CountLineRecord]
    variances: list[CountVarianceRecord]


@dataclass(frozen=True, slots=True)
class WriteOffRecord:
    id: int
    part_number: str
    serial: str
    depot: str
    outcome: str
    reason: str
    status: str
    requested_at: datetime
    requested_by: str
    decided_at: datetime | None
    decided_by: str | None
