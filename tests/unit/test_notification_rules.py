"""The rules of notifications: events and who hears them, which webhook targets are refused, retries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from inventory.errors import InvalidRequest
from inventory.notifications.rules import (
    DeliveryPolicy,
    check_addresses,
    check_events,
    check_recipients,
    hears,
    refused_address,
    webhook_host,
)

T0 = datetime(2026, 12, 7, 16, 40, tzinfo=UTC)


def test_events_are_known_sorted_once_and_customers_get_ticket_events_only():
    assert check_events(["plan.committed", "ticket.breached", "plan.committed"], customer=False) == (
        "plan.committed",
        "ticket.breached",
    )
    assert check_events(["ticket.eta_changed"], customer=True) == ("ticket.eta_changed",)
    for events, customer in (([], False), (["ticket.lost"], False), (["stop.status_changed"], True)):
        with pytest.raises(InvalidRequest) as refused:
            check_events(events, customer=customer)
        assert refused.value.details["field"] == "events"


def test_staff_hear_every_company_and_customers_only_their_own_tickets():
    assert hears("ticket.breached", 7, events=["ticket.breached"], customer=None)
    assert hears("plan.committed", None, events=["plan.committed"], customer=None)
    assert hears("ticket.breached", 7, events=["ticket.breached"], customer=7)
    assert not hears("ticket.breached", 8, events=["ticket.breached"], customer=7)
    assert not hears("ticket.breached", None, events=["ticket.breached"], customer=7)
    assert not hears("plan.committed", 7, events=["plan.committed"], customer=7)
    assert not hears("ticket.at_risk", 7, events=["ticket.breached"], customer=None)


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("10.0.0.8", "private"),
        ("172.31.255.1", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1%eth0", "link-local"),
        ("fd12::1", "private"),
        ("0.0.0.0", "unspecified"),
        ("224.0.0.251", "multicast"),
        ("100.64.0.1", "public"),
        ("::ffff:10.0.0.1", "private"),
        ("240.0.0.1", "reserved"),
    ],
)
def test_non_public_addresses_are_refused(address, kind):
    reason = refused_address(address)
    assert reason is not None
    assert kind in reason


def test_public_addresses_pass():
    assert refused_address("8.8.8.8") is None
    assert refused_address("2001:4860:4860::8888") is None


def test_every_address_of_a_name_is_checked_unless_private_targets_are_allowed():
    strict, lax = DeliveryPolicy(), DeliveryPolicy(allow_private_targets=True)
    with pytest.raises(InvalidRequest, match=r"10\.0\.0\.1"):
        check_addresses("hooks.example.com", ["8.8.8.8", "10.0.0.1"], strict)
    assert check_addresses("hooks.example.com", ["8.8.8.8", "8.8.4.4"], strict) == "8.8.8.8"
    assert check_addresses("localhost", ["127.0.0.1"], lax) == "127.0.0.1"
    with pytest.raises(InvalidRequest, match="no address"):
        check_addresses("nowhere.example.com", [], lax)


def test_webhook_urls_are_absolute_http_without_credentials_and_https_where_required():
    assert webhook_host("https://hooks.example.com/x", DeliveryPolicy()) == ("hooks.example.com", 443)
    assert webhook_host("http://hooks.example.com:8080/x", DeliveryPolicy()) == ("hooks.example.com", 8080)
    production = DeliveryPolicy(require_https=True)
    for url in ("ftp://example.com/", "/relative", "https://u:p@example.com/", "http://example.com/"):
        with pytest.raises(InvalidRequest):
            webhook_host(url, production)
    assert webhook_host("http://127.0.0.1/x", DeliveryPolicy(require_https=True, allow_private_targets=True))


def test_retries_back_off_exponentially_to_a_cap_then_give_up():
    policy = DeliveryPolicy(retry_base_s=30, retry_cap_s=300, max_attempts=6)
    delays = [policy.retry_at(attempts, T0) for attempts in range(1, 7)]
    assert [delay - T0 for delay in delays[:5]] == [timedelta(seconds=s) for s in (30, 60, 120, 240, 300)]
    assert delays[5] is None


def test_recipients_are_plain_addresses():
    assert check_recipients(["a@example.com", "a@example.com", "b@example.cn"]) == (
        "a@example.com",
        "b@example.cn",
    )
    for bad in (["nobody"], ["a@b"], ["Duty <a@example.com>"], ["a@example.com, b@example.com"]):
        with pytest.raises(InvalidRequest):
            check_recipients(bad)
