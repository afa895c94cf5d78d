"""What arrived against a notice, compared with its manifest."""

from __future__ import annotations

from inventory.stock.model import CheckedLine, ReceivedUnit
from inventory.stock.notice_rules import Announced, Discrepancy, match_arrival

MANIFEST = [
    Announced(1, "HDD", "S1", "BX1", "B1", 1),
    Announced(2, "HDD", "S2", "BX1", "B1", 1),
    Announced(3, "HDD", "S3", "BX2", "B1", 1),
    Announced(4, "CBL", None, "", "L1", 10),
    Announced(5, "CBL", None, "", "L1", 5),
]


def units(*triples: tuple[str, str, str]) -> CheckedLine:
    return CheckedLine("HDD", len(triples), None, tuple(ReceivedUnit(*triple) for triple in triples))


def test_everything_as_announced_matches():
    matching = match_arrival(
        MANIFEST,
        [
            units(("S1", "BX1", "B1"), ("S2", "BX1", "B1"), ("S3", "BX2", "B1")),
            CheckedLine("CBL", 15, "L1", ()),
        ],
    )
    assert matching.findings == []
    assert matching.missing == []
    assert sum(arrival.quantity for arrival in matching.arrivals) == 18


def test_the_batch_is_named_before_the_box():
    matching = match_arrival(MANIFEST, [units(("S1", "BX9", "B9"), ("S2", "BX9", "B1"))])
    reasons = {arrival.serial: arrival.reason for arrival in matching.findings}
    assert reasons == {"S1": Discrepancy.BATCH_DIFFERS, "S2": Discrepancy.BOX_DIFFERS}
    first = matching.findings[0]
    assert (first.expected_batch_number, first.expected_box_number) == ("B1", "BX1")


def test_missing_unexpected_and_excess():
    matching = match_arrival(
        MANIFEST,
        [
            units(("S1", "BX1", "B1"), ("X9", "BX1", "B1")),
            CheckedLine("CBL", 12, "L1", ()),
            CheckedLine("CBL", 3, "L2", ()),
        ],
    )
    assert {(a.serial, a.reason) for a in matching.findings} == {
        ("X9", Discrepancy.UNEXPECTED),
        (None, Discrepancy.UNEXPECTED),
    }
    assert [(line.serial, line.quantity) for line in matching.missing] == [("S2", 1), ("S3", 1), (None, 3)]
    over = match_arrival(MANIFEST, [CheckedLine("CBL", 18, "L1", ())])
    assert [(a.reason, a.quantity) for a in over.arrivals] == [(None, 10), (None, 5), (Discrepancy.EXCESS, 3)]
