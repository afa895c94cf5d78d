"""The service desk's working set for the page benchmark, on top of `bench.scale_data`'s stock.

`populate` writes, through the running server's JSON API (the services' own transactions, audit chain
included, as `bench.reservations` opens its tickets), with a few concurrent clients:

* `CUSTOMERS` customers of every tier (4-hour and next-business-day delivery, 7x24 and business hours),
  each with `SITES_PER_CUSTOMER` sites around the hub depots' cities and one asset at each site;
* ``tickets`` open tickets (10,000 by default), spread over those sites with every severity, reported
  over the past `REPORTED_WITHIN`, each with one serialized unit reserved at a named depot;
* among them, `BOARD_TICKETS` next-business-day tickets at sites around `BOARD_DEPOT`, with their parts
  reserved there, `BOARD_VANS` vans at that depot, and the depot's delivery plan for the day the
  deliveries are due, solved and committed: the board that ``/dispatch?date=&depot=`` draws.

Deterministic for a seed, times aside (tickets are reported relative to now).
"""

from __future__ import annotations

import asyncio
import json
import random
import sqlite3
from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from bench.reservations import HttpClient, Level, StockPool
from fixtures.places import CHINA_TZ
from fixtures.workload import SUMMARIES
from inventory.persistence import sqlite_path

CUSTOMERS = 100
SITES_PER_CUSTOMER = 6
TIERS = (
    ("platinum", "4h", "7x24"),
    ("premium", "4h", "7x24"),
    ("premium", "nbd", "7x24"),
    ("standard", "nbd", "business"),
    ("standard", "nbd", "business"),
)
"""``(tier, delivery service, support hours)`` of the customers, in turn."""
SEVERITIES = ("critical", "major", "major", "minor", "minor", "minor")
REPORTED_WITHIN = timedelta(hours=8)
ASSET_MODEL = "2U rack server gen 4"
BOARD_DEPOT = "D001"
BOARD_CUSTOMER = "PB-BOARD"
BOARD_SITES = 60
BOARD_TICKETS = 300
"""A regional route plan of the product's scale: 300 stops."""
BOARD_VANS = 15
PLAN_TIME_LIMIT_S = 10.0
SETUP_CLIENTS = 8
LEVEL_STRIDE = 40
"""Tickets reserve from every ``LEVEL_STRIDE``-th stock level with two units or more (about 28,000 at
national scale), never more than a level holds."""

_LEVELS_SQL = (
    "SELECT p.part_number, l.part, d.code, l.depot, l.on_hand - l.reserved AS units "
    "FROM stock_level l JOIN part p ON p.id = l.part JOIN depot d ON d.id = l.depot "
    "WHERE l.on_hand - l.reserved >= 2 AND (l.id % {stride} = 0 OR d.code = '{board}') ORDER BY l.id"
)
_HUBS_SQL = "SELECT code, latitude, longitude FROM depot WHERE kind <> 'forward' ORDER BY id"
_UNITS_SQL = (
    "SELECT u.serial, p.part_number, d.code FROM stock_unit u JOIN part p ON p.id = u.part "
    "JOIN depot d ON d.id = u.depot WHERE u.status = 'available' ORDER BY u.id LIMIT 2"
)


@dataclass(frozen=True, slots=True)
class Site:
    customer: str
    code: str
    latitude: float
    longitude: float
    asset: str


@dataclass(frozen=True, slots=True)
class Working:
    """What `populate` made: ids and codes the pages are asked about."""

    tickets: int
    customers: int
    sites: int
    customer_code: str
    """A customer with open tickets (for the customer user)."""
    ticket_id: int
    """An open ticket with a reservation (of `customer_code`)."""
    board_date: date
    board_depot: str
    plan_id: int
    plan_stops: int
    plan_unassigned: int
    solve_id: int
    """The solve that made the plan."""
    serial: str
    """An available unit's serial."""
    transfer_id: int
    """A transfer in transit (of another unit)."""
    seconds: float


@dataclass(frozen=True, slots=True)
class Stock:
    """What the stock data holds that the working set needs: hub depots, levels to reserve from."""

    hubs: list[tuple[str, float, float]]
    levels: list[Level]
    units: list[tuple[str, str, str]]
    """Two available units: ``(serial, part number, depot code)``."""


def read_stock(url: str) -> Stock:
    """The hub depots, a sample of stock levels (every level of `BOARD_DEPOT`) and two available units."""
    rows = _fetch(url, [_HUBS_SQL, _LEVELS_SQL.format(stride=LEVEL_STRIDE, board=BOARD_DEPOT), _UNITS_SQL])
    hubs, levels, units = rows
    return Stock(
        hubs=[(code, float(lat), float(lon)) for code, lat, lon in hubs],
        levels=[Level(p, part, d, depot, units) for p, part, d, depot, units in levels],
        units=[tuple(unit) for unit in units],
    )


def _fetch(url: str, statements: Sequence[str]) -> list[list[tuple[Any, ...]]]:
    """The rows of each statement, read with the driver (fixed statements of this module)."""
    path = sqlite_path(url)
    if path is not None:
        connection = sqlite3.connect(path)
        try:
            return [connection.execute(statement).fetchall() for statement in statements]
        finally:
            connection.close()

    async def fetch() -> list[list[tuple[Any, ...]]]:
        connection = await asyncpg.connect(url)
        try:
            return [[tuple(row) for row in await connection.fetch(statement)] for statement in statements]
        finally:
            await connection.close()

    return asyncio.run(fetch())


async def populate(http: HttpClient, stock: Stock, *, tickets: int, seed: int) -> Working:
    """Customers, sites, assets, ``tickets`` open tickets with reservations, and the board's plan.

    Raises:
        RuntimeError: the server refused a request (its answer is in the message).
    """
    started = asyncio.get_running_loop().time()
    rng = random.Random(seed)
    setup = _Setup(http)
    customers = [_customer(number) for number in range(CUSTOMERS)]
    await setup.all([setup.created("/api/v1/customers", body) for body in customers])
    sites = _sites(customers, stock.hubs, rng)
    await _add_sites(setup, sites)
    board_hub = next(hub for hub in stock.hubs if hub[0] == BOARD_DEPOT)
    await setup.created("/api/v1/customers", _customer_body(BOARD_CUSTOMER, "Board next-day customer", 3))
    board_sites = [
        _near(BOARD_CUSTOMER, f"{BOARD_CUSTOMER}-{number:02d}", board_hub, 0.3, rng)
        for number in range(BOARD_SITES)
    ]
    await _add_sites(setup, board_sites)
    await setup.all(
        [
            setup.created(
                "/api/v1/vehicles",
                {
                    "code": f"VAN-{BOARD_DEPOT}-{van:02d}",
                    "depot": BOARD_DEPOT,
                    "capacity_kg": 900.0,
                    "capacity_l": 6000.0,
                },
            )
            for van in range(1, BOARD_VANS + 1)
        ]
    )
    now = datetime.now(UTC)
    board_levels = StockPool([level for level in stock.levels if level.depot == BOARD_DEPOT])
    other_levels = StockPool([level for level in stock.levels if level.depot != BOARD_DEPOT])
    board = [
        _job(board_sites[number % len(board_sites)], board_levels.take(), now, rng, number)
        for number in range(min(BOARD_TICKETS, tickets))
    ]
    rest = [
        _job(sites[number % len(sites)], other_levels.take(), now, rng, number)
        for number in range(tickets - len(board))
    ]
    opened = await setup.all([setup.ticket(ticket, level) for ticket, level in board + rest])
    due = min(datetime.fromisoformat(ticket["delivery"]["due_from"]) for ticket in opened[: len(board)])
    board_date = due.astimezone(ZoneInfo(CHINA_TZ)).date()
    solve_id, plan = await setup.plan(board_date)
    transfer = await setup.created("/api/v1/stock/transfers", _transfer(stock))
    await setup.created(f"/api/v1/routing/plans/{plan['id']}/commit", {}, expect=200)
    first = opened[len(board)] if rest else opened[0]
    return Working(
        tickets=len(opened),
        customers=len(customers) + 1,
        sites=len(sites) + len(board_sites),
        customer_code=first["customer"],
        ticket_id=first["id"],
        board_date=board_date,
        board_depot=BOARD_DEPOT,
        plan_id=plan["id"],
        plan_stops=sum(len(route["stops"]) for route in plan["routes"]),
        plan_unassigned=len(plan["unassigned"]),
        solve_id=solve_id,
        serial=stock.units[0][0],
        transfer_id=transfer["id"],
        seconds=asyncio.get_running_loop().time() - started,
    )


def _customer(number: int) -> dict[str, Any]:
    return _customer_body(f"PB{number:03d}", f"Bench customer {number:03d}", number % len(TIERS))


def _customer_body(code: str, name: str, kind: int) -> dict[str, Any]:
    tier, delivery, hours = TIERS[kind]
    return {"code": code, "name": name, "tier": tier, "delivery_service": delivery, "support_hours": hours}


def _sites(
    customers: Sequence[Mapping[str, Any]], hubs: Sequence[tuple[str, float, float]], rng: random.Random
) -> list[Site]:
    """`SITES_PER_CUSTOMER` sites per customer, each near another hub depot's city."""
    return [
        _near(
            customer["code"],
            f"{customer['code']}-S{number}",
            hubs[(index * 7 + number) % len(hubs)],
            0.25,
            rng,
        )
        for index, customer in enumerate(customers)
        for number in range(1, SITES_PER_CUSTOMER + 1)
    ]


def _near(customer: str, code: str, hub: tuple[str, float, float], spread: float, rng: random.Random) -> Site:
    _, latitude, longitude = hub
    return Site(
        customer,
        code,
        round(latitude + rng.uniform(-spread, spread), 4),
        round(longitude + rng.uniform(-spread, spread), 4),
        f"{code}-A1",
    )


async def _add_sites(setup: _Setup, sites: Sequence[Site]) -> None:
    """Each site, then its asset."""
    accepted = (datetime.now(UTC) - timedelta(days=400)).date().isoformat()

    async def add(site: Site) -> None:
        body = {
            "code": site.code,
            "name": f"{site.customer} site {site.code}",
            "address": f"Business park {site.code}",
            "latitude": site.latitude,
            "longitude": site.longitude,
            "timezone": CHINA_TZ,
            "calendar_region": "CN",
        }
        await setup.created(f"/api/v1/customers/{site.customer}/sites", body)
        asset = {"serial": site.asset, "model": ASSET_MODEL, "customer": site.customer, "site": site.code,
                 "accepted_on": accepted, "warranty_years": 3}  # fmt: skip
        await setup.created("/api/v1/assets", asset)

    await setup.all([add(site) for site in sites])


def _transfer(stock: Stock) -> dict[str, Any]:
    """The second unit sent from its depot to another."""
    serial, part_number, depot = stock.units[1]
    to_depot = next(code for code, _, _ in stock.hubs if code != depot)
    return {"part_number": part_number, "from_depot": depot, "to_depot": to_depot, "serials": [serial],
            "reason": "Top up a hub"}  # fmt: skip


def _job(
    site: Site, level: Level | None, now: datetime, rng: random.Random, number: int
) -> tuple[dict[str, Any], Level]:
    """A ticket's body and the level to reserve its part from."""
    if level is None:
        raise RuntimeError("the stock sample ran out of units: raise LEVEL_STRIDE's sample")
    reported = now - timedelta(seconds=rng.uniform(60, REPORTED_WITHIN.total_seconds()))
    ticket = {
        "customer": site.customer,
        "site": site.code,
        "asset_serial": site.asset,
        "severity": rng.choice(SEVERITIES),
        "summary": f"{SUMMARIES[number % len(SUMMARIES)]} ({number})",
        "reported_at": reported.isoformat(),
    }
    return ticket, level


class _Setup:
    """Requests of the set-up, at most `SETUP_CLIENTS` at a time, each expected to succeed."""

    def __init__(self, http: HttpClient) -> None:
        self._http = http
        self._gate = asyncio.Semaphore(SETUP_CLIENTS)

    async def all(self, calls: Sequence[Awaitable[Any]]) -> list[Any]:
        return list(await asyncio.gather(*calls))

    async def created(
        self,
        path: str,
        body: Mapping[str, Any],
        *,
        expect: int = 201,
        headers: Mapping[str, str] = MappingProxyType({}),
    ) -> dict[str, Any]:
        async with self._gate:
            status, answer = await self._http.request("POST", path, json.dumps(body).encode(), headers)
        if status != expect:
            raise RuntimeError(f"POST {path} answered {status}: {answer[:500].decode(errors='replace')}")
        return json.loads(answer)

    async def ticket(self, body: Mapping[str, Any], level: Level) -> dict[str, Any]:
        """Open the ticket and reserve its part at the level's depot."""
        ticket = await self.created("/api/v1/tickets", body)
        reservation = {"part_number": level.part_number, "quantity": 1, "depot": level.depot}
        await self.created(f"/api/v1/tickets/{ticket['id']}/reservations", reservation)
        return ticket

    async def plan(self, day: date) -> tuple[int, dict[str, Any]]:
        """The board depot's delivery plan for ``day``: asked for, then waited for; its solve's id and
        the plan."""
        body = {"date": day.isoformat(), "depots": [BOARD_DEPOT], "time_limit_s": PLAN_TIME_LIMIT_S}
        status, answer = await self._http.request(
            "POST", "/api/v1/routing/nbd-plans", json.dumps(body).encode(), {"Prefer": "respond-async"}
        )
        if status != 202:
            raise RuntimeError(f"planning answered {status}: {answer[:500].decode(errors='replace')}")
        solve_id = json.loads(answer)["id"]
        return solve_id, await self._solved(solve_id)

    async def _solved(self, solve_id: int) -> dict[str, Any]:
        for _ in range(600):
            status, answer = await self._http.request("GET", f"/api/v1/routing/solves/{solve_id}")
            solve = json.loads(answer)
            if status == 200 and solve["state"] == "done":
                status, answer = await self._http.request("GET", f"/api/v1/routing/plans/{solve['plan_id']}")
                return json.loads(answer)
            if status != 200 or solve["state"] == "failed":
                raise RuntimeError(f"the solve failed ({status}): {answer[:500].decode(errors='replace')}")
            await asyncio.sleep(0.5)
        raise RuntimeError("the solve did not finish within 5 minutes")
