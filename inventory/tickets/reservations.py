"""Reservations: parts held for a ticket at a depot, then issued, released, expired or pre-empted.

Concurrency: the hold itself is `inventory.stock.positions.take_from_level` (a conditional update on the
depot's stock level row, which also serialises pickers of that depot and part), then the units or bulk
batches move from available to reserved in the same transaction (for units picked by age,
`take_oldest_units` does both, in one statement on PostgreSQL). A partial unique index on active
reservation items makes a second active hold on one serial impossible even if a code path forgot the rule.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog

from geo.travel import Point
from inventory.audit import log as audit
from inventory.customers.warranty import PartsCharge
from inventory.errors import Conflict, InsufficientStock, InvalidRequest, InvalidTransition, NotFound
from inventory.persistence import ReservationItemRow, ReservationRow, current_store, write_transaction
from inventory.stock.catalogue import inactive_depots, refuse_inactive
from inventory.stock.model import MovementKind, UnitStatus
from inventory.stock.positions import (
    MovementEntry,
    move_units,
    move_within_bulk,
    movement_rows,
    movements_entry,
    record_movements,
    take_from_bulk,
    take_from_level,
    take_oldest_units,
)
from inventory.stock.tables import StockUnit
from inventory.tickets.bill_of_parts import check_ticket_fit
from inventory.tickets.coverage import asset_coverage
from inventory.tickets.delivery import NBD_HOLD_GRACE, DeliveryService, hold_until
from inventory.tickets.entitlement import Refusal, replacement_entitlement
from inventory.tickets.fulfilment import reassess, withdraw
from inventory.tickets.priority import Severity, Tier, may_be_preempted_by, may_preempt
from inventory.tickets.records import ReservationRecord
from inventory.tickets.reservation_views import get_reservation
from inventory.tickets.sourcing import DepotStock, SupplyOption, feasible, supply_options
from inventory.tickets.tables import (
    DefectiveReturn,
    Fulfilment,
    InstalledPart,
    ReplacementRequest,
    Reservation,
    ReservationItem,
    Ticket,
)

ACTIVE, ISSUED, RELEASED, EXPIRED, PREEMPTED = "active", "issued", "released", "expired", "preempted"
RETURN_WINDOW = timedelta(days=10)
"""How long the field has to send a failed unit back to the depot."""

log = structlog.get_logger("inventory.reservations")


class NoFeasibleSource(Conflict):
    """No depot has the stock to keep the ticket's delivery promise."""

    code = "no-feasible-source"


class NotEntitled(InvalidRequest):
    """The customer's contract or the asset's coverage does not give this."""

    code = "not-entitled"


@dataclass(frozen=True, slots=True)
class ReservationRequest:
    part_number: str
    quantity: int | None
    depot: str | None
    serial: str | None
    allow_preemption: bool


async def reserve(
    ticket_id: int,
    request: ReservationRequest,
    *,
    actor: str,
    now: datetime,
    ttl: timedelta,
    viewer: str | None,
    nbd_grace: timedelta = NBD_HOLD_GRACE,
) -> ReservationRecord:
    """Hold parts for a ticket at the named depot, or at the nearest depot that can keep the promise.

    The hold lasts ``ttl``, and a next-business-day one until its delivery window has passed plus
    ``nbd_grace`` (`inventory.tickets.delivery.hold_until`); one with a committed way never expires.

    Premium and platinum critical tickets may, when asked, take an active hold of a lower-priority ticket
    (never issued parts); the bumped reservation records who took it, loses its way to the site and puts
    its ticket on the dispatcher's list (`inventory.tickets.fulfilment.withdraw`).

    Raises:
        NotFound: no such ticket (or not the viewer's).
        InvalidRequest: unknown part or depot, a bad quantity or serial, a closed ticket.
        NotEntitled: a customer asking beyond its entitlement (or for a part charged at cost, which a
            replacement request asks for), or pre-emption the ticket may not use.
        PartDoesNotFit: a customer asking for a part that does not fit the ticket's asset, or for more
            than is installed in it (`inventory.tickets.fit`).
        NoFeasibleSource: no depot can supply in time; carries the nearest alternatives.
        InsufficientStock: the named depot or serial has no available stock.
        Inactive: the part, the depot named or the named serial's depot is inactive (inactive depots
            are never chosen).
    """
    quantity = _quantity(request)
    async with write_transaction():
        ticket = await _ticket_for_reservation(ticket_id, viewer, request.part_number, request.depot)
        if ticket["part_id"] is None:
            raise InvalidRequest(f"unknown part {request.part_number!r}", field="part_number")
        part = {"id": ticket["part_id"], "serialized": bool(ticket["part_serialized"])}
        named = [("depot", request.depot)] if request.depot is not None else []
        await refuse_inactive(depots=named, parts=[("part_number", request.part_number)])
        if request.serial is not None and not part["serialized"]:
            raise InvalidRequest("only a serialized part can be reserved by serial", field="serial")
        tier, severity = Tier(ticket["tier"]), Severity(ticket["severity"])
        if request.allow_preemption and not may_preempt(tier, severity):
            raise NotEntitled(
                "only premium and platinum critical tickets may pre-empt", field="allow_preemption"
            )
        if viewer is not None:
            await _check_customer_entitlement(ticket, tier, severity, now)
            await check_ticket_fit(ticket_id, ticket["asset"], request.part_number, quantity)
        options, depot_ids = await _options(part["id"], request, quantity, ticket, now)
        chosen = await _hold_first(options, depot_ids, part, quantity, request.serial, now)
        bumped = None
        if chosen is None and request.allow_preemption:
            chosen, bumped = await _preempt(part, quantity, ticket, options, depot_ids, actor, now)
        if chosen is None:
            stocked = [option for option in options if option.available >= quantity]
            raise NoFeasibleSource(
                _no_source_reason(stocked, quantity),
                alternatives=[] if viewer else [_alternative(option) for option in stocked[:5]],
            )
        option, depot_id, items = chosen
        expires_at = hold_until(
            DeliveryService(ticket["delivery_service"]),
            ticket["delivery_due_by"],
            now=now,
            ttl=ttl,
            grace=nbd_grace,
        )
        reservation_id = await _store(ticket, part, option, depot_id, quantity, items, actor, now, expires_at)
        if bumped is not None:
            await Reservation.update({Reservation.preempted_by: reservation_id}).where(
                Reservation.id == bumped
            )
            log.info("reservation_preempted", reservation=bumped, by=reservation_id, ticket=ticket_id)
    # Everything the answer needs is in hand: no need to read the reservation back.
    return ReservationRecord(
        id=reservation_id,
        ticket=ticket_id,
        depot=option.code,
        part_number=request.part_number,
        quantity=quantity,
        serials=sorted(item["serial"] for item in items if item["serial"]),
        status=ACTIVE,
        estimated_arrival=option.estimated_arrival,
        expires_at=expires_at,
        created_at=now,
        created_by=actor,
        closed_at=None,
        batches=[(item["batch_number"], item["quantity"]) for item in items if item["unit"] is None],
    )


async def release(reservation_id: int, *, actor: str, now: datetime) -> ReservationRecord:
    """Give an active hold's stock back to the depot.

    Raises:
        NotFound: no such reservation.
        InvalidTransition: it is not active (issued, released, expired or pre-empted).
    """
    async with write_transaction():
        await _close(reservation_id, RELEASED, actor=actor, now=now)
        await withdraw(reservation_id, reason=RELEASED, actor=actor, now=now, attention=False)
    return await get_reservation(reservation_id, viewer=None)


async def expire_due(now: datetime) -> int:
    """Release every active reservation past its expiry, but those with a committed way to their site (a
    committed plan carries them, or the customer collects them); safe to run from several processes.

    Returns:
        How many reservations expired.
    """
    committed = Fulfilment.select(Fulfilment.reservation).where(Fulfilment.reservation.is_not_null())
    due = await Reservation.select(Reservation.id).where(
        (Reservation.status == ACTIVE) & (Reservation.expires_at < now) & Reservation.id.not_in(committed)
    )
    expired = 0
    for row in due:
        async with write_transaction():
            try:
                await _close(row["id"], EXPIRED, actor="system", now=now)
            except InvalidTransition:
                continue
        expired += 1
        log.info("reservation_expired", reservation=row["id"])
    return expired


@dataclass(frozen=True, slots=True)
class HandedOut:
    """What an issue handed out, for deciding what happens to the unit it replaced."""

    ticket: int
    customer: int
    part: int
    depot: int


async def hand_out(
    reservation_id: int, *, serial: str | None, failed_serial: str | None, actor: str, now: datetime
) -> HandedOut:
    """Hand the reserved parts out for the ticket, inside the caller's write transaction: they leave the
    depot and go into the customer's asset, replacing ``failed_serial`` (what happens to that unit is
    `inventory.issuing`'s decision).

    Raises:
        NotFound: no such reservation.
        InvalidTransition: it is not active.
        InvalidRequest: ``serial`` is not what the reservation holds.
    """
    reservation = await _claim(reservation_id, ISSUED, actor=actor, now=now)
    await _close_request(reservation_id, "fulfilled", actor=actor, now=now)
    items = await _active_items(reservation_id)
    serials = [item["serial"] for item in items if item["serial"]]
    if serial is not None and serial not in serials:
        raise InvalidRequest(f"reservation {reservation_id} does not hold serial {serial}", field="serial")
    depot, part_id, quantity = reservation["depot"], reservation["part"], reservation["quantity"]
    await take_from_level(depot, part_id, UnitStatus.RESERVED, quantity)
    entries = await _move_out(items, reservation, now)
    await ReservationItem.update({ReservationItem.active: False}).where(
        ReservationItem.reservation == reservation_id
    )
    ticket = (
        await Ticket.select(Ticket.id, Ticket.asset, Ticket.customer)
        .where(Ticket.id == reservation["ticket"])
        .first()
    )
    await record_movements(
        entries, actor=actor, now=now, reason="issued for the ticket", reference=f"ticket:{ticket['id']}"
    )
    for item in items:
        if item["unit"] is not None:
            await InstalledPart.insert(
                InstalledPart(
                    ticket=ticket["id"],
                    asset=ticket["asset"],
                    unit=item["unit"],
                    replaces_serial=failed_serial,
                    installed_at=now,
                )
            )
    await reassess([ticket["id"]], now=now)
    return HandedOut(ticket=ticket["id"], customer=ticket["customer"], part=part_id, depot=depot)


def _quantity(request: ReservationRequest) -> int:
    if request.serial is not None:
        if request.quantity not in (None, 1):
            raise InvalidRequest("a reservation by serial holds exactly one unit", field="quantity")
        return 1
    if request.quantity is None or request.quantity <= 0:
        raise InvalidRequest("give a positive quantity or a serial", field="quantity")
    return request.quantity


async def _ticket_for_reservation(
    ticket_id: int, viewer: str | None, part_number: str, depot: str | None
) -> Mapping[str, Any]:
    """The ticket, read under a lock that orders concurrent reservations for it, with the id of the
    reservation to make, the part asked for and the named depot
    (`inventory.persistence.Store.read_ticket_for_reservation`)."""
    ticket = await current_store().read_ticket_for_reservation(
        ticket_id, part_number=part_number, depot=depot, customer=viewer
    )
    if ticket is None:
        raise NotFound(f"ticket {ticket_id} not found")
    if ticket["status"] != "open":
        raise InvalidRequest(f"ticket {ticket_id} is {ticket['status']}", field="ticket")
    return ticket


async def _check_customer_entitlement(
    ticket: Mapping[str, Any], tier: Tier, severity: Severity, now: datetime
) -> None:
    """A customer may hold a replacement part itself only for an asset whose coverage gives parts free
    (`inventory.tickets.entitlement`); a part at cost is asked for with a replacement request, which shows
    the charge and waits for the customer's acceptance (`inventory.tickets.replacements`)."""
    coverage = None if ticket["asset"] is None else await asset_coverage(ticket["asset"], now)
    decided = replacement_entitlement(tier, severity, coverage)
    if decided.refusal is Refusal.NO_ASSET:
        raise NotEntitled("name the asset on the ticket to request a replacement part", field="asset_serial")
    if decided.refusal is Refusal.COVERAGE_ENDED and coverage is not None:
        raise NotEntitled(f"the asset's coverage ended on {coverage.end.isoformat()}", field="ticket")
    if decided.charge is PartsCharge.AT_COST and coverage is not None:
        raise NotEntitled(
            f"the asset's warranty ended on {coverage.end.isoformat()}: parts are charged at cost, so ask "
            "for it with a replacement request, which shows the charge for your acceptance",
            field="ticket",
        )


async def _options(
    part_id: int, request: ReservationRequest, quantity: int, ticket: Mapping[str, Any], now: datetime
) -> tuple[list[SupplyOption], dict[str, int]]:
    """Candidate depots with their arrival estimates, nearest first (only the named depot if one is named),
    and the ids of their depots by code."""
    depot = request.depot
    if request.serial is None and depot is not None:  # read with the ticket
        if ticket["depot_id"] is None:
            raise InvalidRequest(f"unknown depot {depot!r}", field="depot")
        if ticket["depot_available"] is None:  # the depot keeps none of the part
            return _supply_options([], request, ticket, now)
        named = {
            "id": ticket["depot_id"],
            "code": depot,
            "latitude": ticket["depot_latitude"],
            "longitude": ticket["depot_longitude"],
            "available": ticket["depot_available"],
        }
        return _supply_options([named], request, ticket, now)
    if request.serial is not None:
        unit = (
            await StockUnit.select(StockUnit.depot.code.as_alias("depot"), StockUnit.status)
            .where((StockUnit.part == part_id) & (StockUnit.serial == request.serial))
            .first()
        )
        if unit is None or unit["status"] != UnitStatus.AVAILABLE or unit["depot"] is None:
            raise InsufficientStock(f"serial {request.serial} is not available", serials=[request.serial])
        depot = unit["depot"]
    rows = await current_store().depot_stock(part_id, depot)
    closed = await inactive_depots()
    if depot is not None and depot in closed:
        await refuse_inactive(depots=[("serial", depot)])
    return _supply_options([row for row in rows if row["code"] not in closed], request, ticket, now)


def _supply_options(
    rows: Sequence[Mapping[str, Any]], request: ReservationRequest, ticket: Mapping[str, Any], now: datetime
) -> tuple[list[SupplyOption], dict[str, int]]:
    """`_options` from depot rows (``id``, ``code``, ``latitude``, ``longitude``, ``available``)."""
    site = Point(ticket["latitude"], ticket["longitude"])
    candidates = [
        DepotStock(row["code"], Point(row["latitude"], row["longitude"]), row["available"]) for row in rows
    ]
    options = supply_options(candidates, site, quantity=0, now=now, due_by=ticket["delivery_due_by"])
    depot_ids = {row["code"]: row["id"] for row in rows}
    if request.depot is not None or request.serial is not None:
        # A named depot or serial is the dispatcher's decision: hold it even if it arrives late.
        options = [SupplyOption(o.code, o.available, o.estimated_arrival, o.travel, True) for o in options]
    return options, depot_ids


async def _hold_first(
    options: Sequence[SupplyOption],
    depot_ids: Mapping[str, int],
    part: Mapping[str, Any],
    quantity: int,
    serial: str | None,
    now: datetime,
) -> tuple[SupplyOption, int, list[dict]] | None:
    """Hold the stock at the first feasible depot that has it when asked.

    The availability in ``options`` was read before; the conditional update is what decides.
    """
    for option in feasible(options):
        depot_id = depot_ids[option.code]
        try:
            held = await _hold_at(part, depot_id, quantity, serial, now)
        except _LevelRefused:
            continue
        return option, depot_id, held
    return None


class _LevelRefused(Exception):
    """The depot's level holds too little available stock: try the next depot."""


async def _hold_at(part: dict, depot_id: int, quantity: int, serial: str | None, now: datetime) -> list[dict]:
    """Take ``quantity`` from the depot's available level into reserved, with the units or bulk batches.

    Raises:
        _LevelRefused: the level has too little available stock.
        InsufficientStock: the level took it, but the serial or the units are not there.
    """
    available, reserved = UnitStatus.AVAILABLE, UnitStatus.RESERVED
    try:
        if part["serialized"] and serial is None:
            moved = await take_oldest_units(
                part["id"], depot_id, available, quantity, to_status=reserved, now=now
            )
        else:
            await take_from_level(depot_id, part["id"], available, quantity, to_status=reserved)
    except InsufficientStock as refused:
        raise _LevelRefused from refused
    if not part["serialized"]:
        taken = await take_from_bulk(depot_id, part["id"], available, quantity, reserved)
        return [
            {"unit": None, "serial": None, "batch_number": batch, "quantity": qty} for batch, qty in taken
        ]
    if serial is not None:
        moved = await move_units(
            part["id"],
            depot_id,
            available,
            to_status=reserved,
            to_depot_id=depot_id,
            now=now,
            serials=[serial],
        )
    if len(moved) != quantity:
        if serial is not None:
            raise InsufficientStock(f"serial {serial} is no longer available", serials=[serial])
        raise InsufficientStock(
            f"the depot's units do not match its level for {quantity}", requested=quantity
        )
    return [{"unit": u.id, "serial": u.serial, "batch_number": u.batch_number, "quantity": 1} for u in moved]


async def _preempt(
    part: Mapping[str, Any],
    quantity: int,
    ticket: Mapping[str, Any],
    options: Sequence[SupplyOption],
    depot_ids: Mapping[str, int],
    actor: str,
    now: datetime,
) -> tuple[tuple[SupplyOption, int, list[dict]] | None, int | None]:
    """Take the hold of the lowest-priority active reservation at a depot that can keep the promise."""
    by_code = {option.code: option for option in options}
    victims = (
        await Reservation.select(
            Reservation.id, Reservation.priority, Reservation.status, Reservation.depot.code.as_alias("depot")
        )
        .where(
            (Reservation.part == part["id"])
            & (Reservation.status == ACTIVE)
            & (Reservation.quantity >= quantity)
            & (Reservation.priority < ticket["priority"])
        )
        .order_by(Reservation.priority)
        .order_by(Reservation.created_at, ascending=False)
    )
    for victim in victims:
        option = by_code.get(victim["depot"])
        if option is None or not option.feasible:
            continue
        if not may_be_preempted_by(victim["priority"], ticket["priority"], victim["status"]):
            continue
        await _close(victim["id"], PREEMPTED, actor=actor, now=now)
        await withdraw(victim["id"], reason=PREEMPTED, actor=actor, now=now, attention=True)
        held = await _hold_first([option], depot_ids, part, quantity, None, now)
        if held is not None:
            return held, victim["id"]
    return None, None


async def _store(
    ticket: Mapping[str, Any],
    part: Mapping[str, Any],
    option: SupplyOption,
    depot_id: int,
    quantity: int,
    items: list[dict],
    actor: str,
    now: datetime,
    expires_at: datetime,
) -> int:
    """Write the reservation (under the id drawn with the ticket), its items, the ledger rows of the
    stock it holds and the audit entry recording them."""
    reservation_id = ticket["reservation_id"]
    reason, reference = f"reserved for ticket {ticket['id']}", f"reservation:{reservation_id}"
    movements = movement_rows(
        [
            _entry(
                MovementKind.STATUS_CHANGE,
                part["id"],
                depot_id,
                item,
                UnitStatus.AVAILABLE,
                UnitStatus.RESERVED,
            )
            for item in items
        ],
        actor=actor,
        now=now,
        reason=reason,
        reference=reference,
    )
    await current_store().store_reservation(
        ReservationRow(
            reservation_id,
            ticket["id"],
            part["id"],
            depot_id,
            quantity,
            ACTIVE,
            ticket["priority"],
            option.estimated_arrival,
            expires_at,
            actor,
            now,
        ),
        [
            ReservationItemRow(reservation_id, item["unit"], item["batch_number"], item["quantity"])
            for item in items
        ],
        movements,
        movements_entry(movements, reason=reason, reference=reference),
        audit.keys().mac_key,
    )
    return reservation_id


async def _close(reservation_id: int, status: str, *, actor: str, now: datetime) -> dict:
    """End an active hold without issuing: its stock becomes available again."""
    reservation = await _claim(reservation_id, status, actor=actor, now=now)
    await _close_request(reservation_id, "pending_dispatcher", actor=actor, now=now)
    items = await _active_items(reservation_id)
    depot, part_id = reservation["depot"], reservation["part"]
    await take_from_level(
        depot, part_id, UnitStatus.RESERVED, reservation["quantity"], to_status=UnitStatus.AVAILABLE
    )
    await _move_items(items, depot, part_id, UnitStatus.AVAILABLE, now)
    await ReservationItem.update({ReservationItem.active: False}).where(
        ReservationItem.reservation == reservation_id
    )
    await record_movements(
        [
            _entry(
                MovementKind.STATUS_CHANGE, part_id, depot, item, UnitStatus.RESERVED, UnitStatus.AVAILABLE
            )
            for item in items
        ],
        actor=actor,
        now=now,
        reason=f"reservation {status}",
        reference=f"reservation:{reservation_id}",
    )
    return reservation


async def _claim(reservation_id: int, status: str, *, actor: str, now: datetime) -> dict:
    """Move an active reservation to ``status`` (one conditional update) and record it in the audit chain."""
    claimed = (
        await Reservation.update(
            {Reservation.status: status, Reservation.closed_at: now, Reservation.closed_by: actor}
        )
        .where((Reservation.id == reservation_id) & (Reservation.status == ACTIVE))
        .returning(
            Reservation.id, Reservation.ticket, Reservation.part, Reservation.depot, Reservation.quantity
        )
    )
    if claimed:
        await audit.append(
            f"reservation.{status}",
            f"reservation:{reservation_id}",
            {"ticket": claimed[0]["ticket"]},
            actor=actor,
            at=now,
        )
        return claimed[0]
    current = await Reservation.select(Reservation.status).where(Reservation.id == reservation_id).first()
    if current is None:
        raise NotFound(f"reservation {reservation_id} not found")
    raise InvalidTransition(f"reservation {reservation_id} is {current['status']}", state=current["status"])


async def _close_request(reservation_id: int, state: str, *, actor: str, now: datetime) -> None:
    """The replacement request the reservation approved, if any: ``fulfilled`` once its part is handed
    out; back to the dispatcher (``pending_dispatcher``) when its hold ends otherwise (released, expired,
    taken for a more urgent ticket). A withdrawn request has left ``approved`` already."""
    changes: dict = {ReplacementRequest.state: state}
    if state == "fulfilled":
        changes |= {ReplacementRequest.closed_at: now, ReplacementRequest.closed_by: actor}
    else:
        changes |= {
            ReplacementRequest.note: f"its reservation {reservation_id} ended before the part was handed out"
        }
    moved = (
        await ReplacementRequest.update(changes)
        .where((ReplacementRequest.reservation == reservation_id) & (ReplacementRequest.state == "approved"))
        .returning(ReplacementRequest.id, ReplacementRequest.ticket)
    )
    for row in moved:
        await audit.append(
            f"replacement_request.{state}",
            f"replacement_request:{row['id']}",
            {"ticket": row["ticket"], "reservation": reservation_id},
            actor=actor,
            at=now,
        )


async def _active_items(reservation_id: int) -> list[dict]:
    return await ReservationItem.select(
        ReservationItem.unit,
        ReservationItem.unit.serial.as_alias("serial"),
        ReservationItem.batch_number,
        ReservationItem.quantity,
    ).where((ReservationItem.reservation == reservation_id) & ReservationItem.active.eq(True))


async def _move_items(
    items: list[dict], depot: int, part_id: int, to_status: UnitStatus, now: datetime
) -> None:
    """Move a reservation's held units and bulk batches out of ``reserved``: back to ``available`` at the
    depot, or out of it as ``issued``."""
    stays = to_status is UnitStatus.AVAILABLE
    units = [item["serial"] for item in items if item["unit"] is not None]
    if units:
        await move_units(
            part_id,
            depot,
            UnitStatus.RESERVED,
            to_status=to_status,
            to_depot_id=depot if stays else None,
            now=now,
            serials=units,
        )
    for item in items:
        if item["unit"] is None:
            await move_within_bulk(
                depot,
                part_id,
                item["batch_number"],
                UnitStatus.RESERVED,
                to_status if stays else None,
                item["quantity"],
            )


async def _move_out(items: list[dict], reservation: dict, now: datetime) -> list[MovementEntry]:
    depot, part_id = reservation["depot"], reservation["part"]
    await _move_items(items, depot, part_id, UnitStatus.ISSUED, now)
    return [
        MovementEntry(
            MovementKind.ISSUE,
            part_id,
            item["batch_number"],
            item["quantity"],
            depot,
            UnitStatus.RESERVED,
            None,
            UnitStatus.ISSUED,
            unit_id=item["unit"],
        )
        for item in items
    ]


async def expect_return(handed: HandedOut, failed_serial: str, now: datetime) -> None:
    """Expect the failed unit back at the issuing depot within `RETURN_WINDOW`."""
    await DefectiveReturn.insert(
        DefectiveReturn(
            ticket=handed.ticket,
            part=handed.part,
            failed_serial=failed_serial,
            depot=handed.depot,
            status="expected",
            expected_by=now + RETURN_WINDOW,
            created_at=now,
        )
    )


def _entry(kind, part_id, depot_id, item, from_status, to_status) -> MovementEntry:
    return MovementEntry(
        kind,
        part_id,
        item["batch_number"],
        item["quantity"],
        depot_id,
        from_status,
        depot_id,
        to_status,
        unit_id=item["unit"],
    )


def _no_source_reason(stocked: Sequence[SupplyOption], quantity: int) -> str:
    if not stocked:
        return f"no depot has {quantity} available"
    nearest = stocked[0]
    return (
        f"no depot with {quantity} available can arrive before the promised time; "
        f"the nearest, {nearest.code}, would arrive at {nearest.estimated_arrival.isoformat()}"
    )


def _alternative(option: SupplyOption) -> dict:
    return {
        "depot": option.code,
        "available": option.available,
        "estimated_arrival": option.estimated_arrival.isoformat(),
        "feasible": option.feasible,
    }
