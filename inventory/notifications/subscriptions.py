"""Subscriptions to notifications: create, list, read, delete, and their delivery log.

Staff subscribe to any event; a customer's users subscribe to their own company's ticket events only,
and see only their company's subscriptions (another company's is `NotFound`).
"""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from inventory.customers.tables import Customer
from inventory.errors import InvalidRequest, NotFound
from inventory.notifications.rules import (
    CANCELLED,
    PENDING,
    DeliveryPolicy,
    check_events,
    check_recipients,
    webhook_host,
)
from inventory.notifications.tables import Delivery, DeliveryAttempt, Subscription
from inventory.notifications.targets import resolve_target
from inventory.persistence import write_transaction

SECRET_PREFIX = "whsec_"  # noqa: S105 (the format's prefix, not a secret)
SECRET_BYTES = 32
MIN_SECRET_BYTES, MAX_SECRET_BYTES = 24, 64


@dataclass(frozen=True, slots=True)
class SubscriptionRequest:
    """What a subscriber asks for: a webhook ``url`` (with its ``secret``, generated when None), e-mail
    to ``email_to``, or both, for ``events``."""

    events: Sequence[str]
    url: str | None = None
    secret: str | None = None
    email_to: Sequence[str] = ()


@dataclass(frozen=True, slots=True)
class SubscriptionRecord:
    id: int
    url: str | None
    email_to: tuple[str, ...]
    events: tuple[str, ...]
    customer: str | None
    active: bool
    failures: int
    disabled_at: datetime | None
    disabled_reason: str | None
    created_by: str
    created_at: datetime
    secret: str | None = None
    """Shown once, in the answer to the request that created it."""


@dataclass(frozen=True, slots=True)
class AttemptRecord:
    id: int
    delivery: int
    message_id: str
    event_type: str
    channel: str
    attempt: int
    at: datetime
    succeeded: bool
    status_code: int | None
    error: str | None
    duration_ms: int
    delivery_status: str


def new_secret() -> str:
    """A signing secret in the Standard Webhooks format: ``whsec_`` and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def check_secret(secret: str) -> str:
    """A secret given by the subscriber: ``whsec_`` and 24 to 64 bytes in base64.

    Raises:
        InvalidRequest: any other form.
    """
    body = secret.removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if not secret.startswith(SECRET_PREFIX) or not MIN_SECRET_BYTES <= len(key) <= MAX_SECRET_BYTES:
        raise InvalidRequest(
            f"the secret is {SECRET_PREFIX} followed by {MIN_SECRET_BYTES} to {MAX_SECRET_BYTES} bytes in "
            "base64; leave it out to have one generated",
            field="secret",
        )
    return secret


async def subscribe(
    request: SubscriptionRequest,
    *,
    policy: DeliveryPolicy,
    viewer: str | None,
    actor: str,
    now: datetime,
) -> SubscriptionRecord:
    """Create a subscription for ``viewer``'s company (a customer's code) or, None, for staff.

    The webhook's target is resolved now and refused unless every address it names is public (see
    `rules.refused_address`; WEBHOOK_ALLOW_PRIVATE_TARGETS lifts this); it is checked again before each
    delivery.

    Raises:
        InvalidRequest: no channel, bad events, URL, secret or recipients, a target refused, or e-mail
            asked for with no SMTP server configured.
        NotFound: the viewer's company does not exist.
    """
    events = check_events(request.events, customer=viewer is not None)
    recipients = check_recipients(request.email_to)
    if request.url is None and not recipients:
        raise InvalidRequest("give a webhook url, e-mail recipients (email_to), or both", field="url")
    if recipients and policy.smtp is None:
        raise InvalidRequest("e-mail notifications need an SMTP server (SMTP_HOST)", field="email_to")
    if request.url is not None:
        webhook_host(request.url, policy)
        await resolve_target(request.url, policy)
    secret = new_secret() if request.secret is None else check_secret(request.secret)
    customer = await _customer_id(viewer)
    async with write_transaction():
        row = Subscription(
            url=request.url,
            email_to=" ".join(recipients),
            events=" ".join(events),
            secret=secret,
            customer=customer,
            created_by=actor,
            created_at=now,
        )
        await row.save()
    record = await get_subscription(row.id, viewer=viewer)
    return SubscriptionRecord(**{**_fields(record), "secret": secret})


async def list_subscriptions(*, viewer: str | None, limit: int, offset: int) -> list[SubscriptionRecord]:
    """The subscriptions the viewer may see (a customer: its company's; staff: all), newest first."""
    query = (
        _select()
        .where(Subscription.deleted_at.is_null())
        .order_by(Subscription.id, ascending=False)
        .limit(limit)
        .offset(offset)
    )
    if viewer is not None:
        query = query.where(Subscription.customer.code == viewer)
    return [_record(row) for row in await query]


async def get_subscription(subscription_id: int, *, viewer: str | None) -> SubscriptionRecord:
    """One subscription.

    Raises:
        NotFound: none with that id that the viewer may see.
    """
    query = _select().where((Subscription.id == subscription_id) & Subscription.deleted_at.is_null())
    if viewer is not None:
        query = query.where(Subscription.customer.code == viewer)
    row = await query.first()
    if row is None:
        raise NotFound(f"subscription {subscription_id} not found", field="id")
    return _record(row)


async def unsubscribe(subscription_id: int, *, viewer: str | None, now: datetime) -> None:
    """Delete a subscription: it hears nothing more and its pending deliveries are cancelled. The row
    stays, marked deleted, for the deliveries and attempts that name it.

    Raises:
        NotFound: none with that id that the viewer may see.
    """
    await get_subscription(subscription_id, viewer=viewer)
    async with write_transaction():
        await Subscription.update({Subscription.active: False, Subscription.deleted_at: now}).where(
            Subscription.id == subscription_id
        )
        await Delivery.update({Delivery.status: CANCELLED, Delivery.next_attempt_at: None}).where(
            (Delivery.subscription == subscription_id) & (Delivery.status == PENDING)
        )


async def delivery_log(
    subscription_id: int, *, viewer: str | None, limit: int, offset: int
) -> list[AttemptRecord]:
    """The subscription's delivery attempts, newest first.

    Raises:
        NotFound: none with that id that the viewer may see.
    """
    await get_subscription(subscription_id, viewer=viewer)
    rows = (
        await DeliveryAttempt.select(
            DeliveryAttempt.id,
            DeliveryAttempt.delivery,
            DeliveryAttempt.delivery.event.message_id.as_alias("message_id"),
            DeliveryAttempt.delivery.event.event_type.as_alias("event_type"),
            DeliveryAttempt.delivery.channel.as_alias("channel"),
            DeliveryAttempt.delivery.status.as_alias("delivery_status"),
            DeliveryAttempt.attempt,
            DeliveryAttempt.at,
            DeliveryAttempt.succeeded,
            DeliveryAttempt.status_code,
            DeliveryAttempt.error,
            DeliveryAttempt.duration_ms,
        )
        .where(DeliveryAttempt.subscription == subscription_id)
        .order_by(DeliveryAttempt.id, ascending=False)
        .limit(limit)
        .offset(offset)
    )
    return [AttemptRecord(**row) for row in rows]


async def _customer_id(viewer: str | None) -> int | None:
    if viewer is None:
        return None
    row = await Customer.select(Customer.id).where(Customer.code == viewer).first()
    if row is None:
        raise NotFound(f"customer {viewer} not found", field="customer")
    return row["id"]


def _select():
    return Subscription.select(
        Subscription.id,
        Subscription.url,
        Subscription.email_to,
        Subscription.events,
        Subscription.customer.code.as_alias("customer"),
        Subscription.active,
        Subscription.failures,
        Subscription.disabled_at,
        Subscription.disabled_reason,
        Subscription.created_by,
        Subscription.created_at,
    )


def _record(row: dict) -> SubscriptionRecord:
    return SubscriptionRecord(
        **{
            **row,
            "email_to": tuple(row["email_to"].split()),
            "events": tuple(row["events"].split()),
            "active": bool(row["active"]),
        }
    )


def _fields(record: SubscriptionRecord) -> dict:
    return {name: getattr(record, name) for name in SubscriptionRecord.__slots__}
