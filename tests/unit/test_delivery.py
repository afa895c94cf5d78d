"""The delivery promise: next business day after the cut-off rules, and 4 hours."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inventory.calendars import BusinessCalendar
from inventory.tickets.delivery import DeliveryService, DeliveryWindow, delivery_window
from inventory.tickets.sla import SupportHours

SHANGHAI = ZoneInfo("Asia/Shanghai")
CN = BusinessCalendar("CN", SHANGHAI)
URUMQI = BusinessCalendar("CN", "Asia/Urumqi")
NBD, FOUR = DeliveryService.NBD, DeliveryService.FOUR_HOURS


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def window(service, requested_at, support=SupportHours.BUSINESS, depot=CN, site=CN, **kwargs):
    return delivery_window(
        service, requested_at, depot_calendar=depot, site_calendar=site, support_hours=support, **kwargs
    )


@pytest.mark.parametrize(
    ("requested_at", "delivered_on"),
    [
        (sh(2026, 9, 18, 16), (2026, 9, 20)),  # Friday before the cut-off: Sunday is a make-up day
        (sh(2026, 9, 18, 17, 30), (2026, 9, 21)),  # after the cut-off: counts from Sunday
        (sh(2026, 9, 18, 17), (2026, 9, 21)),  # at the cut-off is after it
        (sh(2026, 9, 19, 10), (2026, 9, 21)),  # Saturday off: counts from Sunday
        (sh(2026, 9, 30, 10), (2026, 10, 8)),  # National Day week off
        (sh(2026, 9, 30, 18), (2026, 10, 9)),
        (sh(2026, 10, 3, 10), (2026, 10, 9)),
        (sh(2026, 10, 9, 16), (2026, 10, 10)),  # Saturday make-up day
        (sh(2026, 11, 20, 16, 59), (2026, 11, 23)),  # an ordinary weekend
        (sh(2026, 11, 20, 17, 1), (2026, 11, 24)),
        (sh(2026, 11, 22, 23), (2026, 11, 24)),
        (sh(2026, 11, 24, 1), (2026, 11, 25)),  # early in the morning is before the cut-off
    ],
)
def test_next_business_day(requested_at, delivered_on):
    result = window(NBD, requested_at)
    assert result == DeliveryWindow(NBD, sh(*delivered_on, 9), sh(*delivered_on, 18))
    assert result.due_from.tzinfo is UTC
    assert result.due_by.tzinfo is UTC


def test_the_cut_off_is_the_depots_and_the_hours_are_the_sites():
    # 16:30 in Shanghai is 14:30 in Urumqi: before a 15:00 cut-off there, after a 14:00 one.
    assert window(NBD, sh(2026, 11, 24, 16, 30), depot=URUMQI, cutoff=time(15)).due_by == sh(2026, 11, 25, 18)
    assert window(NBD, sh(2026, 11, 24, 16, 30), depot=URUMQI, cutoff=time(14)).due_by == sh(2026, 11, 26, 18)
    urumqi_site = window(NBD, sh(2026, 11, 24, 10), site=URUMQI)
    assert urumqi_site.due_from == datetime(2026, 11, 25, 9, tzinfo=ZoneInfo("Asia/Urumqi"))


@pytest.mark.parametrize(
    ("requested_at", "support", "due_by"),
    [
        (sh(2026, 11, 24, 16, 30), SupportHours.BUSINESS, sh(2026, 11, 25, 11, 30)),
        (sh(2026, 11, 24, 16, 30), SupportHours.ALWAYS, sh(2026, 11, 24, 20, 30)),
        (sh(2026, 11, 20, 16), SupportHours.BUSINESS, sh(2026, 11, 23, 11)),
        (sh(2026, 11, 21, 22), SupportHours.ALWAYS, sh(2026, 11, 22, 2)),
        (sh(2026, 9, 30, 17), SupportHours.BUSINESS, sh(2026, 10, 8, 12)),
        (sh(2026, 9, 19, 12), SupportHours.BUSINESS, sh(2026, 9, 20, 13)),
    ],
)
def test_four_hours(requested_at, support, due_by):
    assert window(FOUR, requested_at, support) == DeliveryWindow(FOUR, requested_at, due_by)


def test_naive_orders_are_refused():
    with pytest.raises(ValueError, match="aware"):
        window(NBD, datetime(2026, 11, 24, 10))


@settings(max_examples=100, deadline=None)
@given(requested_at=st.datetimes(datetime(2026, 1, 1), datetime(2026, 12, 1), timezones=st.just(UTC)))
def test_nbd_is_a_whole_later_business_day(requested_at):
    result = window(NBD, requested_at)
    day = result.due_from.astimezone(SHANGHAI).date()
    assert CN.is_working_day(day)
    assert day > requested_at.astimezone(SHANGHAI).date()
    assert (result.due_from, result.due_by) == (CN.opening_on(day), CN.closing_on(day))
    assert result.due_from - requested_at <= timedelta(days=12)  # the longest Chinese holiday is 9 days
