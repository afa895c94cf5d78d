"""At risk before breached: a ticket whose committed ETA falls after the due time it must keep. Plain
Python.

A committed plan says when each reserved part reaches the site (the van's delivery, or the engineer who
collected it) and when the engineer is on site. Each such ETA is an `Expectation` against the due time
it has to keep: a part's against the ticket's delivery promise (``delivery_due_by``), the engineer's
visit against the on-site milestone. Expectations already settled (the part was handed over, the
engineer reported on site) or whose milestone is paused do not count. The ticket is at risk while any
counting expectation is late, by the largest lateness.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class Promise(StrEnum):
    """The due time an ETA has to keep."""

    DELIVERY = "delivery"
    ON_SITE = "on_site"


@dataclass(frozen=True, slots=True)
class Expectation:
    """A committed ETA against its due time."""

    promise: Promise
    eta: datetime
    due_at: datetime


@dataclass(frozen=True, slots=True)
class Outlook:
    """Whether a ticket is at risk, by how much, and which promise is missed by the most."""

    at_risk: bool
    late_by: timedelta
    promise: Promise | None
    eta: datetime | None = None
    """The ETA that misses by the most, and the due time it misses."""
    due_at: datetime | None = None

    @property
    def late_seconds(self) -> int:
        return round(self.late_by.total_seconds())


ON_TIME = Outlook(False, timedelta(0), None)


def outlook(expectations: Iterable[Expectation]) -> Outlook:
    """The ticket's outlook from the expectations that still count: at risk when any ETA is after its
    due time, late by the largest such difference (ties: the delivery promise first)."""
    worst = ON_TIME
    for expectation in sorted(expectations, key=lambda e: list(Promise).index(e.promise)):
        late = expectation.eta - expectation.due_at
        if late > worst.late_by:
            worst = Outlook(True, late, expectation.promise, expectation.eta, expectation.due_at)
    return worst
