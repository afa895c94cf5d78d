"""What lands of a transfer: everything in transit, named serials, or a bulk quantity. No database."""

from __future__ import annotations

import pytest

from inventory.errors import InvalidRequest, InvalidTransition
from inventory.stock.model import ShippedLine, plan_arrival

UNITS = [
    ShippedLine(1, "S1", "B1", 1),
    ShippedLine(2, "S2", "B1", 1, received=1),
    ShippedLine(3, "S3", "B2", 1),
]
BULK = [ShippedLine(7, None, "OLD", 3, received=1), ShippedLine(8, None, "NEW", 10)]


def landing(arriving) -> list[tuple[int, int]]:
    return [(line.id, count) for line, count in arriving]


def test_nothing_named_lands_everything_still_in_transit():
    assert landing(plan_arrival(UNITS)) == [(1, 1), (3, 1)]
    assert landing(plan_arrival(BULK)) == [(7, 2), (8, 10)]


def test_named_serials_land_exactly_those_units():
    assert landing(plan_arrival(UNITS, serials=["S3"])) == [(3, 1)]
    assert landing(plan_arrival(UNITS, serials=["S3", "S1"])) == [(3, 1), (1, 1)]


def test_a_bulk_quantity_lands_from_the_oldest_batch_first():
    assert landing(plan_arrival(BULK, quantity=2)) == [(7, 2)]
    assert landing(plan_arrival(BULK, quantity=5)) == [(7, 2), (8, 3)]
    assert landing(plan_arrival(BULK, quantity=12)) == [(7, 2), (8, 10)]


@pytest.mark.parametrize(
    ("lines", "asked", "field", "named"),
    [
        (UNITS, {"serials": ["S1", "NOPE", "ALSO-NOT"]}, "serials", ["ALSO-NOT", "NOPE"]),
        (UNITS, {"serials": ["S1", "S1"]}, "serials", None),
        (UNITS, {"serials": []}, "serials", None),
        (UNITS, {"quantity": 1}, "quantity", None),
        (BULK, {"serials": ["S1"]}, "serials", None),
        (BULK, {"quantity": 0}, "quantity", None),
        (BULK, {"quantity": 14}, "quantity", None),
        (BULK, {"serials": ["S1"], "quantity": 1}, "quantity", None),
    ],
)
def test_requests_that_do_not_fit_the_transfer_are_invalid(lines, asked, field, named):
    with pytest.raises(InvalidRequest) as refused:
        plan_arrival(lines, **asked)
    assert refused.value.details["field"] == field
    assert refused.value.details.get("serials") == named


def test_what_already_landed_cannot_land_again():
    with pytest.raises(InvalidTransition) as refused:
        plan_arrival(UNITS, serials=["S3", "S2"])
    assert refused.value.details["serials"] == ["S2"]
    with pytest.raises(InvalidTransition) as refused:
        plan_arrival(BULK, quantity=13)  # the transfer carries 13, but one has landed
    assert refused.value.details["in_transit"] == 12
    landed = [ShippedLine(1, "S1", "B1", 1, received=1)]
    with pytest.raises(InvalidTransition):
        plan_arrival(landed)
    with pytest.raises(InvalidTransition):
        plan_arrival(landed, serials=["S1"])
