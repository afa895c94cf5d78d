"""SLA milestone clocks of a fault ticket: start, stop, pause, resume and breach. Plain Python.

Every milestone (response, on site, restore, replacement) has a clock with a due time. Customers with
7x24 support count wall-clock time; customers with business-hours support count business time of a
`BusinessCalendar`. The functions are pure: they take clocks and return new clocks.

A clock is *open* while it has no ``met_at``: running, paused, or breached (overdue, still open). Once
met it never changes again. Meeting an open milestone on or before its due time is MET, after it is
BREACHED (with ``met_at``: it was met, late).

The clocks do not record the ticket's status, so these rules read it from them:

- A ticket whose clocks are all met is *stopped*: restored or closed, which the clocks cannot tell
  apart. ``closed`` is accepted there and changes nothing (closing a restored ticket is the normal end);
  every other event raises `InvalidTransition`.
- An event may not be earlier than the latest ``met_at`` or ``paused_at`` on the clocks.
- Meeting a paused milestone first resumes it (its due time moves by the pause), then meets it.

Breach is a fact of time: a running clock past its due time is breached whether or not anything has
recorded it yet. `clocks_at` and `ticket_breached` say what the clocks are at a given instant; writes
store clocks as they stand at the time of writing (`advance`), and a sweep records the breaches that
time brings later.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from inventory.calendars import BusinessCalendar, to_utc
from inventory.errors import InvalidTransition


class SupportHours(StrEnum):
    BUSINESS = "business"
    ALWAYS = "7x24"


class Milestone(StrEnum):
    RESPONSE = "response"
    ON_SITE = "on_site"
    RESTORE = "restore"
    REPLACEMENT = "replacement"


DEFAULT_TARGETS: Mapping[Milestone, timedelta] = {
    Milestone.RESPONSE: timedelta(hours=1),
    Milestone.ON_SITE: timedelta(hours=4),
    Milestone.RESTORE: timedelta(hours=8),
    Milestone.REPLACEMENT: timedelta(hours=48),
}
"""The after-sales promise: answer in 1 h, engineer on site in 4 h, restored in 8 h, replaced in 48 h."""


class ClockState(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    MET = "met"
    BREACHED = "breached"


class TicketEvent(StrEnum):
    RESPONDED = "responded"
    ENGINEER_ON_SITE = "engineer_on_site"
    RESTORED = "restored"
    CLOSED = "closed"
    WAITING_CUSTOMER = "waiting_customer"
    RESUMED = "resumed"


MEETS: Mapping[TicketEvent, tuple[Milestone, ...]] = {
    TicketEvent.RESPONDED: (Milestone.RESPONSE,),
    TicketEvent.ENGINEER_ON_SITE: (Milestone.RESPONSE, Milestone.ON_SITE),
    TicketEvent.RESTORED: (Milestone.RESPONSE, Milestone.ON_SITE, Milestone.RESTORE, Milestone.REPLACEMENT),
    TicketEvent.CLOSED: tuple(Milestone),
}
"""Milestones each event meets, those still open."""

REQUIRES_OPEN: Mapping[TicketEvent, Milestone] = {
    TicketEvent.RESPONDED: Milestone.RESPONSE,
    TicketEvent.ENGINEER_ON_SITE: Milestone.ON_SITE,
    TicketEvent.RESTORED: Milestone.RESTORE,
}
"""The milestone an event is about: if its clock exists it must still be open, or the event is a repeat."""


@dataclass(frozen=True, slots=True)
class MilestoneClock:
    """One milestone's clock. ``met_at`` is set once met; ``paused_at`` only while paused."""

    milestone: Milestone
    due_at: datetime
    state: ClockState
    met_at: datetime | None = None
    paused_at: datetime | None = None

    def __post_init__(self) -> None:
        for name in ("due_at", "met_at", "paused_at"):
            if (value := getattr(self, name)) is not None:
                to_utc(value, name)
        if (self.state is ClockState.PAUSED) != (self.paused_at is not None):
            raise ValueError("paused_at is set exactly when the clock is paused")
        if self.state is ClockState.MET and self.met_at is None:
            raise ValueError("a met clock needs met_at")
        if self.state in (ClockState.RUNNING, ClockState.PAUSED) and self.met_at is not None:
            raise ValueError(f"a {self.state} clock cannot have met_at")

    @property
    def is_open(self) -> bool:
        return self.met_at is None


def start_clocks(
    reported_at: datetime,
    support_hours: SupportHours,
    calendar: BusinessCalendar,
    targets: Mapping[Milestone, timedelta] = DEFAULT_TARGETS,
) -> dict[Milestone, MilestoneClock]:
    """Running clocks for a ticket reported at ``reported_at``.

    Args:
        reported_at: when the fault was reported (aware).
        support_hours: wall-clock time for 7x24 customers, business time of ``calendar`` otherwise.
        calendar: the business calendar of the site.
        targets: time allowed per milestone.

    Returns:
        The clocks by milestone, due times in UTC.

    Raises:
        ValueError: a naive ``reported_at``, unknown support hours or a negative target.
    """
    reported_at, support_hours = to_utc(reported_at, "reported_at"), SupportHours(support_hours)
    clocks = {}
    for milestone, target in targets.items():
        if target < timedelta(0):
            raise ValueError(f"target of {milestone} must not be negative, got {target}")
        due_at = _add(reported_at, target, support_hours, calendar)
        clocks[milestone] = MilestoneClock(milestone, due_at, ClockState.RUNNING)
    return clocks


def apply_event(
    clocks: Mapping[Milestone, MilestoneClock],
    event: TicketEvent,
    at: datetime,
    support_hours: SupportHours,
    calendar: BusinessCalendar,
) -> dict[Milestone, MilestoneClock]:
    """The clocks after ``event`` happened at ``at``; the input is left unchanged.

    Raises:
        InvalidTransition: the event makes no sense now: any event but ``closed`` on a stopped ticket,
            an event earlier than the last one recorded, a milestone already met, waiting for the
            customer with no running clock, resuming with no paused clock.
        ValueError: a naive ``at``, an unknown event or support hours.
    """
    at, event, support_hours = to_utc(at, "at"), TicketEvent(event), SupportHours(support_hours)
    if all(not clock.is_open for clock in clocks.values()):
        if event is TicketEvent.CLOSED:
            return dict(clocks)
        raise InvalidTransition(
            f"cannot apply {event}: every clock has stopped (the ticket is restored or closed)",
            event=str(event),
        )
    latest = max((t for c in clocks.values() for t in (c.met_at, c.paused_at) if t is not None), default=None)
    if latest is not None and at < latest:
        raise InvalidTransition(
            f"{event} at {at.isoformat()} is earlier than the last event at {latest.isoformat()}",
            event=str(event),
        )
    if event is TicketEvent.WAITING_CUSTOMER:
        return _pause(clocks, at)
    if event is TicketEvent.RESUMED:
        return _resume(clocks, at, support_hours, calendar)
    return _meet(clocks, event, at, support_hours, calendar)


def breached(clocks: Mapping[Milestone, MilestoneClock], now: datetime) -> list[Milestone]:
    """Milestones whose clock runs past its due time at ``now``, in milestone order."""
    now = to_utc(now, "now")
    return [
        milestone
        for milestone in Milestone
        if (clock := clocks.get(milestone)) is not None
        and clock.state is ClockState.RUNNING
        and clock.due_at < now
    ]


def clocks_at(clocks: Mapping[Milestone, MilestoneClock], now: datetime) -> dict[Milestone, MilestoneClock]:
    """The clocks as they stand at ``now``: every running clock past its due time is breached (and stays
    open until met). Stored clocks lag behind time; this is what they say at ``now``."""
    late = set(breached(clocks, now))
    return {
        milestone: replace(clock, state=ClockState.BREACHED) if milestone in late else clock
        for milestone, clock in clocks.items()
    }


def advance(
    clocks: Mapping[Milestone, MilestoneClock],
    event: TicketEvent,
    at: datetime,
    support_hours: SupportHours,
    calendar: BusinessCalendar,
    *,
    now: datetime,
) -> dict[Milestone, MilestoneClock]:
    """The clocks after ``event`` happened at ``at``, as they stand at ``now``.

    A clock already late at ``at`` is breached before the event applies (a breach is neither paused away
    nor met on time), and one that falls due between ``at`` and ``now`` is breached after it.

    Raises:
        InvalidTransition, ValueError: as `apply_event`.
    """
    return clocks_at(apply_event(clocks_at(clocks, at), event, at, support_hours, calendar), now)


def newly_breached(
    before: Mapping[Milestone, MilestoneClock], after: Mapping[Milestone, MilestoneClock]
) -> list[Milestone]:
    """Milestones open and breached in ``after`` that were not breached in ``before``, in milestone order:
    the breaches a change detected, each to be recorded once."""
    return [
        milestone
        for milestone in Milestone
        if (clock := after.get(milestone)) is not None
        and clock.state is ClockState.BREACHED
        and clock.is_open
        and ((previous := before.get(milestone)) is None or previous.state is not ClockState.BREACHED)
    ]


def any_breached(clocks: Mapping[Milestone, MilestoneClock]) -> bool:
    """Whether any clock is breached: overdue and open, or met late."""
    return any(clock.state is ClockState.BREACHED for clock in clocks.values())


def next_due(clocks: Mapping[Milestone, MilestoneClock]) -> datetime | None:
    """The earliest due time among the clocks still counting (running, or breached and not yet met), or
    None; in the past while one of them is overdue. For sorting tickets by urgency, overdue first.

    Time alone does not change it: a running clock falling due and a sweep recording that leave it as it is.
    """
    return min(
        (c.due_at for c in clocks.values() if c.is_open and c.state is not ClockState.PAUSED), default=None
    )


def ticket_breached(marked: bool, next_due_at: datetime | None, now: datetime) -> bool:
    """Whether a ticket is in breach at ``now``, from the summary stored with its clocks.

    ``marked`` is `any_breached` and ``next_due_at`` is `next_due` of the clocks as last written; the
    ticket is in breach if a clock was breached then, or if the earliest clock still counting is past due
    now. This equals ``any_breached(clocks_at(clocks, now))``, and is what list filters compute in SQL.
    """
    return marked or (next_due_at is not None and next_due_at < to_utc(now, "now"))


def _add(
    start: datetime, span: timedelta, support_hours: SupportHours, calendar: BusinessCalendar
) -> datetime:
    if support_hours is SupportHours.ALWAYS:
        return start.astimezone(UTC) + span
    return calendar.add_business_time(start, span)


def _pause(clocks: Mapping[Milestone, MilestoneClock], at: datetime) -> dict[Milestone, MilestoneClock]:
    if not any(clock.state is ClockState.RUNNING for clock in clocks.values()):
        raise InvalidTransition(
            "cannot wait for the customer: no clock is running", event=str(TicketEvent.WAITING_CUSTOMER)
        )
    return {
        milestone: replace(clock, state=ClockState.PAUSED, paused_at=at)
        if clock.state is ClockState.RUNNING
        else clock
        for milestone, clock in clocks.items()
    }


def _resume(
    clocks: Mapping[Milestone, MilestoneClock],
    at: datetime,
    support_hours: SupportHours,
    calendar: BusinessCalendar,
) -> dict[Milestone, MilestoneClock]:
    if not any(clock.state is ClockState.PAUSED for clock in clocks.values()):
        raise InvalidTransition("cannot resume: no clock is paused", event=str(TicketEvent.RESUMED))
    return {milestone: _resumed(clock, at, support_hours, calendar) for milestone, clock in clocks.items()}


def _resumed(
    clock: MilestoneClock, at: datetime, support_hours: SupportHours, calendar: BusinessCalendar
) -> MilestoneClock:
    """``clock`` running again at ``at``, due later by the paused time in its basis; others unchanged."""
    if clock.paused_at is None:
        return clock
    if support_hours is SupportHours.ALWAYS:
        paused_for = at - clock.paused_at.astimezone(UTC)
    else:
        paused_for = calendar.business_time_between(clock.paused_at, at)
    due_at = _add(clock.due_at, paused_for, support_hours, calendar) if paused_for else clock.due_at
    return replace(clock, due_at=due_at, state=ClockState.RUNNING, paused_at=None)


def _meet(
    clocks: Mapping[Milestone, MilestoneClock],
    event: TicketEvent,
    at: datetime,
    support_hours: SupportHours,
    calendar: BusinessCalendar,
) -> dict[Milestone, MilestoneClock]:
    required = REQUIRES_OPEN.get(event)
    if required is not None and (clock := clocks.get(required)) is not None and not clock.is_open:
        raise InvalidTransition(
            f"cannot apply {event}: milestone {required} is already met",
            event=str(event),
            milestone=str(required),
        )
    result = dict(clocks)
    for milestone in MEETS[event]:
        clock = clocks.get(milestone)
        if clock is None or not clock.is_open:
            continue
        clock = _resumed(clock, at, support_hours, calendar)
        state = ClockState.MET if at <= clock.due_at else ClockState.BREACHED
        result[milestone] = replace(clock, state=state, met_at=at)
    return result
