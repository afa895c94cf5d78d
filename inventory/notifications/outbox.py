"""Publishing an event: an outbox row and one delivery per subscription and channel that hears it (none
when no subscription does), written in the
caller's write transaction, so that nothing is announced that did not happen and nothing that happened
goes unannounced. The background work delivers them (`inventory.notifications.sending`).

Payloads are JSON objects; their fields per event are listed in docs/notifications.md.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from inventory.errors import InvalidRequest
from inventory.notifications.rules import EMAIL, EVENT_TYPES, PENDING, WEBHOOK, hears
from inventory.notifications.tables import Delivery, NotificationEvent, Subscription
from inventory.persistence import write_transaction


def _json_default(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def envelope(event_type: str, payload: Mapping[str, Any], now: datetime) -> str:
    """The body every delivery carries: ``{"type", "timestamp", "data"}`` (Standard Webhooks' form)."""
    return json.dumps(
        {"type": event_type, "timestamp": now.isoformat(), "data": dict(payload)},
        default=_json_default,
        separators=(",", ":"),
        sort_keys=True,
    )


async def publish(event_type: str, payload: Mapping[str, Any], *, company: int | None, now: datetime) -> int:
    """Announce ``event_type`` with ``payload`` (a JSON object: ids, codes, ISO times) to the
    subscriptions that hear it: staff's subscriptions to it, and those of ``company``'s users (the
    customer's id; None for an event of no company) for a ticket event.

    Call it inside the write transaction of the change it announces (it joins it, or opens its own).

    Returns:
        The number of deliveries queued.

    Raises:
        InvalidRequest: an unknown event type.
    """
    if event_type not in EVENT_TYPES:
        raise InvalidRequest(f"unknown event type {event_type!r}", field="event_type")
    async with write_transaction():
        listeners = await Subscription.select(
            Subscription.id,
            Subscription.url,
            Subscription.email_to,
            Subscription.events,
            Subscription.customer,
        ).where(Subscription.active.eq(True) & Subscription.events.like(f"%{event_type}%"))
        heard = [
            row
            for row in listeners
            if hears(event_type, company, events=row["events"].split(), customer=row["customer"])
        ]
        if not heard:
            return 0
        event = NotificationEvent(
            message_id=f"msg_{uuid.uuid4().hex}",
            event_type=event_type,
            payload=envelope(event_type, payload, now),
            customer=company,
            occurred_at=now,
        )
        await event.save()
        deliveries = [
            Delivery(
                event=event.id, subscription=row["id"], channel=channel, status=PENDING, next_attempt_at=now
            )
            for row in heard
            for channel, wanted in ((WEBHOOK, row["url"]), (EMAIL, row["email_to"]))
            if wanted
        ]
        await Delivery.insert(*deliveries)
    return len(deliveries)
