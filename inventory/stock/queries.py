"""Read side of the stock app: levels per depot and part, and a serial's whole life."""

from __future__ import annotations

from inventory.errors import InvalidRequest, NotFound
from inventory.persistence import current_store
from inventory.stock.records import LevelRecord, MovementRecord, UnitRecord
from inventory.stock.tables import Movement, StockUnit


async def stock_levels(
    *,
    part_number: str | None,
    depot: str | None,
    category: str | None,
    limit: int,
    offset: int,
) -> list[LevelRecord]:
    """Stock per depot and part, ordered by part number then depot code: the stock screen's access path
    (`inventory.persistence.Store.stock_overview`), which walks parts in order and stops at the page's
    end instead of sorting every level."""
    rows = await current_store().stock_overview(
        depot=depot,
        search=None,
        only=None,
        limit=limit,
        offset=offset,
        part_number=part_number,
        category=category,
    )
    return [
        LevelRecord(
            depot=row["depot"],
            part_number=row["part_number"],
            on_hand=row["on_hand"],
            reserved=row["reserved"],
            in_transit=row["in_transit"],
            defective=row["defective"],
            quarantined=row["quarantined"],
        )
        for row in rows
    ]


async def trace_unit(serial: str, *, part_number: str | None = None) -> UnitRecord:
    """A serialized unit's current state and every movement it made, oldest first.

    Raises:
        NotFound: no unit has that serial (of that part).
        InvalidRequest: the serial exists for several parts and ``part_number`` was not given.
    """
    unit = await find_unit(serial, part_number=part_number)
    history = await unit_history(unit["id"])
    return UnitRecord(
        part_number=unit["part_number"],
        serial=unit["serial"],
        box_number=unit["box_number"],
        batch_number=unit["batch_number"],
        depot=unit["depot"],
        status=unit["status"],
        received_at=unit["received_at"],
        history=history,
    )


async def find_unit(serial: str, *, part_number: str | None = None) -> dict:
    """The row of the unit with ``serial`` (of ``part_number``): its id, part number, serial, box, batch,
    depot code, status and receipt time.

    Raises:
        NotFound: no unit has that serial (of that part).
        InvalidRequest: the serial exists for several parts and ``part_number`` was not given.
    """
    query = StockUnit.select(
        StockUnit.id,
        StockUnit.part.part_number.as_alias("part_number"),
        StockUnit.serial,
        StockUnit.box_number,
        StockUnit.batch_number,
        StockUnit.depot.code.as_alias("depot"),
        StockUnit.status,
        StockUnit.received_at,
    ).where(StockUnit.serial == serial)
    if part_number is not None:
        query = query.where(StockUnit.part.part_number == part_number)
    units = await query
    if not units:
        raise NotFound(f"serial {serial} not found")
    if len(units) > 1:
        raise InvalidRequest(
            f"serial {serial} exists for several parts: name the part",
            field="part_number",
            part_numbers=sorted(unit["part_number"] for unit in units),
        )
    return units[0]


async def unit_history(unit_id: int) -> list[MovementRecord]:
    """Every ledger row of one unit, oldest first."""
    rows = (
        await Movement.select(
            Movement.id,
            Movement.at,
            Movement.kind,
            Movement.part.part_number.as_alias("part_number"),
            Movement.unit.serial.as_alias("serial"),
            Movement.batch_number,
            Movement.quantity,
            Movement.from_depot.code.as_alias("from_depot"),
            Movement.from_status,
            Movement.to_depot.code.as_alias("to_depot"),
            Movement.to_status,
            Movement.actor,
            Movement.reason,
            Movement.reference,
        )
        .where(Movement.unit == unit_id)
        .order_by(Movement.id)
    )
    return [MovementRecord(**row) for row in rows]
