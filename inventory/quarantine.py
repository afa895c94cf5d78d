"""The warehouse's ways out of quarantine, with the rule that guards them: a returned secure unit cannot leave
quarantine (or defective stock) for reuse or a vendor return before its sanitization record is verified
(`inventory.secure_media.ensure_sanitized`). Above both the stock and the secure-media packages: status
changes and vendor returns (opened and shipped) check the rule in the transaction of the change."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from inventory.persistence import write_transaction
from inventory.secure_media.service import ensure_sanitized
from inventory.stock import change_status as change_stock_status
from inventory.stock import vendor_returns
from inventory.stock.model import UnitStatus
from inventory.stock.records import VendorReturnRecord
from inventory.stock.tables import StockUnit


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


__all__ = ["change_status", "create_vendor_return", "ship_vendor_return"]
