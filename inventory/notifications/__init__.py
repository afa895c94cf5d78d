"""Notifications: subscriptions to the service's events, delivered as signed webhooks (Standard
Webhooks) and e-mail.

* `rules` - the events, who hears them, where a webhook may go, retries and backoff (plain Python);
* `outbox` - `publish`: an event announced in the transaction of the change it announces;
* `subscriptions` - subscribe, list, read, delete, the delivery log;
* `targets` - a webhook's URL resolved and checked against server-side request forgery;
* `sending` - `deliver_due`: the background delivery, with its attempts logged;
* `purge` - `purge_notifications`: events, deliveries and attempts past the retention.
"""

from inventory.notifications.outbox import publish
from inventory.notifications.purge import purge_notifications
from inventory.notifications.rules import (
    CUSTOMER_EVENTS,
    EVENT_TYPES,
    PLAN_COMMITTED,
    STOP_STATUS_CHANGED,
    TICKET_AT_RISK,
    TICKET_BREACHED,
    TICKET_ETA_CHANGED,
    DeliveryPolicy,
    SmtpServer,
)
from inventory.notifications.sending import deliver_due
from inventory.notifications.subscriptions import (
    AttemptRecord,
    SubscriptionRecord,
    SubscriptionRequest,
    delivery_log,
    get_subscription,
    list_subscriptions,
    subscribe,
    unsubscribe,
)

__all__ = [
    "CUSTOMER_EVENTS",
    "EVENT_TYPES",
    "PLAN_COMMITTED",
    "STOP_STATUS_CHANGED",
    "TICKET_AT_RISK",
    "TICKET_BREACHED",
    "TICKET_ETA_CHANGED",
    "AttemptRecord",
    "DeliveryPolicy",
    "SmtpServer",
    "SubscriptionRecord",
    "SubscriptionRequest",
    "deliver_due",
    "delivery_log",
    "get_subscription",
    "list_subscriptions",
    "publish",
    "purge_notifications",
    "subscribe",
    "unsubscribe",
]
