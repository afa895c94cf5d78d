"""Stock counts: a session per depot (all parts or a list), lines entered one per scan, variances found
at closing, and the adjustments booked when a second person approves, each a movement with the
session as its reference, in one transaction."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from piccolo.query.functions.aggregate import Count

from inventory.errors import AlreadyExists, InvalidRequest, InvalidTransition, NotFound
from inventory.persistence import is_unique_violation, write_transaction
from inventory.stock.catalogue import depot_ids, part_rows
from inventory.stock.count_rules import CountedLine, Outcome, Variance, VarianceKind, variances
from inventory.stock.four_eyes import check_second_person
from inventory.stock.holds import change_unit, unit_at
from inventory.stock.model import MovementKind, UnitStatus
from inventory.stock.positions import (
    MovementEntry,
    add_to_bulk,
    add_to_level,
    move_within_bulk,
    record_movements,
    take_from_level,
)
from inventory.stock.records import CountLineRecord, CountRecord, CountVarianceRecord
from inventory.stock.tables import (
    BulkStock,
    CountLine,
    CountScope,
    CountSession,
    CountVariance,
    Part,
    StockUnit,
)

OPEN = "open"
CLOSED = "closed"
APPROVED = "approved"
STATES = (OPEN, CLOSED, APPROVED)
ON_SHELF = (UnitStatus.AVAILABLE, UnitStatus.RESERVED, UnitStatus.QUARANTINED, UnitStatus.DEFECTIVE)
"""The states of units a count finds on the shelves (in transit is not there yet)."""
LINES_SHOWN = 100
"""The latest lines a count's record carries."""


async def open_count(*, depot: str, part_numbers: Sequence[str], actor: str, now: datetime) -> CountRecord:
    """Open a count of a depot: of every part, or only of ``part_numbers``.

    Raises:
        InvalidRequest: an unknown depot or part.
    """
    parts = await part_rows(part_numbers) if part_numbers else {}
    unknown = sorted(set(part_numbers) - parts.keys())
    if unknown:
        raise InvalidRequest(f"unknown part(s) {', '.join(unknown[:10])}", field="parts", parts=unknown)
    async with write_transaction():
        depot_id = (await depot_ids([depot], field="depot"))[depot]
        session_id = (
            await CountSession.insert(
                CountSession(depot=depot_id, all_parts=not parts, status=OPEN, opened_at=now, opened_by=actor)
            ).returning(CountSession.id)
        )[0]["id"]
        if parts:
            await CountScope.insert(
                *[CountScope(session=session_id, part=row["id"]) for row in parts.values()]
            )
    return await get_count(session_id)


async def add_line(
    session_id: int,
    *,
    part_number: str,
    serial: str | None,
    batch_number: str | None,
    quantity: int | None,
    actor: str,
    now: datetime,
) -> CountLineRecord:
    """Enter one scanned line: a serial of a serialized part, or a quantity of a bulk part's batch.

    Raises:
        NotFound: no such count.
        InvalidTransition: the count is no longer open.
        InvalidRequest: an unknown part or one outside the count, a serial missing (or given for a bulk
            part), a bulk line without a positive quantity.
        AlreadyExists: the serial was already counted in this session.
    """
    session = await _session(session_id)
    if session["status"] != OPEN:
        raise InvalidTransition(f"count {session_id} is {session['status']}", state=session["status"])
    parts = await part_rows([part_number])
    if part_number not in parts:
        raise InvalidRequest(f"unknown part {part_number!r}", field="part_number")
    part = parts[part_number]
    if not session["all_parts"] and not await CountScope.exists().where(
        (CountScope.session == session_id) & (CountScope.part == part["id"])
    ):
        raise InvalidRequest(f"part {part_number} is not in this count", field="part_number")
    if part["serialized"]:
        if not serial:
            raise InvalidRequest(f"part {part_number} is serialized: scan its serial", field="serial")
        if quantity not in (None, 1):
            raise InvalidRequest("a serial counts one unit", field="quantity")
        quantity = 1
    else:
        if serial:
            raise InvalidRequest(
                f"part {part_number} is not serialized: give a batch and quantity", field="serial"
            )
        if not quantity or quantity <= 0:
            raise InvalidRequest("a bulk line needs a positive quantity", field="quantity")
    async with write_transaction():
        # A conditional update takes the session's row lock: a close that committed first is seen, and
        # a close that comes later waits for this line.
        still_open = (
            await CountSession.update({CountSession.status: OPEN})
            .where((CountSession.id == session_id) & (CountSession.status == OPEN))
            .returning(CountSession.id)
        )
        if not still_open:
            raise InvalidTransition(f"count {session_id} is no longer open")
        try:
            row = (
                await CountLine.insert(
                    CountLine(
                        session=session_id,
                        part=part["id"],
                        serial=serial,
                        batch_number=batch_number or "",
                        quantity=quantity,
                        counted_by=actor,
                        counted_at=now,
                    )
                ).returning(CountLine.id)
            )[0]
        except Exception as exc:
            if is_unique_violation(exc):
                raise AlreadyExists(
                    f"serial {serial} was already counted", field="serial", serial=serial
                ) from exc
            raise
    return CountLineRecord(row["id"], part_number, serial, batch_number or "", quantity, actor, now)


async def close_count(session_id: int, *, actor: str, now: datetime) -> CountRecord:
    """Close a count: no more lines; its variances against the books are found and kept, each with
    what approving it will book.

    Raises:
        NotFound: no such count.
        InvalidTransition: the count is not open.
    """
    async with write_transaction():
        session = await _session(session_id)
        claimed = (
            await CountSession.update(
                {CountSession.status: CLOSED, CountSession.closed_at: now, CountSession.closed_by: actor}
            )
            .where((CountSession.id == session_id) & (CountSession.status == OPEN))
            .returning(CountSession.id)
        )
        if not claimed:
            raise InvalidTransition(f"count {session_id} is {session['status']}", state=session["status"])
        part_ids = await _scope(session_id, session["all_parts"])
        found = variances(
            await _shelf_units(session["depot"], part_ids),
            await _shelf_batches(session["depot"], part_ids),
            await _counted(session_id),
        )
        numbers = {
            row["part_number"]: row["id"]
            for row in await Part.select(Part.id, Part.part_number).where(
                Part.part_number.is_in(sorted({v.part_number for v in found}) or [""])
            )
        }
        rows = [
            CountVariance(
                session=session_id,
                part=numbers[variance.part_number],
                kind=variance.kind.value,
                serial=variance.serial,
                batch_number=variance.batch_number,
                expected=variance.expected,
                counted=variance.counted,
                outcome=(await _outcome(variance, numbers[variance.part_number], session["depot"])).value,
            )
            for variance in found
        ]
        if rows:
            await CountVariance.insert(*rows)
    return await get_count(session_id)


async def _outcome(variance: Variance, part_id: int, depot_id: int) -> Outcome:
    if variance.kind is VarianceKind.QUANTITY:
        return Outcome.ADJUST
    unit = (
        await StockUnit.select(StockUnit.status, StockUnit.depot)
        .where((StockUnit.part == part_id) & (StockUnit.serial == variance.serial))
        .first()
    )
    if variance.kind is VarianceKind.MISSING:
        return Outcome.INVESTIGATE if unit is None or unit["status"] == UnitStatus.RESERVED else Outcome.LOST
    if unit is None or unit["status"] == UnitStatus.LOST:
        return Outcome.FOUND
    return Outcome.INVESTIGATE


async def approve_count(session_id: int, *, actor: str, now: datetime) -> CountRecord:
    """Approve a closed count and book its variances, in one transaction: missing units written off as
    lost, unknown units booked in quarantined, bulk batches corrected; every movement has the count as
    its reference. The approver may not be who opened, counted or closed it.

    Raises:
        NotFound: no such count.
        SecondPersonRequired: the approver opened, counted in or closed the count.
        InvalidTransition: the count is not closed, or a unit moved since it closed.
        InsufficientStock: a batch no longer holds the available quantity to take away.
    """
    session = await _session(session_id)
    counters = {
        row["counted_by"]
        for row in await CountLine.select(CountLine.counted_by)
        .where(CountLine.session == session_id)
        .distinct()
    }
    check_second_person(
        actor,
        {session["opened_by"], *counters, *([session["closed_by"]] if session["closed_by"] else [])},
        what=f"count {session_id}",
    )
    async with write_transaction():
        claimed = (
            await CountSession.update(
                {
                    CountSession.status: APPROVED,
                    CountSession.approved_at: now,
                    CountSession.approved_by: actor,
                }
            )
            .where((CountSession.id == session_id) & (CountSession.status == CLOSED))
            .returning(CountSession.depot)
        )
        if not claimed:
            raise InvalidTransition(
                f"count {session_id} is {session['status']}, not closed", state=session["status"]
            )
        depot_id = claimed[0]["depot"]
        entries: list[MovementEntry] = []
        for row in (
            await CountVariance.select().where(CountVariance.session == session_id).order_by(CountVariance.id)
        ):
            entry = await _book(row, depot_id, now)
            if entry is not None:
                entries.append(entry)
        await record_movements(
            entries, actor=actor, now=now, reason=f"count {session_id}", reference=f"count:{session_id}"
        )
    return await get_count(session_id)


async def _book(variance: dict, depot_id: int, now: datetime) -> MovementEntry | None:
    part_id = variance["part"]
    outcome = Outcome(variance["outcome"])
    if outcome is Outcome.LOST:
        unit = await unit_at(part_id, variance["serial"], depot_id)
        if unit is None or unit.status not in ON_SHELF or unit.status is UnitStatus.RESERVED:
            raise InvalidTransition(
                f"unit {variance['serial']} moved since the count closed: count again",
                serial=variance["serial"],
            )
        return await change_unit(unit, UnitStatus.LOST, kind=MovementKind.ADJUSTMENT, now=now)
    if outcome is Outcome.FOUND:
        return await _found(part_id, variance["serial"], variance["batch_number"], depot_id, now)
    if outcome is Outcome.ADJUST:
        return await _adjust(
            part_id, variance["batch_number"], variance["counted"] - variance["expected"], depot_id
        )
    return None


async def _found(part_id: int, serial: str, batch_number: str, depot_id: int, now: datetime) -> MovementEntry:
    """An unknown unit on the shelf, booked in quarantined: a unit written off as lost, or a new one."""
    lost = (
        await StockUnit.update(
            {
                StockUnit.depot: depot_id,
                StockUnit.status: UnitStatus.QUARANTINED.value,
                StockUnit.updated_at: now,
            }
        )
        .where(
            (StockUnit.part == part_id)
            & (StockUnit.serial == serial)
            & (StockUnit.status == UnitStatus.LOST.value)
        )
        .returning(StockUnit.id, StockUnit.batch_number)
    )
    if lost:
        unit_id, batch = lost[0]["id"], lost[0]["batch_number"]
    else:
        if await StockUnit.exists().where((StockUnit.part == part_id) & (StockUnit.serial == serial)):
            raise InvalidTransition(
                f"unit {serial} was booked elsewhere since the count closed: count again", serial=serial
            )
        unit_id = (
            await StockUnit.insert(
                StockUnit(
                    part=part_id,
                    serial=serial,
                    box_number="",
                    batch_number=batch_number,
                    depot=depot_id,
                    status=UnitStatus.QUARANTINED.value,
                    received_at=now,
                    updated_at=now,
                )
            ).returning(StockUnit.id)
        )[0]["id"]
        batch = batch_number
    await add_to_level(depot_id, part_id, UnitStatus.QUARANTINED, 1)
    return MovementEntry(
        MovementKind.ADJUSTMENT,
        part_id,
        batch,
        1,
        None,
        None,
        depot_id,
        UnitStatus.QUARANTINED,
        unit_id=unit_id,
    )


async def _adjust(part_id: int, batch_number: str, delta: int, depot_id: int) -> MovementEntry:
    if delta > 0:
        await add_to_level(depot_id, part_id, UnitStatus.AVAILABLE, delta)
        await add_to_bulk(depot_id, part_id, batch_number, UnitStatus.AVAILABLE, delta)
        return MovementEntry(
            MovementKind.ADJUSTMENT, part_id, batch_number, delta, None, None, depot_id, UnitStatus.AVAILABLE
        )
    await take_from_level(depot_id, part_id, UnitStatus.AVAILABLE, -delta)
    await move_within_bulk(depot_id, part_id, batch_number, UnitStatus.AVAILABLE, None, -delta)
    return MovementEntry(
        MovementKind.ADJUSTMENT, part_id, batch_number, -delta, depot_id, UnitStatus.AVAILABLE, None, None
    )


async def _session(session_id: int) -> dict:
    row = await CountSession.select().where(CountSession.id == session_id).first()
    if row is None:
        raise NotFound(f"count {session_id} not found")
    return row


async def _scope(session_id: int, all_parts: bool) -> list[int] | None:
    """The part ids counted, or None for every part."""
    if all_parts:
        return None
    return [
        row["part"]
        for row in await CountScope.select(CountScope.part).where(CountScope.session == session_id)
    ]


async def _shelf_units(depot_id: int, part_ids: list[int] | None) -> dict[tuple[str, str], str]:
    query = StockUnit.select(
        StockUnit.part.part_number.as_alias("part_number"), StockUnit.serial, StockUnit.batch_number
    ).where((StockUnit.depot == depot_id) & StockUnit.status.is_in([status.value for status in ON_SHELF]))
    if part_ids is not None:
        query = query.where(StockUnit.part.is_in(part_ids or [0]))
    return {(row["part_number"], row["serial"]): row["batch_number"] for row in await query}


async def _shelf_batches(depot_id: int, part_ids: list[int] | None) -> dict[tuple[str, str], int]:
    query = BulkStock.select(
        BulkStock.part.part_number.as_alias("part_number"),
        BulkStock.batch_number,
        BulkStock.available,
        BulkStock.reserved,
        BulkStock.defective,
        BulkStock.quarantined,
    ).where(BulkStock.depot == depot_id)
    if part_ids is not None:
        query = query.where(BulkStock.part.is_in(part_ids or [0]))
    shelf = {}
    for row in await query:
        total = row["available"] + row["reserved"] + row["defective"] + row["quarantined"]
        if total:
            shelf[(row["part_number"], row["batch_number"])] = total
    return shelf


async def _counted(session_id: int) -> list[CountedLine]:
    return [
        CountedLine(row["part_number"], row["serial"], row["batch_number"], row["quantity"])
        for row in await CountLine.select(
            CountLine.part.part_number.as_alias("part_number"),
            CountLine.serial,
            CountLine.batch_number,
            CountLine.quantity,
        ).where(CountLine.session == session_id)
    ]


async def get_count(session_id: int) -> CountRecord:
    """One count: its parts, its latest lines (`LINES_SHOWN`) and, once closed, its variances.

    Raises:
        NotFound: no such count.
    """
    records = await _records(CountSession.id == session_id, limit=1, offset=0, lines=True)
    if not records:
        raise NotFound(f"count {session_id} not found")
    return records[0]


async def list_counts(*, depot: str | None, status: str | None, limit: int, offset: int) -> list[CountRecord]:
    """Counts, newest first, by depot and state (without their lines)."""
    where = CountSession.id.is_not_null()
    if depot is not None:
        where &= CountSession.depot.code == depot
    if status is not None:
        where &= CountSession.status == status
    return await _records(where, limit=limit, offset=offset, lines=False)


async def _records(where, *, limit: int, offset: int, lines: bool) -> list[CountRecord]:
    sessions = (
        await CountSession.select(
            CountSession.all_columns(exclude=[CountSession.depot]),
            CountSession.depot.code.as_alias("depot_code"),
        )
        .where(where)
        .order_by(CountSession.id, ascending=False)
        .limit(limit)
        .offset(offset)
    )
    if not sessions:
        return []
    ids = [row["id"] for row in sessions]
    scope: dict[int, list[str]] = defaultdict(list)
    for row in (
        await CountScope.select(CountScope.session, CountScope.part.part_number.as_alias("part_number"))
        .where(CountScope.session.is_in(ids))
        .order_by(CountScope.id)
    ):
        scope[row["session"]].append(row["part_number"])
    counts = {
        row["session"]: row["lines"]
        for row in await CountLine.select(CountLine.session, Count(alias="lines"))
        .where(CountLine.session.is_in(ids))
        .group_by(CountLine.session)
    }
    found: dict[int, list[CountVarianceRecord]] = defaultdict(list)
    for row in (
        await CountVariance.select(
            CountVariance.all_columns(exclude=[CountVariance.part]),
            CountVariance.part.part_number.as_alias("part_number"),
        )
        .where(CountVariance.session.is_in(ids))
        .order_by(CountVariance.id)
    ):
        found[row["session"]].append(
            CountVarianceRecord(
                row["kind"],
                row["part_number"],
                row["serial"],
                row["batch_number"],
                row["expected"],
                row["counted"],
                row["outcome"],
            )
        )
    shown: dict[int, list[CountLineRecord]] = defaultdict(list)
    if lines:
        for row in (
            await CountLine.select(
                CountLine.all_columns(exclude=[CountLine.part]),
                CountLine.part.part_number.as_alias("part_number"),
            )
            .where(CountLine.session.is_in(ids))
            .order_by(CountLine.id, ascending=False)
            .limit(LINES_SHOWN)
        ):
            shown[row["session"]].append(
                CountLineRecord(
                    row["id"],
                    row["part_number"],
                    row["serial"],
                    row["batch_number"],
                    row["quantity"],
                    row["counted_by"],
                    row["counted_at"],
                )
            )
    return [
        CountRecord(
            id=row["id"],
            depot=row["depot_code"],
            parts=sorted(scope[row["id"]]),
            status=row["status"],
            opened_at=row["opened_at"],
            opened_by=row["opened_by"],
            closed_at=row["closed_at"],
            closed_by=row["closed_by"],
            approved_at=row["approved_at"],
            approved_by=row["approved_by"],
            line_count=counts.get(row["id"], 0),
            lines=shown[row["id"]],
            variances=found[row["id"]],
        )
        for row in sessions
    ]
