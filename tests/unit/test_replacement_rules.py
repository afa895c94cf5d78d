"""The fit and quantity rule, availability in words, and a replacement request's decision and states."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from geo.travel import Point
from inventory.customers.warranty import Coverage, CoveragePhase
from inventory.errors import InvalidTransition
from inventory.tickets.entitlement import Refusal, replacement_entitlement
from inventory.tickets.fit import BillLine, FitRefusal, check_fit, positions
from inventory.tickets.priority import Severity, Tier
from inventory.tickets.replacement_rules import (
    RequestState,
    Withdrawal,
    check_transition,
    check_withdrawal,
    decide,
    withdrawal,
)
from inventory.tickets.sourcing import Availability, DepotStock, availability

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
BILL = (
    BillLine("DIMM-32G-4800", 16),
    BillLine("DIMM-32G-5600", 16, supersedes="DIMM-32G-4800"),
    BillLine("PSU-800W", 2),
)
BEIJING = Point(39.9153, 116.3589)


def test_a_part_fits_as_installed_or_as_an_alternate_and_shares_its_position() -> None:
    assert [(p.part_number, p.installed, p.alternates) for p in positions(BILL)] == [
        ("DIMM-32G-4800", 16, ("DIMM-32G-5600",)),
        ("PSU-800W", 2, ()),
    ]
    assert check_fit(BILL, "DIMM-32G-5600", 16, {}).fits
    decided = check_fit(BILL, "DIMM-32G-5600", 3, {"DIMM-32G-4800": 14})
    assert decided.refusal is FitRefusal.OVER_INSTALLED_QUANTITY
    assert decided.may_still_hold == 2
    assert check_fit(BILL, "PSU-800W", 2, {"DIMM-32G-4800": 16}).fits


def test_a_part_off_the_bill_or_a_model_without_one_is_refused() -> None:
    assert check_fit(BILL, "KIT-RAIL-4U", 1, {}).refusal is FitRefusal.NOT_FITTED
    assert check_fit((), "PSU-800W", 1, {}).refusal is FitRefusal.NO_BILL_OF_PARTS
    with pytest.raises(ValueError, match="positive"):
        check_fit(BILL, "PSU-800W", 0, {})
    with pytest.raises(ValueError, match="does not install"):
        positions([BillLine("PSU-900W", 2, supersedes="PSU-800W")])


def test_availability_is_said_in_words() -> None:
    near = DepotStock("PEK-C", Point(39.90, 116.40), 3)
    far = DepotStock("CAN-C", Point(23.13, 113.26), 3)
    assert availability([far, near], BEIJING, now=NOW) is Availability.FOUR_HOURS
    assert availability([far], BEIJING, now=NOW) is Availability.NEXT_BUSINESS_DAY
    assert availability([DepotStock("PEK-C", Point(39.90, 116.40), 0)], BEIJING, now=NOW) is (
        Availability.NOT_AVAILABLE
    )


def _entitlement(tier: Tier, phase: CoveragePhase, *, ticket_open: bool = True):
    return replacement_entitlement(
        tier, Severity.CRITICAL, Coverage(date(2027, 1, 1), phase), ticket_open=ticket_open
    )


def test_in_warranty_is_free_post_warranty_at_cost_with_its_basis_expired_refused() -> None:
    free = decide(
        _entitlement(Tier.PLATINUM, CoveragePhase.IN_WARRANTY),
        unit_cost=Decimal("980.00"),
        quantity=2,
        restore_breached=False,
        replacement_due=None,
    )
    assert (free.state, free.price, free.needs_acceptance) == (RequestState.REQUESTED, None, False)
    charged = decide(
        _entitlement(Tier.STANDARD, CoveragePhase.POST_WARRANTY_COSTS_ONLY),
        unit_cost=Decimal("980.00"),
        quantity=2,
        restore_breached=False,
        replacement_due=None,
    )
    assert charged.needs_acceptance
    assert charged.price.total == Decimal("1960.00")
    refused = decide(
        _entitlement(Tier.PREMIUM, CoveragePhase.EXPIRED),
        unit_cost=Decimal("1"),
        quantity=1,
        restore_breached=False,
        replacement_due=None,
    )
    assert (refused.state, refused.refusal) == (RequestState.REFUSED, Refusal.COVERAGE_ENDED)


def test_the_replacement_right_is_the_premium_tiers_once_restore_is_breached() -> None:
    due = NOW + timedelta(hours=40)
    for tier, breached, applies in (
        (Tier.PLATINUM, True, True),
        (Tier.PREMIUM, True, True),
        (Tier.STANDARD, True, False),
        (Tier.PLATINUM, False, False),
    ):
        decided = decide(
            _entitlement(tier, CoveragePhase.IN_WARRANTY),
            unit_cost=Decimal("1"),
            quantity=1,
            restore_breached=breached,
            replacement_due=due,
        )
        assert decided.right.applies is applies
        assert decided.right.due_at == (due if applies else None)


def test_request_states_follow_their_transitions() -> None:
    check_transition(RequestState.REQUESTED, RequestState.PENDING_DISPATCHER)
    check_transition(RequestState.PENDING_DISPATCHER, RequestState.APPROVED)
    check_transition(RequestState.APPROVED, RequestState.FULFILLED)
    for current, to in (
        (RequestState.FULFILLED, RequestState.WITHDRAWN),
        (RequestState.REFUSED, RequestState.APPROVED),
        (RequestState.WITHDRAWN, RequestState.REQUESTED),
        (RequestState.APPROVED, RequestState.REFUSED),
    ):
        with pytest.raises(InvalidTransition):
            check_transition(current, to)
    check_withdrawal(RequestState.APPROVED, part_left_depot=False)
    with pytest.raises(InvalidTransition, match="left the depot"):
        check_withdrawal(RequestState.APPROVED, part_left_depot=True)


@pytest.mark.parametrize(
    ("state", "left", "expected"),
    [
        (RequestState.REQUESTED, False, Withdrawal.POSSIBLE),
        (RequestState.PENDING_DISPATCHER, False, Withdrawal.POSSIBLE),
        (RequestState.APPROVED, False, Withdrawal.POSSIBLE),
        (RequestState.APPROVED, True, Withdrawal.PART_LEFT_DEPOT),
        (RequestState.FULFILLED, True, Withdrawal.CLOSED),
        (RequestState.REFUSED, False, Withdrawal.CLOSED),
        (RequestState.WITHDRAWN, False, Withdrawal.CLOSED),
    ],
)
def test_a_request_may_be_withdrawn_until_its_part_has_left_the_depot(
    state: RequestState, left: bool, expected: Withdrawal
) -> None:
    """What the portal offers is what a withdrawal is allowed: one rule for both."""
    assert withdrawal(state, part_left_depot=left) is expected
    if expected is Withdrawal.POSSIBLE:
        check_withdrawal(state, part_left_depot=left)
    else:
        with pytest.raises(InvalidTransition):
            check_withdrawal(state, part_left_depot=left)
