"""The warehouse's ways out of quarantine, with the rule that guards them: a returned secure unit cannot leave
quarantine (or defective stock) for reuse, a vendor return or the scrap bin before its sanitization record
is verified (`inventory.secure_media.ensure_sanitized`). Above the stock, tickets and secure-media packages:
status changes, vendor returns (opened and shipped), returns booked in as scrap and write-offs as scrapped
check the rule in the transaction of the change; and such a unit is not booked in as a supplier's delivery
(stock to reuse) until it is sanitized: it comes back through the returns desk."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from inventory import stock
from inventory.persistence import write_transaction
from inventory.secure_media.service import ensure_not_delivered, ensure_sanitized
from inventory.stock import change_status as change_stock_status
from inventory.stock import notices, vendor_returns, write_offs
from inventory.stock.model import ReceiptLine, UnitStatus
from inventory.stock.records import NoticeRecord, ReceiptRecord, VendorReturnRecord, WriteOffRecord
from inventory.stock.tables import Part, StockUnit
from inventory.stock.write_offs import PENDING
from inventory.tickets import returns
from inventory.tickets.return_rules import Grade
from inventory.tickets.returns import ReturnRecord
from inventory.tickets.tables import DefectiveReturn


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
    """`inventory.stock.change_status`, refused first if it would take returned secure media out of
    quarantine before its sanitization is verified.

    Raises:
        SanitizationRequired: that is what it would do (409, naming the rule).
        (and whatever `inventory.stock.change_status` raises)
    """
    async with write_transaction():
        if serial:
            await _ensure_sanitized(part_number, serial, depot, to_status)
        await change_stock_status(
            part_number=part_number,
            depot=depot,
            to_status=to_status,
            serial=serial,
            batch_number=batch_number,
            quantity=quantity,
            from_status=from_status,
            reason=reason,
            actor=actor,
            now=now,
        )


async def create_vendor_return(
    *,
    vendor: str,
    rma_number: str,
    depot: str,
    units: Sequence[tuple[str, str]],
    note: str,
    actor: str,
    now: datetime,
) -> VendorReturnRecord:
    """`inventory.stock.vendor_returns.create_vendor_return`, refused first for a returned secure unit whose
    sanitization is not verified.

    Raises:
        SanitizationRequired: a unit is such a unit (409, naming the rule).
        (and whatever `create_vendor_return` raises)
    """
    async with write_transaction():
        for part_number, serial in units:
            await _ensure_sanitized(part_number, serial, depot, UnitStatus.RETURNED_TO_VENDOR)
        return await vendor_returns.create_vendor_return(
            vendor=vendor, rma_number=rma_number, depot=depot, units=units, note=note, actor=actor, now=now
        )


async def ship_vendor_return(return_id: int, *, actor: str, now: datetime) -> VendorReturnRecord:
    """`inventory.stock.vendor_returns.ship_vendor_return`, refused first if a unit on it is returned secure
    media whose sanitization is not verified.

    Raises:
        SanitizationRequired: a unit is such a unit (409, naming the rule).
        (and whatever `ship_vendor_return` raises)
    """
    async with write_transaction():
        record = await vendor_returns.get_vendor_return(return_id)
        for unit in record.units:
            if not unit.replacement:
                await _ensure_sanitized(
                    unit.part_number, unit.serial, record.depot, UnitStatus.RETURNED_TO_VENDOR
                )
        return await vendor_returns.ship_vendor_return(return_id, actor=actor, now=now)


async def receive_stock(
    *,
    depot: str,
    supplier: str,
    reference: str,
    lines: Sequence[ReceiptLine],
    actor: str,
    now: datetime,
) -> ReceiptRecord:
    """`inventory.stock.receive_stock`, refused first if a unit on it is returned secure media not yet
    sanitized (or destroyed): such a unit is booked in at the returns desk, into defective stock, never
    as a delivery of stock to reuse.

    Raises:
        SanitizationRequired: a unit is such a unit (409, naming the rule).
        (and whatever `inventory.stock.receive_stock` raises)
    """
    async with write_transaction():
        await _refuse_returned_units(lines)
        return await stock.receive_stock(
            depot=depot, supplier=supplier, reference=reference, lines=lines, actor=actor, now=now
        )


async def receive_against_notice(
    notice_id: int, *, lines: Sequence[ReceiptLine], actor: str, now: datetime
) -> NoticeRecord:
    """`inventory.stock.notices.receive_against_notice`, refused first as `receive_stock` is.

    Raises:
        SanitizationRequired: a unit is returned secure media not yet sanitized (409, naming the rule).
        (and whatever `receive_against_notice` raises)
    """
    async with write_transaction():
        await _refuse_returned_units(lines)
        return await notices.receive_against_notice(notice_id, lines=lines, actor=actor, now=now)


async def _refuse_returned_units(lines: Sequence[ReceiptLine]) -> None:
    """`ensure_not_delivered` for every serialized unit of a delivery's ``lines``."""
    numbers = sorted({line.part_number for line in lines if line.units})
    if not numbers:
        return
    parts = {
        row["part_number"]: row["id"]
        for row in await Part.select(Part.id, Part.part_number).where(Part.part_number.is_in(numbers))
    }
    for line in lines:
        part_id = parts.get(line.part_number)
        if part_id is not None:
            for unit in line.units:
                await ensure_not_delivered(part_id, unit.serial)


async def receive_return(
    return_id: int,
    *,
    depot: str,
    serial: str,
    grade: Grade,
    box_number: str | None,
    batch_number: str | None,
    actor: str,
    now: datetime,
    overdue_days: int,
) -> ReturnRecord:
    """`inventory.tickets.returns.receive_return`, refused first if the unit is returned secure media
    graded ``scrap`` (written off at once) before its sanitization is verified: grade it ``repairable`` or
    ``vendor_return``, sanitize it, then write it off.

    Raises:
        SanitizationRequired: that is what it would do (409, naming the rule).
        (and whatever `inventory.tickets.returns.receive_return` raises)
    """
    async with write_transaction():
        if grade is Grade.SCRAP:
            expected = (
                await DefectiveReturn.select(DefectiveReturn.part, DefectiveReturn.failed_serial)
                .where(DefectiveReturn.id == return_id)
                .first()
            )
            if expected is not None:
                await ensure_sanitized(
                    expected["part"],
                    expected["failed_serial"],
                    current=UnitStatus.DEFECTIVE,
                    target=UnitStatus.SCRAPPED,
                )
        return await returns.receive_return(
            return_id,
            depot=depot,
            serial=serial,
            grade=grade,
            box_number=box_number,
            batch_number=batch_number,
            actor=actor,
            now=now,
            overdue_days=overdue_days,
        )


async def decide_write_off(write_off_id: int, *, approve: bool, actor: str, now: datetime) -> WriteOffRecord:
    """`inventory.stock.write_offs.decide_write_off`, refused first if approving it would scrap returned
    secure media whose sanitization is not verified. (A unit written off as ``lost`` is gone whatever the
    rule says: that write-off is not refused.)

    Raises:
        SanitizationRequired: that is what approving it would do (409, naming the rule).
        (and whatever `decide_write_off` raises)
    """
    async with write_transaction():
        if approve:
            record = await write_offs.get_write_off(write_off_id)
            if record.status == PENDING and record.outcome == UnitStatus.SCRAPPED:
                await _ensure_sanitized(record.part_number, record.serial, record.depot, UnitStatus.SCRAPPED)
        return await write_offs.decide_write_off(write_off_id, approve=approve, actor=actor, now=now)


async def _ensure_sanitized(part_number: str, serial: str, depot: str, target: UnitStatus) -> None:
    """`ensure_sanitized` for the unit ``serial`` of ``part_number`` at ``depot``, if it is there."""
    unit = (
        await StockUnit.select(StockUnit.part, StockUnit.status)
        .where(
            (StockUnit.part.part_number == part_number)
            & (StockUnit.serial == serial)
            & (StockUnit.depot.code == depot)
        )
        .first()
    )
    if unit is not None:
        await ensure_sanitized(unit["part"], serial, current=UnitStatus(unit["status"]), target=target)


__all__ = [
    "change_status",
    "create_vendor_return",
    "decide_write_off",
    "receive_against_notice",
    "receive_return",
    "receive_stock",
    "ship_vendor_return",
]
