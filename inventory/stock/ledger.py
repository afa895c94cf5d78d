"""The movement ledger as arithmetic: replay movements into positions and compare with stored stock.

A *position* is a quantity of one part, one batch, in one state, at one depot. Every movement takes a
quantity out of one position (none for a receipt) and puts it into another (none for an issue). Replaying
all movements must give exactly the positions that the unit and bulk tables hold, and the per-depot
stock levels are sums of those positions.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from inventory.stock.model import UnitStatus

Position = tuple[str, str, str, str]
"""``(depot code, part number, batch number, status)``."""

LevelKey = tuple[str, str]
"""``(depot code, part number)``."""


@dataclass(frozen=True, slots=True)
class MovementFlow:
    """The positional effect of one movement (or of many, summed)."""

    part_number: str
    batch_number: str
    quantity: int
    from_depot: str | None
    from_status: str | None
    to_depot: str | None
    to_status: str | None


@dataclass(frozen=True, slots=True)
class Level:
    """Stock of one part at one depot. ``on_hand`` is good stock on the shelf, reserved or not."""

    on_hand: int = 0
    reserved: int = 0
    in_transit: int = 0
    defective: int = 0
    quarantined: int = 0

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


@dataclass(frozen=True, slots=True)
class Discrepancy:
    """One place where stored stock differs from what the ledger says."""

    kind: str
    key: tuple[str, ...]
    ledger: object
    stored: object


def replay(flows: Iterable[MovementFlow]) -> Counter[Position]:
    """Sum movement flows into positions; zero positions are dropped."""
    positions: Counter[Position] = Counter()
    for flow in flows:
        if flow.from_depot is not None and flow.from_status is not None:
            positions[(flow.from_depot, flow.part_number, flow.batch_number, flow.from_status)] -= (
                flow.quantity
            )
        if flow.to_depot is not None and flow.to_status is not None:
            positions[(flow.to_depot, flow.part_number, flow.batch_number, flow.to_status)] += flow.quantity
    return Counter({key: qty for key, qty in positions.items() if qty != 0})


def levels(positions: Mapping[Position, int]) -> dict[LevelKey, Level]:
    """Per-depot stock levels from positions."""
    sums: dict[LevelKey, Counter[str]] = {}
    for (depot, part, _batch, status), qty in positions.items():
        sums.setdefault((depot, part), Counter())[status] += qty
    return {key: _level(counts) for key, counts in sums.items()}


def _level(counts: Counter[str]) -> Level:
    return Level(
        on_hand=counts[UnitStatus.AVAILABLE] + counts[UnitStatus.RESERVED],
        reserved=counts[UnitStatus.RESERVED],
        in_transit=counts[UnitStatus.IN_TRANSIT],
        defective=counts[UnitStatus.DEFECTIVE],
        quarantined=counts[UnitStatus.QUARANTINED],
    )


def compare(
    ledger_positions: Mapping[Position, int],
    stored_positions: Mapping[Position, int],
    stored_levels: Mapping[LevelKey, Level],
) -> list[Discrepancy]:
    """Every difference between the ledger and the stored positions and levels; empty when consistent."""
    found: list[Discrepancy] = []
    for key in sorted(set(ledger_positions) | set(stored_positions)):
        expected, actual = ledger_positions.get(key, 0), stored_positions.get(key, 0)
        if expected != actual:
            found.append(Discrepancy("position", key, expected, actual))
        if actual < 0:
            found.append(Discrepancy("negative", key, expected, actual))
    expected_levels = levels(ledger_positions)
    for key in sorted(set(expected_levels) | set(stored_levels)):
        expected_level, actual_level = expected_levels.get(key, Level()), stored_levels.get(key, Level())
        if expected_level != actual_level:
            found.append(Discrepancy("level", key, expected_level, actual_level))
    return found
