"""Route plans, engineer dispatch and urgent deliveries."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import Field

from api.schemas.base import Code, Day, Id, RequestModel, ResponseModel
from routing import PlanView, StopView, UrgentResult

TimeLimit = Annotated[float, Field(gt=0, description="Solver wall-time limit in seconds (capped)")]


class DayPlanIn(RequestModel):
    """A plan of one day: next-business-day deliveries or engineer dispatch."""

    date: Day
    depots: list[Code] = Field(default_factory=list, max_length=1000, description="empty: every depot")
    time_limit_s: TimeLimit | None = None
    seed: int = Field(default=0, ge=0, le=2**31 - 1)


class UrgentIn(RequestModel):
    reservation_id: Id


class StopOut(ResponseModel):
    kind: str
    ticket: int | None
    site: str | None
    eta: datetime | None
    due_from: datetime | None
    due_by: datetime | None
    key: str
    depot: str | None
    place: str
    reservation: int | None
    inspection: int | None
    start_at: datetime | None
    departure_at: datetime | None
    late_seconds: int
    pinned: bool
    service_seconds: int
    skills: list[str]
    weight_g: int
    volume_ml: int

    @classmethod
    def of(cls, stop: StopView) -> StopOut:
        return cls.model_validate(stop, from_attributes=True)


class RouteOut(ResponseModel):
    vehicle: str
    depot: str
    departure: datetime
    arrival: datetime
    travel_seconds: int
    distance_metres: int
    stops: list[StopOut]


class UnassignedOut(ResponseModel):
    ticket: int | None
    reason: str
    kind: str
    key: str
    site: str | None
    depot: str | None
    inspection: int | None


class PlanOut(ResponseModel):
    id: int
    kind: str
    date: date
    status: str
    depots: list[str]
    based_on: int | None
    routes: list[RouteOut]
    unassigned: list[UnassignedOut]
    stats: dict[str, Any]
    created_by: str
    created_at: datetime
    committed_by: str | None
    committed_at: datetime | None

    @classmethod
    def of(cls, plan: PlanView) -> PlanOut:
        return cls(
            id=plan.id,
            kind=plan.kind,
            date=plan.date,
            status=plan.status,
            depots=list(plan.depots),
            based_on=plan.based_on,
            routes=[
                RouteOut(
                    vehicle=route.vehicle,
                    depot=route.depot,
                    departure=route.departure,
                    arrival=route.arrival,
                    travel_seconds=route.travel_seconds,
                    distance_metres=route.distance_metres,
                    stops=[StopOut.of(stop) for stop in route.stops],
                )
                for route in plan.routes
            ],
            unassigned=[
                UnassignedOut(
                    ticket=stop.ticket,
                    reason=stop.unassigned_reason or "",
                    kind=stop.kind,
                    key=stop.key,
                    site=stop.site,
                    depot=stop.depot,
                    inspection=stop.inspection,
                )
                for stop in plan.unassigned
            ],
            stats=plan.stats,
            created_by=plan.created_by,
            created_at=plan.created_at,
            committed_by=plan.committed_by,
            committed_at=plan.committed_at,
        )


class UrgentOut(ResponseModel):
    feasible: bool
    vehicle: str | None
    pickup_at: datetime | None
    eta: datetime | None
    due_by: datetime
    reason: str | None
    reservation: int
    dedicated: bool
    plan_id: int | None = Field(description="the draft plan with the urgent stops, to commit")
    based_on: list[int] = Field(description="the committed plans of the day it was inserted into")

    @classmethod
    def of(cls, result: UrgentResult) -> UrgentOut:
        return cls.model_validate(
            {**{f: getattr(result, f) for f in result.__slots__}, "based_on": list(result.based_on)}
        )
