"""Replacement requests: a customer's (or the service desk's) request for a part for a ticket, decided by
the entitlement check (`inventory.tickets.replacement_rules`), approved by a reservation that keeps the
delivery promise or put in the dispatcher's queue with the alternatives, and withdrawn, refused or
fulfilled.

Every change is one write transaction with its audit entry; approving reserves the stock in the same
transaction (`inventory.tickets.reservations.reserve`), withdrawing releases it. ``viewer`` confines
every read and change to one customer company (NotFound for another's).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import structlog

from inventory.audit import log as audit
from inventory.errors import InvalidRequest, InvalidTransition, NotFound, NotPermitted
from inventory.persistence import current_store, write_transaction
from inventory.stock.tables import Part
from inventory.tickets.bill_of_parts import check_ticket_fit, ticket_fit
from inventory.tickets.coverage import asset_coverage
from inventory.tickets.delivery import NBD_HOLD_GRACE
from inventory.tickets.entitlement import replacement_entitlement
from inventory.tickets.priority import PARTS_PRIORITY_TIERS, Severity, Tier
from inventory.tickets.replacement_rules import (
    Decision,
    RequestState,
    Withdrawal,
    check_transition,
    check_withdrawal,
    decide,
    withdrawal,
)
from inventory.tickets.reservations import (
    ACTIVE,
    ISSUED,
    NoFeasibleSource,
    ReservationRequest,
    release,
    reserve,
)
from inventory.tickets.sla import ClockState, Milestone
from inventory.tickets.tables import PartStep, ReplacementRequest, Reservation, TicketMilestone

log = structlog.get_logger("inventory.replacements")


@dataclass(frozen=True, slots=True)
class ReplacementAsk:
    """What is asked for: a part, how many, why; staff may override the fit rule with a reason."""

    part_number: str
    quantity: int
    reason: str = ""
    override_reason: str = ""


@dataclass(frozen=True, slots=True)
class HoldTerms:
    """How long a reservation made on approval holds its part (`reserve`'s ``ttl`` and ``nbd_grace``)."""

    ttl: timedelta
    nbd_grace: timedelta = NBD_HOLD_GRACE


@dataclass(frozen=True, slots=True)
class ReplacementRecord:
    id: int
    ticket: int
    customer: str
    part_number: str
    part_name: str
    quantity: int
    reason: str
    state: str
    tier: str
    parts_priority: bool
    coverage_phase: str | None
    warranty_end: date | None
    charge: str | None
    unit_cost: Decimal | None
    replacement_right: bool
    replacement_due_at: datetime | None
    refusal: str
    note: str
    override_reason: str
    reservation: int | None
    requested_by: str
    requested_at: datetime
    charge_accepted_by: str | None
    charge_accepted_at: datetime | None
    decided_by: str | None
    decided_at: datetime | None
    closed_by: str | None
    closed_at: datetime | None
    site_timezone: str
    alternatives: list[dict[str, Any]] = field(default_factory=list)
    part_left_depot: bool = False
    """Its part has been handed out for the ticket, or picked up by its carrier or on the van."""

    @property
    def total_cost(self) -> Decimal | None:
        return None if self.unit_cost is None else self.unit_cost * self.quantity

    @property
    def awaiting_acceptance(self) -> bool:
        """A chargeable request waiting for the customer to accept the charge."""
        return (
            self.state == RequestState.REQUESTED
            and self.charge == "at_cost"
            and self.charge_accepted_at is None
        )

    @property
    def withdrawal(self) -> Withdrawal:
        """Whether the customer may withdraw it now (`withdraw`'s rule), and if not, why."""
        return withdrawal(RequestState(self.state), part_left_depot=self.part_left_depot)


_COLUMNS = (
    ReplacementRequest.id,
    ReplacementRequest.ticket,
    ReplacementRequest.ticket.customer.code.as_alias("customer"),
    ReplacementRequest.ticket.site.timezone.as_alias("site_timezone"),
    ReplacementRequest.part.part_number.as_alias("part_number"),
    ReplacementRequest.part.description.as_alias("part_name"),
    ReplacementRequest.quantity,
    ReplacementRequest.reason,
    ReplacementRequest.state,
    ReplacementRequest.tier,
    ReplacementRequest.coverage_phase,
    ReplacementRequest.warranty_end,
    ReplacementRequest.charge,
    ReplacementRequest.unit_cost,
    ReplacementRequest.replacement_right,
    ReplacementRequest.replacement_due_at,
    ReplacementRequest.refusal,
    ReplacementRequest.note,
    ReplacementRequest.alternatives,
    ReplacementRequest.override_reason,
    ReplacementRequest.reservation,
    ReplacementRequest.requested_by,
    ReplacementRequest.requested_at,
    ReplacementRequest.charge_accepted_by,
    ReplacementRequest.charge_accepted_at,
    ReplacementRequest.decided_by,
    ReplacementRequest.decided_at,
    ReplacementRequest.closed_by,
    ReplacementRequest.closed_at,
)


async def request_replacement(
    ticket_id: int, ask: ReplacementAsk, *, actor: str, viewer: str | None, now: datetime, hold: HoldTerms
) -> ReplacementRecord:
    """Record a request for a part for the ticket and decide it.

    The part must fit the ticket's asset within its installed quantity (`inventory.tickets.fit`); staff
    may override that with a reason, which the audit chain keeps. The entitlement check then refuses it
    (the request is kept, ``refused``, with the rule), or gives it free or at cost. A free request is
    approved at once if a depot can keep the delivery promise (a reservation is made), else it goes to
    the dispatcher's queue (``pending_dispatcher``) with the alternatives; a chargeable one waits for
    the customer to accept the charge (`accept_charge`).

    Raises:
        NotFound: no such ticket, or not the viewer's.
        InvalidRequest: unknown part, a bad quantity, or a customer giving an override.
        PartDoesNotFit: the part does not fit the asset, or too many (with the rule).
    """
    if ask.quantity <= 0:
        raise InvalidRequest("give a positive quantity", field="quantity")
    if viewer is not None and ask.override_reason:
        raise NotPermitted("only the service desk may override the fit rule")
    async with write_transaction():
        ticket = await current_store().read_ticket_for_reservation(
            ticket_id, part_number=ask.part_number, depot=None, customer=viewer
        )
        if ticket is None:
            raise NotFound(f"ticket {ticket_id} not found")
        if ticket["part_id"] is None:
            raise InvalidRequest(f"unknown part {ask.part_number!r}", field="part_number")
        # A closed ticket, or one without an asset, is refused by the entitlement check below.
        judged = ticket["asset"] is not None and ticket["status"] == "open"
        fit = await ticket_fit(ticket_id, ticket["asset"], ask.part_number, ask.quantity)
        if judged and not fit.fits:
            if not ask.override_reason:
                await check_ticket_fit(ticket_id, ticket["asset"], ask.part_number, ask.quantity)
            await audit.append(
                "replacement_request.fit_override",
                f"ticket:{ticket_id}",
                {
                    "part_number": ask.part_number,
                    "quantity": ask.quantity,
                    "rule": fit.refusal,
                    "reason": ask.override_reason,
                },
                actor=actor,
                at=now,
            )
        decision = await _decide(ticket, ask.quantity, now)
        coverage = decision.entitlement.coverage
        inserted = await ReplacementRequest.insert(
            ReplacementRequest(
                ticket=ticket_id,
                part=ticket["part_id"],
                quantity=ask.quantity,
                reason=ask.reason,
                state=decision.state.value,
                tier=decision.entitlement.tier.value,
                coverage_phase=None if coverage is None else coverage.phase.value,
                warranty_end=None if coverage is None else coverage.end,
                charge=None if decision.entitlement.charge is None else decision.entitlement.charge.value,
                unit_cost=None if decision.price is None else decision.price.unit_cost,
                replacement_right=decision.right.applies,
                replacement_due_at=decision.right.due_at,
                refusal="" if decision.refusal is None else decision.refusal.value,
                override_reason=ask.override_reason,
                requested_by=actor,
                requested_at=now,
                decided_by="system" if decision.refusal is not None else None,
                decided_at=now if decision.refusal is not None else None,
            )
        ).returning(ReplacementRequest.id)
        request_id = inserted[0]["id"]
        await audit.append(
            f"replacement_request.{decision.state.value}",
            f"replacement_request:{request_id}",
            {
                "ticket": ticket_id,
                "part_number": ask.part_number,
                "quantity": ask.quantity,
                "refusal": decision.refusal,
            },
            actor=actor,
            at=now,
        )
        if decision.refusal is None and not decision.needs_acceptance:
            await _approve(
                request_id, ticket_id, ask.part_number, ask.quantity, None, actor=actor, now=now, hold=hold
            )
    return await get_request(request_id, viewer=viewer)


async def accept_charge(
    request_id: int, *, actor: str, viewer: str | None, now: datetime, hold: HoldTerms
) -> ReplacementRecord:
    """The customer accepts the charge of a chargeable request; it is then approved (a reservation) or
    goes to the dispatcher's queue.

    Raises:
        NotFound: no such request, or not the viewer's.
        InvalidTransition: it is not a chargeable request waiting for acceptance.
    """
    async with write_transaction():
        record = await get_request(request_id, viewer=viewer)
        if not record.awaiting_acceptance:
            raise InvalidTransition(
                f"request {request_id} is not waiting for the acceptance of a charge", state=record.state
            )
        accepted = (
            await ReplacementRequest.update(
                {ReplacementRequest.charge_accepted_by: actor, ReplacementRequest.charge_accepted_at: now}
            )
            .where(
                (ReplacementRequest.id == request_id)
                & (ReplacementRequest.state == RequestState.REQUESTED.value)
                & ReplacementRequest.charge_accepted_at.is_null()
            )
            .returning(ReplacementRequest.id)
        )
        if not accepted:
            raise InvalidTransition(
                f"request {request_id} is not waiting for the acceptance of a charge", state=record.state
            )
        await audit.append(
            "replacement_request.charge_accepted",
            f"replacement_request:{request_id}",
            {"ticket": record.ticket, "unit_cost": str(record.unit_cost), "quantity": record.quantity},
            actor=actor,
            at=now,
        )
        await _approve(
            request_id,
            record.ticket,
            record.part_number,
            record.quantity,
            None,
            actor=actor,
            now=now,
            hold=hold,
        )
    return await get_request(request_id, viewer=viewer)


async def approve(
    request_id: int, *, depot: str | None, actor: str, now: datetime, hold: HoldTerms
) -> ReplacementRecord:
    """A dispatcher approves a request from the queue: at the named depot (held even if it arrives after
    the promise), or at the nearest that keeps it.

    Raises:
        NotFound: no such request.
        InvalidTransition: the request is not waiting for a dispatcher.
        NoFeasibleSource, InsufficientStock, InvalidRequest: as `reserve`.
    """
    async with write_transaction():
        record = await get_request(request_id, viewer=None)
        check_transition(RequestState(record.state), RequestState.APPROVED)
        if record.state != RequestState.PENDING_DISPATCHER:
            raise InvalidTransition(
                f"request {request_id} is {record.state}, not waiting for a dispatcher", state=record.state
            )
        approved = await _approve(
            request_id,
            record.ticket,
            record.part_number,
            record.quantity,
            depot,
            actor=actor,
            now=now,
            hold=hold,
            strict=True,
        )
    return approved


async def refuse(request_id: int, *, note: str, actor: str, now: datetime) -> ReplacementRecord:
    """A dispatcher refuses a request from the queue, saying why.

    Raises:
        NotFound: no such request.
        InvalidTransition: the request is not waiting for a dispatcher.
    """
    async with write_transaction():
        record = await get_request(request_id, viewer=None)
        if record.state != RequestState.PENDING_DISPATCHER:
            raise InvalidTransition(
                f"request {request_id} is {record.state}, not waiting for a dispatcher", state=record.state
            )
        await _move(
            request_id,
            RequestState.PENDING_DISPATCHER,
            RequestState.REFUSED,
            {
                ReplacementRequest.refusal: "dispatcher",
                ReplacementRequest.note: note,
                ReplacementRequest.decided_by: actor,
                ReplacementRequest.decided_at: now,
            },
        )
        await audit.append(
            "replacement_request.refused",
            f"replacement_request:{request_id}",
            {"ticket": record.ticket, "note": note},
            actor=actor,
            at=now,
        )
    return await get_request(request_id, viewer=None)


async def withdraw(request_id: int, *, actor: str, viewer: str | None, now: datetime) -> ReplacementRecord:
    """Withdraw a request until its part has left the depot (handed out, picked up by its carrier or on
    the van); a reservation it holds is released (the stock is available again) in the same transaction.

    Raises:
        NotFound: no such request, or not the viewer's.
        InvalidTransition: it is closed, or its part has left the depot.
    """
    async with write_transaction():
        record = await get_request(request_id, viewer=viewer)
        check_withdrawal(RequestState(record.state), part_left_depot=record.part_left_depot)
        await _move(
            request_id,
            RequestState(record.state),
            RequestState.WITHDRAWN,
            {
                ReplacementRequest.closed_by: actor,
                ReplacementRequest.closed_at: now,
            },
        )
        await audit.append(
            "replacement_request.withdrawn",
            f"replacement_request:{request_id}",
            {"ticket": record.ticket, "reservation": record.reservation},
            actor=actor,
            at=now,
        )
        if record.reservation is not None and await Reservation.exists().where(
            (Reservation.id == record.reservation) & (Reservation.status == ACTIVE)
        ):
            await release(record.reservation, actor=actor, now=now)
    return await get_request(request_id, viewer=viewer)


async def get_request(request_id: int, *, viewer: str | None) -> ReplacementRecord:
    """One request.

    Raises:
        NotFound: no such request, or not the viewer's company's.
    """
    query = ReplacementRequest.select(*_COLUMNS).where(ReplacementRequest.id == request_id)
    if viewer is not None:
        query = query.where(ReplacementRequest.ticket.customer.code == viewer)
    row = await query.first()
    if row is None:
        raise NotFound(f"replacement request {request_id} not found")
    return _record(row, await _left_depot([row["reservation"]]))


async def list_requests(
    *, ticket: int | None, state: str | None, viewer: str | None, limit: int, offset: int
) -> list[ReplacementRecord]:
    """Requests, oldest first (the dispatcher's queue order), of one ticket and in one state if given."""
    query = ReplacementRequest.select(*_COLUMNS).order_by(
        ReplacementRequest.requested_at, ReplacementRequest.id
    )
    if viewer is not None:
        query = query.where(ReplacementRequest.ticket.customer.code == viewer)
    if ticket is not None:
        query = query.where(ReplacementRequest.ticket == ticket)
    if state is not None:
        query = query.where(ReplacementRequest.state == state)
    rows = await query.limit(limit).offset(offset)
    left = await _left_depot([row["reservation"] for row in rows])
    return [_record(row, left) for row in rows]


async def _left_depot(reservations: Collection[int | None]) -> set[int]:
    """Those of the reservations whose part has left the depot: handed out for the ticket (issued), or
    picked up by its carrier or on the van though not yet handed out (a step of its way recorded)."""
    ids = sorted({reservation for reservation in reservations if reservation is not None})
    if not ids:
        return set()
    issued = await Reservation.select(Reservation.id).where(
        Reservation.id.is_in(ids) & (Reservation.status == ISSUED)
    )
    carried = await PartStep.select(PartStep.reservation).where(PartStep.reservation.is_in(ids))
    return {row["id"] for row in issued} | {row["reservation"] for row in carried}


async def _decide(ticket: Mapping[str, Any], quantity: int, now: datetime) -> Decision:
    """The entitlement check for the ticket read by `read_ticket_for_reservation`."""
    coverage = None if ticket["asset"] is None else await asset_coverage(ticket["asset"], now)
    entitlement = replacement_entitlement(
        Tier(ticket["tier"]), Severity(ticket["severity"]), coverage, ticket_open=ticket["status"] == "open"
    )
    clocks = {
        row["milestone"]: row
        for row in await TicketMilestone.select(
            TicketMilestone.milestone, TicketMilestone.due_at, TicketMilestone.met_at, TicketMilestone.state
        ).where(TicketMilestone.ticket == ticket["id"])
    }
    restore = clocks.get(Milestone.RESTORE.value)
    restore_breached = restore is not None and (
        restore["state"] == ClockState.BREACHED.value
        or (
            restore["met_at"] is None
            and restore["state"] == ClockState.RUNNING.value
            and restore["due_at"] < now
        )
        or (restore["met_at"] is not None and restore["met_at"] > restore["due_at"])
    )
    replacement = clocks.get(Milestone.REPLACEMENT.value)
    unit_cost = await Part.select(Part.unit_cost).where(Part.id == ticket["part_id"]).first()
    return decide(
        entitlement,
        unit_cost=Decimal(str(unit_cost["unit_cost"])),
        quantity=quantity,
        restore_breached=restore_breached,
        replacement_due=None if replacement is None else replacement["due_at"],
    )


async def _approve(
    request_id: int,
    ticket_id: int,
    part_number: str,
    quantity: int,
    depot: str | None,
    *,
    actor: str,
    now: datetime,
    hold: HoldTerms,
    strict: bool = False,
) -> ReplacementRecord:
    """Reserve the part for the request (it becomes ``approved``), or, when no depot can keep the
    promise, put it in the dispatcher's queue with the alternatives (``strict``: raise instead)."""
    current = RequestState((await get_request(request_id, viewer=None)).state)
    try:
        reservation = await reserve(
            ticket_id,
            ReservationRequest(part_number, quantity, depot, None, allow_preemption=False),
            actor=actor,
            now=now,
            ttl=hold.ttl,
            nbd_grace=hold.nbd_grace,
            viewer=None,
        )
    except NoFeasibleSource as refused:
        if strict:
            raise
        await _move(
            request_id,
            current,
            RequestState.PENDING_DISPATCHER,
            {
                ReplacementRequest.note: refused.message,
                ReplacementRequest.alternatives: json.dumps(refused.details.get("alternatives", [])),
            },
        )
        await audit.append(
            "replacement_request.pending_dispatcher",
            f"replacement_request:{request_id}",
            {"ticket": ticket_id, "why": refused.message},
            actor=actor,
            at=now,
        )
        log.info("replacement_pending_dispatcher", request=request_id, ticket=ticket_id)
        return await get_request(request_id, viewer=None)
    await _move(
        request_id,
        current,
        RequestState.APPROVED,
        {
            ReplacementRequest.reservation: reservation.id,
            ReplacementRequest.decided_by: actor,
            ReplacementRequest.decided_at: now,
        },
    )
    await audit.append(
        "replacement_request.approved",
        f"replacement_request:{request_id}",
        {"ticket": ticket_id, "reservation": reservation.id},
        actor=actor,
        at=now,
    )
    return await get_request(request_id, viewer=None)


async def _move(request_id: int, current: RequestState, to: RequestState, changes: Mapping[Any, Any]) -> None:
    """Move the request from ``current`` to ``to`` with ``changes``: one conditional update.

    Raises:
        InvalidTransition: the rule forbids it, or the request is no longer in ``current``.
    """
    check_transition(current, to)
    moved = (
        await ReplacementRequest.update({ReplacementRequest.state: to.value, **changes})
        .where((ReplacementRequest.id == request_id) & (ReplacementRequest.state == current.value))
        .returning(ReplacementRequest.id)
    )
    if not moved:
        raise InvalidTransition(f"replacement request {request_id} changed meanwhile", state=current.value)


def _record(row: Mapping[str, Any], left_depot: Collection[int]) -> ReplacementRecord:
    values = dict(row)
    values["part_left_depot"] = values["reservation"] in left_depot
    values["alternatives"] = [
        {**option, "estimated_arrival": datetime.fromisoformat(option["estimated_arrival"])}
        for option in json.loads(values["alternatives"] or "[]")
    ]
    values["parts_priority"] = Tier(values["tier"]) in PARTS_PRIORITY_TIERS
    if values["unit_cost"] is not None:
        values["unit_cost"] = Decimal(str(values["unit_cost"]))
    if isinstance(values["warranty_end"], datetime):
        values["warranty_end"] = values["warranty_end"].date()
    return ReplacementRecord(**values)
