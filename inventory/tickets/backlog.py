"""How far the background sweep is behind: the oldest work it has not done yet.

The sweep (`sweep_breaches`, `expire_due`) marks milestones past their due time as breached and expires
reservations past their expiry. Between two sweeps some such work waits; when the sweep stops or falls
behind, the wait grows. `sweep_lag` measures it, from the same selections as the sweep (and the same
indexes: ``ticket_milestone (state, due_at)``, ``reservation (status, expires_at)``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from inventory.tickets.reservations import ACTIVE
from inventory.tickets.sla import ClockState
from inventory.tickets.tables import Reservation, TicketMilestone


@dataclass(frozen=True, slots=True)
class SweepLag:
    """Ages in seconds at ``now``; 0 when nothing waits."""

    unmarked_breach_s: float
    """Age of the oldest SLA milestone past its due time and still running (not yet marked breached)."""
    unexpired_reservation_s: float
    """Age of the oldest active reservation past its expiry (not yet expired)."""


async def sweep_lag(now: datetime) -> SweepLag:
    """The age of the oldest breach the sweep has not marked, and of the oldest reservation it has not
    expired, at ``now`` (one indexed query each)."""
    milestone = (
        await TicketMilestone.select(TicketMilestone.due_at)
        .where((TicketMilestone.state == ClockState.RUNNING.value) & (TicketMilestone.due_at < now))
        .order_by(TicketMilestone.due_at)
        .first()
    )
    reservation = (
        await Reservation.select(Reservation.expires_at)
        .where((Reservation.status == ACTIVE) & (Reservation.expires_at < now))
        .order_by(Reservation.expires_at)
        .first()
    )
    return SweepLag(
        unmarked_breach_s=_age(milestone["due_at"], now) if milestone else 0.0,
        unexpired_reservation_s=_age(reservation["expires_at"], now) if reservation else 0.0,
    )


def _age(since: datetime, now: datetime) -> float:
    return max((now - since).total_seconds(), 0.0)
