"""Transfers between depots: stock leaves the source at dispatch and lands at the destination on receipt,
all at once or in parts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from inventory.errors import InsufficientStock, InvalidRequest, InvalidTransition, NotFound
from inventory.persistence import current_store, write_transaction
from inventory.stock.catalogue import depot_ids, part_rows, refuse_inactive
from inventory.stock.model import MovementKind, ShippedLine, UnitStatus, plan_arrival
from inventory.stock.positions import (
    MovementEntry,
    add_to_bulk,
    add_to_level,
    move_units,
    move_within_bulk,
    record_movements,
    take_from_bulk,
    take_from_level,
)
from inventory.stock.records import TransferLine, TransferRecord
from inventory.stock.tables import StockUnit, Transfer, TransferItem

IN_TRANSIT = "in_transit"
PARTIALLY_RECEIVED = "partially_received"
RECEIVED = "received"


async def dispatch_transfer(
    *,
    part_number: str,
    from_depot: str,
    to_depot: str,
    quantity: int | None,
    serials: Sequence[str] | None,
    reason: str,
    actor: str,
    now: datetime,
) -> TransferRecord:
    """Send available stock from one depot to another; it is ``in_transit`` until received.

    Give either ``quantity`` (oldest units or batches first) or, for a serialized part, ``serials``.

    Raises:
        InvalidRequest: unknown part or depot, same source and destination, or a bad quantity/serials.
        InsufficientStock: the source has less available stock than asked, or a named serial is not
            available there.
    """
    if from_depot == to_depot:
        raise InvalidRequest("source and destination are the same depot", field="to_depot")
    parts = await part_rows([part_number])
    if part_number not in parts:
        raise InvalidRequest(f"unknown part {part_number!r}", field="part_number")
    await refuse_inactive(depots=[("to_depot", to_depot)], parts=[("part_number", part_number)])
    part = parts[part_number]
    count = _requested_count(part["serialized"], quantity, serials)
    async with write_transaction():
        depots = await depot_ids({"from_depot": from_depot, "to_depot": to_depot})
        source, target = depots[from_depot], depots[to_depot]
        try:
            await take_from_level(source, part["id"], UnitStatus.AVAILABLE, count)
        except InsufficientStock as exc:
            raise InsufficientStock(
                f"{from_depot} has fewer than {count} available units of {part_number}",
                requested=count,
                depot=from_depot,
            ) from exc
        await add_to_level(target, part["id"], UnitStatus.IN_TRANSIT, count)
        transfer_id = (
            await Transfer.insert(
                Transfer(
                    part=part["id"],
                    from_depot=source,
                    to_depot=target,
                    quantity=count,
                    status=IN_TRANSIT,
                    reason=reason,
                    dispatched_at=now,
                    dispatched_by=actor,
                )
            ).returning(Transfer.id)
        )[0]["id"]
        lines = await _ship(part["id"], part["serialized"], source, target, count, serials, now)
        await TransferItem.insert(
            *[
                TransferItem(
                    transfer=transfer_id, unit=unit_id, batch_number=line.batch_number, quantity=line.quantity
                )
                for line, unit_id in lines
            ]
        )
        await record_movements(
            [
                MovementEntry(
                    kind=MovementKind.TRANSFER_OUT,
                    part_id=part["id"],
                    batch_number=line.batch_number,
                    quantity=line.quantity,
                    from_depot_id=source,
                    from_status=UnitStatus.AVAILABLE,
                    to_depot_id=target,
                    to_status=UnitStatus.IN_TRANSIT,
                    unit_id=unit_id,
                )
                for line, unit_id in lines
            ],
            actor=actor,
            now=now,
            reason=reason,
            reference=f"transfer:{transfer_id}",
        )
    return await get_transfer(transfer_id)


async def receive_transfer(
    transfer_id: int,
    *,
    serials: Sequence[str] | None = None,
    quantity: int | None = None,
    actor: str,
    now: datetime,
) -> TransferRecord:
    """Land a transfer at its destination as available stock: all of it, or part of it.

    Nothing named lands everything still in transit. ``serials`` land exactly those units, ``quantity``
    that many of a bulk transfer (`inventory.stock.model.plan_arrival`); the rest stays in transit, the
    transfer is ``partially_received``, and a later receipt lands more. The ledger and the audit chain
    record what landed, in one transaction with the conditional updates.

    Raises:
        NotFound: no such transfer.
        InvalidRequest: serials the transfer does not carry, or what to land does not fit the transfer.
        InvalidTransition: the transfer, or a unit named, has already landed.
    """
    async with write_transaction():
        part_id, target = await _lock_receivable(transfer_id)
        lines = [
            ShippedLine(
                row["id"], row["serial"], row["batch_number"], row["quantity"], row["received_quantity"]
            )
            for row in await TransferItem.select(
                TransferItem.id,
                TransferItem.unit.serial.as_alias("serial"),
                TransferItem.batch_number,
                TransferItem.quantity,
                TransferItem.received_quantity,
            )
            .where(TransferItem.transfer == transfer_id)
            .order_by(TransferItem.id)
        ]
        arriving = plan_arrival(lines, serials=serials, quantity=quantity)
        landed = await _land(transfer_id, part_id, target, arriving, now)
        complete = sum(count for _, count in arriving) == sum(line.in_transit for line in lines)
        await Transfer.update(
            {
                Transfer.status: RECEIVED if complete else PARTIALLY_RECEIVED,
                Transfer.received_at: now,
                Transfer.received_by: actor,
            }
        ).where(Transfer.id == transfer_id)
        await record_movements(
            [
                MovementEntry(
                    kind=MovementKind.TRANSFER_IN,
                    part_id=part_id,
                    batch_number=line.batch_number,
                    quantity=count,
                    from_depot_id=target,
                    from_status=UnitStatus.IN_TRANSIT,
                    to_depot_id=target,
                    to_status=UnitStatus.AVAILABLE,
                    unit_id=landed.get(line.id),
                )
                for line, count in arriving
            ],
            actor=actor,
            now=now,
            reason="received" if complete else "received in part",
            reference=f"transfer:{transfer_id}",
        )
    return await get_transfer(transfer_id)


async def _lock_receivable(transfer_id: int) -> tuple[int, int]:
    """Take the transfer's row lock while something of it is still in transit, so that receipts of the
    same transfer apply one after another; its part and destination depot.

    Raises:
        NotFound: no such transfer.
        InvalidTransition: everything has already landed.
    """
    locked = await current_store().lock_receivable_transfer(transfer_id, (IN_TRANSIT, PARTIALLY_RECEIVED))
    if locked is None:
        if not await Transfer.exists().where(Transfer.id == transfer_id):
            raise NotFound(f"transfer {transfer_id} not found")
        raise InvalidTransition(f"transfer {transfer_id} was already received", state=RECEIVED)
    return locked


async def _land(
    transfer_id: int, part_id: int, target: int, arriving: Sequence[tuple[ShippedLine, int]], now: datetime
) -> dict[int, int]:
    """Move what arrives from in transit to available at the destination, each step a conditional update.

    Returns:
        The unit id of every serialized line that landed, by line id.
    """
    count = sum(quantity for _, quantity in arriving)
    await take_from_level(target, part_id, UnitStatus.IN_TRANSIT, count, to_status=UnitStatus.AVAILABLE)
    units: dict[int, int] = {}
    for line, quantity in arriving:
        claimed, unit = await current_store().receive_transfer_line(line.id, quantity)
        if not claimed:
            raise InvalidTransition(f"part of transfer {transfer_id} landed at the same time")
        if unit is not None:
            units[line.id] = unit
        else:
            await move_within_bulk(
                target, part_id, line.batch_number, UnitStatus.IN_TRANSIT, UnitStatus.AVAILABLE, quantity
            )
    if units:
        moved = (
            await StockUnit.update({StockUnit.status: UnitStatus.AVAILABLE.value, StockUnit.updated_at: now})
            .where(
                StockUnit.id.is_in(list(units.values())) & (StockUnit.status == UnitStatus.IN_TRANSIT.value)
            )
            .returning(StockUnit.id)
        )
        if len(moved) != len(units):
            raise InvalidTransition(f"some units of transfer {transfer_id} are no longer in transit")
    return units


async def get_transfer(transfer_id: int) -> TransferRecord:
    """One transfer with what it carries.

    Raises:
        NotFound: no such transfer.
    """
    row = (
        await Transfer.select(
            Transfer.all_columns(exclude=[Transfer.part, Transfer.from_depot, Transfer.to_depot]),
            Transfer.part.part_number.as_alias("part_number"),
            Transfer.from_depot.code.as_alias("from_depot"),
            Transfer.to_depot.code.as_alias("to_depot"),
        )
        .where(Transfer.id == transfer_id)
        .first()
    )
    if row is None:
        raise NotFound(f"transfer {transfer_id} not found")
    items = (
        await TransferItem.select(
            TransferItem.batch_number,
            TransferItem.quantity,
            TransferItem.unit.serial.as_alias("serial"),
            TransferItem.received_quantity,
        )
        .where(TransferItem.transfer == transfer_id)
        .order_by(TransferItem.id)
    )
    return TransferRecord(
        id=row["id"],
        part_number=row["part_number"],
        from_depot=row["from_depot"],
        to_depot=row["to_depot"],
        quantity=row["quantity"],
        status=row["status"],
        reason=row["reason"],
        dispatched_at=row["dispatched_at"],
        dispatched_by=row["dispatched_by"],
        received_at=row["received_at"],
        received_by=row["received_by"],
        lines=[
            TransferLine(item["batch_number"], item["quantity"], item["serial"], item["received_quantity"])
            for item in items
        ],
    )


def _requested_count(serialized: bool, quantity: int | None, serials: Sequence[str] | None) -> int:
    if serials is not None:
        if not serialized:
            raise InvalidRequest("serials can only be named for a serialized part", field="serials")
        if not serials:
            raise InvalidRequest("name at least one serial", field="serials")
        if len(set(serials)) != len(serials):
            raise InvalidRequest("a serial is named twice", field="serials")
        if quantity is not None and quantity != len(serials):
            raise InvalidRequest("quantity does not match the serials named", field="quantity")
        return len(serials)
    if quantity is None or quantity <= 0:
        raise InvalidRequest("give a positive quantity or the serials to send", field="quantity")
    return quantity


async def _ship(
    part_id: int,
    serialized: bool,
    source: int,
    target: int,
    count: int,
    serials: Sequence[str] | None,
    now: datetime,
) -> list[tuple[TransferLine, int | None]]:
    if not serialized:
        taken = await take_from_bulk(source, part_id, UnitStatus.AVAILABLE, count)
        for batch_number, quantity in taken:
            await add_to_bulk(target, part_id, batch_number, UnitStatus.IN_TRANSIT, quantity)
        return [(TransferLine(batch_number, quantity, None), None) for batch_number, quantity in taken]
    moved = await move_units(
        part_id,
        source,
        UnitStatus.AVAILABLE,
        to_status=UnitStatus.IN_TRANSIT,
        to_depot_id=target,
        now=now,
        serials=serials,
        quantity=None if serials is not None else count,
    )
    if len(moved) != count:
        missing = sorted(set(serials or []) - {unit.serial for unit in moved})
        raise InsufficientStock(
            f"{count - len(moved)} of the units asked for are not available at the source",
            serials=missing,
        )
    return [(TransferLine(unit.batch_number, 1, unit.serial), unit.id) for unit in moved]
