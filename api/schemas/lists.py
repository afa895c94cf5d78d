"""Rows of the warehouse's and the planners' lists: transfers, receipts, units, bulk batches and plans."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from typing import Any

from pydantic import Field

from api.schemas.base import ResponseModel
from inventory.stock import UnitRow
from inventory.traceability import FittedAt


class TransferRowOut(ResponseModel):
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


class ReceiptRowOut(ResponseModel):
    id: int
    depot: str
    supplier: str
    reference: str
    received_at: datetime
    received_by: str
    line_count: int
    quantity: int


class UnitRowOut(ResponseModel):
    serial: str
    part_number: str
    box_number: str
    batch_number: str
    depot: str | None = Field(description="Where it is now; null once it has left the depots (issued...).")
    status: str
    received_at: datetime
    ticket: int | None = Field(default=None, description="An issued unit: the ticket it was issued to.")
    customer: str | None = Field(default=None, description="An issued unit: that ticket's customer.")
    site: str | None = Field(default=None, description="An issued unit: that ticket's site.")
    asset: str | None = Field(default=None, description="An issued unit: the asset it was fitted into.")

    @classmethod
    def of(cls, row: UnitRow, fitted: FittedAt | None) -> UnitRowOut:
        """A unit where it is now, and where it was fitted if it was issued."""
        where = {} if fitted is None else asdict(fitted)
        return cls.model_validate({**asdict(row), **where})


class BatchRowOut(ResponseModel):
    part_number: str
    depot: str
    batch_number: str
    available: int
    reserved: int
    in_transit: int
    defective: int
    quarantined: int


class PlanSummaryOut(ResponseModel):
    id: int
    kind: str = Field(description="nbd (van deliveries) or dispatch (engineers' visits).")
    date: date
    status: str = Field(description="draft, committed or superseded.")
    depots: list[str]
    based_on: int | None
    stats: dict[str, Any] = Field(description="The solver's figures, as in the plan itself.")
    created_by: str
    created_at: datetime
    committed_by: str | None
    committed_at: datetime | None
