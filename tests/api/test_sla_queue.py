"""The SLA queue's read side: open tickets in the order of their next deadline, filtered in SQL, read
through the "SLA queue indexes"; and a ticket's whole file (customer, site, clocks, history)."""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta

import asyncpg
import pytest

from inventory.errors import NotFound
from inventory.persistence.postgres_engine import SERVER_SETTINGS
from inventory.tickets import QueueFilters, sla_queue, ticket_events, ticket_file
from inventory.tickets.sla import ClockState, Milestone
from inventory.tickets.ticket_views import queue_query
from tests.api.service_world import build, local, open_ticket, stock_disks


@pytest.fixture
async def sworld(client, world):
    return await build(client, world)


async def event(client, sworld, ticket: dict, kind: str, at) -> None:
    response = await client.post(
        f"/api/v1/tickets/{ticket['id']}/events",
        json={"type": kind, "at": at.isoformat()},
        headers=sworld.headers["dispatcher"],
    )
    assert response.status_code == 201, response.text


async def queue(**filters) -> list[int]:
    return [row.id for row in await sla_queue(QueueFilters(**filters), limit=50, offset=0)]


@pytest.fixture
async def tickets(client, sworld, clock):
    """Six tickets of three customers, opened on Monday 2026-11-23 at Shanghai times: overdue, due soon,
    due later, paused, restored (open, every clock met) and closed."""
    clock.now = local(2026, 11, 23, 14)
    made = {
        # PLAT (7x24): reported 12:30, response due 13:30: overdue at 14:00.
        "overdue": await open_ticket(
            client, sworld, "PLAT", reported_at=local(2026, 11, 23, 12, 30).isoformat()
        ),
        # STD (business hours): reported 13:20, response due 14:20.
        "soon": await open_ticket(
            client, sworld, "STD", severity="minor", reported_at=local(2026, 11, 23, 13, 20).isoformat()
        ),
        # PREM (7x24): reported 13:50, response due 14:50.
        "later": await open_ticket(
            client, sworld, "PREM", severity="major", reported_at=local(2026, 11, 23, 13, 50).isoformat()
        ),
        "paused": await open_ticket(
            client, sworld, "PREM", reported_at=local(2026, 11, 23, 13, 0).isoformat()
        ),
        "restored": await open_ticket(
            client, sworld, "PLAT", reported_at=local(2026, 11, 23, 13, 0).isoformat()
        ),
        "closed": await open_ticket(
            client, sworld, "STD", reported_at=local(2026, 11, 23, 11, 0).isoformat()
        ),
    }
    await event(client, sworld, made["paused"], "waiting_customer", local(2026, 11, 23, 13, 10))
    await event(client, sworld, made["restored"], "restored", local(2026, 11, 23, 13, 40))
    await event(client, sworld, made["closed"], "closed", local(2026, 11, 23, 13, 45))
    return {name: ticket["id"] for name, ticket in made.items()}


async def test_the_queue_lists_open_tickets_next_deadline_first(tickets):
    assert await queue() == [
        tickets["overdue"],
        tickets["soon"],
        tickets["later"],
        # Nothing counting: after every ticket with a deadline, by id.
        tickets["paused"],
        tickets["restored"],
    ]
    first = (await sla_queue(QueueFilters(), limit=1, offset=0))[0]
    assert (first.customer, first.customer_name, first.tier, first.site) == (
        "PLAT",
        "PLAT Corp",
        "platinum",
        "BJ-DC1",
    )
    assert (first.timezone, first.calendar_region, first.support_hours) == ("Asia/Shanghai", "CN", "7x24")
    assert first.clocks[Milestone.RESPONSE].due_at == local(2026, 11, 23, 13, 30)
    assert first.clocks[Milestone.RESPONSE].state is ClockState.BREACHED  # opened after its deadline
    assert first.next_due_at == local(2026, 11, 23, 13, 30)
    assert first.parts == []
    assert [row.id for row in await sla_queue(QueueFilters(), limit=2, offset=2)] == [
        tickets["later"],
        tickets["paused"],
    ]


async def test_the_queue_filters_in_sql(tickets, client, sworld, world):
    assert await queue(tier="platinum") == [tickets["overdue"], tickets["restored"]]
    assert await queue(severity="minor") == [tickets["soon"]]
    assert await queue(customer="PREM") == [tickets["later"], tickets["paused"]]
    assert await queue(customer="PREM", site="SH-DC1", severity="major") == [tickets["later"]]
    assert await queue(customer="PREM", site="BJ-DC1") == []  # another customer's site
    assert await queue(customer="NOBODY") == []
    assert await queue(depot="NOWHERE") == []
    assert await queue(depot="PEK-C") == []
    await stock_disks(client, world, "PEK-C", 2)
    response = await client.post(
        f"/api/v1/tickets/{tickets['later']}/reservations",
        json={"part_number": world.disk, "quantity": 1, "depot": "PEK-C"},
        headers=sworld.headers["dispatcher"],
    )
    assert response.status_code == 201, response.text
    assert await queue(depot="PEK-C") == [tickets["later"]]
    assert await queue(depot="PEK-C", tier="platinum") == []
    (row,) = await sla_queue(QueueFilters(depot="PEK-C"), limit=5, offset=0)
    assert [(hold.depot, hold.status) for hold in row.parts] == [("PEK-C", "active")]


async def test_a_ticket_file_has_its_customer_site_clocks_and_history(tickets, clock):
    file = await ticket_file(tickets["paused"], viewer=None, now=clock.now)
    assert file.ticket.id == tickets["paused"]
    assert (file.customer.code, file.customer.tier, file.customer.support_hours) == (
        "PREM",
        "premium",
        "7x24",
    )
    assert (file.site.code, file.site.timezone, file.site.customer) == ("SH-DC1", "Asia/Shanghai", "PREM")
    assert file.asset is not None
    assert file.asset.covered.asset.serial == "SRV-PREM-1"
    assert file.asset.term_end == date(2028, 6, 1)  # accepted 2025-06-01, three years
    assert file.asset.extension == timedelta(days=1)  # an hour of open downtime, rounded up to a day
    assert file.asset.covered.coverage.end == date(2028, 6, 2)
    response = file.clocks[Milestone.RESPONSE]
    assert response.state is ClockState.PAUSED
    assert response.paused_at == local(2026, 11, 23, 13, 10)
    assert [(entry.event, entry.at, entry.actor) for entry in file.events] == [
        ("opened", local(2026, 11, 23, 13, 0), "dispatcher"),
        ("waiting_customer", local(2026, 11, 23, 13, 10), "dispatcher"),
    ]
    assert (
        await ticket_events(tickets["closed"], viewer=None)
        == (await ticket_file(tickets["closed"], viewer=None, now=clock.now)).events
    )
    with pytest.raises(NotFound):
        await ticket_file(tickets["paused"], viewer="PLAT", now=clock.now)
    with pytest.raises(NotFound):
        await ticket_file(999_999, viewer=None, now=clock.now)
    assert (await ticket_file(tickets["paused"], viewer="PREM", now=clock.now)).ticket.id == tickets["paused"]


def _literal(value: object) -> str:
    """A value of the tests' queries as SQL (EXECUTE takes no parameters when explained)."""
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, bool | int):
        return str(value).lower() if isinstance(value, bool) else str(value)
    raise TypeError(f"no literal for {value!r}")


async def _plan(database_url: str, sql: str, params: list) -> str:
    """The engine's plan for ``sql``, as one text."""
    if database_url.startswith("sqlite"):
        connection = sqlite3.connect(database_url.removeprefix("sqlite:///"))
        try:
            rows = connection.execute(f"EXPLAIN QUERY PLAN {sql}", params).fetchall()
        finally:
            connection.close()
        return " | ".join(str(row[3]) for row in rows)
    # planned as the service's connections plan it: one generic plan, whatever the values (a plain
    # EXPLAIN would plan for the values given)
    connection = await asyncpg.connect(database_url, server_settings=dict(SERVER_SETTINGS))
    try:
        await connection.execute(f"PREPARE planned AS {sql}")
        values = ", ".join(_literal(value) for value in params)
        execute = f"EXECUTE planned({values})" if params else "EXECUTE planned"
        return "\n".join(row[0] for row in await connection.fetch(f"EXPLAIN {execute}"))
    finally:
        await connection.close()


@pytest.mark.parametrize(
    ("filters", "index"),
    [
        ({}, "ticket_sla_queue"),
        ({"tier": "premium"}, "ticket_sla_queue"),
        ({"customer": "PREM"}, "ticket_sla_queue_customer"),
        ({"customer": "PREM", "site": "SH-DC1"}, "ticket_sla_queue_site"),
        # the depot's reservations (either of its indexes, (depot, status) or (depot, status, ticket)),
        # or the queue's order with a look-up of the ticket's holds: the generic plan weighs an average
        # depot, and here every depot but one holds parts for thousands of tickets
        ({"depot": "PEK-C"}, ("reservation_depot_status", "ticket_sla_queue")),
    ],
)
async def test_the_queue_is_read_through_its_indexes(app, database_url, sworld, filters, index):
    """The queue's order comes from an index (no sort of every open ticket); the customer, site and
    depot filters start from theirs. PostgreSQL is asked with many open tickets of other customers, many
    parts held at other depots and fresh statistics, where a scan would otherwise win, and plans it as
    the service's connections do: one generic plan for every value of the statement's parameters."""
    query = await queue_query(QueueFilters(**filters))
    assert query is not None
    sqlite = database_url.startswith("sqlite")
    compiled = query.limit(51).offset(0).querystrings[0]
    sql, params = compiled.compile_string(engine_type="sqlite" if sqlite else "postgres")
    if not sqlite:
        connection = await asyncpg.connect(database_url)
        try:
            await connection.execute(
                "INSERT INTO ticket (customer, site, severity, summary, status, priority, user_caused, "
                "support_hours, delivery_service, delivery_due_from, delivery_due_by, reported_at, "
                "next_due_at, breached, created_by, created_at) "
                "SELECT c.id, s.id, 'minor', 'x', CASE WHEN n % 10 = 0 THEN 'open' ELSE 'closed' END, "
                "1, false, '7x24', 'nbd', now(), now(), now(), "
                "CASE WHEN n % 10 = 0 THEN now() + n * interval '1 minute' END, false, 'test', now() "
                "FROM customer c JOIN site s ON s.customer = c.id, generate_series(1, 20000) n "
                "WHERE c.code <> 'PREM'"
            )
            await connection.execute(
                "INSERT INTO reservation (ticket, part, depot, quantity, status, priority, "
                "estimated_arrival, expires_at, created_by, created_at) SELECT t.id, p.id, d.id, 1, "
                "'active', 1, now(), now(), 'test', now() FROM ticket t, depot d, "
                "(SELECT min(id) AS id FROM part) p WHERE t.id % 5 = 0 AND d.code <> 'PEK-C'"
            )
            await connection.execute("ANALYZE")
        finally:
            await connection.close()
    plan = await _plan(database_url, sql, params)
    assert any(name in plan for name in ((index,) if isinstance(index, str) else index)), plan
    assert "Seq Scan on ticket" not in plan, plan
    if "depot" not in filters:
        assert "TEMP B-TREE" not in plan
        assert "Sort" not in plan
