"""Inventory benchmarks at national scale: availability of a part across depots, and a 1,000-unit receipt.

``python -m bench.stock [--depots 300 --parts 50000 --units 2000000 --engines sqlite,postgresql]``

For each engine: the scale data of `bench.scale_data` is generated (SQLite files are cached under
``var/bench/cache`` by scale and generator version; PostgreSQL gets a fresh database, dropped at the end),
the real server runs as a subprocess on loopback, and every API figure is set against the same work done
directly with the database driver in the same run. Results are printed as one table.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import random
import secrets
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, Protocol, TypeVar
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx

from api.settings import PROJECT_ROOT
from bench.scale_data import Scale, generate, sqlite_stamp

R = TypeVar("R")

BENCH_DIR = PROJECT_ROOT / "var" / "bench"
CACHE_DIR = BENCH_DIR / "cache"
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
ENGINES = ("sqlite", "postgresql")
USERNAME = "benchuser"
"""Created by `create_user` (which spells it out, so that its command is all literals)."""
SUPPLIER = "Bench supplier"
WARMUP_REQUESTS = 100
FLOOR_PATHS, FLOOR_REQUESTS = ("/health", "/health/ready"), 300
RECEIPT_UNITS, UNITS_PER_BOX = 1000, 10
HEALTH_TIMEOUT_S = 60.0
GOALS = {"availability_p99_ms": 20.0, "receipt_s": 1.0, "generation_s": 180.0}

# Baseline SQL with sqlite3 ``?`` placeholders; `numbered` turns them into asyncpg's ``$1, $2, ...``.
AVAILABILITY_SQL = (
    "SELECT d.code AS depot, p.part_number, l.on_hand, l.reserved, l.in_transit, l.defective, l.quarantined "
    "FROM stock_level l JOIN part p ON p.id = l.part JOIN depot d ON d.id = l.depot "
    "WHERE p.part_number = ? ORDER BY p.part_number, d.code LIMIT 501"
)
"""What ``GET /stock?part_number=...&limit=500`` asks for (a page plus one row), written by hand."""
RECEIPT_SQL = (
    "INSERT INTO receipt (depot, supplier, reference, received_at, received_by, line_count, quantity) "
    "VALUES (?, ?, ?, ?, ?, 1, ?) RETURNING id"
)
LEVEL_SQL = (
    "INSERT INTO stock_level (depot, part, on_hand, reserved, in_transit, defective, quarantined) "
    "VALUES (?, ?, ?, 0, 0, 0, 0) "
    "ON CONFLICT (part, depot) DO UPDATE SET on_hand = stock_level.on_hand + excluded.on_hand"
)
UNITS_SQL = (
    "INSERT INTO stock_unit (part, serial, box_number, batch_number, depot, status, received_at, updated_at) "
    "VALUES {} RETURNING id, batch_number"
)
"""Units in one statement: ``{}`` is one `UNITS_VALUES` per unit (SQLite)."""
UNITS_VALUES = "(?, ?, ?, ?, ?, 'available', ?, ?)"
MOVEMENT_SQL = (
    "INSERT INTO movement (at, kind, part, unit, batch_number, quantity, from_depot, from_status, "
    "to_depot, to_status, actor, reason, reference) "
    "VALUES (?, 'receipt', ?, ?, ?, 1, NULL, NULL, ?, 'available', ?, ?, ?)"
)
PG_UNITS_SQL = (
    "INSERT INTO stock_unit (part, serial, box_number, batch_number, depot, status, received_at, updated_at) "
    "SELECT $1, s, b, t, $2, 'available', $3, $3 "
    "FROM unnest($4::text[], $5::text[], $6::text[]) AS u(s, b, t) RETURNING id, batch_number"
)
PG_MOVEMENTS_SQL = (
    "INSERT INTO movement (at, kind, part, unit, batch_number, quantity, from_depot, from_status, "
    "to_depot, to_status, actor, reason, reference) "
    "SELECT $1, 'receipt', $2, u, b, 1, NULL, NULL, $3, 'available', $4, $5, $6 "
    "FROM unnest($7::int[], $8::text[]) AS m(u, b)"
)


@dataclass(frozen=True, slots=True)
class Options:
    scale: Scale
    engines: tuple[str, ...]
    requests: int
    receipts: int
    postgres_url: str


@dataclass(frozen=True, slots=True)
class ReceiptOrder:
    """One receipt of serialized units: the same order is sent to the API or written directly."""

    depot: str
    part_number: str
    reference: str
    units: tuple[tuple[str, str, str], ...]
    """``(serial, box number, batch number)``."""

    def body(self) -> bytes:
        units = [{"serial": s, "box_number": box, "batch_number": batch} for s, box, batch in self.units]
        line = {"part_number": self.part_number, "quantity": len(units), "units": units}
        return json.dumps(
            {"depot": self.depot, "supplier": SUPPLIER, "reference": self.reference, "lines": [line]}
        ).encode()


@dataclass(frozen=True, slots=True)
class Timings:
    seconds: tuple[float, ...]

    def ms(self, percentile: int) -> float:
        """A percentile (1-99) in milliseconds."""
        return statistics.quantiles(self.seconds, n=100, method="inclusive")[percentile - 1] * 1000

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def max(self) -> float:
        return max(self.seconds)


@dataclass(frozen=True, slots=True)
class EngineResult:
    generation: str
    load: float
    """The 1-minute load average when measuring started: other work on the machine skews the figures."""
    rows_per_part: float
    floor: dict[str, Timings]
    """Unauthenticated ``/health`` (no database) and ``/health/ready`` (``SELECT 1`` through Piccolo)."""
    availability_api: Timings
    availability_direct: Timings
    receipt_api: Timings
    receipt_direct: Timings


class DirectDatabase(Protocol):
    """The baseline: the same reads and writes as the API, straight through the driver."""

    def ids(self, table: str, key: str) -> dict[str, int]: ...

    def time_availability(self, part_numbers: Sequence[str]) -> list[float]: ...

    def time_receipts(self, orders: Sequence[tuple[ReceiptOrder, int, int]]) -> list[float]: ...


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_args(argv)
    engines = reachable_engines(options.engines, options.postgres_url)
    results = {engine: bench_engine(engine, options) for engine in engines}
    print_results(options, results)
    return 0


def parse_args(argv: Sequence[str] | None) -> Options:
    parser = argparse.ArgumentParser(prog="python -m bench.stock", description=__doc__.split("\n")[0])
    add_database_arguments(parser, Scale())
    parser.add_argument("--requests", type=int, default=1000, help="timed availability requests")
    parser.add_argument("--receipts", type=int, default=5, help="timed 1,000-unit receipts")
    args = parser.parse_args(argv)
    engines = parsed_engines(parser, args.engines)
    if args.requests < 2 or args.receipts < 1:
        parser.error("--requests must be at least 2 (for percentiles), --receipts at least 1")
    return Options(
        scale=parsed_scale(args),
        engines=engines,
        requests=args.requests,
        receipts=args.receipts,
        postgres_url=args.postgres_url,
    )


def add_database_arguments(parser: argparse.ArgumentParser, defaults: Scale) -> None:
    """``--depots --parts --units --seed`` (the scale), ``--engines`` and ``--postgres-url``."""
    for name in ("depots", "parts", "units", "seed"):
        parser.add_argument(f"--{name}", type=int, default=getattr(defaults, name))
    parser.add_argument("--engines", default=",".join(ENGINES), help="comma-separated: sqlite,postgresql")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL),
        help="a PostgreSQL database to connect to for CREATE/DROP DATABASE (env BENCH_POSTGRES_URL)",
    )


def parsed_engines(parser: argparse.ArgumentParser, text: str) -> tuple[str, ...]:
    """The engines of ``--engines``; exits with a usage error on an unknown one."""
    engines = tuple(engine.strip() for engine in text.split(",") if engine.strip())
    unknown = sorted(set(engines) - set(ENGINES))
    if unknown or not engines:
        parser.error(f"--engines takes {', '.join(ENGINES)}, not {', '.join(unknown) or 'nothing'}")
    return engines


def parsed_scale(args: argparse.Namespace) -> Scale:
    """The `Scale` of ``--depots --parts --units --seed``."""
    return Scale(depots=args.depots, parts=args.parts, units=args.units, seed=args.seed)


def reachable_engines(engines: tuple[str, ...], postgres_url: str) -> tuple[str, ...]:
    """``engines`` without PostgreSQL if it cannot be reached (and say so)."""
    if "postgresql" in engines and not postgres_reachable(postgres_url):
        print(f"PostgreSQL at {_redacted(postgres_url)} is unreachable: running SQLite only")
        return tuple(engine for engine in engines if engine != "postgresql")
    return engines


def bench_engine(engine: str, options: Options) -> EngineResult:
    """Generate (or reuse) the data, start the server, and time the API against the driver."""
    with scale_database(engine, options.scale, options.postgres_url) as (url, generation):
        password = secrets.token_urlsafe(24)
        environment = server_environment(url)
        create_user(environment, password)
        with (
            running_server(environment, BENCH_DIR / f"server-{engine}.log") as base_url,
            direct_database(url) as direct,
            httpx.Client(base_url=base_url, timeout=30.0) as client,
        ):
            progress(engine, f"server up at {base_url}")
            client.headers["Authorization"] = f"Bearer {bearer_token(client, password)}"
            return measure(engine, options, client, direct, generation)


def measure(
    engine: str, options: Options, client: httpx.Client, direct: DirectDatabase, generation: str
) -> EngineResult:
    load = os.getloadavg()[0]
    rng = random.Random(options.scale.seed)
    parts, depots = direct.ids("part", "part_number"), direct.ids("depot", "code")
    part_numbers, depot_codes = sorted(parts), sorted(depots)
    progress(engine, f"availability: {options.requests} requests after {WARMUP_REQUESTS} warm-up")
    sample = rng.choices(part_numbers, k=WARMUP_REQUESTS + options.requests)
    warmup, timed = sample[:WARMUP_REQUESTS], sample[WARMUP_REQUESTS:]
    time_availability(client, warmup)
    availability_api, rows = time_availability(client, timed)
    floor = {path: Timings(tuple(time_get(client, path, FLOOR_REQUESTS))) for path in FLOOR_PATHS}
    direct.time_availability(warmup)
    availability_direct = direct.time_availability(timed)
    progress(engine, f"receipts: {options.receipts} of {RECEIPT_UNITS} units, through the API and direct")
    run = secrets.token_hex(4).upper()
    orders = [
        receipt_order(rng, depot_codes, part_numbers, f"{run}{n:03d}") for n in range(2 * options.receipts)
    ]
    receipt_api = time_receipts(client, orders[: options.receipts])
    receipt_direct = direct.time_receipts(
        [(order, depots[order.depot], parts[order.part_number]) for order in orders[options.receipts :]]
    )
    return EngineResult(
        generation=generation,
        load=load,
        rows_per_part=rows / len(timed),
        floor=floor,
        availability_api=Timings(tuple(availability_api)),
        availability_direct=Timings(tuple(availability_direct)),
        receipt_api=Timings(tuple(receipt_api)),
        receipt_direct=Timings(tuple(receipt_direct)),
    )


# --- databases ------------------------------------------------------------------------------------------


def scale_database(engine: str, scale: Scale, postgres_url: str) -> AbstractContextManager[tuple[str, str]]:
    """The URL of a database filled with ``scale`` for the run, and how long generating it took."""
    if engine == "sqlite":
        return sqlite_database(scale)
    return postgres_database(scale, postgres_url)


@contextmanager
def sqlite_database(scale: Scale) -> Iterator[tuple[str, str]]:
    """A working copy of the cached scale database (generated on first use), removed afterwards."""
    cached = _cache_file(scale)
    reused = cached.exists()
    if not reused:
        progress("sqlite", f"generating {scale} into {cached.name} (kept for later runs)")
        _generate_cache(cached, scale)
    generation = json.loads(cached.with_suffix(".json").read_text())["seconds"]
    work = BENCH_DIR / f"run-{os.getpid()}.sqlite3"
    shutil.copyfile(cached, work)
    try:
        yield f"sqlite:///{work}", f"{generation:.1f}" + (" (cached)" if reused else "")
    finally:
        _remove_sqlite(work)


def _cache_file(scale: Scale) -> Path:
    """Named by scale and by a hash of the generator, the catalogue and every migration."""
    migrations = [
        path
        for package in ("api", "inventory", "routing")
        for path in PROJECT_ROOT.glob(f"{package}/**/piccolo_migrations/*.py")
    ]
    sources = [
        *sorted(migrations),
        PROJECT_ROOT / "bench" / "scale_data.py",
        PROJECT_ROOT / "fixtures" / "catalogue.py",
    ]
    digest = hashlib.sha256(b"".join(path.read_bytes() for path in sources)).hexdigest()[:12]
    return CACHE_DIR / f"scale-{scale.depots}d-{scale.parts}p-{scale.units}u-s{scale.seed}-{digest}.sqlite3"


def _generate_cache(cached: Path, scale: Scale) -> None:
    """Generate into a scratch file and move it in place, so that a failed run leaves no cache."""
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    prefix = cached.name.rsplit("-", 1)[0]
    for stale in CACHE_DIR.glob(f"{prefix}-*"):
        stale.unlink()
    scratch = cached.with_suffix(".partial")
    _remove_sqlite(scratch)
    summary = generate(f"sqlite:///{scratch}", scale)
    cached.with_suffix(".json").write_text(json.dumps({"seconds": summary.seconds}))
    scratch.replace(cached)


def _remove_sqlite(path: Path) -> None:
    for file in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
        file.unlink(missing_ok=True)


@contextmanager
def postgres_database(scale: Scale, admin_url: str) -> Iterator[tuple[str, str]]:
    """A fresh database filled with the scale data, dropped at the end whatever happens."""
    name = f"spareline_bench_{os.getpid()}_{secrets.token_hex(3)}"
    asyncio.run(_postgres_admin(admin_url, f'CREATE DATABASE "{name}"'))
    try:
        url = urlunsplit(urlsplit(admin_url)._replace(path=f"/{name}"))
        progress("postgresql", f"generating {scale} into {name}")
        summary = generate(url, scale)
        yield url, f"{summary.seconds:.1f}"
    finally:
        asyncio.run(_postgres_admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        progress("postgresql", f"dropped {name}")


def settle_statistics(url: str) -> None:
    """Bring PostgreSQL's planner statistics up to date after the working set is written, as a running
    database's autovacuum would (a machine may run PostgreSQL with autovacuum off, and a plan made while
    a table was empty scans it whole). SQLite keeps no statistics unless asked, in the service as here."""
    if not url.startswith("sqlite"):
        asyncio.run(_postgres_admin(url, "ANALYZE"))


def copy_postgres(url: str, admin_url: str, name: str) -> None:
    """Copy the database of ``url`` (no one connected to it) as ``name``, which is kept."""
    source = urlsplit(url).path.lstrip("/")
    asyncio.run(_postgres_admin(admin_url, f'CREATE DATABASE "{name}" TEMPLATE "{source}"'))
    progress("postgresql", f"kept the database as {name}")


async def _postgres_admin(url: str, statement: str) -> None:
    connection = await asyncpg.connect(url, timeout=10)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def postgres_reachable(url: str) -> bool:
    try:
        asyncio.run(_postgres_admin(url, "SELECT 1"))
    except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
        print(f"cannot connect to PostgreSQL: {exc}")
        return False
    return True


def _redacted(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[-1]))


# --- the server -----------------------------------------------------------------------------------------


def server_environment(url: str) -> dict[str, str]:
    """Production settings, with cheap password hashing so that logging in does not dominate."""
    return {
        **os.environ,
        "DATABASE_URL": url,
        "ENVIRONMENT": "production",
        "SECRET_KEY": secrets.token_urlsafe(36),
        "LOG_LEVEL": "WARNING",
        "ARGON2_MEMORY_KIB": "8192",
        "ARGON2_TIME_COST": "1",
        "ARGON2_PARALLELISM": "1",
    }


def create_user(
    environment: dict[str, str],
    password: str,
    username: str = USERNAME,
    role: str = "warehouse",
    *,
    customer: str | None = None,
) -> None:
    """``python -m api create-user benchuser warehouse`` (by default), as an operator would; a customer
    user names its ``customer`` company."""
    company = [] if customer is None else ["--customer", customer]
    # A fixed command: this interpreter and our CLI, with a user name and role chosen in this package.
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "api", "create-user", username, role, *company],
        env={**environment, "SPARELINE_PASSWORD": password},
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"create-user failed:\n{result.stdout}{result.stderr}")


@contextmanager
def running_server(
    environment: dict[str, str],
    log_path: Path,
    app_factory: str = "api.app:create_app",
    port: int | None = None,
) -> Iterator[str]:
    """``uvicorn api.app:create_app`` (or another factory of this project) on a loopback port (a free one
    unless ``port`` is given); stopped on the way out."""
    port = port or free_port()
    log_path.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "uvicorn", app_factory, "--factory"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--no-access-log"]
    with log_path.open("w") as log:
        # A fixed command: this interpreter, uvicorn and our app, on a loopback port.
        server = subprocess.Popen(command, env=environment, cwd=PROJECT_ROOT, stdout=log, stderr=log)  # noqa: S603
        try:
            base_url = f"http://127.0.0.1:{port}"
            _wait_healthy(base_url, server, log_path)
            yield base_url
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def server_cpu(base_url: str) -> Callable[[], float] | None:
    """A reader of the CPU seconds (user and system) spent so far by the server process listening at
    ``base_url`` (Linux's ``/proc``); None where there is no ``/proc`` or no such process."""
    flag = f"--port\0{base_url.rsplit(':', 1)[1]}\0"
    for folder in Path("/proc").glob("[0-9]*"):
        try:
            command = (folder / "cmdline").read_text()
        except OSError:
            continue
        if "uvicorn" in command and flag in command:
            return partial(_cpu_seconds, folder / "stat", os.sysconf("SC_CLK_TCK"))
    return None


def _cpu_seconds(stat: Path, tick: int) -> float:
    fields = stat.read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / tick


def free_port() -> int:
    """A loopback port free at the moment."""
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_healthy(base_url: str, server: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + HEALTH_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with {server.returncode}; see {log_path}")
        try:
            if httpx.get(f"{base_url}/health", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the server did not answer /health within {HEALTH_TIMEOUT_S:.0f} s; see {log_path}")


def bearer_token(client: httpx.Client, password: str, username: str = USERNAME) -> str:
    response = client.post("/api/v1/auth/token", json={"username": username, "password": password})
    response.raise_for_status()
    return response.json()["access_token"]


# --- the API side ---------------------------------------------------------------------------------------


def time_availability(client: httpx.Client, part_numbers: Sequence[str]) -> tuple[list[float], int]:
    """Seconds per ``GET /stock?part_number=...&limit=500``, and the rows they returned in all."""
    seconds, rows = [], 0
    for part_number in part_numbers:
        started = time.perf_counter()
        response = client.get("/api/v1/stock", params={"part_number": part_number, "limit": 500})
        seconds.append(time.perf_counter() - started)
        response.raise_for_status()
        rows += len(response.json()["items"])
    return seconds, rows


def time_get(client: httpx.Client, path: str, count: int) -> list[float]:
    """Seconds per plain GET of ``path``, ``count`` times."""
    seconds = []
    for _ in range(count):
        started = time.perf_counter()
        response = client.get(path)
        seconds.append(time.perf_counter() - started)
        response.raise_for_status()
    return seconds


def time_receipts(client: httpx.Client, orders: Sequence[ReceiptOrder]) -> list[float]:
    seconds = []
    for order in orders:
        body = order.body()
        started = time.perf_counter()
        response = client.post(
            "/api/v1/stock/receipts", content=body, headers={"Content-Type": "application/json"}
        )
        seconds.append(time.perf_counter() - started)
        if response.status_code != 201:
            raise RuntimeError(f"receipt refused with {response.status_code}: {response.text[:500]}")
    return seconds


def receipt_order(
    rng: random.Random, depot_codes: Sequence[str], part_numbers: Sequence[str], tag: str
) -> ReceiptOrder:
    """1,000 fresh serials of a random part for a random depot, in boxes of 10 with one batch per box."""
    boxes = [f"{tag}-{index // UNITS_PER_BOX:03d}" for index in range(RECEIPT_UNITS)]
    return ReceiptOrder(
        depot=rng.choice(depot_codes),
        part_number=rng.choice(part_numbers),
        reference=f"BENCH-{tag}",
        units=tuple((f"BENCH{tag}{index:04d}", f"BXB-{box}", f"BB-{box}") for index, box in enumerate(boxes)),
    )


# --- the baseline: the driver alone ---------------------------------------------------------------------


@contextmanager
def direct_database(url: str) -> Iterator[DirectDatabase]:
    if url.startswith("sqlite:///"):
        connection = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None, timeout=30)
        connection.execute("PRAGMA foreign_keys = 1")
        try:
            yield SqliteDirect(connection)
        finally:
            connection.close()
        return
    with asyncio.Runner() as runner:
        database = PostgresDirect(runner, url)
        try:
            yield database
        finally:
            database.close()


class SqliteDirect:
    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection

    def ids(self, table: str, key: str) -> dict[str, int]:
        # Table and column names are fixed by the caller in this module.
        return dict(self._connection.execute(f"SELECT {key}, id FROM {table}").fetchall())  # noqa: S608

    def time_availability(self, part_numbers: Sequence[str]) -> list[float]:
        seconds = []
        for part_number in part_numbers:
            started = time.perf_counter()
            self._connection.execute(AVAILABILITY_SQL, (part_number,)).fetchall()
            seconds.append(time.perf_counter() - started)
        return seconds

    def time_receipts(self, orders: Sequence[tuple[ReceiptOrder, int, int]]) -> list[float]:
        seconds = []
        for order, depot_id, part_id in orders:
            started = time.perf_counter()
            self._receive(order, depot_id, part_id)
            seconds.append(time.perf_counter() - started)
        return seconds

    def _receive(self, order: ReceiptOrder, depot_id: int, part_id: int) -> None:
        """Receipt row, units (multi-row INSERT ... RETURNING), movements, level upsert: one transaction."""
        db, now = self._connection, sqlite_stamp(datetime.now(UTC))
        receipt = (depot_id, SUPPLIER, order.reference, now, USERNAME, len(order.units))
        db.execute("BEGIN IMMEDIATE")
        try:
            receipt_id = db.execute(RECEIPT_SQL, receipt).fetchone()[0]
            values = ", ".join([UNITS_VALUES] * len(order.units))
            params = [
                v for s, box, batch in order.units for v in (part_id, s, box, batch, depot_id, now, now)
            ]
            units = db.execute(UNITS_SQL.format(values), params).fetchall()
            reason, reference = f"{SUPPLIER} {order.reference}", f"receipt:{receipt_id}"
            db.executemany(
                MOVEMENT_SQL,
                [(now, part_id, unit, batch, depot_id, USERNAME, reason, reference) for unit, batch in units],
            )
            db.execute(LEVEL_SQL, (depot_id, part_id, len(units)))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise


class PostgresDirect:
    def __init__(self, runner: asyncio.Runner, url: str) -> None:
        self._runner = runner
        self._connection: asyncpg.Connection = runner.run(asyncpg.connect(url))

    def close(self) -> None:
        self._runner.run(self._connection.close())

    def ids(self, table: str, key: str) -> dict[str, int]:
        # Table and column names are fixed by the caller in this module.
        rows = self._runner.run(self._connection.fetch(f"SELECT {key}, id FROM {table}"))  # noqa: S608
        return {row[key]: row["id"] for row in rows}

    def time_availability(self, part_numbers: Sequence[str]) -> list[float]:
        return self._runner.run(self._timed(part_numbers, self._availability))

    def time_receipts(self, orders: Sequence[tuple[ReceiptOrder, int, int]]) -> list[float]:
        return self._runner.run(self._timed(orders, lambda order: self._receive(*order)))

    async def _timed(self, items: Sequence[Any], action: Callable[[Any], Any]) -> list[float]:
        seconds = []
        for item in items:
            started = time.perf_counter()
            await action(item)
            seconds.append(time.perf_counter() - started)
        return seconds

    async def _availability(self, part_number: str) -> None:
        await self._connection.fetch(numbered(AVAILABILITY_SQL), part_number)

    async def _receive(self, order: ReceiptOrder, depot_id: int, part_id: int) -> None:
        """Receipt row, units and movements (each one INSERT ... SELECT FROM unnest), level upsert."""
        db, now = self._connection, datetime.now(UTC)
        serials, boxes, batches = (list(column) for column in zip(*order.units, strict=True))
        async with db.transaction():
            receipt_id = await db.fetchval(
                numbered(RECEIPT_SQL), depot_id, SUPPLIER, order.reference, now, USERNAME, len(serials)
            )
            units = await db.fetch(
                PG_UNITS_SQL,
                part_id,
                depot_id,
                now,
                serials,
                boxes,
                batches,
            )
            await db.execute(
                PG_MOVEMENTS_SQL,
                now,
                part_id,
                depot_id,
                USERNAME,
                f"{SUPPLIER} {order.reference}",
                f"receipt:{receipt_id}",
                [row["id"] for row in units],
                [row["batch_number"] for row in units],
            )
            await db.execute(numbered(LEVEL_SQL), depot_id, part_id, len(units))


def numbered(sql: str) -> str:
    """sqlite3 ``?`` placeholders as asyncpg's ``$1, $2, ...``."""
    pieces = sql.split("?")
    return "".join(f"{piece}${number}" for number, piece in enumerate(pieces[:-1], start=1)) + pieces[-1]


# --- report ---------------------------------------------------------------------------------------------


def print_results(options: Options, results: dict[str, EngineResult]) -> None:
    print(
        f"\nInventory benchmarks: {options.scale}; {options.requests} availability requests, "
        f"{options.receipts} receipts; {os.cpu_count()} CPU cores"
    )
    print_engines(results, _metrics, _verdict)


def print_engines(
    results: Mapping[str, R],
    metrics: Callable[[R], list[tuple[str, str, str]]],
    verdict: Callable[[R], str],
) -> None:
    """A table of ``metrics`` (``(label, value, goal)`` rows) with a column per engine, then each
    engine's ``verdict`` on a line of its own."""
    engines = list(results)
    columns = [metrics(results[engine]) for engine in engines]
    rows = [["metric", *engines, "goal"]]
    rows += [
        [label, *(column[index][1] for column in columns), goal]
        for index, (label, _, goal) in enumerate(columns[0])
    ]
    print_table(rows)
    for engine, result in results.items():
        print(f"{engine}: {verdict(result)}")


def print_table(rows: Sequence[Sequence[str]]) -> None:
    """Rows of cells as an aligned text table; the first row is the header."""
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    for index, row in enumerate(rows):
        print(" | ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
        if index == 0:
            print("-|-".join("-" * width for width in widths))


def _metrics(r: EngineResult) -> list[tuple[str, str, str]]:
    """``(label, value, goal)`` rows of the table for one engine."""
    api, direct = r.availability_api, r.availability_direct
    return [
        ("data generation (s)", r.generation, f"< {GOALS['generation_s']:.0f}"),
        ("load average (1 min) before measuring", f"{r.load:.2f}", ""),
        ("stock rows per part (depots)", f"{r.rows_per_part:.1f}", ""),
        ("GET /health p50 (ms): HTTP, no auth, no database", f"{r.floor['/health'].ms(50):.2f}", ""),
        ("GET /health/ready p50 (ms): + Piccolo SELECT 1", f"{r.floor['/health/ready'].ms(50):.2f}", ""),
        ("availability API p50 (ms)", f"{api.ms(50):.2f}", ""),
        ("availability API p95 (ms)", f"{api.ms(95):.2f}", ""),
        ("availability API p99 (ms)", f"{api.ms(99):.2f}", f"< {GOALS['availability_p99_ms']:.0f}"),
        ("availability API max (ms)", f"{api.max * 1000:.2f}", ""),
        ("availability direct SQL p50 (ms)", f"{direct.ms(50):.3f}", ""),
        ("availability direct SQL p95 (ms)", f"{direct.ms(95):.3f}", ""),
        ("availability direct SQL p99 (ms)", f"{direct.ms(99):.3f}", ""),
        ("availability API/direct p50", f"{api.ms(50) / direct.ms(50):.1f}x", ""),
        ("availability API/direct p99", f"{api.ms(99) / direct.ms(99):.1f}x", ""),
        ("receipt 1,000 units API median (s)", f"{r.receipt_api.median:.3f}", f"< {GOALS['receipt_s']:.0f}"),
        ("receipt 1,000 units API max (s)", f"{r.receipt_api.max:.3f}", f"< {GOALS['receipt_s']:.0f}"),
        ("receipt direct median (s)", f"{r.receipt_direct.median:.3f}", ""),
        ("receipt direct max (s)", f"{r.receipt_direct.max:.3f}", ""),
        ("receipt API/direct median", f"{r.receipt_api.median / r.receipt_direct.median:.1f}x", ""),
    ]


def _verdict(result: EngineResult) -> str:
    checks = (
        ("availability p99", result.availability_api.ms(99) < GOALS["availability_p99_ms"]),
        ("receipt median", result.receipt_api.median < GOALS["receipt_s"]),
        ("receipt max", result.receipt_api.max < GOALS["receipt_s"]),
    )
    return ", ".join(f"{name} {'met' if met else 'MISSED'}" for name, met in checks)


def progress(engine: str, message: str) -> None:
    print(f"[{engine}] {message}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
