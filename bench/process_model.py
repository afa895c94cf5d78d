"""The production process model under load: do long solves leave the web fast?
``python -m bench.process_model [--web 4 --workers 2 --limit-s 20 --clients 8 --duration-s 20]``.

On a fresh PostgreSQL database with the demo data, the Procfile's process types run as it runs them:
the release (``python -m api migrate``), ``web`` (uvicorn with ``--web`` worker processes) and
``--workers`` job queue workers (``python -m api worker``). ``--clients`` clients in a closed loop
alternate ``GET /health/ready`` and an availability query (``GET /api/v1/stock?part_number=…``):

1. **Baseline, same run:** the load alone for ``--duration-s`` seconds.
2. **During solves:** the same load while a dispatch plan and a next-business-day re-plan, each with a
   ``--limit-s`` time limit, are solved by the workers (asked with ``Prefer: respond-async``); the load
   runs until both are done.
3. **Throughput:** a read-heavy mix (availability queries, stock of a depot, a ticket, health) as fast
   as the clients go, for ``--duration-s`` seconds, with the web restarted with one and then two
   worker processes.

Goal: during the solves, p95 of both kinds of request under 50 ms and no failed request. The output
prints the load average before each phase; the machine's cores are shared by the clients, the web, the
workers, their solver processes and PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
P95_GOAL_MS = 50.0
PASSWORD = "process-model-bench"  # noqa: S105 (the demo users of a throw-away database)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _database_url(server_url: str, name: str) -> str:
    parts = urlsplit(server_url)
    return urlunsplit(parts._replace(path=f"/{name}"))


async def _admin(server_url: str, statement: str) -> None:
    connection = await asyncpg.connect(server_url)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@contextlib.contextmanager
def fresh_database(server_url: str) -> Iterator[str]:
    """A new, empty PostgreSQL database, dropped at the end."""
    name = f"spareline_bench_pm_{uuid.uuid4().hex[:10]}"
    asyncio.run(_admin(server_url, f'CREATE DATABASE "{name}"'))
    try:
        yield _database_url(server_url, name)
    finally:
        asyncio.run(_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def environment(database_url: str, folder: Path) -> dict[str, str]:
    return {
        **os.environ,
        "ENVIRONMENT": "test",
        "DATABASE_URL": database_url,
        "LOG_LEVEL": "WARNING",
        "ROUTING_MAX_TIME_LIMIT_S": "60",
        "DEMO_PASSWORD": PASSWORD,
        "ARGON2_TIME_COST": "1",
        "ARGON2_MEMORY_KIB": "8",
        "ARGON2_PARALLELISM": "1",
        "LOGIN_ATTEMPTS_PER_MINUTE": "10000",
        "LOGIN_ATTEMPTS_PER_USERNAME_PER_MINUTE": "10000",
        "PROMETHEUS_MULTIPROC_DIR": str(folder / "metrics"),
    }


class Processes:
    """The process types of one run, stopped (SIGTERM, then SIGKILL) at the end."""

    def __init__(self, env: dict[str, str], folder: Path) -> None:
        self.env = env
        self.folder = folder
        self.running: list[subprocess.Popen[bytes]] = []

    def run(self, *command: str) -> None:
        subprocess.run(  # noqa: S603 (the service's own commands)
            [sys.executable, "-m", *command], cwd=ROOT, env=self.env, check=True, capture_output=True
        )

    def start(self, name: str, *command: str) -> subprocess.Popen[bytes]:
        log = (self.folder / f"{name}.log").open("ab")
        process = subprocess.Popen(  # noqa: S603 (the service's own process types)
            [sys.executable, "-m", *command], cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        self.running.append(process)
        return process

    def start_web(self, port: int, workers: int) -> subprocess.Popen[bytes]:
        self.run("api", "reset-metrics")
        return self.start(
            f"web-{workers}",
            "uvicorn",
            "api.app:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--timeout-graceful-shutdown",
            "20",
            "--no-access-log",
        )

    def stop(self, process: subprocess.Popen[bytes]) -> None:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.running.remove(process)

    def stop_all(self) -> None:
        for process in list(self.running):
            self.stop(process)


@dataclass
class Latencies:
    """Seconds each request took, by kind, and the failures."""

    by_kind: dict[str, list[float]] = field(default_factory=dict)
    failures: int = 0
    wall_s: float = 0.0

    def add(self, kind: str, seconds: float) -> None:
        self.by_kind.setdefault(kind, []).append(seconds)

    def p(self, kind: str, q: int) -> float:
        values = sorted(self.by_kind.get(kind, []))
        if not values:
            return float("nan")
        return 1000 * values[min(len(values) - 1, round(q / 100 * (len(values) - 1)))]

    @property
    def count(self) -> int:
        return sum(len(values) for values in self.by_kind.values())


async def wait_ready(base: str, process: subprocess.Popen[bytes]) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=5) as client:
        for _ in range(600):
            if process.poll() is not None:
                raise RuntimeError(f"the web process exited with {process.returncode}")
            with contextlib.suppress(httpx.TransportError):
                if (await client.get("/health/ready")).status_code == 200:
                    return
            await asyncio.sleep(0.1)
    raise RuntimeError("the web process did not become ready")


async def token(client: httpx.AsyncClient, username: str) -> dict[str, str]:
    answer = await client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
    answer.raise_for_status()
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


async def closed_loop(
    base: str,
    requests: list[tuple[str, str]],
    headers: dict[str, str],
    *,
    clients: int,
    until: asyncio.Event | None = None,
    duration_s: float | None = None,
) -> Latencies:
    """``clients`` clients each asking ``requests`` (kind, path) in turn, from a random start, until
    ``until`` is set or ``duration_s`` has passed."""
    result = Latencies()
    deadline = None if duration_s is None else time.perf_counter() + duration_s

    def over() -> bool:
        return (until is not None and until.is_set()) or (
            deadline is not None and time.perf_counter() >= deadline
        )

    async def one(client: httpx.AsyncClient, offset: int) -> None:
        n = offset
        while not over():
            kind, path = requests[n % len(requests)]
            n += 1
            asked = time.perf_counter()
            try:
                answer = await client.get(path, headers=headers)
                ok = answer.status_code == 200
            except httpx.HTTPError:
                ok = False
            if ok:
                result.add(kind, time.perf_counter() - asked)
            else:
                result.failures += 1

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as client:
        started = time.perf_counter()
        await asyncio.gather(*(one(client, random.randrange(len(requests))) for _ in range(clients)))
        result.wall_s = time.perf_counter() - started
    return result


async def solve_async(client: httpx.AsyncClient, path: str, body: dict, headers: dict[str, str]) -> str:
    answer = await client.post(path, json=body, headers={**headers, "Prefer": "respond-async"})
    if answer.status_code != 202:
        raise RuntimeError(f"{path}: {answer.status_code} {answer.text}")
    return answer.headers["Location"]


async def wait_done(client: httpx.AsyncClient, location: str, headers: dict[str, str]) -> dict:
    while True:
        solve = (await client.get(location, headers=headers)).json()
        if solve["state"] in ("done", "failed"):
            return solve
        await asyncio.sleep(0.5)


async def demo_facts(database_url: str) -> tuple[list[str], str, str]:
    """Part numbers with stock, a depot code, and the day most next-business-day deliveries are due."""
    connection = await asyncpg.connect(database_url)
    try:
        parts = [
            row["part_number"]
            for row in await connection.fetch(
                "SELECT DISTINCT p.part_number FROM part p JOIN stock_level l ON l.part = p.id "
                "WHERE l.on_hand > 0 ORDER BY 1"
            )
        ]
        depot = await connection.fetchval("SELECT code FROM depot ORDER BY id LIMIT 1")
        day = await connection.fetchval(
            "SELECT (delivery_due_by AT TIME ZONE 'UTC')::date FROM ticket "
            "WHERE delivery_service = 'nbd' AND status = 'open' GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"
        )
    finally:
        await connection.close()
    return parts, depot, day.isoformat()


def load_average() -> float:
    return os.getloadavg()[0]


def row(name: str, result: Latencies) -> str:
    kinds = sorted(result.by_kind)
    cells = ", ".join(
        f"{kind} p50/p95/p99 {result.p(kind, 50):.1f}/{result.p(kind, 95):.1f}/{result.p(kind, 99):.1f} ms"
        for kind in kinds
    )
    rate = result.count / result.wall_s if result.wall_s else 0
    counted = f"{result.count} requests in {result.wall_s:.1f} s ({rate:.0f}/s)"
    return f"{name}: {counted}, {cells}, failed {result.failures}"


async def measure(args: argparse.Namespace, database_url: str, processes: Processes) -> int:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    parts, depot, day = await demo_facts(database_url)
    web = processes.start_web(port, args.web)
    for n in range(args.workers):
        processes.start(f"worker-{n}", "api", "worker", "--concurrency", "2")
    await wait_ready(base, web)
    async with httpx.AsyncClient(base_url=base, timeout=120) as client:
        staff = await token(client, "admin")
    health_and_stock = [("ready", "/health/ready")] + [
        ("stock", f"/api/v1/stock?part_number={part}&limit=500") for part in parts[:50]
    ]
    probe = [x for pair in zip(health_and_stock[1:], [health_and_stock[0]] * 50, strict=False) for x in pair]

    print(
        f"\nProcess model: web {args.web} processes, {args.workers} workers, PostgreSQL; "
        f"{os.cpu_count()} CPU cores"
    )
    print(f"load average before the baseline: {load_average():.2f}")
    await closed_loop(base, probe, staff, clients=args.clients, duration_s=3)  # warm-up
    baseline = await closed_loop(base, probe, staff, clients=args.clients, duration_s=args.duration_s)
    print(row("baseline, no solve", baseline))

    print(f"load average before the solves: {load_average():.2f}")
    async with httpx.AsyncClient(base_url=base, timeout=120) as client:
        body = {"date": day, "time_limit_s": args.limit_s}
        locations = [
            await solve_async(client, "/api/v1/dispatch/plans", body, staff),
            await solve_async(client, "/api/v1/routing/nbd-plans", body, staff),
        ]
        done = asyncio.Event()
        load = asyncio.create_task(closed_loop(base, probe, staff, clients=args.clients, until=done))
        started = time.perf_counter()
        solves = [await wait_done(client, location, staff) for location in locations]
        solved_s = time.perf_counter() - started
        done.set()
        during = await load
    print(row("during the solves", during))
    for location, solve in zip(locations, solves, strict=True):
        print(f"  {location}: {solve['state']}, plan {solve.get('plan_id')}, {solve.get('problem') or ''}")
    print(f"  both solves done {solved_s:.1f} s after they were asked")

    met = (
        all(during.p(kind, 95) < P95_GOAL_MS for kind in ("ready", "stock"))
        and during.failures == 0
        and all(solve["state"] == "done" for solve in solves)
    )
    print(
        f"goal: p95 < {P95_GOAL_MS:.0f} ms for readiness and stock during the solves, no failed request, "
        f"both plans made: {'met' if met else 'MISSED'}"
    )

    mix = [("stock", f"/api/v1/stock?part_number={part}&limit=500") for part in parts[:30]]
    mix += [("depot", f"/api/v1/stock?depot={depot}&limit=100"), ("ready", "/health/ready")]
    rates = {}
    for workers in (1, 2):
        processes.stop(web)
        web = processes.start_web(port, workers)
        await wait_ready(base, web)
        await closed_loop(base, mix, staff, clients=16, duration_s=3)
        print(f"load average before {workers} web process(es): {load_average():.2f}")
        result = await closed_loop(base, mix, staff, clients=16, duration_s=args.duration_s)
        rates[workers] = result.count / result.wall_s
        print(row(f"read-heavy mix, {workers} web process(es)", result))
    print(f"throughput, 2 web processes / 1: {rates[2] / rates[1]:.2f} ({os.cpu_count()} CPU cores)")
    return 0 if met else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.process_model", description=__doc__)
    parser.add_argument("--web", type=int, default=4, help="web worker processes during the solves")
    parser.add_argument("--workers", type=int, default=2, help="job queue workers")
    parser.add_argument("--limit-s", type=float, default=20.0, help="each solve's time limit")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients of the latency phases")
    parser.add_argument("--duration-s", type=float, default=20.0, help="length of a measured phase")
    parser.add_argument("--postgres-url", default=POSTGRES_URL)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder, fresh_database(args.postgres_url) as database_url:
        processes = Processes(environment(database_url, Path(folder)), Path(folder))
        try:
            processes.run("api", "migrate")
            processes.run("api", "load-demo")
            return asyncio.run(measure(args, database_url, processes))
        finally:
            processes.stop_all()


if __name__ == "__main__":
    sys.exit(main())
