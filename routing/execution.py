"""The day as it happens: stop events on committed plans, and where vans and engineers say they are.

A stop event moves a stop of the committed plan along `routing.stop_status` in one transaction: the
stop's status is updated only if it is still what the event was checked against (a conditional update),
and the event is appended to the day's log (`PlanStopEvent`) with an audit entry. What a finished stop
means elsewhere happens in the same transaction, through the services that own it: a delivery done
issues its reservations (`inventory.issuing.issue`), a van setting out to a delivery stop or a pickup done
records the step of each part it carries (`inventory.tickets.part_moved`, for the ticket's
timeline), an engineer's visit done meets the ticket's ``engineer_on_site`` milestone at the arrival time
(`inventory.tickets.record_event`), an inspection done is marked done; a stop for a ticket that failed
puts the ticket on the dispatcher's list with the reason (`inventory.tickets.stop_failed`), and the next
re-plan plans it again.

The log is read by stop key across the versions of the day's plan (`routing.stop_log.day_states`): a
re-plan carries a stop in progress into its new plan under the same key, and the history stays with the
day.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

import structlog

from geo.travel import Point
from inventory import notifications, tickets
from inventory.audit import log as audit
from inventory.errors import Conflict, InvalidTransition, NotFound
from inventory.issuing import issue
from inventory.persistence import write_transaction
from inventory.tickets.tables import Fulfilment, Reservation, TicketMilestone
from routing.availability import VEHICLE
from routing.fulfilment import PICKUP_SUFFIX, refresh_committed_etas
from routing.plan_store import COMMITTED, StopView, stop_view
from routing.stop_status import StopStatus, next_status
from routing.tables import Engineer, FleetPosition, Inspection, PlanStop, PlanStopEvent, RoutePlanRecord
from routing.tables import Vehicle as VehicleRow

log = structlog.get_logger("routing.execution")

LOST_STOPS_AT_ONCE = 500
"""How many open items of the dispatcher's list one pre-emption looks through for stops to cancel."""


@dataclass(frozen=True, slots=True)
class StopStatusChange:
    """A stop's status changed (what `on_stop_status_changed` is told)."""

    plan: int
    kind: str
    day: date
    stop: StopView
    vehicle: str
    previous: StopStatus
    status: StopStatus
    at: datetime
    reason: str


@dataclass(frozen=True, slots=True)
class Position:
    """Where a van or an engineer last said it was, and when."""

    point: Point
    at: datetime


async def record_stop_event(
    plan_id: int,
    stop_id: int,
    *,
    kind: str,
    status: StopStatus,
    at: datetime,
    reason: str,
    actor: str,
    now: datetime,
) -> StopView:
    """Report that stop ``stop_id`` of committed plan ``plan_id`` (of ``kind``) became ``status`` at ``at``.

    Raises:
        NotFound: no such plan of that kind, or no such stop in it.
        InvalidTransition: the plan is not committed, the stop is not routed, the status cannot follow
            the stop's (`routing.stop_status.next_status`), or the stop changed meanwhile.
        InvalidRequest: a failure without a reason, or ``at`` before the stop's previous event.
    """
    async with write_transaction():
        plan = (
            await RoutePlanRecord.select(RoutePlanRecord.status, RoutePlanRecord.plan_date)
            .where((RoutePlanRecord.id == plan_id) & (RoutePlanRecord.kind == kind))
            .first()
        )
        if plan is None:
            raise NotFound(f"plan {plan_id} not found", field="id")
        if plan["status"] != COMMITTED:
            raise InvalidTransition(
                f"plan {plan_id} is {plan['status']}: only the committed plan is carried out",
                state=plan["status"],
            )
        row = await _stop_row(plan_id, stop_id)
        if row["route"] is None:
            raise InvalidTransition(f"stop {stop_id} is not on any route of plan {plan_id}", field="stop")
        previous = StopStatus(row["status"])
        last = await _last_event(kind, plan["plan_date"], row["stop_key"])
        next_status(previous, status, at=at, last_at=None if last is None else last["at"], reason=reason)
        changed = (
            await PlanStop.update({PlanStop.status: status.value})
            .where((PlanStop.id == stop_id) & (PlanStop.status == previous.value))
            .returning(PlanStop.id)
        )
        if not changed:
            raise Conflict(f"stop {stop_id} changed meanwhile; read it again", field="stop")
        await PlanStopEvent.insert(
            PlanStopEvent(
                plan=plan_id,
                stop=stop_id,
                kind=kind,
                plan_date=plan["plan_date"],
                stop_key=row["stop_key"],
                vehicle=row["vehicle"],
                status=status.value,
                at=at,
                reason=reason,
                reported_by=actor,
                recorded_at=now,
            )
        )
        await audit.append(
            f"stop.{status.value}",
            f"plan_stop:{stop_id}",
            {"plan": plan_id, "key": row["stop_key"], "vehicle": row["vehicle"], "at": at, "reason": reason},
            actor=actor,
            at=now,
        )
        step = _part_step(row["kind"], previous, status)
        if step is not None:
            # A pickup is the way of the parts its visit (engineer) or delivery (urgent van) brings.
            keys = {row["stop_key"], row["stop_key"].removesuffix(PICKUP_SUFFIX)}
            await tickets.part_moved(plan_id, keys, step, at=at, now=now)
        if status is StopStatus.DONE:
            arrived = last["at"] if last is not None and last["status"] == StopStatus.ARRIVED else at
            await _finish(row, arrived_at=arrived, actor=actor, now=now)
        elif status is StopStatus.FAILED and row["ticket"] is not None:
            await tickets.stop_failed(
                row["ticket"], reason=reason, plan=plan_id, stop=row["stop_key"], actor=actor, now=now
            )
        view = stop_view(await _stop_row(plan_id, stop_id))
        await on_stop_status_changed(
            StopStatusChange(
                plan_id, kind, plan["plan_date"], view, row["vehicle"], previous, status, at, reason
            ),
            now=now,
        )
    return view


async def on_stop_status_changed(change: StopStatusChange, *, now: datetime) -> None:
    """Everything that follows a stop's new status, in the transaction that stores it: the
    ``stop.status_changed`` notification (a staff event), the committed ETAs that tickets, reservations
    and customers see (`routing.fulfilment.refresh_committed_etas`), and a log line."""
    await notifications.publish(
        notifications.STOP_STATUS_CHANGED,
        {
            "plan": change.plan,
            "kind": change.kind,
            "stop": change.stop.id,
            "vehicle": change.vehicle,
            "ticket": change.stop.ticket,
            "previous_status": str(change.previous),
            "status": str(change.status),
            "at": change.at,
            "reason": change.reason or None,
        },
        company=None,
        now=now,
    )
    await refresh_committed_etas(change.plan, now=now)
    log.info(
        "stop_status_changed",
        plan=change.plan,
        stop=change.stop.id,
        key=change.stop.key,
        vehicle=change.vehicle,
        previous=str(change.previous),
        status=str(change.status),
        at=change.at.isoformat(),
    )


async def cancel_lost_stops(*, actor: str, now: datetime) -> list[int]:
    """Cancel (reason ``preempted``) the stops of committed plans that were there only for parts their
    tickets have lost: the open ``preempted`` items of the dispatcher's list name the plan and stop that
    lost each part. A stop that still carries another committed part, or that has started, stays as it
    is. Runs in the caller's transaction (after the reservation that pre-empted); the ids cancelled.
    """
    cancelled: list[int] = []
    async with write_transaction():
        items = await tickets.attention_list(limit=LOST_STOPS_AT_ONCE, offset=0)
        for item in items:
            if item.reason != tickets.PREEMPTED or item.plan is None or item.stop is None:
                continue
            row = await (
                PlanStop.select(PlanStop.id, PlanStop.status, PlanStop.plan.kind.as_alias("kind"))
                .where((PlanStop.plan == item.plan) & (PlanStop.stop_key == item.stop))
                .first()
            )
            if row is None or row["status"] != StopStatus.PLANNED:
                continue
            still_carried = await Fulfilment.count().where(
                (Fulfilment.plan == item.plan) & (Fulfilment.stop == item.stop)
            )
            if still_carried:
                continue
            await record_stop_event(
                item.plan,
                row["id"],
                kind=row["kind"],
                status=StopStatus.CANCELLED,
                at=now,
                reason=tickets.PREEMPTED,
                actor=actor,
                now=now,
            )
            cancelled.append(row["id"])
    return cancelled


async def _stop_row(plan_id: int, stop_id: int) -> dict:
    row = (
        await PlanStop.select(
            *PlanStop.all_columns(),
            PlanStop.site.code.as_alias("site_code"),
            PlanStop.route.vehicle.as_alias("vehicle"),
        )
        .where((PlanStop.id == stop_id) & (PlanStop.plan == plan_id))
        .first()
    )
    if row is None:
        raise NotFound(f"stop {stop_id} not found in plan {plan_id}", field="stop")
    return row


async def _last_event(kind: str, day: date, key: str) -> dict | None:
    return (
        await PlanStopEvent.select(PlanStopEvent.status, PlanStopEvent.at)
        .where(
            (PlanStopEvent.kind == kind) & (PlanStopEvent.plan_date == day) & (PlanStopEvent.stop_key == key)
        )
        .order_by(PlanStopEvent.at, ascending=False)
        .order_by(PlanStopEvent.id, ascending=False)
        .first()
    )


def _part_step(kind: str, previous: StopStatus, status: StopStatus) -> str | None:
    """The step of the parts' way a stop event reports: a van setting out to (or reaching) its delivery
    stop has them on board; a pickup done (an engineer's, or an urgent delivery's van) has picked them up
    at the depot."""
    if (
        kind == "delivery"
        and previous is StopStatus.PLANNED
        and status
        in (
            StopStatus.EN_ROUTE,
            StopStatus.ARRIVED,
        )
    ):
        return tickets.ON_THE_VAN
    if kind == "pickup" and status is StopStatus.DONE:
        return tickets.PICKED
    return None


async def _finish(row: dict, *, arrived_at: datetime, actor: str, now: datetime) -> None:
    """What a stop done means for what it is about, by the services that own it."""
    if row["kind"] == "delivery" and row["ticket"] is not None:
        held = await Reservation.select(Reservation.id).where(
            (Reservation.ticket == row["ticket"])
            & (Reservation.depot.code == row["depot"])
            & (Reservation.status == "active")
        )
        for reservation in held:
            await issue(reservation["id"], serial=None, failed_serial=None, actor=actor, now=now)
    elif row["kind"] == "visit" and row["ticket"] is not None:
        waiting = await TicketMilestone.exists().where(
            (TicketMilestone.ticket == row["ticket"])
            & (TicketMilestone.milestone == tickets.Milestone.ON_SITE.value)
            & TicketMilestone.met_at.is_null()
        )
        if waiting:
            await tickets.record_event(
                row["ticket"],
                tickets.TicketEvent.ENGINEER_ON_SITE,
                at=arrived_at,
                note=f"visit {row['stop_key']} by {row['vehicle']}",
                actor=actor,
                now=now,
            )
    elif row["kind"] == "inspection" and row["inspection"] is not None:
        await Inspection.update({Inspection.status: "done", Inspection.done_at: arrived_at}).where(
            (Inspection.id == row["inspection"]) & (Inspection.status == "planned")
        )


async def report_position(
    kind: str, code: str, *, latitude: float, longitude: float, at: datetime, actor: str, now: datetime
) -> Position:
    """Keep where van or engineer ``code`` says it was at ``at``; the latest ``at`` is where it is.

    Raises:
        NotFound: no such van or engineer.
    """
    table = VehicleRow if kind == VEHICLE else Engineer
    async with write_transaction():
        if not await table.exists().where(table.code == code):
            raise NotFound(f"{kind} {code} not found", field="code")
        await FleetPosition.insert(
            FleetPosition(
                kind=kind,
                code=code,
                latitude=latitude,
                longitude=longitude,
                at=at,
                reported_by=actor,
                recorded_at=now,
            )
        )
    return (await latest_positions(kind, [code], until=max(at, now)))[code]


async def latest_positions(kind: str, codes: Sequence[str], *, until: datetime) -> dict[str, Position]:
    """The last position reported at or before ``until`` by each of ``codes`` that reported one."""
    if not codes:
        return {}
    rows = (
        await FleetPosition.select(
            FleetPosition.code, FleetPosition.latitude, FleetPosition.longitude, FleetPosition.at
        )
        .where(
            (FleetPosition.kind == kind) & FleetPosition.code.is_in(list(codes)) & (FleetPosition.at <= until)
        )
        .order_by(FleetPosition.at)
        .order_by(FleetPosition.id)
    )
    return {row["code"]: Position(Point(row["latitude"], row["longitude"]), row["at"]) for row in rows}
