"""The rules of sanitization, without a server: when a returned unit may leave quarantine, which policy
applies and what it allows, which documents are accepted, and how the register is written for an auditor."""

from __future__ import annotations

import ast
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from inventory.secure_media import document_types, evidence_verifier
from inventory.secure_media.register_export import COLUMNS, local_time, row_of, safe_cell, utc_time
from inventory.secure_media.rules import (
    InvalidRequest,
    Policy,
    PolicyViolated,
    RetentionState,
    Sanitization,
    SanitizationMethod,
    SanitizationRequired,
    Technique,
    check_policy,
    check_policy_definition,
    ensure_may_arrive_as_stock,
    ensure_may_leave_quarantine,
    policy_for,
)
from inventory.secure_media.views import EventView, RetentionView
from inventory.stock.model import UnitStatus

RETAINED = Sanitization(1, RetentionState.RETAINED, None)
PURGED = Sanitization(2, RetentionState.VERIFIED, SanitizationMethod.PURGE)
DESTROYED = Sanitization(3, RetentionState.CLOSED, SanitizationMethod.DESTROY)
RECORDED = Sanitization(4, RetentionState.DESTRUCTION_RECORDED, SanitizationMethod.PURGE)


@pytest.mark.parametrize(
    ("current", "target", "records", "refused"),
    [
        (UnitStatus.QUARANTINED, UnitStatus.AVAILABLE, [RETAINED], True),
        (UnitStatus.QUARANTINED, UnitStatus.AVAILABLE, [RECORDED], True),
        (UnitStatus.DEFECTIVE, UnitStatus.RETURNED_TO_VENDOR, [RECORDED], True),
        (UnitStatus.QUARANTINED, UnitStatus.AVAILABLE, [PURGED], False),
        (UnitStatus.DEFECTIVE, UnitStatus.RETURNED_TO_VENDOR, [PURGED], False),
        (UnitStatus.QUARANTINED, UnitStatus.AVAILABLE, [DESTROYED], True),
        (UnitStatus.DEFECTIVE, UnitStatus.RETURNED_TO_VENDOR, [DESTROYED], False),
        (UnitStatus.QUARANTINED, UnitStatus.DEFECTIVE, [RETAINED], False),  # stays in quarantine
        (UnitStatus.QUARANTINED, UnitStatus.AVAILABLE, [], False),  # not returned secure media
        (UnitStatus.AVAILABLE, UnitStatus.QUARANTINED, [RETAINED], False),
        (UnitStatus.QUARANTINED, UnitStatus.AVAILABLE, [PURGED, RETAINED], True),  # returned twice
        (UnitStatus.DEFECTIVE, UnitStatus.SCRAPPED, [RECORDED], True),
        (UnitStatus.QUARANTINED, UnitStatus.SCRAPPED, [PURGED], False),
    ],
)
def test_a_returned_unit_leaves_quarantine_only_once_sanitized(current, target, records, refused):
    if refused:
        with pytest.raises(SanitizationRequired) as raised:
            ensure_may_leave_quarantine("S1", current, target, records)
        assert raised.value.details["rule"] == "returned-secure-media-sanitized"
        assert "returned-secure-media-sanitized" in raised.value.message
    else:
        ensure_may_leave_quarantine("S1", current, target, records)


@pytest.mark.parametrize(
    ("records", "refused"),
    [([RETAINED], True), ([RECORDED], True), ([DESTROYED], True), ([PURGED], False), ([], False)],
)
def test_a_returned_unit_arrives_as_stock_only_once_sanitized_and_not_destroyed(records, refused):
    if refused:
        with pytest.raises(SanitizationRequired) as raised:
            ensure_may_arrive_as_stock("S1", records)
        assert raised.value.details["rule"] == "returned-secure-media-sanitized"
        assert "returns desk" in raised.value.message
    else:
        ensure_may_arrive_as_stock("S1", records)


SECRET = Policy(
    "secret/*", "secret", "*", frozenset({SanitizationMethod.DESTROY}), frozenset({Technique.SHRED})
)
SECRET_SSD = Policy(
    "secret/ssd",
    "secret",
    "ssd",
    frozenset({SanitizationMethod.DESTROY}),
    frozenset({Technique.DISINTEGRATE}),
)


def test_a_media_type_s_own_policy_comes_before_its_level_s():
    assert policy_for("secret", "ssd", [SECRET, SECRET_SSD]) is SECRET_SSD
    assert policy_for("secret", "disk", [SECRET, SECRET_SSD]) is SECRET
    assert policy_for("restricted", "disk", [SECRET, SECRET_SSD]) is None


def test_a_destruction_outside_its_policy_is_refused_naming_the_policy():
    with pytest.raises(PolicyViolated) as raised:
        check_policy(SECRET, SanitizationMethod.PURGE, Technique.CRYPTO_ERASE)
    assert raised.value.details["policy"] == "secret/*"
    assert raised.value.details["field"] == "method"
    with pytest.raises(PolicyViolated):
        check_policy(SECRET, SanitizationMethod.DESTROY, Technique.MELT)
    check_policy(SECRET, SanitizationMethod.DESTROY, Technique.SHRED)
    check_policy(None, SanitizationMethod.CLEAR, Technique.OVERWRITE)


def test_a_policy_allows_only_techniques_of_its_methods():
    every = check_policy_definition("", "*", ["purge"], [])
    assert every.name == "unclassified/*"
    assert Technique.CRYPTO_ERASE in every.techniques
    assert Technique.SHRED not in every.techniques
    with pytest.raises(InvalidRequest):
        check_policy_definition("secret", "ssd", ["destroy"], ["degauss"])
    with pytest.raises(InvalidRequest):
        check_policy_definition("secret", "ssd", [], [])


def test_documents_are_typed_by_their_content():
    assert document_types.content_type_of(b"%PDF-1.7\n...", max_bytes=100) == "application/pdf"
    assert document_types.content_type_of(b"\xff\xd8\xff\xe0" + b"\x00" * 20, max_bytes=100) == "image/jpeg"
    assert document_types.content_type_of(b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, max_bytes=100) == "image/png"
    for refused in (b"", b"<html><script>", b"MZ\x90\x00" + b"\x00" * 20, b"%PDF-" + b"x" * 200):
        with pytest.raises(document_types.DocumentRejected):
            document_types.content_type_of(refused, max_bytes=100)


def test_no_cell_of_the_register_is_a_formula():
    assert [safe_cell(v) for v in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "plain", 3, True, False, None)] == [
        "'=1+1", "'+1", "'-1", "'@SUM(A1)", "'\tx", "plain", 3, "yes", "no", "",
    ]  # fmt: skip


def test_register_times_carry_their_offset_and_the_site_s_local_time():
    moment = datetime(2026, 11, 24, 2, 30, 15, 123456, tzinfo=UTC)
    assert utc_time(moment) == "2026-11-24T02:30:15+00:00"
    assert local_time(moment, "Asia/Shanghai") == "2026-11-24T10:30:15+08:00"
    assert local_time("2026-11-24T10:00:00+08:00", "Asia/Urumqi") == "2026-11-24T08:00:00+06:00"
    record = RetentionView(
        id=1, ticket=2, customer="ZHB", customer_name="Zhonghe Bank", site="BJ", site_name="Beijing",
        timezone="Asia/Shanghai", asset_serial=None, part_number="SSD-1", failed_serial="=cmd",
        media_type="ssd", classification_level="secret", custodian="ZHB", state="verified", overdue=False,
        age_days=3, created_at=moment, created_by="dispatcher", destruction_due=moment, custody="customer",
        events=[EventView(5, "verification", {"result": "accepted"}, "officer", "compliance", moment)],
    )  # fmt: skip
    row = dict(zip(COLUMNS, row_of(record, moment), strict=True))
    assert (row["failed_serial"], row["overdue"], row["verification_result"]) == ("'=cmd", "no", "accepted")
    assert (row["verified_at"], row["verified_at_local"]) == (
        "2026-11-24T02:30:15+00:00",
        "2026-11-24T10:30:15+08:00",
    )


def test_the_verifier_needs_only_the_standard_library_and_cryptography():
    tree = ast.parse(Path(evidence_verifier.__file__).read_text())
    imported = {
        (node.module if isinstance(node, ast.ImportFrom) else alias.name).split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert imported - set(sys.stdlib_module_names) == {"cryptography"}
