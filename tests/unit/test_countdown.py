"""What an SLA clock says to a person: time left or late by in the clock's own time, breaching soon,
paused outside business hours or while waiting for the customer, and the business intervals ahead."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from inventory.calendars import BusinessCalendar
from inventory.tickets.countdown import (
    SOON,
    CountdownState,
    Pause,
    countdown,
    countdowns,
    next_countdown,
    pause_history,
    possible_events,
    time_left,
    working_intervals,
)
from inventory.tickets.sla import (
    ClockState,
    Milestone,
    MilestoneClock,
    SupportHours,
    TicketEvent,
    apply_event,
    start_clocks,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
CN = BusinessCalendar("CN", SHANGHAI)
BUSINESS, ALWAYS = SupportHours.BUSINESS, SupportHours.ALWAYS
H, MIN = timedelta(hours=1), timedelta(minutes=1)


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


# Reported Friday 2026-11-20 16:00 by a business-hours customer: response due 17:00, on site Monday 11:00.
FRIDAY = start_clocks(sh(2026, 11, 20, 16), BUSINESS, CN)


def test_time_left_counts_business_time_for_business_hours_and_wall_time_for_7x24():
    due = sh(2026, 11, 23, 11)  # Monday 11:00
    assert time_left(due, sh(2026, 11, 20, 17), BUSINESS, CN) == 3 * H  # 1 h on Friday, 2 h on Monday
    assert time_left(due, sh(2026, 11, 20, 17), ALWAYS, CN) == 66 * H
    assert time_left(sh(2026, 11, 20, 17), sh(2026, 11, 23, 10), BUSINESS, CN) == -(2 * H)  # late by 2 h
    assert time_left(sh(2026, 11, 20, 17), sh(2026, 11, 20, 17, 30), ALWAYS, CN) == -30 * MIN


def test_a_running_clock_is_on_track_then_soon_then_breached():
    response = FRIDAY[Milestone.RESPONSE]  # due 17:00
    on_track = countdown(response, BUSINESS, CN, sh(2026, 11, 20, 15, 59))
    assert (on_track.state, on_track.left, on_track.resumes_at) == (CountdownState.ON_TRACK, 61 * MIN, None)
    assert on_track.counting
    assert on_track.business
    soon = countdown(response, BUSINESS, CN, sh(2026, 11, 20, 16))
    assert (soon.state, soon.left) == (CountdownState.SOON, SOON)
    at_due = countdown(response, BUSINESS, CN, sh(2026, 11, 20, 17))
    assert (at_due.state, at_due.left) == (CountdownState.SOON, timedelta(0))
    late = countdown(response, BUSINESS, CN, sh(2026, 11, 20, 17, 20))
    assert (late.state, late.left) == (CountdownState.BREACHED, -20 * MIN)


def test_outside_business_hours_the_clock_is_paused_until_the_next_opening():
    on_site = FRIDAY[Milestone.ON_SITE]  # due Monday 11:00
    saturday = countdown(on_site, BUSINESS, CN, sh(2026, 11, 21, 12))
    assert saturday.state is CountdownState.ON_TRACK
    assert saturday.left == 2 * H  # nothing counted since Friday 18:00
    assert saturday.resumes_at == sh(2026, 11, 23, 9)
    friday_evening = countdown(FRIDAY[Milestone.RESPONSE], BUSINESS, CN, sh(2026, 11, 20, 19))
    assert (friday_evening.state, friday_evening.left) == (CountdownState.BREACHED, -1 * H)
    assert friday_evening.resumes_at == sh(2026, 11, 23, 9)
    always = countdown(start_clocks(sh(2026, 11, 20, 16), ALWAYS, CN)[Milestone.ON_SITE], ALWAYS, CN,
                       sh(2026, 11, 21, 12))  # fmt: skip
    assert always.resumes_at is None
    assert always.state is CountdownState.BREACHED


def test_met_clocks_say_their_margin_or_how_late_they_were():
    responded = apply_event(FRIDAY, TicketEvent.RESPONDED, sh(2026, 11, 20, 16, 40), BUSINESS, CN)
    met = countdown(responded[Milestone.RESPONSE], BUSINESS, CN, sh(2026, 11, 24, 9))
    assert (met.state, met.left, met.met_at) == (CountdownState.MET, 20 * MIN, sh(2026, 11, 20, 16, 40))
    assert not met.counting
    late = apply_event(FRIDAY, TicketEvent.RESPONDED, sh(2026, 11, 23, 9, 30), BUSINESS, CN)
    met_late = countdown(late[Milestone.RESPONSE], BUSINESS, CN, sh(2026, 11, 24, 9))
    assert (met_late.state, met_late.left) == (CountdownState.MET_LATE, -90 * MIN)


def test_a_clock_waiting_for_the_customer_keeps_the_time_it_had_left():
    waiting = apply_event(FRIDAY, TicketEvent.WAITING_CUSTOMER, sh(2026, 11, 20, 16, 30), BUSINESS, CN)
    clock = waiting[Milestone.RESPONSE]
    assert clock.state is ClockState.PAUSED
    later = countdown(clock, BUSINESS, CN, sh(2026, 11, 25, 12))
    assert (later.state, later.left, later.paused_at) == (
        CountdownState.WAITING,
        30 * MIN,
        sh(2026, 11, 20, 16, 30),
    )
    assert later.resumes_at is None
    assert not later.counting


def test_a_breached_stored_clock_reads_breached_whatever_the_time():
    clock = MilestoneClock(Milestone.RESPONSE, sh(2026, 11, 20, 17), ClockState.BREACHED)
    assert countdown(clock, ALWAYS, CN, sh(2026, 11, 20, 18)).state is CountdownState.BREACHED


def test_the_next_milestone_is_the_counting_one_due_first_else_the_waiting_one():
    items = countdowns(FRIDAY, BUSINESS, CN, sh(2026, 11, 20, 16, 10))
    assert [item.milestone for item in items] == list(Milestone)
    assert next_countdown(items).milestone is Milestone.RESPONSE
    responded = apply_event(FRIDAY, TicketEvent.RESPONDED, sh(2026, 11, 20, 16, 20), BUSINESS, CN)
    assert next_countdown(countdowns(responded, BUSINESS, CN, sh(2026, 11, 20, 16, 30))).milestone is (
        Milestone.ON_SITE
    )
    waiting = apply_event(responded, TicketEvent.WAITING_CUSTOMER, sh(2026, 11, 20, 16, 30), BUSINESS, CN)
    first_waiting = next_countdown(countdowns(waiting, BUSINESS, CN, sh(2026, 11, 20, 17)))
    assert (first_waiting.milestone, first_waiting.state) == (Milestone.ON_SITE, CountdownState.WAITING)
    restored = apply_event(FRIDAY, TicketEvent.RESTORED, sh(2026, 11, 20, 17), BUSINESS, CN)
    assert next_countdown(countdowns(restored, BUSINESS, CN, sh(2026, 11, 20, 17))) is None


def test_working_intervals_are_the_business_hours_ahead_clipped():
    intervals = working_intervals(CN, sh(2026, 11, 20, 17), sh(2026, 11, 24, 10))
    assert intervals == [
        (sh(2026, 11, 20, 17), sh(2026, 11, 20, 18)),
        (sh(2026, 11, 23, 9), sh(2026, 11, 23, 18)),
        (sh(2026, 11, 24, 9), sh(2026, 11, 24, 10)),
    ]
    assert all(start.tzinfo is UTC and end.tzinfo is UTC for start, end in intervals)
    assert working_intervals(CN, sh(2026, 11, 21, 9), sh(2026, 11, 22, 23)) == []  # a weekend
    # A make-up Sunday works; the Mid-Autumn Friday does not.
    assert working_intervals(CN, sh(2026, 9, 20, 0), sh(2026, 9, 20, 23)) == [
        (sh(2026, 9, 20, 9), sh(2026, 9, 20, 18))
    ]
    assert working_intervals(CN, sh(2026, 9, 25, 0), sh(2026, 9, 25, 23)) == []


@pytest.mark.parametrize("support", [BUSINESS, ALWAYS])
def test_time_left_less_the_business_time_inside_the_intervals_is_the_time_left_later(support):
    """What the browser does (subtract the time that passes inside the intervals) agrees with the
    server at any later instant."""
    due = FRIDAY[Milestone.REPLACEMENT].due_at
    start = sh(2026, 11, 20, 16, 45)
    intervals = working_intervals(CN, start, start + timedelta(days=10))
    for hours in (0.5, 3, 20, 70, 100, 200):
        later = start + timedelta(hours=hours)
        if support is BUSINESS:
            passed = sum(
                (min(end, later) - start_ for start_, end in intervals if start_ < later), timedelta(0)
            )
        else:
            passed = later - start
        assert time_left(due, start, support, CN) - passed == time_left(due, later, support, CN)


def test_pause_history_replays_the_events_through_the_engine():
    events = [
        ("opened", sh(2026, 11, 20, 16)),
        ("responded", sh(2026, 11, 20, 16, 20)),
        ("waiting_customer", sh(2026, 11, 20, 16, 30)),
        ("engineer_on_site", sh(2026, 11, 23, 10)),  # meets on site: its clock resumes, the others do not
        ("resumed", sh(2026, 11, 23, 11)),
        ("waiting_customer", sh(2026, 11, 23, 12)),
    ]
    history = pause_history(sh(2026, 11, 20, 16), events, BUSINESS, CN)
    assert history[Milestone.RESPONSE] == []  # met before the pause
    assert history[Milestone.ON_SITE] == [Pause(sh(2026, 11, 20, 16, 30), sh(2026, 11, 23, 10))]
    assert history[Milestone.RESTORE] == [
        Pause(sh(2026, 11, 20, 16, 30), sh(2026, 11, 23, 11)),
        Pause(sh(2026, 11, 23, 12), None),
    ]


def test_pause_history_leaves_breached_clocks_alone_and_stops_at_a_refused_event():
    events = [("waiting_customer", sh(2026, 11, 20, 17, 30)), ("resumed", sh(2026, 11, 20, 17, 45)),
              ("resumed", sh(2026, 11, 20, 17, 50)), ("waiting_customer", sh(2026, 11, 23, 9))]  # fmt: skip
    history = pause_history(sh(2026, 11, 20, 16), events, BUSINESS, CN)
    assert history[Milestone.RESPONSE] == []  # already breached at 17:30
    assert history[Milestone.ON_SITE] == [Pause(sh(2026, 11, 20, 17, 30), sh(2026, 11, 20, 17, 45))]


def test_possible_events_are_those_the_engine_accepts_now():
    all_but_resume = [e for e in TicketEvent if e is not TicketEvent.RESUMED]
    assert possible_events(FRIDAY, sh(2026, 11, 20, 16, 5), BUSINESS, CN) == all_but_resume
    waiting = apply_event(FRIDAY, TicketEvent.WAITING_CUSTOMER, sh(2026, 11, 20, 16, 10), BUSINESS, CN)
    assert TicketEvent.RESUMED in possible_events(waiting, sh(2026, 11, 20, 16, 20), BUSINESS, CN)
    assert TicketEvent.WAITING_CUSTOMER not in possible_events(
        waiting, sh(2026, 11, 20, 16, 20), BUSINESS, CN
    )
    responded = apply_event(FRIDAY, TicketEvent.RESPONDED, sh(2026, 11, 20, 16, 10), BUSINESS, CN)
    assert TicketEvent.RESPONDED not in possible_events(responded, sh(2026, 11, 20, 16, 20), BUSINESS, CN)
    restored = apply_event(FRIDAY, TicketEvent.RESTORED, sh(2026, 11, 20, 17), BUSINESS, CN)
    assert possible_events(restored, sh(2026, 11, 20, 17, 30), BUSINESS, CN) == [TicketEvent.CLOSED]
    # Late clocks are breached before the event: waiting for the customer needs a clock still running.
    assert TicketEvent.WAITING_CUSTOMER in possible_events(FRIDAY, sh(2026, 11, 24, 9), BUSINESS, CN)
    assert TicketEvent.WAITING_CUSTOMER not in possible_events(FRIDAY, sh(2026, 12, 9, 9), BUSINESS, CN)


def test_a_clock_due_at_closing_time_is_breached_after_it_with_no_business_time_late():
    reported = sh(2026, 11, 20, 17)  # response due at closing, 18:00
    clock = start_clocks(reported, BUSINESS, CN)[Milestone.RESPONSE]
    assert clock.due_at == sh(2026, 11, 20, 18)
    evening = countdown(clock, BUSINESS, CN, sh(2026, 11, 20, 18, 30))
    assert (evening.state, evening.left) == (CountdownState.BREACHED, timedelta(0))
    assert evening.resumes_at == sh(2026, 11, 23, 9)
