"""Stock states, movement kinds, the rules of a goods receipt and of a transfer's arrival. Plain Python."""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from inventory.errors import AlreadyExists, InvalidRequest, InvalidTransition


class DepotKind(StrEnum):
    CENTRAL = "central"
    REGIONAL = "regional"
    FORWARD = "forward"


class UnitStatus(StrEnum):
    """Where a unit of stock stands. The first five are stock at a depot; the rest have left it."""

    AVAILABLE = "available"
    RESERVED = "reserved"
    IN_TRANSIT = "in_transit"
    DEFECTIVE = "defective"
    QUARANTINED = "quarantined"
    ISSUED = "issued"
    RETAINED_BY_CUSTOMER = "retained_by_customer"
    DESTROYED = "destroyed"
    RETURNED_TO_VENDOR = "returned_to_vendor"
    SCRAPPED = "scrapped"
    LOST = "lost"


AT_DEPOT = frozenset(
    {
        UnitStatus.AVAILABLE,
        UnitStatus.RESERVED,
        UnitStatus.IN_TRANSIT,
        UnitStatus.DEFECTIVE,
        UnitStatus.QUARANTINED,
    }
)
"""States counted in a depot's stock levels (in transit counts at the destination)."""

HELD = frozenset({UnitStatus.QUARANTINED, UnitStatus.DEFECTIVE})
"""States a unit leaves only through `inventory.stock.holds.leave_hold`."""

WRITE_OFF_OUTCOMES = frozenset({UnitStatus.SCRAPPED, UnitStatus.LOST})
"""What a written-off unit becomes."""


class MovementKind(StrEnum):
    RECEIPT = "receipt"
    TRANSFER_OUT = "transfer_out"
    TRANSFER_IN = "transfer_in"
    ISSUE = "issue"
    RETURN = "return"
    ADJUSTMENT = "adjustment"
    STATUS_CHANGE = "status_change"
    WRITE_OFF = "write_off"
    VENDOR_RETURN = "vendor_return"


STATUS_CHANGES: Mapping[UnitStatus, frozenset[UnitStatus]] = {
    UnitStatus.AVAILABLE: frozenset({UnitStatus.QUARANTINED, UnitStatus.DEFECTIVE}),
    UnitStatus.QUARANTINED: frozenset({UnitStatus.AVAILABLE, UnitStatus.DEFECTIVE}),
    UnitStatus.DEFECTIVE: frozenset({UnitStatus.QUARANTINED, UnitStatus.RETURNED_TO_VENDOR}),
}
"""Status changes a warehouse may make by hand; reservations, transfers and issues have their own paths."""


def check_status_change(current: UnitStatus, target: UnitStatus) -> None:
    """Raise `InvalidRequest` unless a warehouse may move stock from ``current`` to ``target`` directly."""
    if target not in STATUS_CHANGES.get(current, frozenset()):
        raise InvalidRequest(
            f"cannot change status from {current} to {target}",
            field="status",
            allowed=sorted(STATUS_CHANGES.get(current, frozenset())),
        )


@dataclass(frozen=True, slots=True)
class ReceivedUnit:
    serial: str
    box_number: str
    batch_number: str


@dataclass(frozen=True, slots=True)
class ReceiptLine:
    part_number: str
    quantity: int | None
    batch_number: str | None
    units: tuple[ReceivedUnit, ...]


@dataclass(frozen=True, slots=True)
class CheckedLine:
    """A receipt line that passed the rules: a bulk quantity of one batch, or serialized units."""

    part_number: str
    quantity: int
    batch_number: str | None
    units: tuple[ReceivedUnit, ...]


def check_receipt(
    lines: Sequence[ReceiptLine], serialized: Mapping[str, bool], *, mixed_boxes: bool = False
) -> list[CheckedLine]:
    """Apply the receipt rules to every line before anything is written.

    Args:
        lines: the receipt lines as sent.
        serialized: ``part_number -> serialized`` for every part the lines name.
        mixed_boxes: allow a box that mixes batches (what arrived against a notice is compared with the
            manifest instead, and quarantined where it differs).

    Raises:
        InvalidRequest: an unknown part, a quantity that does not match the units, units missing on a
            serialized part or given for a bulk part, a bulk line without a batch, or a box that mixes
            batches.
        AlreadyExists: the same serial twice in the receipt.
    """
    if not lines:
        raise InvalidRequest("a receipt needs at least one line", field="lines")
    checked: list[CheckedLine] = []
    seen_serials: set[tuple[str, str]] = set()
    box_batches: dict[tuple[str, str], set[str]] = defaultdict(set)
    for index, line in enumerate(lines):
        where = f"lines[{index}]"
        if line.part_number not in serialized:
            raise InvalidRequest(f"unknown part {line.part_number!r}", field=f"{where}.part_number")
        if serialized[line.part_number]:
            checked.append(_check_serialized_line(line, where, seen_serials, box_batches))
        else:
            checked.append(_check_bulk_line(line, where))
    for (part_number, box), batches in box_batches.items():
        if len(batches) > 1 and not mixed_boxes:
            raise InvalidRequest(
                f"box {box!r} of part {part_number} mixes batches {sorted(batches)}",
                field="lines.units.box_number",
                box_number=box,
                batches=sorted(batches),
            )
    return checked


def _check_serialized_line(
    line: ReceiptLine,
    where: str,
    seen_serials: set[tuple[str, str]],
    box_batches: dict[tuple[str, str], set[str]],
) -> CheckedLine:
    if not line.units:
        raise InvalidRequest(
            f"part {line.part_number} is serialized: list its units with serial, box and batch",
            field=f"{where}.units",
        )
    if line.quantity is not None and line.quantity != len(line.units):
        raise InvalidRequest(
            f"quantity {line.quantity} does not match the {len(line.units)} units listed",
            field=f"{where}.quantity",
        )
    for unit_index, unit in enumerate(line.units):
        key = (line.part_number, unit.serial)
        if key in seen_serials:
            raise AlreadyExists(
                f"serial {unit.serial!r} of part {line.part_number} appears twice in the receipt",
                field=f"{where}.units[{unit_index}].serial",
                serials=[unit.serial],
            )
        seen_serials.add(key)
        if line.batch_number is not None and unit.batch_number != line.batch_number:
            raise InvalidRequest(
                f"unit {unit.serial!r} has batch {unit.batch_number!r}, the line says {line.batch_number!r}",
                field=f"{where}.units[{unit_index}].batch_number",
            )
        box_batches[(line.part_number, unit.box_number)].add(unit.batch_number)
    return CheckedLine(line.part_number, len(line.units), line.batch_number, line.units)


def _check_bulk_line(line: ReceiptLine, where: str) -> CheckedLine:
    if line.units:
        raise InvalidRequest(
            f"part {line.part_number} is not serialized: give a quantity and a batch, not units",
            field=f"{where}.units",
        )
    if line.quantity is None or line.quantity <= 0:
        raise InvalidRequest("a bulk line needs a positive quantity", field=f"{where}.quantity")
    # A bulk line may come without a batch ("quantity alone"): it is booked as the unbatched lot "".
    return CheckedLine(line.part_number, line.quantity, line.batch_number or "", ())


def delivery_key(supplier: str, reference: str) -> str:
    """The identity of a supplier's delivery note: one receipt per key.

    Supplier and reference are compared as people type them, not byte for byte: Unicode compatibility
    forms folded (the full-width letters and digits of a Chinese input method are plain ones), case folded and
    runs of whitespace collapsed. Punctuation counts: ``DN-1`` and ``DN1`` are different notes.

    Returns:
        A SHA-256 hex digest of the normalised pair.
    """
    pair = [_normalised(supplier), _normalised(reference)]
    return hashlib.sha256(json.dumps(pair, ensure_ascii=False).encode()).hexdigest()


def _normalised(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


@dataclass(frozen=True, slots=True)
class ShippedLine:
    """A line of a transfer: one serialized unit, or a quantity of one bulk batch, and how much landed."""

    id: int
    serial: str | None
    batch_number: str
    quantity: int
    received: int = 0

    @property
    def in_transit(self) -> int:
        return self.quantity - self.received


def plan_arrival(
    lines: Sequence[ShippedLine], *, serials: Sequence[str] | None = None, quantity: int | None = None
) -> list[tuple[ShippedLine, int]]:
    """What lands of a transfer at its destination: ``(line, quantity landing)`` for every line touched.

    Nothing named: everything still in transit. ``serials``, for a transfer of serialized units: exactly
    those units. ``quantity``, for a bulk transfer: that many, from the lines in the order they were sent
    (the oldest batch first).

    Raises:
        InvalidRequest: both serials and a quantity; serials for a bulk transfer or a quantity for a
            serialized one; no serial, or one named twice; serials the transfer does not carry (named);
            a quantity above what the transfer carries.
        InvalidTransition: nothing is left in transit; named serials that already landed (named); a
            quantity above what is still in transit.
    """
    waiting = [line for line in lines if line.in_transit > 0]
    if not waiting:
        raise InvalidTransition("every unit of the transfer has already landed")
    if serials is not None and quantity is not None:
        raise InvalidRequest("name the serials or give a quantity, not both", field="quantity")
    serialized = any(line.serial is not None for line in lines)
    if serials is not None:
        return _arriving_units(lines, serials, serialized)
    if quantity is not None:
        return _arriving_quantity(lines, waiting, quantity, serialized)
    return [(line, line.in_transit) for line in waiting]


def _arriving_units(
    lines: Sequence[ShippedLine], serials: Sequence[str], serialized: bool
) -> list[tuple[ShippedLine, int]]:
    if not serialized:
        raise InvalidRequest("the transfer carries bulk stock: give a quantity, not serials", field="serials")
    if not serials:
        raise InvalidRequest("name at least one serial", field="serials")
    if len(set(serials)) != len(serials):
        raise InvalidRequest("a serial is named twice", field="serials")
    by_serial = {line.serial: line for line in lines}
    unknown = sorted(set(serials) - by_serial.keys())
    if unknown:
        raise InvalidRequest(
            f"the transfer does not carry {', '.join(unknown[:10])}", field="serials", serials=unknown
        )
    landed = sorted(serial for serial in serials if by_serial[serial].in_transit == 0)
    if landed:
        raise InvalidTransition(f"already landed: {', '.join(landed[:10])}", serials=landed)
    return [(by_serial[serial], 1) for serial in serials]


def _arriving_quantity(
    lines: Sequence[ShippedLine], waiting: Sequence[ShippedLine], quantity: int, serialized: bool
) -> list[tuple[ShippedLine, int]]:
    if serialized:
        raise InvalidRequest("the transfer carries serialized units: name the serials", field="quantity")
    if quantity <= 0:
        raise InvalidRequest("give a positive quantity", field="quantity")
    if quantity > sum(line.quantity for line in lines):
        raise InvalidRequest("the quantity is more than the transfer carries", field="quantity")
    in_transit = sum(line.in_transit for line in waiting)
    if quantity > in_transit:
        raise InvalidTransition(
            f"only {in_transit} of the transfer are still in transit",
            requested=quantity,
            in_transit=in_transit,
        )
    arriving, remaining = [], quantity
    for line in waiting:
        step = min(remaining, line.in_transit)
        if step:
            arriving.append((line, step))
            remaining -= step
    return arriving
