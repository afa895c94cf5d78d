"""A warehouse's status changes with the rule that guards quarantine: a returned secure unit cannot leave
quarantine (or defective stock) for reuse or a vendor return before its sanitization record is verified
(`inventory.secure_media.ensure_sanitized`). Above both the stock and the secure-media packages; every path
that takes a unit out of quarantine goes through `ensure_sanitized` in its own transaction."""

from __future__ import annotations

from datetime import datetime

from inventory.persistence import write_transaction
from inventory.secure_media.service import ensure_sanitized
from inventory.stock import change_status as change_stock_status
from inventory.stock.model import UnitStatus
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
                await ensure_sanitized(
                    unit["part"], serial, current=UnitStatus(unit["status"]), target=to_status
                )
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


__all__ = ["change_status"]
