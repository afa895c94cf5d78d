"""Write-offs of serialized units (``scrapped`` or ``lost``): one person asks, with a reason; a second
approves, and the approval books the unit out of the depot (through `inventory.stock.holds` when it is
quarantined or defective), a movement with the write-off as its reference."""

from __future__ import annotations

from datetime import datetime

from inventory.errors import AlreadyExists, InvalidRequest, InvalidTransition, NotFound
from inventory.persistence import is_unique_violation, write_transaction
from inventory.stock.catalogue import depot_ids, part_rows
from inventory.stock.four_eyes import check_second_person
from inventory.stock.holds import change_unit, unit_at
from inventory.stock.model import WRITE_OFF_OUTCOMES, MovementKind, UnitStatus
from inventory.stock.positions import record_movements
from inventory.stock.records import WriteOffRecord
from inventory.stock.tables import WriteOff

PENDING = "pending"
APPROVED = "approved"
REJECTED = "rejected"
STATES = (PENDING, APPROVED, REJECTED)
WRITABLE_OFF = frozenset({UnitStatus.AVAILABLE, UnitStatus.QUARANTINED, UnitStatus.DEFECTIVE})
"""A reserved unit is released first; one in transit is received first."""


async def request_write_off(
    *, part_number: str, depot: str, serial: str, outcome: UnitStatus, reason: str, actor: str, now: datetime
) -> WriteOffRecord:
    """Ask for a unit at a depot to be written off as ``scrapped`` or ``lost``.

    Raises:
        InvalidRequest: an unknown part or depot, a bulk part, another outcome, no reason, or a unit
            that is not available, quarantined or defective at the depot.
        AlreadyExists: a write-off of the unit is already pending.
    """
    if outcome not in WRITE_OFF_OUTCOMES:
        raise InvalidRequest("a unit is written off as scrapped or lost", field="outcome")
    if not reason.strip():
        raise InvalidRequest("say why the unit is written off", field="reason")
    parts = await part_rows([part_number])
    if part_number not in parts:
        raise InvalidRequest(f"unknown part {part_number!r}", field="part_number")
    if not parts[part_number]["serialized"]:
        raise InvalidRequest("bulk stock is corrected by a count or an adjustment", field="part_number")
    part_id = parts[part_number]["id"]
    async with write_transaction():
        depot_id = (await depot_ids([depot], field="depot"))[depot]
        unit = await unit_at(part_id, serial, depot_id)
        if unit is None or unit.status not in WRITABLE_OFF:
            raise InvalidRequest(
                f"{part_number} {serial} is not available, quarantined or defective at {depot}",
                field="serial",
            )
        try:
            write_off_id = (
                await WriteOff.insert(
                    WriteOff(
                        part=part_id,
                        unit=unit.id,
                        depot=depot_id,
                        outcome=outcome.value,
                        reason=reason,
                        status=PENDING,
                        requested_at=now,
                        requested_by=actor,
                    )
                ).returning(WriteOff.id)
            )[0]["id"]
        except Exception as exc:
            if is_unique_violation(exc):
                raise AlreadyExists(f"a write-off of {serial} is already pending", field="serial") from exc
            raise
    return await get_write_off(write_off_id)


async def decide_write_off(write_off_id: int, *, approve: bool, actor: str, now: datetime) -> WriteOffRecord:
    """Approve (book the unit out) or reject a pending write-off; a second person approves (who asked
    may withdraw it by rejecting).

    Raises:
        NotFound: no such write-off.
        SecondPersonRequired: the approver asked for it.
        InvalidTransition: it is no longer pending, or the unit moved since.
    """
    current = await _rows(WriteOff.id == write_off_id, limit=1, offset=0)
    if not current:
        raise NotFound(f"write-off {write_off_id} not found")
    record = current[0]
    if approve:
        check_second_person(actor, [record.requested_by], what=f"write-off {write_off_id}")
    async with write_transaction():
        decided = (
            await WriteOff.update(
                {
                    WriteOff.status: APPROVED if approve else REJECTED,
                    WriteOff.decided_at: now,
                    WriteOff.decided_by: actor,
                }
            )
            .where((WriteOff.id == write_off_id) & (WriteOff.status == PENDING))
            .returning(WriteOff.part, WriteOff.depot)
        )
        if not decided:
            raise InvalidTransition(f"write-off {write_off_id} is {record.status}", state=record.status)
        if approve:
            unit = await unit_at(decided[0]["part"], record.serial, decided[0]["depot"])
            if unit is None or unit.status not in WRITABLE_OFF:
                raise InvalidTransition(
                    f"unit {record.serial} moved since the write-off was asked for", serial=record.serial
                )
            entry = await change_unit(unit, UnitStatus(record.outcome), kind=MovementKind.WRITE_OFF, now=now)
            await record_movements(
                [entry], actor=actor, now=now, reason=record.reason, reference=f"write-off:{write_off_id}"
            )
    return await get_write_off(write_off_id)


async def get_write_off(write_off_id: int) -> WriteOffRecord:
    """One write-off.

    Raises:
        NotFound: no such write-off.
    """
    rows = await _rows(WriteOff.id == write_off_id, limit=1, offset=0)
    if not rows:
        raise NotFound(f"write-off {write_off_id} not found")
    return rows[0]


async def list_write_offs(
    *, depot: str | None, status: str | None, limit: int, offset: int
) -> list[WriteOffRecord]:
    """Write-offs, newest first, by depot and state."""
    where = WriteOff.id.is_not_null()
    if depot is not None:
        where &= WriteOff.depot.code == depot
    if status is not None:
        where &= WriteOff.status == status
    return await _rows(where, limit=limit, offset=offset)


async def _rows(where, *, limit: int, offset: int) -> list[WriteOffRecord]:
    return [
        WriteOffRecord(
            id=row["id"],
            part_number=row["part_number"],
            serial=row["serial"],
            depot=row["depot_code"],
            outcome=row["outcome"],
            reason=row["reason"],
            status=row["status"],
            requested_at=row["requested_at"],
            requested_by=row["requested_by"],
            decided_at=row["decided_at"],
            decided_by=row["decided_by"],
        )
        for row in await WriteOff.select(
            WriteOff.id,
            WriteOff.part.part_number.as_alias("part_number"),
            WriteOff.unit.serial.as_alias("serial"),
            WriteOff.depot.code.as_alias("depot_code"),
            WriteOff.outcome,
            WriteOff.reason,
            WriteOff.status,
            WriteOff.requested_at,
            WriteOff.requested_by,
            WriteOff.decided_at,
            WriteOff.decided_by,
        )
        .where(where)
        .order_by(WriteOff.id, ascending=False)
        .limit(limit)
        .offset(offset)
    ]
