"""What a committed plan promises each reserved part and each ticket, written into the inventory.

A delivery plan brings a ticket's parts held at a depot on one delivery stop (``T<ticket>@<depot>``: every
part of the ticket active there when the plan was made) or an urgent part on its own (``U<reservation>``);
a dispatch plan's engineer collects a ticket's parts at a depot on a pickup stop and brings them to the
visit, so they arrive at the visit's ETA. `plan_ways` reads that from the kept plan; `commit_plan_ways`
(called by `routing.plan_store.commit_plan`) and `refresh_committed_etas` hand it to
`inventory.tickets.fulfilment`, which keeps one way per part and the ETA everyone sees (why there: see
that module).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from inventory.tickets.fulfilment import COLLECTION, ENGINEER, VAN, VISIT, Way, commit_ways, refresh_ways
from inventory.tickets.tables import Fulfilment, Reservation
from routing.tables import PlanStop, RoutePlanRecord

ACTIVE = "active"
COMMITTED = "committed"
DONE = "done"
PICKUP_SUFFIX = ":pickup"


async def plan_ways(plan_id: int) -> list[Way]:
    """The ways the plan's routed stops give: parts by van or engineer, and the engineers' visits."""
    plan = (
        await RoutePlanRecord.select(RoutePlanRecord.kind, RoutePlanRecord.created_at)
        .where(RoutePlanRecord.id == plan_id)
        .first()
    )
    if plan is None:
        return []
    stops = await PlanStop.select(
        PlanStop.stop_key,
        PlanStop.kind,
        PlanStop.ticket,
        PlanStop.reservation,
        PlanStop.depot,
        PlanStop.eta,
        PlanStop.route.vehicle.as_alias("vehicle"),
    ).where((PlanStop.plan == plan_id) & PlanStop.route.is_not_null() & PlanStop.ticket.is_not_null())
    tickets, made_at = {stop["ticket"] for stop in stops}, plan["created_at"]
    if plan["kind"] == "dispatch":
        return _dispatch_ways(stops, await _held_parts(tickets, made_at, otherwise=(VAN, COLLECTION)))
    return _delivery_ways(stops, await _held_parts(tickets, made_at, otherwise=(ENGINEER, COLLECTION)))


async def commit_plan_ways(plan_id: int, *, replacing: Sequence[int], actor: str, now: datetime) -> None:
    """The plan is being committed (in the caller's transaction), replacing ``replacing``: its ways
    become the committed ones; the ways of the replaced plans' stops already done stay (a re-plan leaves
    what is done out, and a part brought or a visit made keeps the way and time it came by).

    Raises:
        inventory.tickets.fulfilment.SecondWay: a part already has another way (409, naming it).
    """
    finished = (
        await PlanStop.select(PlanStop.plan, PlanStop.stop_key).where(
            PlanStop.plan.is_in(list(replacing)) & (PlanStop.status == DONE) & PlanStop.route.is_not_null()
        )
        if replacing
        else []
    )
    await commit_ways(
        plan_id,
        await plan_ways(plan_id),
        replacing=replacing,
        actor=actor,
        now=now,
        finished=_finished_ways({(row["plan"], row["stop_key"]) for row in finished}),
    )


def _finished_ways(done: set[tuple[int, str]]) -> set[tuple[int, str]]:
    """Of the stops done, those whose ways are over: visits made, and pickups whose visit was made (a
    part picked up whose visit is still to come arrives when the new plan's visit does)."""
    return {
        (plan, key)
        for plan, key in done
        if not key.endswith(PICKUP_SUFFIX) or (plan, key.removesuffix(PICKUP_SUFFIX)) in done
    }


async def refresh_committed_etas(plan_id: int, *, now: datetime) -> None:
    """The committed plan's stop times changed (a stop event, a move): tickets, reservations and customers
    see its new ETAs, and tickets' at-risk state follows. A plan not committed changes nothing."""
    status = await RoutePlanRecord.select(RoutePlanRecord.status).where(RoutePlanRecord.id == plan_id).first()
    if status is None or status["status"] != COMMITTED:
        return
    await refresh_ways(plan_id, await plan_ways(plan_id), now=now)


def _delivery_ways(stops: Sequence[dict], held: dict[tuple[int, str], list[int]]) -> list[Way]:
    ways = []
    for stop in stops:
        if stop["kind"] != "delivery":
            continue
        if stop["stop_key"].startswith("U"):
            parts = [stop["reservation"]] if stop["reservation"] is not None else []
        else:
            parts = held.get((stop["ticket"], stop["depot"]), [])
        ways += [
            Way(stop["ticket"], part, VAN, stop["stop_key"], stop["vehicle"], stop["eta"]) for part in parts
        ]
    return ways


def _dispatch_ways(stops: Sequence[dict], held: dict[tuple[int, str], list[int]]) -> list[Way]:
    visits = {stop["stop_key"]: stop for stop in stops if stop["kind"] == "visit"}
    ways = [
        Way(stop["ticket"], None, VISIT, key, stop["vehicle"], stop["eta"]) for key, stop in visits.items()
    ]
    for stop in stops:
        visit = visits.get(stop["stop_key"].removesuffix(PICKUP_SUFFIX))
        if stop["kind"] != "pickup" or visit is None:
            continue
        ways += [
            Way(stop["ticket"], part, ENGINEER, stop["stop_key"], stop["vehicle"], visit["eta"])
            for part in held.get((stop["ticket"], stop["depot"]), [])
        ]
    return ways


async def _held_parts(
    tickets: set[int], made_at: datetime, *, otherwise: tuple[str, ...]
) -> dict[tuple[int, str], list[int]]:
    """``(ticket, depot) -> reservations`` active now and already made when the plan was, but those that
    already reached their site another way (``otherwise``) then: the planner left them out."""
    if not tickets:
        return {}
    arranged = Fulfilment.select(Fulfilment.reservation).where(
        Fulfilment.way.is_in(list(otherwise))
        & (Fulfilment.committed_at <= made_at)
        & Fulfilment.reservation.is_not_null()
    )
    rows = await Reservation.select(
        Reservation.id, Reservation.ticket, Reservation.depot.code.as_alias("depot")
    ).where(
        Reservation.ticket.is_in(sorted(tickets))
        & (Reservation.status == ACTIVE)
        & (Reservation.created_at <= made_at)
        & Reservation.id.not_in(arranged)
    )
    held: dict[tuple[int, str], list[int]] = {}
    for row in sorted(rows, key=lambda row: row["id"]):
        held.setdefault((row["ticket"], row["depot"]), []).append(row["id"])
    return held
