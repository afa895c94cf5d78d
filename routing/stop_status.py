"""How a stop of a committed plan moves through its day. Plain Python: no database, no clock of its own.

A stop starts ``planned``; the van or engineer reports ``en_route`` (optional), ``arrived``, then
``done`` or ``failed`` (with a reason). A stop not yet reached may be ``cancelled`` or ``failed``
(e.g. the road is closed). ``done``, ``failed`` and ``cancelled`` are final: the day's history, which a
re-plan neither pins nor plans again. ``en_route`` and ``arrived`` are in progress: a re-plan keeps such
a stop first on its vehicle.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from inventory.errors import InvalidRequest, InvalidTransition


class StopStatus(StrEnum):
    PLANNED = "planned"
    EN_ROUTE = "en_route"
    ARRIVED = "arrived"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


FINAL = frozenset({StopStatus.DONE, StopStatus.FAILED, StopStatus.CANCELLED})
"""Statuses after which nothing happens to the stop any more: history."""
IN_PROGRESS = frozenset({StopStatus.EN_ROUTE, StopStatus.ARRIVED})
"""Statuses of a stop its vehicle is on its way to or at."""

ALLOWED: dict[StopStatus, frozenset[StopStatus]] = {
    StopStatus.PLANNED: frozenset(
        {StopStatus.EN_ROUTE, StopStatus.ARRIVED, StopStatus.FAILED, StopStatus.CANCELLED}
    ),
    StopStatus.EN_ROUTE: frozenset({StopStatus.ARRIVED, StopStatus.FAILED, StopStatus.CANCELLED}),
    StopStatus.ARRIVED: frozenset({StopStatus.DONE, StopStatus.FAILED}),
    StopStatus.DONE: frozenset(),
    StopStatus.FAILED: frozenset(),
    StopStatus.CANCELLED: frozenset(),
}
"""From each status, the statuses an event may move the stop to (an event is named by its target)."""

MAX_REASON = 500


def next_status(
    current: StopStatus, event: StopStatus, *, at: datetime, last_at: datetime | None, reason: str
) -> StopStatus:
    """The status after ``event`` reported to have happened ``at`` (the previous event's time ``last_at``).

    Raises:
        InvalidTransition: the event cannot follow the stop's status (e.g. ``done`` before ``arrived``,
            anything after a final status).
        InvalidRequest: ``failed`` without a reason, a reason over `MAX_REASON` characters, or ``at``
            before the stop's previous event.
    """
    if event not in ALLOWED[current]:
        raise InvalidTransition(f"a stop that is {current} cannot become {event}", state=str(current))
    if event is StopStatus.FAILED and not reason.strip():
        raise InvalidRequest("a failed stop needs a reason", field="reason")
    if len(reason) > MAX_REASON:
        raise InvalidRequest(f"the reason is longer than {MAX_REASON} characters", field="reason")
    if last_at is not None and at < last_at:
        raise InvalidRequest("the event happened before the stop's previous event", field="at")
    return event


__all__ = ["ALLOWED", "FINAL", "IN_PROGRESS", "MAX_REASON", "StopStatus", "next_status"]
