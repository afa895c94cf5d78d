"""Piccolo tables of the notifications app: subscriptions, the outbox of events, each event's deliveries
to each subscription, and the log of their attempts."""

from __future__ import annotations

from piccolo.columns import Boolean, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.table import Table

from inventory.customers.tables import Customer
from inventory.persistence import SCOPED_ENGINE


class Subscription(Table, tablename="notification_subscription", db=SCOPED_ENGINE):
    """Who hears which events, and how: a webhook ``url`` signed with ``secret``, e-mail to ``email_to``,
    or both.

    ``events`` and ``email_to`` are space-separated lists. ``customer`` is the company of a customer's
    subscription (it hears that company's ticket events only); None for staff. ``failures`` counts the
    attempts that failed since the last success; the subscription is disabled (``active`` false, with
    ``disabled_at`` and ``disabled_reason``) when they reach the policy's threshold. A deleted
    subscription stays, marked by ``deleted_at``, for the deliveries and attempts that name it.
    """

    url = Varchar(length=2_000, null=True, default=None)
    email_to = Varchar(length=1_000, default="")
    events = Varchar(length=500)
    secret = Varchar(length=200)
    customer = ForeignKey(references=Customer, null=True, default=None, on_delete=OnDelete.restrict)
    active = Boolean(default=True)
    failures = Integer(default=0)
    disabled_at = Timestamptz(null=True, default=None)
    disabled_reason = Varchar(length=500, null=True, default=None)
    created_by = Varchar(length=64)
    created_at = Timestamptz()
    deleted_at = Timestamptz(null=True, default=None)


class NotificationEvent(Table, tablename="notification_event", db=SCOPED_ENGINE):
    """The outbox: one row per event published, written in the transaction of the change it announces.

    ``message_id`` is the event's id in every delivery (the ``webhook-id`` header); ``payload`` the JSON
    body (``type``, ``timestamp``, ``data``); ``customer`` the company the event concerns, if one.
    """

    message_id = Varchar(length=64, unique=True)
    event_type = Varchar(length=64)
    payload = Text()
    customer = ForeignKey(references=Customer, null=True, default=None, on_delete=OnDelete.restrict)
    occurred_at = Timestamptz(index=True)


class Delivery(Table, tablename="notification_delivery", db=SCOPED_ENGINE):
    """One event to one subscription over one ``channel`` (``webhook`` or ``email``).

    ``status``: ``pending`` (due at ``next_attempt_at``), ``delivered``, ``failed`` (given up) or
    ``cancelled`` (its subscription was deleted or disabled). A sender claims a pending delivery by moving
    ``next_attempt_at`` past the attempt's time, so that two never send it at once.
    """

    event = ForeignKey(references=NotificationEvent, null=False, on_delete=OnDelete.restrict, index=True)
    subscription = ForeignKey(references=Subscription, null=False, on_delete=OnDelete.restrict, index=True)
    channel = Varchar(length=16)
    status = Varchar(length=16, default="pending")
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz(null=True, default=None, index=True)
    delivered_at = Timestamptz(null=True, default=None)


class DeliveryAttempt(Table, tablename="notification_attempt", db=SCOPED_ENGINE):
    """The delivery log: each attempt, its answer (``status_code``, None when there was none) or its
    ``error``, and how long it took."""

    delivery = ForeignKey(references=Delivery, null=False, on_delete=OnDelete.restrict, index=True)
    subscription = ForeignKey(references=Subscription, null=False, on_delete=OnDelete.restrict, index=True)
    attempt = Integer()
    at = Timestamptz()
    succeeded = Boolean()
    status_code = Integer(null=True, default=None)
    error = Varchar(length=500, null=True, default=None)
    duration_ms = Integer()
