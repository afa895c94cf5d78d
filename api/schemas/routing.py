"""Route plans, engineer dispatch and urgent deliveries."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, StringConstraints

from api.schemas.base import Code, Day, Id, Instant, RequestModel, ResponseModel
from routing import (
    REASON_MEANINGS,
    MoveRequest,
    MoveResult,
    PlanView,
    Position,
    SolveView,
    StopView,
    UrgentChoice,
    UrgentResult,
)

TimeLimit = Annotated[float, Field(gt=0, description="Solver wall-time limit in seconds (capped)")]


class DayPlanIn(RequestModel):
    """A plan of one day: next-business-day deliveries or engineer dispatch."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"date": "2026-12-08", "depots": ["SHA-C", "HGH-F"], "time_limit_s": 10},
                {"date": "2026-12-08"},
            ]
        }
    )

    date: Day
    depots: list[Code] = Field(default_factory=list, max_length=1000, description="empty: every depot")
    time_limit_s: TimeLimit | None = None
    seed: int = Field(default=0, ge=0, le=2**31 - 1)
    unpin: list[Id] = Field(
        default_factory=list,
        max_length=1000,
        description="ids of stops of the day's committed plan to plan freely again (their pins let go)",
    )


class UrgentIn(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"reservation_id": 59}]})

    reservation_id: Id


Latitude = Annotated[float, Field(description="WGS-84 latitude, decimal degrees")]
Longitude = Annotated[float, Field(description="WGS-84 longitude, decimal degrees")]


StopStatusName = Literal["planned", "en_route", "arrived", "done", "failed", "cancelled"]


class StopOut(ResponseModel):
    """A routed stop. ``latitude``/``longitude`` are where it is made: the site's for a delivery or a
    visit, the depot's for a pickup (as they were when the plan was made)."""

    id: int = Field(description="the stop's id in this plan, for its events and moves")
    status: StopStatusName = Field(
        description="planned, en_route, arrived, done, failed or cancelled (once the plan is committed)"
    )
    override_reason: str | None = Field(
        default=None, description="why a dispatcher's move may make it late or end its route past the shift"
    )
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
    latitude: Latitude
    longitude: Longitude

    @classmethod
    def of(cls, stop: StopView) -> StopOut:
        return cls.model_validate(stop, from_attributes=True)


class RouteOut(ResponseModel):
    """A vehicle's or an engineer's route, from and back to ``depot``."""

    vehicle: str
    depot: str
    departure: datetime
    arrival: datetime
    travel_seconds: int
    distance_metres: int
    stops: list[StopOut]
    depot_latitude: float | None = Field(
        description="the depot's WGS-84 latitude (where the route starts and ends)"
    )
    depot_longitude: float | None = Field(description="the depot's WGS-84 longitude")


REASONS = "\n".join(f"- `{reason}`: {meaning}" for reason, meaning in REASON_MEANINGS.items())


class UnassignedOut(ResponseModel):
    """A stop left out of the plan, and why."""

    id: int
    ticket: int | None
    reason: str = Field(description=f"Why it is not in any route, the first that applies:\n{REASONS}")
    kind: str
    key: str
    site: str | None
    depot: str | None
    inspection: int | None
    latitude: Latitude
    longitude: Longitude


def _delivery_stop(
    ticket: int, reservation: int, site: tuple[str, float, float], eta: str, departure: str
) -> dict[str, Any]:
    """A delivery stop of the examples (from the Shanghai central warehouse, due the next business day)."""
    code, latitude, longitude = site
    return {
        "id": ticket * 10,
        "status": "planned",
        "kind": "delivery",
        "ticket": ticket,
        "site": code,
        "eta": eta,
        "due_from": "2026-12-08T01:00:00Z",
        "due_by": "2026-12-08T10:00:00Z",
        "key": f"T{ticket}@SHA-C",
        "depot": "SHA-C",
        "place": code,
        "reservation": reservation,
        "inspection": None,
        "start_at": eta,
        "departure_at": departure,
        "late_seconds": 0,
        "pinned": False,
        "service_seconds": 600,
        "skills": ["depot:SHA-C"],
        "weight_g": 40,
        "volume_ml": 50,
        "latitude": latitude,
        "longitude": longitude,
    }


class PlanOut(ResponseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 4,
                    "kind": "nbd",
                    "date": "2026-12-08",
                    "status": "draft",
                    "depots": ["SHA-C"],
                    "based_on": None,
                    "routes": [
                        {
                            "vehicle": "VAN-SHA-C-1",
                            "depot": "SHA-C",
                            "departure": "2026-12-08T00:33:27Z",
                            "arrival": "2026-12-08T04:56:29Z",
                            "travel_seconds": 9782,
                            "distance_metres": 99545,
                            "stops": [
                                _delivery_stop(
                                    15,
                                    14,
                                    ("LJL-SHA1", 31.3002, 121.3787),
                                    "2026-12-08T01:00:00Z",
                                    "2026-12-08T01:10:00Z",
                                ),
                                _delivery_stop(
                                    35,
                                    34,
                                    ("MSU-SHA2", 31.1078, 121.6245),
                                    "2026-12-08T04:02:22Z",
                                    "2026-12-08T04:12:22Z",
                                ),
                            ],
                            "depot_latitude": 31.2304,
                            "depot_longitude": 121.4737,
                        }
                    ],
                    "unassigned": [
                        {
                            "id": 521,
                            "ticket": 52,
                            "reason": "window_unreachable",
                            "kind": "delivery",
                            "key": "T52@SHA-C",
                            "site": "XTC-SHA3",
                            "depot": "SHA-C",
                            "inspection": None,
                            "latitude": 31.193,
                            "longitude": 121.3108,
                        }
                    ],
                    "stats": {
                        "backend": "pyvrp",
                        "status": "solved",
                        "stops": 3,
                        "stops_routed": 2,
                        "stops_unassigned": 1,
                        "stops_pinned": 0,
                        "late_stops": 0,
                        "vehicles_available": 2,
                        "vehicles_used": 1,
                        "distance_metres": 99545,
                        "travel_seconds": 9782,
                        "travel_source": "estimate",
                        "time_limit_s": 10.0,
                        "wall_s": 2.0,
                        "seed": 0,
                    },
                    "created_by": "dispatcher",
                    "created_at": "2026-12-07T01:25:14Z",
                    "committed_by": None,
                    "committed_at": None,
                }
            ]
        }
    )

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
                    depot_latitude=None if route.depot_point is None else route.depot_point.latitude,
                    depot_longitude=None if route.depot_point is None else route.depot_point.longitude,
                )
                for route in plan.routes
            ],
            unassigned=[
                UnassignedOut(
                    id=stop.id,
                    ticket=stop.ticket,
                    reason=stop.unassigned_reason or "",
                    kind=stop.kind,
                    key=stop.key,
                    site=stop.site,
                    depot=stop.depot,
                    inspection=stop.inspection,
                    latitude=stop.latitude,
                    longitude=stop.longitude,
                )
                for stop in plan.unassigned
            ],
            stats=plan.stats,
            created_by=plan.created_by,
            created_at=plan.created_at,
            committed_by=plan.committed_by,
            committed_at=plan.committed_at,
        )


RouteDay = Annotated[
    date, Field(description="the day of the van's route (the next day when none can go today)")
]


class UrgentDelayOut(ResponseModel):
    key: str = Field(description="the planned stop's key")
    ticket: int | None
    seconds: int = Field(description="how much later it begins than planned (it is never made late)")


class UrgentOptionOut(ResponseModel):
    """One way of taking the part to its site."""

    vehicle: str
    dedicated: bool = Field(description="a run of a free van for this part alone")
    date: RouteDay
    pickup_position: int = Field(description="where the pickup goes in the van's new route (0-based)")
    delivery_position: int = Field(description="where the delivery goes in the van's new route (0-based)")
    pickup_at: datetime
    eta: datetime
    slack_seconds: int = Field(description="from the ETA to the due time; negative: misses it by that much")
    delays: list[UrgentDelayOut] = Field(description="the planned stops still to come that it delays")

    @classmethod
    def of(cls, choice: UrgentChoice) -> UrgentOptionOut:
        return cls.model_validate(
            {
                **{f: getattr(choice, f) for f in choice.__slots__},
                "date": choice.day,
                "delays": [UrgentDelayOut.model_validate(d, from_attributes=True) for d in choice.delays],
            }
        )


class UrgentOut(ResponseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "feasible": True,
                    "vehicle": "VAN-PEK-C-1",
                    "pickup_at": "2026-12-07T01:40:00Z",
                    "eta": "2026-12-07T02:19:38Z",
                    "due_by": "2026-12-07T05:18:00Z",
                    "reason": None,
                    "reservation": 59,
                    "dedicated": False,
                    "plan_id": 5,
                    "based_on": [3],
                    "earliest_eta": None,
                    "misses_by_seconds": None,
                    "options": [
                        {
                            "vehicle": "VAN-PEK-C-1",
                            "dedicated": False,
                            "date": "2026-12-07",
                            "pickup_position": 2,
                            "delivery_position": 3,
                            "pickup_at": "2026-12-07T01:40:00Z",
                            "eta": "2026-12-07T02:19:38Z",
                            "slack_seconds": 10702,
                            "delays": [{"key": "T15@PEK-C", "ticket": 15, "seconds": 2978}],
                        },
                        {
                            "vehicle": "VAN-PEK-C-2",
                            "dedicated": True,
                            "date": "2026-12-07",
                            "pickup_position": 0,
                            "delivery_position": 1,
                            "pickup_at": "2026-12-07T01:30:00Z",
                            "eta": "2026-12-07T02:09:38Z",
                            "slack_seconds": 11302,
                            "delays": [],
                        },
                    ],
                },
                {
                    "feasible": False,
                    "vehicle": None,
                    "pickup_at": None,
                    "eta": None,
                    "due_by": "2026-12-07T05:18:00Z",
                    "reason": "window_unreachable",
                    "reservation": 59,
                    "dedicated": False,
                    "plan_id": None,
                    "based_on": [],
                    "earliest_eta": "2026-12-08T00:39:38Z",
                    "misses_by_seconds": 69698,
                    "options": [
                        {
                            "vehicle": "VAN-PEK-C-1",
                            "dedicated": False,
                            "date": "2026-12-08",
                            "pickup_position": 0,
                            "delivery_position": 1,
                            "pickup_at": "2026-12-08T00:00:00Z",
                            "eta": "2026-12-08T00:39:38Z",
                            "slack_seconds": -69698,
                            "delays": [],
                        }
                    ],
                },
            ]
        }
    )

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
    earliest_eta: datetime | None = Field(
        description="when the due time cannot be kept: the earliest arrival any van can make (today, or "
        "on the vans' next shift when none can go today)"
    )
    misses_by_seconds: int | None = Field(
        description="when the due time cannot be kept: how long after it the earliest arrival comes"
    )
    options: list[UrgentOptionOut] = Field(
        description="up to three ways (insertions into vans' routes and a dedicated run), best first: by "
        "cost when the due time can be kept (the first is the one `plan_id` carries), else by ETA"
    )

    @classmethod
    def of(cls, result: UrgentResult) -> UrgentOut:
        return cls.model_validate(
            {
                **{f: getattr(result, f) for f in result.__slots__},
                "based_on": list(result.based_on),
                "options": [UrgentOptionOut.of(choice) for choice in result.options],
            }
        )


class SolveOut(ResponseModel):
    """A plan being made: ``queued``, ``solving``, then ``done`` (naming the draft plan) or ``failed``
    (with the problem a request would have been answered with)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 7,
                    "kind": "nbd",
                    "date": "2026-12-08",
                    "depots": ["SHA-C", "HGH-F"],
                    "state": "queued",
                    "time_limit_s": 10.0,
                    "seed": 0,
                    "attempts": 0,
                    "requested_by": "dispatcher",
                    "requested_at": "2026-12-07T01:30:02Z",
                    "started_at": None,
                    "finished_at": None,
                    "plan_id": None,
                    "plan": None,
                    "problem": None,
                },
                {
                    "id": 7,
                    "kind": "nbd",
                    "date": "2026-12-08",
                    "depots": ["SHA-C", "HGH-F"],
                    "state": "done",
                    "time_limit_s": 10.0,
                    "seed": 0,
                    "attempts": 1,
                    "requested_by": "dispatcher",
                    "requested_at": "2026-12-07T01:30:02Z",
                    "started_at": "2026-12-07T01:30:02Z",
                    "finished_at": "2026-12-07T01:30:13Z",
                    "plan_id": 8,
                    "plan": "/api/v1/routing/plans/8",
                    "problem": None,
                },
            ]
        }
    )

    id: int
    kind: str = Field(description="nbd (deliveries) or dispatch (engineers)")
    date: date
    depots: list[str] = Field(description="as asked; empty: every depot")
    state: Literal["queued", "solving", "done", "failed"]
    time_limit_s: float
    seed: int
    attempts: int = Field(description="runs that took it up (more than one after a restart or an outage)")
    requested_by: str
    requested_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    plan_id: int | None = Field(description="the draft plan, once done")
    plan: str | None = Field(description="the draft plan's URL, once done")
    problem: dict[str, Any] | None = Field(
        description="once failed: the problem document (type, title, status, detail, ...) that a request "
        "waiting for the plan was answered with"
    )

    @classmethod
    def of(cls, solve: SolveView, *, plan: str | None, problem: dict[str, Any] | None) -> SolveOut:
        return cls(
            id=solve.id,
            kind=solve.kind,
            date=solve.date,
            depots=list(solve.depots),
            state=solve.state,  # type: ignore[arg-type]
            time_limit_s=solve.time_limit_s,
            seed=solve.seed,
            attempts=solve.attempts,
            requested_by=solve.requested_by,
            requested_at=solve.requested_at,
            started_at=solve.started_at,
            finished_at=solve.finished_at,
            plan_id=solve.plan_id,
            plan=plan,
            problem=problem,
        )


class StopEventIn(RequestModel):
    """What happened at a stop: the van or engineer set off to it, arrived, finished it, could not do it
    (``failed``, with a reason), or it was called off (``cancelled``)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"type": "arrived", "at": "2026-12-08T09:42:00+08:00"},
                {"type": "failed", "at": "2026-12-08T10:05:00+08:00", "reason": "site closed, nobody there"},
            ]
        }
    )

    type: Literal["en_route", "arrived", "done", "failed", "cancelled"]
    at: Instant | None = Field(default=None, description="when it happened; now if not given")
    reason: Annotated[str, StringConstraints(max_length=500)] = ""


class PositionIn(RequestModel):
    """Where a van or an engineer is (or was at ``at``)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"latitude": 31.2304, "longitude": 121.4737, "at": "2026-12-08T16:35:00+08:00"}]
        }
    )

    latitude: float = Field(ge=-90, le=90, description="WGS-84 latitude, decimal degrees")
    longitude: float = Field(ge=-180, le=180, description="WGS-84 longitude, decimal degrees")
    at: Instant | None = Field(default=None, description="when it was there; now if not given")


class PositionOut(ResponseModel):
    code: str
    latitude: float
    longitude: float
    at: datetime

    @classmethod
    def of(cls, code: str, position: Position) -> PositionOut:
        point = position.point
        return cls(code=code, latitude=point.latitude, longitude=point.longitude, at=position.at)


class MoveIn(RequestModel):
    """Move a stop of the plan (``stop``, its id) or a ticket's stop (``ticket``) to the van or engineer
    ``to``, at ``position`` of its route (0 first; its end if not given). Its pickup goes with it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"stop": 412, "to": "ENG-SHA-C-2", "position": 1, "dry_run": True},
                {"ticket": 57, "to": "ENG-SHA-C-2", "override_reason": "customer agreed to a later visit"},
            ]
        }
    )

    stop: Id | None = None
    ticket: Id | None = None
    to: Code
    position: int | None = Field(default=None, ge=0, le=1000)
    dry_run: bool = False
    override_reason: Annotated[str, StringConstraints(max_length=500)] = Field(
        default="", description="why a soft deadline or a shift end may be broken (needed to break one)"
    )

    def to_request(self) -> MoveRequest:
        return MoveRequest(self.stop, self.ticket, self.to, self.position, self.dry_run, self.override_reason)


class StopMoveOut(ResponseModel):
    id: int = Field(description="the stop's id in the plan moved")
    key: str
    vehicle_before: str | None
    vehicle_after: str
    start_before: datetime | None
    start_after: datetime
    late_before_s: int
    late_after_s: int
    lateness_change_s: int


class MoveOut(ResponseModel):
    """What the move does: whether it can be made, what it would break (``needs_override``: soft deadlines
    as ``deadline:<stop key>``, shift ends as ``shift_end:<vehicle>``), every stop whose time changes, and,
    once made, the new draft plan (``plan_id``) to commit."""

    feasible: bool
    reason: str | None = Field(description="skills, capacity or window, when it cannot be made at all")
    needs_override: list[str]
    changes: list[StopMoveOut]
    overtime_s: dict[str, int] = Field(description="seconds past the shift end of each touched route")
    plan_id: int | None

    @classmethod
    def of(cls, result: MoveResult) -> MoveOut:
        return cls(
            feasible=result.feasible,
            reason=result.reason,
            needs_override=list(result.needs_override),
            changes=[
                StopMoveOut(
                    id=change.id,
                    key=change.key,
                    vehicle_before=change.vehicle_before,
                    vehicle_after=change.vehicle_after,
                    start_before=change.start_before,
                    start_after=change.start_after,
                    late_before_s=change.late_before_s,
                    late_after_s=change.late_after_s,
                    lateness_change_s=change.late_after_s - change.late_before_s,
                )
                for change in result.changes
            ],
            overtime_s=result.overtime_s,
            plan_id=result.plan_id,
        )
