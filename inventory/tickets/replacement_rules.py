"""A replacement request's states and the decision on it. Plain Python.

A customer (or the service desk for it) asks for a part for a ticket. The entitlement check
(`inventory.tickets.entitlement`) decides whether it is given and on what terms; a chargeable part waits
for the customer's acceptance of the charge; then a reservation that keeps the delivery promise approves
it, or, when no depot can keep it, it waits in the dispatcher's queue with the alternatives::

    requested ──> approved ──> fulfilled
        │  │          └──────> withdrawn
        │  └──> pending_dispatcher ──> approved | refused | withdrawn
        │        (an approved request whose hold ended without the part handed out goes back to it)
        ├──> refused
        └──> withdrawn

Premium and platinum customers also have a right to a replacement unit (or a loaner) when a fault is not
restored in time: the ticket's restore milestone breached, the replacement is due by the replacement
milestone (48 hours after the report).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from inventory.customers.warranty import PartsCharge
from inventory.errors import InvalidTransition
from inventory.tickets.entitlement import Entitlement, Refusal
from inventory.tickets.priority import PARTS_PRIORITY_TIERS, Tier


class RequestState(StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    PENDING_DISPATCHER = "pending_dispatcher"
    REFUSED = "refused"
    FULFILLED = "fulfilled"
    WITHDRAWN = "withdrawn"


TRANSITIONS: dict[RequestState, frozenset[RequestState]] = {
    RequestState.REQUESTED: frozenset(
        {RequestState.APPROVED, RequestState.PENDING_DISPATCHER, RequestState.REFUSED, RequestState.WITHDRAWN}
    ),
    RequestState.PENDING_DISPATCHER: frozenset(
        {RequestState.APPROVED, RequestState.REFUSED, RequestState.WITHDRAWN}
    ),
    RequestState.APPROVED: frozenset(
        {RequestState.FULFILLED, RequestState.WITHDRAWN, RequestState.PENDING_DISPATCHER}
    ),
    RequestState.REFUSED: frozenset(),
    RequestState.FULFILLED: frozenset(),
    RequestState.WITHDRAWN: frozenset(),
}
OPEN_STATES = frozenset({RequestState.REQUESTED, RequestState.PENDING_DISPATCHER, RequestState.APPROVED})
"""States in which a request still counts against the asset's installed quantity."""


def check_transition(current: RequestState, to: RequestState) -> None:
    """Raises InvalidTransition unless a request in ``current`` may move to ``to``."""
    if to not in TRANSITIONS[current]:
        raise InvalidTransition(f"a request that is {current} cannot become {to}", state=current.value)


class Withdrawal(StrEnum):
    """Whether a request may be withdrawn now, and if not, why."""

    POSSIBLE = "possible"
    PART_LEFT_DEPOT = "part_left_depot"
    """The request is open but its part is on its way: handed out, picked up by its carrier or on the van."""
    CLOSED = "closed"
    """The request is closed (refused, fulfilled or withdrawn)."""


def withdrawal(current: RequestState, *, part_left_depot: bool) -> Withdrawal:
    """A request may be withdrawn until its part has left the depot (handed out for the ticket, picked up
    by its carrier or on the van)."""
    if RequestState.WITHDRAWN not in TRANSITIONS[current]:
        return Withdrawal.CLOSED
    return Withdrawal.PART_LEFT_DEPOT if part_left_depot else Withdrawal.POSSIBLE


def check_withdrawal(current: RequestState, *, part_left_depot: bool) -> None:
    """`withdrawal`, for carrying it out.

    Raises:
        InvalidTransition: the request is closed, or its part is on its way out of the depot.
    """
    check_transition(current, RequestState.WITHDRAWN)
    if withdrawal(current, part_left_depot=part_left_depot) is Withdrawal.PART_LEFT_DEPOT:
        raise InvalidTransition(
            "the part has left the depot: the request can no longer be withdrawn", state=current.value
        )


@dataclass(frozen=True, slots=True)
class PriceBasis:
    """What a chargeable part costs: its unit cost times the quantity."""

    unit_cost: Decimal
    quantity: int

    @property
    def total(self) -> Decimal:
        return self.unit_cost * self.quantity


@dataclass(frozen=True, slots=True)
class ReplacementRight:
    """The premium tiers' right to a replacement unit when a fault is not restored in time."""

    applies: bool
    due_at: datetime | None
    """When the replacement is due (the ticket's replacement milestone); None when it does not apply."""


@dataclass(frozen=True, slots=True)
class Decision:
    """The entitlement check's answer for one request: refused (with the rule), or given on terms."""

    entitlement: Entitlement
    refusal: Refusal | None
    price: PriceBasis | None
    """Set for a chargeable part: the customer accepts it before the request is approved."""
    right: ReplacementRight

    @property
    def state(self) -> RequestState:
        return RequestState.REFUSED if self.refusal is not None else RequestState.REQUESTED

    @property
    def needs_acceptance(self) -> bool:
        return self.price is not None


def replacement_right(
    tier: Tier, *, restore_breached: bool, replacement_due: datetime | None
) -> ReplacementRight:
    """Premium and platinum customers get a replacement when the restore milestone is breached."""
    applies = tier in PARTS_PRIORITY_TIERS and restore_breached and replacement_due is not None
    return ReplacementRight(applies, replacement_due if applies else None)


def decide(
    entitlement: Entitlement,
    *,
    unit_cost: Decimal,
    quantity: int,
    restore_breached: bool,
    replacement_due: datetime | None,
) -> Decision:
    """The decision on a request for ``quantity`` of a part costing ``unit_cost``, under ``entitlement``.

    Free in warranty; at cost after it (the price basis is the unit cost); refused when the entitlement
    check refuses (closed ticket, no asset, coverage ended).
    """
    if quantity <= 0:
        raise ValueError(f"quantity must be positive, got {quantity}")
    right = replacement_right(
        entitlement.tier, restore_breached=restore_breached, replacement_due=replacement_due
    )
    if entitlement.refusal is not None:
        return Decision(entitlement, entitlement.refusal, None, right)
    price = PriceBasis(unit_cost, quantity) if entitlement.charge is PartsCharge.AT_COST else None
    return Decision(entitlement, None, price, right)
