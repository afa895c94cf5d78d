"""Failed units expected back from customers' tickets (`DefectiveReturn`, written when a part is issued
and the customer does not keep the failed one): listed for the warehouse and for chasing, and booked in
at a depot as defective stock, graded ``repairable``, ``scrap`` (written off at once) or
``vendor_return`` (for a return to the vendor)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from inventory.errors import InvalidRequest, InvalidTransition, NotFound
from inventory.persistence import write_transaction
from inventory.stock.catalogue import depot_ids
from inventory.stock.holds import leave_hold
from inventory.stock.model import MovementKind, UnitStatus
from inventory.stock.positions import MovementEntry, UnitAtDepot, add_to_level, record_movements
from inventory.stock.tables import Part, StockUnit
from inventory.tickets.return_rules import (
    EXPECTED,
    RECEIVED,
    Grade,
    check_returned_serial,
    is_overdue,
    overdue_from,
)
from inventory.tickets.tables import DefectiveReturn


@dataclass(frozen=True, slots=True)
class ReturnRecord:
    id: int
    ticket: int
    part_number: str
    failed_serial: str
    depot: str
    status: str
    created_at: datetime
    overdue_from: datetime
    overdue: bool
    received_at: datetime | None
    received_by: str | None
    received_depot: str | None
    grade: str | None


async def list_returns(
    *,
    status: str | None,
    depot: str | None,
    ticket: int | None,
    overdue: bool | None,
    now: datetime,
    overdue_days: int,
    limit: int,
    offset: int,
) -> list[ReturnRecord]:
    """Expected and received returns, oldest first. ``overdue=True``: only those still expected
    ``overdue_days`` after the part was issued (to chase); ``False``: all but those."""
    where = DefectiveReturn.id.is_not_null()
    if status is not None:
        where &= DefectiveReturn.status == status
    if depot is not None:
        where &= DefectiveReturn.depot.code == depot
    if ticket is not None:
        where &= DefectiveReturn.ticket == ticket
    late = (DefectiveReturn.status == EXPECTED) & (
        DefectiveReturn.created_at <= now - timedelta(days=overdue_days)
    )
    if overdue is True:
        where &= late
    elif overdue is False:
        where &= (DefectiveReturn.status != EXPECTED) | (
            DefectiveReturn.created_at > now - timedelta(days=overdue_days)
        )
    rows = await _select().where(where).order_by(DefectiveReturn.id).limit(limit).offset(offset)
    return [_record(row, now, overdue_days) for row in rows]


async def get_return(return_id: int, *, now: datetime, overdue_days: int) -> ReturnRecord:
    """One expected or received return.

    Raises:
        NotFound: no such return.
    """
    row = await _select().where(DefectiveReturn.id == return_id).first()
    if row is None:
        raise NotFound(f"return {return_id} not found")
    return _record(row, now, overdue_days)


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
    """Book the failed unit of a ticket in at a depot as defective stock, graded; a unit graded
    ``scrap`` is written off (scrapped) in the same transaction.

    Raises:
        NotFound: no such return.
        SerialMismatch: ``serial`` is not the failed serial recorded (both named).
        InvalidRequest: an unknown depot.
        InvalidTransition: the return was already received, or the unit is in stock somewhere.
    """
    expected = (
        await DefectiveReturn.select(
            DefectiveReturn.ticket,
            DefectiveReturn.part,
            DefectiveReturn.failed_serial,
            DefectiveReturn.status,
        )
        .where(DefectiveReturn.id == return_id)
        .first()
    )
    if expected is None:
        raise NotFound(f"return {return_id} not found")
    check_returned_serial(expected["failed_serial"], serial)
    async with write_transaction():
        depot_id = (await depot_ids([depot], field="depot"))[depot]
        claimed = (
            await DefectiveReturn.update(
                {
                    DefectiveReturn.status: RECEIVED,
                    DefectiveReturn.received_at: now,
                    DefectiveReturn.received_by: actor,
                    DefectiveReturn.received_depot: depot_id,
                    DefectiveReturn.grade: grade.value,
                }
            )
            .where((DefectiveReturn.id == return_id) & (DefectiveReturn.status == EXPECTED))
            .returning(DefectiveReturn.id)
        )
        if not claimed:
            raise InvalidTransition(f"return {return_id} was already received", state=RECEIVED)
        unit = await _book_in(
            expected["part"], expected["failed_serial"], depot_id, box_number, batch_number, now
        )
        await DefectiveReturn.update({DefectiveReturn.unit: unit.id}).where(DefectiveReturn.id == return_id)
        reference = f"return:{return_id}"
        reason = f"ticket {expected['ticket']}: {grade.value}"
        await record_movements(
            [
                MovementEntry(
                    MovementKind.RETURN,
                    unit.part_id,
                    unit.batch_number,
                    1,
                    None,
                    None,
                    depot_id,
                    UnitStatus.DEFECTIVE,
                    unit_id=unit.id,
                )
            ],
            actor=actor,
            now=now,
            reason=reason,
            reference=reference,
        )
        if grade is Grade.SCRAP:
            scrapped = await leave_hold(unit, UnitStatus.SCRAPPED, kind=MovementKind.WRITE_OFF, now=now)
            await record_movements([scrapped], actor=actor, now=now, reason=reason, reference=reference)
    return await get_return(return_id, now=now, overdue_days=overdue_days)


async def _book_in(
    part_id: int, serial: str, depot_id: int, box_number: str | None, batch_number: str | None, now: datetime
) -> UnitAtDepot:
    """The failed unit, now defective at the depot: the unit we once issued, or a new one (the part
    the asset came with)."""
    known = (
        await StockUnit.select(StockUnit.id, StockUnit.status, StockUnit.batch_number)
        .where((StockUnit.part == part_id) & (StockUnit.serial == serial))
        .first()
    )
    if known is not None and known["status"] != UnitStatus.ISSUED:
        raise InvalidTransition(f"unit {serial} is {known['status']}, not issued", serial=serial)
    if known is not None:
        moved = (
            await StockUnit.update(
                {
                    StockUnit.depot: depot_id,
                    StockUnit.status: UnitStatus.DEFECTIVE.value,
                    StockUnit.updated_at: now,
                }
            )
            .where((StockUnit.id == known["id"]) & (StockUnit.status == UnitStatus.ISSUED.value))
            .returning(StockUnit.id)
        )
        if not moved:
            raise InvalidTransition(f"unit {serial} was booked in at the same time", serial=serial)
        unit = UnitAtDepot(
            known["id"], part_id, serial, known["batch_number"], depot_id, UnitStatus.DEFECTIVE
        )
    else:
        part = await Part.select(Part.serialized).where(Part.id == part_id).first()
        if not part["serialized"]:
            raise InvalidRequest(
                "the part is not serialized: bulk stock is not returned unit by unit", field="serial"
            )
        batch = batch_number or ""
        rows = await StockUnit.insert(
            StockUnit(
                part=part_id,
                serial=serial,
                box_number=box_number or "",
                batch_number=batch,
                depot=depot_id,
                status=UnitStatus.DEFECTIVE.value,
                received_at=now,
                updated_at=now,
            )
        ).returning(StockUnit.id)
        unit = UnitAtDepot(rows[0]["id"], part_id, serial, batch, depot_id, UnitStatus.DEFECTIVE)
    await add_to_level(depot_id, part_id, UnitStatus.DEFECTIVE, 1)
    return unit


def _select():
    return DefectiveReturn.select(
        DefectiveReturn.id,
        DefectiveReturn.ticket,
        DefectiveReturn.part.part_number.as_alias("part_number"),
        DefectiveReturn.failed_serial,
        DefectiveReturn.depot.code.as_alias("depot_code"),
        DefectiveReturn.status,
        DefectiveReturn.created_at,
        DefectiveReturn.received_at,
        DefectiveReturn.received_by,
        DefectiveReturn.received_depot.code.as_alias("received_depot_code"),
        DefectiveReturn.grade,
    )


def _record(row: dict, now: datetime, overdue_days: int) -> ReturnRecord:
    return ReturnRecord(
        id=row["id"],
        ticket=row["ticket"],
        part_number=row["part_number"],
        failed_serial=row["failed_serial"],
        depot=row["depot_code"],
        status=row["status"],
        created_at=row["created_at"],
        overdue_from=overdue_from(row["created_at"], overdue_days),
        overdue=is_overdue(row["status"], row["created_at"], now, overdue_days),
        received_at=row["received_at"],
        received_by=row["received_by"],
        received_depot=row["received_depot_code"],
        grade=row["grade"],
    )
