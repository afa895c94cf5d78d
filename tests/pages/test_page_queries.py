"""The list pages read a page of rows in a fixed number of statements: one more row shown is no more
query (no statement per row), on each engine."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar import Litestar

from api.domain_context import domain_context
from inventory import tickets
from inventory.tickets.reservations import ReservationRequest
from inventory.tickets.tables import Reservation
from tests.pages.conftest import Browser

SignedIn = Callable[[str], Awaitable[Browser]]
TICKET_PAGE_STATEMENTS = 10


@contextmanager
def counted(app: Litestar) -> Iterator[list[str]]:
    """The statements the application's database engine runs meanwhile for this task's requests (every
    Piccolo query and every statement of the store goes through its ``run_querystring``; the test's
    client calls the application in its own task), but the look-up of the signed-in user, which the
    application remembers for a few seconds only."""
    engine = domain_context(app).store.engine
    run = engine.run_querystring
    task = asyncio.current_task()
    statements: list[str] = []

    async def counting(querystring: Any, in_pool: bool = True) -> Any:
        sql = str(querystring)
        if asyncio.current_task() is task and '"app_user"' not in sql:
            statements.append(sql)
        return await run(querystring, in_pool)

    engine.run_querystring = counting
    try:
        yield statements
    finally:
        del engine.run_querystring


async def statements_of(app: Litestar, browser: Browser, path: str) -> tuple[int, int]:
    """How many rows the page's table shows, and how many statements answering it took."""
    with counted(app) as statements:
        page = await browser.page(path)
    assert page.status == 200, page.response.text[:2000]
    return len(page.css("tbody tr")), len(statements)


@pytest.mark.parametrize(
    ("username", "path"),
    [("dispatcher", "/tickets"), ("warehouse", "/reservations"), ("warehouse", "/stock")],
)
async def test_a_longer_page_of_a_list_takes_no_more_statements(
    app: Litestar, signed_in: SignedIn, username: str, path: str
) -> None:
    browser = await signed_in(username)

    one_row, for_one = await statements_of(app, browser, f"{path}?limit=1")
    many_rows, for_many = await statements_of(app, browser, f"{path}?limit=50")

    assert one_row == 1
    assert many_rows > 2
    assert for_many == for_one


async def test_a_tickets_page_takes_a_fixed_few_statements(app: Litestar, signed_in: SignedIn) -> None:
    """A ticket's page reads the ticket with its customer and site in one statement and each kind of
    thing it shows in one more, whatever the number of parts reserved or depots they come from (on
    PostgreSQL each statement is a round trip, which a loaded database server makes cost more than the
    statement: the page once took eighteen)."""
    held = await Reservation.select(
        Reservation.ticket, Reservation.part.part_number.as_alias("part_number")
    ).where(Reservation.status == "active")
    fewest, most = held[0]["ticket"], held[1]["ticket"]
    for _ in range(2):  # two more parts like the one it holds, from wherever keeps the promise
        await tickets.reserve(
            most,
            ReservationRequest(held[1]["part_number"], 1, None, None, allow_preemption=False),
            actor="dispatcher",
            now=datetime.now(UTC),
            ttl=timedelta(hours=48),
            nbd_grace=timedelta(hours=24),
            viewer=None,
        )
    counts = Counter(row["ticket"] for row in await Reservation.select(Reservation.ticket))
    assert counts[most] >= counts[fewest] + 2
    browser = await signed_in("dispatcher")

    with counted(app) as for_fewest:
        assert (await browser.page(f"/tickets/{fewest}")).status == 200
    with counted(app) as for_most:
        assert (await browser.page(f"/tickets/{most}")).status == 200

    assert len(for_most) == len(for_fewest) <= TICKET_PAGE_STATEMENTS, for_most
