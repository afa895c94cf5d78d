"""What a customer may ask for when it requests a replacement part for its own ticket. Plain Python.

The rules are those `inventory.tickets.reservations.reserve` applies to a customer's request: the ticket
must be open and name an asset, and the asset's coverage must not have expired. Within coverage the part
is free in warranty and at cost after it (`inventory.customers.warranty.parts_charge`). Premium and
platinum customers have parts priority; their critical faults may take stock held for lower-priority
tickets (`inventory.tickets.priority`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from inventory.customers.warranty import Coverage, CoveragePhase, PartsCharge, parts_charge
from inventory.tickets.priority import PARTS_PRIORITY_TIERS, Severity, Tier, may_preempt


class Refusal(StrEnum):
    """Why a customer's request for a replacement part is refused."""

    TICKET_CLOSED = "ticket_closed"
    NO_ASSET = "no_asset"
    COVERAGE_ENDED = "coverage_ended"


@dataclass(frozen=True, slots=True)
class Entitlement:
    """The answer of the entitlement check for one ticket."""

    tier: Tier
    parts_priority: bool
    """Premium and platinum: their tickets are served first when parts are scarce."""
    may_preempt: bool
    """The ticket may take stock held for a lower-priority ticket (premium and platinum critical faults)."""
    coverage: Coverage | None
    """The asset's warranty end and phase; None when the ticket names no asset."""
    charge: PartsCharge | None
    """Free or at cost; None when refused."""
    refusal: Refusal | None

    @property
    def granted(self) -> bool:
        return self.refusal is None


def replacement_entitlement(
    tier: Tier, severity: Severity, coverage: Coverage | None, *, ticket_open: bool = True
) -> Entitlement:
    """Whether a customer may request a replacement part for a ticket, and on what terms.

    Args:
        tier: the customer's service tier.
        severity: the ticket's severity.
        coverage: the coverage of the ticket's asset today, or None when the ticket names no asset.
        ticket_open: whether the ticket is still open.
    """
    if not ticket_open:
        refusal: Refusal | None = Refusal.TICKET_CLOSED
    elif coverage is None:
        refusal = Refusal.NO_ASSET
    elif coverage.phase is CoveragePhase.EXPIRED:
        refusal = Refusal.COVERAGE_ENDED
    else:
        refusal = None
    return Entitlement(
        tier=tier,
        parts_priority=tier in PARTS_PRIORITY_TIERS,
        may_preempt=may_preempt(tier, severity),
        coverage=coverage,
        charge=None if refusal is not None or coverage is None else parts_charge(coverage.phase),
        refusal=refusal,
    )
