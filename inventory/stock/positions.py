"""The only code that changes stock: levels, bulk batches, units and the movement rows that record them.

Lock order, the same on every path so that PostgreSQL never deadlocks: first the ``stock_level`` row of
the source (a conditional update that both checks and takes), then its bulk batches or units, then the
destination rows. Holding the source level row also serialises every other writer of that depot and
part, so picking "any available unit" after it is race-free without ``SKIP LOCKED``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from inventory.audit import log as audit
from inventory.audit.log import Statement
from inventory.errors import InsufficientStock
from inventory.persistence import current_engine, engine_kind, placeholders, run
from inventory.stock.model import MovementKind, UnitStatus
from inventory.stock.tables import BulkStock, StockLevel, StockUnit

LEVEL_COLUMNS = ("on_hand", "reserved", "in_transit", "defective", "quarantined")

_CONTRIBUTION: dict[str, dict[str, int]] = {
    UnitStatus.AVAILABLE: {"on_hand": 1},
    UnitStatus.RESERVED: {"on_hand": 1, "reserved": 1},
    UnitStatus.IN_TRANSIT: {"in_transit": 1},
    UnitStatus.DEFECTIVE: {"defective": 1},
    UnitStatus.QUARANTINED: {"quarantined": 1},
}

_TAKEABLE = {
    UnitStatus.AVAILABLE: "on_hand - reserved",
    UnitStatus.RESERVED: "reserved",
    UnitStatus.IN_TRANSIT: "in_transit",
    UnitStatus.DEFECTIVE: "defective",
    UnitStatus.QUARANTINED: "quarantined",
}

_LEVEL_ASSIGNMENTS = ", ".join(f"{column} = {column} + {{}}" for column in LEVEL_COLUMNS)
"""``SET`` clause of a level update, with one placeholder per `level_deltas` value in column order."""


def level_deltas(from_status: str | None, to_status: str | None, quantity: int) -> dict[str, int]:
    """How a depot's level columns change when ``quantity`` moves between two states there."""
    deltas = dict.fromkeys(LEVEL_COLUMNS, 0)
    for column, weight in _CONTRIBUTION.get(from_status or "", {}).items():
        deltas[column] -= weight * quantity
    for column, weight in _CONTRIBUTION.get(to_status or "", {}).items():
        deltas[column] += weight * quantity
    return deltas


async def take_from_level(
    depot_id: int, part_id: int, from_status: str, quantity: int, to_status: str | None = None
) -> None:
    """Move ``quantity`` out of ``from_status`` at a depot (into ``to_status`` there, if given).

    One conditional UPDATE: it takes the row lock and checks the stock in the same statement.

    Raises:
        InsufficientStock: fewer than ``quantity`` are in ``from_status``.
    """
    deltas = level_deltas(from_status, to_status, quantity)
    rows = await run(
        f"UPDATE stock_level SET {_LEVEL_ASSIGNMENTS} "
        f"WHERE part = {{}} AND depot = {{}} AND {_TAKEABLE[from_status]} >= {{}} RETURNING id",
        *deltas.values(),
        part_id,
        depot_id,
        quantity,
    )
    if not rows:
        raise _refused(from_status, quantity)


def _refused(from_status: str, quantity: int) -> InsufficientStock:
    return InsufficientStock(
        f"not enough {from_status} stock for {quantity}", requested=quantity, state=from_status
    )


async def add_to_level(depot_id: int, part_id: int, to_status: str, quantity: int) -> None:
    """Add ``quantity`` in ``to_status`` to a depot's level, creating the row on first use."""
    deltas = level_deltas(None, to_status, quantity)
    updates = ", ".join(f"{column} = stock_level.{column} + excluded.{column}" for column in LEVEL_COLUMNS)
    await StockLevel.raw(
        f"INSERT INTO stock_level (depot, part, {', '.join(LEVEL_COLUMNS)}) "
        f"VALUES ({placeholders(2 + len(LEVEL_COLUMNS))}) "
        f"ON CONFLICT (part, depot) DO UPDATE SET {updates}",
        depot_id,
        part_id,
        *deltas.values(),
    )


async def add_to_bulk(depot_id: int, part_id: int, batch_number: str, to_status: str, quantity: int) -> None:
    """Add ``quantity`` of one batch in ``to_status`` at a depot, creating the row on first use."""
    column = _bulk_column(to_status)
    await BulkStock.raw(
        f"INSERT INTO bulk_stock (depot, part, batch_number, {column}) VALUES ({{}}, {{}}, {{}}, {{}}) "
        "ON CONFLICT (depot, part, batch_number) "
        f"DO UPDATE SET {column} = bulk_stock.{column} + excluded.{column}",
        depot_id,
        part_id,
        batch_number,
        quantity,
    )


async def take_from_bulk(
    depot_id: int, part_id: int, from_status: str, quantity: int, to_status: str | None = None
) -> list[tuple[str, int]]:
    """Take ``quantity`` of a bulk part in ``from_status`` at a depot, oldest batch first.

    Call after `take_from_level` for the same depot and part, which holds the lock.

    Returns:
        ``(batch number, quantity)`` for every batch touched.
    """
    source = _bulk_column(from_status)
    target = _bulk_column(to_status) if to_status else None
    batches = await BulkStock.raw(
        f"SELECT id, batch_number, {source} AS quantity FROM bulk_stock "
        f"WHERE depot = {{}} AND part = {{}} AND {source} > 0 ORDER BY id",
        depot_id,
        part_id,
    )
    taken: list[tuple[str, int]] = []
    remaining = quantity
    for batch in batches:
        if remaining == 0:
            break
        step = min(remaining, batch["quantity"])
        move_into = f", {target} = {target} + {{}}" if target else ""
        args = (step, step) if target else (step,)
        rows = await BulkStock.raw(
            f"UPDATE bulk_stock SET {source} = {source} - {{}}{move_into} "
            f"WHERE id = {{}} AND {source} >= {{}} RETURNING id",
            *args,
            batch["id"],
            step,
        )
        if not rows:
            raise InsufficientStock("bulk batch changed during the move", batch_number=batch["batch_number"])
        taken.append((batch["batch_number"], step))
        remaining -= step
    if remaining:
        raise InsufficientStock(
            f"batches hold {quantity - remaining} of the {quantity} {from_status} units needed",
            requested=quantity,
        )
    return taken


async def move_within_bulk(
    depot_id: int, part_id: int, batch_number: str, from_status: str, to_status: str | None, quantity: int
) -> None:
    """Move ``quantity`` of one bulk batch between two states at the same depot, or out of the depot
    altogether when ``to_status`` is None (issued, returned to the vendor, counted away).

    Raises:
        InsufficientStock: the batch holds fewer than ``quantity`` in ``from_status``.
    """
    source = _bulk_column(from_status)
    move_into = f", {_bulk_column(to_status)} = {_bulk_column(to_status)} + {{}}" if to_status else ""
    amounts = (quantity, quantity) if to_status else (quantity,)
    rows = await BulkStock.raw(
        f"UPDATE bulk_stock SET {source} = {source} - {{}}{move_into} "
        f"WHERE depot = {{}} AND part = {{}} AND batch_number = {{}} AND {source} >= {{}} RETURNING id",
        *amounts,
        depot_id,
        part_id,
        batch_number,
        quantity,
    )
    if not rows:
        raise InsufficientStock(
            f"batch {batch_number} holds fewer than {quantity} {from_status}", batch_number=batch_number
        )


OLDEST_UNITS_SQL = (
    "SELECT id FROM stock_unit WHERE part = {} AND depot = {} AND status = {} ORDER BY id LIMIT {}"
)
"""The oldest units of a part at a depot in one state, read in order from the index
``stock_unit_part_depot_status_id``."""


@dataclass(frozen=True, slots=True)
class MovedUnit:
    id: int
    serial: str
    batch_number: str


_MOVE_OLDEST_SQL = (
    "UPDATE stock_unit SET status = {}, depot = {}, updated_at = {} "
    f"WHERE id IN ({OLDEST_UNITS_SQL}) RETURNING id, serial, batch_number"
)
# PostgreSQL: the level's conditional update, then (only if it took) the oldest units, in one statement.
# ``status = {}`` outside the subquery is checked again against a unit's newest version if a writer the
# level row waited for has moved it since the statement's snapshot: such a unit is skipped, not taken.
_TAKE_OLDEST_UNITS = {
    status: (
        f"WITH level AS (UPDATE stock_level SET {_LEVEL_ASSIGNMENTS} "
        f"WHERE part = {{}} AND depot = {{}} AND {takeable} >= {{}} RETURNING id), "
        "moved AS (UPDATE stock_unit SET status = {}, updated_at = {} "
        f"WHERE id IN ({OLDEST_UNITS_SQL}) AND status = {{}} AND EXISTS (SELECT 1 FROM level) "
        "RETURNING id, serial, batch_number) "
        "SELECT moved.id, moved.serial, moved.batch_number FROM level LEFT JOIN moved ON true"
    )
    for status, takeable in _TAKEABLE.items()
}


async def _move_oldest(
    part_id: int,
    depot_id: int,
    from_status: str,
    to_status: str,
    to_depot_id: int | None,
    quantity: int,
    now: datetime,
) -> list[MovedUnit]:
    """Move the oldest ``quantity`` units of a part at a depot in ``from_status``; the caller holds the
    level row lock."""
    rows = await run(_MOVE_OLDEST_SQL, to_status, to_depot_id, now, part_id, depot_id, from_status, quantity)
    return [MovedUnit(row["id"], row["serial"], row["batch_number"]) for row in rows]


async def move_units(
    part_id: int,
    depot_id: int,
    from_status: str,
    *,
    to_status: str,
    to_depot_id: int | None,
    now: datetime,
    serials: Sequence[str] | None = None,
    quantity: int | None = None,
) -> list[MovedUnit]:
    """Change the state (and depot) of named serials, or of the oldest ``quantity`` units.

    Only units of the part at ``depot_id`` in ``from_status`` move; the caller compares the count.
    """
    unit_filter = (
        (StockUnit.part == part_id) & (StockUnit.depot == depot_id) & (StockUnit.status == from_status)
    )
    if serials is not None:
        if not serials:
            return []
        unit_filter &= StockUnit.serial.is_in(list(serials))
    else:
        if not quantity:
            return []
        return await _move_oldest(part_id, depot_id, from_status, to_status, to_depot_id, quantity, now)
    rows = (
        await StockUnit.update(
            {StockUnit.status: to_status, StockUnit.depot: to_depot_id, StockUnit.updated_at: now}
        )
        .where(unit_filter)
        .returning(StockUnit.id, StockUnit.serial, StockUnit.batch_number)
    )
    return [MovedUnit(row["id"], row["serial"], row["batch_number"]) for row in rows]


async def take_oldest_units(
    part_id: int, depot_id: int, from_status: str, quantity: int, *, to_status: str, now: datetime
) -> list[MovedUnit]:
    """`take_from_level` for ``quantity`` units of a part at a depot, then `move_units` of its oldest
    units there from ``from_status`` to ``to_status``; on PostgreSQL both in one statement.

    That statement reads the units in the snapshot it started with, which can predate the commit of a
    writer it waited for at the level row; units that writer moved are then skipped, and the shortfall
    is picked again in a new statement, under the level row lock now held.

    Raises:
        InsufficientStock: the level holds fewer than ``quantity`` in ``from_status``.

    Returns:
        The moved units; fewer than ``quantity`` only if the units disagree with the level.
    """
    if engine_kind(current_engine()) != "postgresql":
        await take_from_level(depot_id, part_id, from_status, quantity, to_status=to_status)
        return await _move_oldest(part_id, depot_id, from_status, to_status, depot_id, quantity, now)
    deltas = level_deltas(from_status, to_status, quantity)
    rows = await run(
        _TAKE_OLDEST_UNITS[from_status],
        *deltas.values(),
        part_id,
        depot_id,
        quantity,
        to_status,
        now,
        part_id,
        depot_id,
        from_status,
        quantity,
        from_status,
    )
    if not rows:
        raise _refused(from_status, quantity)
    moved = [
        MovedUnit(row["id"], row["serial"], row["batch_number"]) for row in rows if row["id"] is not None
    ]
    if len(moved) < quantity:
        moved += await _move_oldest(
            part_id, depot_id, from_status, to_status, depot_id, quantity - len(moved), now
        )
    return moved


@dataclass(frozen=True, slots=True)
class MovementEntry:
    """A ledger row to write: what moved, from where and in which state, to where and which state."""

    kind: MovementKind
    part_id: int
    batch_number: str
    quantity: int
    from_depot_id: int | None
    from_status: str | None
    to_depot_id: int | None
    to_status: str | None
    unit_id: int | None = None


async def record_movements(
    entries: Sequence[MovementEntry],
    *,
    actor: str,
    now: datetime,
    reason: str,
    reference: str,
    before: Statement | None = None,
) -> None:
    """Append ledger rows (never updated or deleted) and one audit chain entry recording them; the last
    (usually the only) INSERT goes with the audit append, in one statement on PostgreSQL, with the
    common table expressions ``before`` if given (see `inventory.audit.log.append`)."""
    if not entries:
        return
    rows = [
        (
            now,
            entry.kind.value,
            entry.part_id,
            entry.unit_id,
            entry.batch_number,
            entry.quantity,
            entry.from_depot_id,
            entry.from_status,
            entry.to_depot_id,
            entry.to_status,
            actor,
            reason,
            reference,
        )
        for entry in entries
    ]
    row_sql = f"({placeholders(len(MOVEMENT_COLUMNS))})"
    inserts = []
    for start in range(0, len(rows), _ROWS_PER_INSERT):
        chunk = rows[start : start + _ROWS_PER_INSERT]
        values = ", ".join([row_sql] * len(chunk))
        sql = f"INSERT INTO movement ({', '.join(MOVEMENT_COLUMNS)}) VALUES {values}"
        inserts.append((sql, [value for row in chunk for value in row]))
    for sql, args in inserts[:-1]:
        await run(sql, *args)
    await audit.append(
        f"stock.{entries[0].kind.value}",
        reference or f"part:{entries[0].part_id}",
        {"reason": reason, "movements": [[*row[1:10]] for row in rows]},
        actor=actor,
        at=now,
        alongside=inserts[-1],
        before=before,
    )


_ROWS_PER_INSERT = 1_000
"""Movement rows per INSERT: 13,000 values, well inside both engines' limit of 32,766 parameters."""
MOVEMENT_COLUMNS = (
    # The columns of a movement row other than its id, as every writer of the ledger fills them.
    "at",
    "kind",
    "part",
    "unit",
    "batch_number",
    "quantity",
    "from_depot",
    "from_status",
    "to_depot",
    "to_status",
    "actor",
    "reason",
    "reference",
)


def _bulk_column(status: str) -> str:
    if status not in _TAKEABLE:
        raise ValueError(f"bulk stock has no {status} column")
    return status
