"""At risk before breached: a committed ETA after the due time it has to keep (plain rule, no server)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from inventory.tickets.at_risk import ON_TIME, Expectation, Outlook, Promise, outlook
from inventory.tickets.delivery import DeliveryService, hold_until

DUE = datetime(2026, 12, 7, 14, 0, tzinfo=UTC)


def test_no_expectation_or_all_on_time_is_not_at_risk() -> None:
    assert outlook([]) == ON_TIME
    on_time = [
        Expectation(Promise.DELIVERY, DUE - timedelta(minutes=5), DUE),
        Expectation(Promise.ON_SITE, DUE, DUE),
    ]
    assert outlook(on_time) == Outlook(False, timedelta(0), None)


def test_the_latest_miss_decides_the_predicted_lateness() -> None:
    risk = outlook(
        [
            Expectation(Promise.DELIVERY, DUE + timedelta(minutes=40), DUE),
            Expectation(Promise.ON_SITE, DUE + timedelta(minutes=10), DUE),
            Expectation(Promise.DELIVERY, DUE - timedelta(hours=1), DUE),
        ]
    )
    assert risk.at_risk
    assert risk.late_by == timedelta(minutes=40)
    assert risk.late_seconds == 2400
    assert risk.promise is Promise.DELIVERY


def test_an_equal_miss_names_the_delivery_promise_first() -> None:
    late = DUE + timedelta(minutes=15)
    risk = outlook([Expectation(Promise.ON_SITE, late, DUE), Expectation(Promise.DELIVERY, late, DUE)])
    assert risk.promise is Promise.DELIVERY


def test_a_next_business_day_hold_lasts_past_its_window() -> None:
    made = datetime(2026, 12, 4, 16, 0, tzinfo=UTC)  # a Friday afternoon
    window_end = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)  # Monday
    ttl, grace = timedelta(hours=48), timedelta(hours=12)
    held = hold_until(DeliveryService.NBD, window_end, now=made, ttl=ttl, grace=grace)
    assert held == window_end + grace
    assert held > made + ttl
    # A window closing soon never shortens the hold below the TTL.
    soon = made + timedelta(hours=2)
    assert hold_until(DeliveryService.NBD, soon, now=made, ttl=ttl, grace=grace) == made + ttl
    # A 4-hour hold lasts the TTL.
    assert hold_until(DeliveryService.FOUR_HOURS, soon, now=made, ttl=ttl, grace=grace) == made + ttl
