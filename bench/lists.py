"""The warehouse's lists and the scan look-up at national scale, each beside the direct SQL of its query.

``python -m bench.lists [--engines sqlite,postgresql] [--requests 200] [--tickets 2000] [--transfers 300]
[--depots 300 --parts 50000 --units 2000000]``

For each engine: the stock of `bench.scale_data` (SQLite: a working copy of the cached file that
`bench.stock` and `bench.pages` use; PostgreSQL: a fresh database, dropped at the end), the real server on
loopback, and a working set written through its JSON API: `bench.page_data`'s customers, sites and
``--tickets`` open tickets with a reservation each and a committed delivery plan, ``--transfers``
transfers (every other one received), and bulk stock in 5,000 batches across 10 depots. Then every list
(and the scan look-up) is asked ``--requests`` times, each time with another value of its filter, after
a warm-up; and the main query of each (the same filter, order and page of 51 rows) is run as many times
straight through the driver in the same run. Times are measured at the client (HTTP on loopback).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import asyncpg
import httpx

from bench.page_data import Stock, populate, read_stock
from bench.reservations import HttpClient
from bench.scale_data import SUPPLIERS, Scale, migrate
from bench.stock import (
    BENCH_DIR,
    Timings,
    add_database_arguments,
    bearer_token,
    create_user,
    numbered,
    parsed_engines,
    parsed_scale,
    print_table,
    progress,
    reachable_engines,
    running_server,
    scale_database,
    server_environment,
)

GOAL_P95_MS = 50.0
WARMUP = 20
SAMPLE = 40
"""Values drawn for each filter; the requests cycle through them."""
PAGE = 51
"""Rows of a page of 50 as the API asks for them (one more, to know whether another page exists)."""
BULK_PART = "BENCH-BULK-CABLE"
BULK_RECEIPTS, BULK_LINES = 10, 500
ADMIN = "benchadmin"

_RESERVATION = (
    "SELECT r.id, r.ticket, d.code, p.part_number, r.quantity, r.status, r.estimated_arrival, r.expires_at "
    "FROM reservation r JOIN depot d ON d.id = r.depot JOIN part p ON p.id = r.part WHERE {} "
    "ORDER BY r.id DESC LIMIT 51"
)
_TRANSFER = (
    "SELECT t.id, p.part_number, f.code, o.code, t.quantity, t.status, t.dispatched_at FROM transfer t "
    "JOIN part p ON p.id = t.part JOIN depot f ON f.id = t.from_depot JOIN depot o ON o.id = t.to_depot "
    "WHERE {} ORDER BY t.id DESC LIMIT 51"
)
_RECEIPT = (
    "SELECT r.id, d.code, r.supplier, r.reference, r.received_at, r.quantity FROM receipt r "
    "JOIN depot d ON d.id = r.depot WHERE {} ORDER BY r.id DESC LIMIT 51"
)
_MOVEMENT = (
    "SELECT m.id, m.at, m.kind, p.part_number, u.serial, m.batch_number, m.quantity, f.code, t.code, "
    "m.actor, m.reference FROM movement m JOIN part p ON p.id = m.part "
    "LEFT JOIN stock_unit u ON u.id = m.unit "
    "LEFT JOIN depot f ON f.id = m.from_depot LEFT JOIN depot t ON t.id = m.to_depot "
    "WHERE {} ORDER BY m.id DESC LIMIT 51"
)
_UNIT = (
    "SELECT u.serial, p.part_number, u.box_number, u.batch_number, d.code, u.status, u.received_at "
    "FROM stock_unit u JOIN part p ON p.id = u.part LEFT JOIN depot d ON d.id = u.depot "
    "WHERE {} ORDER BY u.id LIMIT 51"
)
_BATCH = (
    "SELECT p.part_number, d.code, b.batch_number, b.available, b.reserved FROM bulk_stock b "
    "JOIN part p ON p.id = b.part JOIN depot d ON d.id = b.depot WHERE {} ORDER BY b.id LIMIT 51"
)
_PLAN = "SELECT id, kind, plan_date, depots, status, stats FROM route_plan WHERE {} ORDER BY id DESC LIMIT 51"
DEPOT_ID = "(SELECT id FROM depot WHERE code = ?)"
PART_ID = "(SELECT id FROM part WHERE part_number = ?)"
MOVEMENTS_AT_DEPOT = (
    "m.id IN (SELECT id FROM (SELECT id FROM movement WHERE to_depot = (SELECT id FROM depot WHERE code = ?) "
    "ORDER BY id DESC LIMIT 51) AS inbound UNION SELECT id FROM (SELECT id FROM movement WHERE from_depot = "
    "(SELECT id FROM depot WHERE code = ?) ORDER BY id DESC LIMIT 51) AS outbound)"
)
"""The service's query: the newest page of each side from its index, merged."""
SCAN = (
    "SELECT u.serial, p.part_number FROM stock_unit u JOIN part p ON p.id = u.part "
    "WHERE u.serial = ? LIMIT 10",
    "SELECT count(*) FROM stock_unit WHERE box_number = ?",
    "SELECT count(*) FROM stock_unit WHERE batch_number = ?",
    "SELECT count(*) FROM bulk_stock WHERE batch_number = ?",
    "SELECT code, name FROM depot WHERE code = upper(?)",
)


@dataclass(frozen=True, slots=True)
class Case:
    """One list with one filter: its API path and query (``{}`` stands for the filter's value), and the
    direct SQL statements run for it (each with the value as its parameters)."""

    name: str
    path: str
    params: dict[str, str]
    statements: tuple[str, ...]
    values: tuple[Any, ...]
    arity: int = 1
    """How many times a statement takes the value."""


@dataclass(frozen=True, slots=True)
class Options:
    scale: Scale
    engines: tuple[str, ...]
    requests: int
    tickets: int
    transfers: int
    postgres_url: str


@dataclass(frozen=True, slots=True)
class Measured:
    api: Timings
    direct: Timings
    rows: float


@dataclass(frozen=True, slots=True)
class EngineResult:
    load: float
    working_set_s: float
    cases: dict[str, Measured]


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_args(argv)
    engines = reachable_engines(options.engines, options.postgres_url)
    results = {}
    for engine in engines:
        results[engine] = bench_engine(engine, options)
        print_results(options, {engine: results[engine]})
    if len(results) > 1:
        print_results(options, results)
    return 0


def parse_args(argv: Sequence[str] | None) -> Options:
    parser = argparse.ArgumentParser(prog="python -m bench.lists", description=__doc__.split("\n")[0])
    add_database_arguments(parser, Scale())
    parser.add_argument("--requests", type=int, default=200, help="timed requests per list and filter")
    parser.add_argument("--tickets", type=int, default=2000, help="open tickets with a reservation each")
    parser.add_argument("--transfers", type=int, default=300, help="transfers dispatched (half received)")
    args = parser.parse_args(argv)
    if args.requests < 20 or args.tickets < 300:
        parser.error("--requests must be at least 20, --tickets at least 300 (the board's plan)")
    return Options(
        scale=parsed_scale(args),
        engines=parsed_engines(parser, args.engines),
        requests=args.requests,
        tickets=args.tickets,
        transfers=args.transfers,
        postgres_url=args.postgres_url,
    )


def bench_engine(engine: str, options: Options) -> EngineResult:
    with scale_database(engine, options.scale, options.postgres_url) as (url, _):
        migrate(url)  # a cached file may predate the newest migrations (the lists' indexes among them)
        password = secrets.token_urlsafe(24)
        environment = {
            **server_environment(url),
            "SWEEP_INTERVAL_S": "0",
            # The plan's solve in a child process of the server, without a job queue's worker.
            "BACKGROUND": "in-process",
            "WEB_CONCURRENCY": "1",
        }
        create_user(environment, password, ADMIN, "admin")
        with (
            running_server(environment, BENCH_DIR / f"server-lists-{engine}.log") as base_url,
            httpx.Client(base_url=base_url, timeout=60.0) as client,
        ):
            token = bearer_token(client, password, ADMIN)
            client.headers["Authorization"] = f"Bearer {token}"
            progress(engine, f"working set: {options.tickets} tickets, {options.transfers} transfers, bulk")
            started = time.perf_counter()
            plan_date = asyncio.run(_working_set(base_url, token, read_stock(url), options))
            working_set_s = time.perf_counter() - started
            with direct_database(url) as direct:
                direct.settle()
                cases = build_cases(direct, plan_date, random.Random(options.scale.seed))
                load = os.getloadavg()[0]
                measured = {}
                for case in cases:
                    progress(engine, f"{case.name}: {options.requests} requests, then direct SQL")
                    measured[case.name] = measure(client, direct, case, options.requests)
    return EngineResult(load=load, working_set_s=working_set_s, cases=measured)


async def _working_set(base_url: str, token: str, stock: Stock, options: Options) -> str:
    """The service desk's tickets and plan, transfers, and bulk batches; the plan's date."""
    http = HttpClient(base_url, token)
    working = await populate(http, stock, tickets=options.tickets, seed=options.scale.seed)
    rng = random.Random(options.scale.seed)
    hubs = [code for code, _, _ in stock.hubs]
    levels = rng.sample(stock.levels, min(options.transfers, len(stock.levels)))
    sent = []
    for level in levels:
        to_depot = next(code for code in rng.sample(hubs, 2) if code != level.depot)
        body = {
            "part_number": level.part_number,
            "from_depot": level.depot,
            "to_depot": to_depot,
            "quantity": 1,
        }
        status, answer = await http.request("POST", "/api/v1/stock/transfers", _json(body))
        if status == 201:
            sent.append(answer)
    for answer in sent[::2]:
        transfer_id = _field(answer, "id")
        await http.request("POST", f"/api/v1/stock/transfers/{transfer_id}/receive")
    part = {"part_number": BULK_PART, "description": "Bench bulk cable", "category": "cabling",
            "serialized": False, "unit_cost": "3.50", "weight_kg": 0.1, "volume_l": 0.1}  # fmt: skip
    status, answer = await http.request("POST", "/api/v1/parts", _json(part))
    if status != 201:
        raise RuntimeError(f"bulk part refused with {status}: {answer[:300]!r}")
    for number in range(BULK_RECEIPTS):
        lines = [
            {
                "part_number": BULK_PART,
                "quantity": rng.randint(5, 500),
                "batch_number": f"BB{number:02d}-{line:03d}",
            }
            for line in range(BULK_LINES)
        ]
        body = {"depot": hubs[number % len(hubs)], "supplier": SUPPLIERS[0], "reference": f"BULK-{number}",
                "lines": lines}  # fmt: skip
        status, answer = await http.request("POST", "/api/v1/stock/receipts", _json(body))
        if status != 201:
            raise RuntimeError(f"bulk receipt refused with {status}: {answer[:300]!r}")
    return working.board_date.isoformat()


def _json(body: dict[str, Any]) -> bytes:
    return json.dumps(body).encode()


def _field(answer: bytes, name: str) -> Any:
    return json.loads(answer)[name]


# --- the cases ------------------------------------------------------------------------------------------


def build_cases(direct: Direct, plan_date: str, rng: random.Random) -> list[Case]:
    """Every list with each of its filters, with values drawn from the data."""

    def values(sql: str) -> tuple[Any, ...]:
        found = [row[0] for row in direct.fetch(sql)]
        if not found:
            raise RuntimeError(f"no values for the benchmark from {sql}")
        return tuple(rng.sample(found, min(SAMPLE, len(found))))

    highest = direct.fetch("SELECT max(id) FROM stock_unit")[0][0]
    unit_ids = ",".join(str(rng.randint(1, highest)) for _ in range(SAMPLE))
    serials = values(f"SELECT serial FROM stock_unit WHERE id IN ({unit_ids})")  # noqa: S608
    boxes = values(f"SELECT box_number FROM stock_unit WHERE id IN ({unit_ids})")  # noqa: S608
    batches = values(f"SELECT batch_number FROM stock_unit WHERE id IN ({unit_ids})")  # noqa: S608
    parts = values(
        f"SELECT p.part_number FROM stock_unit u JOIN part p ON p.id = u.part WHERE u.id IN ({unit_ids})"  # noqa: S608
    )
    depots = values("SELECT code FROM depot")
    reserving = values("SELECT DISTINCT d.code FROM reservation r JOIN depot d ON d.id = r.depot")
    reserved_parts = values("SELECT DISTINCT p.part_number FROM reservation r JOIN part p ON p.id = r.part")
    tickets = values("SELECT DISTINCT ticket FROM reservation")
    sending = values("SELECT DISTINCT d.code FROM transfer t JOIN depot d ON d.id = t.from_depot")
    references = values(f"SELECT reference FROM movement WHERE unit IN ({unit_ids})")  # noqa: S608
    bulk_depots = values("SELECT DISTINCT d.code FROM bulk_stock b JOIN depot d ON d.id = b.depot")
    bulk_batches = values("SELECT batch_number FROM bulk_stock")
    since = tuple((datetime.now(UTC) - timedelta(days=days)).isoformat() for days in range(1, 31))

    def case(
        name: str,
        path: str,
        param: str,
        statement: str,
        vals: tuple,
        arity: int = 1,
        extra: dict | None = None,
    ) -> Case:
        return Case(name, path, {param: "{}", **(extra or {})}, (statement,), vals, arity)

    cases = [
        case(
            "reservations ?depot=",
            "/api/v1/reservations",
            "depot",
            _RESERVATION.format(f"r.depot = {DEPOT_ID}"),
            reserving,
        ),
        case(
            "reservations ?part_number=",
            "/api/v1/reservations",
            "part_number",
            _RESERVATION.format(f"r.part = {PART_ID}"),
            reserved_parts,
        ),
        case(
            "reservations ?ticket=",
            "/api/v1/reservations",
            "ticket",
            _RESERVATION.format("r.ticket = ?"),
            tickets,
        ),
        case(
            "reservations ?status=",
            "/api/v1/reservations",
            "status",
            _RESERVATION.format("r.status = ?"),
            ("active", "released", "issued"),
        ),
        case(
            "transfers ?from_depot=",
            "/api/v1/stock/transfers",
            "from_depot",
            _TRANSFER.format(f"t.from_depot = {DEPOT_ID}"),
            sending,
        ),
        case(
            "transfers ?status=",
            "/api/v1/stock/transfers",
            "status",
            _TRANSFER.format("t.status = ?"),
            ("in_transit", "received"),
        ),
        case(
            "receipts ?depot=",
            "/api/v1/stock/receipts",
            "depot",
            _RECEIPT.format(f"r.depot = {DEPOT_ID}"),
            depots,
        ),
        case(
            "receipts ?supplier=",
            "/api/v1/stock/receipts",
            "supplier",
            _RECEIPT.format("r.supplier = ?"),
            SUPPLIERS,
        ),
        case(
            "receipts ?since=",
            "/api/v1/stock/receipts",
            "since",
            _RECEIPT.format("r.received_at >= ?"),
            since,
        ),
        case(
            "movements ?depot=",
            "/api/v1/stock/movements",
            "depot",
            _MOVEMENT.format(MOVEMENTS_AT_DEPOT),
            depots,
            2,
        ),
        case(
            "movements ?part_number=",
            "/api/v1/stock/movements",
            "part_number",
            _MOVEMENT.format(f"m.part = {PART_ID}"),
            parts,
        ),
        case(
            "movements ?serial=",
            "/api/v1/stock/movements",
            "serial",
            _MOVEMENT.format("m.unit IN (SELECT id FROM stock_unit WHERE serial = ?)"),
            serials,
        ),
        case(
            "movements ?kind=",
            "/api/v1/stock/movements",
            "kind",
            _MOVEMENT.format("m.kind = ?"),
            ("transfer_out", "transfer_in", "receipt"),
        ),
        case(
            "movements ?reference=",
            "/api/v1/stock/movements",
            "reference",
            _MOVEMENT.format("m.reference = ?"),
            references,
        ),
        case(
            "movements ?actor=",
            "/api/v1/stock/movements",
            "actor",
            _MOVEMENT.format("m.actor = ?"),
            ("scale-generator", ADMIN),
        ),
        case("units ?depot=", "/api/v1/stock/units", "depot", _UNIT.format(f"u.depot = {DEPOT_ID}"), depots),
        case(
            "units ?batch_number= (recall)",
            "/api/v1/stock/units",
            "batch_number",
            _UNIT.format("u.batch_number = ?"),
            batches,
        ),
        case(
            "units ?box_number=", "/api/v1/stock/units", "box_number", _UNIT.format("u.box_number = ?"), boxes
        ),
        case(
            "units ?part_number=&status=available",
            "/api/v1/stock/units",
            "part_number",
            _UNIT.format(f"u.part = {PART_ID} AND u.status = 'available'"),
            parts,
            extra={"status": "available"},
        ),
        case(
            "units ?status=in_transit",
            "/api/v1/stock/units",
            "status",
            _UNIT.format("u.status = ?"),
            ("in_transit", "reserved"),
        ),
        case(
            "batches ?depot=",
            "/api/v1/stock/batches",
            "depot",
            _BATCH.format(f"b.depot = {DEPOT_ID}"),
            bulk_depots,
        ),
        case(
            "batches ?part_number=",
            "/api/v1/stock/batches",
            "part_number",
            _BATCH.format(f"b.part = {PART_ID}"),
            (BULK_PART,),
        ),
        case(
            "routing/plans ?date=",
            "/api/v1/routing/plans",
            "date",
            _PLAN.format("kind = 'nbd' AND plan_date = ?"),
            (plan_date,),
        ),
        case(
            "dispatch/plans ?state=",
            "/api/v1/dispatch/plans",
            "state",
            _PLAN.format("kind = 'dispatch' AND status = ?"),
            ("draft", "committed"),
        ),
    ]
    scans = [
        ("scan a serial", serials),
        ("scan a box", boxes),
        ("scan a batch", batches + bulk_batches[:10]),
    ]
    cases += [Case(name, "/api/v1/scan/{}", {}, SCAN, vals) for name, vals in scans]
    return cases


# --- measuring ------------------------------------------------------------------------------------------


def measure(client: httpx.Client, direct: Direct, case: Case, requests: int) -> Measured:
    """``requests`` API calls then as many direct runs, each with the next value, after a warm-up."""
    order = [case.values[index % len(case.values)] for index in range(WARMUP + requests)]
    api, rows = [], 0
    for index, value in enumerate(order):
        path = case.path.format(quote(str(value), safe=""))
        params = {name: str(value) if text == "{}" else text for name, text in case.params.items()}
        started = time.perf_counter()
        response = client.get(path, params=params)
        elapsed = time.perf_counter() - started
        if response.status_code != 200:
            raise RuntimeError(f"{case.name}: {response.status_code} {response.text[:300]}")
        if index >= WARMUP:
            api.append(elapsed)
            body = response.json()
            rows += len(body["items"]) if "items" in body else len(body["matches"])
    seconds = direct.time(case, order)[WARMUP:]
    return Measured(Timings(tuple(api)), Timings(tuple(seconds)), rows / requests)


class Direct:
    """The baseline: the same main queries straight through the driver."""

    def fetch(self, sql: str) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def settle(self) -> None:
        """Statistics for the planner after the working set was written."""

    def time(self, case: Case, values: Sequence[Any]) -> list[float]:
        raise NotImplementedError


class SqliteDirect(Direct):
    def __init__(self, path: str) -> None:
        self._connection = sqlite3.connect(path, isolation_level=None, timeout=30)

    def close(self) -> None:
        self._connection.close()

    def fetch(self, sql: str) -> list[tuple[Any, ...]]:
        return self._connection.execute(sql).fetchall()

    def time(self, case: Case, values: Sequence[Any]) -> list[float]:
        seconds = []
        for value in values:
            started = time.perf_counter()
            for statement in case.statements:
                self._connection.execute(statement, (_sqlite_value(value),) * statement.count("?")).fetchall()
            seconds.append(time.perf_counter() - started)
        return seconds


def _sqlite_value(value: Any) -> Any:
    """Piccolo's SQLite text form of an instant (``2026-12-07 01:40:05.123456+00:00``)."""
    if isinstance(value, str) and "T" in value and value[:4].isdigit() and "+" in value:
        return datetime.fromisoformat(value).isoformat(sep=" ")
    return value


class PostgresDirect(Direct):
    def __init__(self, url: str) -> None:
        self._runner = asyncio.Runner()
        self._connection: asyncpg.Connection = self._runner.run(asyncpg.connect(url))

    def close(self) -> None:
        self._runner.run(self._connection.close())
        self._runner.close()

    def fetch(self, sql: str) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in self._runner.run(self._connection.fetch(sql))]

    def settle(self) -> None:
        self._runner.run(self._connection.execute("ANALYZE"))

    def time(self, case: Case, values: Sequence[Any]) -> list[float]:
        return self._runner.run(self._timed(case, values))

    async def _timed(self, case: Case, values: Sequence[Any]) -> list[float]:
        statements = [numbered(statement) for statement in case.statements]
        seconds = []
        for value in values:
            argument = _pg_value(value)
            started = time.perf_counter()
            for statement, original in zip(statements, case.statements, strict=True):
                await self._connection.fetch(statement, *(argument,) * original.count("?"))
            seconds.append(time.perf_counter() - started)
        return seconds


def _pg_value(value: Any) -> Any:
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[:4].isdigit():
        return datetime.fromisoformat(value).date()
    if isinstance(value, str) and "T" in value and value[:4].isdigit():
        return datetime.fromisoformat(value)
    return value


@contextmanager
def direct_database(url: str) -> Iterator[Direct]:
    direct: SqliteDirect | PostgresDirect = (
        SqliteDirect(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else PostgresDirect(url)
    )
    try:
        yield direct
    finally:
        direct.close()


# --- report ---------------------------------------------------------------------------------------------


def print_results(options: Options, results: dict[str, EngineResult]) -> None:
    print(
        f"\nLists and scan at national scale: {options.scale}; {options.tickets} tickets, "
        f"{options.transfers} transfers, {BULK_RECEIPTS * BULK_LINES} bulk batches; {options.requests} "
        f"requests per list and filter; {os.cpu_count()} CPU cores"
    )
    engines = list(results)
    rows = [
        ["list", *(f"{e} API p50/p95 (ms)" for e in engines), *(f"{e} SQL p50/p95" for e in engines), "rows"]
    ]
    names = list(next(iter(results.values())).cases)
    for name in names:
        cells = [name]
        cells += [_pair(results[e].cases[name].api) for e in engines]
        cells += [_pair(results[e].cases[name].direct, 2) for e in engines]
        cells.append(f"{results[engines[0]].cases[name].rows:.0f}")
        rows.append(cells)
    print_table(rows)
    for engine, result in results.items():
        worst = max(result.cases.items(), key=lambda item: item[1].api.ms(95))
        verdict = "meets" if worst[1].api.ms(95) < GOAL_P95_MS else "misses"
        print(
            f"{engine}: load {result.load:.2f} before measuring; working set {result.working_set_s:.0f} s; "
            f"slowest p95 {worst[1].api.ms(95):.1f} ms ({worst[0]}): {verdict} the goal of "
            f"{GOAL_P95_MS:.0f} ms for every list"
        )


def _pair(timings: Timings, digits: int = 1) -> str:
    return f"{timings.ms(50):.{digits}f} / {timings.ms(95):.{digits}f}"


if __name__ == "__main__":
    raise SystemExit(main())
