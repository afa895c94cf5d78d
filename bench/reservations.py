"""Reservation throughput and latency under concurrency: through the API, and the service's transaction alone.

``python -m bench.reservations [--engines sqlite,postgresql] [--clients 32] [--duration-s 15 |
--requests N] [--workers N] [--depots 50 --parts 200 --units 100000]``

For each engine: the scale data of `bench.scale_data` (as in `bench.stock`: SQLite a working copy of a
cached file under ``var/bench``, PostgreSQL a fresh database dropped at the end), a platinum customer
with a site at depot D001 and open tickets made through the API, and the real server on loopback (one
worker process on SQLite, which serves one web process; ``--workers`` on PostgreSQL). Then
``--clients`` concurrent clients reserve one unit at a time: through ``POST /tickets/{id}/reservations``,
and as the service's own reservation transaction called in this process (its store's operations on its
engine: `inventory.persistence`), in alternating rounds of the same run (after a warm-up of each and, on
PostgreSQL, an ``ANALYZE``). A last-units race, the stock invariants and ``python -m api check-ledger``
show whether anything was oversold.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import statistics
import subprocess
import sys
import time
from collections import Counter, deque
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import ExitStack, asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx
import uvloop
from litestar import Litestar
from piccolo.querystring import QueryString

from api.app import create_app
from api.domain_context import STATE_KEY, domain_context
from api.settings import PROJECT_ROOT, Settings
from bench.scale_data import Scale
from bench.stock import (
    BENCH_DIR,
    Timings,
    add_database_arguments,
    bearer_token,
    create_user,
    free_port,
    parsed_engines,
    parsed_scale,
    print_engines,
    progress,
    reachable_engines,
    running_server,
    scale_database,
    server_environment,
)
from inventory import persistence
from inventory.persistence import ReservationItemRow, ReservationRow, Store
from inventory.persistence.postgres_engine import ServicePostgresEngine
from inventory.persistence.store import ServiceEngine
from inventory.stock.model import MovementKind, UnitStatus
from inventory.stock.positions import MovementEntry, level_deltas, movement_rows, movements_entry

DEFAULT_SCALE = Scale(depots=50, parts=200, units=300_000)
ADMIN, DISPATCHER = "benchadmin", "benchdispatcher"
CUSTOMER, SITE, SITE_DEPOT = "BENCH-PLAT", "BENCH-DC1", "D001"
RESERVE_PATH = "/api/v1/tickets/{}/reservations"
WARMUP_PER_CLIENT = 4
CEILING_S = 3.0
REQUEST_TIMEOUT_S = 120.0
RACE_EXTRA_PER_CLIENT = 2
"""In the race, every client keeps asking this many times beyond the units there are (on average)."""
ESTIMATED_TRAVEL = timedelta(hours=1)
"""The baseline's stand-in for the arrival estimate the service computes."""
BUSY_TIMEOUT_S = Settings.model_fields["sqlite_busy_timeout_s"].default
RESERVATION_TTL = timedelta(hours=Settings.model_fields["reservation_ttl_hours"].default)
GOAL_RATIO = 0.5
AUDIT_GOAL_PCT = 15.0
"""Issue goal for the audit chain: at most this share of reservation throughput."""
SETUP_CLIENTS = 8
ROUNDS = 2
"""Each side of an alternating comparison runs in ``2 * ROUNDS`` rounds: the sides in turn, then in
reverse order, ``ROUNDS`` times (for two sides: first, second, second, first, twice), together as long
as one main run each. A drift in the machine's load (the shared disk, the database's own housekeeping
after many writes) then hits every side."""
AUDIT_ROUNDS = 8
AUDIT_SHARE = 2.0
"""The audit chain's comparison runs each side as long as ``AUDIT_SHARE`` main runs, in ``2 *
AUDIT_ROUNDS`` rounds: its two sides differ by a tenth or so, while on a shared machine whole rounds of
the same server differ by a fifth, so it takes more, shorter rounds than the main comparison to
measure. Each round of one side is next to the same round of the other (a pair)."""

T = TypeVar("T")

LEVELS_SQL = (
    "SELECT p.part_number, l.part, d.code AS depot, l.depot AS depot_id, l.on_hand - l.reserved AS units "
    "FROM stock_level l JOIN part p ON p.id = l.part JOIN depot d ON d.id = l.depot "
    "WHERE l.on_hand - l.reserved > 0 ORDER BY p.part_number, d.code"
)
DEPOT_SQL = "SELECT latitude, longitude FROM depot WHERE code = {}"
RACE_LEVEL_SQL = "SELECT on_hand, reserved FROM stock_level WHERE part = {} AND depot = {}"
HELD = (
    "SELECT r.part, r.depot, SUM(i.quantity) AS n FROM reservation_item i "
    "JOIN reservation r ON r.id = i.reservation WHERE i.active GROUP BY r.part, r.depot"
)
UNITS_RESERVED = (
    "SELECT part, depot, COUNT(*) AS n FROM stock_unit WHERE status = 'reserved' GROUP BY part, depot"
)
# Table and subquery texts are the constants above, never input.
HELD_MISMATCH_SQL = (
    f"SELECT COUNT(*) FROM stock_level l LEFT JOIN ({HELD}) h ON h.part = l.part AND h.depot = l.depot "  # noqa: S608
    "WHERE l.reserved <> COALESCE(h.n, 0)"
)
UNITS_MISMATCH_SQL = (
    f"SELECT COUNT(*) FROM stock_level l LEFT JOIN ({UNITS_RESERVED}) u "  # noqa: S608
    "ON u.part = l.part AND u.depot = l.depot WHERE l.reserved <> COALESCE(u.n, 0)"
)
RACE_HELD_SQL = f"SELECT COALESCE(SUM(n), 0) FROM ({HELD}) h WHERE part = {{}} AND depot = {{}}"  # noqa: S608
RESERVED_TOTAL_SQL = "SELECT COALESCE(SUM(reserved), 0) FROM stock_level"
HEAD_SEQ_SQL = "SELECT seq FROM audit_head WHERE id = 1"


@dataclass(frozen=True, slots=True)
class Options:
    scale: Scale
    engines: tuple[str, ...]
    clients: int
    duration_s: float | None
    requests: int | None
    tickets: int
    pg_pool: int
    workers: int
    postgres_url: str


@dataclass(frozen=True, slots=True)
class Level:
    """A part's stock at a depot, with the units that were available when the run read it."""

    part_number: str
    part: int
    depot: str
    depot_id: int
    units: int


@dataclass(frozen=True, slots=True)
class Ticket:
    id: int
    priority: int


@dataclass(frozen=True, slots=True)
class Job:
    """One reservation of one unit: ``named`` names the depot; otherwise the service chooses it."""

    ticket: Ticket
    level: Level
    named: bool = True

    def body(self) -> bytes:
        body = {"part_number": self.level.part_number, "quantity": 1}
        if self.named:
            body["depot"] = self.level.depot
        return json.dumps(body).encode()


@dataclass(frozen=True, slots=True)
class Run:
    """What the clients saw: every answer's status and time, and the wall time of the whole run."""

    wall: float
    statuses: Counter[int]
    timings: Timings
    exhausted: bool
    """The run ended because the stock set aside for it ran out, before its budget."""

    @property
    def throughput(self) -> float:
        """Successful reservations per second."""
        return self.statuses[201] / self.wall

    @property
    def split(self) -> str:
        other = sum(count for status, count in self.statuses.items() if status not in (201, 409))
        return f"{self.statuses[201]} / {self.statuses[409]} / {other}"

    @property
    def server_errors(self) -> int:
        return sum(count for status, count in self.statuses.items() if status >= 500 or status == 0)


def merged_runs(runs: Sequence[Run]) -> Run:
    """One run of several: their answers together over their summed wall time."""
    statuses: Counter[int] = Counter()
    for run in runs:
        statuses.update(run.statuses)
    seconds = tuple(second for run in runs for second in run.timings.seconds)
    return Run(sum(run.wall for run in runs), statuses, Timings(seconds), any(run.exhausted for run in runs))


@dataclass(frozen=True, slots=True)
class Checks:
    """The oversell checks after every run of an engine."""

    race: Level
    race_answers: Counter[int]
    race_level: tuple[int, int]
    """``(on_hand, reserved)`` of the raced level afterwards."""
    race_held: int
    """Units held by active reservation items at the raced level."""
    held_mismatches: int
    """Stock levels whose ``reserved`` differs from their active reservation items."""
    unit_mismatches: int
    """Stock levels whose ``reserved`` differs from their units in status reserved."""
    reserved_total: int
    successes: int
    """201 answers and committed direct transactions, warm-ups included."""
    ledger: str
    ledger_ok: bool
    audit_appends: tuple[int, int] = (0, 0)
    """Entries appended during the audit cost runs, and the audited server's 201 answers in them."""

    @property
    def oversold(self) -> int:
        return max(0, self.race_answers[201] - self.race.units)

    @property
    def passed(self) -> bool:
        on_hand, reserved = self.race_level
        return (
            self.oversold == 0
            and reserved == self.race_held == self.race_answers[201]
            and reserved <= on_hand
            and self.held_mismatches == self.unit_mismatches == 0
            and self.reserved_total == self.successes
            and self.ledger_ok
            and self.audit_appends[0] == self.audit_appends[1]
        )


@dataclass(frozen=True, slots=True)
class AuditComparison:
    """The API's rounds with the audit chain and without it (pairs by index), and ``(entries appended,
    201 answers of the audited server)`` over them, warm-ups included: one entry per reservation."""

    with_chain: list[Run]
    without: list[Run]
    appends: tuple[int, int]

    @property
    def cost(self) -> float:
        """Throughput lost to the chain over all rounds, in % of the unaudited API's."""
        return audit_cost(merged_runs(self.with_chain), merged_runs(self.without))

    def pair_costs(self) -> tuple[float, ...]:
        """The cost in each pair of neighbouring rounds."""
        return tuple(audit_cost(w, wo) for w, wo in zip(self.with_chain, self.without, strict=True))


def audit_cost(with_chain: Run, without: Run) -> float:
    """Throughput lost to the audit chain, in % of the throughput without it."""
    return 100 * (1 - with_chain.throughput / without.throughput)


def pairs_summary(costs: Sequence[float]) -> str:
    """The median of per-pair costs and their middle half: ``"median 9.8 %, middle half 6.1 to 13.0 %"``."""
    if len(costs) < 2:
        return "too few round pairs for a spread"
    low, median, high = statistics.quantiles(costs, n=4, method="inclusive")
    return f"median {median:.1f} %, middle half {low:.1f} to {high:.1f} %"


@dataclass(frozen=True, slots=True)
class EngineResult:
    generation: str
    load: float
    ceiling: Run
    runs: dict[str, Run]
    checks: Checks
    audit_pairs: tuple[float, ...]
    """The audit chain's cost in each pair of neighbouring rounds (`AuditComparison.pair_costs`)."""


@dataclass(frozen=True, slots=True)
class Side:
    """One side of an alternating comparison: reservations made by ``attempt``, which goes to ``http``'s
    server (None: the main server, or none)."""

    label: str
    attempt: Callable[[Job], Awaitable[int]]
    http: HttpClient | None = None
    server: str | None = None
    """The server ``http`` goes to (`Servers`), which the side's rounds make sure serves."""


class OutOfStock(Exception):
    """The conditional update found no available unit: the transaction is rolled back (a 409)."""


class Budget:
    """How many requests may still start: a count, or as many as start before a deadline."""

    def __init__(self, *, requests: int | None = None, seconds: float | None = None) -> None:
        self._left = requests
        self._deadline = None if seconds is None else time.monotonic() + seconds

    def spend(self) -> bool:
        if self._deadline is not None:
            return time.monotonic() < self._deadline
        if self._left is None or self._left <= 0:
            return False
        self._left -= 1
        return True


class StockPool:
    """Levels to reserve from, round-robin, never asking a level for more units than it had."""

    def __init__(self, levels: Sequence[Level], *, capped: bool = True) -> None:
        self._queue = deque(levels)
        self._left = {level: level.units for level in levels}
        self._capped = capped

    def take(self) -> Level | None:
        while self._queue:
            level = self._queue.popleft()
            if not self._capped:
                self._queue.append(level)
                return level
            self._left[level] -= 1
            if self._left[level] > 0:
                self._queue.append(level)
            return level
        return None


class Workload:
    """Jobs until the budget is spent or the pool is empty, cycling over the tickets."""

    def __init__(
        self, tickets: Sequence[Ticket], pool: StockPool, budget: Budget, *, named: bool = True
    ) -> None:
        self._tickets, self._pool, self._budget, self._named = tickets, pool, budget, named
        self._count = 0
        self.exhausted = False

    def next(self) -> Job | None:
        if not self._budget.spend():
            return None
        level = self._pool.take()
        if level is None:
            self.exhausted = True
            return None
        self._count += 1
        return Job(self._tickets[self._count % len(self._tickets)], level, self._named)


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_args(argv)
    engines = reachable_engines(options.engines, options.postgres_url)
    results = {engine: bench_engine(engine, options) for engine in engines}
    print_results(options, results)
    return 0


def parse_args(argv: Sequence[str] | None) -> Options:
    parser = argparse.ArgumentParser(prog="python -m bench.reservations", description=__doc__.split("\n")[0])
    add_database_arguments(parser, DEFAULT_SCALE)
    parser.add_argument("--clients", type=int, default=32, help="concurrent clients (and direct workers)")
    measure = parser.add_mutually_exclusive_group()
    measure.add_argument("--duration-s", type=float, help="seconds per main run (default 15)")
    measure.add_argument("--requests", type=int, help="requests per main run, instead of a duration")
    parser.add_argument("--tickets", type=int, default=300, help="open tickets the reservations cycle over")
    parser.add_argument(
        "--pg-pool",
        type=int,
        default=Settings.model_fields["pg_pool_max_size"].default,
        help="PG_POOL_MAX_SIZE of the server, and the size of the direct baseline's asyncpg pool",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help=(
            "server worker processes on PostgreSQL (WEB_CONCURRENCY; default: one per CPU core); they share "
            "--pg-pool. SQLite serves one web process: one worker there"
        ),
    )
    args = parser.parse_args(argv)
    engines = parsed_engines(parser, args.engines)
    if args.clients < 1 or args.tickets < 1 or args.pg_pool < 1 or args.workers < 1:
        parser.error("--clients, --tickets, --pg-pool and --workers must be positive")
    if args.pg_pool < args.workers:
        parser.error("--pg-pool must be at least --workers: every worker needs a connection")
    if args.requests is not None and args.requests < 2 * args.clients:
        parser.error("--requests must be at least twice --clients")
    return Options(
        scale=parsed_scale(args),
        engines=engines,
        clients=args.clients,
        duration_s=15.0 if args.duration_s is None and args.requests is None else args.duration_s,
        requests=args.requests,
        tickets=args.tickets,
        pg_pool=args.pg_pool,
        workers=args.workers,
        postgres_url=args.postgres_url,
    )


def server_workers(engine: str, options: Options) -> int:
    """The server's worker processes on ``engine``: ``--workers`` on PostgreSQL; one on SQLite, which
    serves one web process (`api.single_process`)."""
    return options.workers if engine == "postgresql" else 1


def bench_engine(engine: str, options: Options) -> EngineResult:
    """Generate the data, start the servers, then time the API and the service's transaction on the same
    database."""
    with scale_database(engine, options.scale, options.postgres_url) as (url, generation):
        password = secrets.token_urlsafe(24)
        workers = server_workers(engine, options)
        environment = {
            **server_environment(url),
            "SWEEP_INTERVAL_S": "0",
            "LOGIN_ATTEMPTS_PER_MINUTE": "1000",
            # The workers share the baseline's pool size, so both sides have as many connections.
            "PG_POOL_MAX_SIZE": str(options.pg_pool // workers),
            "PG_POOL_MIN_SIZE": "1",
            "WEB_CONCURRENCY": str(workers),
        }
        if workers != options.workers:
            progress(engine, f"one server worker, not {options.workers}: SQLite serves one web process")
        create_user(environment, password, ADMIN, "admin")
        create_user(environment, password, DISPATCHER, "dispatcher")
        with (
            Servers(engine, environment) as servers,
            asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner,
        ):
            base_url, unaudited_url = servers.urls[AUDITED], servers.urls[UNAUDITED]
            servers.serve(AUDITED)
            turns = "" if servers.together else " (they take turns: SQLite serves one web process)"
            progress(engine, f"server at {base_url}, without the audit chain at {unaudited_url}{turns}")
            token = _token(base_url, password, DISPATCHER)
            session = Session(
                engine,
                options,
                environment,
                servers,
                HttpClient(base_url, token),
                HttpClient(unaudited_url, token),
            )
            return runner.run(session.measure(url, _token(base_url, password, ADMIN), generation))


AUDITED, UNAUDITED = "reservations", "unaudited"
UNAUDITED_APP = "bench.reservations:unaudited_app"


class Servers:
    """The service (`AUDITED`) and the service without the audit chain (`UNAUDITED`, `unaudited_app`) on
    one database, each on a loopback port of its own. On PostgreSQL both serve throughout. SQLite serves
    one web process (`api.single_process`: a second one on the same file refuses to start), so there they
    take turns: `serve` stops the one serving before it starts the other."""

    def __init__(self, engine: str, environment: dict[str, str]) -> None:
        self.together = engine == "postgresql"
        self._engine, self._environment = engine, environment
        self._ports = {AUDITED: free_port(), UNAUDITED: free_port()}
        self.urls = {name: f"http://127.0.0.1:{port}" for name, port in self._ports.items()}
        self._serving: dict[str, ExitStack] = {}

    def serve(self, name: str) -> bool:
        """Make sure the server ``name`` serves; whether it had to be started."""
        if name in self._serving:
            return False
        if not self.together:
            self.close()
        app = UNAUDITED_APP if name == UNAUDITED else "api.app:create_app"
        log = BENCH_DIR / f"server-{name}-{self._engine}.log"
        with ExitStack() as stack:
            stack.enter_context(running_server(self._environment, log, app, self._ports[name]))
            self._serving[name] = stack.pop_all()
        return True

    def close(self) -> None:
        """Stop every server."""
        while self._serving:
            self._serving.popitem()[1].close()

    def __enter__(self) -> Servers:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def unaudited_app() -> Litestar:
    """The service with a store that writes no audit chain entries (``audit_chain=False``, every other
    write as the service's): only ever served by this benchmark, to measure what the chain costs a
    reservation through the API (with and without, same run)."""
    app = create_app()
    domain = domain_context(app)
    app.state[STATE_KEY] = domain.with_store(persistence.store_for(domain.store.engine, audit_chain=False))
    return app


def _token(base_url: str, password: str, username: str) -> str:
    with httpx.Client(base_url=base_url, timeout=30.0) as client:
        return bearer_token(client, password, username)


class Session:
    """The runs on one engine: the same tickets and clients, and a count of every reservation made."""

    def __init__(
        self,
        engine: str,
        options: Options,
        environment: dict[str, str],
        servers: Servers,
        http: HttpClient,
        unaudited: HttpClient,
    ) -> None:
        self._engine, self._options, self._environment, self._http = engine, options, environment, http
        self._servers, self._unaudited = servers, unaudited
        secret = environment["SECRET_KEY"]
        self._mac_key = Settings(_env_file=None, secret_key=secret).audit_keys().mac_key
        self._tickets: list[Ticket] = []
        self._successes = 0
        self.failures: list[str] = []

    async def measure(self, url: str, admin_token: str, generation: str) -> EngineResult:
        """Tickets, then every run and the checks, on the database at ``url``."""
        clients = self._options.clients
        options = self._options
        async with direct_reservations(url, pool_size=options.pg_pool, mac_key=self._mac_key) as direct:
            site = (await direct.fetch(DEPOT_SQL, SITE_DEPOT))[0]
            self._tickets = await open_tickets(self._http, admin_token, site, self._options.tickets)
            race, auto, shared = split_levels([Level(*row) for row in await direct.fetch(LEVELS_SQL)])
            load = os.getloadavg()[0]
            self._say(f"ceiling: GET /health with {clients} clients")
            ceiling = await self._run(self._health, _ticks(Budget(seconds=CEILING_S)))
            pool, api = StockPool(shared), self._api_reserve()
            self._say(f"the service's transaction and the API, named depot, alternating: {self._measuring()}")
            sides = (
                Side("direct, the service's transaction", direct.attempt(audited=True)),
                Side("API", api),
                Side("direct, without the audit chain", direct.attempt(audited=False)),
            )
            measured, _ = await self._alternating(sides, pool, direct.settle)
            runs = dict(zip(("direct", "api", "direct_unaudited"), map(merged_runs, measured), strict=True))
            self._say(
                f"audit chain: the API with and without it, alternating in {2 * AUDIT_ROUNDS} rounds each, "
                f"each side as long as {AUDIT_SHARE:g} main runs"
            )
            audit = await self._audit_cost(direct, pool)
            runs["audited"], runs["unaudited"] = merged_runs(audit.with_chain), merged_runs(audit.without)
            self._say("API with an Idempotency-Key, and API with automatic sourcing: half as long each")
            runs["api_key"] = await self._measured(self._api_reserve(idempotent=True), pool, share=0.5)
            runs["api_auto"] = await self._measured(api, StockPool(auto), named=False, share=0.5)
            self._say(f"last-units race: {race.units} units of {race.part_number} at {race.depot}")
            budget = Budget(requests=race.units + RACE_EXTRA_PER_CLIENT * clients)
            race_load = Workload(self._tickets, StockPool([race], capped=False), budget)
            runs["race"] = await self._run(api, race_load.next)
            checks = replace(await self._check(direct, race, runs["race"]), audit_appends=audit.appends)
        for failure in self.failures:
            self._say(f"unexpected answer: {failure}")
        return EngineResult(generation, load, ceiling, runs, checks, audit.pair_costs())

    def _measuring(self) -> str:
        if self._options.requests is not None:
            return f"{self._options.requests} requests"
        return f"{self._options.duration_s:g} s"

    def _budget(self, share: float) -> Budget:
        if self._options.requests is not None:
            return Budget(requests=max(1, round(self._options.requests * share)))
        return Budget(seconds=(self._options.duration_s or 0.0) * share)

    async def _measured(
        self,
        attempt: Callable[[Job], Awaitable[int]],
        pool: StockPool,
        *,
        named: bool = True,
        share: float = 1.0,
    ) -> Run:
        """A warm-up, then the timed run, from the same stock pool."""
        warmup = Budget(requests=WARMUP_PER_CLIENT * self._options.clients)
        await self._run(attempt, Workload(self._tickets, pool, warmup, named=named).next)
        workload = Workload(self._tickets, pool, self._budget(share), named=named)
        run = replace(await self._run(attempt, workload.next), exhausted=workload.exhausted)
        self._say(f"  {run.throughput:.0f}/s, p50/p95/p99 {_percentiles(run)} ms, 201/409/other {run.split}")
        return run

    async def _audit_cost(self, direct: DirectReservations, pool: StockPool) -> AuditComparison:
        """Named-depot reservations through the audited server and the unaudited one, in turns
        (`AUDIT_ROUNDS`)."""
        head_before = (await direct.fetch(HEAD_SEQ_SQL))[0][0]
        sides = (
            Side("with", self._api_reserve(), server=AUDITED),
            Side("without", self._api_reserve(self._unaudited), self._unaudited, UNAUDITED),
        )
        (with_chain, without), warmup = await self._alternating(
            sides, pool, direct.settle, rounds=AUDIT_ROUNDS, share=AUDIT_SHARE
        )
        appended = (await direct.fetch(HEAD_SEQ_SQL))[0][0] - head_before
        self._servers.serve(AUDITED)
        audited_201 = warmup.statuses[201] + sum(run.statuses[201] for run in with_chain)
        comparison = AuditComparison(with_chain, without, (appended, audited_201))
        self._say(f"  cost of the audit chain {comparison.cost:.1f} %")
        self._say(f"  per round pair: {pairs_summary(comparison.pair_costs())}")
        return comparison

    async def _alternating(
        self,
        sides: Sequence[Side],
        pool: StockPool,
        settle: Callable[[], Awaitable[None]],
        *,
        rounds: int = ROUNDS,
        share: float = 1.0,
    ) -> tuple[list[list[Run]], Run]:
        """Named-depot reservations by each side, in turns (``rounds``: see `ROUNDS`), after a warm-up of
        each and ``settle()``, from one pool; together each side runs as long as ``share`` main runs. A
        side whose server had to be started (`Servers.serve`: SQLite's servers take turns) is warmed up
        again before its round.

        Returns:
            Each side's rounds, in order, and the first side's warm-ups together.
        """
        warmups: list[list[Run]] = [[] for _ in sides]

        async def warm_up(index: int) -> None:
            side = sides[index]
            warmup = Budget(requests=WARMUP_PER_CLIENT * self._options.clients)
            run = await self._run(side.attempt, Workload(self._tickets, pool, warmup).next, side.http)
            warmups[index].append(run)

        for index, side in enumerate(sides):
            if side.server is not None:
                self._servers.serve(side.server)
            await warm_up(index)
        await settle()
        order = [*range(len(sides)), *reversed(range(len(sides)))] * rounds
        measured: list[list[Run]] = [[] for _ in sides]
        for index in order:
            side = sides[index]
            if side.server is not None and self._servers.serve(side.server):
                await warm_up(index)
            workload = Workload(self._tickets, pool, self._budget(share * len(sides) / len(order)))
            run = await self._run(side.attempt, workload.next, side.http)
            measured[index].append(replace(run, exhausted=workload.exhausted))
        for side, side_rounds in zip(sides, measured, strict=True):
            merged = merged_runs(side_rounds)
            rates = ", ".join(f"{run.throughput:.0f}" for run in side_rounds)
            self._say(
                f"  {side.label}: {merged.throughput:.0f}/s (rounds: {rates}), "
                f"p50/p95/p99 {_percentiles(merged)} ms, 201/409/other {merged.split}"
            )
        return measured, merged_runs(warmups[0])

    async def _run(
        self,
        attempt: Callable[[T], Awaitable[int]],
        next_job: Callable[[], T | None],
        http: HttpClient | None = None,
    ) -> Run:
        """One load run; the server's idle connections are closed after it (uvicorn would time them out)."""
        try:
            run = await run_load(attempt, next_job, self._options.clients)
        finally:
            (http or self._http).close()
        self._successes += run.statuses[201]
        return run

    async def _health(self, _: object) -> int:
        return (await self._http.request("GET", "/health"))[0]

    def _api_reserve(
        self, http: HttpClient | None = None, *, idempotent: bool = False
    ) -> Callable[[Job], Awaitable[int]]:
        """``POST /tickets/{id}/reservations``; its status, or 0 if the connection failed."""
        server = http or self._http

        async def reserve(job: Job) -> int:
            headers = {"Idempotency-Key": secrets.token_hex(16)} if idempotent else {}
            try:
                status, body = await server.request(
                    "POST", RESERVE_PATH.format(job.ticket.id), job.body(), headers
                )
            except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                self._note(repr(exc))
                return 0
            if status not in (201, 409):
                self._note(f"{status} {body[:300].decode(errors='replace')}")
            return status

        return reserve

    def _note(self, failure: str) -> None:
        if len(self.failures) < 5:
            self.failures.append(failure)

    async def _check(self, direct: DirectReservations, race: Level, race_run: Run) -> Checks:
        async def value(sql: str, *args: object) -> tuple:
            return (await direct.fetch(sql, *args))[0]

        self._say("checks: stock levels against reservations and units, then python -m api check-ledger")
        on_hand, reserved = await value(RACE_LEVEL_SQL, race.part, race.depot_id)
        ledger_ok, ledger = await asyncio.to_thread(check_ledger, self._environment)
        return Checks(
            race=race,
            race_answers=race_run.statuses,
            race_level=(int(on_hand), int(reserved)),
            race_held=int((await value(RACE_HELD_SQL, race.part, race.depot_id))[0]),
            held_mismatches=int((await value(HELD_MISMATCH_SQL))[0]),
            unit_mismatches=int((await value(UNITS_MISMATCH_SQL))[0]),
            reserved_total=int((await value(RESERVED_TOTAL_SQL))[0]),
            successes=self._successes,
            ledger=ledger,
            ledger_ok=ledger_ok,
        )

    def _say(self, message: str) -> None:
        progress(self._engine, message)


def split_levels(levels: Sequence[Level]) -> tuple[Level, list[Level], list[Level]]:
    """The race level (the most units away from the site's depot), the site depot's levels (for automatic
    sourcing, which picks the nearest depot), and the rest, shared by the named-depot runs."""
    away = [level for level in levels if level.depot != SITE_DEPOT]
    race = max(away, key=lambda level: level.units)
    at_site = [level for level in levels if level.depot == SITE_DEPOT]
    return race, at_site, [level for level in away if level != race]


# --- load -----------------------------------------------------------------------------------------------


async def run_load(
    attempt: Callable[[T], Awaitable[int]], next_job: Callable[[], T | None], clients: int
) -> Run:
    """``clients`` concurrent loops, each attempting the next job until there is none."""
    answers: list[tuple[int, float]] = []

    async def client() -> None:
        while (job := next_job()) is not None:
            started = time.perf_counter()
            status = await attempt(job)
            answers.append((status, time.perf_counter() - started))

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    wall = time.perf_counter() - started
    if len(answers) < 2:
        raise RuntimeError("fewer than two answers: nothing to measure (is the stock exhausted?)")
    return Run(
        wall=wall,
        statuses=Counter(status for status, _ in answers),
        timings=Timings(tuple(seconds for _, seconds in answers)),
        exhausted=False,
    )


def _ticks(budget: Budget) -> Callable[[], int | None]:
    """Jobs with nothing in them, until the budget is spent."""
    return lambda: 0 if budget.spend() else None


class HttpClient:
    """Keep-alive HTTP/1.1 connections to the server, one per concurrent caller, opened on demand.

    A few lines of asyncio streams instead of httpx for the load: on this machine httpx.AsyncClient
    spent 3-4 ms of CPU per request with 32 connections and httpx.Client in threads 0.8 ms, against
    0.05 ms here, and the client shares two cores with the server and the database. Every request
    carries ``headers`` (by default the bearer ``token``'s ``Authorization``; a page's session cookie
    instead for `bench.pages`).
    """

    def __init__(
        self, base_url: str, token: str | None = None, headers: Mapping[str, str] = MappingProxyType({})
    ) -> None:
        parts = urlsplit(base_url)
        self._host, self._port = parts.hostname or "127.0.0.1", parts.port or 80
        self._headers = {"Host": parts.netloc, **headers}
        if token is not None:
            self._headers["Authorization"] = f"Bearer {token}"
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def request(
        self, method: str, path: str, body: bytes = b"", headers: Mapping[str, str] = MappingProxyType({})
    ) -> tuple[int, bytes]:
        """The status and body of the answer; a connection that fails is dropped."""
        status, _, answer = await self.exchange(method, path, body, headers)
        return status, answer

    async def exchange(
        self, method: str, path: str, body: bytes = b"", headers: Mapping[str, str] = MappingProxyType({})
    ) -> tuple[int, dict[str, str], bytes]:
        """The status, headers (lower-case names) and body (as sent: still compressed, if it was) of the
        answer; a connection that fails is dropped. A kept-alive connection the server has closed in the
        meantime (uvicorn closes idle ones after 5 s) is replaced once."""
        fields = {
            **self._headers,
            "Content-Type": "application/json",
            "Content-Length": str(len(body)),
            **headers,
        }
        head = "".join(f"{name}: {value}\r\n" for name, value in fields.items())
        message = f"{method} {path} HTTP/1.1\r\n{head}\r\n".encode() + body
        if self._idle:
            try:
                return await self._exchange(*self._idle.pop(), message)
            except ConnectionError:
                pass
        return await self._exchange(*await asyncio.open_connection(self._host, self._port), message)

    async def _exchange(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, message: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        try:
            writer.write(message)
            async with asyncio.timeout(REQUEST_TIMEOUT_S):
                answer = await _answer(reader)
        except BaseException:
            writer.close()
            raise
        self._idle.append((reader, writer))
        return answer

    def close(self) -> None:
        while self._idle:
            self._idle.pop()[1].close()


async def _answer(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    """Read one answer, with a Content-Length or chunked.

    Raises:
        ConnectionResetError: the server closed the connection before answering.
    """
    line = await reader.readline()
    if not line:
        raise ConnectionResetError("the server closed the connection")
    status = int(line.split(b" ", 2)[1])
    headers: dict[str, str] = {}
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        return status, headers, await _chunks(reader)
    if "content-length" not in headers:
        raise ValueError("an answer with neither a Content-Length nor chunks")
    return status, headers, await reader.readexactly(int(headers["content-length"]))


async def _chunks(reader: asyncio.StreamReader) -> bytes:
    body = bytearray()
    while size := int((await reader.readline()).split(b";", 1)[0], 16):
        body += await reader.readexactly(size)
        await reader.readline()
    while await reader.readline() not in (b"\r\n", b""):  # trailers, if any
        pass
    return bytes(body)


async def open_tickets(
    http: HttpClient, admin_token: str, site: tuple[float, float], count: int
) -> list[Ticket]:
    """A platinum customer (4 h delivery, 7x24) with a site at the depot's coordinates, and open tickets."""
    customer = {
        "code": CUSTOMER,
        "name": "Bench Platinum Bank",
        "tier": "platinum",
        "delivery_service": "4h",
        "support_hours": "7x24",
    }
    admin = {"Authorization": f"Bearer {admin_token}"}
    await _created(http, "/api/v1/customers", customer, admin)
    latitude, longitude = site
    place = {
        "code": SITE,
        "name": "Bench data centre",
        "address": f"next to depot {SITE_DEPOT}",
        "latitude": latitude,
        "longitude": longitude,
        "timezone": "Asia/Shanghai",
        "calendar_region": "CN",
    }
    await _created(http, f"/api/v1/customers/{CUSTOMER}/sites", place)
    gate = asyncio.Semaphore(SETUP_CLIENTS)

    async def one(number: int) -> Ticket:
        body = {
            "customer": CUSTOMER,
            "site": SITE,
            "severity": "critical",
            "summary": f"bench fault {number}",
        }
        async with gate:
            ticket = await _created(http, "/api/v1/tickets", body)
        return Ticket(ticket["id"], ticket["priority"])

    try:
        return list(await asyncio.gather(*(one(number) for number in range(count))))
    finally:
        http.close()


async def _created(
    http: HttpClient, path: str, body: dict, headers: Mapping[str, str] = MappingProxyType({})
) -> dict:
    status, answer = await http.request("POST", path, json.dumps(body).encode(), headers)
    if status != 201:
        raise RuntimeError(f"setup refused with {status}: {answer[:500].decode(errors='replace')}")
    return json.loads(answer)


def check_ledger(environment: dict[str, str]) -> tuple[bool, str]:
    """``python -m api check-ledger --without-chain`` (the stock-only transactions and the server without
    the chain write movements that no chain entry records): whether it passed, and its last line."""
    result = subprocess.run(
        [sys.executable, "-m", "api", "check-ledger", "--without-chain"],
        env=environment,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    lines = (result.stdout + result.stderr).strip().splitlines()
    return result.returncode == 0, lines[-1] if lines else f"exit {result.returncode}"


# --- the baseline: the service's transaction, called directly ---------------------------------------


class DirectReservations:
    """The baseline: the service's reservation transaction for a named depot, as
    `inventory.tickets.reservations.reserve` runs it (its store's operations, on the service's engine
    and its write transactions, in this process), without the HTTP request, the routing of the request
    and the sourcing around it; and the checks afterwards."""

    def __init__(self, engine: ServiceEngine, mac_key: bytes) -> None:
        self._engine = engine
        self._stores = {
            audited: persistence.store_for(engine, audit_chain=audited) for audited in (True, False)
        }
        self._mac_key = mac_key

    async def fetch(self, sql: str, *args: object) -> list[tuple]:
        """The rows of a query (``{}`` placeholders) outside any write transaction."""
        rows = await self._engine.run_querystring(QueryString(sql, *args))
        return [tuple(dict(row).values()) for row in rows]

    async def settle(self) -> None:
        """Bring the planner's statistics up to date, as a running database's autovacuum would: on
        PostgreSQL an ``ANALYZE``. Each backend plans a foreign key's check once and keeps the plan until
        the table's statistics change, and a plan made while ``reservation`` was empty scans the whole
        table. SQLite plans every statement afresh and keeps no statistics unless asked to."""
        if persistence.engine_kind(self._engine) == "postgresql":
            await self._engine.run_ddl("ANALYZE")

    def attempt(self, *, audited: bool) -> Callable[[Job], Awaitable[int]]:
        """One reservation (with its audit entry, or by a store without the audit chain); 201, or 409
        when the level has no unit left."""
        store = self._stores[audited]

        async def reserve(job: Job) -> int:
            try:
                await reserve_directly(store, job, self._mac_key)
            except OutOfStock:
                return 409
            return 201

        return reserve


@asynccontextmanager
async def direct_reservations(
    url: str, *, pool_size: int, mac_key: bytes
) -> AsyncIterator[DirectReservations]:
    """The service's engine for ``url`` (on PostgreSQL with a pool of ``pool_size`` connections, as the
    servers' workers share theirs), for the direct reservations."""
    engine = persistence.create_engine(url, busy_timeout_s=BUSY_TIMEOUT_S, create_missing=False)
    if isinstance(engine, ServicePostgresEngine):
        await engine.start_connection_pool(min_size=pool_size, max_size=pool_size)
        try:
            yield DirectReservations(engine, mac_key)
        finally:
            await engine.close_connection_pool()
        return
    try:
        yield DirectReservations(engine, mac_key)
    finally:
        engine.close_writer()


async def reserve_directly(store: Store, job: Job, mac_key: bytes) -> None:
    """What `inventory.tickets.reservations.reserve` does for one serialized unit at a named depot, with a
    fixed arrival estimate: the ticket (under its lock, with the ids asked for and the reservation's id),
    the level and the oldest unit, then the reservation, its item, its ledger row and its audit entry.

    Raises:
        OutOfStock: the level has no unit left (nothing was written).
    """
    available, reserved = UnitStatus.AVAILABLE, UnitStatus.RESERVED
    level = job.level
    async with store.write_transaction():
        ticket = await store.read_ticket_for_reservation(
            job.ticket.id, part_number=level.part_number, depot=level.depot, customer=None
        )
        _check_ticket(job, ticket)
        now = datetime.now(UTC)
        moved = await store.take_oldest_units(
            level.part, level.depot_id, available, reserved, 1, level_deltas(available, reserved, 1), now
        )
        if moved is None:
            raise OutOfStock
        reservation_id = ticket["reservation_id"]
        reason, reference = f"reserved for ticket {job.ticket.id}", f"reservation:{reservation_id}"
        entries = [
            MovementEntry(
                MovementKind.STATUS_CHANGE,
                level.part,
                unit.batch_number,
                1,
                level.depot_id,
                available,
                level.depot_id,
                reserved,
                unit_id=unit.id,
            )
            for unit in moved
        ]
        rows = movement_rows(entries, actor=DISPATCHER, now=now, reason=reason, reference=reference)
        await store.store_reservation(
            ReservationRow(
                reservation_id,
                job.ticket.id,
                level.part,
                level.depot_id,
                1,
                "active",
                job.ticket.priority,
                now + ESTIMATED_TRAVEL,
                now + RESERVATION_TTL,
                DISPATCHER,
                now,
            ),
            [ReservationItemRow(reservation_id, unit.id, unit.batch_number, 1) for unit in moved],
            rows,
            movements_entry(rows, reason=reason, reference=reference),
            mac_key,
        )


def _check_ticket(job: Job, ticket: Mapping[str, Any] | None) -> None:
    """The ticket must be open, and the part number and depot code must name the job's level."""
    if (
        ticket is None
        or ticket["status"] != "open"
        or (ticket["part_id"], ticket["depot_id"]) != (job.level.part, job.level.depot_id)
    ):
        raise RuntimeError(f"ticket {job.ticket.id}: unexpected {ticket}")


# --- report ---------------------------------------------------------------------------------------------


def print_results(options: Options, results: dict[str, EngineResult]) -> None:
    measured = f"{options.requests} requests" if options.requests else f"{options.duration_s:g} s"
    workers = ", ".join(f"{engine} {server_workers(engine, options)}" for engine in results)
    sys.stdout.write(
        f"\nReservations: {options.scale}; {options.clients} clients, {measured} per main run, "
        f"{options.tickets} tickets, server workers {workers}, PostgreSQL pool {options.pg_pool}; "
        f"{os.cpu_count()} CPU cores\n"
    )
    print_engines(results, _metrics, _verdict)


def _metrics(r: EngineResult) -> list[tuple[str, str, str]]:
    """``(label, value, goal)`` rows of the table for one engine."""
    api, direct, unaudited, checks = r.runs["api"], r.runs["direct"], r.runs["direct_unaudited"], r.checks
    on_hand, reserved = checks.race_level
    health = r.ceiling.statuses[200] / r.ceiling.wall
    return [
        ("data generation (s)", r.generation, ""),
        ("load average (1 min) before measuring", f"{r.load:.2f}", ""),
        ("client ceiling: GET /health (requests/s)", f"{health:.0f}", ""),
        *_run_rows("API, named depot", api, f">= {GOAL_RATIO:g} x direct"),
        *_run_rows("direct, the service's transaction", direct),
        ("API / direct throughput", f"{api.throughput / direct.throughput:.2f}", f">= {GOAL_RATIO:g}"),
        ("API / direct p99", f"{api.timings.ms(99) / direct.timings.ms(99):.1f}x", ""),
        *_run_rows("direct, without the audit chain", unaudited),
        ("cost of the audit chain in the direct transaction (%)", f"{audit_cost(direct, unaudited):.1f}", ""),
        *_run_rows("API with the audit chain (alternating)", r.runs["audited"]),
        *_run_rows("API without the audit chain (alternating)", r.runs["unaudited"]),
        ("cost of the audit chain in the API (%)", f"{_audit_cost(r):.1f}", f"<= {AUDIT_GOAL_PCT:g}"),
        ("cost of the audit chain per round pair", pairs_summary(r.audit_pairs), ""),
        ("entries appended / audited 201 answers", "{} / {}".format(*checks.audit_appends), "equal"),
        *_run_rows("API + Idempotency-Key", r.runs["api_key"]),
        *_run_rows("API, automatic sourcing", r.runs["api_auto"]),
        (f"race: {checks.race.units} units, 201 / 409 / other", r.runs["race"].split, ""),
        ("race: p50 / p95 / p99 (ms)", _percentiles(r.runs["race"]), ""),
        ("race: oversold units", str(checks.oversold), "0"),
        ("race level after: on hand / reserved / held", f"{on_hand} / {reserved} / {checks.race_held}", ""),
        ("levels: reserved != active reservation items", str(checks.held_mismatches), "0"),
        ("levels: reserved != units in status reserved", str(checks.unit_mismatches), "0"),
        (
            "units reserved / reservations made (all runs)",
            f"{checks.reserved_total} / {checks.successes}",
            "equal",
        ),
        ("python -m api check-ledger", checks.ledger, "matches"),
    ]


def _audit_cost(r: EngineResult) -> float:
    return audit_cost(r.runs["audited"], r.runs["unaudited"])


def _run_rows(label: str, run: Run, goal: str = "") -> list[tuple[str, str, str]]:
    ran_out = " (stock ran out)" if run.exhausted else ""
    return [
        (f"{label}: reservations/s", f"{run.throughput:.0f}{ran_out}", goal),
        (f"{label}: p50 / p95 / p99 (ms)", _percentiles(run), ""),
        (f"{label}: 201 / 409 / other", run.split, ""),
    ]


def _percentiles(run: Run) -> str:
    return " / ".join(f"{run.timings.ms(p):.1f}" for p in (50, 95, 99))


def _verdict(r: EngineResult) -> str:
    ratio = r.runs["api"].throughput / r.runs["direct"].throughput
    errors = sum(run.server_errors for run in r.runs.values())
    cost = _audit_cost(r)
    checks = (
        (f"throughput {ratio:.2f} x direct (goal >= {GOAL_RATIO:g})", ratio >= GOAL_RATIO),
        (f"audit chain cost {cost:.1f} % (goal <= {AUDIT_GOAL_PCT:g})", cost <= AUDIT_GOAL_PCT),
        ("zero oversell", r.checks.passed),
        (f"{errors} 5xx or failed connections", errors == 0),
    )
    return ", ".join(f"{name} {'met' if met else 'MISSED'}" for name, met in checks)


if __name__ == "__main__":
    sys.exit(main())
