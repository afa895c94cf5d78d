"""Stock counts and write-offs."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, StringConstraints

from api.schemas.base import Code, Label, PartNumber, RequestModel, ResponseModel, Serial

MAX_COUNT_PARTS = 500


class CountIn(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"depot": "SHA-C", "parts": ["HDD-SAS-1T2-10K", "BAT-CR2032"]}, {"depot": "SHA-C"}]
        }
    )

    depot: Code
    parts: list[PartNumber] = Field(
        default_factory=list, max_length=MAX_COUNT_PARTS, description="The parts counted; none: every part."
    )


class CountLineIn(RequestModel):
    """One scan: a serial of a serialized part, or a quantity of a bulk batch."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"part_number": "HDD-SAS-1T2-10K", "serial": "HDD260005001"},
                {"part_number": "BAT-CR2032", "batch_number": "B2612-2093", "quantity": 40},
            ]
        }
    )

    part_number: PartNumber
    serial: Serial | None = None
    batch_number: Label | None = None
    quantity: int | None = Field(default=None, gt=0, le=1_000_000)


class CountLineOut(ResponseModel):
    id: int
    part_number: str
    serial: str | None
    batch_number: str
    quantity: int
    counted_by: str
    counted_at: datetime


class CountVarianceOut(ResponseModel):
    kind: str = Field(description="missing or unknown (a serial), or quantity (a bulk batch).")
    part_number: str
    serial: str | None
    batch_number: str
    expected: int
    counted: int
    outcome: str = Field(
        description=(
            "What approval books: lost (written off), found (booked in quarantined), adjust (the batch's "
            "available quantity corrected), or investigate (nothing: the books place the unit elsewhere, "
            "or it is held for a ticket)."
        )
    )


class CountOut(ResponseModel):
    id: int
    depot: str
    parts: list[str] = Field(description="The parts counted; empty: every part.")
    status: str = Field(description="open, closed or approved.")
    opened_at: datetime
    opened_by: str
    closed_at: datetime | None
    closed_by: str | None
    approved_at: datetime | None
    approved_by: str | None
    line_count: int
    lines: list[CountLineOut] = Field(
        description="The latest lines, newest first (at most 100; none in lists)."
    )
    variances: list[CountVarianceOut]


class WriteOffIn(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "part_number": "HDD-SAS-1T2-10K",
                    "depot": "SHA-C",
                    "serial": "HDD260005001",
                    "outcome": "scrapped",
                    "reason": "Dropped in the aisle; casing cracked",
                }
            ]
        }
    )

    part_number: PartNumber
    depot: Code
    serial: Serial
    outcome: Literal["scrapped", "lost"]
    reason: Annotated[str, StringConstraints(min_length=1, max_length=500)]


class WriteOffOut(ResponseModel):
    id: int
    part_number: str
    serial: str
    depot: str
    outcome: str
    reason: str
    status: str = Field(description="pending, approved or rejected.")
    requested_at: datetime
    requested_by: str
    decided_at: datetime | None
    decided_by: str | None
