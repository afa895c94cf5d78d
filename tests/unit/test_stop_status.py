"""The stop status rule: which events may follow which status, and what an event must carry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from inventory.errors import InvalidRequest, InvalidTransition
from routing.stop_status import ALLOWED, FINAL, IN_PROGRESS, StopStatus, next_status

S = StopStatus
AT = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)
TABLE = {
    S.PLANNED: {S.EN_ROUTE, S.ARRIVED, S.FAILED, S.CANCELLED},
    S.EN_ROUTE: {S.ARRIVED, S.FAILED, S.CANCELLED},
    S.ARRIVED: {S.DONE, S.FAILED},
    S.DONE: set(),
    S.FAILED: set(),
    S.CANCELLED: set(),
}


def test_the_table_of_allowed_transitions() -> None:
    assert {status: set(targets) for status, targets in ALLOWED.items()} == TABLE
    assert {status for status, targets in TABLE.items() if not targets} == FINAL
    assert {S.EN_ROUTE, S.ARRIVED} == IN_PROGRESS


@pytest.mark.parametrize("current", list(S))
@pytest.mark.parametrize("event", [s for s in S if s is not S.PLANNED])
def test_every_pair(current: StopStatus, event: StopStatus) -> None:
    if event in TABLE[current]:
        assert next_status(current, event, at=AT, last_at=None, reason="why") is event
    else:
        with pytest.raises(InvalidTransition):
            next_status(current, event, at=AT, last_at=None, reason="why")


def test_a_failure_needs_a_reason() -> None:
    with pytest.raises(InvalidRequest) as caught:
        next_status(S.ARRIVED, S.FAILED, at=AT, last_at=None, reason="  ")
    assert caught.value.details["field"] == "reason"
    with pytest.raises(InvalidRequest):
        next_status(S.ARRIVED, S.FAILED, at=AT, last_at=None, reason="x" * 501)
    assert next_status(S.EN_ROUTE, S.CANCELLED, at=AT, last_at=None, reason="") is S.CANCELLED


def test_events_happen_in_order() -> None:
    with pytest.raises(InvalidRequest) as caught:
        next_status(S.EN_ROUTE, S.ARRIVED, at=AT, last_at=AT + timedelta(seconds=1), reason="")
    assert caught.value.details["field"] == "at"
    assert next_status(S.EN_ROUTE, S.ARRIVED, at=AT, last_at=AT, reason="") is S.ARRIVED
