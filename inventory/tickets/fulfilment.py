"""One way to the site per reserved part, the committed ETA, and tickets at risk.

Plans live in `routing`, which imports the inventory and never the other way round; tickets, reservations
and what customers see live here. So a committed plan's promises are written *into* the inventory, by
this module alone: `routing.fulfilment` calls `commit_ways` in the transaction that commits a plan and
`refresh_ways` when its times change, and reads nothing back. Everything that shows an ETA (a ticket, a
reservation, the customer's view, the expiry sweep, the at-risk flag) then reads one place, the
``fulfilment`` table, instead of composing plans in the API layer; and a reservation that ends here
(pre-empted, released) drops its way in the same transaction as its stock.

A reservation reaches its site one way: a ``van`` (a delivery stop of a committed delivery plan), an
``engineer`` (the pickup stop of a committed dispatch plan; the part arrives with the engineer) or a
customer ``collection`` (arranged by a dispatcher). A unique index on ``fulfilment.reservation`` makes a
second way impossible even under concurrent commits; `commit_ways` and `arrange_collection` check first
so that the answer names the plan and stop already holding the part (`SecondWay`, 409). A row of way
``visit`` (no reservation) is the engineer's committed visit of a ticket.

At risk (`inventory.tickets.at_risk`) is stored on the ticket whenever its ways or the facts they are
measured against change (`reassess`), so that lists filter on an index. `_announce_at_risk` is the one
place where a ticket that becomes at risk is announced (log, audit chain and the ``ticket.at_risk``
notification).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog

from inventory import notifications
from inventory.audit import log as audit
from inventory.errors import Conflict, InvalidRequest, InvalidTransition, NotFound
from inventory.persistence import write_transaction
from inventory.tickets.at_risk import Expectation, Outlook, Promise, outlook
from inventory.tickets.records import ReservationRecord
from inventory.tickets.reservation_views import check_visible
from inventory.tickets.sla import ClockState, Milestone
from inventory.tickets.tables import (
    DispatchAttention,
    Fulfilment,
    PartStep,
    Reservation,
    Ticket,
    TicketMilestone,
)

VAN, ENGINEER, COLLECTION, VISIT = "van", "engineer", "collection", "visit"
PICKED, ON_THE_VAN = "picked", "on_the_van"
"""The steps of a part's way its carrier reports: picked up at the depot (by the engineer, or by the van of
an urgent delivery), on the van to the site."""
PREEMPTED = "preempted"
STOP_FAILED = "stop_failed"
"""Why a ticket is on the dispatcher's list: a committed stop for it failed (it is planned again)."""
ACTIVE = "active"
CLOCK_SKEW = timedelta(minutes=5)

log = structlog.get_logger("inventory.fulfilment")


class SecondWay(Conflict):
    """The part already has another way to its site (another committed plan, or a collection)."""

    code = "second-fulfilment"


@dataclass(frozen=True, slots=True)
class Way:
    """What a committed plan promises: ``reservation``'s part reaches the site by ``way`` (``van`` or
    ``engineer``) at ``eta``, carried by ``carrier`` on stop ``stop``; or, with way ``visit`` and no
    reservation, the engineer ``carrier`` is on site for ``ticket`` at ``eta``."""

    ticket: int
    reservation: int | None
    way: str
    stop: str
    carrier: str
    eta: datetime


@dataclass(frozen=True, slots=True)
class PartWay:
    """One reservation of a ticket and how its part reaches the site (``way`` None: not arranged yet).

    ``eta`` is the committed one when a way is committed, else the reservation's sourcing estimate
    (``eta_committed`` says which).
    """

    reservation: int
    part_number: str
    quantity: int
    depot: str
    status: str
    way: str | None
    carrier: str | None
    plan: int | None
    stop: str | None
    eta: datetime
    eta_committed: bool


@dataclass(frozen=True, slots=True)
class TicketFulfilment:
    """How every reserved part of a ticket reaches its site, the engineer's committed visit, and whether
    the ticket is at risk."""

    ticket: int
    at_risk: bool
    predicted_late_seconds: int
    parts: tuple[PartWay, ...]
    visit_by: str | None
    visit_plan: int | None
    visit_eta: datetime | None


@dataclass(frozen=True, slots=True)
class AttentionItem:
    """A ticket on the dispatcher's list: what happened (``reason``), to which reservation, which plan
    and stop lost it."""

    id: int
    ticket: int
    reservation: int | None
    reason: str
    note: str
    plan: int | None
    stop: str | None
    raised_by: str
    raised_at: datetime
    resolved_by: str | None
    resolved_at: datetime | None
    site_timezone: str
    """The time zone of the ticket's site: the place its times are read in."""


async def commit_ways(
    plan_id: int,
    ways: Sequence[Way],
    *,
    replacing: Sequence[int],
    actor: str,
    now: datetime,
    finished: Collection[tuple[int, str]] = (),
) -> None:
    """Make ``ways`` the committed ways of plan ``plan_id``, in the caller's transaction; the ways of the
    plans it replaces (``replacing``) end, but those of their stops already ``finished`` (``(plan, stop
    key)``: a part picked up and brought, a visit made), which are history the new plan leaves out.

    Raises:
        SecondWay: a reservation already has a way from another committed plan, or a collection.
    """
    mine = {plan_id, *replacing}
    async with write_transaction():
        reservations = sorted({way.reservation for way in ways if way.reservation is not None})
        for row in await _ways_of(reservations):
            if row["plan"] not in mine:
                raise _second_way(row)
        # Parts already handed over keep the way they came by; the rest is what the plans now say.
        ending = Fulfilment.plan.is_in(sorted(mine)) & (
            Fulfilment.reservation.is_null()
            | Fulfilment.reservation.is_in(
                Reservation.select(Reservation.id).where(Reservation.status == ACTIVE)
            )
        )
        ended = [
            row
            for row in await Fulfilment.select(
                Fulfilment.id, Fulfilment.ticket, Fulfilment.plan, Fulfilment.stop
            ).where(ending)
            if (row["plan"], row["stop"]) not in finished
        ]
        if ended:
            await Fulfilment.delete().where(Fulfilment.id.is_in([row["id"] for row in ended]))
        visits = sorted({way.ticket for way in ways if way.way == VISIT})
        if visits:
            await Fulfilment.delete().where((Fulfilment.way == VISIT) & Fulfilment.ticket.is_in(visits))
        if ways:
            await Fulfilment.insert(
                *[
                    Fulfilment(
                        ticket=way.ticket,
                        reservation=way.reservation,
                        way=way.way,
                        plan=plan_id,
                        stop=way.stop,
                        carrier=way.carrier,
                        eta=way.eta,
                        committed_by=actor,
                        committed_at=now,
                    )
                    for way in ways
                ]
            )
        await audit.append(
            "fulfilment.committed",
            f"plan:{plan_id}",
            {"reservations": reservations, "replacing": sorted(replacing)},
            actor=actor,
            at=now,
        )
        await reassess({row["ticket"] for row in ended} | {way.ticket for way in ways}, now=now)


async def refresh_ways(plan_id: int, ways: Sequence[Way], *, now: datetime) -> None:
    """The plan's times (or carriers) changed: its committed ways take the new ETAs, each moved ETA is
    announced (``ticket.eta_changed``), and the tickets' at-risk state follows. Ways the plan no longer
    has are left as they are."""
    async with write_transaction():
        before = {
            _way_key(row["way"], row["reservation"], row["ticket"]): row
            for row in await Fulfilment.select(
                Fulfilment.ticket,
                Fulfilment.reservation,
                Fulfilment.way,
                Fulfilment.eta,
                Fulfilment.ticket.customer.as_alias("customer"),
            ).where(Fulfilment.plan == plan_id)
        }
        for way in ways:
            match = (Fulfilment.plan == plan_id) & (Fulfilment.way == way.way)
            if way.reservation is None:
                match &= Fulfilment.ticket == way.ticket
            else:
                match &= Fulfilment.reservation == way.reservation
            await Fulfilment.update(
                {Fulfilment.eta: way.eta, Fulfilment.carrier: way.carrier, Fulfilment.stop: way.stop}
            ).where(match)
            was = before.get(_way_key(way.way, way.reservation, way.ticket))
            if was is not None and was["eta"] != way.eta:
                await notifications.publish(
                    notifications.TICKET_ETA_CHANGED,
                    {
                        "ticket": way.ticket,
                        "reservation": way.reservation,
                        "source": "visit" if way.way == VISIT else "delivery",
                        "plan": plan_id,
                        "stop": way.stop,
                        "previous_eta": was["eta"],
                        "eta": way.eta,
                    },
                    company=was["customer"],
                    now=now,
                )
        await reassess({way.ticket for way in ways}, now=now)


def _way_key(way: str, reservation: int | None, ticket: int) -> tuple[str, int | None, int | None]:
    """A committed way of a plan: a part's by its reservation, an engineer's visit by its ticket."""
    return (way, reservation, ticket if reservation is None else None)


async def arrange_collection(
    reservation_id: int, at: datetime, *, actor: str, now: datetime
) -> TicketFulfilment:
    """The customer collects the reserved part at its depot at ``at``: that becomes its one way (arranging
    it again moves the time).

    Raises:
        NotFound: no such reservation.
        InvalidTransition: the reservation no longer holds its part.
        InvalidRequest: ``at`` is in the past.
        SecondWay: a committed plan already brings the part.
    """
    if at < now - CLOCK_SKEW:
        raise InvalidRequest("a collection is arranged for a time to come", field="at")
    async with write_transaction():
        reservation = (
            await Reservation.select(Reservation.ticket, Reservation.status)
            .where(Reservation.id == reservation_id)
            .first()
        )
        if reservation is None:
            raise NotFound(f"reservation {reservation_id} not found")
        if reservation["status"] != ACTIVE:
            raise InvalidTransition(
                f"reservation {reservation_id} is {reservation['status']}", state=reservation["status"]
            )
        for row in await _ways_of([reservation_id]):
            if row["way"] != COLLECTION:
                raise _second_way(row)
        await Fulfilment.delete().where(Fulfilment.reservation == reservation_id)
        await Fulfilment.insert(
            Fulfilment(
                ticket=reservation["ticket"],
                reservation=reservation_id,
                way=COLLECTION,
                eta=at,
                committed_by=actor,
                committed_at=now,
            )
        )
        await audit.append(
            "reservation.collection",
            f"reservation:{reservation_id}",
            {"ticket": reservation["ticket"], "at": at},
            actor=actor,
            at=now,
        )
        await reassess([reservation["ticket"]], now=now)
    return await ticket_fulfilment(reservation["ticket"], viewer=None)


async def withdraw(reservation_id: int, *, reason: str, actor: str, now: datetime, attention: bool) -> None:
    """The reservation no longer holds its part (``reason``: e.g. pre-empted or released): its way ends,
    in the caller's transaction; with ``attention``, its ticket goes on the dispatcher's list, naming
    the plan and stop that lost the part."""
    async with write_transaction():
        row = await Reservation.select(Reservation.ticket).where(Reservation.id == reservation_id).first()
        if row is None:
            return
        ways = await _ways_of([reservation_id])
        if ways:
            await Fulfilment.delete().where(Fulfilment.reservation == reservation_id)
        if attention:
            lost = ways[0] if ways else None
            await DispatchAttention.insert(
                DispatchAttention(
                    ticket=row["ticket"],
                    reservation=reservation_id,
                    reason=reason,
                    note=_lost_note(reservation_id, reason, lost),
                    plan=lost["plan"] if lost else None,
                    stop=lost["stop"] if lost else None,
                    raised_by=actor,
                    raised_at=now,
                )
            )
            log.info("dispatch_attention", ticket=row["ticket"], reservation=reservation_id, reason=reason)
        await reassess([row["ticket"]], now=now)


async def stop_failed(
    ticket_id: int, *, reason: str, plan: int, stop: str, actor: str, now: datetime
) -> None:
    """Committed stop ``stop`` of plan ``plan`` for the ticket failed (``reason`` as reported), in the
    caller's transaction: the ticket goes on the dispatcher's list with the reason, and the next re-plan
    plans the stop again (`routing.live_day`)."""
    async with write_transaction():
        await DispatchAttention.insert(
            DispatchAttention(
                ticket=ticket_id,
                reservation=None,
                reason=STOP_FAILED,
                note=reason,
                plan=plan,
                stop=stop,
                raised_by=actor,
                raised_at=now,
            )
        )
    log.info("dispatch_attention", ticket=ticket_id, reason=STOP_FAILED, plan=plan, stop=stop)


async def part_moved(
    plan_id: int, stops: Collection[str], step: str, *, at: datetime, now: datetime
) -> list[int]:
    """The carrier of plan ``plan_id``'s committed ``stops`` (stop keys) reported ``step`` at ``at``
    (`PICKED`: it picked their parts up at the depot; `ON_THE_VAN`: the van set out to the site with
    them), in the caller's transaction: each part still held whose way those stops are keeps the step,
    which its ticket's timeline shows. Returns the reservations that moved (none when no part's way is
    one of those stops).

    Raises:
        InvalidRequest: an unknown step.
    """
    if step not in (PICKED, ON_THE_VAN):
        raise InvalidRequest(f"unknown step {step!r} of a part's way", field="step")
    async with write_transaction():
        carried = await Fulfilment.select(
            Fulfilment.ticket, Fulfilment.reservation, Fulfilment.carrier
        ).where(
            (Fulfilment.plan == plan_id)
            & Fulfilment.stop.is_in(sorted(stops) or [""])
            & Fulfilment.reservation.is_in(
                Reservation.select(Reservation.id).where(Reservation.status == ACTIVE)
            )
        )
        if carried:
            await PartStep.insert(
                *[
                    PartStep(
                        ticket=row["ticket"],
                        reservation=row["reservation"],
                        step=step,
                        carrier=row["carrier"],
                        at=at,
                        recorded_at=now,
                    )
                    for row in carried
                ]
            )
    return sorted(row["reservation"] for row in carried)


async def ticket_fulfilment(ticket_id: int, *, viewer: str | None) -> TicketFulfilment:
    """How each reserved part of the ticket reaches its site, with the committed ETA.

    Raises:
        NotFound: no such ticket, or not the viewer's company's.
    """
    await check_visible(ticket_id, viewer=viewer)
    ticket = (
        await Ticket.select(Ticket.at_risk, Ticket.predicted_late_seconds)
        .where(Ticket.id == ticket_id)
        .first()
    )
    reservations = (
        await Reservation.select(
            Reservation.id,
            Reservation.part.part_number.as_alias("part_number"),
            Reservation.quantity,
            Reservation.depot.code.as_alias("depot"),
            Reservation.status,
            Reservation.estimated_arrival,
        )
        .where(Reservation.ticket == ticket_id)
        .order_by(Reservation.id)
    )
    return _fulfilment(
        ticket_id,
        ticket["at_risk"],
        ticket["predicted_late_seconds"],
        reservations,
        await Fulfilment.select().where(Fulfilment.ticket == ticket_id),
    )


async def fulfilment_of(
    ticket_id: int, *, at_risk: bool, predicted_late_seconds: int, reservations: Sequence[ReservationRecord]
) -> TicketFulfilment:
    """`ticket_fulfilment` for a caller that has read the ticket (its at-risk state) and its reservations
    already: one statement more, the ticket's committed ways."""
    rows = [
        {
            "id": record.id,
            "part_number": record.part_number,
            "quantity": record.quantity,
            "depot": record.depot,
            "status": record.status,
            "estimated_arrival": record.estimated_arrival,
        }
        for record in reservations
    ]
    ways = await Fulfilment.select().where(Fulfilment.ticket == ticket_id)
    return _fulfilment(ticket_id, at_risk, predicted_late_seconds, rows, ways)


def _fulfilment(
    ticket_id: int,
    at_risk: bool,
    predicted_late_seconds: int,
    reservations: Sequence[dict],
    ways: Sequence[dict],
) -> TicketFulfilment:
    by_reservation = {row["reservation"]: row for row in ways if row["reservation"] is not None}
    visit = next((row for row in ways if row["way"] == VISIT), None)
    parts = []
    for reservation in reservations:
        way = by_reservation.get(reservation["id"])
        parts.append(
            PartWay(
                reservation["id"],
                reservation["part_number"],
                reservation["quantity"],
                reservation["depot"],
                reservation["status"],
                way["way"] if way else None,
                way["carrier"] if way else None,
                way["plan"] if way else None,
                way["stop"] if way else None,
                way["eta"] if way else reservation["estimated_arrival"],
                way is not None,
            )
        )
    return TicketFulfilment(
        ticket_id,
        at_risk,
        predicted_late_seconds,
        tuple(parts),
        visit["carrier"] if visit else None,
        visit["plan"] if visit else None,
        visit["eta"] if visit else None,
    )


_ATTENTION_COLUMNS = (
    *DispatchAttention.all_columns(),
    DispatchAttention.ticket.site.timezone.as_alias("site_timezone"),
)


async def attention_list(*, limit: int, offset: int, open_only: bool = True) -> list[AttentionItem]:
    """The dispatcher's list: tickets that lost what was arranged for them, oldest first."""
    query = DispatchAttention.select(*_ATTENTION_COLUMNS).order_by(
        DispatchAttention.raised_at, DispatchAttention.id
    )
    if open_only:
        query = query.where(DispatchAttention.resolved_at.is_null())
    return [AttentionItem(**row) for row in await query.limit(limit).offset(offset)]


async def resolve_attention(item_id: int, *, actor: str, now: datetime) -> AttentionItem:
    """Take an item off the dispatcher's list (resolving it again changes nothing).

    Raises:
        NotFound: no such item.
    """
    async with write_transaction():
        await DispatchAttention.update(
            {DispatchAttention.resolved_at: now, DispatchAttention.resolved_by: actor}
        ).where((DispatchAttention.id == item_id) & DispatchAttention.resolved_at.is_null())
        row = (
            await DispatchAttention.select(*_ATTENTION_COLUMNS).where(DispatchAttention.id == item_id).first()
        )
        if row is None:
            raise NotFound(f"attention item {item_id} not found")
    return AttentionItem(**row)


async def reassess(ticket_ids: Iterable[int], *, now: datetime) -> None:
    """Store each ticket's committed ETAs and at-risk state (`inventory.tickets.at_risk.outlook`) as its
    committed ways and clocks now stand, in the caller's transaction; a ticket that becomes at risk is
    announced."""
    ids = sorted(set(ticket_ids))
    if not ids:
        return
    tickets = await Ticket.select(
        Ticket.id,
        Ticket.customer,
        Ticket.status,
        Ticket.delivery_due_by,
        Ticket.at_risk,
        Ticket.predicted_late_seconds,
        Ticket.parts_eta,
        Ticket.visit_eta,
    ).where(Ticket.id.is_in(ids))
    ways = await Fulfilment.select(
        Fulfilment.ticket, Fulfilment.way, Fulfilment.eta, Fulfilment.reservation.status.as_alias("status")
    ).where(Fulfilment.ticket.is_in(ids))
    on_site = {
        row["ticket"]: row
        for row in await TicketMilestone.select(
            TicketMilestone.ticket, TicketMilestone.due_at, TicketMilestone.met_at, TicketMilestone.state
        ).where(TicketMilestone.ticket.is_in(ids) & (TicketMilestone.milestone == Milestone.ON_SITE.value))
    }
    for ticket in tickets:
        mine = [way for way in ways if way["ticket"] == ticket["id"]]
        risk = outlook(_expectations(ticket, mine, on_site.get(ticket["id"])))
        stored = {
            Ticket.at_risk: risk.at_risk,
            Ticket.predicted_late_seconds: risk.late_seconds,
            Ticket.parts_eta: max(
                (way["eta"] for way in mine if way["way"] != VISIT and way["status"] == ACTIVE), default=None
            ),
            Ticket.visit_eta: next((way["eta"] for way in mine if way["way"] == VISIT), None),
        }
        if all(ticket[column._meta.name] == value for column, value in stored.items()):
            continue
        await Ticket.update(stored).where(Ticket.id == ticket["id"])
        if risk.at_risk and not ticket["at_risk"]:
            await _announce_at_risk(ticket["id"], ticket["customer"], risk, now)
        elif ticket["at_risk"] and not risk.at_risk:
            log.info("ticket_no_longer_at_risk", ticket=ticket["id"])


def _expectations(ticket: dict, ways: Sequence[dict], on_site: dict | None) -> list[Expectation]:
    """The committed ETAs of an open ticket that still count: parts not yet handed over against the
    delivery promise, the engineer's visit against the on-site milestone while it counts."""
    if ticket["status"] != "open":
        return []
    expected = [
        Expectation(Promise.DELIVERY, way["eta"], ticket["delivery_due_by"])
        for way in ways
        if way["way"] != VISIT and way["status"] == ACTIVE
    ]
    counting = on_site is not None and on_site["met_at"] is None and on_site["state"] != ClockState.PAUSED
    if counting:
        expected += [
            Expectation(Promise.ON_SITE, way["eta"], on_site["due_at"]) for way in ways if way["way"] == VISIT
        ]
    return expected


async def _announce_at_risk(ticket_id: int, customer: int, risk: Outlook, now: datetime) -> None:
    """A ticket has just become at risk: the one place that says so (the log, the audit chain and the
    ``ticket.at_risk`` notification, all in the caller's transaction)."""
    promise = str(risk.promise)
    await notifications.publish(
        notifications.TICKET_AT_RISK,
        {
            "ticket": ticket_id,
            "milestone": promise,
            "due_at": risk.due_at,
            "eta": risk.eta,
            "late_seconds": risk.late_seconds,
            "source": "delivery" if risk.promise is Promise.DELIVERY else "visit",
        },
        company=customer,
        now=now,
    )
    await audit.append(
        "ticket.at_risk",
        f"ticket:{ticket_id}",
        {"promise": promise, "late_seconds": risk.late_seconds},
        actor="system",
        at=now,
    )
    log.warning("ticket_at_risk", ticket=ticket_id, promise=promise, late_seconds=risk.late_seconds)


async def _ways_of(reservation_ids: Sequence[int]) -> list[dict]:
    if not reservation_ids:
        return []
    return await Fulfilment.select(
        Fulfilment.reservation, Fulfilment.way, Fulfilment.plan, Fulfilment.stop, Fulfilment.eta
    ).where(Fulfilment.reservation.is_in(list(reservation_ids)))


def _second_way(row: dict) -> SecondWay:
    if row["way"] == COLLECTION:
        return SecondWay(
            f"reservation {row['reservation']} is to be collected by the customer",
            reservation=row["reservation"],
            way=COLLECTION,
        )
    return SecondWay(
        f"reservation {row['reservation']} already reaches its site by {row['way']}: "
        f"plan {row['plan']}, stop {row['stop']}",
        reservation=row["reservation"],
        way=row["way"],
        plan=row["plan"],
        stop=row["stop"],
    )


def _lost_note(reservation_id: int, reason: str, lost: dict | None) -> str:
    what = f"reservation {reservation_id} was {reason}"
    if lost is None or lost["plan"] is None:
        return what
    return f"{what}; its {lost['way']} stop {lost['stop']} of plan {lost['plan']} no longer carries it"
