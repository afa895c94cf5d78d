"""What the planning services answer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class SupplyRouteRecord:
    depot: str
    supplier_depot: str | None
    lead_time_days: int
    updated_at: datetime
    updated_by: str


@dataclass(frozen=True, slots=True)
class ForecastRecord:
    demand_class: str
    method: str
    per_week: float
    adi: float | None
    cv2: float | None
    demand_weeks: int
    history_weeks: int
    service_level: float
    lead_time_days: int
    computed_at: datetime


@dataclass(frozen=True, slots=True)
class PolicyRecord:
    """A depot's policy for a part and the levels in force (an auto policy's from its forecast; zero
    while there is none)."""

    depot: str
    part_number: str
    kind: str
    reorder_level: int
    target_level: int
    forecast: ForecastRecord | None
    updated_at: datetime
    updated_by: str


@dataclass(frozen=True, slots=True)
class SuggestionRecord:
    """A replenishment suggestion and its reasons."""

    id: str
    kind: str
    depot: str
    part_number: str
    source_depot: str | None
    quantity: int
    needed: int
    short_by: int
    policy: str
    reorder_level: int
    target_level: int
    inventory_position: int
    on_hand: int
    reserved: int
    in_transit: int
    on_order: int
    lead_time_days: int
    forecast: ForecastRecord | None


@dataclass(frozen=True, slots=True)
class AcceptedRecord:
    suggestion: str
    kind: str
    depot: str
    part_number: str
    quantity: int
    transfer_id: int | None
    accepted_at: datetime
    accepted_by: str
