"""Does a long solve stall the process that serves? ``python -m bench.solve_isolation [--limit-s 25]``.

Serves the demo data (a fresh SQLite file in a temporary folder) with uvicorn and one worker process, asks
for the next-business-day plan of the demo's delivery day with a time limit of ``--limit-s`` seconds
and waits for it, and meanwhile asks ``GET /health`` every 100 ms. It prints how many health requests
were answered during the solve and the slowest of them. Solving in a thread of the worker froze it for
the whole solve; in a solver process, health answers throughout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _delivery_day(path: Path) -> str:
    """The date most open next-business-day tickets are due on."""
    connection = sqlite3.connect(path)
    try:
        row = connection.execute(
            "SELECT date(delivery_due_by), count(*) FROM ticket WHERE delivery_service = 'nbd' "
            "AND status = 'open' GROUP BY 1 ORDER BY 2 DESC LIMIT 1"
        ).fetchone()
    finally:
        connection.close()
    return row[0]


async def _measure(base: str, day: str, limit_s: float) -> dict[str, object]:
    async with httpx.AsyncClient(base_url=base, timeout=max(120.0, 4 * limit_s)) as client:
        for _ in range(600):
            try:
                if (await client.get("/health/ready")).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
        login = await client.post("/api/v1/auth/token", json={"username": "dispatcher", "password": "demo"})
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        started = time.perf_counter()
        plan = asyncio.create_task(
            client.post(
                "/api/v1/routing/nbd-plans", json={"date": day, "time_limit_s": limit_s}, headers=headers
            )
        )
        answered, slowest = 0, 0.0
        while not plan.done():
            asked = time.perf_counter()
            health = await client.get("/health")
            slowest = max(slowest, time.perf_counter() - asked)
            answered += health.status_code == 200
            await asyncio.sleep(0.1)
        response = plan.result()
        stats = response.json().get("stats", {}) if response.status_code == 201 else {}
        return {
            "limit_s": limit_s,
            "plan_status": response.status_code,
            "plan_request_s": round(time.perf_counter() - started, 2),
            "stops": stats.get("stops"),
            "solver_wall_s": stats.get("wall_s"),
            "health_answered_during_solve": answered,
            "health_slowest_s": round(slowest, 3),
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.solve_isolation", description=__doc__)
    parser.add_argument("--limit-s", type=float, default=25.0, help="the solve's time limit")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        database = Path(folder) / "isolation.sqlite3"
        env = {
            **os.environ,
            "ENVIRONMENT": "test",
            "DATABASE_URL": f"sqlite:///{database}",
            "SWEEP_INTERVAL_S": "0",
            "ROUTING_MAX_TIME_LIMIT_S": str(max(30.0, args.limit_s)),
            "LOG_LEVEL": "ERROR",
            "ARGON2_TIME_COST": "1",
            "ARGON2_MEMORY_KIB": "8",
            "ARGON2_PARALLELISM": "1",
        }
        for command in (("migrate",), ("load-demo",)):
            subprocess.run(  # noqa: S603 (the service's own commands)
                [sys.executable, "-m", "api", *command], cwd=ROOT, env=env, check=True, capture_output=True
            )
        port = _free_port()
        server = subprocess.Popen(  # noqa: S603 (the service itself, on a free local port)
            [
                sys.executable,
                "-m",
                "uvicorn",
                "api.app:create_app",
                "--factory",
                "--port",
                str(port),
                "--workers",
                "1",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            result = asyncio.run(_measure(f"http://127.0.0.1:{port}", _delivery_day(database), args.limit_s))
        finally:
            server.terminate()
            server.wait(timeout=60)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
