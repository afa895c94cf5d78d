"""The state of the warehouse's scanning screens (receiving a delivery, sending a transfer, receiving a
transfer), kept in the page as hidden fields and sent back with every scan, and the checks of every line
(`inventory.stock.check_units`, `check_box`). The words of the codes here are the warehouse area's
(`api.pages.warehouse`).

A scan is a code typed or sent by a keyboard-wedge scanner into one field, then Enter. On the receipt
screen the first scan of a box is its label's box number, then its part number, then its batch, then
each serial; the fields can also be filled by hand.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from inventory import stock
from inventory.errors import InvalidRequest

MAX_LINES = 2_000
"""Most units one scanning screen holds before it is submitted."""
CODE_LENGTH = 100


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class UnitEntry(_Entry):
    serial: str = Field(min_length=1, max_length=CODE_LENGTH)
    part: str = Field(min_length=1, max_length=64)
    box: str = Field(min_length=1, max_length=CODE_LENGTH)
    batch: str = Field(min_length=1, max_length=CODE_LENGTH)


class BulkEntry(_Entry):
    part: str = Field(min_length=1, max_length=64)
    box: str = Field(min_length=1, max_length=CODE_LENGTH)
    batch: str = Field(min_length=1, max_length=CODE_LENGTH)
    quantity: int = Field(ge=1, le=1_000_000)


class BoxEntry(_Entry):
    box: str = Field(min_length=1, max_length=CODE_LENGTH)
    part: str = Field(default="", max_length=64)
    batch: str = Field(default="", max_length=CODE_LENGTH)
    expected: int | None = Field(default=None, ge=1, le=1_000_000)


def _entries(form: Any, name: str, model: type[_Entry]) -> list[Any]:
    values = form.getall(name) if name in form else []
    if len(values) > MAX_LINES:
        raise InvalidRequest(f"at most {MAX_LINES} lines per screen", field=name)
    try:
        return [model.model_validate(json.loads(value)) for value in values]
    except (ValueError, TypeError, ValidationError) as exc:
        raise InvalidRequest(f"a line of the screen could not be read: {name}", field=name) from exc


def _text(form: Any, name: str, length: int = CODE_LENGTH) -> str:
    value = str(form.get(name) or "").strip()
    if len(value) > length:
        raise InvalidRequest(f"{name} is longer than {length} characters", field=name)
    return value


def _number(form: Any, name: str) -> int | None:
    value = _text(form, name, 12)
    if not value:
        return None
    if not value.isdigit() or not 0 < int(value) <= 1_000_000:
        raise InvalidRequest(f"{name} must be a whole number from 1 to 1000000", field=name)
    return int(value)


@dataclass(frozen=True, slots=True)
class Message:
    """What the screen says after a step: a code (its words are the warehouse area's) and the text
    scanned that it is about."""

    code: str
    detail: str = ""


def _scanned_code(text: str) -> Message | None:
    return None if stock.is_code(text) else Message("not-a-code", text[:40])


# --- receiving a delivery ----------------------------------------------------------------------------


@dataclass
class ReceiptState:
    """A delivery being received: depot, delivery note, the current box and everything scanned so far."""

    depot: str = ""
    supplier: str = ""
    reference: str = ""
    notice: int | None = None
    box_number: str = ""
    part_number: str = ""
    batch_number: str = ""
    expected: int | None = None
    quantity: int | None = None
    scan: str = ""
    action: str = "scan"
    remove: int | None = None
    units: list[UnitEntry] = field(default_factory=list)
    bulk: list[BulkEntry] = field(default_factory=list)
    boxes: list[BoxEntry] = field(default_factory=list)

    @classmethod
    def of(cls, form: Any) -> ReceiptState:
        """The screen's state as its form sent it.

        Raises:
            InvalidRequest: a field too long, a number that is not one, a hidden line that is not valid.
        """
        remove = _text(form, "remove", 12)
        action = "remove" if remove else _text(form, "action", 20) or "scan"
        return cls(
            depot=_text(form, "depot", 32),
            supplier=_text(form, "supplier", 200),
            reference=_text(form, "reference"),
            notice=_number(form, "notice"),
            box_number=_text(form, "box_number"),
            part_number=_text(form, "part_number", 64),
            batch_number=_text(form, "batch_number"),
            expected=_number(form, "expected"),
            quantity=_number(form, "quantity"),
            scan=_text(form, "scan"),
            action=action,
            remove=int(remove) if remove.isdigit() else None,
            units=_entries(form, "unit", UnitEntry),
            bulk=_entries(form, "bulk", BulkEntry),
            boxes=_entries(form, "box", BoxEntry),
        )

    @property
    def empty(self) -> bool:
        return not self.units and not self.bulk

    @property
    def next_field(self) -> str:
        """The field the next scan or keystroke fills: where the screen puts the focus."""
        for name in ("supplier", "reference"):
            if not getattr(self, name):
                return name
        return "scan"

    @property
    def scan_step(self) -> str:
        """What the scan field expects next: ``box``, ``part``, ``batch`` or ``serial``."""
        if not self.box_number:
            return "box"
        if not self.part_number:
            return "part"
        if not self.batch_number:
            return "batch"
        return "serial"

    def part_numbers(self) -> set[str]:
        numbers = {u.part for u in self.units} | {b.part for b in self.bulk} | {b.part for b in self.boxes}
        candidates = {self.part_number, self.scan} if self.scan_step == "part" else {self.part_number}
        return (numbers | candidates) - {""}

    def current_box(self) -> BoxEntry | None:
        if not self.box_number:
            return None
        return BoxEntry(box=self.box_number, part=self.part_number, batch=self.batch_number,
                        expected=self.expected)  # fmt: skip

    def all_boxes(self) -> list[BoxEntry]:
        """The boxes of the delivery: those done and the current one."""
        current = self.current_box()
        done = [box for box in self.boxes if current is None or box.box != current.box]
        return done + ([current] if current else [])

    def apply(self, parts: dict[str, bool], *, scanning: bool = True) -> Message | None:
        """Take the step the form asked for. ``parts``: whether each known part number is serialized."""
        if self.action == "next-box":
            self._close_box()
            return None
        if self.action == "remove" and self.remove is not None:
            if self.remove < len(self.units):
                del self.units[self.remove]
            elif self.remove - len(self.units) < len(self.bulk):
                del self.bulk[self.remove - len(self.units)]
            return None
        if self.action == "quantity":
            return self._add_quantity(parts)
        if not scanning or not self.scan:
            return None
        code, self.scan = self.scan, ""
        return _scanned_code(code) or self._take(code, parts)

    def _take(self, code: str, parts: dict[str, bool]) -> Message | None:
        """Put a scanned code where the box's scanning has got to: box, part, batch, then serials."""
        step = self.scan_step
        if step == "box":
            self.box_number = code
        elif step == "part":
            if code not in parts:
                return Message("unknown-part", code)
            self.part_number = code
        elif step == "batch":
            self.batch_number = code
        elif not parts.get(self.part_number, True):
            return Message("bulk-part", self.part_number)
        elif len(self.units) >= MAX_LINES:
            return Message("too-many", str(MAX_LINES))
        else:
            self.units.append(
                UnitEntry(serial=code, part=self.part_number, box=self.box_number, batch=self.batch_number)
            )
        return None

    def _close_box(self) -> None:
        current = self.current_box()
        if current is not None:
            self.boxes = [box for box in self.boxes if box.box != current.box] + [current]
        self.box_number = self.part_number = self.batch_number = ""
        self.expected = self.quantity = None

    def _add_quantity(self, parts: dict[str, bool]) -> Message | None:
        if self.scan_step != "serial":
            return Message("box-first")
        if parts.get(self.part_number, False):
            return Message("serialized-part", self.part_number)
        if not self.quantity:
            return Message("quantity-needed")
        self.bulk.append(BulkEntry(part=self.part_number, box=self.box_number, batch=self.batch_number,
                                   quantity=self.quantity))  # fmt: skip
        self.quantity = None
        return None

    def missing_fields(self) -> str | None:
        """The code of the first thing the delivery still needs before it can be received."""
        if not self.depot:
            return "depot-needed"
        if not self.supplier or not self.reference:
            return "delivery-note-needed"
        return None

    def lines(self) -> list[stock.ReceiptLine]:
        """The receipt's lines for the receipt service: one per part, its units or its batches."""
        lines: list[stock.ReceiptLine] = []
        by_part: dict[str, list[stock.ReceivedUnit]] = {}
        for unit in self.units:
            by_part.setdefault(unit.part, []).append(stock.ReceivedUnit(unit.serial, unit.box, unit.batch))
        lines += [stock.ReceiptLine(part, len(units), None, tuple(units)) for part, units in by_part.items()]
        bulk: Counter[tuple[str, str]] = Counter()
        for entry in self.bulk:
            bulk[(entry.part, entry.batch)] += entry.quantity
        lines += [stock.ReceiptLine(part, quantity, batch, ()) for (part, batch), quantity in bulk.items()]
        return lines


def against_notice(state: ReceiptState, manifest: list[stock.NoticeLineRecord]) -> stock.NoticeMatching:
    """What the lines scanned so far would book against a notice's manifest: each differing line with
    its reason, and what has not arrived yet."""
    announced = [
        stock.Announced(
            index, line.part_number, line.serial, line.box_number, line.batch_number, line.quantity
        )
        for index, line in enumerate(manifest)
    ]
    lines = [
        stock.CheckedLine(line.part_number, line.quantity or 0, line.batch_number, line.units)
        for line in state.lines()
    ]
    return stock.match_arrival(announced, lines)


@dataclass(frozen=True, slots=True)
class BoxCount:
    """A box of the delivery: its label, what was scanned into it, and what to say of it."""

    box: BoxEntry
    scanned: int
    findings: list[stock.Finding]

    @property
    def complete(self) -> bool | None:
        """Whether the box holds what its label says (None: the label gives no quantity)."""
        return None if self.box.expected is None else self.scanned == self.box.expected


@dataclass(frozen=True, slots=True)
class PartCount:
    part_number: str
    scanned: int
    expected: int | None


@dataclass
class CheckedReceipt:
    """Every line of a receipt screen with its findings, and the counters."""

    units: list[tuple[UnitEntry, list[stock.Finding]]]
    boxes: list[BoxCount]
    parts: list[PartCount]

    @property
    def errors(self) -> int:
        unit_errors = sum(1 for _, found in self.units if stock.worst(found) == stock.Severity.ERROR)
        box_errors = sum(1 for box in self.boxes if stock.worst(box.findings) == stock.Severity.ERROR)
        return unit_errors + box_errors

    @property
    def warnings(self) -> int:
        return sum(1 for _, found in self.units if stock.worst(found) == stock.Severity.WARNING)

    @property
    def scanned(self) -> int:
        return sum(part.scanned for part in self.parts)


async def check_receipt(state: ReceiptState, parts: dict[str, bool]) -> CheckedReceipt:
    """Check every line on the screen against the receipt's rules and what the database knows."""
    boxes = state.all_boxes()
    known = await stock.receipt_knowledge(
        serials=[unit.serial for unit in state.units],
        boxes=[box.box for box in boxes],
        batches=[box.batch for box in boxes if box.batch],
        part_numbers=[unit.part for unit in state.units],
    )
    scanned = [stock.ScannedUnit(u.serial, u.part, u.box, u.batch) for u in state.units]
    unit_findings = stock.check_units(scanned, known)
    per_box: Counter[str] = Counter(unit.box for unit in state.units)
    for entry in state.bulk:
        per_box[entry.box] += entry.quantity
    counts = []
    for box in boxes:
        findings = stock.check_box(box.part, box.box, box.batch, known) if box.part and box.batch else []
        if box.part and box.part not in parts:
            findings.insert(0, stock.Finding("unknown-part", stock.Severity.ERROR, {"part": box.part}))
        counts.append(BoxCount(box, per_box[box.box], findings))
    return CheckedReceipt(
        units=list(zip(state.units, unit_findings, strict=True)),
        boxes=counts,
        parts=_part_counts(state, boxes),
    )


def _part_counts(state: ReceiptState, boxes: list[BoxEntry]) -> list[PartCount]:
    scanned: Counter[str] = Counter(unit.part for unit in state.units)
    for entry in state.bulk:
        scanned[entry.part] += entry.quantity
    expected: dict[str, int | None] = {}
    for box in boxes:
        if not box.part:
            continue
        so_far = expected.get(box.part, 0)
        expected[box.part] = None if so_far is None or box.expected is None else so_far + box.expected
    names = sorted(set(scanned) | set(expected))
    return [PartCount(name, scanned[name], expected.get(name)) for name in names]


# --- sending a transfer ------------------------------------------------------------------------------


@dataclass(kw_only=True)
class _SerialScreen:
    """What the screens that scan serials into a list share: the scan field, the step asked for (a scan,
    or a line removed) and the serials so far."""

    scan: str = ""
    action: str = "scan"
    remove: int | None = None
    serials: list[str] = field(default_factory=list)

    @staticmethod
    def _fields(form: Any) -> dict[str, Any]:
        """The shared fields as the form sent them.

        Raises:
            InvalidRequest: a serial that cannot be one, too many lines, a field too long.
        """
        serials = [str(value).strip() for value in (form.getall("serial") if "serial" in form else [])]
        if len(serials) > MAX_LINES or any(not stock.is_code(serial) for serial in serials):
            raise InvalidRequest("a serial of the screen could not be read", field="serial")
        remove = _text(form, "remove", 12)
        return {
            "scan": _text(form, "scan"),
            "action": "remove" if remove else _text(form, "action", 20) or "scan",
            "remove": int(remove) if remove.isdigit() else None,
            "serials": serials,
        }

    def _scanned(self, scanning: bool) -> tuple[str | None, Message | None]:
        """Remove the line asked for, or take the scanned code out of the scan field: the code (None when
        there is none to take) and what is wrong with it."""
        if self.action == "remove" and self.remove is not None:
            if self.remove < len(self.serials):
                del self.serials[self.remove]
            return None, None
        if not scanning or not self.scan:
            return None, None
        code, self.scan = self.scan, ""
        return code, _scanned_code(code)


@dataclass(kw_only=True)
class DispatchState(_SerialScreen):
    """A transfer being prepared: where from and to, the part, and the serials scanned (or a quantity)."""

    from_depot: str = ""
    to_depot: str = ""
    part_number: str = ""
    reason: str = ""
    quantity: int | None = None

    @classmethod
    def of(cls, form: Any) -> DispatchState:
        """The screen's state as its form sent it.

        Raises:
            InvalidRequest: a field too long, or a number that is not one.
        """
        return cls(
            from_depot=_text(form, "from_depot", 32),
            to_depot=_text(form, "to_depot", 32),
            part_number=_text(form, "part_number", 64),
            reason=_text(form, "reason", 500),
            quantity=_number(form, "quantity"),
            **cls._fields(form),
        )

    @property
    def scan_step(self) -> str:
        return "part" if not self.part_number else "serial"

    def apply(self, *, scanning: bool = True) -> Message | None:
        code, problem = self._scanned(scanning)
        if code is None or problem is not None:
            return problem
        if self.scan_step == "part":
            self.part_number = code
        elif len(self.serials) >= MAX_LINES:
            return Message("too-many", str(MAX_LINES))
        else:
            self.serials.append(code)
        return None

    def missing_fields(self) -> str | None:
        if not self.from_depot or not self.to_depot:
            return "depots-needed"
        if self.from_depot == self.to_depot:
            return "same-depot"
        if not self.part_number:
            return "part-needed"
        if not self.serials and not self.quantity:
            return "nothing-to-send"
        return None


@dataclass
class CheckedDispatch:
    """Every serial of a dispatch screen with its findings."""

    serials: list[tuple[str, list[stock.Finding]]]

    @property
    def errors(self) -> int:
        return sum(1 for _, found in self.serials if found)


async def check_dispatch(state: DispatchState) -> CheckedDispatch:
    """Each serial must be a unit of the part, available at the source depot, and named once."""
    known = await stock.receipt_knowledge(serials=state.serials, boxes=(), batches=(), part_numbers=())
    seen: set[str] = set()
    checked = []
    for serial in state.serials:
        findings: list[stock.Finding] = []
        if serial in seen:
            findings.append(stock.Finding("duplicate", stock.Severity.ERROR, {"serial": serial}))
        seen.add(serial)
        units = [unit for unit in known.serials.get(serial, ()) if unit.part_number == state.part_number]
        if not units:
            others = ", ".join(sorted(unit.part_number for unit in known.serials.get(serial, ())))
            code = "serial-of-other-part" if others else "serial-unknown"
            findings.append(stock.Finding(code, stock.Severity.ERROR, {"serial": serial, "part": others}))
        elif units[0].depot != state.from_depot or units[0].status != "available":
            findings.append(
                stock.Finding(
                    "not-available-here",
                    stock.Severity.ERROR,
                    {"serial": serial, "status": units[0].status, "depot": units[0].depot or ""},
                )
            )
        checked.append((serial, findings))
    return CheckedDispatch(checked)


# --- receiving a transfer ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ArrivalLine:
    """A line of a transfer on the receiving screen: what it carries, and whether it was scanned now."""

    serial: str | None
    batch_number: str
    quantity: int
    received_quantity: int
    scanned: bool


@dataclass(kw_only=True)
class ArrivalState(_SerialScreen):
    """A transfer being received: the serials scanned so far (or a bulk quantity)."""

    transfer: int
    quantity: int | None = None

    @classmethod
    def of(cls, form: Any, transfer: int) -> ArrivalState:
        return cls(transfer=transfer, quantity=_number(form, "quantity"), **cls._fields(form))

    def apply(self, *, scanning: bool = True) -> Message | None:
        code, problem = self._scanned(scanning)
        if code is None or problem is not None:
            return problem
        if code in self.serials:
            return Message("scanned-twice", code)
        if len(self.serials) >= MAX_LINES:
            return Message("too-many", str(MAX_LINES))
        self.serials.append(code)
        return None

    def lines(self, record: stock.TransferRecord) -> list[ArrivalLine]:
        scanned = set(self.serials)
        return [
            ArrivalLine(
                line.serial, line.batch_number, line.quantity, line.received_quantity, line.serial in scanned
            )
            for line in record.lines
        ]

    def findings(self, record: stock.TransferRecord) -> list[tuple[str, stock.Finding | None]]:
        """Each scanned serial with what is wrong with it: not carried, or already landed."""
        carried = {line.serial: line for line in record.lines if line.serial}
        result = []
        for serial in self.serials:
            line = carried.get(serial)
            if line is None:
                result.append(
                    (serial, stock.Finding("not-carried", stock.Severity.ERROR, {"serial": serial}))
                )
            elif line.received:
                result.append(
                    (serial, stock.Finding("already-landed", stock.Severity.ERROR, {"serial": serial}))
                )
            else:
                result.append((serial, None))
        return result

    def errors(self, record: stock.TransferRecord) -> int:
        return sum(1 for _, finding in self.findings(record) if finding is not None)
