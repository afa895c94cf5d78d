"""Ticket priority and the pre-emption rule. Plain Python.

Priority orders who gets scarce parts first: the customer's tier weighs more than the fault's severity,
so a platinum customer's major fault outranks a standard customer's critical one.
"""

from __future__ import annotations

from enum import StrEnum


class Tier(StrEnum):
    STANDARD = "standard"
    PREMIUM = "premium"
    PLATINUM = "platinum"


class Severity(StrEnum):
    """Critical: big impact on core business or serious loss; major: slight impact; minor: none."""

    CRITICAL = "critical"
    MAJOR = "major"
    MINOR = "minor"


_TIER_WEIGHT = {Tier.STANDARD: 0, Tier.PREMIUM: 10, Tier.PLATINUM: 20}
_SEVERITY_WEIGHT = {Severity.MINOR: 1, Severity.MAJOR: 2, Severity.CRITICAL: 3}
PARTS_PRIORITY_TIERS = frozenset({Tier.PREMIUM, Tier.PLATINUM})


def ticket_priority(tier: Tier, severity: Severity) -> int:
    """A number; higher is served first."""
    return _TIER_WEIGHT[tier] + _SEVERITY_WEIGHT[severity]


def may_preempt(tier: Tier, severity: Severity) -> bool:
    """Only premium and platinum customers' critical faults may take stock held for others."""
    return tier in PARTS_PRIORITY_TIERS and severity is Severity.CRITICAL


def may_be_preempted_by(holder_priority: int, requester_priority: int, holder_status: str) -> bool:
    """An active hold of strictly lower priority may be taken; issued parts never are."""
    return holder_status == "active" and holder_priority < requester_priority
