"""What arrived against an advance shipping notice, compared with its manifest. Plain Python.

A unit booked as it was announced is ``matched``; one the manifest does not name is ``unexpected``;
one whose batch or box differs from the manifest is ``batch_differs`` or ``box_differs`` (the batch is
named first: it is what a recall follows). A bulk batch beyond what was announced is ``excess``, one
not announced at all ``unexpected``. Each of these is booked to quarantine with its reason. What the
manifest names and did not arrive is ``missing``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from inventory.stock.model import CheckedLine


class Discrepancy(StrEnum):
    MISSING = "missing"
    UNEXPECTED = "unexpected"
    BATCH_DIFFERS = "batch_differs"
    BOX_DIFFERS = "box_differs"
    EXCESS = "excess"


@dataclass(frozen=True, slots=True)
class Announced:
    """A line of the manifest: a unit (``serial``, quantity 1) or a quantity of a bulk batch."""

    line_id: int
    part_number: str
    serial: str | None
    box_number: str
    batch_number: str
    quantity: int


@dataclass(frozen=True, slots=True)
class Arrival:
    """What to book of one arrived unit or batch: into stock as announced (``reason`` None) or into
    quarantine for ``reason``; ``line_id`` is the manifest line it counts against, if any."""

    part_number: str
    serial: str | None
    box_number: str
    batch_number: str
    quantity: int
    reason: Discrepancy | None
    line_id: int | None = None
    expected_box_number: str | None = None
    expected_batch_number: str | None = None


@dataclass(frozen=True, slots=True)
class Matching:
    arrivals: list[Arrival]
    missing: list[Announced]

    @property
    def findings(self) -> list[Arrival]:
        """The arrivals booked to quarantine, with their reasons."""
        return [arrival for arrival in self.arrivals if arrival.reason is not None]


def match_arrival(manifest: Sequence[Announced], arrived: Sequence[CheckedLine]) -> Matching:
    """Compare what arrived (checked receipt lines) with the manifest, line by line.

    A serialized unit matches the manifest line of the same part and serial; a bulk quantity the lines
    of the same part and batch, up to what they announce.
    """
    units = {(line.part_number, line.serial): line for line in manifest if line.serial is not None}
    batches: dict[tuple[str, str], list[Announced]] = defaultdict(list)
    for line in manifest:
        if line.serial is None:
            batches[(line.part_number, line.batch_number)].append(line)
    received: dict[int, int] = defaultdict(int)
    arrivals: list[Arrival] = []
    for line in arrived:
        if line.units:
            for unit in line.units:
                announced = units.get((line.part_number, unit.serial))
                arrival = _unit_arrival(
                    line.part_number, unit.serial, unit.box_number, unit.batch_number, announced
                )
                if announced is not None:
                    received[announced.line_id] += 1
                arrivals.append(arrival)
        else:
            batch = line.batch_number or ""
            arrivals += _batch_arrivals(
                line.part_number, batch, line.quantity, batches.get((line.part_number, batch), []), received
            )
    missing = [
        Announced(
            line.line_id,
            line.part_number,
            line.serial,
            line.box_number,
            line.batch_number,
            line.quantity - received[line.line_id],
        )
        for line in manifest
        if received[line.line_id] < line.quantity
    ]
    return Matching(arrivals, missing)


def _unit_arrival(
    part_number: str, serial: str, box: str, batch: str, announced: Announced | None
) -> Arrival:
    if announced is None:
        return Arrival(part_number, serial, box, batch, 1, Discrepancy.UNEXPECTED)
    reason = None
    if batch != announced.batch_number:
        reason = Discrepancy.BATCH_DIFFERS
    elif box != announced.box_number:
        reason = Discrepancy.BOX_DIFFERS
    return Arrival(
        part_number,
        serial,
        box,
        batch,
        1,
        reason,
        announced.line_id,
        announced.box_number if reason else None,
        announced.batch_number if reason else None,
    )


def _batch_arrivals(
    part_number: str, batch: str, quantity: int, announced: Sequence[Announced], received: dict[int, int]
) -> list[Arrival]:
    if not announced:
        return [Arrival(part_number, None, "", batch, quantity, Discrepancy.UNEXPECTED)]
    arrivals, remaining = [], quantity
    for line in announced:
        step = min(remaining, line.quantity - received[line.line_id])
        if step > 0:
            received[line.line_id] += step
            arrivals.append(Arrival(part_number, None, "", batch, step, None, line.line_id))
            remaining -= step
    if remaining:
        arrivals.append(Arrival(part_number, None, "", batch, remaining, Discrepancy.EXCESS))
    return arrivals
