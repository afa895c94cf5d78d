"""Tickets: exact SLA deadlines and delivery windows from entitlements and China's working calendar."""

from __future__ import annotations

from datetime import datetime

import pytest

from api.sweeper import sweep_once
from tests.api.service_world import build, local, open_ticket


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
