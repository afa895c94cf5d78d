"""The day's stop events read back: where each stop of a day's plans stands, by stop key.

A re-plan carries a stop in progress into its new plan under the same key, so the day's history is read
by key across the versions of the day's plan, not by the row of one plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from geo.travel import Point
from routing.assembly import Place
from routing.stop_status import FINAL, IN_PROGRESS, StopStatus
from routing.tables import PlanStop, PlanStopEvent


@dataclass(frozen=True, slots=True)
class StopState:
    """Where a stop of the day stands: its last status, when that happened, on which vehicle, when it was
    reached (``arrived_at``) if it was, and where the stop is made."""

    key: str
    vehicle: str
    status: StopStatus
    at: datetime
    arrived_at: datetime | None
    place: Place

    @property
    def in_progress(self) -> bool:
        return self.status in IN_PROGRESS

    @property
    def final(self) -> bool:
        return self.status in FINAL


async def day_states(kind: str, day: date) -> dict[str, StopState]:
    """Every stop of the day's plans of ``kind`` that has had an event, by key, as it stands now."""
    rows = (
        await PlanStopEvent.select(
            PlanStopEvent.stop_key,
            PlanStopEvent.vehicle,
            PlanStopEvent.status,
            PlanStopEvent.at,
            PlanStopEvent.stop.place.as_alias("place"),
            PlanStopEvent.stop.latitude.as_alias("latitude"),
            PlanStopEvent.stop.longitude.as_alias("longitude"),
        )
        .where((PlanStopEvent.kind == kind) & (PlanStopEvent.plan_date == day))
        .order_by(PlanStopEvent.at)
        .order_by(PlanStopEvent.id)
    )
    states: dict[str, StopState] = {}
    for row in rows:
        status = StopStatus(row["status"])
        before = states.get(row["stop_key"])
        arrived = row["at"] if status is StopStatus.ARRIVED else (before.arrived_at if before else None)
        place = Place(row["place"], Point(row["latitude"], row["longitude"]))
        states[row["stop_key"]] = StopState(
            row["stop_key"], row["vehicle"], status, row["at"], arrived, place
        )
    return states


async def carry_statuses(plan_id: int, kind: str, day: date) -> None:
    """Give the stops of plan ``plan_id`` the statuses their keys have in the day's log (a plan made or
    committed after some of its stops were started), in the caller's transaction. A stop that failed
    stays ``planned`` in a later plan: its ticket returned to be planned, and this is its new try."""
    for key, state in (await day_states(kind, day)).items():
        if state.status is StopStatus.FAILED:
            continue
        await PlanStop.update({PlanStop.status: state.status.value}).where(
            (PlanStop.plan == plan_id) & (PlanStop.stop_key == key) & PlanStop.route.is_not_null()
        )
