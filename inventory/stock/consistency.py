"""The consistency checks: stored stock must equal what the movement ledger says, everywhere, and every
movement must be the one its audit chain entry recorded."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass

from inventory.audit import log as audit
from inventory.audit.tables import AuditHead
from inventory.persistence import current_store
from inventory.stock.ledger import Discrepancy, Level, LevelKey, MovementFlow, Position, compare, replay
from inventory.stock.model import AT_DEPOT
from inventory.stock.movement_proof import (
    ACTION_PREFIX,
    MovementMismatch,
    MovementReconciler,
    StoredMovement,
)
from inventory.stock.tables import BulkStock, Movement, StockLevel

BATCH = 10_000
MISMATCH_LIMIT = 1_000

_BULK_STATES = ("available", "reserved", "in_transit", "defective", "quarantined")


async def check_consistency() -> list[Discrepancy]:
    """Replay the whole ledger and compare it with units, bulk batches and stock levels.

    Returns:
        Every discrepancy found; an empty list means the stock is exactly what the ledger says.
    """
    return compare(replay(await _ledger_flows()), await _stored_positions(), await _stored_levels())


async def _ledger_flows() -> list[MovementFlow]:
    rows = await current_store().ledger_flows()
    return [MovementFlow(**{**row, "quantity": int(row["quantity"])}) for row in rows]


async def _stored_positions() -> Counter[Position]:
    positions: Counter[Position] = Counter()
    units = await current_store().unit_positions(sorted(status.value for status in AT_DEPOT))
    for row in units:
        positions[(row["depot"], row["part_number"], row["batch_number"], row["status"])] += int(
            row["quantity"]
        )
    bulk = await BulkStock.select(
        BulkStock.depot.code.as_alias("depot"),
        BulkStock.part.part_number.as_alias("part_number"),
        BulkStock.batch_number,
        *[getattr(BulkStock, state) for state in _BULK_STATES],
    )
    for row in bulk:
        for state in _BULK_STATES:
            if row[state]:
                positions[(row["depot"], row["part_number"], row["batch_number"], state)] += row[state]
    return positions


async def _stored_levels() -> dict[LevelKey, Level]:
    rows = await StockLevel.select(
        StockLevel.depot.code.as_alias("depot"),
        StockLevel.part.part_number.as_alias("part_number"),
        StockLevel.on_hand,
        StockLevel.reserved,
        StockLevel.in_transit,
        StockLevel.defective,
        StockLevel.quarantined,
    )
    levels = {}
    for row in rows:
        level = Level(
            row["on_hand"], row["reserved"], row["in_transit"], row["defective"], row["quarantined"]
        )
        if level != Level():
            levels[(row["depot"], row["part_number"])] = level
    return levels


@dataclass(frozen=True, slots=True)
class MovementsCheck:
    """Stored movements compared with the chain: the first ``MISMATCH_LIMIT`` mismatches and how many
    there are in all."""

    movements_checked: int
    mismatched: tuple[MovementMismatch, ...]
    mismatched_total: int


async def check_movements_against_chain(*, limit: int = MISMATCH_LIMIT, batch: int = BATCH) -> MovementsCheck:
    """Stream the ledger in id order and the chain's stock entries in ``seq`` order side by side, matching
    movements as they come (the two orders differ only where transactions committed out of id order).

    The service keeps writing meanwhile: entries committed after the ledger stream ended are read once
    more at the end, and only entries linked before the check started can report a movement missing
    from the ledger (a movement and its entry commit together).
    """
    settled = await AuditHead.select(AuditHead.seq).where(AuditHead.id == 1).first()
    reconciler = MovementReconciler()
    recorded_stream = aiter(audit.entries(batch=batch, action_prefix=ACTION_PREFIX))
    stored_stream = aiter(_stored_movements(batch))
    recorded = stored = last_seq = 0
    recorded_done = stored_done = False
    while not (recorded_done and stored_done):
        if not recorded_done and (stored_done or recorded <= stored):
            entry = await anext(recorded_stream, None)
            if entry is None:
                recorded_done = True
            else:
                recorded += reconciler.add_entry(entry)
                last_seq = entry.seq
        else:
            movement = await anext(stored_stream, None)
            if movement is None:
                stored_done = True
            else:
                reconciler.add_stored(movement)
                stored += 1
    async for entry in audit.entries(last_seq, batch, action_prefix=ACTION_PREFIX):
        reconciler.add_entry(entry)
    found = reconciler.mismatches(settled_through=settled["seq"] if settled else 0)
    return MovementsCheck(stored, tuple(found[:limit]), len(found))


async def _stored_movements(batch: int) -> AsyncIterator[StoredMovement]:
    after = 0
    while True:
        rows = (
            await Movement.select(
                Movement.id,
                Movement.at,
                Movement.kind,
                Movement.part,
                Movement.unit,
                Movement.batch_number,
                Movement.quantity,
                Movement.from_depot,
                Movement.from_status,
                Movement.to_depot,
                Movement.to_status,
                Movement.actor,
                Movement.reason,
                Movement.reference,
            )
            .where(Movement.id > after)
            .order_by(Movement.id)
            .limit(batch)
        )
        for row in rows:
            yield StoredMovement(**row)
        if len(rows) < batch:
            return
        after = rows[-1]["id"]
