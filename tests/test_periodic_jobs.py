"""The periodic jobs: the same functions on both engines, the in-process runner (SQLite's embedded
default), and on PostgreSQL the job queue running each of them once per period across two workers, and
a worker inside the web process (``python -m api serve``)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import asyncpg
import pydantic
import pytest

from api.app import create_app
from api.domain_context import DomainContext, domain_context
from api.worker import SOLVE_QUEUE_KEY, job_environment, queue_for
from inventory.accounts import IdempotencyRecord
from inventory.audit import log as audit
from inventory.persistence import serving
from jobs import PERIODIC_JOBS, InProcessRunner, PeriodicJob, PeriodicParams, QueuedSolves, worker_options
from tests.conftest import eventually, in_domain, test_settings
from tests.job_worker import every_second

T0 = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


async def append(count: int, at: datetime = T0) -> None:
    for n in range(count):
        await audit.append("test.event", f"thing:{n}", {"n": n}, actor="tester", at=at)


async def test_every_periodic_job_runs_on_both_engines(app):
    await append(2)
    params = PeriodicParams(checkpoint_every_entries=2, checkpoint_every_seconds=0)
    outcomes = {job.name: await job.run(datetime.now(UTC), params) for job in PERIODIC_JOBS}
    assert outcomes["audit-checkpoint"] == {"checkpoint_seq": 2}
    assert outcomes["sla-breaches-and-reservation-expiry"] == {"breaches": 0, "expired_reservations": 0}
    assert outcomes["idempotency-purge"] == {"idempotency_records_purged": 0}
    assert set(outcomes) == {job.name for job in PERIODIC_JOBS}
    assert len({job.name for job in PERIODIC_JOBS}) == len(PERIODIC_JOBS)


async def test_the_idempotency_purge_removes_only_records_past_their_retention(app):
    now = datetime.now(UTC)
    for key, age in (("old", timedelta(hours=25)), ("fresh", timedelta(hours=1))):
        await IdempotencyRecord.insert(
            IdempotencyRecord(
                scope="1|POST|/x",
                key=key,
                fingerprint="f",
                status_code=201,
                response_body="{}",
                created_at=now - age,
            )
        )
    job = next(job for job in PERIODIC_JOBS if job.name == "idempotency-purge")
    assert await job.run(now, PeriodicParams()) == {"idempotency_records_purged": 1}
    assert [row["key"] for row in await IdempotencyRecord.select(IdempotencyRecord.key)] == ["fresh"]


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


async def test_the_in_process_runner_runs_each_job_on_its_own_cadence():
    runs: list[str] = []

    def recording(name: str, fail: bool = False):
        async def run(now: datetime, params: PeriodicParams):
            runs.append(name)
            if fail:
                raise RuntimeError("boom")
            return {}

        return run

    clock = FakeMonotonic()
    entered: list[int] = []

    class Context:
        def __enter__(self):
            entered.append(1)

        def __exit__(self, *exc):
            return None

    runner = InProcessRunner(
        [
            PeriodicJob("every-tick", "* * * * *", None, recording("every-tick")),
            PeriodicJob("failing", "* * * * *", None, recording("failing", fail=True)),
            PeriodicJob("hourly", "7 * * * *", 3_600, recording("hourly")),
        ],
        params=PeriodicParams(),
        clock=lambda: T0,
        enter=Context,
        tick_s=60,
        monotonic=clock,
    )
    done = await runner.tick()
    assert runs == ["every-tick", "failing", "hourly"]
    assert done["failing"] is None, "a failing job is logged, and the others run on"
    runs.clear()
    clock.now += 60
    await runner.tick()
    assert runs == ["every-tick", "failing"]
    runs.clear()
    clock.now += 3_600
    await runner.tick()
    assert runs == ["every-tick", "failing", "hourly"]
    assert len(entered) == 3, "each tick runs in the context the caller gives"


def test_the_background_follows_the_database_unless_set(sqlite_url):
    assert test_settings(sqlite_url).background_mode == "in-process"
    assert test_settings("postgresql://u@h:5432/d").background_mode == "queue"
    assert test_settings("postgresql://u@h:5432/d", background="in-process").background_mode == "in-process"
    with pytest.raises(pydantic.ValidationError, match="needs PostgreSQL"):
        test_settings(sqlite_url, background="queue")
    with pytest.raises(pydantic.ValidationError, match="unknown queue"):
        test_settings(sqlite_url, worker_queues=["nightly"])


# --- PostgreSQL: the job queue -------------------------------------------------------------------------


async def jobs_by_period(url: str, job: str) -> dict[str, int]:
    """How many runs of a periodic job succeeded, by the period (timestamp) it was deferred for."""
    connection = await asyncpg.connect(url)
    try:
        rows = await connection.fetch(
            "SELECT args->>'timestamp' AS period, count(*) AS runs FROM procrastinate_jobs "
            "WHERE task_name = $1 AND status = 'succeeded' GROUP BY 1",
            f"spareline.{job}",
        )
    finally:
        await connection.close()
    return {row["period"]: row["runs"] for row in rows}


async def checkpoints_reach(count: int) -> bool:
    return len(await audit.list_checkpoints()) >= count


async def registered_workers(url: str) -> int:
    """How many workers are registered (heart-beating) in the database."""
    connection = await asyncpg.connect(url)
    try:
        return await connection.fetchval("SELECT count(*) FROM procrastinate_workers")
    finally:
        await connection.close()


@asynccontextmanager
async def worker_in_this_process(settings, name: str) -> AsyncIterator[None]:
    """A worker as ``python -m api worker`` runs it (its own domain context and pools), every periodic
    job deferred every second, as a task of this event loop; stopped gracefully at the end."""
    domain = DomainContext.from_settings(settings)
    queue = queue_for(settings, crons=every_second())
    options = worker_options(
        job_environment(settings, domain),
        concurrency=2,
        shutdown_graceful_timeout_s=10,
        install_signal_handlers=False,
        name=name,
    )
    async with serving(domain.store.engine, pool_min_size=1, pool_max_size=4), queue.open_async():
        worker = asyncio.create_task(queue.run_worker_async(**options))
        try:
            yield
        finally:
            worker.cancel()
            with pytest.raises(asyncio.CancelledError):
                await worker


@pytest.mark.postgres
async def test_two_workers_run_each_periodic_job_once_per_period(postgres_url):
    settings = test_settings(
        postgres_url, audit_checkpoint_every_entries=1, audit_checkpoint_every_seconds=0, pg_pool_min_size=1
    )

    async def checkpoint_runs_reach(count: int) -> bool:
        return len(await jobs_by_period(postgres_url, "audit-checkpoint")) >= count

    async def workers_reach(count: int) -> bool:
        return await registered_workers(postgres_url) == count

    with in_domain(settings) as domain:
        async with serving(domain.store.engine, pool_min_size=1, pool_max_size=2):
            await append(3)
            async with worker_in_this_process(settings, "one"), worker_in_this_process(settings, "two"):
                await eventually(lambda: workers_reach(2))
                await eventually(lambda: checkpoint_runs_reach(3))
                assert [c.seq for c in await audit.list_checkpoints()] == [3], "one checkpoint per head"
                await append(1)
                await eventually(lambda: checkpoints_reach(2))
                periods = len(await jobs_by_period(postgres_url, "audit-checkpoint"))
                await eventually(lambda: checkpoint_runs_reach(periods + 2))
            assert [c.seq for c in await audit.list_checkpoints()] == [3, 4]
    for job in PERIODIC_JOBS:
        runs = await jobs_by_period(postgres_url, job.name)
        assert len(runs) >= 2, job.name
        assert set(runs.values()) == {1}, f"{job.name} ran more than once in a period: {runs}"


@pytest.mark.postgres
async def test_the_web_process_leaves_the_periodic_jobs_to_the_workers_on_postgresql(postgres_url):
    settings = test_settings(
        postgres_url,
        sweep_interval_s=0.01,
        audit_checkpoint_every_entries=1,
        audit_checkpoint_every_seconds=0,
    )
    app = create_app(settings)
    with domain_context(app).entered():
        async with app.lifespan():
            assert isinstance(app.state[SOLVE_QUEUE_KEY], QueuedSolves)
            await append(1, at=datetime.now(UTC))
            await asyncio.sleep(0.5)
            assert await audit.list_checkpoints() == []
            assert await registered_workers(postgres_url) == 0


@pytest.mark.postgres
async def test_a_worker_in_the_web_process_runs_the_periodic_jobs(postgres_url):
    """``python -m api serve`` on PostgreSQL: one process, the web and a worker in its lifespan."""
    settings = test_settings(
        postgres_url, worker_in_web=True, audit_checkpoint_every_entries=1, audit_checkpoint_every_seconds=0
    )
    app = create_app(settings)
    with domain_context(app).entered():
        await append(2)  # before the worker starts: it defers the jobs of the period just begun at once
        async with app.lifespan():
            await eventually(lambda: checkpoints_reach(1))
            assert await registered_workers(postgres_url) == 1
        assert [c.seq for c in await audit.list_checkpoints()] == [2]
        assert await registered_workers(postgres_url) == 0, "the worker left when the app shut down"
