"""A stock count's variances: what the shelf should hold against what was counted. Plain Python.

Serialized parts are compared serial by serial (``missing``: on the books, not counted; ``unknown``:
counted, not on the books at this depot); bulk parts batch by batch (``quantity``: the counted total of
a batch differs from the books).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum


class VarianceKind(StrEnum):
    MISSING = "missing"
    UNKNOWN = "unknown"
    QUANTITY = "quantity"


class Outcome(StrEnum):
    """What approving a variance books."""

    LOST = "lost"
    """A missing unit is written off as lost."""
    FOUND = "found"
    """An unknown unit the books do not place elsewhere is booked in, quarantined."""
    ADJUST = "adjust"
    """A bulk batch's available quantity is corrected by the difference."""
    INVESTIGATE = "investigate"
    """Nothing is booked: the books place the unit elsewhere (another depot, a customer) or it is held
    for a ticket; someone has to find out why."""


@dataclass(frozen=True, slots=True)
class CountedLine:
    part_number: str
    serial: str | None
    batch_number: str
    quantity: int


@dataclass(frozen=True, slots=True)
class Variance:
    kind: VarianceKind
    part_number: str
    serial: str | None
    batch_number: str
    expected: int
    counted: int

    @property
    def difference(self) -> int:
        return self.counted - self.expected


def variances(
    shelf_units: Mapping[tuple[str, str], str],
    shelf_batches: Mapping[tuple[str, str], int],
    counted: Iterable[CountedLine],
) -> list[Variance]:
    """The differences between the books and a count.

    Args:
        shelf_units: ``(part_number, serial) -> batch_number`` of the serialized units the books place
            on the depot's shelves, for the parts counted.
        shelf_batches: ``(part_number, batch_number) -> quantity`` of bulk stock on the shelves.
        counted: the count's lines (one per scan).

    Returns:
        Missing serials, unknown serials and bulk batches whose counted total differs, in that order,
        each sorted by part and serial or batch.
    """
    counted_units: dict[tuple[str, str], str] = {}
    counted_batches: dict[tuple[str, str], int] = defaultdict(int)
    for line in counted:
        if line.serial is not None:
            counted_units[(line.part_number, line.serial)] = line.batch_number
        else:
            counted_batches[(line.part_number, line.batch_number)] += line.quantity
    missing = [
        Variance(VarianceKind.MISSING, part, serial, batch, 1, 0)
        for (part, serial), batch in sorted(shelf_units.items())
        if (part, serial) not in counted_units
    ]
    unknown = [
        Variance(VarianceKind.UNKNOWN, part, serial, batch, 0, 1)
        for (part, serial), batch in sorted(counted_units.items())
        if (part, serial) not in shelf_units
    ]
    quantity = [
        Variance(
            VarianceKind.QUANTITY,
            part,
            None,
            batch,
            shelf_batches.get((part, batch), 0),
            counted_batches.get((part, batch), 0),
        )
        for part, batch in sorted(set(shelf_batches) | set(counted_batches))
        if shelf_batches.get((part, batch), 0) != counted_batches.get((part, batch), 0)
    ]
    return missing + unknown + quantity
