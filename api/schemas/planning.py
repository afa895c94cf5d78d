"""Schemas of the depot hierarchy, stock policies and replenishment suggestions."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import ConfigDict, Field, StrictInt

from api.schemas.base import Code, PartNumber, RequestModel, ResponseModel, choice
from inventory.planning import PolicyKind

Level = Annotated[StrictInt, Field(ge=0, le=1_000_000)]


class SupplyRouteIn(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"depot": "HGH-F", "supplier_depot": "SHA-C", "lead_time_days": 2},
                {"depot": "SHA-C", "supplier_depot": None, "lead_time_days": 21},
            ]
        }
    )

    depot: Code
    supplier_depot: Code | None = Field(
        default=None, description="The depot that supplies it; none for the top of the hierarchy (suppliers)."
    )
    lead_time_days: Annotated[StrictInt, Field(ge=0, le=365)]


class SupplyRouteOut(ResponseModel):
    depot: str
    supplier_depot: str | None
    lead_time_days: int
    updated_at: datetime
    updated_by: str


class PolicyIn(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "depot": "HGH-F",
                    "part_number": "HDD-SAS-1T2-10K",
                    "kind": "min_max",
                    "reorder_level": 2,
                    "target_level": 6,
                },
                {"depot": "SHA-C", "part_number": "HDD-SAS-1T2-10K", "kind": "auto"},
            ]
        }
    )

    depot: Code
    part_number: PartNumber
    kind: Annotated[PolicyKind, choice(PolicyKind)] = Field(
        description="`min_max`, `reorder_point`, or `auto` (levels from the stored forecast)."
    )
    reorder_level: Level | None = Field(
        default=None, description="The minimum (`min_max`) or reorder point (`reorder_point`)."
    )
    target_level: Level | None = Field(default=None, description="The maximum, or order-up-to level.")


class ForecastOut(ResponseModel):
    demand_class: str = Field(description="Syntetos-Boylan class: smooth, erratic, intermittent or lumpy.")
    method: str = Field(description="croston, sba or tsb.")
    per_week: float
    adi: float | None
    cv2: float | None
    demand_weeks: int
    history_weeks: int
    service_level: float = Field(
        description="The fill rate the depot's series of this service level reach together: their levels "
        "are allocated as a group, each series filling at least half its demand."
    )
    lead_time_days: int
    computed_at: datetime


class PolicyOut(ResponseModel):
    depot: str
    part_number: str
    kind: str
    reorder_level: int = Field(description="In force: an auto policy's from its forecast (0 without one).")
    target_level: int
    forecast: ForecastOut | None
    updated_at: datetime
    updated_by: str


class SuggestionOut(ResponseModel):
    id: str
    kind: str = Field(description="`transfer` from the supplying depot, or `purchase` at the top.")
    depot: str
    part_number: str
    source_depot: str | None
    quantity: int
    needed: int = Field(description="Up to the target level; `short_by` of it the source cannot give.")
    short_by: int
    policy: str
    reorder_level: int
    target_level: int
    inventory_position: int = Field(description="on_hand - reserved + in_transit + on_order.")
    on_hand: int
    reserved: int
    in_transit: int
    on_order: int
    lead_time_days: int
    forecast: ForecastOut | None


class AcceptedOut(ResponseModel):
    suggestion: str
    kind: str
    depot: str
    part_number: str
    quantity: int
    transfer_id: int | None
    accepted_at: datetime
    accepted_by: str
