"""Advance shipping notices: a supplier announces a delivery note's units (serial, box, batch) and bulk
batches; receiving against the notice books what matches into available stock and what differs into
quarantine with its reason, and reports what did not arrive. A notice is received once."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from inventory.errors import AlreadyExists, InvalidTransition, NotFound
from inventory.persistence import is_unique_violation, write_transaction
from inventory.stock.catalogue import depot_ids, part_rows
from inventory.stock.model import ReceiptLine, ReceivedUnit, UnitStatus, check_receipt, delivery_key
from inventory.stock.notice_rules import Announced, Arrival, Discrepancy, match_arrival
from inventory.stock.positions import MovementEntry, add_to_bulk, add_to_level, record_movements
from inventory.stock.receipts import (
    insert_receipt,
    insert_units,
    receipt_entry,
    refuse_known_delivery,
    refuse_known_serials,
)
from inventory.stock.records import NoticeFindingRecord, NoticeLineRecord, NoticeRecord
from inventory.stock.tables import NoticeFinding, NoticeLine, Receipt, ShippingNotice

OPEN = "open"
RECEIVED = "received"


async def create_notice(
    *, depot: str, supplier: str, reference: str, lines: Sequence[ReceiptLine], actor: str, now: datetime
) -> NoticeRecord:
    """Record an advance shipping notice: the manifest of a delivery note, checked as a receipt is.

    Raises:
        InvalidRequest: an unknown depot or part, or a line that breaks a receipt rule.
        AlreadyExists: a notice of the same delivery note exists.
        DuplicateDelivery: the delivery note was already booked in.
    """
    parts = await part_rows(line.part_number for line in lines)
    checked = check_receipt(lines, {number: row["serialized"] for number, row in parts.items()})
    key = delivery_key(supplier, reference)
    async with write_transaction():
        depot_id = (await depot_ids([depot], field="depot"))[depot]
        await refuse_known_delivery(key, supplier, reference)
        try:
            notice_id = (
                await ShippingNotice.insert(
                    ShippingNotice(
                        depot=depot_id,
                        supplier=supplier,
                        reference=reference,
                        delivery_key=key,
                        status=OPEN,
                        created_at=now,
                        created_by=actor,
                    )
                ).returning(ShippingNotice.id)
            )[0]["id"]
        except Exception as exc:
            if is_unique_violation(exc):
                raise AlreadyExists(
                    f"a notice of delivery note {reference!r} of supplier {supplier!r} exists",
                    field="reference",
                    supplier=supplier,
                    reference=reference,
                ) from exc
            raise
        rows = []
        for line in checked:
            part_id = parts[line.part_number]["id"]
            if line.units:
                rows += [
                    NoticeLine(
                        notice=notice_id,
                        part=part_id,
                        serial=unit.serial,
                        box_number=unit.box_number,
                        batch_number=unit.batch_number,
                        quantity=1,
                    )
                    for unit in line.units
                ]
            else:
                rows.append(
                    NoticeLine(
                        notice=notice_id, part=part_id, batch_number=line.batch_number, quantity=line.quantity
                    )
                )
        await NoticeLine.insert(*rows)
    return await get_notice(notice_id)


async def receive_against_notice(
    notice_id: int, *, lines: Sequence[ReceiptLine], actor: str, now: datetime
) -> NoticeRecord:
    """Book what arrived against a notice at its depot, in one transaction with its receipt.

    Units and batches as announced become available stock; unexpected units, units whose batch or box
    differs from the manifest and bulk beyond it are booked to quarantine with the reason (their
    movements say it); what the manifest names and did not arrive is recorded as missing.

    Raises:
        NotFound: no such notice.
        InvalidTransition: the notice was already received.
        InvalidRequest: an unknown part, or a line that breaks a receipt rule.
        AlreadyExists: a serial already known for its part, or twice in the request.
        DuplicateDelivery: the notice's delivery note was booked in by a plain receipt.
    """
    parts = await part_rows(line.part_number for line in lines)
    checked = check_receipt(
        lines, {number: row["serialized"] for number, row in parts.items()}, mixed_boxes=True
    )
    async with write_transaction():
        notice = await _claim(notice_id)
        manifest = await _manifest(notice_id)
        matching = match_arrival(manifest, checked)
        await refuse_known_delivery(notice["delivery_key"], notice["supplier"], notice["reference"])
        await refuse_known_serials(checked, parts)
        depot_id = notice["depot"]
        arrivals = matching.arrivals
        receipt_id = await insert_receipt(
            Receipt(
                depot=depot_id,
                supplier=notice["supplier"],
                reference=notice["reference"],
                received_at=now,
                received_by=actor,
                line_count=len(checked),
                quantity=sum(arrival.quantity for arrival in arrivals),
                delivery_key=notice["delivery_key"],
            )
        )
        part_ids = {number: row["id"] for number, row in parts.items()}
        by_reason: dict[Discrepancy | None, list[Arrival]] = defaultdict(list)
        for arrival in arrivals:
            by_reason[arrival.reason].append(arrival)
        for reason, group in by_reason.items():
            entries = await _book(group, part_ids, depot_id, now)
            await record_movements(
                entries,
                actor=actor,
                now=now,
                reason=f"{notice['supplier']} {notice['reference']}"
                + (f": {reason.value}" if reason else ""),
                reference=f"receipt:{receipt_id}",
            )
        await _record_outcome(
            notice_id, receipt_id, arrivals, matching.missing, part_ids | await _manifest_parts(manifest)
        )
    return await get_notice(notice_id)


async def _claim(notice_id: int) -> dict:
    """The open notice, now received (a conditional update: a second receipt of it finds none open)."""
    rows = (
        await ShippingNotice.update({ShippingNotice.status: RECEIVED})
        .where((ShippingNotice.id == notice_id) & (ShippingNotice.status == OPEN))
        .returning(
            ShippingNotice.depot,
            ShippingNotice.supplier,
            ShippingNotice.reference,
            ShippingNotice.delivery_key,
        )
    )
    if rows:
        return rows[0]
    if not await ShippingNotice.exists().where(ShippingNotice.id == notice_id):
        raise NotFound(f"notice {notice_id} not found")
    raise InvalidTransition(f"notice {notice_id} was already received", state=RECEIVED)


async def _manifest(notice_id: int) -> list[Announced]:
    return [
        Announced(
            row["id"],
            row["part_number"],
            row["serial"],
            row["box_number"],
            row["batch_number"],
            row["quantity"],
        )
        for row in await NoticeLine.select(
            NoticeLine.id,
            NoticeLine.part.part_number.as_alias("part_number"),
            NoticeLine.serial,
            NoticeLine.box_number,
            NoticeLine.batch_number,
            NoticeLine.quantity,
        )
        .where(NoticeLine.notice == notice_id)
        .order_by(NoticeLine.id)
    ]


async def _manifest_parts(manifest: Sequence[Announced]) -> dict[str, int]:
    rows = await part_rows({line.part_number for line in manifest})
    return {number: row["id"] for number, row in rows.items()}


async def _book(
    group: Sequence[Arrival], part_ids: dict[str, int], depot_id: int, now: datetime
) -> list[MovementEntry]:
    """Book a group of arrivals with one reason: available as announced, else quarantined."""
    status = UnitStatus.AVAILABLE if group[0].reason is None else UnitStatus.QUARANTINED
    entries: list[MovementEntry] = []
    units: dict[int, list[ReceivedUnit]] = defaultdict(list)
    for arrival in group:
        part_id = part_ids[arrival.part_number]
        await add_to_level(depot_id, part_id, status, arrival.quantity)
        if arrival.serial is not None:
            units[part_id].append(ReceivedUnit(arrival.serial, arrival.box_number, arrival.batch_number))
        else:
            await add_to_bulk(depot_id, part_id, arrival.batch_number, status, arrival.quantity)
            entries.append(
                receipt_entry(part_id, depot_id, arrival.batch_number, arrival.quantity, status=status)
            )
    for part_id, received in units.items():
        entries += await insert_units(part_id, depot_id, received, now, status)
    return entries


async def _record_outcome(
    notice_id: int,
    receipt_id: int,
    arrivals: Sequence[Arrival],
    missing: Sequence[Announced],
    part_ids: dict[str, int],
) -> None:
    received: dict[int, int] = defaultdict(int)
    for arrival in arrivals:
        if arrival.line_id is not None and arrival.reason is None:
            received[arrival.line_id] += arrival.quantity
    for line_id, quantity in received.items():
        await NoticeLine.update({NoticeLine.received_quantity: quantity}).where(NoticeLine.id == line_id)
    findings = [
        NoticeFinding(
            notice=notice_id,
            part=part_ids[arrival.part_number],
            reason=arrival.reason.value,
            serial=arrival.serial,
            box_number=arrival.box_number,
            batch_number=arrival.batch_number,
            quantity=arrival.quantity,
            expected_box_number=arrival.expected_box_number,
            expected_batch_number=arrival.expected_batch_number,
        )
        for arrival in arrivals
        if arrival.reason is not None
    ] + [
        NoticeFinding(
            notice=notice_id,
            part=part_ids[line.part_number],
            reason=Discrepancy.MISSING.value,
            serial=line.serial,
            box_number=line.box_number,
            batch_number=line.batch_number,
            quantity=line.quantity,
        )
        for line in missing
    ]
    if findings:
        await NoticeFinding.insert(*findings)
    await ShippingNotice.update({ShippingNotice.receipt: receipt_id}).where(ShippingNotice.id == notice_id)


async def get_notice(notice_id: int) -> NoticeRecord:
    """One notice with its manifest (and how much of each line arrived as announced) and its findings.

    Raises:
        NotFound: no such notice.
    """
    rows = await _notice_rows(ShippingNotice.id == notice_id, limit=1, offset=0)
    if not rows:
        raise NotFound(f"notice {notice_id} not found")
    return rows[0]


async def list_notices(
    *, depot: str | None, status: str | None, supplier: str | None, limit: int, offset: int
) -> list[NoticeRecord]:
    """Notices, newest first, by depot, status (``open``, ``received``) and supplier."""
    where = ShippingNotice.id.is_not_null()
    if depot is not None:
        where &= ShippingNotice.depot.code == depot
    if status is not None:
        where &= ShippingNotice.status == status
    if supplier is not None:
        where &= ShippingNotice.supplier == supplier
    return await _notice_rows(where, limit=limit, offset=offset)


async def _notice_rows(where, *, limit: int, offset: int) -> list[NoticeRecord]:
    notices = (
        await ShippingNotice.select(
            ShippingNotice.all_columns(exclude=[ShippingNotice.depot]),
            ShippingNotice.depot.code.as_alias("depot_code"),
        )
        .where(where)
        .order_by(ShippingNotice.id, ascending=False)
        .limit(limit)
        .offset(offset)
    )
    if not notices:
        return []
    ids = [row["id"] for row in notices]
    lines: dict[int, list[NoticeLineRecord]] = defaultdict(list)
    for row in (
        await NoticeLine.select(
            NoticeLine.notice,
            NoticeLine.part.part_number.as_alias("part_number"),
            NoticeLine.serial,
            NoticeLine.box_number,
            NoticeLine.batch_number,
            NoticeLine.quantity,
            NoticeLine.received_quantity,
        )
        .where(NoticeLine.notice.is_in(ids))
        .order_by(NoticeLine.id)
    ):
        lines[row["notice"]].append(
            NoticeLineRecord(
                row["part_number"],
                row["serial"],
                row["box_number"],
                row["batch_number"],
                row["quantity"],
                row["received_quantity"],
            )
        )
    findings: dict[int, list[NoticeFindingRecord]] = defaultdict(list)
    for row in (
        await NoticeFinding.select(
            NoticeFinding.notice,
            NoticeFinding.part.part_number.as_alias("part_number"),
            NoticeFinding.reason,
            NoticeFinding.serial,
            NoticeFinding.box_number,
            NoticeFinding.batch_number,
            NoticeFinding.quantity,
            NoticeFinding.expected_box_number,
            NoticeFinding.expected_batch_number,
        )
        .where(NoticeFinding.notice.is_in(ids))
        .order_by(NoticeFinding.id)
    ):
        findings[row["notice"]].append(
            NoticeFindingRecord(
                row["part_number"],
                row["reason"],
                row["serial"],
                row["box_number"],
                row["batch_number"],
                row["quantity"],
                row["expected_box_number"],
                row["expected_batch_number"],
            )
        )
    return [
        NoticeRecord(
            id=row["id"],
            depot=row["depot_code"],
            supplier=row["supplier"],
            reference=row["reference"],
            status=row["status"],
            created_at=row["created_at"],
            created_by=row["created_by"],
            receipt_id=row["receipt"],
            lines=lines[row["id"]],
            findings=findings[row["id"]],
        )
        for row in notices
    ]
