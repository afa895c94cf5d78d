"""Rules for entered times and request bodies, without a server."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from api.requests import is_json_media_type, nests_deeper_than
from api.schemas.base import control_character
from inventory.errors import InvalidRequest
from inventory.time_window import (
    TimeBounds,
    check_acceptance_day,
    check_inspection_day,
    check_plan_day,
    check_reported_time,
)

NOW = datetime(2026, 12, 6, 9, 30, tzinfo=UTC)
BOUNDS = TimeBounds()


@pytest.mark.parametrize(
    "value",
    [NOW, NOW + timedelta(minutes=5), NOW - timedelta(days=60), NOW - timedelta(days=59, hours=23)],
)
def test_reported_times_within_the_window_pass(value):
    check_reported_time("reported_at", value, now=NOW, bounds=BOUNDS)


@pytest.mark.parametrize(
    "value",
    [
        NOW + timedelta(minutes=5, seconds=1),
        NOW - timedelta(days=60, seconds=1),
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(2999, 1, 1, tzinfo=UTC),
    ],
)
def test_reported_times_outside_the_window_name_the_field_and_the_range(value):
    with pytest.raises(InvalidRequest) as refused:
        check_reported_time("reported_at", value, now=NOW, bounds=BOUNDS)
    assert refused.value.details == {
        "field": "reported_at",
        "earliest": "2026-10-07T09:30:00+00:00",
        "latest": "2026-12-06T09:35:00+00:00",
    }
    assert "2026-10-07T09:30+00:00 and 2026-12-06T09:35+00:00" in refused.value.message


def test_the_window_follows_the_bounds():
    strict = TimeBounds(clock_skew=timedelta(0), report_max_age=timedelta(days=1))
    with pytest.raises(InvalidRequest):
        check_reported_time("at", NOW + timedelta(seconds=1), now=NOW, bounds=strict)
    with pytest.raises(InvalidRequest):
        check_reported_time("at", NOW - timedelta(days=2), now=NOW, bounds=strict)


def test_plan_days():
    today = NOW.date()
    check_plan_day("date", today - timedelta(days=7), today=today, bounds=BOUNDS)
    check_plan_day("date", today + timedelta(days=60), today=today, bounds=BOUNDS)
    for day in (today - timedelta(days=8), today + timedelta(days=61), date(1, 1, 1), date(9999, 12, 31)):
        with pytest.raises(InvalidRequest, match="date must lie between 2026-11-29 and 2027-02-04"):
            check_plan_day("date", day, today=today, bounds=BOUNDS)


def test_acceptance_and_inspection_days():
    today = NOW.date()
    check_acceptance_day("accepted_on", date(1998, 3, 1), today=today, bounds=BOUNDS)
    check_acceptance_day("accepted_on", today + timedelta(days=1), today=today, bounds=BOUNDS)
    for day in (date(1969, 12, 31), today + timedelta(days=2), date(9999, 12, 31)):
        with pytest.raises(InvalidRequest):
            check_acceptance_day("accepted_on", day, today=today, bounds=BOUNDS)
    check_inspection_day("due_on", today - timedelta(days=200), today=today, bounds=BOUNDS)
    for day in (date(1, 1, 1), today + timedelta(days=366 * 11)):
        with pytest.raises(InvalidRequest):
            check_inspection_day("due_on", day, today=today, bounds=BOUNDS)


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("plain", None),
        ("tab\tnew\nline\r", None),
        ("a\x00b", "U+0000"),
        ("\x1b[31m", "U+001B"),
        ("\x7f", "U+007F"),
    ],
)
def test_control_characters(text, found):
    assert control_character(text) == found


@pytest.mark.parametrize(
    ("media_type", "is_json"),
    [
        ("application/json", True),
        ("Application/JSON", True),
        ("application/merge-patch+json", True),
        ("application/problem+json", True),
        ("text/plain", False),
        ("application/x-www-form-urlencoded", False),
        ("", False),
    ],
)
def test_json_media_types(media_type, is_json):
    assert is_json_media_type(media_type) is is_json


def test_nesting_depth_counts_brackets_outside_strings_only():
    assert not nests_deeper_than(b"[" * 32 + b"]" * 32, 32)
    assert nests_deeper_than(b"[" * 33 + b"]" * 33, 32)
    assert not nests_deeper_than(b'{"a": "' + b"[" * 100 + b'"}', 32)
    assert not nests_deeper_than(b'["\\"' + b"[" * 40 + b'"]', 32)
    assert nests_deeper_than(b'["\\\\"' + b"[" * 40, 32)
    assert not nests_deeper_than(b"[" + b"{}," * 1_000 + b"{}]", 32)


@settings(deadline=None)
@given(
    st.recursive(st.integers() | st.text(), lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner))
)
def test_nesting_depth_agrees_with_the_structure(value):

    def depth(item) -> int:
        if isinstance(item, list):
            return 1 + max(map(depth, item), default=0)
        if isinstance(item, dict):
            return 1 + max(map(depth, item.values()), default=0)
        return 0

    body = json.dumps(value).encode()
    for limit in range(6):
        assert nests_deeper_than(body, limit) is (depth(value) > limit)
