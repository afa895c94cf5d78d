"""What the receipt screen says of each scanned line: the receipt's own rules as errors, signs that a unit
is not what its box says as warnings."""

from __future__ import annotations

from inventory.stock.receipt_checks import (
    Known,
    KnownUnit,
    ScannedUnit,
    Severity,
    check_box,
    check_units,
    is_code,
    serial_prefix,
    worst,
)

PART = "HDD-SAS-1T2-10K"


def unit(serial: str, box: str = "BX1", batch: str = "B1", part: str = PART) -> ScannedUnit:
    return ScannedUnit(serial, part, box, batch)


def codes(findings) -> list[str]:
    return [finding.code for finding in findings]


def test_serial_prefix_is_the_leading_letters_shared_by_the_lowest_and_highest_serials():
    assert serial_prefix("HDD260000012", "HDD260004500") == "HDD"
    assert serial_prefix("HDD26", "WX-FAILED-1") == ""
    assert serial_prefix(None, "HDD1") == ""
    assert serial_prefix("ABC", "ABD") == "AB"


def test_a_clean_box_has_nothing_to_say():
    found = check_units([unit("HDD1"), unit("HDD2")], Known(serial_prefixes={PART: "HDD"}))
    assert found == [[], []]
    assert worst([]) is None


def test_the_receipt_s_own_refusals_are_errors():
    known = Known(
        serials={"HDD9": [KnownUnit("HDD9", PART, "BX0", "B0", "available", "PEK-C")]},
    )
    found = check_units([unit("HDD1"), unit("HDD1"), unit("HDD2", batch="B2"), unit("HDD9")], known)
    assert codes(found[0]) == []
    assert codes(found[1]) == ["duplicate"]
    assert codes(found[2]) == ["box-mixes-batches"]
    assert found[2][0].values == {"box": "BX1", "batch": "B2", "other": "B1"}
    assert codes(found[3]) == ["serial-known"]
    assert all(worst(f) == Severity.ERROR for f in found[1:])


def test_signs_of_a_wrong_unit_are_warnings():
    known = Known(
        serials={"PSU7": [KnownUnit("PSU7", "PSU-800W", "BX5", "B5", "issued", None)]},
        serial_prefixes={PART: "HDD"},
    )
    found = check_units([unit("PSU7"), unit("hdd5")], known)
    assert codes(found[0]) == ["serial-other-part", "serial-pattern"]
    assert found[0][0].values["part"] == "PSU-800W"
    assert worst(found[0]) == Severity.WARNING
    assert found[1] == []  # letters compare in any case


def test_a_box_or_batch_seen_before():
    known = Known(boxes={"BX1": [(PART, "B1")], "BX2": [("PSU-800W", "B7")]}, batches={"B7": ["PSU-800W"]})
    assert codes(check_box(PART, "BX1", "B1", known)) == ["box-known"]
    other = check_box(PART, "BX2", "B7", known)
    assert codes(other) == ["box-known-other", "batch-other-part"]
    assert other[0].values["known"] == "PSU-800W / B7"
    assert check_box(PART, "BX3", "B3", known) == []


def test_what_can_be_a_code():
    assert is_code("HDD-SAS_1/2.3")
    assert not is_code("")
    assert not is_code("two words")
    assert not is_code("x" * 101)
