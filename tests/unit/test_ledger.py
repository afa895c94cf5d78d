"""Ledger arithmetic, without a database."""

from __future__ import annotations

from collections import Counter

from inventory.stock.ledger import Level, MovementFlow, compare, levels, replay


def flow(qty, from_depot=None, from_status=None, to_depot=None, to_status=None, part="P", batch="B"):
    return MovementFlow(part, batch, qty, from_depot, from_status, to_depot, to_status)


def test_replay_and_levels():
    positions = replay(
        [
            flow(5, to_depot="A", to_status="available"),
            flow(2, "A", "available", "B", "in_transit"),
            flow(1, "A", "available", "A", "reserved"),
            flow(1, "A", "reserved", None, "issued"),
            flow(1, "B", "in_transit", "B", "available"),
        ]
    )
    assert positions == Counter(
        {("A", "P", "B", "available"): 2, ("B", "P", "B", "in_transit"): 1, ("B", "P", "B", "available"): 1}
    )
    assert levels(positions) == {("A", "P"): Level(on_hand=2), ("B", "P"): Level(on_hand=1, in_transit=1)}
    assert Level(on_hand=5, reserved=2).available == 3


def test_compare_finds_every_kind_of_difference():
    ledger = Counter({("A", "P", "B", "available"): 3})
    assert compare(ledger, ledger, {("A", "P"): Level(on_hand=3)}) == []
    found = compare(ledger, Counter({("A", "P", "B", "available"): 2}), {("A", "P"): Level(on_hand=4)})
    assert [d.kind for d in found] == ["position", "level"]
    negative = compare(Counter(), Counter({("A", "P", "B", "available"): -1}), {})
    assert {d.kind for d in negative} == {"position", "negative"}
