"""Advance shipping notices and what was received against them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import ConfigDict, Field, StringConstraints, model_validator

from api.schemas.base import Code, Label, RequestModel, ResponseModel
from api.schemas.stock import MAX_RECEIPT_LINES, MAX_UNITS_PER_RECEIPT, ReceiptLineIn
from inventory.stock import NoticeRecord

EXAMPLE_LINES = [
    {
        "part_number": "HDD-SAS-1T2-10K",
        "units": [
            {"serial": "HDD260005001", "box_number": "BX0000500", "batch_number": "B2612-4711"},
            {"serial": "HDD260005002", "box_number": "BX0000500", "batch_number": "B2612-4711"},
        ],
    },
    {"part_number": "BAT-CR2032", "quantity": 120, "batch_number": "B2612-2093"},
]


def _bounded(lines: list[ReceiptLineIn]) -> None:
    if sum(len(line.units) for line in lines) > MAX_UNITS_PER_RECEIPT:
        raise ValueError(f"at most {MAX_UNITS_PER_RECEIPT} units at once; split the delivery")


class NoticeIn(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "depot": "SHA-C",
                    "supplier": "OEM spare parts logistics",
                    "reference": "DN-2026-1207",
                    "lines": EXAMPLE_LINES,
                }
            ]
        }
    )

    depot: Code
    supplier: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    reference: Label
    lines: list[ReceiptLineIn] = Field(
        min_length=1,
        max_length=MAX_RECEIPT_LINES,
        description="The manifest: serialized parts unit by unit (serial, box, batch), bulk by batch.",
    )

    @model_validator(mode="after")
    def _within_limits(self) -> NoticeIn:
        _bounded(self.lines)
        return self


class NoticeReceiptIn(RequestModel):
    """What arrived, as scanned: units with serial, box and batch; bulk by batch and quantity."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"lines": EXAMPLE_LINES}]})

    lines: list[ReceiptLineIn] = Field(min_length=1, max_length=MAX_RECEIPT_LINES)

    @model_validator(mode="after")
    def _within_limits(self) -> NoticeReceiptIn:
        _bounded(self.lines)
        return self


class NoticeLineOut(ResponseModel):
    part_number: str
    serial: str | None
    box_number: str
    batch_number: str
    quantity: int
    received_quantity: int = Field(description="How much arrived as announced.")


class NoticeFindingOut(ResponseModel):
    part_number: str
    reason: str = Field(
        description=(
            "missing (announced, not arrived; nothing booked); unexpected, batch_differs, box_differs or "
            "excess (booked to quarantine)."
        )
    )
    serial: str | None
    box_number: str
    batch_number: str
    quantity: int
    expected_box_number: str | None
    expected_batch_number: str | None


class NoticeOut(ResponseModel):
    id: int
    depot: str
    supplier: str
    reference: str
    status: str = Field(description="open, or received.")
    created_at: datetime
    created_by: str
    receipt_id: int | None = Field(description="The receipt that booked the delivery, once received.")
    lines: list[NoticeLineOut]
    findings: list[NoticeFindingOut]

    @classmethod
    def of(cls, record: NoticeRecord) -> NoticeOut:
        return cls.model_validate(record, from_attributes=True)
