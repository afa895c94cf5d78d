"""A job queue worker process for the tests: ``python -m api worker`` (the same `api.worker.run_worker`)
with a test-only task, ``tests.nap``, and optionally every periodic job deferred every second.

``tests.nap`` sleeps ``first_s`` on its first attempt and ``retry_s`` on later ones, then appends
``<job id> <pid> <attempts>`` to ``record``; it retries as a solve does (`jobs.SOLVE_RETRY`), on the
solves queue.

    DATABASE_URL=postgresql://... python -m tests.job_worker [--every-second] [--concurrency N]
        [--shutdown-graceful-timeout S]
"""

from __future__ import annotations

import argparse
import asyncio
import os
from pathlib import Path

import procrastinate

from api.logging import configure_logging
from api.settings import Settings
from api.worker import run_worker
from jobs import PERIODIC_JOBS, SOLVE_RETRY, SOLVES_QUEUE

NAP_TASK = "tests.nap"
EVERY_SECOND = "* * * * * *"


def every_second() -> dict[str, str]:
    """Every periodic job, the queue's upkeep included, deferred every second."""
    from jobs.queue import REMOVE_OLD_JOBS, RETRY_STALLED_JOBS

    return dict.fromkeys(
        [job.name for job in PERIODIC_JOBS] + [RETRY_STALLED_JOBS, REMOVE_OLD_JOBS], EVERY_SECOND
    )


async def nap(context: procrastinate.JobContext, first_s: float, retry_s: float, record: str) -> None:
    await asyncio.sleep(first_s if context.job.attempts == 0 else retry_s)
    line = f"{context.job.id} {os.getpid()} {context.job.attempts}\n"
    await asyncio.to_thread(_append, Path(record), line)


def _append(path: Path, line: str) -> None:
    with path.open("a") as out:
        out.write(line)


def add_nap(queue: procrastinate.App) -> None:
    queue.task(name=NAP_TASK, queue=SOLVES_QUEUE, retry=SOLVE_RETRY, pass_context=True)(nap)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--every-second", action="store_true")
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--shutdown-graceful-timeout", type=float, default=30)
    args = parser.parse_args()
    settings = Settings()
    configure_logging(settings)
    asyncio.run(
        run_worker(
            settings,
            concurrency=args.concurrency,
            queues=[],
            shutdown_graceful_timeout_s=args.shutdown_graceful_timeout,
            crons=every_second() if args.every_second else None,
            extend=add_nap,
        )
    )


if __name__ == "__main__":
    main()
