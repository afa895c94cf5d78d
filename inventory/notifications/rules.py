"""The rules of notifications, in plain Python: which events exist and who may hear them, where a webhook
may be sent, and how often a delivery is tried again.

A delivery that fails is tried again after ``retry_base_s`` seconds, then twice as long each time, at
most ``retry_cap_s`` apart, ``max_attempts`` times in all; then it is given up. A subscription whose
deliveries fail ``disable_after_failures`` attempts in a row, with no success between them, is disabled
(its owner creates it again once the target answers).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from inventory.errors import InvalidRequest

TICKET_AT_RISK = "ticket.at_risk"
TICKET_BREACHED = "ticket.breached"
TICKET_ETA_CHANGED = "ticket.eta_changed"
PLAN_COMMITTED = "plan.committed"
STOP_STATUS_CHANGED = "stop.status_changed"

EVENT_TYPES = (TICKET_AT_RISK, TICKET_BREACHED, TICKET_ETA_CHANGED, PLAN_COMMITTED, STOP_STATUS_CHANGED)
"""Every event a subscription may ask for."""
CUSTOMER_EVENTS = frozenset({TICKET_AT_RISK, TICKET_BREACHED, TICKET_ETA_CHANGED})
"""The events a customer may subscribe to: those of a ticket, which belongs to one company."""

PENDING, DELIVERED, FAILED, CANCELLED = "pending", "delivered", "failed", "cancelled"
"""A delivery's states: due at its next attempt, done, given up, or no longer wanted."""
WEBHOOK, EMAIL = "webhook", "email"
"""The channels a subscription is delivered over."""

MAX_URL_LENGTH = 2_000
MAX_RECIPIENTS = 10


@dataclass(frozen=True, slots=True)
class DeliveryPolicy:
    """How notifications are delivered (WEBHOOK_* and SMTP_* settings).

    ``allow_private_targets``: webhooks may go to loopback, private, link-local and other non-public
    addresses, and over plain HTTP (tests and demos). Otherwise only public addresses are reached, and
    only over HTTPS when ``require_https`` (production).
    """

    allow_private_targets: bool = False
    require_https: bool = False
    timeout_s: float = 10
    max_attempts: int = 10
    retry_base_s: float = 30
    retry_cap_s: float = 6 * 3600
    disable_after_failures: int = 30
    batch: int = 50
    smtp: SmtpServer | None = None

    def retry_at(self, attempts: int, now: datetime) -> datetime | None:
        """When to try again after ``attempts`` failed attempts; None: give up."""
        if attempts >= self.max_attempts:
            return None
        delay = min(self.retry_base_s * 2 ** (attempts - 1), self.retry_cap_s)
        return now + timedelta(seconds=delay)


@dataclass(frozen=True, slots=True)
class SmtpServer:
    """Where e-mail notifications are sent (SMTP_HOST, SMTP_PORT, SMTP_FROM, SMTP_TLS, SMTP_USERNAME and
    SMTP_PASSWORD); ``tls`` is ``none``, ``starttls`` or ``tls`` (implicit TLS)."""

    host: str
    port: int
    sender: str
    tls: str = "starttls"
    username: str | None = None
    password: str | None = None


def check_events(events: Iterable[str], *, customer: bool) -> tuple[str, ...]:
    """The events of a subscription, sorted and each once.

    Raises:
        InvalidRequest: none, an unknown one, or one a customer may not hear.
    """
    chosen = tuple(sorted(set(events)))
    if not chosen:
        raise InvalidRequest("name at least one event", field="events")
    unknown = [event for event in chosen if event not in EVENT_TYPES]
    if unknown:
        raise InvalidRequest(f"unknown events: {', '.join(unknown)}", field="events", allowed=EVENT_TYPES)
    if customer:
        refused = [event for event in chosen if event not in CUSTOMER_EVENTS]
        if refused:
            raise InvalidRequest(
                f"customers subscribe to their tickets' events only, not {', '.join(refused)}",
                field="events",
                allowed=sorted(CUSTOMER_EVENTS),
            )
    return chosen


def hears(event_type: str, company: int | None, *, events: Iterable[str], customer: int | None) -> bool:
    """Whether a subscription (to ``events``, of ``customer``'s users or, None, of staff) receives an
    event of ``company`` (None: an event of no company, such as a plan)."""
    if event_type not in events:
        return False
    if customer is None:
        return True
    return event_type in CUSTOMER_EVENTS and company == customer


def webhook_host(url: str, policy: DeliveryPolicy) -> tuple[str, int]:
    """The host and port a webhook URL names.

    Raises:
        InvalidRequest: not an absolute http(s) URL, credentials in it, or plain HTTP where HTTPS is
            required.
    """
    if len(url) > MAX_URL_LENGTH:
        raise InvalidRequest(f"the URL is longer than {MAX_URL_LENGTH} characters", field="url")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InvalidRequest(f"not a valid URL: {exc}", field="url") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidRequest("the URL must be absolute, http or https", field="url")
    if parts.username is not None or parts.password is not None:
        raise InvalidRequest(
            "the URL must not carry credentials: the secret signs each delivery", field="url"
        )
    if parts.scheme == "http" and policy.require_https and not policy.allow_private_targets:
        raise InvalidRequest("webhooks are sent over HTTPS only", field="url")
    return parts.hostname, port or (443 if parts.scheme == "https" else 80)


def refused_address(address: str) -> str | None:
    """Why a webhook may not be sent to ``address`` (an IP address), or None for a public one: loopback,
    private, link-local, shared, reserved, multicast or unspecified addresses are refused, so that a
    subscription cannot reach the service's own network (server-side request forgery)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for kind, flag in (
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("unspecified", ip.is_unspecified),
        ("multicast", ip.is_multicast),
        ("reserved", ip.is_reserved),
        ("private", ip.is_private),
    ):
        if flag:
            return f"{address} is a {kind} address"
    if not ip.is_global:
        return f"{address} is not a public address"
    return None


def check_addresses(host: str, addresses: Iterable[str], policy: DeliveryPolicy) -> str:
    """The address to connect to for ``host``, from those it resolves to.

    Raises:
        InvalidRequest: it resolves to nothing, or (unless private targets are allowed) to any address
            that is not public: every one is checked, since a client may use any of them.
    """
    found = list(dict.fromkeys(addresses))
    if not found:
        raise InvalidRequest(f"{host} resolves to no address", field="url")
    if not policy.allow_private_targets:
        for address in found:
            reason = refused_address(address)
            if reason is not None:
                raise InvalidRequest(f"webhook target refused: {host}: {reason}", field="url")
    return found[0]


def check_recipients(recipients: Iterable[str]) -> tuple[str, ...]:
    """E-mail recipients, each once.

    Raises:
        InvalidRequest: too many, or one that is not a plain address.
    """
    chosen = tuple(dict.fromkeys(address.strip() for address in recipients))
    if len(chosen) > MAX_RECIPIENTS:
        raise InvalidRequest(f"at most {MAX_RECIPIENTS} recipients", field="email_to")
    for address in chosen:
        local, at, domain = address.partition("@")
        if not (local and at and "." in domain) or any(c.isspace() or c in "<>,;\"'" for c in address):
            raise InvalidRequest(f"not an e-mail address: {address!r}", field="email_to")
    return chosen
