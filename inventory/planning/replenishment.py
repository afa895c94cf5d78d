"""The replenishment rule: a depot's stock policy and position of a part, and what its supply route can
give, become a suggestion (a transfer from the supplying depot, or a purchase at the top of the
hierarchy) with its reasons. Plain Python.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from inventory.errors import InvalidRequest


class PolicyKind(StrEnum):
    MIN_MAX = "min_max"
    REORDER_POINT = "reorder_point"
    AUTO = "auto"


class SuggestionKind(StrEnum):
    TRANSFER = "transfer"
    PURCHASE = "purchase"


MAX_LEVEL = 1_000_000


def check_policy(kind: PolicyKind, reorder_level: int | None, target_level: int | None) -> None:
    """Raise `InvalidRequest` unless the levels fit the kind: ``auto`` takes none (they come from the
    forecast); min/max and reorder point take both, ``0 <= reorder level <= target level``, and a
    min/max's target above its minimum."""
    if kind is PolicyKind.AUTO:
        if reorder_level is not None or target_level is not None:
            raise InvalidRequest("an auto policy takes its levels from the forecast", field="reorder_level")
        return
    if reorder_level is None or target_level is None:
        raise InvalidRequest(
            f"a {kind} policy needs a reorder level and a target level", field="target_level"
        )
    if not 0 <= reorder_level <= MAX_LEVEL or not 0 <= target_level <= MAX_LEVEL:
        raise InvalidRequest(f"levels lie between 0 and {MAX_LEVEL}", field="target_level")
    if target_level < reorder_level:
        raise InvalidRequest("the target level is below the reorder level", field="target_level")


@dataclass(frozen=True, slots=True)
class Levels:
    """The levels in force: a min/max orders when the position is below ``reorder_level`` (the minimum),
    a reorder point when it is at or below it; both up to ``target_level``. An auto policy's levels are
    its forecast's (a min/max rule)."""

    kind: PolicyKind
    reorder_level: int
    target_level: int

    def triggered(self, position: int) -> bool:
        if self.kind is PolicyKind.REORDER_POINT:
            return position <= self.reorder_level
        return position < self.reorder_level


@dataclass(frozen=True, slots=True)
class Position:
    """A part's stock at a depot: on the shelf (``on_hand``, of which ``reserved`` is held for tickets),
    on its way in from other depots, and ordered from suppliers."""

    on_hand: int
    reserved: int
    in_transit: int
    on_order: int

    @property
    def inventory_position(self) -> int:
        """What the depot can count on: free stock on the shelf, plus what is coming."""
        return self.on_hand - self.reserved + self.in_transit + self.on_order


@dataclass(frozen=True, slots=True)
class Supply:
    """Where the depot's stock comes from: ``source`` depot (None: the suppliers), after
    ``lead_time_days``, and how much the source has available (None for suppliers)."""

    source: str | None
    lead_time_days: int
    source_available: int | None


@dataclass(frozen=True, slots=True)
class Proposal:
    """A transfer or purchase of ``quantity``; ``short_by`` is what the source could not give of the
    need."""

    kind: SuggestionKind
    quantity: int
    needed: int
    short_by: int


def propose(levels: Levels, position: Position, supply: Supply) -> Proposal | None:
    """What to order for a depot: nothing unless the policy is triggered; then up to the target level,
    from the supplying depot as far as it has stock available (a transfer), or from the suppliers at the
    top of the hierarchy (a purchase). None also when the supplying depot has nothing to give."""
    current = position.inventory_position
    if levels.target_level <= 0 or not levels.triggered(current):
        return None
    needed = levels.target_level - current
    if needed <= 0:
        return None
    if supply.source is None:
        return Proposal(SuggestionKind.PURCHASE, needed, needed, 0)
    quantity = min(needed, max(supply.source_available or 0, 0))
    if quantity <= 0:
        return None
    return Proposal(SuggestionKind.TRANSFER, quantity, needed, needed - quantity)


def suggestion_id(
    depot_id: int,
    part_id: int,
    proposal: Proposal,
    supply: Supply,
    levels: Levels,
    position: Position,
    basis: datetime | None,
) -> str:
    """The suggestion's id: the depot, the part and a digest of everything it rests on (the proposal,
    the supply, the levels, the position and when its forecast was computed). The same situation has the
    same id; any change of it makes a new one, so an id from before is stale."""
    facts = (
        proposal.kind,
        proposal.quantity,
        supply.source,
        supply.lead_time_days,
        levels.kind,
        levels.reorder_level,
        levels.target_level,
        position.on_hand,
        position.reserved,
        position.in_transit,
        position.on_order,
        basis.isoformat() if basis else "",
    )
    digest = hashlib.sha256(repr(facts).encode()).hexdigest()[:16]
    return f"{depot_id}-{part_id}-{digest}"


def parse_suggestion_id(suggestion: str) -> tuple[int, int] | None:
    """The depot and part ids a suggestion id names; None if it is not one."""
    parts = suggestion.split("-")
    if len(parts) != 3 or not all(part.isdigit() for part in parts[:2]) or len(parts[2]) != 16:
        return None
    return int(parts[0]), int(parts[1])
