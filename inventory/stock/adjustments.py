"""Warehouse corrections: status changes (quarantine, defective, back to vendor) and bulk counts."""

from __future__ import annotations

from datetime import datetime

from inventory.errors import InvalidRequest, NotFound
from inventory.persistence import write_transaction
from inventory.stock.catalogue import depot_ids, part_rows
from inventory.stock.holds import change_unit, unit_at
from inventory.stock.model import AT_DEPOT, MovementKind, UnitStatus, check_status_change
from inventory.stock.positions import (
    MovementEntry,
    add_to_bulk,
    add_to_level,
    move_within_bulk,
    record_movements,
    take_from_level,
)


async def change_status(
    *,
    part_number: str,
    depot: str,
    to_status: UnitStatus,
    serial: str | None,
    batch_number: str | None,
    quantity: int | None,
    from_status: UnitStatus | None,
    reason: str,
    actor: str,
    now: datetime,
) -> None:
    """Change the state of one serialized unit, or of a quantity of one bulk batch, at a depot.

    Raises:
        InvalidRequest: unknown part or depot, a change a warehouse may not make, or missing fields.
        NotFound: the serial is not at that depot.
        InsufficientStock: the batch holds less in ``from_status`` than asked.
    """
    if not reason.strip():
        raise InvalidRequest("say why the status changes", field="reason")
    part = await _part(part_number)
    async with write_transaction():
        depot_id = (await depot_ids([depot], field="depot"))[depot]
        if part["serialized"]:
            entry = await _change_unit(part["id"], depot_id, serial, to_status, now)
        else:
            entry = await _change_bulk(part["id"], depot_id, batch_number, quantity, from_status, to_status)
        await record_movements([entry], actor=actor, now=now, reason=reason, reference="")


async def adjust_bulk(
    *,
    part_number: str,
    depot: str,
    batch_number: str,
    delta: int,
    reason: str,
    actor: str,
    now: datetime,
) -> None:
    """Correct the available count of a bulk batch after a stock count (``delta`` may be negative).

    Raises:
        InvalidRequest: a serialized part (its units are received, not adjusted), a zero delta, no reason.
        InsufficientStock: a negative delta larger than the batch's available quantity.
    """
    if delta == 0:
        raise InvalidRequest("an adjustment needs a non-zero delta", field="delta")
    if not reason.strip():
        raise InvalidRequest("say why the count is adjusted", field="reason")
    part = await _part(part_number)
    if part["serialized"]:
        raise InvalidRequest("serialized stock is corrected unit by unit, not adjusted", field="part_number")
    async with write_transaction():
        depot_id = (await depot_ids([depot], field="depot"))[depot]
        if delta > 0:
            await add_to_level(depot_id, part["id"], UnitStatus.AVAILABLE, delta)
            await add_to_bulk(depot_id, part["id"], batch_number, UnitStatus.AVAILABLE, delta)
            source, target = (None, None), (depot_id, UnitStatus.AVAILABLE)
        else:
            await take_from_level(depot_id, part["id"], UnitStatus.AVAILABLE, -delta)
            await move_within_bulk(depot_id, part["id"], batch_number, UnitStatus.AVAILABLE, None, -delta)
            source, target = (depot_id, UnitStatus.AVAILABLE), (None, None)
        entry = MovementEntry(
            MovementKind.ADJUSTMENT,
            part["id"],
            batch_number,
            abs(delta),
            source[0],
            source[1],
            target[0],
            target[1],
        )
        await record_movements([entry], actor=actor, now=now, reason=reason, reference="")


async def _part(part_number: str) -> dict:
    parts = await part_rows([part_number])
    if part_number not in parts:
        raise InvalidRequest(f"unknown part {part_number!r}", field="part_number")
    return parts[part_number]


async def _change_unit(
    part_id: int, depot_id: int, serial: str | None, to_status: UnitStatus, now: datetime
) -> MovementEntry:
    if not serial:
        raise InvalidRequest("name the serial of a serialized part", field="serial")
    unit = await unit_at(part_id, serial, depot_id)
    if unit is None:
        raise NotFound(f"serial {serial} is not at that depot")
    check_status_change(unit.status, to_status)
    return await change_unit(unit, to_status, kind=MovementKind.STATUS_CHANGE, now=now)


async def _change_bulk(
    part_id: int,
    depot_id: int,
    batch_number: str | None,
    quantity: int | None,
    from_status: UnitStatus | None,
    to_status: UnitStatus,
) -> MovementEntry:
    if not batch_number or not quantity or quantity <= 0 or from_status is None:
        raise InvalidRequest(
            "a bulk status change needs batch_number, a positive quantity and from_status",
            field="batch_number",
        )
    check_status_change(from_status, to_status)
    stays = to_status in AT_DEPOT
    await take_from_level(depot_id, part_id, from_status, quantity, to_status=to_status if stays else None)
    await move_within_bulk(
        depot_id, part_id, batch_number, from_status, to_status if stays else None, quantity
    )
    return MovementEntry(
        MovementKind.STATUS_CHANGE,
        part_id,
        batch_number,
        quantity,
        depot_id,
        from_status,
        depot_id if stays else None,
        to_status,
    )
