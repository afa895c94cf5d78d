"""Returns to a vendor under its RMA number: the states and the steps between them. Plain Python."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from inventory.errors import InvalidTransition


class RmaState(StrEnum):
    OPEN = "open"
    SHIPPED = "shipped"
    CREDITED = "credited"
    REPLACED = "replaced"


NEXT: Mapping[RmaState, frozenset[RmaState]] = {
    RmaState.OPEN: frozenset({RmaState.SHIPPED}),
    RmaState.SHIPPED: frozenset({RmaState.CREDITED, RmaState.REPLACED}),
}
"""``open`` → ``shipped`` (the units leave the depot) → ``credited`` or ``replaced`` (the vendor's
replacement units received against it)."""

PENDING = frozenset({RmaState.OPEN, RmaState.SHIPPED})
"""States in which a unit is still on its way back to the vendor: it may be on no other return."""


def check_rma_step(current: RmaState, target: RmaState) -> None:
    """Raise `InvalidTransition` unless a vendor return may go from ``current`` to ``target``."""
    if target not in NEXT.get(current, frozenset()):
        raise InvalidTransition(
            f"a vendor return that is {current} cannot become {target}",
            state=current.value,
            allowed=sorted(NEXT.get(current, frozenset())),
        )
