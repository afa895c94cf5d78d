"""Webhook and e-mail subscriptions, and their delivery log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from api.schemas.base import RequestModel, ResponseModel
from inventory.notifications import AttemptRecord, SubscriptionRecord, SubscriptionRequest

EventType = Literal[
    "ticket.at_risk", "ticket.breached", "ticket.eta_changed", "plan.committed", "stop.status_changed"
]


class SubscriptionIn(RequestModel):
    """A subscription: a webhook ``url`` (signed with ``secret``, generated when left out), e-mail to
    ``email_to``, or both, for ``events``."""

    events: list[EventType] = Field(min_length=1, max_length=5)
    url: Annotated[str, StringConstraints(min_length=1, max_length=2_000)] | None = None
    secret: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = Field(
        default=None, description="whsec_ and 24 to 64 bytes in base64; generated when left out"
    )
    email_to: list[Annotated[str, StringConstraints(min_length=3, max_length=254)]] = Field(
        default_factory=list, max_length=10
    )

    def to_request(self) -> SubscriptionRequest:
        return SubscriptionRequest(
            events=self.events, url=self.url, secret=self.secret, email_to=self.email_to
        )


class SubscriptionOut(ResponseModel):
    id: int
    url: str | None
    email_to: list[str]
    events: list[str]
    customer: str | None = Field(description="The company whose ticket events it hears; null for staff's")
    active: bool
    failures: int = Field(description="Attempts failed in a row since the last success")
    disabled_at: datetime | None
    disabled_reason: str | None
    created_by: str
    created_at: datetime

    @classmethod
    def of(cls, record: SubscriptionRecord) -> SubscriptionOut:
        return cls.model_validate(record, from_attributes=True)


class SubscriptionCreatedOut(SubscriptionOut):
    secret: str = Field(description="The signing secret (Standard Webhooks, whsec_...), shown only here")

    @classmethod
    def of(cls, record: SubscriptionRecord) -> SubscriptionCreatedOut:
        return cls.model_validate(record, from_attributes=True)


class DeliveryAttemptOut(ResponseModel):
    id: int
    delivery: int
    message_id: str = Field(description="The event's id: the webhook-id header of every attempt")
    event_type: str
    channel: Literal["webhook", "email"]
    attempt: int
    at: datetime
    succeeded: bool
    status_code: int | None = Field(description="The target's HTTP status; null when it gave none")
    error: str | None
    duration_ms: int
    delivery_status: Literal["pending", "delivered", "failed", "cancelled"]

    @classmethod
    def of(cls, record: AttemptRecord) -> DeliveryAttemptOut:
        return cls.model_validate(record, from_attributes=True)
