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
from inventory.errors import InsufficientStock, InvalidTransition
from inventory.persistence import LevelDeltas, MovedUnit, MovementRow, current_store
from inventory.stock.model import AT_DEPOT, MovementKind, UnitStatus
from inventory.stock.tables import StockUnit

_CONTRIBUTION: dict[str, dict[str, int]] = {
    UnitStatus.AVAILABLE: {"on_hand": 1},
    UnitStatus.RESERVED: {"on_hand": 1, "reserved": 1},
    UnitStatus.IN_TRANSIT: {"in_transit": 1},
    UnitStatus.DEFECTIVE: {"defective": 1},
    UnitStatus.QUARANTINED: {"quarantined": 1},
}
"""What one unit in each state at a depot counts in the depot's level columns."""


def level_deltas(from_status: str | None, to_status: str | None, quantity: int) -> LevelDeltas:
    """How a depot's level columns change when ``quantity`` moves between two states there."""
    deltas = dict.fromkeys(LevelDeltas._fields, 0)
    for column, weight in _CONTRIBUTION.get(from_status or "", {}).items():
        deltas[column] -= weight * quantity
    for column, weight in _CONTRIBUTION.get(to_status or "", {}).items():
        deltas[column] += weight * quantity
    return LevelDeltas(**deltas)


async def take_from_level(
    depot_id: int, part_id: int, from_status: str, quantity: int, to_status: str | None = None
) -> None:
    """Move ``quantity`` out of ``from_status`` at a depot (into ``to_status`` there, if given).

    One conditional update: it takes the row lock and checks the stock in the same statement.

    Raises:
        InsufficientStock: fewer than ``quantity`` are in ``from_status``.
    """
    deltas = level_deltas(from_status, to_status, quantity)
    if not await current_store().take_from_level(depot_id, part_id, from_status, quantity, deltas):
        raise _refused(from_status, quantity)


def _refused(from_status: str, quantity: int) -> InsufficientStock:
    return InsufficientStock(
        f"not enough {from_status} stock for {quantity}", requested=quantity, state=from_status
    )


async def add_to_level(depot_id: int, part_id: int, to_status: str, quantity: int) -> None:
    """Add ``quantity`` in ``to_status`` to a depot's level, creating the row on first use."""
    await current_store().add_to_level(depot_id, part_id, level_deltas(None, to_status, quantity))


async def add_to_bulk(depot_id: int, part_id: int, batch_number: str, to_status: str, quantity: int) -> None:
    """Add ``quantity`` of one batch in ``to_status`` at a depot, creating the row on first use."""
    await current_store().add_to_bulk(depot_id, part_id, batch_number, to_status, quantity)


async def take_from_bulk(
    depot_id: int, part_id: int, from_status: str, quantity: int, to_status: str | None = None
) -> list[tuple[str, int]]:
    """Take ``quantity`` of a bulk part in ``from_status`` at a depot, oldest batch first.

    Call after `take_from_level` for the same depot and part, which holds the lock.

    Returns:
        ``(batch number, quantity)`` for every batch touched.
    """
    store = current_store()
    taken: list[tuple[str, int]] = []
    remaining = quantity
    for batch_id, batch_number, held in await store.bulk_batches(depot_id, part_id, from_status):
        if remaining == 0:
            break
        step = min(remaining, held)
        if not await store.take_from_batch(batch_id, from_status, to_status, step):
            raise InsufficientStock("bulk batch changed during the move", batch_number=batch_number)
        taken.append((batch_number, step))
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
    moved = await current_store().move_within_bulk(
        depot_id, part_id, batch_number, from_status, to_status, quantity
    )
    if not moved:
        raise InsufficientStock(
            f"batch {batch_number} holds fewer than {quantity} {from_status}", batch_number=batch_number
        )


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
    if serials is None:
        if not quantity:
            return []
        return await current_store().move_oldest_units(
            part_id, depot_id, from_status, to_status, to_depot_id, quantity, now
        )
    if not serials:
        return []
    rows = (
        await StockUnit.update(
            {StockUnit.status: to_status, StockUnit.depot: to_depot_id, StockUnit.updated_at: now}
        )
        .where(
            (StockUnit.part == part_id)
            & (StockUnit.depot == depot_id)
            & (StockUnit.status == from_status)
            & StockUnit.serial.is_in(list(serials))
        )
        .returning(StockUnit.id, StockUnit.serial, StockUnit.batch_number)
    )
    return [MovedUnit(row["id"], row["serial"], row["batch_number"]) for row in rows]


async def take_oldest_units(
    part_id: int, depot_id: int, from_status: str, quantity: int, *, to_status: str, now: datetime
) -> list[MovedUnit]:
    """`take_from_level` for ``quantity`` units of a part at a depot, then `move_units` of its oldest
    units there from ``from_status`` to ``to_status`` (in one statement where the engine can:
    `inventory.persistence.Store.take_oldest_units`).

    Raises:
        InsufficientStock: the level holds fewer than ``quantity`` in ``from_status``.

    Returns:
        The moved units; fewer than ``quantity`` only if the units disagree with the level.
    """
    deltas = level_deltas(from_status, to_status, quantity)
    moved = await current_store().take_oldest_units(
        part_id, depot_id, from_status, to_status, quantity, deltas, now
    )
    if moved is None:
        raise _refused(from_status, quantity)
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


def movement_rows(
    entries: Sequence[MovementEntry], *, actor: str, now: datetime, reason: str, reference: str
) -> list[MovementRow]:
    """The ledger rows of ``entries``."""
    return [
        MovementRow(
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


def movements_entry(rows: Sequence[MovementRow], *, reason: str, reference: str) -> audit.UnlinkedEntry:
    """The audit chain entry recording ledger rows (all of one kind, by one actor at one time)."""
    first = rows[0]
    return audit.entry(
        f"stock.{first.kind}",
        reference or f"part:{first.part}",
        {"reason": reason, "movements": [list(row[1:10]) for row in rows]},
        actor=first.actor,
        at=first.at,
    )


async def record_movements(
    entries: Sequence[MovementEntry], *, actor: str, now: datetime, reason: str, reference: str
) -> None:
    """Append ledger rows (never updated or deleted) and one audit chain entry recording them (in one
    statement where the engine can: `inventory.persistence.Store.record_movements`)."""
    if not entries:
        return
    rows = movement_rows(entries, actor=actor, now=now, reason=reason, reference=reference)
    await current_store().record_movements(
        rows, movements_entry(rows, reason=reason, reference=reference), audit.keys().mac_key
    )


@dataclass(frozen=True, slots=True)
class UnitAtDepot:
    """A serialized unit as read before a change of state: where it is and in which state."""

    id: int
    part_id: int
    serial: str
    batch_number: str
    depot_id: int
    status: UnitStatus


async def shift_unit(
    unit: UnitAtDepot, to_status: UnitStatus, *, kind: MovementKind, now: datetime
) -> MovementEntry:
    """Move one unit from its state at its depot to ``to_status`` (out of the depot for a state not
    counted there): the level's conditional update, then the unit's, both checking the state read.

    Raises:
        InsufficientStock: the level no longer holds the unit in its state.
        InvalidTransition: the unit changed state or place since it was read.
    """
    stays = to_status in AT_DEPOT
    await take_from_level(unit.depot_id, unit.part_id, unit.status, 1, to_status=to_status if stays else None)
    moved = await move_units(
        unit.part_id,
        unit.depot_id,
        unit.status,
        to_status=to_status,
        to_depot_id=unit.depot_id if stays else None,
        now=now,
        serials=[unit.serial],
    )
    if not moved:
        raise InvalidTransition(f"unit {unit.serial} is no longer {unit.status}", serial=unit.serial)
    return MovementEntry(
        kind,
        unit.part_id,
        unit.batch_number,
        1,
        unit.depot_id,
        unit.status,
        unit.depot_id if stays else None,
        to_status,
        unit_id=unit.id,
    )
