"""The warehouse's searchable lists: transfers, receipts, movements, serialized units and bulk batches.

Each list is filtered, ordered and cut to a page in the database. Codes (depot, part number, serial) are
first turned into ids, so that every filter is a comparison on an indexed column of the listed table
(the indexes are those of the stock migrations "warehouse look-up indexes" and "list indexes"); a code
that names nothing gives an empty page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from inventory.stock.records import MovementRecord
from inventory.stock.tables import BulkStock, Depot, Movement, Part, Receipt, StockUnit, Transfer
from inventory.stock.views import BatchRow, TransferRow, UnitRow, landed_quantities, unit_columns


@dataclass(frozen=True, slots=True)
class ReceiptRow:
    """A goods receipt in the list: which delivery note, where, when and how much."""

    id: int
    depot: str
    supplier: str
    reference: str
    received_at: datetime
    received_by: str
    line_count: int
    quantity: int


async def _depot_id(code: str | None) -> int | None:
    if code is None:
        return None
    row = await Depot.select(Depot.id).where(Depot.code == code).first()
    return None if row is None else row["id"]


async def _part_id(part_number: str | None) -> int | None:
    if part_number is None:
        return None
    row = await Part.select(Part.id).where(Part.part_number == part_number).first()
    return None if row is None else row["id"]


class _Missing(Exception):
    """A code in the filters names nothing: the page is empty."""


async def _ids(**codes: str | None) -> dict[str, int | None]:
    """Each named depot (``*depot``) or part (``part``) as its id; raises `_Missing` for an unknown one."""
    found: dict[str, int | None] = {}
    for name, code in codes.items():
        found[name] = await (_part_id(code) if name == "part" else _depot_id(code))
        if code is not None and found[name] is None:
            raise _Missing(name)
    return found


def _where(query: Any, conditions: Sequence[Any]) -> Any:
    for condition in conditions:
        query = query.where(condition)
    return query


async def search_transfers(
    *,
    status: str | None = None,
    from_depot: str | None = None,
    to_depot: str | None = None,
    part_number: str | None = None,
    limit: int,
    offset: int = 0,
) -> list[TransferRow]:
    """Transfers between depots, newest first, with how much of each has landed."""
    try:
        ids = await _ids(from_depot=from_depot, to_depot=to_depot, part=part_number)
    except _Missing:
        return []
    conditions = []
    if status is not None:
        conditions.append(Transfer.status == status)
    if ids["from_depot"] is not None:
        conditions.append(Transfer.from_depot == ids["from_depot"])
    if ids["to_depot"] is not None:
        conditions.append(Transfer.to_depot == ids["to_depot"])
    if ids["part"] is not None:
        conditions.append(Transfer.part == ids["part"])
    query = Transfer.select(
        Transfer.id,
        Transfer.part.part_number.as_alias("part_number"),
        Transfer.from_depot.code.as_alias("from_depot"),
        Transfer.to_depot.code.as_alias("to_depot"),
        Transfer.quantity,
        Transfer.status,
        Transfer.reason,
        Transfer.dispatched_at,
        Transfer.dispatched_by,
        Transfer.received_at,
    )
    rows = await _where(query, conditions).order_by(Transfer.id, ascending=False).limit(limit).offset(offset)
    landed = await landed_quantities([row["id"] for row in rows])
    return [TransferRow(**row, received_quantity=landed.get(row["id"], 0)) for row in rows]


async def list_receipts(
    *,
    depot: str | None = None,
    supplier: str | None = None,
    reference: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int,
    offset: int = 0,
) -> list[ReceiptRow]:
    """Goods receipts, newest first; ``since`` inclusive, ``until`` exclusive; supplier and reference
    as written on the delivery note."""
    try:
        ids = await _ids(depot=depot)
    except _Missing:
        return []
    conditions = []
    if ids["depot"] is not None:
        conditions.append(Receipt.depot == ids["depot"])
    if supplier is not None:
        conditions.append(Receipt.supplier == supplier)
    if reference is not None:
        conditions.append(Receipt.reference == reference)
    if since is not None:
        conditions.append(Receipt.received_at >= since)
    if until is not None:
        conditions.append(Receipt.received_at < until)
    query = Receipt.select(
        Receipt.id,
        Receipt.depot.code.as_alias("depot"),
        Receipt.supplier,
        Receipt.reference,
        Receipt.received_at,
        Receipt.received_by,
        Receipt.line_count,
        Receipt.quantity,
    )
    rows = await _where(query, conditions).order_by(Receipt.id, ascending=False).limit(limit).offset(offset)
    return [ReceiptRow(**row) for row in rows]


async def list_movements(
    *,
    part_number: str | None = None,
    depot: str | None = None,
    serial: str | None = None,
    kind: str | None = None,
    reference: str | None = None,
    actor: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int,
    offset: int = 0,
) -> list[MovementRecord]:
    """Ledger rows, newest first. ``depot`` matches a movement out of or into the depot; ``serial`` the
    movements of every unit with that serial (of ``part_number`` if given); ``since`` inclusive,
    ``until`` exclusive."""
    try:
        ids = await _ids(depot=depot, part=part_number)
    except _Missing:
        return []
    conditions = []
    if ids["part"] is not None:
        conditions.append(Movement.part == ids["part"])
    if serial is not None:
        units = StockUnit.select(StockUnit.id).where(StockUnit.serial == serial)
        if ids["part"] is not None:
            units = units.where(StockUnit.part == ids["part"])
        unit_ids = [row["id"] for row in await units]
        if not unit_ids:
            return []
        conditions.append(Movement.unit.is_in(unit_ids))
    if kind is not None:
        conditions.append(Movement.kind == kind)
    if reference is not None:
        conditions.append(Movement.reference == reference)
    if actor is not None:
        conditions.append(Movement.actor == actor)
    if since is not None:
        conditions.append(Movement.at >= since)
    if until is not None:
        conditions.append(Movement.at < until)
    if ids["depot"] is not None:
        page_ids = await _movements_at_depot(ids["depot"], conditions, limit=limit, offset=offset)
        if not page_ids:
            return []
        conditions, offset = [Movement.id.is_in(page_ids)], 0
    query = Movement.select(
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
    rows = await _where(query, conditions).order_by(Movement.id, ascending=False).limit(limit).offset(offset)
    return [MovementRecord(**row) for row in rows]


async def _movements_at_depot(depot_id: int, conditions: list[Any], *, limit: int, offset: int) -> list[int]:
    """The ids of a page of movements out of or into a depot, newest first: the newest ``offset + limit``
    of each side, each read in order from its index (``movement (from_depot, id)``, ``(to_depot, id)``),
    merged. One ``OR`` of the two would have the database walk the whole ledger backwards by id."""
    found: set[int] = set()
    for column in (Movement.to_depot, Movement.from_depot):
        query = _where(Movement.select(Movement.id).where(column == depot_id), conditions)
        rows = await query.order_by(Movement.id, ascending=False).limit(offset + limit)
        found.update(row["id"] for row in rows)
    return sorted(found, reverse=True)[offset : offset + limit]


async def list_units(
    *,
    part_number: str | None = None,
    depot: str | None = None,
    status: str | None = None,
    box_number: str | None = None,
    batch_number: str | None = None,
    limit: int,
    offset: int = 0,
) -> list[UnitRow]:
    """Serialized units where they are now, oldest first: a batch recall is ``batch_number`` alone
    (every unit of the batch, wherever it is, issued ones included)."""
    try:
        ids = await _ids(depot=depot, part=part_number)
    except _Missing:
        return []
    conditions = []
    if ids["part"] is not None:
        conditions.append(StockUnit.part == ids["part"])
    if ids["depot"] is not None:
        conditions.append(StockUnit.depot == ids["depot"])
    if status is not None:
        conditions.append(StockUnit.status == status)
    if box_number is not None:
        conditions.append(StockUnit.box_number == box_number)
    if batch_number is not None:
        conditions.append(StockUnit.batch_number == batch_number)
    query = StockUnit.select(*unit_columns())
    rows = await _where(query, conditions).order_by(StockUnit.id).limit(limit).offset(offset)
    return [UnitRow(**row) for row in rows]


async def list_batches(
    *,
    part_number: str | None = None,
    depot: str | None = None,
    batch_number: str | None = None,
    limit: int,
    offset: int = 0,
) -> list[BatchRow]:
    """Bulk stock per batch at each depot, by state, ordered by depot, part and batch."""
    try:
        ids = await _ids(depot=depot, part=part_number)
    except _Missing:
        return []
    conditions = []
    if ids["part"] is not None:
        conditions.append(BulkStock.part == ids["part"])
    if ids["depot"] is not None:
        conditions.append(BulkStock.depot == ids["depot"])
    if batch_number is not None:
        conditions.append(BulkStock.batch_number == batch_number)
    query = BulkStock.select(
        BulkStock.part.part_number.as_alias("part_number"),
        BulkStock.depot.code.as_alias("depot"),
        BulkStock.batch_number,
        BulkStock.available,
        BulkStock.reserved,
        BulkStock.in_transit,
        BulkStock.defective,
        BulkStock.quarantined,
    )
    rows = await _where(query, conditions).order_by(BulkStock.id).limit(limit).offset(offset)
    return [BatchRow(**row) for row in rows]
