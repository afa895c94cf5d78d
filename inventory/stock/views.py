"""The warehouse's read views: a page of stock levels with part names and depot time zones, the units of
a box or a batch, a depot's transfers, a receipt, and what the database knows of the codes scanned on a
receipt screen. Every list is filtered, ordered and cut to a page in the database, through indexes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from piccolo.query.functions.aggregate import Max, Min, Sum

from inventory.errors import InvalidRequest, NotFound
from inventory.persistence import current_store
from inventory.stock.model import AT_DEPOT
from inventory.stock.receipt_checks import Known, KnownUnit, serial_prefix
from inventory.stock.records import ReceiptRecord
from inventory.stock.tables import BulkStock, Depot, Part, Receipt, StockUnit, Transfer, TransferItem

STOCK_FILTERS = ("short", "with_stock")
"""The ``only`` filters of `stock_overview`: nothing available to promise, or some stock of any kind."""
TRANSFER_DIRECTIONS = ("inbound", "outbound")
OPEN_TRANSFER = ("in_transit", "partially_received")


@dataclass(frozen=True, slots=True)
class StockRow:
    """Stock of one part at one depot, as the stock screen shows it."""

    part_number: str
    description: str
    serialized: bool
    depot: str
    depot_name: str
    timezone: str
    on_hand: int
    reserved: int
    in_transit: int
    defective: int
    quarantined: int

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


@dataclass(frozen=True, slots=True)
class UnitRow:
    """A serialized unit where it is now."""

    serial: str
    part_number: str
    box_number: str
    batch_number: str
    depot: str | None
    status: str
    received_at: datetime


@dataclass(frozen=True, slots=True)
class BatchRow:
    """A bulk batch at one depot, by state."""

    part_number: str
    depot: str
    batch_number: str
    available: int
    reserved: int
    in_transit: int
    defective: int
    quarantined: int


@dataclass(frozen=True, slots=True)
class TransferRow:
    """A transfer in a depot's list: what it carries, how much has landed, and when it left."""

    id: int
    part_number: str
    from_depot: str
    to_depot: str
    quantity: int
    received_quantity: int
    status: str
    reason: str
    dispatched_at: datetime
    dispatched_by: str
    received_at: datetime | None


async def stock_overview(
    *,
    depot: str | None = None,
    search: str | None = None,
    only: str | None = None,
    limit: int,
    offset: int = 0,
    after: tuple[str, str] | None = None,
    part_number: str | None = None,
    category: str | None = None,
) -> list[StockRow]:
    """Stock of parts at depots, ordered by part number then depot code (see
    `inventory.persistence.Store.stock_overview` for the filters).

    Raises:
        InvalidRequest: ``only`` is not one of `STOCK_FILTERS`.
    """
    if only is not None and only not in STOCK_FILTERS:
        raise InvalidRequest(f"unknown filter {only!r}", field="only", allowed=list(STOCK_FILTERS))
    rows = await current_store().stock_overview(
        depot=depot,
        search=search,
        only=only,
        limit=limit,
        offset=offset,
        after=after,
        part_number=part_number,
        category=category,
    )
    return [StockRow(**{**row, "serialized": bool(row["serialized"])}) for row in rows]


async def depot_zones(codes: Iterable[str]) -> dict[str, str]:
    """The time zone of each depot named, by code."""
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    rows = await Depot.select(Depot.code, Depot.timezone).where(Depot.code.is_in(wanted))
    return {row["code"]: row["timezone"] for row in rows}


def unit_columns() -> tuple:
    return (
        StockUnit.serial,
        StockUnit.part.part_number.as_alias("part_number"),
        StockUnit.box_number,
        StockUnit.batch_number,
        StockUnit.depot.code.as_alias("depot"),
        StockUnit.status,
        StockUnit.received_at,
    )


async def units_of(
    *, box_number: str | None = None, batch_number: str | None = None, limit: int, offset: int = 0
) -> list[UnitRow]:
    """The serialized units of a box or of a factory batch (a recall), oldest first, wherever they are.

    Raises:
        InvalidRequest: neither a box nor a batch is named.
    """
    if box_number is None and batch_number is None:
        raise InvalidRequest("name a box or a batch", field="box_number")
    query = StockUnit.select(*unit_columns())
    if box_number is not None:
        query = query.where(StockUnit.box_number == box_number)
    if batch_number is not None:
        query = query.where(StockUnit.batch_number == batch_number)
    rows = await query.order_by(StockUnit.id).limit(limit).offset(offset)
    return [UnitRow(**row) for row in rows]


async def batch_stock(batch_number: str, *, limit: int, offset: int = 0) -> list[BatchRow]:
    """The bulk stock of one batch number at every depot that holds it."""
    rows = (
        await BulkStock.select(
            BulkStock.part.part_number.as_alias("part_number"),
            BulkStock.depot.code.as_alias("depot"),
            BulkStock.batch_number,
            BulkStock.available,
            BulkStock.reserved,
            BulkStock.in_transit,
            BulkStock.defective,
            BulkStock.quarantined,
        )
        .where(BulkStock.batch_number == batch_number)
        .order_by(BulkStock.id)
        .limit(limit)
        .offset(offset)
    )
    return [BatchRow(**row) for row in rows]


async def list_transfers(
    depot: str, *, direction: str, open_only: bool, limit: int, offset: int = 0
) -> list[TransferRow]:
    """A depot's transfers, inbound (to it) or outbound (from it): still open (in transit, or received in
    part) oldest first, or all of them newest first.

    Raises:
        NotFound: no such depot.
        InvalidRequest: ``direction`` is neither inbound nor outbound.
    """
    if direction not in TRANSFER_DIRECTIONS:
        raise InvalidRequest(f"unknown direction {direction!r}", field="direction")
    found = await Depot.select(Depot.id).where(Depot.code == depot).first()
    if found is None:
        raise NotFound(f"depot {depot} not found")
    column = Transfer.to_depot if direction == "inbound" else Transfer.from_depot
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
    ).where(column == found["id"])
    if open_only:
        query = query.where(Transfer.status.is_in(list(OPEN_TRANSFER))).order_by(Transfer.id)
    else:
        query = query.order_by(Transfer.id, ascending=False)
    rows = await query.limit(limit).offset(offset)
    landed = await landed_quantities([row["id"] for row in rows])
    return [TransferRow(**row, received_quantity=landed.get(row["id"], 0)) for row in rows]


async def landed_quantities(transfer_ids: Sequence[int]) -> dict[int, int]:
    """How much of each transfer has landed, in one query."""
    if not transfer_ids:
        return {}
    rows = (
        await TransferItem.select(
            TransferItem.transfer, Sum(TransferItem.received_quantity).as_alias("landed")
        )
        .where(TransferItem.transfer.is_in(list(transfer_ids)))
        .group_by(TransferItem.transfer)
    )
    return {row["transfer"]: int(row["landed"] or 0) for row in rows}


async def get_receipt(receipt_id: int) -> ReceiptRecord:
    """One goods receipt.

    Raises:
        NotFound: no such receipt.
    """
    row = (
        await Receipt.select(
            Receipt.id,
            Receipt.depot.code.as_alias("depot"),
            Receipt.supplier,
            Receipt.reference,
            Receipt.received_at,
            Receipt.received_by,
            Receipt.line_count,
            Receipt.quantity,
        )
        .where(Receipt.id == receipt_id)
        .first()
    )
    if row is None:
        raise NotFound(f"receipt {receipt_id} not found")
    return ReceiptRecord(**row)


async def receipt_knowledge(
    *, serials: Iterable[str], boxes: Iterable[str], batches: Iterable[str], part_numbers: Iterable[str]
) -> Known:
    """What the database knows of the codes on a receipt screen: units with those serials (any part),
    the parts and batches already in those boxes, the parts already in those batches, and the letters
    that the serials of each part's units in the depots begin with (units that left, such as failed
    units kept by customers, may carry other serials). One query per kind of code, each through an
    index."""
    serials, boxes, batches = sorted(set(serials)), sorted(set(boxes)), sorted(set(batches))
    by_serial: dict[str, list[KnownUnit]] = defaultdict(list)
    if serials:
        for row in await StockUnit.select(*unit_columns()).where(StockUnit.serial.is_in(serials)):
            row.pop("received_at")
            by_serial[row["serial"]].append(KnownUnit(**row))
    in_boxes: dict[str, set[tuple[str, str]]] = defaultdict(set)
    if boxes:
        for row in await StockUnit.select(
            StockUnit.box_number, StockUnit.part.part_number.as_alias("part_number"), StockUnit.batch_number
        ).where(StockUnit.box_number.is_in(boxes)):
            in_boxes[row["box_number"]].add((row["part_number"], row["batch_number"]))
    in_batches: dict[str, set[str]] = defaultdict(set)
    if batches:
        for table in (StockUnit, BulkStock):
            for row in await table.select(
                table.batch_number, table.part.part_number.as_alias("part_number")
            ).where(table.batch_number.is_in(batches)):
                in_batches[row["batch_number"]].add(row["part_number"])
    return Known(
        serials=dict(by_serial),
        boxes={box: sorted(pairs) for box, pairs in in_boxes.items()},
        batches={batch: sorted(parts) for batch, parts in in_batches.items()},
        serial_prefixes=await _serial_prefixes(part_numbers),
    )


async def _serial_prefixes(part_numbers: Iterable[str]) -> dict[str, str]:
    prefixes = {}
    for part_number in sorted(set(part_numbers)):
        part = await Part.select(Part.id).where(Part.part_number == part_number).first()
        if part is None:
            continue
        row = (
            await StockUnit.select(
                Min(StockUnit.serial).as_alias("lowest"), Max(StockUnit.serial).as_alias("highest")
            )
            .where((StockUnit.part == part["id"]) & StockUnit.status.is_in(sorted(AT_DEPOT)))
            .first()
        )
        prefix = serial_prefix(row["lowest"], row["highest"]) if row else ""
        if prefix:
            prefixes[part_number] = prefix
    return prefixes
