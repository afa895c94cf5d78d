"""Units on hold: quarantined or defective stock. Every change that takes a unit out of quarantine or
defective stock (released, regraded, returned to its vendor, scrapped, lost) goes through `leave_hold`,
so that a rule about what may leave a hold has one place to live."""

from __future__ import annotations

from datetime import datetime

from inventory.stock.model import HELD, MovementKind, UnitStatus
from inventory.stock.positions import MovementEntry, UnitAtDepot, shift_unit
from inventory.stock.tables import StockUnit


async def leave_hold(
    unit: UnitAtDepot, to_status: UnitStatus, *, kind: MovementKind, now: datetime
) -> MovementEntry:
    """Take a quarantined or defective unit out of its hold into ``to_status``; the caller records the
    returned movement in the same transaction.

    Raises:
        ValueError: the unit is not on hold (a fault of the caller).
        InsufficientStock, InvalidTransition: the unit moved since it was read.
    """
    if unit.status not in HELD:
        raise ValueError(f"unit {unit.serial} is {unit.status}, not on hold")
    return await shift_unit(unit, to_status, kind=kind, now=now)


async def change_unit(
    unit: UnitAtDepot, to_status: UnitStatus, *, kind: MovementKind, now: datetime
) -> MovementEntry:
    """Change a unit's state at its depot: through `leave_hold` if it is on hold."""
    if unit.status in HELD:
        return await leave_hold(unit, to_status, kind=kind, now=now)
    return await shift_unit(unit, to_status, kind=kind, now=now)


async def unit_at(part_id: int, serial: str, depot_id: int | None = None) -> UnitAtDepot | None:
    """A unit of a part by serial, if it is at a depot (at ``depot_id``, if named)."""
    query = StockUnit.select(
        StockUnit.id, StockUnit.serial, StockUnit.batch_number, StockUnit.depot, StockUnit.status
    ).where((StockUnit.part == part_id) & (StockUnit.serial == serial) & StockUnit.depot.is_not_null())
    if depot_id is not None:
        query = query.where(StockUnit.depot == depot_id)
    row = await query.first()
    if row is None:
        return None
    return UnitAtDepot(
        row["id"], part_id, row["serial"], row["batch_number"], row["depot"], UnitStatus(row["status"])
    )
