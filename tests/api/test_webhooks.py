"""Webhook and e-mail subscriptions on both engines: a signed ``plan.committed`` reaches a real HTTP server
on loopback, a 500 is retried after its backoff, non-public targets are refused, customers hear and see
only their own company's, every attempt is in the delivery log, and e-mail reaches a local SMTP server."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller
from standardwebhooks.webhooks import Webhook

from api.settings import Settings
from inventory import notifications
from inventory.accounts import Role, create_user
from inventory.customers.tables import Customer
from inventory.errors import InvalidRequest
from inventory.notifications.rules import webhook_host
from inventory.notifications.tables import Delivery, DeliveryAttempt, NotificationEvent, Subscription
from jobs import PERIODIC_JOBS
from routing.tables import RoutePlanRecord
from tests.api.conftest import PASSWORD, login
from tests.api.service_world import build, open_ticket
from tests.conftest import test_settings
from tests.webhook_receiver import webhook_receiver

WEBHOOKS = "/api/v1/webhooks"


class Inbox:
    """An aiosmtpd handler keeping every message received."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.messages.append(envelope.content)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server() -> Iterator[tuple[Controller, Inbox]]:
    """A local SMTP server for the test, on a free loopback port."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller, inbox
    finally:
        controller.stop()


@pytest.fixture
def overrides() -> dict[str, object]:
    """Settings a test changes (parametrize ``overrides`` to change them)."""
    return {}


@pytest.fixture
def settings(database_url: str, smtp_server: tuple[Controller, Inbox], overrides) -> Settings:
    """Private targets allowed (the receiver is on loopback), e-mail through the local SMTP server."""
    values = {
        "webhook_allow_private_targets": True,
        "smtp_host": "127.0.0.1",
        "smtp_port": smtp_server[0].port,
        "smtp_tls": "none",
        "smtp_from": "alerts@spareline.test",
        **overrides,
    }
    return test_settings(database_url, **values)


STRICT = pytest.mark.parametrize("overrides", [{"webhook_allow_private_targets": False}])
NO_SMTP = pytest.mark.parametrize("overrides", [{"smtp_host": None}])


async def subscribe(client, headers, **body) -> dict:
    response = await client.post(WEBHOOKS, json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def draft_plan(day: date = date(2026, 12, 8)) -> int:
    now = datetime.now(UTC)
    record = RoutePlanRecord(
        kind="nbd",
        plan_date=day,
        depots="PEK-C",
        status="draft",
        epoch=now,
        objective=0,
        stats="{}",
        created_by="dispatcher",
        created_at=now,
    )
    await record.save()
    return record.id


async def deliver(settings: Settings, now: datetime | None = None) -> dict:
    """One run of the periodic job that delivers notifications."""
    job = next(job for job in PERIODIC_JOBS if job.name == "notification-delivery")
    return await job.run(now or datetime.now(UTC), settings.periodic_params())


async def test_a_committed_plan_reaches_the_subscriber_signed(client, headers, settings):
    with webhook_receiver() as receiver:
        subscription = await subscribe(
            client, headers["dispatcher"], url=receiver.url, events=["plan.committed"]
        )
        assert subscription["secret"].startswith("whsec_")
        plan = await draft_plan()
        response = await client.post(f"/api/v1/routing/plans/{plan}/commit", headers=headers["dispatcher"])
        assert response.status_code == 200, response.text
        assert await deliver(settings) == {"delivered": 1, "retrying": 0, "failed": 0}

        [received] = receiver.requests
    assert received.path == "/hooks/spareline"
    body = Webhook(subscription["secret"]).verify(received.body, received.headers)
    assert body["type"] == "plan.committed"
    assert body["data"]["plan"] == plan
    assert body["data"]["kind"] == "nbd"
    assert body["data"]["date"] == "2026-12-08"
    assert body["data"]["committed_by"] == "dispatcher"
    assert received.headers["webhook-id"].startswith("msg_")
    with pytest.raises(Exception, match="signature"):
        Webhook(notifications.subscriptions.new_secret()).verify(received.body, received.headers)

    response = await client.get(f"{WEBHOOKS}/{subscription['id']}", headers=headers["dispatcher"])
    assert response.status_code == 200
    assert "secret" not in response.json()


async def test_committing_again_announces_nothing_more(client, headers, settings):
    with webhook_receiver() as receiver:
        await subscribe(client, headers["admin"], url=receiver.url, events=["plan.committed"])
        plan = await draft_plan()
        for _ in range(2):
            response = await client.post(f"/api/v1/routing/plans/{plan}/commit", headers=headers["admin"])
            assert response.status_code == 200, response.text
        await deliver(settings)
        assert len(receiver.requests) == 1


async def test_a_500_is_tried_again_after_its_backoff_and_logged(client, headers, settings):
    with webhook_receiver() as receiver:
        receiver.answer(500)
        subscription = await subscribe(
            client, headers["dispatcher"], url=receiver.url, events=["plan.committed"]
        )
        await client.post(f"/api/v1/routing/plans/{await draft_plan()}/commit", headers=headers["dispatcher"])
        now = datetime.now(UTC)

        assert await deliver(settings, now) == {"delivered": 0, "retrying": 1, "failed": 0}
        assert await deliver(settings, now + timedelta(seconds=10)) == {
            "delivered": 0,
            "retrying": 0,
            "failed": 0,
        }, "not before its backoff"
        assert await deliver(settings, now + timedelta(seconds=31)) == {
            "delivered": 1,
            "retrying": 0,
            "failed": 0,
        }
        first, second = receiver.requests
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    Webhook(subscription["secret"]).verify(second.body, second.headers)

    response = await client.get(f"{WEBHOOKS}/{subscription['id']}/deliveries", headers=headers["dispatcher"])
    assert response.status_code == 200, response.text
    log = response.json()["items"]
    assert [(a["attempt"], a["status_code"], a["succeeded"]) for a in log] == [
        (2, 204, True),
        (1, 500, False),
    ]
    assert {a["delivery_status"] for a in log} == {"delivered"}
    assert log[1]["error"] == "HTTP 500"
    assert log[0]["event_type"] == "plan.committed"
    assert log[0]["message_id"] == first.headers["webhook-id"]
    assert all(a["duration_ms"] >= 0 for a in log)


async def test_a_delivery_is_given_up_and_a_failing_subscription_disabled(client, headers, settings):
    policy = replace(settings.delivery_policy(), max_attempts=2, disable_after_failures=3)
    with webhook_receiver() as receiver:
        receiver.answer(*[503] * 10)
        subscription = await subscribe(client, headers["admin"], url=receiver.url, events=["plan.committed"])
        for day in (date(2026, 12, 8), date(2026, 12, 9)):
            await client.post(
                f"/api/v1/routing/plans/{await draft_plan(day)}/commit", headers=headers["admin"]
            )
        now = datetime.now(UTC)
        assert await notifications.deliver_due(now, policy) == {"delivered": 0, "retrying": 2, "failed": 0}
        later = now + timedelta(minutes=5)
        outcome = await notifications.deliver_due(later, policy)
        assert outcome["delivered"] == 0
        assert len(receiver.requests) == 4

    response = await client.get(f"{WEBHOOKS}/{subscription['id']}", headers=headers["admin"])
    shown = response.json()
    assert shown["active"] is False
    assert "attempts failed in a row" in shown["disabled_reason"]
    statuses = {row["status"] for row in await Delivery.select(Delivery.status)}
    assert statuses <= {"failed", "cancelled"}
    assert await notifications.deliver_due(later + timedelta(days=1), policy) == {
        "delivered": 0,
        "retrying": 0,
        "failed": 0,
    }


@STRICT
@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/hook",
        "http://localhost/hook",
        "http://[::1]/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://172.16.5.4/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://100.64.0.1/hook",
        "http://0.0.0.0/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://[fd00::1]/hook",
    ],
)
async def test_non_public_targets_are_refused(client, headers, url):
    response = await client.post(
        WEBHOOKS, json={"url": url, "events": ["plan.committed"]}, headers=headers["dispatcher"]
    )
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "url"
    assert await Subscription.count() == 0


async def test_bad_subscriptions_are_refused(client, headers):
    production = replace(notifications.DeliveryPolicy(), require_https=True)
    with pytest.raises(InvalidRequest, match="HTTPS"):
        webhook_host("http://hooks.example.com/x", production)
    for body in (
        {"url": "ftp://example.com/x", "events": ["plan.committed"]},
        {"url": "https://user:pw@example.com/x", "events": ["plan.committed"]},
        {"url": "https://example.com/x", "events": ["plan.exploded"]},
        {"url": "https://example.com/x", "events": []},
        {"events": ["plan.committed"]},
        {"url": "https://example.com/x", "events": ["plan.committed"], "secret": "not-a-secret"},
        {"email_to": ["not an address"], "events": ["plan.committed"]},
    ):
        response = await client.post(WEBHOOKS, json=body, headers=headers["dispatcher"])
        assert response.status_code == 422, (body, response.text)
    for role in ("warehouse", "compliance"):
        response = await client.get(WEBHOOKS, headers=headers[role])
        assert response.status_code == 403
    assert await Subscription.count() == 0


async def test_the_target_is_checked_again_at_delivery(client, headers, settings):
    """Subscribed while private targets were allowed; delivered where they are not: refused, logged."""
    with webhook_receiver() as receiver:
        subscription = await subscribe(
            client, headers["dispatcher"], url=receiver.url, events=["plan.committed"]
        )
        await client.post(f"/api/v1/routing/plans/{await draft_plan()}/commit", headers=headers["dispatcher"])
        strict = replace(settings.delivery_policy(), allow_private_targets=False)
        assert await notifications.deliver_due(datetime.now(UTC), strict) == {
            "delivered": 0,
            "retrying": 1,
            "failed": 0,
        }
        assert receiver.requests == []
    response = await client.get(f"{WEBHOOKS}/{subscription['id']}/deliveries", headers=headers["dispatcher"])
    [attempt] = response.json()["items"]
    assert attempt["status_code"] is None
    assert "loopback" in attempt["error"]


async def test_a_given_secret_signs_the_deliveries(client, headers, settings):
    secret = notifications.subscriptions.new_secret()
    with webhook_receiver() as receiver:
        created = await subscribe(
            client, headers["dispatcher"], url=receiver.url, events=["plan.committed"], secret=secret
        )
        assert created["secret"] == secret
        await client.post(f"/api/v1/routing/plans/{await draft_plan()}/commit", headers=headers["dispatcher"])
        await deliver(settings)
        [received] = receiver.requests
    Webhook(secret).verify(received.body, received.headers)


async def test_customers_hear_and_see_only_their_own_company(client, headers, settings):
    await create_user(
        username="other-customer",
        password=PASSWORD,
        role=Role.CUSTOMER,
        customer="OTHER",
        passwords=settings.passwords(),
        now=datetime.now(UTC),
    )
    other = await login(client, "other-customer")
    acme = headers["customer"]
    response = await client.post(
        WEBHOOKS, json={"url": "https://example.com/x", "events": ["plan.committed"]}, headers=acme
    )
    assert response.status_code == 422, "customers hear ticket events only"

    with webhook_receiver() as acme_hook, webhook_receiver() as staff_hook:
        mine = await subscribe(client, acme, url=acme_hook.url, events=["ticket.breached", "ticket.at_risk"])
        staff = await subscribe(client, headers["dispatcher"], url=staff_hook.url, events=["ticket.breached"])
        assert mine["customer"] == "ACME"
        assert staff["customer"] is None

        for who, expected in ((other, 404), (acme, 200)):
            for path in (f"{WEBHOOKS}/{mine['id']}", f"{WEBHOOKS}/{mine['id']}/deliveries"):
                assert (await client.get(path, headers=who)).status_code == expected
        assert (await client.delete(f"{WEBHOOKS}/{mine['id']}", headers=other)).status_code == 404
        assert (await client.get(f"{WEBHOOKS}/{staff['id']}", headers=acme)).status_code == 404
        assert [s["id"] for s in (await client.get(WEBHOOKS, headers=acme)).json()["items"]] == [mine["id"]]
        assert (await client.get(WEBHOOKS, headers=other)).json()["items"] == []
        listed = (await client.get(WEBHOOKS, headers=headers["dispatcher"])).json()["items"]
        assert {s["id"] for s in listed} == {mine["id"], staff["id"]}

        companies = {row["code"]: row["id"] for row in await Customer.select(Customer.id, Customer.code)}
        now = datetime.now(UTC)
        for code in ("ACME", "OTHER"):
            payload = {"ticket": companies[code], "milestone": "onsite", "due_at": now, "detected_at": now}
            await notifications.publish("ticket.breached", payload, company=companies[code], now=now)
        await deliver(settings)

        assert [json.loads(r.body)["data"]["ticket"] for r in acme_hook.requests] == [companies["ACME"]]
        assert len(staff_hook.requests) == 2


async def test_a_deleted_subscription_hears_nothing_more(client, headers, settings):
    with webhook_receiver() as receiver:
        subscription = await subscribe(client, headers["admin"], url=receiver.url, events=["plan.committed"])
        await client.post(f"/api/v1/routing/plans/{await draft_plan()}/commit", headers=headers["admin"])
        response = await client.delete(f"{WEBHOOKS}/{subscription['id']}", headers=headers["admin"])
        assert response.status_code == 204
        assert (
            await client.get(f"{WEBHOOKS}/{subscription['id']}", headers=headers["admin"])
        ).status_code == 404
        await client.post(
            f"/api/v1/routing/plans/{await draft_plan(date(2026, 12, 9))}/commit", headers=headers["admin"]
        )
        await deliver(settings)
        assert receiver.requests == []
    assert {row["status"] for row in await Delivery.select(Delivery.status)} == {"cancelled"}


async def test_an_sla_breach_is_announced_to_staff_and_its_company(client, world, settings, smtp_server):
    sworld = await build(client, world)
    _, inbox = smtp_server
    with webhook_receiver() as receiver:
        await subscribe(
            client,
            world.headers["dispatcher"],
            url=receiver.url,
            email_to=["duty@spareline.test"],
            events=["ticket.breached"],
        )
        reported = datetime.now(UTC) - timedelta(hours=6)
        ticket = await open_ticket(client, sworld, "PLAT", reported_at=reported.isoformat())
        assert await deliver(settings) == {"delivered": 4, "retrying": 0, "failed": 0}
        milestones = sorted(json.loads(r.body)["data"]["milestone"] for r in receiver.requests)
    assert {json.loads(r.body)["data"]["ticket"] for r in receiver.requests} == {ticket["id"]}
    assert milestones == ["on_site", "response"]
    mails = [message_from_bytes(raw) for raw in inbox.messages]
    assert len(mails) == 2
    assert all(mail["To"] == "duty@spareline.test" for mail in mails)
    assert all(mail["From"] == "alerts@spareline.test" for mail in mails)
    assert all(f"ticket.breached ticket {ticket['id']}" in mail["Subject"] for mail in mails)


@NO_SMTP
async def test_e_mail_needs_an_smtp_server(client, headers):
    response = await client.post(
        WEBHOOKS,
        json={"email_to": ["duty@spareline.test"], "events": ["ticket.breached"]},
        headers=headers["dispatcher"],
    )
    assert response.status_code == 422
    assert "SMTP" in response.text


async def test_two_senders_at_once_deliver_each_event_once(client, headers, settings):
    policy = settings.delivery_policy()
    with webhook_receiver() as receiver:
        await subscribe(client, headers["dispatcher"], url=receiver.url, events=["plan.committed"])
        for day in (date(2026, 12, 8), date(2026, 12, 9), date(2026, 12, 10)):
            plan = await draft_plan(day)
            await client.post(f"/api/v1/routing/plans/{plan}/commit", headers=headers["dispatcher"])
        now = datetime.now(UTC)
        runs = await asyncio.gather(*(notifications.deliver_due(now, policy) for _ in range(3)))
        assert sum(run["delivered"] for run in runs) == 3
        assert len({r.headers["webhook-id"] for r in receiver.requests}) == len(receiver.requests) == 3


async def test_a_subscription_sent_again_with_its_idempotency_key_is_made_once(client, headers):
    body = {"url": "http://127.0.0.1:9/hook", "events": ["plan.committed"]}
    answers = [
        await client.post(WEBHOOKS, json=body, headers={**headers["admin"], "Idempotency-Key": "sub-1"})
        for _ in range(2)
    ]
    assert [answer.status_code for answer in answers] == [201, 201]
    assert answers[0].json() == answers[1].json()
    assert answers[1].headers["Idempotency-Replayed"] == "true"
    assert await Subscription.count() == 1


async def purge(settings: Settings, now: datetime) -> dict:
    """One run of the periodic job that purges old notifications."""
    job = next(job for job in PERIODIC_JOBS if job.name == "notification-purge")
    return await job.run(now, settings.periodic_params())


@pytest.mark.parametrize("overrides", [{"notification_retention_days": 30}])
async def test_old_finished_notifications_are_purged_and_those_still_due_kept(client, headers, settings):
    now = datetime.now(UTC)
    old = now - timedelta(days=31)
    with webhook_receiver() as working, webhook_receiver() as failing:
        failing.answer(*[500] * 5)
        await subscribe(client, headers["dispatcher"], url=working.url, events=["plan.committed"])
        await subscribe(client, headers["dispatcher"], url=failing.url, events=["stop.status_changed"])
        delivered_long_ago = await publish(notifications.PLAN_COMMITTED, old)
        retrying_since_long_ago = await publish(notifications.STOP_STATUS_CHANGED, old)
        assert await deliver(settings, old) == {"delivered": 1, "retrying": 1, "failed": 0}
        recent = await publish(notifications.PLAN_COMMITTED, now)
        assert await deliver(settings, now) == {"delivered": 1, "retrying": 1, "failed": 0}

    before = await attempts_by_event()
    assert before == {delivered_long_ago: 1, retrying_since_long_ago: 2, recent: 1}
    assert await purge(settings, now) == {
        "notification_events_purged": 1,
        "notification_deliveries_purged": 1,
        "notification_attempts_purged": 1,
    }
    assert await attempts_by_event() == {retrying_since_long_ago: 2, recent: 1}
    assert {row["id"] for row in await NotificationEvent.select(NotificationEvent.id)} == {
        retrying_since_long_ago,
        recent,
    }
    assert await purge(settings, now) == dict.fromkeys(
        ("notification_events_purged", "notification_deliveries_purged", "notification_attempts_purged"), 0
    ), "nothing twice"
    assert await purge(settings, now + timedelta(days=31)) == {
        "notification_events_purged": 1,
        "notification_deliveries_purged": 1,
        "notification_attempts_purged": 1,
    }, "the recent event once it is old too; the one still retrying never"
    assert set(await attempts_by_event()) == {retrying_since_long_ago}


@pytest.mark.parametrize("days", [6, 3_651])
def test_the_notification_retention_is_bounded(database_url: str, days: int):
    with pytest.raises(ValueError, match="notification_retention_days"):
        test_settings(database_url, notification_retention_days=days)


async def publish(event_type: str, at: datetime) -> int:
    """Announce ``event_type`` at ``at``; the event's id."""
    assert await notifications.publish(event_type, {"at": at}, company=None, now=at) == 1
    rows = await NotificationEvent.select(NotificationEvent.id).order_by(
        NotificationEvent.id, ascending=False
    )
    return rows[0]["id"]


async def attempts_by_event() -> dict[int, int]:
    """How many delivery attempts each event has in the log."""
    counts: dict[int, int] = {}
    for attempt in await DeliveryAttempt.select(DeliveryAttempt.delivery.event.as_alias("event")):
        counts[attempt["event"]] = counts.get(attempt["event"], 0) + 1
    return counts
