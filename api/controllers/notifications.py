"""Subscriptions to the service's events: signed webhooks and e-mail, with their delivery log."""

from __future__ import annotations

from datetime import datetime

from litestar import Controller, delete, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from api.idempotency import idempotent
from api.pagination import Page, PageRequest, page_of
from api.params import PathId
from api.schemas.notifications import (
    DeliveryAttemptOut,
    SubscriptionCreatedOut,
    SubscriptionIn,
    SubscriptionOut,
)
from api.security import allow
from api.settings import Settings
from inventory import notifications
from inventory.accounts import Principal, Role

SUBSCRIBERS = (Role.ADMIN, Role.DISPATCHER, Role.CUSTOMER)
WHO = (
    "Dispatchers and admins see and manage every subscription; a customer's users only their company's "
    "(another company's is not found)."
)


class WebhookController(Controller):
    path = "/webhooks"
    tags = ["notifications"]
    guards = [allow(*SUBSCRIBERS)]

    @get(
        operation_id="listWebhooks",
        summary="List subscriptions",
        description=f"Webhook and e-mail subscriptions, newest first, without their secrets. {WHO}",
    )
    async def list_webhooks(
        self, principal: NamedDependency[Principal], page: NamedDependency[PageRequest]
    ) -> Page[SubscriptionOut]:
        """Subscriptions the caller may see, newest first."""
        rows = await notifications.list_subscriptions(
            viewer=principal.viewer, limit=page.fetch, offset=page.offset
        )
        return page_of([SubscriptionOut.of(row) for row in rows], page)

    @post(
        operation_id="addWebhook",
        summary="Subscribe to events",
        description=(
            "Subscribes a webhook `url`, e-mail recipients (`email_to`) or both to `events`: "
            "`ticket.at_risk`, `ticket.breached`, `ticket.eta_changed`, `plan.committed`, "
            "`stop.status_changed`. Webhooks are signed as Standard Webhooks says (`webhook-id`, "
            "`webhook-timestamp`, `webhook-signature` v1, HMAC-SHA256) with `secret`, which the service "
            "generates when it is left out and shows only in this answer. A target that resolves to a "
            "loopback, private, link-local or other non-public address is refused (422), and so is plain "
            "HTTP in production, unless WEBHOOK_ALLOW_PRIVATE_TARGETS. Dispatchers and admins subscribe "
            "to any event; a customer's users to their own company's ticket events only."
        ),
    )
    @idempotent
    async def add_webhook(
        self,
        data: JSONBody[SubscriptionIn],
        principal: NamedDependency[Principal],
        settings: NamedDependency[Settings],
        now: NamedDependency[datetime],
    ) -> SubscriptionCreatedOut:
        """Create a subscription; its secret is in this answer only."""
        record = await notifications.subscribe(
            data.to_request(),
            policy=settings.delivery_policy(),
            viewer=principal.viewer,
            actor=principal.username,
            now=now,
        )
        return SubscriptionCreatedOut.of(record)

    @get(
        "/{subscription_id:int}",
        operation_id="getWebhook",
        summary="Read a subscription",
        description=f"One subscription, its events, channels and state, without its secret. {WHO}",
    )
    async def get_webhook(
        self, subscription_id: PathId, principal: NamedDependency[Principal]
    ) -> SubscriptionOut:
        """One subscription the caller may see."""
        return SubscriptionOut.of(
            await notifications.get_subscription(subscription_id, viewer=principal.viewer)
        )

    @delete(
        "/{subscription_id:int}",
        operation_id="deleteWebhook",
        summary="Delete a subscription",
        description=(
            "Ends a subscription: nothing more is sent to it and its pending deliveries are cancelled. " + WHO
        ),
    )
    async def delete_webhook(
        self, subscription_id: PathId, principal: NamedDependency[Principal], now: NamedDependency[datetime]
    ) -> None:
        """End a subscription."""
        await notifications.unsubscribe(subscription_id, viewer=principal.viewer, now=now)

    @get(
        "/{subscription_id:int}/deliveries",
        operation_id="listWebhookDeliveries",
        summary="Delivery log of a subscription",
        description=(
            "Every attempt to deliver an event to the subscription, newest first: event, channel, attempt "
            f"number, HTTP status or error, duration, and where the delivery stands. {WHO}"
        ),
    )
    async def list_deliveries(
        self,
        subscription_id: PathId,
        principal: NamedDependency[Principal],
        page: NamedDependency[PageRequest],
    ) -> Page[DeliveryAttemptOut]:
        """The subscription's delivery attempts, newest first."""
        rows = await notifications.delivery_log(
            subscription_id, viewer=principal.viewer, limit=page.fetch, offset=page.offset
        )
        return page_of([DeliveryAttemptOut.of(row) for row in rows], page)
