"""Depots, parts, receipts, transfers, stock levels and traceability."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated

from pydantic import ConfigDict, Field, StringConstraints, model_validator

from api.schemas.base import (
    Code,
    Label,
    Money,
    PartNumber,
    RequestModel,
    ResponseModel,
    Serial,
    Text,
    TimeOfDay,
    TimeZoneName,
    choice,
)
from inventory.stock import (
    DepotKind,
    DepotRecord,
    LevelRecord,
    PartRecord,
    ReceiptLine,
    ReceivedUnit,
    UnitStatus,
)

MAX_RECEIPT_LINES = 500
MAX_UNITS_PER_RECEIPT = 5_000
MAX_SERIALS_PER_TRANSFER = 1_000


class Depot(RequestModel):
    code: Code
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    kind: Annotated[DepotKind, choice(DepotKind)]
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    timezone: TimeZoneName
    calendar_region: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$")] = "CN"
    order_cutoff: TimeOfDay = Field(
        default=time(17, 0), description="Local time after which an order ships a day later."
    )
    active: bool = Field(default=True, description="An inactive depot takes no new work.")

    def to_record(self) -> DepotRecord:
        return DepotRecord(**self.model_dump())

    @classmethod
    def of(cls, record: DepotRecord) -> Depot:
        return cls.model_validate(record, from_attributes=True)


class Part(RequestModel):
    part_number: PartNumber
    description: Text = ""
    category: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    serialized: bool
    secure_media: bool = False
    unit_cost: Money
    weight_kg: float = Field(ge=0, le=10_000)
    volume_l: float = Field(ge=0, le=100_000)
    active: bool = Field(
        default=True, description="An inactive part is no longer received, sent or reserved."
    )

    def to_record(self) -> PartRecord:
        return PartRecord(**self.model_dump())

    @classmethod
    def of(cls, record: PartRecord) -> Part:
        return cls.model_validate(record, from_attributes=True)


class ReceiptUnit(RequestModel):
    serial: Serial
    box_number: Label
    batch_number: Label


class ReceiptLineIn(RequestModel):
    part_number: PartNumber
    quantity: int | None = Field(default=None, gt=0, le=1_000_000)
    batch_number: Label | None = None
    units: list[ReceiptUnit] = Field(default_factory=list, max_length=MAX_UNITS_PER_RECEIPT)

    def to_line(self) -> ReceiptLine:
        return ReceiptLine(
            part_number=self.part_number,
            quantity=self.quantity,
            batch_number=self.batch_number,
            units=tuple(ReceivedUnit(u.serial, u.box_number, u.batch_number) for u in self.units),
        )


class ReceiptIn(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "depot": "SHA-C",
                    "supplier": "OEM spare parts logistics",
                    "reference": "DN-2026-1207",
                    "lines": [
                        {
                            "part_number": "HDD-SAS-1T2-10K",
                            "units": [
                                {
                                    "serial": "HDD260005001",
                                    "box_number": "BX0000500",
                                    "batch_number": "B2612-4711",
                                },
                                {
                                    "serial": "HDD260005002",
                                    "box_number": "BX0000500",
                                    "batch_number": "B2612-4711",
                                },
                            ],
                        },
                        {"part_number": "BAT-CR2032", "quantity": 120, "batch_number": "B2612-2093"},
                    ],
                }
            ]
        }
    )

    depot: Code
    supplier: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    reference: Label
    lines: list[ReceiptLineIn] = Field(min_length=1, max_length=MAX_RECEIPT_LINES)

    @model_validator(mode="after")
    def _bounded(self) -> ReceiptIn:
        if sum(len(line.units) for line in self.lines) > MAX_UNITS_PER_RECEIPT:
            raise ValueError(f"a receipt may carry at most {MAX_UNITS_PER_RECEIPT} units; split it")
        return self


class ReceiptOut(ResponseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 13,
                    "depot": "SHA-C",
                    "supplier": "OEM spare parts logistics",
                    "reference": "DN-2026-1207",
                    "received_at": "2026-12-07T01:40:05Z",
                    "received_by": "warehouse",
                    "line_count": 2,
                    "quantity": 122,
                }
            ]
        }
    )

    id: int
    depot: str
    supplier: str
    reference: str
    received_at: datetime
    received_by: str
    line_count: int
    quantity: int


class TransferIn(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "part_number": "HDD-SAS-1T2-10K",
                    "from_depot": "SHA-C",
                    "to_depot": "HGH-F",
                    "serials": ["HDD260005001", "HDD260005002"],
                    "reason": "Top up Hangzhou for the Xintian Cloud region",
                },
                {"part_number": "BAT-CR2032", "from_depot": "SHA-C", "to_depot": "NKG-F", "quantity": 40},
            ]
        }
    )

    part_number: PartNumber
    from_depot: Code
    to_depot: Code
    quantity: int | None = Field(default=None, gt=0, le=1_000_000)
    serials: list[Serial] | None = Field(default=None, min_length=1, max_length=MAX_SERIALS_PER_TRANSFER)
    reason: Text = ""

    @model_validator(mode="after")
    def _quantity_or_serials(self) -> TransferIn:
        if self.quantity is None and self.serials is None:
            raise ValueError("give quantity or serials")
        return self


class TransferReceiveIn(RequestModel):
    """What landed, when not everything did. Without a body (or with ``{}``) everything still in transit
    lands."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"serials": ["HDD260005001"]}, {"quantity": 20}]}
    )

    serials: list[Serial] | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_SERIALS_PER_TRANSFER,
        description="The units that landed, for a transfer of serialized units.",
    )
    quantity: int | None = Field(
        default=None,
        gt=0,
        le=1_000_000,
        description="How many landed, for a transfer of a bulk part; taken from the oldest batch first.",
    )

    @model_validator(mode="after")
    def _serials_or_quantity(self) -> TransferReceiveIn:
        if self.serials is not None and self.quantity is not None:
            raise ValueError("name the serials or give a quantity, not both")
        return self


class TransferLineOut(ResponseModel):
    batch_number: str
    quantity: int
    serial: str | None
    received_quantity: int = Field(description="How much of the line has landed.")
    received: bool = Field(description="The whole line has landed.")


class TransferOut(ResponseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 1,
                    "part_number": "HDD-SAS-1T2-10K",
                    "from_depot": "SHA-C",
                    "to_depot": "HGH-F",
                    "quantity": 2,
                    "received_quantity": 1,
                    "status": "partially_received",
                    "reason": "Top up Hangzhou for the Xintian Cloud region",
                    "dispatched_at": "2026-12-07T01:45:14Z",
                    "dispatched_by": "warehouse",
                    "received_at": "2026-12-07T05:12:40Z",
                    "received_by": "warehouse",
                    "lines": [
                        {
                            "batch_number": "B2612-4711",
                            "quantity": 1,
                            "serial": "HDD260005001",
                            "received_quantity": 1,
                            "received": True,
                        },
                        {
                            "batch_number": "B2612-4711",
                            "quantity": 1,
                            "serial": "HDD260005002",
                            "received_quantity": 0,
                            "received": False,
                        },
                    ],
                }
            ]
        }
    )

    id: int
    part_number: str
    from_depot: str
    to_depot: str
    quantity: int
    received_quantity: int = Field(description="How much of the transfer has landed.")
    status: str = Field(description="in_transit, partially_received or received.")
    reason: str
    dispatched_at: datetime
    dispatched_by: str
    received_at: datetime | None = Field(description="When the latest part landed.")
    received_by: str | None = Field(description="Who booked the latest part in.")
    lines: list[TransferLineOut]


class StatusChangeIn(RequestModel):
    part_number: PartNumber
    depot: Code
    to_status: Annotated[UnitStatus, choice(UnitStatus)]
    reason: Annotated[str, StringConstraints(min_length=1, max_length=500)]
    serial: Serial | None = None
    batch_number: Label | None = None
    quantity: int | None = Field(default=None, gt=0, le=1_000_000)
    from_status: Annotated[UnitStatus, choice(UnitStatus)] | None = None


class AdjustmentIn(RequestModel):
    part_number: PartNumber
    depot: Code
    batch_number: Label
    delta: int = Field(ge=-1_000_000, le=1_000_000)
    reason: Annotated[str, StringConstraints(min_length=1, max_length=500)]


class StockLevelOut(ResponseModel):
    depot: str
    part_number: str
    on_hand: int
    reserved: int
    available: int
    in_transit: int
    defective: int
    quarantined: int

    @classmethod
    def of(cls, record: LevelRecord) -> StockLevelOut:
        return cls(
            depot=record.depot,
            part_number=record.part_number,
            on_hand=record.on_hand,
            reserved=record.reserved,
            available=record.available,
            in_transit=record.in_transit,
            defective=record.defective,
            quarantined=record.quarantined,
        )


class MovementOut(ResponseModel):
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


class InstalledOut(ResponseModel):
    """Where an issued unit went: its warranty is that of the asset, i.e. of the part it replaced."""

    asset_serial: str
    warranty_end: date
    coverage_phase: str


class UnitOut(ResponseModel):
    part_number: str
    serial: str
    box_number: str
    batch_number: str
    depot: str | None
    status: str
    received_at: datetime
    history: list[MovementOut]
    installed: InstalledOut | None = None


class ChangeAccepted(ResponseModel):
    """Answer to a correction: what was asked, now recorded in the ledger."""

    part_number: str
    depot: str
    recorded: bool = True
