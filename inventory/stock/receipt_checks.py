"""What a receipt screen tells the person scanning a delivery, line by line, before anything is booked:
the same rules as the receipt itself (`inventory.stock.model.check_receipt` and the receipt service), and
signs that a unit may not be what its box says. Plain Python.

Errors are what the receipt would refuse: a serial scanned twice, a serial already known for the part,
a box holding two batches of one part, an unknown part. Warnings are what it would accept but a person
should look at: a serial known for another part, a serial that does not begin as the part's known
serials do, a box or batch number already booked in before (with another part or batch, or at all).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class ScannedUnit:
    """A serial scanned into a box: the box's part, box number and batch (from its label)."""

    serial: str
    part_number: str
    box_number: str
    batch_number: str


@dataclass(frozen=True, slots=True)
class KnownUnit:
    """A unit with the same serial, box or batch already in the database."""

    serial: str
    part_number: str
    box_number: str
    batch_number: str
    status: str
    depot: str | None


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing to say about a scanned line: a code (its words are the screen's), how bad it is, and
    the values its words name."""

    code: str
    severity: Severity
    values: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Known:
    """What the database already knows of the codes on a receipt screen."""

    serials: Mapping[str, Sequence[KnownUnit]] = field(default_factory=dict)
    """Units by serial (any part)."""
    boxes: Mapping[str, Sequence[tuple[str, str]]] = field(default_factory=dict)
    """``(part number, batch)`` pairs found in each box number."""
    batches: Mapping[str, Sequence[str]] = field(default_factory=dict)
    """Part numbers found with each batch number."""
    serial_prefixes: Mapping[str, str] = field(default_factory=dict)
    """The letters that every known serial of a part begins with, by part number (none: no rule)."""


def serial_prefix(first: str | None, last: str | None) -> str:
    """The leading letters shared by a part's lowest and highest known serials (so by all of them, in
    sort order): ``HDD`` for ``HDD260000012`` and ``HDD260004500``; empty when they share none."""
    if not first or not last:
        return ""
    shared = []
    for a, b in zip(first, last, strict=False):
        if a != b or not a.isalpha():
            break
        shared.append(a)
    return "".join(shared)


def check_box(part_number: str, box_number: str, batch_number: str, known: Known) -> list[Finding]:
    """What to say of a box label: its box or batch number already booked in, with another part or batch."""
    findings = []
    earlier = known.boxes.get(box_number, ())
    if earlier:
        others = sorted(
            {f"{part} / {batch}" for part, batch in earlier if (part, batch) != (part_number, batch_number)}
        )
        if others:
            findings.append(
                Finding(
                    "box-known-other", Severity.WARNING, {"box": box_number, "known": ", ".join(others[:3])}
                )
            )
        else:
            findings.append(Finding("box-known", Severity.WARNING, {"box": box_number}))
    parts = sorted(set(known.batches.get(batch_number, ())) - {part_number})
    if parts:
        findings.append(
            Finding(
                "batch-other-part", Severity.WARNING, {"batch": batch_number, "parts": ", ".join(parts[:3])}
            )
        )
    return findings


def check_units(units: Sequence[ScannedUnit], known: Known) -> list[list[Finding]]:
    """The findings of every scanned unit, in order (a later duplicate is the one marked)."""
    seen: set[tuple[str, str]] = set()
    box_batch: dict[tuple[str, str], str] = {}
    results = []
    for unit in units:
        findings: list[Finding] = []
        key = (unit.part_number, unit.serial)
        if key in seen:
            findings.append(Finding("duplicate", Severity.ERROR, {"serial": unit.serial}))
        seen.add(key)
        first_batch = box_batch.setdefault((unit.part_number, unit.box_number), unit.batch_number)
        if first_batch != unit.batch_number:
            findings.append(
                Finding(
                    "box-mixes-batches",
                    Severity.ERROR,
                    {"box": unit.box_number, "batch": unit.batch_number, "other": first_batch},
                )
            )
        findings += _known_serial(unit, known.serials.get(unit.serial, ()))
        prefix = known.serial_prefixes.get(unit.part_number, "")
        if prefix and not unit.serial.upper().startswith(prefix.upper()):
            findings.append(
                Finding("serial-pattern", Severity.WARNING, {"part": unit.part_number, "prefix": prefix})
            )
        results.append(findings)
    return results


def _known_serial(unit: ScannedUnit, known: Iterable[KnownUnit]) -> list[Finding]:
    findings = []
    for other in known:
        values = {"serial": unit.serial, "part": other.part_number, "status": other.status,
                  "depot": other.depot or ""}  # fmt: skip
        if other.part_number == unit.part_number:
            findings.append(Finding("serial-known", Severity.ERROR, values))
        else:
            findings.append(Finding("serial-other-part", Severity.WARNING, values))
    return findings


CODE = re.compile(r"^[\w./-]{1,100}$")
"""What a scanned serial, box or batch number may be: letters, digits and ``. / - _``, up to 100."""


def is_code(text: str) -> bool:
    """Whether ``text`` can be a serial, box or batch number."""
    return bool(CODE.match(text))


def worst(findings: Iterable[Finding]) -> Severity | None:
    """The most serious severity among ``findings`` (none: nothing to say)."""
    severities = {finding.severity for finding in findings}
    if Severity.ERROR in severities:
        return Severity.ERROR
    return Severity.WARNING if severities else None
