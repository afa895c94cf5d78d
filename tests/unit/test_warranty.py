"""Warranty arithmetic: end dates extended by downtime, coverage phases."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inventory.customers.warranty import (
    Coverage,
    CoveragePhase,
    Downtime,
    add_years,
    coverage,
    coverage_phase,
    total_downtime,
    warranty_end,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def fault(start: datetime, hours: float | None, user_caused: bool = False) -> Downtime:
    return Downtime(start, None if hours is None else start + timedelta(hours=hours), user_caused)


@pytest.mark.parametrize(
    ("day", "years", "result"),
    [
        (date(2026, 3, 15), 3, date(2029, 3, 15)),
        (date(2024, 2, 29), 3, date(2027, 2, 28)),
        (date(2024, 2, 29), 4, date(2028, 2, 29)),
        (date(2026, 1, 31), 0, date(2026, 1, 31)),
    ],
)
def test_add_years(day, years, result):
    assert add_years(day, years) == result


def test_warranty_runs_from_acceptance():
    assert warranty_end(date(2026, 3, 15), 3) == date(2029, 3, 15)
    assert warranty_end(date(2024, 2, 29), 3) == date(2027, 2, 28)


def test_downtime_not_caused_by_the_user_extends_it_rounded_up():
    downtimes = [
        fault(at(2026, 5, 1, 10), 5),  # 5 h
        fault(at(2026, 6, 1, 10), 30),  # 30 h
        fault(at(2026, 7, 1, 10), 500, user_caused=True),  # does not count
    ]
    assert total_downtime(downtimes) == timedelta(hours=35)
    assert warranty_end(date(2026, 3, 15), 3, downtimes) == date(2029, 3, 17)
    assert warranty_end(date(2026, 3, 15), 3, [fault(at(2026, 5, 1), 24)]) == date(2029, 3, 16)
    assert warranty_end(date(2026, 3, 15), 3, [fault(at(2026, 5, 1), 0)]) == date(2029, 3, 15)


def test_overlapping_downtimes_count_once():
    downtimes = [
        fault(at(2026, 5, 1, 10), 10),  # 10:00-20:00
        fault(at(2026, 5, 1, 12), 2),  # inside
        fault(at(2026, 5, 1, 18), 6),  # 18:00-00:00
        fault(at(2026, 5, 2), 1),  # touches the end: 00:00-01:00
        fault(at(2026, 5, 3), 1),
    ]
    assert total_downtime(downtimes) == timedelta(hours=16)


def test_an_open_downtime_counts_up_to_as_of():
    downtimes = [fault(at(2026, 5, 1, 10), None), fault(at(2026, 5, 1, 8), 4)]
    assert total_downtime(downtimes, as_of=at(2026, 5, 3, 10)) == timedelta(hours=50)
    assert warranty_end(date(2026, 3, 15), 3, downtimes, as_of=at(2026, 5, 3, 10)) == date(2029, 3, 18)
    assert total_downtime([fault(at(2026, 5, 1), None)], as_of=at(2026, 4, 1)) == timedelta(0)
    with pytest.raises(ValueError, match="as_of"):
        warranty_end(date(2026, 3, 15), 3, downtimes)


@pytest.mark.parametrize(
    "make",
    [
        lambda: Downtime(datetime(2026, 5, 1), None, False),
        lambda: Downtime(at(2026, 5, 1), datetime(2026, 5, 2), False),
        lambda: Downtime(at(2026, 5, 2), at(2026, 5, 1), False),
        lambda: warranty_end(date(2026, 1, 1), -1),
        lambda: total_downtime([fault(at(2026, 5, 1), None)], as_of=datetime(2026, 5, 2)),
    ],
)
def test_bad_input_raises_value_error(make):
    with pytest.raises(ValueError):  # noqa: PT011 - each case has its own message
        make()


@pytest.mark.parametrize(
    ("on", "phase"),
    [
        (date(2026, 3, 15), CoveragePhase.IN_WARRANTY),
        (date(2029, 3, 15), CoveragePhase.IN_WARRANTY),
        (date(2029, 3, 16), CoveragePhase.POST_WARRANTY_PARTS_ONLY),
        (date(2032, 3, 15), CoveragePhase.POST_WARRANTY_PARTS_ONLY),
        (date(2032, 3, 16), CoveragePhase.POST_WARRANTY_COSTS_ONLY),
        (date(2039, 3, 15), CoveragePhase.POST_WARRANTY_COSTS_ONLY),
        (date(2039, 3, 16), CoveragePhase.EXPIRED),
    ],
)
def test_coverage_phases(on, phase):
    assert coverage_phase(on, date(2029, 3, 15)) is phase


def test_coverage_of_an_asset_and_so_of_its_replacement_parts():
    downtimes = [fault(at(2026, 5, 1, 10), 30)]
    assert coverage(date(2029, 3, 16), date(2026, 3, 15), 3, downtimes) == Coverage(
        date(2029, 3, 17), CoveragePhase.IN_WARRANTY
    )
    assert coverage(date(2029, 3, 18), date(2026, 3, 15), 3, downtimes).phase is (
        CoveragePhase.POST_WARRANTY_PARTS_ONLY
    )


DOWNTIMES = st.lists(
    st.builds(
        fault,
        st.datetimes(datetime(2026, 1, 1), datetime(2028, 1, 1), timezones=st.just(UTC)),
        st.one_of(st.none(), st.floats(0, 2000)),
        st.booleans(),
    ),
    max_size=6,
)
AS_OF = datetime(2028, 6, 1, tzinfo=UTC)


@settings(max_examples=100, deadline=None)
@given(downtimes=DOWNTIMES, extra=DOWNTIMES)
def test_more_downtime_never_shortens_the_warranty(downtimes, extra):
    end = warranty_end(date(2026, 1, 1), 3, downtimes, as_of=AS_OF)
    assert end >= date(2029, 1, 1)
    assert warranty_end(date(2026, 1, 1), 3, downtimes + extra, as_of=AS_OF) >= end
    assert warranty_end(date(2026, 1, 1), 3, downtimes, as_of=AS_OF + timedelta(days=3)) >= end


@settings(max_examples=100, deadline=None)
@given(downtimes=DOWNTIMES)
def test_merged_downtime_is_at_most_the_sum_and_at_least_the_longest(downtimes):
    counted = [d for d in downtimes if not d.user_caused]
    lengths = [(d.ended_at or AS_OF) - d.started_at for d in counted]
    lengths = [max(length, timedelta(0)) for length in lengths]
    total = total_downtime(downtimes, as_of=AS_OF)
    assert max(lengths, default=timedelta(0)) <= total <= sum(lengths, timedelta(0))
