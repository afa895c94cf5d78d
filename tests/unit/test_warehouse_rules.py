"""Counts' variances, the four-eyes rule, vendor return steps and returned serials."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from inventory.errors import InvalidTransition, SecondPersonRequired, SerialMismatch
from inventory.stock.count_rules import CountedLine, VarianceKind, variances
from inventory.stock.four_eyes import check_second_person
from inventory.stock.rma_rules import RmaState, check_rma_step
from inventory.tickets.return_rules import check_returned_serial, is_overdue


def test_variances_per_serial_and_per_batch():
    shelf_units = {("HDD", "S1"): "B1", ("HDD", "S2"): "B1"}
    shelf_batches = {("CBL", "L1"): 20, ("CBL", "L2"): 5}
    counted = [
        CountedLine("HDD", "S1", "B1", 1),
        CountedLine("HDD", "S9", "B1", 1),
        CountedLine("CBL", None, "L1", 12),
        CountedLine("CBL", None, "L1", 8),
        CountedLine("CBL", None, "L3", 2),
    ]
    found = variances(shelf_units, shelf_batches, counted)
    assert [(v.kind, v.serial, v.batch_number, v.difference) for v in found] == [
        (VarianceKind.MISSING, "S2", "B1", -1),
        (VarianceKind.UNKNOWN, "S9", "B1", 1),
        (VarianceKind.QUANTITY, None, "L2", -5),
        (VarianceKind.QUANTITY, None, "L3", 2),
    ]
    assert (
        variances(
            shelf_units,
            shelf_batches,
            [
                CountedLine("HDD", "S1", "B1", 1),
                CountedLine("HDD", "S2", "B1", 1),
                CountedLine("CBL", None, "L1", 20),
                CountedLine("CBL", None, "L2", 5),
            ],
        )
        == []
    )


def test_a_second_person_approves():
    check_second_person("bo", ["al", "cy"], what="count 1")
    with pytest.raises(SecondPersonRequired) as raised:
        check_second_person("al", ["al", "cy"], what="count 1")
    assert raised.value.details["involved"] == ["al", "cy"]


def test_vendor_return_steps():
    check_rma_step(RmaState.OPEN, RmaState.SHIPPED)
    check_rma_step(RmaState.SHIPPED, RmaState.REPLACED)
    check_rma_step(RmaState.SHIPPED, RmaState.CREDITED)
    for current, target in (
        (RmaState.OPEN, RmaState.CREDITED),
        (RmaState.CREDITED, RmaState.REPLACED),
        (RmaState.SHIPPED, RmaState.SHIPPED),
    ):
        with pytest.raises(InvalidTransition):
            check_rma_step(current, target)


def test_the_returned_serial_is_the_failed_one():
    check_returned_serial("WX-0003", " wx-0003 ")
    with pytest.raises(SerialMismatch) as raised:
        check_returned_serial("WX-0003", "WX-0004")
    assert (raised.value.details["expected"], raised.value.details["returned"]) == ("WX-0003", "WX-0004")


def test_a_return_is_overdue_after_the_configured_days():
    issued = datetime(2026, 12, 1, tzinfo=UTC)
    assert not is_overdue("expected", issued, issued + timedelta(days=9), 10)
    assert is_overdue("expected", issued, issued + timedelta(days=10), 10)
    assert not is_overdue("received", issued, issued + timedelta(days=30), 10)
