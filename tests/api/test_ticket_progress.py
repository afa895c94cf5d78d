"""What a customer follows of its tickets (`inventory.tickets.progress`): its own tickets only, each with
its site, its parts with their names, the next milestone and the ETA, in a fixed number of statements per
page; the ticket's history; the entitlement check agreeing with what `reserve` decides; the downtime
periods behind an asset's warranty end."""

from __future__ import annotations

from datetime import timedelta

import pytest

from inventory.customers.service import sites_by_code
from inventory.errors import NotFound
from inventory.tickets import (
    Refusal,
    get_covered_asset,
    get_progress,
    list_progress,
    replacement_terms,
    ticket_events,
)
from tests.api.service_world import build, local, open_ticket, stock_disks
from tests.api.test_asset_coverage_queries import statements


@pytest.fixture
async def sworld(client, world, clock):
    clock.now = local(2026, 11, 24, 10)
    return await build(client, world)


async def test_a_customer_follows_only_its_own_tickets_with_site_parts_and_eta(client, sworld, clock):
    await stock_disks(client, sworld.stock, "CAN-R", 2)
    mine = await open_ticket(client, sworld, "ACME", headers=sworld.headers["customer"])
    other = await open_ticket(client, sworld, "ACME", severity="minor")
    await open_ticket(client, sworld, "PLAT")
    body = {"part_number": sworld.stock.disk, "quantity": 1}
    reserved = await client.post(
        f"/api/v1/tickets/{mine['id']}/reservations", json=body, headers=sworld.headers["dispatcher"]
    )
    assert reserved.status_code == 201, reserved.text

    listed = await list_progress(viewer="ACME", status="open", asset=None, limit=10, offset=0, now=clock.now)
    assert {item.ticket.id for item in listed} == {mine["id"], other["id"]}
    first = next(item for item in listed if item.ticket.id == mine["id"])
    assert (first.site.code, first.site.timezone) == ("GZ-HQ", "Asia/Shanghai")
    (shipment,) = first.shipments
    assert shipment.underway
    assert shipment.part_name  # the catalogue's description
    assert shipment.depot_name
    assert first.eta == shipment.reservation.estimated_arrival
    milestone, clock_record = first.next_milestone
    assert milestone == "response"
    assert clock_record.due_at == local(2026, 11, 24, 11)
    assert next(item for item in listed if item.ticket.id == other["id"]).eta is None

    with pytest.raises(NotFound):
        await get_progress(mine["id"], viewer="PLAT", now=clock.now)
    assert (await get_progress(mine["id"], viewer="ACME", now=clock.now)).shipments == first.shipments


async def test_a_page_of_progress_costs_the_same_statements_whatever_its_size(client, sworld, clock):
    await stock_disks(client, sworld.stock, "CAN-R", 6)
    for _ in range(6):
        ticket = await open_ticket(client, sworld, "ACME")
        await client.post(
            f"/api/v1/tickets/{ticket['id']}/reservations",
            json={"part_number": sworld.stock.disk, "quantity": 1},
            headers=sworld.headers["dispatcher"],
        )
    counts = []
    for limit in (1, 6):
        with statements() as seen:
            listed = await list_progress(
                viewer="ACME", status=None, asset=None, limit=limit, offset=0, now=clock.now
            )
        assert len(listed) == limit
        counts.append(len(seen))
    assert counts[0] == counts[1], counts


async def test_a_tickets_history_is_in_order_and_the_customers_own(client, sworld, clock):
    clock.now = local(2026, 11, 24, 12)
    ticket = await open_ticket(client, sworld, "ACME", reported_at=local(2026, 11, 24, 9).isoformat())
    headers = sworld.headers["dispatcher"]
    for event, hour in (("responded", 9), ("engineer_on_site", 10)):
        response = await client.post(
            f"/api/v1/tickets/{ticket['id']}/events",
            json={"type": event, "at": local(2026, 11, 24, hour, 30).isoformat()},
            headers=headers,
        )
        assert response.status_code == 201, response.text
    events = await ticket_events(ticket["id"], viewer="ACME")
    assert [(event.event, event.at) for event in events] == [
        ("opened", local(2026, 11, 24, 9)),
        ("responded", local(2026, 11, 24, 9, 30)),
        ("engineer_on_site", local(2026, 11, 24, 10, 30)),
    ]
    with pytest.raises(NotFound):
        await ticket_events(ticket["id"], viewer="PLAT")


async def test_the_entitlement_check_says_what_reserve_decides(client, sworld, clock):
    await stock_disks(client, sworld.stock, "CAN-R", 2)
    acme = sworld.headers["customer"]
    body = {"part_number": sworld.stock.disk, "quantity": 1}

    covered = await open_ticket(client, sworld, "ACME", headers=acme)
    terms = await replacement_terms(covered["id"], viewer="ACME", now=clock.now)
    assert terms.entitlement.granted
    assert terms.entitlement.charge == "free"
    assert terms.delivery.service == covered["delivery"]["service"]
    granted = await client.post(f"/api/v1/tickets/{covered['id']}/reservations", json=body, headers=acme)
    assert granted.status_code == 201, granted.text

    no_asset = await open_ticket(client, sworld, "ACME", headers=acme, asset_serial=None)
    terms = await replacement_terms(no_asset["id"], viewer="ACME", now=clock.now)
    assert terms.entitlement.refusal is Refusal.NO_ASSET
    refused = await client.post(f"/api/v1/tickets/{no_asset['id']}/reservations", json=body, headers=acme)
    assert refused.status_code == 422
    assert refused.json()["type"].endswith("not-entitled")

    closed = await open_ticket(client, sworld, "ACME", headers=acme)
    await client.post(
        f"/api/v1/tickets/{closed['id']}/events",
        json={"type": "closed"},
        headers=sworld.headers["dispatcher"],
    )
    terms = await replacement_terms(closed["id"], viewer="ACME", now=clock.now)
    assert terms.entitlement.refusal is Refusal.TICKET_CLOSED
    refused = await client.post(f"/api/v1/tickets/{closed['id']}/reservations", json=body, headers=acme)
    assert refused.status_code == 422

    with pytest.raises(NotFound):
        await replacement_terms(covered["id"], viewer="PLAT", now=clock.now)


async def test_an_asset_carries_the_downtime_periods_that_extend_its_warranty(client, sworld, clock):
    headers = sworld.headers["dispatcher"]
    clock.now = local(2026, 11, 26, 12)
    restored = await open_ticket(client, sworld, "PREM", reported_at=local(2026, 11, 24, 10).isoformat())
    await client.post(
        f"/api/v1/tickets/{restored['id']}/events",
        json={"type": "restored", "at": local(2026, 11, 25, 16).isoformat()},
        headers=headers,
    )
    user_fault = await open_ticket(
        client, sworld, "PREM", reported_at=local(2026, 11, 26, 9).isoformat(), user_caused=True
    )
    covered = await get_covered_asset(sworld.assets["PREM"], viewer="PREM", now=clock.now)
    assert [(period.ticket, period.extends_warranty) for period in covered.downtime] == [
        (restored["id"], True),
        (user_fault["id"], False),
    ]
    assert covered.extension == timedelta(hours=30)
    assert covered.coverage.end.isoformat() == "2028-06-03"


async def test_sites_are_read_by_customer_and_code(sworld):
    found = await sites_by_code([("ACME", "GZ-HQ"), ("PLAT", "BJ-DC1"), ("ACME", "BJ-DC1")])
    assert set(found) == {("ACME", "GZ-HQ"), ("PLAT", "BJ-DC1")}
    assert found[("PLAT", "BJ-DC1")].timezone == "Asia/Shanghai"
    assert await sites_by_code([]) == {}


async def test_each_milestone_says_where_it_stands(client, sworld, clock):
    clock.now = local(2026, 11, 24, 12)
    headers = sworld.headers["dispatcher"]
    late = await open_ticket(client, sworld, "ACME", reported_at=local(2026, 11, 24, 9).isoformat())
    on_time = await open_ticket(client, sworld, "ACME", reported_at=local(2026, 11, 24, 11).isoformat())
    waiting = await open_ticket(client, sworld, "ACME", reported_at=local(2026, 11, 24, 11).isoformat())
    for ticket, event, at in (
        (late, "responded", local(2026, 11, 24, 10, 30)),
        (on_time, "responded", local(2026, 11, 24, 11, 20)),
        (waiting, "waiting_customer", local(2026, 11, 24, 11, 10)),
    ):
        response = await client.post(
            f"/api/v1/tickets/{ticket['id']}/events",
            json={"type": event, "at": at.isoformat()},
            headers=headers,
        )
        assert response.status_code == 201, response.text
    overdue = await open_ticket(client, sworld, "ACME", reported_at=local(2026, 11, 24, 10).isoformat())

    async def standing(ticket: dict) -> list[tuple[str, str]]:
        progress = await get_progress(ticket["id"], viewer="ACME", now=clock.now)
        return [(row.milestone.value, row.status) for row in progress.milestones]

    assert await standing(late) == [
        ("response", "met_late"), ("on_site", "pending"), ("restore", "pending"), ("replacement", "pending")
    ]  # fmt: skip
    assert (await standing(on_time))[0] == ("response", "met")
    assert {status for _, status in await standing(waiting)} == {"paused"}
    assert (await standing(overdue))[0] == ("response", "overdue")
    first = (await get_progress(on_time["id"], viewer="ACME", now=clock.now)).milestones[0]
    assert first.at == local(2026, 11, 24, 11, 20)
