"""Returns to vendors under their RMA numbers: defective units at a depot are listed on a return
(``open``), leave the depot when it ships (``shipped``, each through `inventory.stock.holds.leave_hold`),
and the vendor either credits them (``credited``) or sends replacement units, received against the
return as available stock (``replaced``). A vendor's RMA number is used once."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from inventory.errors import AlreadyExists, InvalidRequest, InvalidTransition, NotFound
from inventory.persistence import is_unique_violation, write_transaction
from inventory.stock.catalogue import depot_ids, part_rows
from inventory.stock.holds import leave_hold, unit_at
from inventory.stock.model import MovementKind, ReceiptLine, UnitStatus, check_receipt, delivery_key
from inventory.stock.positions import add_to_level, record_movements
from inventory.stock.receipts import insert_units, refuse_known_serials
from inventory.stock.records import RmaUnitRecord, VendorReturnRecord
from inventory.stock.rma_rules import PENDING, RmaState, check_rma_step
from inventory.stock.tables import StockUnit, VendorReturn, VendorReturnUnit


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
    """Open a return of defective units (``(part_number, serial)``) at a depot to their vendor.

    Raises:
        InvalidRequest: an unknown depot or part, no unit or one named twice, or a unit that is not
            defective at the depot.
        AlreadyExists: the vendor's RMA number is taken, or a unit is on another pending return.
    """
    if not units:
        raise InvalidRequest("name at least one defective unit", field="units")
    if len(set(units)) != len(units):
        raise InvalidRequest("a unit is named twice", field="units")
    parts = await part_rows(part for part, _ in units)
    async with write_transaction():
        depot_id = (await depot_ids([depot], field="depot"))[depot]
        unit_ids = []
        for index, (part_number, serial) in enumerate(units):
            if part_number not in parts:
                raise InvalidRequest(f"unknown part {part_number!r}", field=f"units[{index}].part_number")
            unit = await unit_at(parts[part_number]["id"], serial, depot_id)
            if unit is None or unit.status is not UnitStatus.DEFECTIVE:
                raise InvalidRequest(
                    f"{part_number} {serial} is not defective stock at {depot}",
                    field=f"units[{index}].serial",
                    serial=serial,
                )
            unit_ids.append(unit.id)
        await _refuse_pending(unit_ids)
        try:
            return_id = (
                await VendorReturn.insert(
                    VendorReturn(
                        vendor=vendor,
                        rma_number=rma_number,
                        rma_key=delivery_key(vendor, rma_number),
                        depot=depot_id,
                        status=RmaState.OPEN.value,
                        note=note,
                        created_at=now,
                        created_by=actor,
                    )
                ).returning(VendorReturn.id)
            )[0]["id"]
        except Exception as exc:
            if is_unique_violation(exc):
                raise AlreadyExists(
                    f"RMA {rma_number!r} of {vendor!r} is already used",
                    field="rma_number",
                    rma_number=rma_number,
                ) from exc
            raise
        await VendorReturnUnit.insert(
            *[VendorReturnUnit(vendor_return=return_id, unit=unit) for unit in unit_ids]
        )
    return await get_vendor_return(return_id)


async def _refuse_pending(unit_ids: Sequence[int]) -> None:
    pending = await VendorReturnUnit.select(
        VendorReturnUnit.unit.serial.as_alias("serial"), VendorReturnUnit.vendor_return
    ).where(
        VendorReturnUnit.unit.is_in(list(unit_ids))
        & (VendorReturnUnit.replacement == False)  # noqa: E712 - Piccolo builds SQL from ==
        & VendorReturnUnit.vendor_return.status.is_in([state.value for state in PENDING])
    )
    if pending:
        serials = sorted(row["serial"] for row in pending)
        raise AlreadyExists(
            f"already on a pending vendor return: {', '.join(serials[:10])}", field="units", serials=serials
        )


async def ship_vendor_return(return_id: int, *, actor: str, now: datetime) -> VendorReturnRecord:
    """The units leave the depot for the vendor: each out of defective stock into
    ``returned_to_vendor``, with its movement.

    Raises:
        NotFound: no such return.
        InvalidTransition: it is not open, or a unit is no longer defective at the depot.
    """
    async with write_transaction():
        row = await _step(
            return_id, RmaState.SHIPPED, {VendorReturn.shipped_at: now, VendorReturn.shipped_by: actor}
        )
        units = (
            await StockUnit.select(StockUnit.part, StockUnit.serial)
            .where(
                StockUnit.id.is_in(
                    VendorReturnUnit.select(VendorReturnUnit.unit).where(
                        (VendorReturnUnit.vendor_return == return_id)
                        & (VendorReturnUnit.replacement == False)  # noqa: E712
                    )
                )
            )
            .order_by(StockUnit.id)
        )
        entries = []
        for unit_row in units:
            unit = await unit_at(unit_row["part"], unit_row["serial"], row["depot"])
            if unit is None or unit.status is not UnitStatus.DEFECTIVE:
                raise InvalidTransition(
                    f"unit {unit_row['serial']} is no longer defective at the depot",
                    serial=unit_row["serial"],
                )
            entries.append(
                await leave_hold(
                    unit, UnitStatus.RETURNED_TO_VENDOR, kind=MovementKind.VENDOR_RETURN, now=now
                )
            )
        await record_movements(
            entries,
            actor=actor,
            now=now,
            reason=f"{row['vendor']} RMA {row['rma_number']}",
            reference=f"rma:{return_id}",
        )
    return await get_vendor_return(return_id)


async def credit_vendor_return(return_id: int, *, note: str, actor: str, now: datetime) -> VendorReturnRecord:
    """The vendor credited the shipped units: the return is closed as ``credited``.

    Raises:
        NotFound: no such return.
        InvalidTransition: it has not shipped, or is closed.
    """
    async with write_transaction():
        await _step(
            return_id,
            RmaState.CREDITED,
            {
                VendorReturn.closed_at: now,
                VendorReturn.closed_by: actor,
                **({VendorReturn.note: note} if note else {}),
            },
        )
    return await get_vendor_return(return_id)


async def receive_replacements(
    return_id: int, *, lines: Sequence[ReceiptLine], actor: str, now: datetime
) -> VendorReturnRecord:
    """Book the vendor's replacement units in at the return's depot as available stock; the return
    is closed as ``replaced``.

    Raises:
        NotFound: no such return.
        InvalidTransition: it has not shipped, or is closed.
        InvalidRequest: a bulk line, or a line that breaks a receipt rule.
        AlreadyExists: a serial already known for its part.
    """
    parts = await part_rows(line.part_number for line in lines)
    checked = check_receipt(lines, {number: row["serialized"] for number, row in parts.items()})
    if any(not line.units for line in checked):
        raise InvalidRequest("replacements are serialized units with serial, box and batch", field="lines")
    async with write_transaction():
        row = await _step(
            return_id, RmaState.REPLACED, {VendorReturn.closed_at: now, VendorReturn.closed_by: actor}
        )
        await refuse_known_serials(checked, parts)
        entries = []
        for line in checked:
            part_id = parts[line.part_number]["id"]
            entries += await insert_units(part_id, row["depot"], line.units, now)
            await add_to_level(row["depot"], part_id, UnitStatus.AVAILABLE, len(line.units))
        await VendorReturnUnit.insert(
            *[
                VendorReturnUnit(vendor_return=return_id, unit=entry.unit_id, replacement=True)
                for entry in entries
            ]
        )
        await record_movements(
            entries,
            actor=actor,
            now=now,
            reason=f"{row['vendor']} RMA {row['rma_number']}: replacement",
            reference=f"rma:{return_id}",
        )
    return await get_vendor_return(return_id)


async def _step(return_id: int, target: RmaState, changes: dict) -> dict:
    """Move a return to ``target`` with a conditional update on the state read (two steps at once:
    one wins, the other is a conflict)."""
    current = await VendorReturn.select(VendorReturn.status).where(VendorReturn.id == return_id).first()
    if current is None:
        raise NotFound(f"vendor return {return_id} not found")
    check_rma_step(RmaState(current["status"]), target)
    rows = (
        await VendorReturn.update({VendorReturn.status: target.value, **changes})
        .where((VendorReturn.id == return_id) & (VendorReturn.status == current["status"]))
        .returning(VendorReturn.depot, VendorReturn.vendor, VendorReturn.rma_number)
    )
    if not rows:
        raise InvalidTransition(f"vendor return {return_id} changed at the same time")
    return rows[0]


async def get_vendor_return(return_id: int) -> VendorReturnRecord:
    """One vendor return with its units and replacements.

    Raises:
        NotFound: no such return.
    """
    rows = await _records(VendorReturn.id == return_id, limit=1, offset=0)
    if not rows:
        raise NotFound(f"vendor return {return_id} not found")
    return rows[0]


async def list_vendor_returns(
    *, status: str | None, depot: str | None, vendor: str | None, limit: int, offset: int
) -> list[VendorReturnRecord]:
    """Vendor returns, newest first, by state, depot and vendor."""
    where = VendorReturn.id.is_not_null()
    if status is not None:
        where &= VendorReturn.status == status
    if depot is not None:
        where &= VendorReturn.depot.code == depot
    if vendor is not None:
        where &= VendorReturn.vendor == vendor
    return await _records(where, limit=limit, offset=offset)


async def _records(where, *, limit: int, offset: int) -> list[VendorReturnRecord]:
    rows = (
        await VendorReturn.select(
            VendorReturn.all_columns(exclude=[VendorReturn.depot, VendorReturn.rma_key]),
            VendorReturn.depot.code.as_alias("depot_code"),
        )
        .where(where)
        .order_by(VendorReturn.id, ascending=False)
        .limit(limit)
        .offset(offset)
    )
    if not rows:
        return []
    units: dict[int, list[RmaUnitRecord]] = defaultdict(list)
    for unit in (
        await VendorReturnUnit.select(
            VendorReturnUnit.vendor_return,
            VendorReturnUnit.unit.part.part_number.as_alias("part_number"),
            VendorReturnUnit.unit.serial.as_alias("serial"),
            VendorReturnUnit.unit.batch_number.as_alias("batch_number"),
            VendorReturnUnit.unit.status.as_alias("status"),
            VendorReturnUnit.replacement,
        )
        .where(VendorReturnUnit.vendor_return.is_in([row["id"] for row in rows]))
        .order_by(VendorReturnUnit.id)
    ):
        units[unit["vendor_return"]].append(
            RmaUnitRecord(
                unit["part_number"], unit["serial"], unit["batch_number"], unit["status"], unit["replacement"]
            )
        )
    return [
        VendorReturnRecord(
            id=row["id"],
            vendor=row["vendor"],
            rma_number=row["rma_number"],
            depot=row["depot_code"],
            status=row["status"],
            note=row["note"],
            created_at=row["created_at"],
            created_by=row["created_by"],
            shipped_at=row["shipped_at"],
            shipped_by=row["shipped_by"],
            closed_at=row["closed_at"],
            closed_by=row["closed_by"],
            units=units[row["id"]],
        )
        for row in rows
    ]
