"""Tickets: exact SLA deadlines and delivery windows from entitlements and China's working calendar."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from api.sweeper import sweep_once
from inventory.audit.tables import AuditEntry
from inventory.tickets.tables import Ticket
from tests.api.service_world import build, local, open_ticket
from tests.conftest import rerun_migration

NEXT_DUE_MIGRATION = "2026-12-06T07:33:56:767094"


@pytest.fixture
async def sworld(client, world):
    return await build(client, world)


def at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def due(ticket: dict, milestone: str) -> datetime:
    return at(ticket["sla"][milestone]["due_at"])


async def test_business_customer_across_national_day(client, sworld, clock):
    clock.now = local(2026, 9, 30, 16, 45)
    ticket = await open_ticket(client, sworld, "STD", reported_at=local(2026, 9, 30, 16, 30).isoformat())
    assert due(ticket, "response") == local(2026, 9, 30, 17, 30)
    assert due(ticket, "on_site") == local(2026, 10, 8, 11, 30)
    assert due(ticket, "restore") == local(2026, 10, 8, 15, 30)
    # 1.5 h on Sep 30, then Oct 8, 9, 10 (a working Saturday), 12, 13 and 1.5 h on Oct 14.
    assert due(ticket, "replacement") == local(2026, 10, 14, 10, 30)
    assert {clock["state"] for clock in ticket["sla"].values()} == {"running"}
    assert ticket["delivery"] == {
        "service": "nbd",
        "due_from": local(2026, 10, 8, 9)
        .astimezone(at("2026-01-01T00:00:00Z").tzinfo)
        .isoformat()
        .replace("+00:00", "Z"),
        "due_by": local(2026, 10, 8, 18)
        .astimezone(at("2026-01-01T00:00:00Z").tzinfo)
        .isoformat()
        .replace("+00:00", "Z"),
    }


async def test_make_up_saturday_counts_as_a_working_day(client, sworld, clock):
    clock.now = local(2026, 10, 9, 17, 30)
    ticket = await open_ticket(client, sworld, "STD", reported_at=local(2026, 10, 9, 17, 30).isoformat())
    assert due(ticket, "response") == local(2026, 10, 10, 9, 30)
    # After the 17:00 cut-off on Friday: one business day later than Saturday the 10th -> Monday the 12th.
    assert at(ticket["delivery"]["due_from"]) == local(2026, 10, 12, 9)
    assert at(ticket["delivery"]["due_by"]) == local(2026, 10, 12, 18)


async def test_business_customer_over_a_normal_weekend_after_cutoff(client, sworld, clock):
    clock.now = local(2026, 11, 20, 17, 40)
    ticket = await open_ticket(client, sworld, "STD", reported_at=local(2026, 11, 20, 17, 30).isoformat())
    assert due(ticket, "response") == local(2026, 11, 23, 9, 30)
    assert due(ticket, "on_site") == local(2026, 11, 23, 12, 30)
    assert at(ticket["delivery"]["due_from"]) == local(2026, 11, 24, 9)


async def test_7x24_customer_counts_the_wall_clock_even_on_a_holiday(client, sworld, clock):
    clock.now = local(2026, 10, 1, 3, 5)
    ticket = await open_ticket(client, sworld, "PLAT", reported_at=local(2026, 10, 1, 3, 0).isoformat())
    assert due(ticket, "response") == local(2026, 10, 1, 4)
    assert due(ticket, "on_site") == local(2026, 10, 1, 7)
    assert due(ticket, "restore") == local(2026, 10, 1, 11)
    assert due(ticket, "replacement") == local(2026, 10, 3, 3)
    assert ticket["delivery"]["service"] == "4h"
    assert at(ticket["delivery"]["due_by"]) == local(2026, 10, 1, 7)
    assert ticket["priority"] > 20


async def test_reported_at_defaults_to_now_and_may_not_be_in_the_future(client, sworld, clock):
    clock.now = local(2026, 11, 24, 10)
    ticket = await open_ticket(client, sworld, "PREM")
    assert at(ticket["reported_at"]) == clock.now
    body = {
        "customer": "PREM",
        "site": "SH-DC1",
        "severity": "minor",
        "summary": "x",
        "reported_at": local(2026, 11, 24, 12).isoformat(),
    }
    response = await client.post("/api/v1/tickets", json=body, headers=sworld.headers["dispatcher"])
    assert response.status_code == 422
    naive = {**body, "reported_at": "2026-11-24T09:00:00"}
    assert (
        await client.post("/api/v1/tickets", json=naive, headers=sworld.headers["dispatcher"])
    ).status_code == 422


async def test_events_move_the_clocks(client, sworld, clock):
    clock.now = local(2026, 11, 24, 10)
    ticket = await open_ticket(client, sworld, "PREM")
    url = f"/api/v1/tickets/{ticket['id']}/events"
    headers = sworld.headers["dispatcher"]
    clock.now = local(2026, 11, 24, 10, 30)
    responded = await client.post(
        url, json={"type": "responded", "at": local(2026, 11, 24, 10, 20).isoformat()}, headers=headers
    )
    assert responded.status_code == 201, responded.text
    assert responded.json()["sla"]["response"]["state"] == "met"
    clock.now = local(2026, 11, 24, 13)
    paused = await client.post(url, json={"type": "waiting_customer"}, headers=headers)
    assert {paused.json()["sla"][m]["state"] for m in ("on_site", "restore", "replacement")} == {"paused"}
    clock.now = local(2026, 11, 24, 14)
    resumed = (await client.post(url, json={"type": "resumed"}, headers=headers)).json()
    assert due(resumed, "on_site") == local(2026, 11, 24, 15)
    assert due(resumed, "restore") == local(2026, 11, 24, 19)
    assert (await client.post(url, json={"type": "resumed"}, headers=headers)).status_code == 409
    clock.now = local(2026, 11, 24, 16)
    late = (await client.post(url, json={"type": "engineer_on_site"}, headers=headers)).json()
    assert late["sla"]["on_site"]["state"] == "breached"
    assert late["breached"] is True
    restored = (await client.post(url, json={"type": "restored"}, headers=headers)).json()
    assert restored["sla"]["restore"]["state"] == "met"
    assert restored["restored_at"] is not None
    closed = (await client.post(url, json={"type": "closed"}, headers=headers)).json()
    assert closed["status"] == "closed"
    assert closed["next_due_at"] is None
    assert (await client.post(url, json={"type": "responded"}, headers=headers)).status_code == 409
    early = await client.post(
        f"/api/v1/tickets/{(await open_ticket(client, sworld, 'PREM'))['id']}/events",
        json={"type": "responded", "at": local(2026, 11, 1, 10).isoformat()},
        headers=headers,
    )
    assert early.status_code == 422


async def test_sweep_marks_breaches_and_lists_sort_and_filter(client, sworld, clock):
    clock.now = local(2026, 11, 24, 10)
    first = await open_ticket(client, sworld, "PREM", reported_at=local(2026, 11, 24, 9).isoformat())
    second = await open_ticket(client, sworld, "PLAT", reported_at=local(2026, 11, 24, 9, 30).isoformat())
    third = await open_ticket(client, sworld, "STD", reported_at=local(2026, 11, 24, 9, 45).isoformat())
    headers = sworld.headers["dispatcher"]
    ordered = (await client.get("/api/v1/tickets", params={"order": "due"}, headers=headers)).json()["items"]
    assert [t["id"] for t in ordered] == [first["id"], second["id"], third["id"]]

    result = await sweep_once(local(2026, 11, 24, 10, 15))
    assert result.breaches == 1
    breached = (await client.get("/api/v1/tickets", params={"breached": "true"}, headers=headers)).json()[
        "items"
    ]
    assert [t["id"] for t in breached] == [first["id"]]
    assert breached[0]["sla"]["response"]["state"] == "breached"
    assert (await sweep_once(local(2026, 11, 24, 10, 15))).breaches == 0
    not_breached = (await client.get("/api/v1/tickets", params={"breached": "false"}, headers=headers)).json()
    assert {t["id"] for t in not_breached["items"]} == {second["id"], third["id"]}
    unfiltered = await client.get("/api/v1/tickets?breached=&order=due", headers=headers)
    assert unfiltered.status_code == 200
    assert len(unfiltered.json()["items"]) == 3


async def breach_entries(ticket_id: int) -> list[str]:
    """The milestones of the ticket's ``ticket.breached`` audit entries, in chain order."""
    rows = (
        await AuditEntry.select(AuditEntry.payload)
        .where((AuditEntry.action == "ticket.breached") & (AuditEntry.subject == f"ticket:{ticket_id}"))
        .order_by(AuditEntry.seq)
    )
    return [json.loads(row["payload"])["milestone"] for row in rows]


async def listed(client, headers, **params) -> set[int]:
    response = await client.get("/api/v1/tickets", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return {ticket["id"] for ticket in response.json()["items"]}


async def test_a_ticket_reported_after_its_deadlines_is_breached_as_it_is_opened(client, sworld, clock):
    """No sweep runs in the tests: the answer, the lists and the record are right from the write."""
    clock.now = local(2026, 11, 24, 10)
    late = await open_ticket(client, sworld, "PREM", reported_at=local(2026, 11, 24, 4).isoformat())
    fresh = await open_ticket(client, sworld, "PREM", reported_at=local(2026, 11, 24, 9, 50).isoformat())
    assert late["breached"] is True
    assert {m: c["state"] for m, c in late["sla"].items()} == {
        "response": "breached",
        "on_site": "breached",
        "restore": "running",
        "replacement": "running",
    }
    assert at(late["next_due_at"]) == local(2026, 11, 24, 5)  # overdue first in order=due
    assert fresh["breached"] is False
    headers = sworld.headers["dispatcher"]
    assert (await client.get(f"/api/v1/tickets/{late['id']}", headers=headers)).json() == late
    assert await listed(client, headers, breached="true") == {late["id"]}
    assert await listed(client, headers, breached="false") == {fresh["id"]}
    assert await breach_entries(late["id"]) == ["response", "on_site"]
    assert (await sweep_once(clock.now)).breaches == 0  # already recorded by the write


async def test_a_deadline_passing_between_sweeps_shows_at_once_and_the_sweep_records_it(
    client, sworld, clock
):
    clock.now = local(2026, 11, 24, 10)
    ticket = await open_ticket(client, sworld, "PREM", reported_at=local(2026, 11, 24, 9, 30).isoformat())
    other = await open_ticket(client, sworld, "PREM", reported_at=local(2026, 11, 24, 10).isoformat())
    headers = sworld.headers["dispatcher"]
    assert await listed(client, headers, breached="true") == set()
    clock.now = local(2026, 11, 24, 10, 45)  # the response was due at 10:30
    shown = (await client.get(f"/api/v1/tickets/{ticket['id']}", headers=headers)).json()
    assert shown["breached"] is True
    assert shown["sla"]["response"]["state"] == "breached"
    assert await listed(client, headers, breached="true") == {ticket["id"]}
    assert await listed(client, headers, breached="false") == {other["id"]}
    assert await breach_entries(ticket["id"]) == []
    before = (await client.get("/api/v1/tickets", params={"order": "due"}, headers=headers)).json()
    assert [t["id"] for t in before["items"]] == [ticket["id"], other["id"]]  # overdue first
    assert (await sweep_once(clock.now)).breaches == 1
    assert await breach_entries(ticket["id"]) == ["response"]
    assert (await client.get(f"/api/v1/tickets/{ticket['id']}", headers=headers)).json() == shown
    after = (await client.get("/api/v1/tickets", params={"order": "due"}, headers=headers)).json()
    assert after == before  # the sweep records the breach; it changes no answer
    assert await listed(client, headers, breached="true") == {ticket["id"]}
    assert await listed(client, headers, breached="false") == {other["id"]}


async def test_an_event_after_a_deadline_stores_the_breach_it_reveals(client, sworld, clock):
    clock.now = local(2026, 11, 24, 10)
    ticket = await open_ticket(client, sworld, "PREM")
    headers = sworld.headers["dispatcher"]
    clock.now = local(2026, 11, 24, 11, 30)  # the response was due at 11:00; no sweep has run
    waiting = await client.post(
        f"/api/v1/tickets/{ticket['id']}/events", json={"type": "waiting_customer"}, headers=headers
    )
    assert waiting.status_code == 201, waiting.text
    body = waiting.json()
    assert body["breached"] is True
    assert body["sla"]["response"]["state"] == "breached"  # a breach is not paused away
    assert body["sla"]["on_site"]["state"] == "paused"
    assert await breach_entries(ticket["id"]) == ["response"]
    assert (await sweep_once(local(2026, 11, 25, 10))).breaches == 0  # paused clocks do not fall due
    assert await listed(client, headers, breached="true") == {ticket["id"]}


async def test_migration_recomputes_next_due_at_of_tickets_swept_before(client, sworld, clock, database_url):
    """Before, a sweep dropped a breached milestone from ``next_due_at``; the migration puts it back."""
    clock.now = local(2026, 11, 24, 10)
    ticket = await open_ticket(client, sworld, "PREM", reported_at=local(2026, 11, 24, 5).isoformat())
    restored = await open_ticket(client, sworld, "PREM", reported_at=local(2026, 11, 24, 9, 30).isoformat())
    headers = sworld.headers["dispatcher"]
    await client.post(f"/api/v1/tickets/{restored['id']}/events", json={"type": "restored"}, headers=headers)
    await Ticket.update({Ticket.next_due_at: local(2026, 11, 24, 13)}).where(Ticket.id == ticket["id"])
    await rerun_migration(database_url, NEXT_DUE_MIGRATION)
    fetched = (await client.get(f"/api/v1/tickets/{ticket['id']}", headers=headers)).json()
    assert fetched == ticket
    assert at(fetched["next_due_at"]) == local(2026, 11, 24, 6)
    assert (await client.get(f"/api/v1/tickets/{restored['id']}", headers=headers)).json()[
        "next_due_at"
    ] is None


async def test_unknown_site_asset_or_customer_is_422(client, sworld):
    headers = sworld.headers["dispatcher"]
    base = {"customer": "PREM", "site": "SH-DC1", "severity": "major", "summary": "x"}
    for change in (
        {"site": "NOPE"},
        {"customer": "NOPE"},
        {"asset_serial": sworld.assets["PLAT"]},
        {"severity": "apocalyptic"},
    ):
        response = await client.post("/api/v1/tickets", json={**base, **change}, headers=headers)
        assert response.status_code == 422, change
