"""Failed units expected back from customers, and returns to vendors (RMA)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import ConfigDict, Field, StringConstraints

from api.schemas.base import Code, Label, PartNumber, RequestModel, ResponseModel, Serial, Text, choice
from api.schemas.stock import MAX_RECEIPT_LINES, ReceiptLineIn
from inventory.stock import VendorReturnRecord
from inventory.tickets import ReturnGrade as Grade

MAX_RMA_UNITS = 1_000


class ReturnReceiveIn(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"depot": "SHA-C", "serial": "WX-FAILED-0003", "grade": "vendor_return"}]
        }
    )

    depot: Code = Field(description="Where the unit is booked in.")
    serial: Serial = Field(
        description="The serial on the unit handed in: it must be the failed serial recorded."
    )
    grade: Annotated[Grade, choice(Grade)] = Field(
        description="repairable or vendor_return (kept defective), or scrap (written off at once)."
    )
    box_number: Label | None = Field(default=None, description="For a unit never in our stock.")
    batch_number: Label | None = Field(default=None, description="For a unit never in our stock.")


class ReturnOut(ResponseModel):
    id: int
    ticket: int
    part_number: str
    failed_serial: str
    depot: str = Field(description="The depot the unit is expected back at.")
    status: str = Field(description="expected or received.")
    created_at: datetime = Field(description="When the part was issued and the failed unit taken out.")
    overdue_from: datetime = Field(description="When a return not yet back is overdue (RETURN_OVERDUE_DAYS).")
    overdue: bool
    received_at: datetime | None
    received_by: str | None
    received_depot: str | None
    grade: str | None


class RmaUnitIn(RequestModel):
    part_number: PartNumber
    serial: Serial


class VendorReturnIn(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "vendor": "OEM spare parts logistics",
                    "rma_number": "RMA-2026-0042",
                    "depot": "SHA-C",
                    "units": [{"part_number": "HDD-SAS-1T2-10K", "serial": "WX-FAILED-0003"}],
                }
            ]
        }
    )

    vendor: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    rma_number: Label
    depot: Code
    units: list[RmaUnitIn] = Field(min_length=1, max_length=MAX_RMA_UNITS)
    note: Text = ""


class CreditIn(RequestModel):
    note: Text = Field(default="", description="The vendor's credit note, say.")


class ReplacementsIn(RequestModel):
    lines: list[ReceiptLineIn] = Field(
        min_length=1,
        max_length=MAX_RECEIPT_LINES,
        description="The replacement units, with serial, box and batch.",
    )


class RmaUnitOut(ResponseModel):
    part_number: str
    serial: str
    batch_number: str
    status: str = Field(description="The unit's state now.")
    replacement: bool = Field(description="A unit the vendor sent in place of the returned ones.")


class VendorReturnOut(ResponseModel):
    id: int
    vendor: str
    rma_number: str
    depot: str
    status: str = Field(description="open, shipped, credited or replaced.")
    note: str
    created_at: datetime
    created_by: str
    shipped_at: datetime | None
    shipped_by: str | None
    closed_at: datetime | None
    closed_by: str | None
    units: list[RmaUnitOut]

    @classmethod
    def of(cls, record: VendorReturnRecord) -> VendorReturnOut:
        return cls.model_validate(record, from_attributes=True)
