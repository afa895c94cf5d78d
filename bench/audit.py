"""The audit chain's cost: verifying a long chain, and its appends in the reservation transaction.

``python -m bench.audit [--engines sqlite,postgresql] [--entries 1000000] [--clients 32]
[--duration-s 20] [--depots 20 --parts 200 --units 100000]``

For each engine, on one database made by `bench.scale_data` (as in `bench.stock`: migrated with
``python -m api migrate``; SQLite a working copy under ``var/bench``, PostgreSQL a fresh database dropped
at the end):

1. ``--entries`` valid chain entries with realistic stock and reservation payloads are written with the
   driver in one transaction (sqlite3 ``executemany``, asyncpg ``COPY``), with a few signed checkpoints
   and the head moved to the last entry.
2. ``--clients`` workers reserve one unit at a time with the service's reservation transaction alone
   (`bench.reservations.reserve_directly`: its store's operations, in this process), by a store
   without the audit chain and by the service's own, alternating, on top of that chain. This is the
   pessimistic measure: against the transaction without the API around it. `bench.reservations`
   measures the same through the API.
3. ``inventory.audit.log.verify_chain()`` walks the whole chain in-process, as ``python -m api
   audit-verify`` does: the loaded entries and those the reservations appended.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sqlite3
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import uvloop

from api.domain_context import DomainContext
from api.settings import Settings
from bench.reservations import (
    HEAD_SEQ_SQL,
    HELD_MISMATCH_SQL,
    LEVELS_SQL,
    RESERVED_TOTAL_SQL,
    UNITS_MISMATCH_SQL,
    WARMUP_PER_CLIENT,
    Budget,
    DirectReservations,
    Level,
    Run,
    StockPool,
    Ticket,
    Workload,
    direct_reservations,
    merged_runs,
    run_load,
)
from bench.scale_data import Scale
from bench.stock import (
    Timings,
    add_database_arguments,
    numbered,
    parsed_engines,
    parsed_scale,
    print_engines,
    progress,
    reachable_engines,
    scale_database,
)
from inventory.audit import log as audit_log
from inventory.audit.log import AuditKeys
from inventory.audit_chain import (
    GENESIS,
    Entry,
    Verification,
    entry_hash,
    entry_mac,
    next_entry,
    sign_checkpoint,
)
from inventory.persistence.audit_link import ENTRY_COLUMNS
from inventory.stock.model import MovementKind, UnitStatus
from inventory.tickets.priority import Severity, Tier, ticket_priority

DEFAULT_SCALE = Scale(depots=20, parts=200, units=100_000)
BENCH_SECRET = "bench-audit-secret-key-for-this-run-only-0123456789"  # noqa: S105
"""SECRET_KEY of the run: the audit keys derive from it (`Settings.audit_keys`), as in the service."""
CHUNK_ROWS = 50_000
CHECKPOINTS = 5
SPOT_CHECK_EVERY = 10_000
"""Every this many loaded entries, the fast builder is compared with `next_entry` itself."""
HISTORY = timedelta(days=365)
TICKETS = 300
MODES = ("without", "with")
GOALS = {"verify_s_per_million": 30.0, "cost_pct": 15.0}
APPENDS_PER_RESERVATION = 1
"""Entries ``reserve`` appends for one unit (`bench.reservations.reserve_directly`)."""

ENTRY_SQL = (
    f"INSERT INTO audit_entry ({', '.join(ENTRY_COLUMNS)}) "  # noqa: S608 (field names, not input)
    f"VALUES ({', '.join('?' * len(ENTRY_COLUMNS))})"
)
HEAD_SQL = "UPDATE audit_head SET seq = ?, hash = ?, prev_hash = hash WHERE id = 1"
"""The head moved to the last loaded entry."""

CHECKPOINT_SQL = "INSERT INTO audit_checkpoint (seq, hash, at, signature, key_id) VALUES (?, ?, ?, ?, ?)"
CUSTOMER_SQL = (
    "INSERT INTO customer (code, name, tier, delivery_service, support_hours, secure_media_retention, "
    "classification_level, account_manager, second_line_engineer, created_at) "
    "VALUES ('BENCH-AUDIT', 'Bench Audit Bank', 'platinum', '4h', '7x24', {}, '', '', '', {}) RETURNING id"
)
SITE_SQL = (
    "INSERT INTO site (customer, code, name, address, latitude, longitude, timezone, calendar_region, "
    "created_at) SELECT {}, 'BENCH-AUDIT-DC', 'Bench data centre', 'next to a depot', latitude, longitude, "
    "'Asia/Shanghai', 'CN', {} FROM depot ORDER BY code LIMIT 1 RETURNING id"
)
TICKET_SQL = (
    "INSERT INTO ticket (customer, site, severity, summary, status, priority, user_caused, support_hours, "
    "delivery_service, delivery_due_from, delivery_due_by, reported_at, breached, created_by, created_at) "
    "VALUES ({}, {}, 'critical', {}, 'open', {}, {}, '7x24', '4h', {}, {}, {}, {}, 'bench', {}) RETURNING id"
)
"""Set-up rows written directly (``{}`` placeholders, `DirectReservations.fetch`)."""
OVER_ON_HAND_SQL = "SELECT COUNT(*) FROM stock_level WHERE reserved > on_hand OR reserved < 0"

T = TypeVar("T")
Row = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Options:
    scale: Scale
    engines: tuple[str, ...]
    entries: int
    clients: int
    duration_s: float
    rounds: int
    pg_pool: int
    postgres_url: str


@dataclass(frozen=True, slots=True)
class Loaded:
    """The chain written with the driver."""

    entries: int
    seconds: float
    payload_bytes: float
    """Mean length of the canonical JSON payloads."""
    checkpoints: int


@dataclass(frozen=True, slots=True)
class Verified:
    result: Verification
    seconds: float

    @property
    def per_second(self) -> float:
        return self.result.length / self.seconds

    @property
    def per_million(self) -> float:
        """Seconds for 1,000,000 entries at the measured rate."""
        return 1_000_000 / self.per_second


@dataclass(frozen=True, slots=True)
class Checks:
    """Stock and chain invariants after the reservation runs."""

    over_on_hand: int
    """Stock levels with ``reserved`` above ``on_hand`` (or below zero): oversold."""
    held_mismatches: int
    unit_mismatches: int
    reserved_total: int
    successes: int
    appended: int
    """Entries the runs added to the chain (head seq after minus before)."""
    expected_appends: int

    @property
    def passed(self) -> bool:
        return (
            self.over_on_hand == self.held_mismatches == self.unit_mismatches == 0
            and self.reserved_total == self.successes
            and self.appended == self.expected_appends
        )


@dataclass(frozen=True, slots=True)
class EngineResult:
    generation: str
    load: float
    loaded: Loaded
    runs: dict[str, Run]
    checks: Checks
    verified: Verified

    @property
    def cost_pct(self) -> float:
        return (1 - self.runs["with"].throughput / self.runs["without"].throughput) * 100


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_args(argv)
    engines = reachable_engines(options.engines, options.postgres_url)
    results = {engine: bench_engine(engine, options) for engine in engines}
    print_results(options, results)
    return 0


def parse_args(argv: Sequence[str] | None) -> Options:
    parser = argparse.ArgumentParser(prog="python -m bench.audit", description=__doc__.split("\n")[0])
    add_database_arguments(parser, DEFAULT_SCALE)
    parser.add_argument("--entries", type=int, default=1_000_000, help="chain entries to load and verify")
    parser.add_argument("--clients", type=int, default=32, help="concurrent reservation workers")
    parser.add_argument("--duration-s", type=float, default=20.0, help="seconds per mode (without / with)")
    parser.add_argument("--rounds", type=int, default=4, help="alternations of the two modes (ABBA...)")
    parser.add_argument(
        "--pg-pool",
        type=int,
        default=Settings.model_fields["pg_pool_max_size"].default,
        help="size of the asyncpg pool (the server's PG_POOL_MAX_SIZE by default)",
    )
    args = parser.parse_args(argv)
    engines = parsed_engines(parser, args.engines)
    if min(args.entries, args.clients, args.rounds, args.pg_pool) < 1 or args.duration_s <= 0:
        parser.error("--entries, --clients, --rounds, --pg-pool and --duration-s must be positive")
    return Options(
        scale=parsed_scale(args),
        engines=engines,
        entries=args.entries,
        clients=args.clients,
        duration_s=args.duration_s,
        rounds=args.rounds,
        pg_pool=args.pg_pool,
        postgres_url=args.postgres_url,
    )


def bench_engine(engine: str, options: Options) -> EngineResult:
    """Load the chain, run the reservations without and with the audit, then verify the whole chain."""
    with scale_database(engine, options.scale, options.postgres_url) as (url, generation):
        settings = Settings(database_url=url, secret_key=BENCH_SECRET)
        keys = settings.audit_keys()
        progress(engine, f"loading {options.entries:,} chain entries")
        loaded = load_chain(url, SyntheticChain(options.entries, keys))
        progress(engine, f"  {loaded.seconds:.1f} s, payloads {loaded.payload_bytes:.0f} bytes on average")
        load = os.getloadavg()[0]
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            bench = ReservationBench(engine, options, keys)
            runs, checks = runner.run(bench.measure(url, loaded.entries))
        progress(engine, "verify_chain() over the whole chain")
        verified = time_verification(settings)
        progress(engine, f"  {verified.result.length:,} entries in {verified.seconds:.1f} s")
        return EngineResult(generation, load, loaded, runs, checks, verified)


# --- the chain ------------------------------------------------------------------------------------------


class SyntheticChain:
    """``count`` valid entries like the service's: stock movements of reservations, issues and receipts,
    and reservation closings.

    Built with the chain's own `entry_hash` and `entry_mac`; the payload is serialised with the same
    options as `canonical_json` (the payloads hold only text, integers, null and lists, for which
    `canonical_json`'s conversion changes nothing), and `next_entry` is checked to agree every
    `SPOT_CHECK_EVERY` entries. About three times faster than `next_entry` for every entry.
    """

    def __init__(self, count: int, keys: AuditKeys, seed: int = 2026) -> None:
        self.count = count
        self._keys = keys
        self._rng = random.Random(seed)
        self._start = datetime.now(UTC) - HISTORY
        self._step = HISTORY / count
        self._marks = {max(1, round(count * (n + 1) / CHECKPOINTS)) for n in range(CHECKPOINTS)}
        self.checkpoints: list[tuple[int, str, datetime]] = []
        self.payload_bytes = 0

    def chunks(self, size: int = CHUNK_ROWS) -> Iterator[list[Row]]:
        """The entries as rows of `ENTRY_COLUMNS`, ``size`` at a time, in order."""
        prev_hash, chunk = GENESIS, []
        for seq in range(1, self.count + 1):
            row = self._row(seq, prev_hash)
            prev_hash = row[7]
            chunk.append(row)
            if len(chunk) == size:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    @property
    def head(self) -> tuple[int, str]:
        """``(seq, hash)`` of the last entry (after `chunks` ran)."""
        seq, digest, _ = self.checkpoints[-1]
        return seq, digest

    def checkpoint_rows(self) -> list[Row]:
        """Signed checkpoints, as `CHECKPOINT_SQL` rows."""
        rows = []
        for seq, digest, at in self.checkpoints:
            signed = sign_checkpoint(self._keys.signing_key, seq, digest, at + timedelta(seconds=1))
            rows.append((signed.seq, signed.hash, signed.at, signed.signature, self._keys.key_id))
        return rows

    def _row(self, seq: int, prev_hash: str) -> Row:
        at = self._start + self._step * seq
        actor, action, subject, payload = self._record(seq)
        body = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        stamp = at.isoformat()
        digest = entry_hash(seq, prev_hash, stamp, actor, action, subject, body)
        row = (
            seq,
            stamp,
            actor,
            action,
            subject,
            body,
            prev_hash,
            digest,
            entry_mac(self._keys.mac_key, digest),
        )
        self.payload_bytes += len(body)
        if seq % SPOT_CHECK_EVERY == 1:
            self._spot_check(row, at, payload)
        if seq in self._marks:
            self.checkpoints.append((seq, digest, at))
        return row

    def _spot_check(self, row: Row, at: datetime, payload: dict[str, Any]) -> None:
        seq, _, actor, action, subject, _, prev_hash, *_ = row
        reference = next_entry(
            prev_seq=seq - 1,
            prev_hash=prev_hash,
            at=at,
            actor=actor,
            action=action,
            subject=subject,
            payload=payload,
            mac_key=self._keys.mac_key,
        )
        if reference != Entry(*row):
            raise RuntimeError(f"entry {seq} differs from next_entry's")

    def _record(self, seq: int) -> tuple[str, str, str, dict[str, Any]]:
        """``(actor, action, subject, payload)`` of one entry, in the service's shapes and shares."""
        rng = self._rng
        draw, ticket, depot = rng.random(), rng.randrange(1, 400_000), rng.randrange(1, 301)
        actor, subject = f"dispatcher{rng.randrange(1, 40)}", f"reservation:{seq}"
        available, reserved = UnitStatus.AVAILABLE, UnitStatus.RESERVED
        if draw >= 0.9:
            status = ("released", "expired", "issued")[seq % 3]
            return actor, f"reservation.{status}", subject, {"ticket": ticket}
        if draw < 0.45:
            kind, reason, units = MovementKind.STATUS_CHANGE, f"reserved for ticket {ticket}", (1, 4)
            route = (depot, available, depot, reserved)
        elif draw < 0.65:
            kind, reason, units = MovementKind.ISSUE, f"issued for ticket {ticket}", (1, 3)
            route = (depot, reserved, None, UnitStatus.ISSUED)
        else:
            kind, reason, units = MovementKind.RECEIPT, f"OEM spare parts DN-2026-{seq:07d}", (2, 6)
            route, actor, subject = (None, None, depot, available), "clerk1", f"receipt:{seq}"
        return actor, f"stock.{kind.value}", subject, self._movements(kind, reason, route, units)

    def _movements(
        self, kind: MovementKind, reason: str, route: tuple[Any, ...], units: tuple[int, int]
    ) -> dict[str, Any]:
        """A `record_movements` payload: one part and batch, ``units`` (fewest, most) units."""
        rng = self._rng
        part, batch = rng.randrange(1, 50_001), f"BB-{rng.randrange(1, 99_999):05d}-{rng.randrange(1000):03d}"
        from_depot, from_status, to_depot, to_status = route
        statuses = (from_status and from_status.value, to_status.value)
        movements = [
            [
                kind.value,
                part,
                rng.randrange(1, 2_000_001),
                batch,
                1,
                from_depot,
                statuses[0],
                to_depot,
                statuses[1],
            ]
            for _ in range(rng.randint(*units))
        ]
        return {"reason": reason, "movements": movements}


def load_chain(url: str, chain: SyntheticChain) -> Loaded:
    """Write the chain, its checkpoints and the head with the driver, in one transaction."""
    started = time.perf_counter()
    if url.startswith("sqlite:///"):
        _load_sqlite(Path(url.removeprefix("sqlite:///")), chain)
    else:
        asyncio.run(_load_postgres(url, chain))
    return Loaded(
        entries=chain.count,
        seconds=time.perf_counter() - started,
        payload_bytes=chain.payload_bytes / chain.count,
        checkpoints=len(chain.checkpoints),
    )


def _load_sqlite(path: Path, chain: SyntheticChain) -> None:
    with closing(sqlite3.connect(path, isolation_level=None)) as db:
        db.execute("PRAGMA synchronous = OFF")
        db.execute("PRAGMA cache_size = -524288")
        db.execute("BEGIN IMMEDIATE")
        for chunk in chain.chunks():
            db.executemany(ENTRY_SQL, chunk)
        db.execute(HEAD_SQL, chain.head)
        db.executemany(CHECKPOINT_SQL, chain.checkpoint_rows())
        db.execute("COMMIT")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


async def _load_postgres(url: str, chain: SyntheticChain) -> None:
    db = await asyncpg.connect(url)
    try:
        async with db.transaction():
            for chunk in chain.chunks():
                await db.copy_records_to_table("audit_entry", records=chunk, columns=list(ENTRY_COLUMNS))
            await db.execute(numbered(HEAD_SQL), *chain.head)
            await db.executemany(numbered(CHECKPOINT_SQL), chain.checkpoint_rows())
        await db.execute("ANALYZE audit_entry")
    finally:
        await db.close()


def time_verification(settings: Settings) -> Verified:
    """`verify_chain()` as ``python -m api audit-verify`` runs it: in the domain context of ``settings``."""
    with DomainContext.from_settings(settings).entered():
        started = time.perf_counter()
        result = asyncio.run(audit_log.verify_chain())
        return Verified(result, time.perf_counter() - started)


# --- reservations ---------------------------------------------------------------------------------------


class ReservationBench:
    """The two modes on one engine, alternating over the same stock, tickets and workers."""

    def __init__(self, engine: str, options: Options, keys: AuditKeys) -> None:
        self._engine, self._options = engine, options
        self._mac_key = keys.mac_key
        self._successes = Counter[str]()

    async def measure(self, url: str, loaded: int) -> tuple[dict[str, Run], Checks]:
        """Tickets, warm-ups, the alternating timed runs, then the checks."""
        async with direct_reservations(url, pool_size=self._options.pg_pool, mac_key=self._mac_key) as direct:
            return await self._measure(direct, loaded)

    async def _measure(self, direct: DirectReservations, loaded: int) -> tuple[dict[str, Run], Checks]:
        tickets = await self._tickets(direct)
        levels = [Level(*row) for row in await direct.fetch(LEVELS_SQL)]
        pool = StockPool(levels)
        self._say(f"reservations: {self._options.clients} workers, {len(levels)} stock levels, warm-up")
        for mode in MODES:
            await self._run(direct, mode, Workload(tickets, pool, self._warmup()))
        await direct.settle()  # PostgreSQL: ANALYZE, or the backends keep plans made on empty tables
        runs: dict[str, list[Run]] = {mode: [] for mode in MODES}
        share = self._options.duration_s / self._options.rounds
        for round_number in range(self._options.rounds):
            for mode in MODES if round_number % 2 == 0 else MODES[::-1]:
                run = await self._run(direct, mode, Workload(tickets, pool, Budget(seconds=share)))
                runs[mode].append(run)
                self._say(f"  {mode} audit: {run.throughput:.0f}/s, p99 {run.timings.ms(99):.1f} ms")
        return {mode: merged_runs(runs[mode]) for mode in MODES}, await self._check(direct, loaded)

    def _warmup(self) -> Budget:
        return Budget(requests=WARMUP_PER_CLIENT * self._options.clients)

    async def _run(self, direct: DirectReservations, mode: str, workload: Workload) -> Run:
        run = await run_load(direct.attempt(audited=mode == "with"), workload.next, self._options.clients)
        self._successes[mode] += run.statuses[201]
        return Run(run.wall, run.statuses, run.timings, workload.exhausted)

    async def _tickets(self, direct: DirectReservations) -> list[Ticket]:
        """A platinum customer with a site by the first depot, and open critical tickets: direct inserts."""
        now = datetime.now(UTC)
        customer = (await direct.fetch(CUSTOMER_SQL, False, now))[0][0]
        site = (await direct.fetch(SITE_SQL, customer, now))[0][0]
        priority = ticket_priority(Tier.PLATINUM, Severity.CRITICAL)
        due = now + timedelta(hours=4)
        tickets = []
        for number in range(TICKETS):
            args = (customer, site, f"bench fault {number}", priority, False, now, due)
            rows = await direct.fetch(TICKET_SQL, *args, now, False, now)
            tickets.append(Ticket(rows[0][0], priority))
        return tickets

    async def _check(self, direct: DirectReservations, loaded: int) -> Checks:
        async def value(sql: str) -> int:
            return int((await direct.fetch(sql))[0][0])

        self._say("checks: levels against reservations and units, the chain's head")
        return Checks(
            over_on_hand=await value(OVER_ON_HAND_SQL),
            held_mismatches=await value(HELD_MISMATCH_SQL),
            unit_mismatches=await value(UNITS_MISMATCH_SQL),
            reserved_total=await value(RESERVED_TOTAL_SQL),
            successes=sum(self._successes.values()),
            appended=await value(HEAD_SEQ_SQL) - loaded,
            expected_appends=self._successes["with"] * APPENDS_PER_RESERVATION,
        )

    def _say(self, message: str) -> None:
        progress(self._engine, message)


# --- report ---------------------------------------------------------------------------------------------


def print_results(options: Options, results: dict[str, EngineResult]) -> None:
    sys.stdout.write(
        f"\nAudit chain: {options.entries:,} entries loaded; reservations on {options.scale}, "
        f"{options.clients} workers, {options.duration_s:g} s per mode in {options.rounds} alternating "
        f"rounds, PostgreSQL pool {options.pg_pool}; {os.cpu_count()} CPU cores\n"
    )
    print_engines(results, _metrics, _verdict)


def _metrics(r: EngineResult) -> list[tuple[str, str, str]]:
    """``(label, value, goal)`` rows of the table for one engine."""
    v, checks = r.verified, r.checks
    without, with_audit = r.runs["without"], r.runs["with"]
    return [
        ("data generation (s)", r.generation, ""),
        ("chain load with the driver (s)", f"{r.loaded.seconds:.1f}", ""),
        ("mean payload (bytes of canonical JSON)", f"{r.loaded.payload_bytes:.0f}", "200-400"),
        ("load average (1 min) before the reservations", f"{r.load:.2f}", ""),
        ("reservations/s without audit", _throughput(without), ""),
        ("reservations/s with audit", _throughput(with_audit), ""),
        ("cost of the audit chain (% of throughput)", f"{r.cost_pct:.1f}", f"<= {GOALS['cost_pct']:g}"),
        ("without: p50 / p95 / p99 (ms)", _percentiles(without.timings), ""),
        ("with: p50 / p95 / p99 (ms)", _percentiles(with_audit.timings), ""),
        ("levels with reserved > on hand (oversold)", str(checks.over_on_hand), "0"),
        ("levels: reserved != active items / != reserved units", _pair(checks), "0 / 0"),
        ("units reserved / reservations made", f"{checks.reserved_total} / {checks.successes}", "equal"),
        (
            "entries appended / reservations with audit",
            f"{checks.appended} / {checks.expected_appends}",
            "equal",
        ),
        ("verify_chain(): entries walked", f"{v.result.length:,}", ""),
        ("verify_chain(): seconds", f"{v.seconds:.1f}", ""),
        ("verify_chain(): entries/s", f"{v.per_second:,.0f}", ""),
        (
            "verify_chain(): seconds per 1,000,000",
            f"{v.per_million:.1f}",
            f"< {GOALS['verify_s_per_million']:g}",
        ),
        ("verify_chain(): result", _validity(v.result), "valid"),
    ]


def _throughput(run: Run) -> str:
    return f"{run.throughput:.0f}" + (" (stock ran out)" if run.exhausted else "")


def _percentiles(timings: Timings) -> str:
    return " / ".join(f"{timings.ms(p):.1f}" for p in (50, 95, 99))


def _pair(checks: Checks) -> str:
    return f"{checks.held_mismatches} / {checks.unit_mismatches}"


def _validity(result: Verification) -> str:
    if result.valid:
        return f"valid, {result.checkpoints_checked} checkpoints"
    return f"BROKEN at {result.first_bad_seq}: {result.reason}"


def _verdict(r: EngineResult) -> str:
    checks = (
        (
            f"verification {r.verified.per_million:.1f} s per 1M",
            r.verified.per_million < GOALS["verify_s_per_million"],
        ),
        ("chain valid", r.verified.result.valid),
        (f"audit cost {r.cost_pct:.1f} %", r.cost_pct <= GOALS["cost_pct"]),
        ("zero oversell", r.checks.passed),
    )
    return ", ".join(f"{name} {'met' if met else 'MISSED'}" for name, met in checks)


if __name__ == "__main__":
    sys.exit(main())
