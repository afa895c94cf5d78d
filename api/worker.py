"""The job queue's worker (``python -m api worker``), and the queue in the web process.

A worker is a Procrastinate worker (`jobs.queue`) in the domain context of the settings: the same
database engine, audit keys and calendar overrides as the web process, held for the worker's life. It
runs the periodic jobs (each once per period across all workers) and the solves (`routing.run_solve`,
their CPU work in the worker's solver processes, stopped with the worker); run as many as needed.

In the web process (`queue_lifespan`), on PostgreSQL, the queue is open so that requests can queue
solves (`jobs.QueuedSolves`, kept in ``app.state``); with WORKER_IN_WEB (``python -m api serve``) a
worker also runs there, as a task of the app's lifespan, so that one process serves everything.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import procrastinate
import structlog
from litestar import Litestar

import routing
from api.controllers.routing import planning_policy
from api.domain_context import DomainContext, domain_context
from api.settings import Settings
from api.solves import PLANNING_KEY, SOLVE_QUEUE_KEY
from inventory.persistence import serving
from jobs import JobEnvironment, QueuedSolves, build_queue, queue_depth_gauge, worker_options
from observability import SCRAPE_GAUGES, scrape_gauge

log = structlog.get_logger("api.worker")


def system_clock() -> datetime:
    return datetime.now(UTC)


def job_environment(
    settings: Settings,
    domain: DomainContext,
    clock: Callable[[], datetime] = system_clock,
    *,
    policy: routing.PlanningPolicy | None = None,
) -> JobEnvironment:
    """What the jobs of a worker on ``settings`` run with: ``domain`` in use around each job, and the
    solves run by `routing.run_solve` with ``policy`` (its solver processes; None: no solves)."""
    return JobEnvironment(
        enter=domain.entered,
        clock=clock,
        params=settings.periodic_params(),
        stalled_after_s=settings.worker_stalled_after_s,
        run_solve=None if policy is None else routing.run_solve,
        abort_solve=routing.abort_solve,
        solve_policy=policy,
    )


def queue_for(
    settings: Settings, *, pool_min_size: int = 1, crons: Mapping[str, str] | None = None
) -> procrastinate.App:
    """The job queue on the settings' PostgreSQL database (not yet open)."""
    return build_queue(
        settings.database_url,
        pool_min_size=pool_min_size,
        pool_max_size=settings.queue_pool_max_size,
        crons=crons,
    )


def refuse_sqlite(settings: Settings) -> str | None:
    """Why a worker cannot run on these settings, or None."""
    if settings.is_sqlite:
        return (
            "the job queue needs PostgreSQL (DATABASE_URL=postgresql://...); on SQLite the web process "
            "runs the periodic jobs itself and no worker is needed"
        )
    return None


async def run_worker(
    settings: Settings,
    *,
    concurrency: int,
    queues: Sequence[str],
    shutdown_graceful_timeout_s: float | None,
    crons: Mapping[str, str] | None = None,
    extend: Callable[[procrastinate.App], None] | None = None,
) -> None:
    """Run a worker until SIGTERM or SIGINT: it then takes no new job, lets its running jobs finish for
    up to ``shutdown_graceful_timeout_s``, cancels those still running (their retry strategies queue
    them again for another worker) and leaves. ``extend`` may add tasks to the queue (tests)."""
    domain = DomainContext.from_settings(settings)
    policy = planning_policy(settings)
    queue = queue_for(settings, crons=crons)
    if extend is not None:
        extend(queue)
    async with (
        serving(
            domain.store.engine,
            pool_min_size=settings.pg_pool_min_size,
            pool_max_size=settings.pg_pool_max_size,
        ),
        queue.open_async(),
    ):
        log.info(
            "worker_starting",
            concurrency=concurrency,
            queues=list(queues) or "all",
            shutdown_graceful_timeout_s=shutdown_graceful_timeout_s,
        )
        try:
            await queue.run_worker_async(
                **worker_options(
                    job_environment(settings, domain, policy=policy),
                    concurrency=concurrency,
                    queues=queues,
                    shutdown_graceful_timeout_s=shutdown_graceful_timeout_s,
                )
            )
        finally:
            await policy.close()
    log.info("worker_stopped")


def queue_lifespan(settings: Settings, clock: Callable[[], datetime]):
    """An app lifespan for the queue mode: the queue open while the app serves, its solve queue in
    ``app.state``, and with WORKER_IN_WEB a worker running in the background, stopped gracefully (up to
    WORKER_SHUTDOWN_GRACEFUL_TIMEOUT_S) when the app shuts down."""

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        queue = queue_for(settings)
        depth = queue_depth_gauge(queue)
        async with queue.open_async():
            app.state[SOLVE_QUEUE_KEY] = QueuedSolves(queue, at_once=settings.solves_at_once)
            scrape_gauge(depth)
            try:
                if not settings.worker_in_web:
                    yield
                    return
                options = worker_options(
                    job_environment(settings, domain_context(app), clock, policy=app.state[PLANNING_KEY]),
                    concurrency=settings.worker_concurrency,
                    queues=settings.worker_queues,
                    shutdown_graceful_timeout_s=settings.worker_shutdown_graceful_timeout_s,
                    install_signal_handlers=False,
                )
                worker = asyncio.create_task(queue.run_worker_async(**options), name="job queue worker")
                worker.add_done_callback(_report_stop)
                try:
                    yield
                finally:
                    worker.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await worker
            finally:
                SCRAPE_GAUGES.unregister(depth)

    return lifespan


def _report_stop(worker: asyncio.Task[None]) -> None:
    """A worker in the web process that stops before the app does is logged: the web serves on, and
    the periodic jobs wait for another worker."""
    if not worker.cancelled() and (error := worker.exception()) is not None:
        log.error("worker_in_web_stopped", error=repr(error))
