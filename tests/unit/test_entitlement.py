"""The entitlement check before a customer's replacement part: refusals, parts priority, what the part
costs in each coverage phase."""

from __future__ import annotations

from datetime import date

import pytest

from inventory.customers.warranty import Coverage, CoveragePhase, PartsCharge, parts_charge
from inventory.tickets.entitlement import Refusal, replacement_entitlement
from inventory.tickets.priority import Severity, Tier

END = date(2027, 3, 1)


def covered(phase: CoveragePhase) -> Coverage:
    return Coverage(END, phase)


@pytest.mark.parametrize(
    ("phase", "charge"),
    [
        (CoveragePhase.IN_WARRANTY, PartsCharge.FREE),
        (CoveragePhase.POST_WARRANTY_PARTS_ONLY, PartsCharge.AT_COST),
        (CoveragePhase.POST_WARRANTY_COSTS_ONLY, PartsCharge.AT_COST),
        (CoveragePhase.EXPIRED, None),
    ],
)
def test_a_part_is_free_in_warranty_at_cost_after_it_and_not_given_once_coverage_ends(phase, charge):
    assert parts_charge(phase) is charge


@pytest.mark.parametrize("phase", [p for p in CoveragePhase if p is not CoveragePhase.EXPIRED])
def test_a_covered_asset_on_an_open_ticket_is_granted_with_the_phases_charge(phase):
    decided = replacement_entitlement(Tier.STANDARD, Severity.MAJOR, covered(phase))
    assert decided.granted
    assert decided.refusal is None
    assert decided.charge is parts_charge(phase)
    assert decided.coverage == covered(phase)


@pytest.mark.parametrize(
    ("coverage", "ticket_open", "refusal"),
    [
        (covered(CoveragePhase.EXPIRED), True, Refusal.COVERAGE_ENDED),
        (None, True, Refusal.NO_ASSET),
        (covered(CoveragePhase.IN_WARRANTY), False, Refusal.TICKET_CLOSED),
        (None, False, Refusal.TICKET_CLOSED),  # closed is said first, as reserve checks it first
    ],
)
def test_refusals(coverage, ticket_open, refusal):
    decided = replacement_entitlement(Tier.PLATINUM, Severity.CRITICAL, coverage, ticket_open=ticket_open)
    assert not decided.granted
    assert decided.refusal is refusal
    assert decided.charge is None


@pytest.mark.parametrize(
    ("tier", "severity", "priority", "preempt"),
    [
        (Tier.STANDARD, Severity.CRITICAL, False, False),
        (Tier.PREMIUM, Severity.MAJOR, True, False),
        (Tier.PREMIUM, Severity.CRITICAL, True, True),
        (Tier.PLATINUM, Severity.CRITICAL, True, True),
        (Tier.PLATINUM, Severity.MINOR, True, False),
    ],
)
def test_parts_priority_is_the_tiers_and_preemption_the_critical_faults_of_those_tiers(
    tier, severity, priority, preempt
):
    decided = replacement_entitlement(tier, severity, covered(CoveragePhase.IN_WARRANTY))
    assert (decided.parts_priority, decided.may_preempt) == (priority, preempt)
