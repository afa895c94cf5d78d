"""Receipt rules, without a database."""

from __future__ import annotations

import pytest

from inventory.errors import AlreadyExists, InvalidRequest
from inventory.stock.model import (
    ReceiptLine,
    ReceivedUnit,
    UnitStatus,
    check_receipt,
    check_status_change,
    delivery_key,
)

SERIALIZED = {"DISK": True, "CABLE": False}


def unit(serial: str, box: str = "BOX1", batch: str = "B1") -> ReceivedUnit:
    return ReceivedUnit(serial, box, batch)


def test_valid_lines_pass_with_their_quantities():
    lines = [
        ReceiptLine("DISK", None, None, (unit("S1"), unit("S2"))),
        ReceiptLine("CABLE", 40, "L1", ()),
    ]
    checked = check_receipt(lines, SERIALIZED)
    assert [(line.part_number, line.quantity) for line in checked] == [("DISK", 2), ("CABLE", 40)]


@pytest.mark.parametrize(
    ("line", "field"),
    [
        (ReceiptLine("NOPE", 1, "B", ()), "lines[0].part_number"),
        (ReceiptLine("DISK", 2, None, ()), "lines[0].units"),
        (ReceiptLine("DISK", 3, None, (unit("S1"),)), "lines[0].quantity"),
        (ReceiptLine("DISK", None, "B9", (unit("S1"),)), "lines[0].units[0].batch_number"),
        (ReceiptLine("CABLE", 1, "B", (unit("S1"),)), "lines[0].units"),
        (ReceiptLine("CABLE", None, "B", ()), "lines[0].quantity"),
        (ReceiptLine("CABLE", 0, "B", ()), "lines[0].quantity"),
    ],
)
def test_rule_breaking_lines_name_their_field(line, field):
    with pytest.raises(InvalidRequest) as raised:
        check_receipt([line], SERIALIZED)
    assert raised.value.details["field"] == field


def test_a_bulk_line_without_batch_is_the_unbatched_lot():
    assert check_receipt([ReceiptLine("CABLE", 5, None, ())], SERIALIZED)[0].batch_number == ""


def test_empty_receipt_is_refused():
    with pytest.raises(InvalidRequest):
        check_receipt([], SERIALIZED)


def test_duplicate_serial_across_lines_is_a_conflict():
    lines = [
        ReceiptLine("DISK", None, None, (unit("S1"),)),
        ReceiptLine("DISK", None, None, (unit("S1", "BOX2"),)),
    ]
    with pytest.raises(AlreadyExists) as raised:
        check_receipt(lines, SERIALIZED)
    assert raised.value.details["serials"] == ["S1"]


def test_box_mixing_batches_across_lines_is_refused():
    lines = [
        ReceiptLine("DISK", None, None, (unit("S1", "BOX1", "B1"),)),
        ReceiptLine("DISK", None, None, (unit("S2", "BOX1", "B2"),)),
    ]
    with pytest.raises(InvalidRequest) as raised:
        check_receipt(lines, SERIALIZED)
    assert raised.value.details["batches"] == ["B1", "B2"]


def test_status_changes_a_warehouse_may_make():
    check_status_change(UnitStatus.AVAILABLE, UnitStatus.QUARANTINED)
    check_status_change(UnitStatus.DEFECTIVE, UnitStatus.RETURNED_TO_VENDOR)
    for current, target in (
        (UnitStatus.AVAILABLE, UnitStatus.ISSUED),
        (UnitStatus.RESERVED, UnitStatus.QUARANTINED),
        (UnitStatus.IN_TRANSIT, UnitStatus.AVAILABLE),
        (UnitStatus.AVAILABLE, UnitStatus.RETURNED_TO_VENDOR),
    ):
        with pytest.raises(InvalidRequest):
            check_status_change(current, target)


def test_a_delivery_note_is_known_however_it_is_typed():
    key = delivery_key("Seagate OEM", "DN-2026-0001")
    full_width = "DN-2026-0001".translate({code: code + 0xFEE0 for code in range(0x21, 0x7F)})
    for supplier, reference in (
        ("seagate oem", "dn-2026-0001"),
        ("  Seagate   OEM ", "DN-2026-0001\t"),
        ("SEAGATE OEM", full_width),
    ):
        assert delivery_key(supplier, reference) == key
    for supplier, reference in (
        ("Seagate OEM", "DN20260001"),
        ("Seagate", "OEM DN-2026-0001"),
        ("Seagate OEM", "DN-2026-0002"),
        ("Seagate OEM2", "DN-2026-0001"),
    ):
        assert delivery_key(supplier, reference) != key
    assert len(key) == 64
