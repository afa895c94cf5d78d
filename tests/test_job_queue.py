"""The job queue on a real PostgreSQL database with real worker processes (`tests.job_worker`, which is
``python -m api worker`` plus a test-only task that naps): a worker killed in the middle of a job, a
worker stopped with SIGTERM while a short job runs and while a long one runs, and ``python -m api
worker`` itself. Only generous timeouts bound the waits; nothing asserts how long anything took."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from api.worker import queue_for
from jobs import SOLVES_QUEUE, QueuedSolves
from tests.conftest import ROOT, eventually, test_settings
from tests.job_worker import NAP_TASK

WAIT_S = 180
"""How long a test waits for a job to reach a status: a stalled job is recovered after 30 s without a
heartbeat, and worker processes start slowly on a machine busy with the rest of the suite (it runs in
parallel)."""


class Workers:
    """Worker processes of one test, stopped (SIGKILL) at its end if still running."""

    def __init__(self, url: str, folder: Path) -> None:
        self.url = url
        self.folder = folder
        self.started: list[subprocess.Popen[bytes]] = []

    def start(self, *args: str) -> subprocess.Popen[bytes]:
        log = (self.folder / f"worker-{len(self.started)}.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.job_worker", *args],
            cwd=ROOT,
            env={
                **os.environ,
                "DATABASE_URL": self.url,
                "ENVIRONMENT": "test",
                "LOG_LEVEL": "INFO",
                "LOG_FORMAT": "console",
                "WORKER_STALLED_AFTER_S": "2",
                "PG_POOL_MIN_SIZE": "1",
            },
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.started.append(process)
        return process

    def log(self, index: int) -> str:
        return (self.folder / f"worker-{index}.log").read_text(errors="replace")

    def stop_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                process.kill()
            process.wait()


@pytest.fixture
def workers(postgres_url: str, tmp_path: Path) -> Iterator[Workers]:
    started = Workers(postgres_url, tmp_path)
    try:
        yield started
    finally:
        started.stop_all()


async def defer_nap(url: str, *, first_s: float, retry_s: float, record: Path) -> int:
    queue = queue_for(test_settings(url))
    async with queue.open_async():
        return await queue.configure_task(NAP_TASK, queue=SOLVES_QUEUE).defer_async(
            first_s=first_s, retry_s=retry_s, record=str(record)
        )


async def job_row(url: str, job_id: int) -> asyncpg.Record:
    connection = await asyncpg.connect(url)
    try:
        return await connection.fetchrow(
            "SELECT status::text AS status, attempts, worker_id FROM procrastinate_jobs WHERE id = $1", job_id
        )
    finally:
        await connection.close()


async def wait_for_status(url: str, job_id: int, status: str, workers: Workers) -> asyncpg.Record:
    async with asyncio.timeout(WAIT_S):
        while True:
            row = await job_row(url, job_id)
            if row["status"] == status:
                return row
            for index, process in enumerate(workers.started):
                if process.poll() not in (None, 0, -signal.SIGKILL):
                    pytest.fail(f"worker {index} exited with {process.returncode}:\n{workers.log(index)}")
            await asyncio.sleep(0.1)


async def wait_exit(process: subprocess.Popen[bytes]) -> int:
    async def exited() -> bool:
        return process.poll() is not None

    await eventually(exited, timeout_s=WAIT_S)
    return process.returncode


def finished(record: Path) -> list[tuple[int, int, int]]:
    """``(job id, pid, attempts)`` of every nap that finished."""
    if not record.exists():
        return []
    return [tuple(map(int, line.split())) for line in record.read_text().splitlines()]  # type: ignore[misc]


@pytest.mark.postgres
async def test_a_job_of_a_killed_worker_is_retried_and_finished_by_another(workers, postgres_url, tmp_path):
    record = tmp_path / "naps.txt"
    first = workers.start()
    job = await defer_nap(postgres_url, first_s=3_600, retry_s=0, record=record)
    await wait_for_status(postgres_url, job, "doing", workers)
    first.send_signal(signal.SIGKILL)
    assert await wait_exit(first) == -signal.SIGKILL
    assert (await job_row(postgres_url, job))["status"] == "doing", "a killed worker's job stays doing"

    second = workers.start("--every-second")  # stalled-job recovery every second
    await wait_for_status(postgres_url, job, "succeeded", workers)
    [(job_id, pid, attempts)] = finished(record)
    assert (job_id, pid) == (job, second.pid)
    assert attempts >= 1
    assert "stalled_job_retried" in workers.log(1)


@pytest.mark.postgres
async def test_sigterm_lets_the_running_short_job_finish(workers, postgres_url, tmp_path):
    record = tmp_path / "naps.txt"
    worker = workers.start("--shutdown-graceful-timeout", "60")
    job = await defer_nap(postgres_url, first_s=2, retry_s=0, record=record)
    await wait_for_status(postgres_url, job, "doing", workers)
    worker.send_signal(signal.SIGTERM)
    assert await wait_exit(worker) == 0, workers.log(0)
    assert (await job_row(postgres_url, job))["status"] == "succeeded"
    assert finished(record) == [(job, worker.pid, 0)], "finished at its first attempt"


@pytest.mark.postgres
async def test_a_job_running_past_the_graceful_timeout_goes_back_to_the_queue_for_another_worker(
    workers, postgres_url, tmp_path
):
    """What happens to a solve interrupted by a shutdown: cancelled, queued again, finished elsewhere."""
    record = tmp_path / "naps.txt"
    first = workers.start("--shutdown-graceful-timeout", "1")
    job = await defer_nap(postgres_url, first_s=3_600, retry_s=0, record=record)
    await wait_for_status(postgres_url, job, "doing", workers)
    first.send_signal(signal.SIGTERM)
    assert await wait_exit(first) == 0, workers.log(0)
    row = await job_row(postgres_url, job)
    assert row["status"] == "todo", "cancelled at shutdown and queued again"
    assert finished(record) == []

    second = workers.start()
    await wait_for_status(postgres_url, job, "succeeded", workers)
    assert finished(record) == [(job, second.pid, 1)], "finished at its second attempt, by another worker"


def test_the_worker_command_documents_its_options():
    result = subprocess.run(
        [sys.executable, "-m", "api", "worker", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    text = " ".join(result.stdout.split())
    for option in (
        "--concurrency",
        "--queue",
        "--shutdown-graceful-timeout",
        "SIGTERM",
        "periodic",
        "solves",
    ):
        assert option in text


def test_the_worker_refuses_sqlite(sqlite_url):
    result = subprocess.run(
        [sys.executable, "-m", "api", "worker"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": sqlite_url},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "needs PostgreSQL" in result.stderr


@pytest.mark.postgres
@pytest.mark.parametrize(("at_once", "locks"), [(1, {"solve-slot-0"}), (2, {"solve-slot-0", "solve-slot-1"})])
async def test_solves_share_at_most_solves_at_once_job_locks(postgres_url, at_once, locks):
    """Procrastinate runs the jobs of one lock one after the other: ``SOLVES_AT_ONCE`` locks cap the
    solves running at once across every worker."""
    queue = queue_for(test_settings(postgres_url))
    async with queue.open_async():
        solves = QueuedSolves(queue, at_once=at_once)
        for solve_id in (1, 2, 3, 4):
            await solves.submit(solve_id)
    connection = await asyncpg.connect(postgres_url)
    try:
        rows = await connection.fetch(
            "SELECT lock FROM procrastinate_jobs WHERE queue_name = $1", SOLVES_QUEUE
        )
    finally:
        await connection.close()
    assert len(rows) == 4
    assert {row["lock"] for row in rows} == locks
