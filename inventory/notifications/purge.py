"""Purging the outbox: events, their deliveries and the attempts' log past the retention, never a
delivery still due.

An event goes, with its deliveries and their attempts, once it is older than the retention
(NOTIFICATION_RETENTION_DAYS), none of its deliveries is ``pending`` (still due, or retrying), and
nothing happened to any of them since the cutoff (no attempt, no delivery). The retention is at least a
week, longer than the longest gap between two attempts (WEBHOOK_RETRY_CAP_S), so a delivery whose last
attempt is older than the cutoff is not being sent.

Two runs at once delete each row once: the later waits for the earlier's row locks, then finds the rows
gone, and counts only what it deleted itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from inventory.notifications.rules import PENDING
from inventory.notifications.tables import Delivery, DeliveryAttempt, NotificationEvent
from inventory.persistence import write_transaction

PURGE_BATCH = 500
"""Events looked at per transaction, so that a purge never holds the tables for long."""
MAX_BATCHES = 20
"""Transactions per run at most; a longer backlog goes at the next runs."""


async def purge_notifications(now: datetime, retention: timedelta) -> dict[str, int]:
    """Delete the events older than ``now - retention`` whose deliveries are all finished, with their
    deliveries and attempts (see the module).

    Returns:
        How many events, deliveries and attempts were deleted.
    """
    cutoff = now - retention
    purged = {
        "notification_events_purged": 0,
        "notification_deliveries_purged": 0,
        "notification_attempts_purged": 0,
    }
    after = 0
    for _ in range(MAX_BATCHES):
        async with write_transaction():
            events = await (
                NotificationEvent.select(NotificationEvent.id)
                .where((NotificationEvent.occurred_at < cutoff) & (NotificationEvent.id > after))
                .order_by(NotificationEvent.id)
                .limit(PURGE_BATCH)
            )
            if not events:
                break
            ids = [row["id"] for row in events]
            after = ids[-1]
            counts = await _purge_finished(ids, cutoff)
        for name, count in zip(purged, counts, strict=True):
            purged[name] += count
        if len(ids) < PURGE_BATCH:
            break
    return purged


async def _purge_finished(event_ids: Sequence[int], cutoff: datetime) -> tuple[int, int, int]:
    deliveries = await Delivery.select(
        Delivery.id, Delivery.event, Delivery.status, Delivery.delivered_at
    ).where(Delivery.event.is_in(list(event_ids)))
    recent: set[int] = set()
    if deliveries:
        attempted = await DeliveryAttempt.select(DeliveryAttempt.delivery).where(
            DeliveryAttempt.delivery.is_in([row["id"] for row in deliveries]) & (DeliveryAttempt.at >= cutoff)
        )
        recent = {row["delivery"] for row in attempted}
    kept = {
        row["event"]
        for row in deliveries
        if row["status"] == PENDING
        or row["id"] in recent
        or (row["delivered_at"] is not None and row["delivered_at"] >= cutoff)
    }
    gone_events = [event for event in event_ids if event not in kept]
    gone_deliveries = [row["id"] for row in deliveries if row["event"] not in kept]
    if not gone_events:
        return 0, 0, 0
    attempts: list = []
    deleted: list = []
    if gone_deliveries:
        attempts = (
            await DeliveryAttempt.delete()
            .where(DeliveryAttempt.delivery.is_in(gone_deliveries))
            .returning(DeliveryAttempt.id)
        )
        deleted = (
            await Delivery.delete()
            .where(Delivery.id.is_in(gone_deliveries) & (Delivery.status != PENDING))
            .returning(Delivery.id)
        )
    events = (
        await NotificationEvent.delete()
        .where(NotificationEvent.id.is_in(gone_events))
        .returning(NotificationEvent.id)
    )
    return len(events), len(deleted), len(attempts)
