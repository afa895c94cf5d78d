"""Goods receipts: genuine stock booked in with its serial, box and batch numbers, all or nothing, once
per supplier's delivery note."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from inventory.errors import AlreadyExists, DuplicateDelivery
from inventory.persistence import is_unique_violation, write_transaction
from inventory.stock.catalogue import depot_ids, part_rows, refuse_inactive
from inventory.stock.model import MovementKind, ReceiptLine, UnitStatus, check_receipt, delivery_key
from inventory.stock.positions import MovementEntry, add_to_bulk, add_to_level, record_movements
from inventory.stock.records import ReceiptRecord
from inventory.stock.tables import Receipt, StockUnit


async def receive_stock(
    *,
    depot: str,
    supplier: str,
    reference: str,
    lines: Sequence[ReceiptLine],
    actor: str,
    now: datetime,
) -> ReceiptRecord:
    """Book a supplier delivery into a depot as available stock.

    Every line is checked before anything is written, and everything is written in one transaction. A
    delivery note (supplier and reference, as `delivery_key` compares them) is booked once: the
    receipt's unique key settles a race between two requests.

    Raises:
        InvalidRequest: an unknown depot or part, or a line that breaks a receipt rule.
        DuplicateDelivery: the supplier's delivery note was booked before.
        Inactive: the depot or a part is inactive.
        AlreadyExists: a serial that appears twice, or is already known for that part.
    """
    parts = await part_rows(line.part_number for line in lines)
    await refuse_inactive(depots=[("depot", depot)], parts=[("lines", line.part_number) for line in lines])
    checked = check_receipt(lines, {number: row["serialized"] for number, row in parts.items()})
    key = delivery_key(supplier, reference)
    async with write_transaction():
        depot_id = (await depot_ids([depot], field="depot"))[depot]
        await refuse_known_delivery(key, supplier, reference)
        await refuse_known_serials(checked, parts)
        receipt_id = await insert_receipt(
            Receipt(
                depot=depot_id,
                supplier=supplier,
                reference=reference,
                received_at=now,
                received_by=actor,
                line_count=len(checked),
                quantity=sum(line.quantity for line in checked),
                delivery_key=key,
            )
        )
        entries: list[MovementEntry] = []
        for line in checked:
            part_id = parts[line.part_number]["id"]
            if line.units:
                entries += await insert_units(part_id, depot_id, line.units, now)
            else:
                assert line.batch_number is not None
                await add_to_bulk(depot_id, part_id, line.batch_number, UnitStatus.AVAILABLE, line.quantity)
                entries.append(receipt_entry(part_id, depot_id, line.batch_number, line.quantity))
            await add_to_level(depot_id, part_id, UnitStatus.AVAILABLE, line.quantity)
        await record_movements(
            entries, actor=actor, now=now, reason=f"{supplier} {reference}", reference=f"receipt:{receipt_id}"
        )
    return ReceiptRecord(
        id=receipt_id,
        depot=depot,
        supplier=supplier,
        reference=reference,
        received_at=now,
        received_by=actor,
        line_count=len(checked),
        quantity=sum(line.quantity for line in checked),
    )


async def refuse_known_delivery(key: str, supplier: str, reference: str) -> None:
    """Raise `DuplicateDelivery` if the delivery note ``key`` was booked in before."""
    earlier = await Receipt.select(Receipt.id).where(Receipt.delivery_key == key).first()
    if earlier is not None:
        raise _duplicate(supplier, reference, receipt=earlier["id"])


async def insert_receipt(receipt: Receipt) -> int:
    """The new receipt's id; a concurrent receipt of the same delivery note that committed first wins."""
    try:
        rows = await Receipt.insert(receipt).returning(Receipt.id)
    except Exception as exc:
        if is_unique_violation(exc):
            raise _duplicate(receipt.supplier, receipt.reference) from exc
        raise
    return rows[0]["id"]


def _duplicate(supplier: str, reference: str, receipt: int | None = None) -> DuplicateDelivery:
    booked = f" as receipt {receipt}" if receipt is not None else ""
    return DuplicateDelivery(
        f"delivery note {reference!r} of supplier {supplier!r} was already booked in{booked}",
        field="reference",
        supplier=supplier,
        reference=reference,
        **({"receipt": receipt} if receipt is not None else {}),
    )


async def refuse_known_serials(checked, parts) -> None:
    """Raise `AlreadyExists` naming the serials of ``checked`` already known for their part."""
    for line in checked:
        if not line.units:
            continue
        serials = [unit.serial for unit in line.units]
        known = await StockUnit.select(StockUnit.serial).where(
            (StockUnit.part == parts[line.part_number]["id"]) & StockUnit.serial.is_in(serials)
        )
        if known:
            taken = sorted(row["serial"] for row in known)
            raise AlreadyExists(
                f"{len(taken)} serial(s) of part {line.part_number} already known: {', '.join(taken[:10])}",
                field="lines.units.serial",
                serials=taken,
            )


async def insert_units(
    part_id: int, depot_id: int, units, now: datetime, status: UnitStatus = UnitStatus.AVAILABLE
) -> list[MovementEntry]:
    """New units of a part at a depot in ``status``, and their receipt movements (not yet recorded)."""
    try:
        rows = await StockUnit.insert(
            *[
                StockUnit(
                    part=part_id,
                    serial=unit.serial,
                    box_number=unit.box_number,
                    batch_number=unit.batch_number,
                    depot=depot_id,
                    status=status.value,
                    received_at=now,
                    updated_at=now,
                )
                for unit in units
            ]
        ).returning(StockUnit.id, StockUnit.batch_number)
    except Exception as exc:
        if is_unique_violation(exc):
            raise AlreadyExists("a serial in the receipt was booked in at the same time") from exc
        raise
    return [
        receipt_entry(part_id, depot_id, row["batch_number"], 1, unit_id=row["id"], status=status)
        for row in rows
    ]


def receipt_entry(
    part_id: int,
    depot_id: int,
    batch_number: str,
    quantity: int,
    unit_id: int | None = None,
    status: UnitStatus = UnitStatus.AVAILABLE,
) -> MovementEntry:
    """The receipt movement of a unit or a bulk quantity booked in at a depot in ``status``."""
    return MovementEntry(
        kind=MovementKind.RECEIPT,
        part_id=part_id,
        batch_number=batch_number,
        quantity=quantity,
        from_depot_id=None,
        from_status=None,
        to_depot_id=depot_id,
        to_status=status,
        unit_id=unit_id,
    )
