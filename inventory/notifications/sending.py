"""Delivering the outbox: every pending delivery that is due, as a signed webhook or an e-mail, each
attempt logged, failures retried with backoff, given up after the policy's attempts, and a subscription
that keeps failing disabled (`rules.DeliveryPolicy`).

`deliver_due` is the body of the periodic job ``notification-delivery`` (`jobs.periodic`): the job
queue's workers run it on PostgreSQL, the in-process runner on SQLite. Delivery is at least once: a
sender that stops after sending and before recording sends again when the claim lapses; receivers
tell repeats apart by the ``webhook-id`` header (the event's id, the same in every attempt).
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage

import aiosmtplib
import httpx
import structlog
from standardwebhooks.webhooks import Webhook

from inventory.errors import InvalidRequest
from inventory.notifications.rules import (
    CANCELLED,
    DELIVERED,
    EMAIL,
    FAILED,
    PENDING,
    DeliveryPolicy,
    SmtpServer,
)
from inventory.notifications.tables import Delivery, DeliveryAttempt, Subscription
from inventory.notifications.targets import resolve_target
from inventory.persistence import write_transaction

log = structlog.get_logger("inventory.notifications")

SENDS_AT_ONCE = 8
"""How many deliveries one run sends at the same time."""
USER_AGENT = "Spareline-Webhooks/1"
MAX_ERROR_LENGTH = 500


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one attempt came to: ``status_code`` (an HTTP answer; None otherwise) or ``error``."""

    succeeded: bool
    status_code: int | None = None
    error: str | None = None


async def deliver_due(now: datetime, policy: DeliveryPolicy) -> dict[str, int]:
    """Send every delivery due at ``now`` (at most ``policy.batch`` per run), at most `SENDS_AT_ONCE` at
    once; what came of them, by outcome."""
    due = await (
        Delivery.select(Delivery.id)
        .where(
            (Delivery.status == PENDING)
            & (Delivery.next_attempt_at <= now)
            & Delivery.subscription.active.eq(True)
        )
        .order_by(Delivery.next_attempt_at)
        .order_by(Delivery.id)
        .limit(policy.batch)
    )
    gate = asyncio.Semaphore(SENDS_AT_ONCE)

    async def one(delivery_id: int) -> str | None:
        async with gate:
            return await deliver(delivery_id, now, policy)

    results = await asyncio.gather(*(one(row["id"]) for row in due))
    counts = {DELIVERED: 0, "retrying": 0, FAILED: 0}
    for result in results:
        if result is not None:
            counts[result] += 1
    return counts


async def deliver(delivery_id: int, now: datetime, policy: DeliveryPolicy) -> str | None:
    """Claim one due delivery, send it, and record the attempt; ``delivered``, ``retrying`` or ``failed``
    (None: another sender had claimed it)."""
    lease = timedelta(seconds=policy.timeout_s * 2 + 60)
    async with write_transaction():
        claimed = (
            await Delivery.update({Delivery.next_attempt_at: now + lease})
            .where(
                (Delivery.id == delivery_id)
                & (Delivery.status == PENDING)
                & (Delivery.next_attempt_at <= now)
            )
            .returning(Delivery.attempts)
        )
    if not claimed:
        return None
    row = await (
        Delivery.select(
            Delivery.channel,
            Delivery.subscription,
            Delivery.event.message_id.as_alias("message_id"),
            Delivery.event.event_type.as_alias("event_type"),
            Delivery.event.payload.as_alias("payload"),
            Delivery.subscription.url.as_alias("url"),
            Delivery.subscription.secret.as_alias("secret"),
            Delivery.subscription.email_to.as_alias("email_to"),
        )
        .where(Delivery.id == delivery_id)
        .first()
    )
    started = time.monotonic()
    if row["channel"] == EMAIL:
        outcome = await send_email(row, policy.smtp)
    else:
        outcome = await send_webhook(row, now, policy)
    duration_ms = round((time.monotonic() - started) * 1000)
    return await _record(
        delivery_id, row["subscription"], claimed[0]["attempts"] + 1, outcome, duration_ms, now, policy
    )


async def send_webhook(row: dict, now: datetime, policy: DeliveryPolicy) -> Outcome:
    """POST the event to the subscription's URL, signed (Standard Webhooks: ``webhook-id``,
    ``webhook-timestamp``, ``webhook-signature`` v1, HMAC-SHA256 with the subscription's secret), to the
    address checked just before; redirects are not followed. Any 2xx answer is a success."""
    try:
        target = await resolve_target(row["url"], policy)
    except InvalidRequest as exc:
        return Outcome(False, error=exc.message)
    signature = Webhook(row["secret"]).sign(row["message_id"], now, row["payload"])
    headers = {
        "host": target.host_header,
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": row["message_id"],
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
    }
    extensions = {"sni_hostname": target.host} if target.url.startswith("https:") else {}
    try:
        async with httpx.AsyncClient(
            timeout=policy.timeout_s, follow_redirects=False, trust_env=False
        ) as client:
            response = await client.post(
                target.pinned_url, content=row["payload"].encode(), headers=headers, extensions=extensions
            )
    except httpx.HTTPError as exc:
        return Outcome(False, error=f"{type(exc).__name__}: {exc}"[:MAX_ERROR_LENGTH])
    if response.is_success:
        return Outcome(True, status_code=response.status_code)
    return Outcome(False, status_code=response.status_code, error=f"HTTP {response.status_code}")


async def send_email(row: dict, smtp: SmtpServer | None) -> Outcome:
    """Mail the event to the subscription's recipients through the configured SMTP server."""
    if smtp is None:
        return Outcome(False, error="no SMTP server is configured (SMTP_HOST)")
    try:
        await aiosmtplib.send(
            email_message(row, smtp.sender),
            hostname=smtp.host,
            port=smtp.port,
            username=smtp.username,
            password=smtp.password,
            use_tls=smtp.tls == "tls",
            start_tls={"starttls": True, "none": False}.get(smtp.tls),
            timeout=30,
        )
    except (aiosmtplib.SMTPException, OSError) as exc:
        return Outcome(False, error=f"{type(exc).__name__}: {exc}"[:MAX_ERROR_LENGTH])
    return Outcome(True)


def email_message(row: dict, sender: str) -> EmailMessage:
    """The e-mail of one event: its type and subject in the subject line, its JSON body as text."""
    body = json.loads(row["payload"])
    data = body["data"]
    subject = next((f"{key} {data[key]}" for key in ("ticket", "plan", "stop") if key in data), "")
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(row["email_to"].split())
    message["Subject"] = f"Spareline: {row['event_type']} {subject}".strip()
    message["Message-ID"] = f"<{row['message_id']}@spareline>"
    message.set_content(
        f"{row['event_type']} at {body['timestamp']}\n\n{json.dumps(data, indent=2, sort_keys=True)}\n"
    )
    return message


async def _record(
    delivery_id: int,
    subscription_id: int,
    attempt: int,
    outcome: Outcome,
    duration_ms: int,
    now: datetime,
    policy: DeliveryPolicy,
) -> str:
    retry_at = None if outcome.succeeded else policy.retry_at(attempt, now)
    result = DELIVERED if outcome.succeeded else ("retrying" if retry_at else FAILED)
    async with write_transaction():
        # The subscription's row first, then the deliveries': one order for every sender, so that two
        # recording at once (and one of them disabling the subscription) wait for each other, never
        # deadlock.
        if outcome.succeeded:
            await Subscription.update({Subscription.failures: 0}).where(Subscription.id == subscription_id)
        else:
            await _count_failure(subscription_id, outcome, now, policy)
        await Delivery.update(
            {
                Delivery.attempts: attempt,
                Delivery.status: PENDING if result == "retrying" else result,
                Delivery.next_attempt_at: retry_at,
                Delivery.delivered_at: now if outcome.succeeded else None,
            }
        ).where((Delivery.id == delivery_id) & (Delivery.status == PENDING))
        await DeliveryAttempt.insert(
            DeliveryAttempt(
                delivery=delivery_id,
                subscription=subscription_id,
                attempt=attempt,
                at=now,
                succeeded=outcome.succeeded,
                status_code=outcome.status_code,
                error=outcome.error,
                duration_ms=duration_ms,
            )
        )
    log.info(
        "notification_attempt",
        delivery=delivery_id,
        subscription=subscription_id,
        attempt=attempt,
        result=result,
        status_code=outcome.status_code,
        error=outcome.error,
    )
    return result


async def _count_failure(
    subscription_id: int, outcome: Outcome, now: datetime, policy: DeliveryPolicy
) -> None:
    """One more failure in a row for the subscription; at the policy's threshold it is disabled and its
    pending deliveries cancelled."""
    counted = (
        await Subscription.update({Subscription.failures: Subscription.failures + 1})
        .where(Subscription.id == subscription_id)
        .returning(Subscription.failures, Subscription.active)
    )
    if not counted or not counted[0]["active"] or counted[0]["failures"] < policy.disable_after_failures:
        return
    reason = f"{counted[0]['failures']} attempts failed in a row; the last: {outcome.error}"[
        :MAX_ERROR_LENGTH
    ]
    await Subscription.update(
        {Subscription.active: False, Subscription.disabled_at: now, Subscription.disabled_reason: reason}
    ).where(Subscription.id == subscription_id)
    await Delivery.update({Delivery.status: CANCELLED, Delivery.next_attempt_at: None}).where(
        (Delivery.subscription == subscription_id) & (Delivery.status == PENDING)
    )
    log.warning("notification_subscription_disabled", subscription=subscription_id, reason=reason)
