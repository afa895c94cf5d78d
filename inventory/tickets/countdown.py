"""What an SLA clock says to a person at an instant. Plain Python over `inventory.tickets.sla` and
`inventory.calendars`.

A countdown counts in the clock's own time: wall-clock time for 7x24 customers, business time of the
site's calendar for business-hours customers (so "2 h left" on a Friday at 17:00 means one hour today and
one on Monday morning). Outside business hours such a clock does not move: it is paused until the next
opening (`Countdown.resumes_at`). A clock paused by waiting for the customer keeps the time it had left.

For a live countdown in the browser, the server gives the time left at one instant and the business
intervals ahead (`working_intervals`); the browser only subtracts the business time that passes inside
them. Nothing here re-implements the clock rules: due times, pauses and breaches are the SLA engine's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from inventory.calendars import BusinessCalendar, to_utc
from inventory.errors import InvalidTransition
from inventory.tickets.sla import (
    DEFAULT_TARGETS,
    ClockState,
    Milestone,
    MilestoneClock,
    SupportHours,
    TicketEvent,
    apply_event,
    clocks_at,
    start_clocks,
)

SOON = timedelta(minutes=60)
"""A clock with this much time left, or less, is breaching soon."""


class CountdownState(StrEnum):
    ON_TRACK = "on_track"
    """Counting, more than `SOON` left."""
    SOON = "soon"
    """Counting, `SOON` or less left."""
    BREACHED = "breached"
    """Past its due time and not met yet."""
    WAITING = "waiting"
    """Paused while waiting for the customer."""
    MET = "met"
    """Met on or before its due time."""
    MET_LATE = "met_late"
    """Met after its due time."""


@dataclass(frozen=True, slots=True)
class Countdown:
    """One milestone's clock as a person reads it at ``now``.

    ``left`` is in the clock's own time (business time for business-hours customers) and signed: time
    left while counting, late by when negative; for a met clock the margin it was met with (negative:
    late by); for a clock waiting for the customer, the time it had left when it was paused.
    ``resumes_at`` is the next opening while a business-hours clock that is still counting stands
    outside business hours (the clock does not move until then), else None.
    """

    milestone: Milestone
    due_at: datetime
    state: CountdownState
    left: timedelta
    business: bool
    met_at: datetime | None = None
    paused_at: datetime | None = None
    resumes_at: datetime | None = None

    @property
    def counting(self) -> bool:
        """Whether the clock still counts down (on track, soon or breached)."""
        return self.state in (CountdownState.ON_TRACK, CountdownState.SOON, CountdownState.BREACHED)


@dataclass(frozen=True, slots=True)
class Pause:
    """A period a milestone's clock stood still waiting for the customer; ``end`` None while it lasts."""

    start: datetime
    end: datetime | None


def time_left(
    due_at: datetime, at: datetime, support_hours: SupportHours, calendar: BusinessCalendar
) -> timedelta:
    """Time from ``at`` to ``due_at`` in the clock's time: wall-clock for 7x24, business time of
    ``calendar`` otherwise; negative when ``at`` is past ``due_at`` (late by)."""
    due_at, at = to_utc(due_at, "due_at"), to_utc(at, "at")
    if SupportHours(support_hours) is SupportHours.ALWAYS:
        return due_at - at
    if due_at >= at:
        return calendar.business_time_between(at, due_at)
    return -calendar.business_time_between(due_at, at)


def countdown(
    clock: MilestoneClock,
    support_hours: SupportHours,
    calendar: BusinessCalendar,
    now: datetime,
    *,
    soon: timedelta = SOON,
) -> Countdown:
    """What ``clock`` says at ``now`` (stored clocks lag behind time: a running clock past due reads as
    breached, as `inventory.tickets.sla.clocks_at` says)."""
    support_hours = SupportHours(support_hours)
    business = support_hours is SupportHours.BUSINESS
    now = to_utc(now, "now")
    common = {"milestone": clock.milestone, "due_at": clock.due_at, "business": business}
    if clock.met_at is not None:
        margin = time_left(clock.due_at, clock.met_at, support_hours, calendar)
        late = clock.state is ClockState.BREACHED or margin < timedelta(0)
        state = CountdownState.MET_LATE if late else CountdownState.MET
        return Countdown(**common, state=state, left=margin, met_at=clock.met_at)
    if clock.state is ClockState.PAUSED and clock.paused_at is not None:
        left = time_left(clock.due_at, clock.paused_at, support_hours, calendar)
        return Countdown(**common, state=CountdownState.WAITING, left=left, paused_at=clock.paused_at)
    left = time_left(clock.due_at, now, support_hours, calendar)
    if clock.state is ClockState.BREACHED or clock.due_at < now:
        state = CountdownState.BREACHED
    elif left <= soon:
        state = CountdownState.SOON
    else:
        state = CountdownState.ON_TRACK
    resumes_at = None
    if business and not calendar.is_business_time(now):
        resumes_at = calendar.add_business_time(now, timedelta(0))
    return Countdown(**common, state=state, left=left, resumes_at=resumes_at)


def countdowns(
    clocks: Mapping[Milestone, MilestoneClock],
    support_hours: SupportHours,
    calendar: BusinessCalendar,
    now: datetime,
) -> list[Countdown]:
    """Every clock's countdown, in milestone order."""
    return [
        countdown(clocks[milestone], support_hours, calendar, now)
        for milestone in Milestone
        if milestone in clocks
    ]


def next_countdown(items: Iterable[Countdown]) -> Countdown | None:
    """The ticket's next milestone: the counting clock due first (as `inventory.tickets.sla.next_due`
    orders tickets), else the first clock waiting for the customer, else None (every clock met)."""
    items = list(items)
    counting = [item for item in items if item.counting]
    if counting:
        return min(counting, key=lambda item: (item.due_at, list(Milestone).index(item.milestone)))
    return next((item for item in items if item.state is CountdownState.WAITING), None)


def possible_events(
    clocks: Mapping[Milestone, MilestoneClock],
    at: datetime,
    support_hours: SupportHours,
    calendar: BusinessCalendar,
) -> list[TicketEvent]:
    """The events the SLA engine accepts at ``at`` (`inventory.tickets.sla.apply_event` refuses the others:
    a milestone already met, resuming with nothing paused, anything but closing once every clock stopped),
    in `TicketEvent` order; what a form offers to record now."""
    current = clocks_at(clocks, at)
    accepted = []
    for event in TicketEvent:
        try:
            apply_event(current, event, at, support_hours, calendar)
        except InvalidTransition:
            continue
        accepted.append(event)
    return accepted


def working_intervals(
    calendar: BusinessCalendar, start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    """The business intervals of ``calendar`` between ``start`` and ``end``, clipped to them, in order,
    in UTC: when a business-hours clock moves."""
    start, end = to_utc(start, "start"), to_utc(end, "end")
    intervals = []
    day = start.astimezone(calendar.timezone).date()
    last = end.astimezone(calendar.timezone).date()
    while day <= last:
        if calendar.is_working_day(day):
            opening = to_utc(calendar.opening_on(day), "opening")
            closing = to_utc(calendar.closing_on(day), "closing")
            if closing > start and opening < end:
                intervals.append((max(opening, start), min(closing, end)))
        day += timedelta(days=1)
    return intervals


def pause_history(
    reported_at: datetime,
    events: Iterable[tuple[str, datetime]],
    support_hours: SupportHours,
    calendar: BusinessCalendar,
    *,
    targets: Mapping[Milestone, timedelta] = DEFAULT_TARGETS,
) -> dict[Milestone, list[Pause]]:
    """When each milestone's clock stood still waiting for the customer, from the ticket's events
    (``(kind, at)`` in the order they were recorded; kinds other than `TicketEvent` s are skipped).

    The events are replayed through the SLA engine from the report: a clock is paused while it is
    paused there (a breached clock is not paused; meeting a paused milestone resumes it first). A replay
    that meets an event the engine refuses stops there.
    """
    clocks = start_clocks(reported_at, support_hours, calendar, targets)
    history: dict[Milestone, list[Pause]] = {milestone: [] for milestone in clocks}
    kinds = set(TicketEvent)
    for kind, at in events:
        if kind not in kinds:
            continue
        before = clocks_at(clocks, at)
        try:
            clocks = apply_event(before, TicketEvent(kind), at, support_hours, calendar)
        except InvalidTransition:
            break
        for milestone, clock in clocks.items():
            was_paused = before[milestone].state is ClockState.PAUSED
            if clock.state is ClockState.PAUSED and not was_paused:
                history[milestone].append(Pause(at, None))
            elif was_paused and clock.state is not ClockState.PAUSED:
                history[milestone][-1] = Pause(history[milestone][-1].start, at)
    return history


__all__ = [
    "SOON",
    "Countdown",
    "CountdownState",
    "Pause",
    "countdown",
    "countdowns",
    "next_countdown",
    "pause_history",
    "possible_events",
    "time_left",
    "working_intervals",
]
