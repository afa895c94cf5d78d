"""SLA milestone clocks: due times, events, pauses and breaches."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inventory.calendars import BusinessCalendar
from inventory.errors import InvalidTransition
from inventory.tickets.sla import (
    DEFAULT_TARGETS,
    ClockState,
    Milestone,
    MilestoneClock,
    SupportHours,
    TicketEvent,
    advance,
    any_breached,
    apply_event,
    breached,
    clocks_at,
    newly_breached,
    next_due,
    start_clocks,
    ticket_breached,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
CN = BusinessCalendar("CN", SHANGHAI)
BUSINESS, ALWAYS = SupportHours.BUSINESS, SupportHours.ALWAYS


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def dues(clocks):
    return {milestone: clock.due_at for milestone, clock in clocks.items()}


def states(clocks):
    return {milestone: clock.state for milestone, clock in clocks.items()}


def apply(clocks, event, at, support=BUSINESS):
    return apply_event(clocks, event, at, support, CN)


# Reported Friday 2026-11-20 16:00 by a business-hours customer.
FRIDAY = start_clocks(sh(2026, 11, 20, 16), BUSINESS, CN)


def test_business_clocks_count_business_time():
    assert dues(FRIDAY) == {
        Milestone.RESPONSE: sh(2026, 11, 20, 17),
        Milestone.ON_SITE: sh(2026, 11, 23, 11),
        Milestone.RESTORE: sh(2026, 11, 23, 15),
        Milestone.REPLACEMENT: sh(2026, 11, 30, 10),
    }
    assert set(states(FRIDAY).values()) == {ClockState.RUNNING}
    assert all(clock.due_at.tzinfo is UTC for clock in FRIDAY.values())


def test_business_clocks_follow_chinas_make_up_days():
    clocks = start_clocks(sh(2026, 9, 18, 16, 30), BUSINESS, CN)
    assert dues(clocks) == {
        Milestone.RESPONSE: sh(2026, 9, 18, 17, 30),
        Milestone.ON_SITE: sh(2026, 9, 20, 11, 30),  # Sunday, a make-up working day
        Milestone.RESTORE: sh(2026, 9, 20, 15, 30),
        Milestone.REPLACEMENT: sh(2026, 9, 28, 10, 30),  # past Mid-Autumn (Friday 25th) and a weekend
    }


def test_7x24_clocks_count_wall_time():
    clocks = start_clocks(sh(2026, 9, 19, 22), ALWAYS, CN)
    assert dues(clocks) == {
        Milestone.RESPONSE: sh(2026, 9, 19, 23),
        Milestone.ON_SITE: sh(2026, 9, 20, 2),
        Milestone.RESTORE: sh(2026, 9, 20, 6),
        Milestone.REPLACEMENT: sh(2026, 9, 21, 22),
    }


def test_custom_targets_and_bad_input():
    clocks = start_clocks(sh(2026, 11, 24, 10), ALWAYS, CN, {Milestone.RESPONSE: timedelta(minutes=15)})
    assert dues(clocks) == {Milestone.RESPONSE: sh(2026, 11, 24, 10, 15)}
    with pytest.raises(ValueError, match="negative"):
        start_clocks(sh(2026, 11, 24, 10), ALWAYS, CN, {Milestone.RESPONSE: timedelta(minutes=-1)})
    with pytest.raises(ValueError, match="aware"):
        start_clocks(datetime(2026, 11, 24, 10), ALWAYS, CN)
    with pytest.raises(ValueError, match="aware"):
        apply(FRIDAY, TicketEvent.RESPONDED, datetime(2026, 11, 24, 10))


def test_meeting_on_time_and_late():
    on_time = apply(FRIDAY, TicketEvent.RESPONDED, sh(2026, 11, 20, 17))
    assert on_time[Milestone.RESPONSE] == MilestoneClock(
        Milestone.RESPONSE, sh(2026, 11, 20, 17), ClockState.MET, met_at=sh(2026, 11, 20, 17)
    )
    assert on_time[Milestone.ON_SITE] == FRIDAY[Milestone.ON_SITE]
    late = apply(FRIDAY, TicketEvent.RESPONDED, sh(2026, 11, 20, 17, 1))
    assert late[Milestone.RESPONSE].state is ClockState.BREACHED
    assert late[Milestone.RESPONSE].met_at == sh(2026, 11, 20, 17, 1)
    assert FRIDAY[Milestone.RESPONSE].state is ClockState.RUNNING  # the input is not changed


def test_engineer_on_site_is_also_a_response():
    clocks = apply(FRIDAY, TicketEvent.ENGINEER_ON_SITE, sh(2026, 11, 23, 10))
    assert states(clocks) == {
        Milestone.RESPONSE: ClockState.BREACHED,
        Milestone.ON_SITE: ClockState.MET,
        Milestone.RESTORE: ClockState.RUNNING,
        Milestone.REPLACEMENT: ClockState.RUNNING,
    }
    responded = apply(FRIDAY, TicketEvent.RESPONDED, sh(2026, 11, 20, 16, 10))
    on_site = apply(responded, TicketEvent.ENGINEER_ON_SITE, sh(2026, 11, 23, 10))
    assert on_site[Milestone.RESPONSE] == responded[Milestone.RESPONSE]


def test_restored_meets_everything_and_closing_it_changes_nothing():
    responded = apply(FRIDAY, TicketEvent.RESPONDED, sh(2026, 11, 20, 16, 10))
    restored = apply(responded, TicketEvent.RESTORED, sh(2026, 11, 23, 10, 30))
    assert states(restored) == dict.fromkeys(Milestone, ClockState.MET)
    assert restored[Milestone.RESPONSE].met_at == sh(2026, 11, 20, 16, 10)
    assert {clock.met_at for m, clock in restored.items() if m is not Milestone.RESPONSE} == {
        sh(2026, 11, 23, 10, 30)
    }
    assert apply(restored, TicketEvent.CLOSED, sh(2026, 11, 24, 9)) == restored


def test_closed_stops_every_open_clock():
    closed = apply(FRIDAY, TicketEvent.CLOSED, sh(2026, 11, 23, 12))
    assert states(closed) == {
        Milestone.RESPONSE: ClockState.BREACHED,
        Milestone.ON_SITE: ClockState.BREACHED,
        Milestone.RESTORE: ClockState.MET,
        Milestone.REPLACEMENT: ClockState.MET,
    }
    assert {clock.met_at for clock in closed.values()} == {sh(2026, 11, 23, 12)}
    assert next_due(closed) is None
    assert breached(closed, sh(2027, 1, 1)) == []


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        ([(TicketEvent.CLOSED, 1), (TicketEvent.RESPONDED, 2)], "stopped"),
        ([(TicketEvent.RESTORED, 1), (TicketEvent.WAITING_CUSTOMER, 2)], "stopped"),
        ([(TicketEvent.RESPONDED, 1), (TicketEvent.RESPONDED, 2)], "already met"),
        ([(TicketEvent.ENGINEER_ON_SITE, 1), (TicketEvent.ENGINEER_ON_SITE, 2)], "already met"),
        ([(TicketEvent.RESUMED, 1)], "no clock is paused"),
        ([(TicketEvent.WAITING_CUSTOMER, 1), (TicketEvent.WAITING_CUSTOMER, 2)], "no clock is running"),
        ([(TicketEvent.RESPONDED, 30), (TicketEvent.ENGINEER_ON_SITE, 20)], "earlier than the last event"),
        ([(TicketEvent.WAITING_CUSTOMER, 30), (TicketEvent.RESUMED, 20)], "earlier than the last event"),
    ],
)
def test_events_that_make_no_sense_raise(steps, message):
    clocks = FRIDAY
    *fine, (last_event, last_minute) = steps
    for event, minute in fine:
        clocks = apply(clocks, event, sh(2026, 11, 20, 16) + timedelta(minutes=minute))
    with pytest.raises(InvalidTransition, match=message) as raised:
        apply(clocks, last_event, sh(2026, 11, 20, 16) + timedelta(minutes=last_minute))
    assert raised.value.details["event"] == last_event


def test_waiting_for_the_customer_pauses_business_time():
    responded = apply(FRIDAY, TicketEvent.RESPONDED, sh(2026, 11, 20, 16, 20))
    paused = apply(responded, TicketEvent.WAITING_CUSTOMER, sh(2026, 11, 20, 17))
    assert states(paused) == {
        Milestone.RESPONSE: ClockState.MET,
        **dict.fromkeys([Milestone.ON_SITE, Milestone.RESTORE, Milestone.REPLACEMENT], ClockState.PAUSED),
    }
    assert next_due(paused) is None
    assert breached(paused, sh(2026, 12, 31)) == []
    resumed = apply(paused, TicketEvent.RESUMED, sh(2026, 11, 23, 10))  # 2 business hours later
    assert dues(resumed) == {
        Milestone.RESPONSE: sh(2026, 11, 20, 17),
        Milestone.ON_SITE: sh(2026, 11, 23, 13),
        Milestone.RESTORE: sh(2026, 11, 23, 17),
        Milestone.REPLACEMENT: sh(2026, 11, 30, 12),
    }
    assert {clock.paused_at for clock in resumed.values()} == {None}
    assert resumed[Milestone.RESPONSE] == responded[Milestone.RESPONSE]


def test_waiting_for_the_customer_pauses_wall_time_for_7x24():
    clocks = start_clocks(sh(2026, 11, 21, 10), ALWAYS, CN)
    paused = apply(clocks, TicketEvent.WAITING_CUSTOMER, sh(2026, 11, 21, 10, 30), ALWAYS)
    resumed = apply(paused, TicketEvent.RESUMED, sh(2026, 11, 22, 10, 30), ALWAYS)
    assert {m: resumed[m].due_at - clocks[m].due_at for m in Milestone} == dict.fromkeys(
        Milestone, timedelta(days=1)
    )


def test_a_pause_without_business_time_keeps_a_due_time_at_closing():
    clocks = {Milestone.RESTORE: MilestoneClock(Milestone.RESTORE, sh(2026, 11, 24, 18), ClockState.RUNNING)}
    paused = apply(clocks, TicketEvent.WAITING_CUSTOMER, sh(2026, 11, 24, 19))
    resumed = apply(paused, TicketEvent.RESUMED, sh(2026, 11, 24, 23))
    assert resumed[Milestone.RESTORE].due_at == sh(2026, 11, 24, 18)


def test_meeting_a_paused_milestone_counts_the_pause():
    paused = apply(FRIDAY, TicketEvent.WAITING_CUSTOMER, sh(2026, 11, 20, 16, 30))
    # Paused for 2 h 15 min of business time (Friday 16:30-18:00, Monday 9:00-9:45): the response,
    # due Friday 17:00, is now due Monday 10:15 and restoring the service at 9:45 meets it on time.
    restored = apply(paused, TicketEvent.RESTORED, sh(2026, 11, 23, 9, 45))
    assert restored[Milestone.RESPONSE] == MilestoneClock(
        Milestone.RESPONSE, sh(2026, 11, 23, 10, 15), ClockState.MET, met_at=sh(2026, 11, 23, 9, 45)
    )
    assert set(states(restored).values()) == {ClockState.MET}


def test_breaches():
    assert breached(FRIDAY, sh(2026, 11, 20, 17)) == []  # due exactly now is not late yet
    assert breached(FRIDAY, sh(2026, 11, 23, 12)) == [Milestone.RESPONSE, Milestone.ON_SITE]
    # What the database sweep leaves behind: the late running clocks marked breached, not met.
    late = breached(FRIDAY, sh(2026, 11, 23, 12))
    marked = {m: replace(c, state=ClockState.BREACHED) if m in late else c for m, c in FRIDAY.items()}
    assert next_due(marked) == next_due(FRIDAY) == sh(2026, 11, 20, 17)  # late and unmet still counts
    paused = apply(marked, TicketEvent.WAITING_CUSTOMER, sh(2026, 11, 23, 13))
    assert states(paused)[Milestone.RESPONSE] is ClockState.BREACHED  # a breach cannot be paused away
    on_site = apply(marked, TicketEvent.ENGINEER_ON_SITE, sh(2026, 11, 23, 13))
    assert on_site[Milestone.ON_SITE].state is ClockState.BREACHED
    assert on_site[Milestone.ON_SITE].met_at == sh(2026, 11, 23, 13)
    assert next_due(on_site) == sh(2026, 11, 23, 15)  # met late: no longer counting
    assert next_due(paused) == sh(2026, 11, 20, 17)  # paused clocks do not count


def test_clocks_at_an_instant_breach_every_running_clock_past_due():
    assert clocks_at(FRIDAY, sh(2026, 11, 20, 17)) == FRIDAY  # due exactly now is not late yet
    late = clocks_at(FRIDAY, sh(2026, 11, 23, 12))
    assert states(late) == {
        Milestone.RESPONSE: ClockState.BREACHED,
        Milestone.ON_SITE: ClockState.BREACHED,
        Milestone.RESTORE: ClockState.RUNNING,
        Milestone.REPLACEMENT: ClockState.RUNNING,
    }
    assert dues(late) == dues(FRIDAY)
    assert all(clock.is_open for clock in late.values())
    assert next_due(late) == next_due(FRIDAY)
    paused = apply(FRIDAY, TicketEvent.WAITING_CUSTOMER, sh(2026, 11, 20, 16, 30))
    met = apply(FRIDAY, TicketEvent.RESPONDED, sh(2026, 11, 20, 16, 30))
    assert clocks_at(paused, sh(2026, 12, 31, 9)) == paused  # time does not run while paused
    assert clocks_at(met, sh(2026, 12, 31, 9))[Milestone.RESPONSE] == met[Milestone.RESPONSE]


def test_a_ticket_reported_after_its_deadlines_is_breached_when_opened():
    clocks = clocks_at(start_clocks(sh(2026, 11, 20, 16), ALWAYS, CN), sh(2026, 11, 23, 9))
    assert set(states(clocks).values()) == {ClockState.BREACHED}
    assert next_due(clocks) == sh(2026, 11, 20, 17)
    assert any_breached(clocks)
    assert newly_breached({}, clocks) == list(Milestone)


def test_advance_breaches_before_and_after_the_event():
    # Waiting for the customer at 17:30: the response was due at 17:00, so it is breached, not paused.
    waiting = advance(
        FRIDAY,
        TicketEvent.WAITING_CUSTOMER,
        sh(2026, 11, 20, 17, 30),
        BUSINESS,
        CN,
        now=sh(2026, 11, 20, 17, 30),
    )
    assert states(waiting)[Milestone.RESPONSE] is ClockState.BREACHED
    assert states(waiting)[Milestone.ON_SITE] is ClockState.PAUSED
    assert newly_breached(FRIDAY, waiting) == [Milestone.RESPONSE]
    # Recorded on Monday, backdated to 16:30 on Friday: nothing was late then, so everything pauses.
    backdated = advance(
        FRIDAY, TicketEvent.WAITING_CUSTOMER, sh(2026, 11, 20, 16, 30), BUSINESS, CN, now=sh(2026, 11, 23, 12)
    )
    assert set(states(backdated).values()) == {ClockState.PAUSED}
    # Resumed on Monday at 9:00, recorded at 12:00: the response, now due at 9:30, is breached by then.
    resumed = advance(
        backdated, TicketEvent.RESUMED, sh(2026, 11, 23, 9), BUSINESS, CN, now=sh(2026, 11, 23, 12)
    )
    assert resumed[Milestone.RESPONSE].due_at == sh(2026, 11, 23, 9, 30)
    assert states(resumed)[Milestone.RESPONSE] is ClockState.BREACHED
    assert newly_breached(backdated, resumed) == [Milestone.RESPONSE]
    # A breach found earlier is not found again; meeting it late records when.
    on_site = advance(
        resumed, TicketEvent.RESPONDED, sh(2026, 11, 23, 12), BUSINESS, CN, now=sh(2026, 11, 23, 12)
    )
    assert on_site[Milestone.RESPONSE].met_at == sh(2026, 11, 23, 12)
    assert newly_breached(resumed, on_site) == []


@pytest.mark.parametrize(
    "fields",
    [
        {"state": ClockState.MET},
        {"state": ClockState.PAUSED},
        {"state": ClockState.RUNNING, "paused_at": sh(2026, 11, 24, 9)},
        {"state": ClockState.RUNNING, "met_at": sh(2026, 11, 24, 9)},
        {"state": ClockState.RUNNING, "due_at": datetime(2026, 11, 24, 9)},
    ],
)
def test_inconsistent_clocks_are_refused(fields):
    with pytest.raises(ValueError):  # noqa: PT011 - each case has its own message
        MilestoneClock(**{"milestone": Milestone.RESPONSE, "due_at": sh(2026, 11, 24, 10), **fields})


INSTANTS = st.datetimes(datetime(2026, 1, 1), datetime(2026, 12, 1), timezones=st.just(UTC))


@settings(max_examples=100, deadline=None)
@given(reported_at=INSTANTS)
def test_business_due_times_are_never_earlier_than_wall_clock_ones(reported_at):
    business = start_clocks(reported_at, BUSINESS, CN)
    wall = start_clocks(reported_at, ALWAYS, CN)
    for milestone, target in DEFAULT_TARGETS.items():
        assert wall[milestone].due_at == reported_at + target
        assert business[milestone].due_at >= wall[milestone].due_at


@settings(max_examples=100, deadline=None)
@given(
    reported_at=INSTANTS,
    support=st.sampled_from(SupportHours),
    steps=st.lists(st.tuples(st.sampled_from(TicketEvent), st.integers(0, 24 * 60)), min_size=1, max_size=8),
)
def test_met_clocks_never_change_and_due_times_only_move_later(reported_at, support, steps):
    clocks = start_clocks(reported_at, support, CN)
    at = reported_at
    for event, minutes in steps:
        at += timedelta(minutes=minutes)
        try:
            updated = apply_event(clocks, event, at, support, CN)
        except InvalidTransition:
            continue
        for milestone, clock in clocks.items():
            after = updated[milestone]
            if clock.met_at is not None:
                assert after == clock
            assert after.due_at >= clock.due_at
            if after.met_at is not None and clock.met_at is None:
                assert after.met_at == at
                assert after.state is (ClockState.MET if at <= after.due_at else ClockState.BREACHED)
        clocks = updated


def test_plain_strings_are_accepted_for_enums():
    by_value = apply_event(FRIDAY, "responded", sh(2026, 11, 20, 16, 5), "business", CN)
    assert by_value == apply(FRIDAY, TicketEvent.RESPONDED, sh(2026, 11, 20, 16, 5))
    assert start_clocks(sh(2026, 11, 20, 16), "business", CN) == FRIDAY
    with pytest.raises(ValueError, match="not a valid TicketEvent"):
        apply_event(FRIDAY, "exploded", sh(2026, 11, 20, 16, 5), "business", CN)


@settings(max_examples=200, deadline=None)
@given(
    reported_at=INSTANTS,
    support=st.sampled_from(SupportHours),
    steps=st.lists(st.tuples(st.sampled_from(TicketEvent), st.integers(0, 24 * 60)), max_size=6),
    later=st.integers(0, 14 * 24 * 60),
)
def test_breach_from_the_stored_summary_equals_breach_from_the_clocks(reported_at, support, steps, later):
    """What list filters compute in SQL (flag or earliest running due time past now) is exactly whether
    any clock is breached at that instant, for clocks as writes store them."""
    clocks = start_clocks(reported_at, support, CN)
    at = reported_at
    for event, minutes in steps:
        at += timedelta(minutes=minutes)
        try:
            clocks = advance(clocks, event, at, support, CN, now=at)
        except InvalidTransition:
            continue
    now = at + timedelta(minutes=later)
    expected = any_breached(clocks_at(clocks, now))
    assert ticket_breached(any_breached(clocks), next_due(clocks), now) is expected
