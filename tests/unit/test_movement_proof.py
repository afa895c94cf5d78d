"""Ledger movements matched with the audit chain's stock entries, without a database."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from inventory.audit_chain import GENESIS, Entry, next_entry
from inventory.stock.movement_proof import MovementReconciler, StoredMovement

KEY = b"k" * 32
T0 = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


def receipt(movement_id: int, at: datetime, *, quantity: int = 1, unit: int | None = None) -> StoredMovement:
    return StoredMovement(
        id=movement_id,
        at=at,
        kind="receipt",
        part=2,
        unit=unit,
        batch_number="B1",
        quantity=quantity,
        from_depot=None,
        from_status=None,
        to_depot=1,
        to_status="available",
        actor="wh",
        reason="OEM DN-1",
        reference=f"receipt:{movement_id}",
    )


def entry_for(seq: int, movements: list[StoredMovement], *, subject: str | None = None) -> Entry:
    """The entry `record_movements` writes for ``movements``."""
    first = movements[0]
    return next_entry(
        prev_seq=seq - 1,
        prev_hash=GENESIS,
        at=first.at,
        actor=first.actor,
        action=f"stock.{first.kind}",
        subject=subject if subject is not None else (first.reference or f"part:{first.part}"),
        payload={
            "reason": first.reason,
            "movements": [
                [
                    m.kind,
                    m.part,
                    m.unit,
                    m.batch_number,
                    m.quantity,
                    m.from_depot,
                    m.from_status,
                    m.to_depot,
                    m.to_status,
                ]
                for m in movements
            ],
        },
        mac_key=KEY,
    )


def test_movements_match_their_entries_in_any_order():
    stored = [receipt(n, T0 + timedelta(minutes=n)) for n in range(1, 6)]
    reconciler = MovementReconciler()
    for movement in stored[:2]:
        reconciler.add_stored(movement)
    for seq, movement in enumerate(reversed(stored), start=1):
        reconciler.add_entry(entry_for(seq, [movement]))
    assert reconciler.pending() == 3
    for movement in stored[2:]:
        reconciler.add_stored(movement)
    assert (reconciler.pending(), reconciler.mismatches()) == (0, [])


def test_a_movement_without_a_reference_matches_the_part_subject():
    adjustment = replace(receipt(1, T0), kind="adjustment", reference="")
    reconciler = MovementReconciler()
    reconciler.add_entry(entry_for(1, [adjustment]))
    reconciler.add_stored(adjustment)
    assert reconciler.mismatches() == []


def test_a_changed_movement_is_paired_with_its_entry_and_the_fields_named():
    movement = receipt(4, T0, quantity=5)
    reconciler = MovementReconciler()
    reconciler.add_entry(entry_for(9, [movement]))
    reconciler.add_stored(replace(movement, quantity=50, actor="intruder"))
    [mismatch] = reconciler.mismatches()
    assert (mismatch.movement_id, mismatch.entry_seq) == (4, 9)
    assert mismatch.description == (
        "movement 4 differs from audit entry 9: quantity is 50 in the ledger but 5 in the audit chain; "
        "recorded by is 'intruder' in the ledger but 'wh' in the audit chain"
    )


def test_a_movement_the_chain_lacks_and_a_recorded_one_the_ledger_lacks_are_named():
    kept, unrecorded, lost = receipt(1, T0), receipt(2, T0 + timedelta(hours=1)), receipt(3, T0)
    reconciler = MovementReconciler()
    reconciler.add_entry(entry_for(1, [kept, lost]))
    reconciler.add_stored(kept)
    reconciler.add_stored(unrecorded)
    first, second = reconciler.mismatches()
    assert (first.movement_id, first.entry_seq) == (2, None)
    assert first.description.startswith("movement 2 (receipt of 1 of part 2 batch B1 at ")
    assert first.description.endswith("is not recorded in the audit chain")
    assert (second.movement_id, second.entry_seq) == (None, 1)
    assert second.description.endswith("that the ledger does not hold")


def test_an_unreadable_stock_entry_is_named():
    entry = replace(entry_for(3, [receipt(1, T0)]), payload="{}")
    reconciler = MovementReconciler()
    assert reconciler.add_entry(entry) == 0
    assert [m.description for m in reconciler.mismatches()] == [
        "audit entry 3 (stock.receipt) cannot be read"
    ]


def test_recorded_movements_after_the_settled_entry_are_not_reported_alone():
    """Their rows may have committed after the ledger was read past their ids."""
    early, late = receipt(1, T0), receipt(2, T0 + timedelta(hours=1))
    reconciler = MovementReconciler()
    reconciler.add_entry(entry_for(1, [early]))
    reconciler.add_entry(entry_for(2, [late]))
    assert [m.entry_seq for m in reconciler.mismatches(settled_through=1)] == [1]
    assert [m.entry_seq for m in reconciler.mismatches()] == [1, 2]
