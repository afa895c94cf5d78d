"""A 4-hour delivery to check: the demo's platinum customer reports a failed disk, and a disk is held
for it (tests of urgent deliveries, on the demo data)."""

from __future__ import annotations

from datetime import datetime, timedelta

from inventory.tickets.priority import Severity
from inventory.tickets.reservations import ReservationRequest, reserve
from inventory.tickets.service import open_ticket


async def four_hour_reservation(now: datetime) -> tuple[int, int]:
    """Zhonghe Bank's array in Beijing loses a second disk at ``now``: its ticket (due in 4 hours) and the
    reservation of a disk for it, at the depot the service picks."""
    ticket = await open_ticket(
        customer="ZHB",
        site="BJ-DC1",
        asset_serial="ZHB-ARR-0001",
        severity=Severity.CRITICAL,
        summary="Second disk failed in one RAID group",
        reported_at=now,
        user_caused=False,
        actor="dispatcher",
        now=now,
        viewer=None,
    )
    request = ReservationRequest("HDD-SAS-1T2-10K", 1, None, None, allow_preemption=False)
    held = await reserve(ticket.id, request, actor="dispatcher", now=now, ttl=timedelta(hours=8), viewer=None)
    return ticket.id, held.id
