"""The job queue: Procrastinate on the service's PostgreSQL database.

`build_queue` makes a Procrastinate `App` with the service's tasks: every periodic job of the registry
(`jobs.periodic`), the queue's own upkeep (stalled job recovery, removal of old jobs) and route solves
(`jobs.solves`). Nothing here is a module global: the caller builds the app, opens it, and runs a worker
with `worker_options`, giving the `JobEnvironment` its jobs run with (the domain context, the clock, the
settings' values). The tasks read it from their `JobContext` (``additional_context``, Procrastinate's
documented way to hand tasks what the worker holds), and a worker middleware puts the domain context in
use around every job.

Guarantees, from Procrastinate: a periodic job is deferred once per period however many workers run
(a unique row per task and period in ``procrastinate_periodic_defers``); its job lock keeps two runs of
it from overlapping and its queueing lock keeps a late one from piling up behind another. A job whose
worker stops heart-beating (killed, lost) is put back in the queue by `retry_stalled_jobs`; a job still
running when a worker shuts down past its graceful timeout is cancelled and, with a retry strategy,
queued again for another worker.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import procrastinate
import structlog
from procrastinate import builtin_tasks
from procrastinate.exceptions import AlreadyEnqueued
from prometheus_client.core import GaugeMetricFamily

from jobs.periodic import PERIODIC_JOBS, Outcome, PeriodicJob, PeriodicParams
from jobs.solve_metrics import observe_solve
from observability import ScrapeGauge, job_timer

log = structlog.get_logger("jobs.queue")

PERIODIC_QUEUE = "periodic"
"""The queue of the periodic jobs and of the queue's upkeep: short jobs."""
SOLVES_QUEUE = "solves"
"""The queue of route solves: long jobs, each in a solver child process."""
QUEUES = (PERIODIC_QUEUE, SOLVES_QUEUE)

ENVIRONMENT_KEY = "spareline"
"""Where a worker's `JobEnvironment` is in each job's ``context.additional_context``."""

TASK_PREFIX = "spareline."
SOLVE_TASK = f"{TASK_PREFIX}solve"
RETRY_STALLED_JOBS = "retry-stalled-jobs"
REMOVE_OLD_JOBS = "remove-old-jobs"

UPKEEP_CRONS = {RETRY_STALLED_JOBS: "*/2 * * * *", REMOVE_OLD_JOBS: "23 3 * * *"}
"""When the queue's own upkeep is deferred: stalled jobs every two minutes, old jobs daily at 03:23 UTC."""
FINISHED_JOBS_KEPT_HOURS = 72
"""How long finished jobs (succeeded, failed, cancelled, aborted) stay in ``procrastinate_jobs``."""

PERIODIC_RETRY = procrastinate.RetryStrategy(max_attempts=3, wait=10)
"""A periodic job that fails (the database away, say) is tried twice more, 10 s apart; one cancelled by a
worker's shutdown goes back to the queue for another worker."""
SOLVE_RETRY = procrastinate.RetryStrategy(max_attempts=6, exponential_wait=2)
"""A solve raises only for infrastructure errors, and is tried again after 2, 4, 8, 16, 32 and 64 s; one
cancelled by a worker's shutdown goes back to the queue for another worker. When its last attempt fails
too, the solve is marked ``failed`` (`solve`), so that nobody waits for it any longer."""

RunSolve = Callable[..., Awaitable[object]]
"""``routing.run_solve(solve_id, *, policy, now)``: the body of a solve job."""
AbortSolve = Callable[..., Awaitable[object]]
"""``routing.abort_solve(solve_id, *, reason, now)``: marks a solve that will not finish ``failed``."""


@dataclass(frozen=True, slots=True)
class JobEnvironment:
    """What the jobs of one worker run with; given by the command that starts the worker.

    ``enter`` puts the domain context in use (``DomainContext.entered``); ``run_solve`` and
    ``solve_policy`` are the solve job's body and its planning policy (None: this worker takes no
    solves); ``abort_solve`` fails a solve whose job gave up.
    """

    enter: Callable[[], AbstractContextManager[object]]
    clock: Callable[[], datetime]
    params: PeriodicParams
    stalled_after_s: float = 30
    run_solve: RunSolve | None = None
    solve_policy: object = None
    abort_solve: AbortSolve | None = None


def environment(context: procrastinate.JobContext) -> JobEnvironment:
    """The `JobEnvironment` of the worker running a job."""
    return context.additional_context[ENVIRONMENT_KEY]


def build_queue(
    conninfo: str,
    *,
    pool_min_size: int = 1,
    pool_max_size: int = 4,
    registry: Sequence[PeriodicJob] = PERIODIC_JOBS,
    crons: Mapping[str, str] | None = None,
) -> procrastinate.App:
    """A Procrastinate app on the PostgreSQL database at ``conninfo`` (a libpq URL) with the service's
    tasks. Open it (``async with app.open_async()``) to defer jobs or run a worker.

    ``crons`` replaces the schedule of jobs by name (the registry's names, `RETRY_STALLED_JOBS`,
    `REMOVE_OLD_JOBS`), e.g. every second in tests.
    """
    crons = {**UPKEEP_CRONS, **(crons or {})}
    app = procrastinate.App(
        connector=procrastinate.PsycopgConnector(
            conninfo=conninfo, min_size=pool_min_size, max_size=pool_max_size
        )
    )
    for job in registry:
        _add_periodic(app, job.name, crons.get(job.name, job.cron), _periodic_body(job))
    _add_periodic(app, RETRY_STALLED_JOBS, crons[RETRY_STALLED_JOBS], retry_stalled_jobs)
    _add_periodic(app, REMOVE_OLD_JOBS, crons[REMOVE_OLD_JOBS], remove_old_jobs)
    app.task(name=SOLVE_TASK, queue=SOLVES_QUEUE, retry=SOLVE_RETRY, pass_context=True)(solve)
    return app


def _add_periodic(app: procrastinate.App, name: str, cron: str, body: Callable[..., Awaitable[Any]]) -> None:
    task = app.task(
        name=f"{TASK_PREFIX}{name}",
        queue=PERIODIC_QUEUE,
        retry=PERIODIC_RETRY,
        pass_context=True,
        lock=name,
        queueing_lock=name,
    )(body)
    app.periodic(cron=cron, periodic_id=name)(task)


def _periodic_body(job: PeriodicJob) -> Callable[[procrastinate.JobContext, int], Awaitable[Outcome]]:
    async def run(context: procrastinate.JobContext, timestamp: int) -> Outcome:
        env = environment(context)
        return await job.run(env.clock(), env.params)

    run.__name__ = run.__qualname__ = job.name.replace("-", "_")
    return run


async def retry_stalled_jobs(context: procrastinate.JobContext, timestamp: int) -> int:
    """Put back in the queue every job still ``doing`` on a worker that stopped heart-beating (killed,
    lost) or that is gone; another worker then runs it again."""
    env = environment(context)
    manager = context.app.job_manager
    stalled = list(await manager.get_stalled_jobs(seconds_since_heartbeat=env.stalled_after_s))
    for job in stalled:
        await manager.retry_job(job)
        log.warning("stalled_job_retried", job=job.id, task=job.task_name, worker=job.worker_id)
    return len(stalled)


async def remove_old_jobs(context: procrastinate.JobContext, timestamp: int) -> None:
    """Delete the jobs finished more than `FINISHED_JOBS_KEPT_HOURS` ago, whatever their outcome
    (Procrastinate's builtin task)."""
    await builtin_tasks.remove_old_jobs(
        context,
        max_hours=FINISHED_JOBS_KEPT_HOURS,
        remove_failed=True,
        remove_cancelled=True,
        remove_aborted=True,
    )


async def solve(context: procrastinate.JobContext, solve_id: int) -> None:
    """Run one route solve (``routing.run_solve``: claim it, solve in a child process, keep the plan,
    mark it done or failed). It raises only for infrastructure errors, which `SOLVE_RETRY` retries; when
    the strategy retries no more, the solve is marked ``failed`` (``abort_solve``) before the job fails,
    so that the plan's requester learns it instead of waiting for a solve that nobody runs."""
    env = environment(context)
    try:
        if env.run_solve is None:
            raise RuntimeError("this worker was started without a solve runner")
        view = await env.run_solve(solve_id, policy=env.solve_policy, now=env.clock())
    except Exception as exc:
        if env.abort_solve is not None and _last_attempt(context, exc):
            reason = f"the solve could not be run after {context.job.attempts + 1} attempts"
            log.error("solve_gave_up", solve=solve_id, attempts=context.job.attempts + 1, error=repr(exc))
            await env.abort_solve(solve_id, reason=reason, now=env.clock())
        raise
    await observe_solve(view)


def _last_attempt(context: procrastinate.JobContext, exc: Exception) -> bool:
    """Whether the job's retry strategy gives up after this failure (Procrastinate's own decision)."""
    return SOLVE_RETRY.get_retry_decision(exception=exc, job=context.job) is None


class QueuedSolves:
    """``routing.SolveQueue`` on the job queue: a submitted solve is a job for the workers (the web
    process solves nothing)."""

    def __init__(self, app: procrastinate.App, *, at_once: int = 1) -> None:
        self._app = app
        self._slots = at_once

    def slot(self, solve_id: int) -> str:
        """The solve's slot: one of ``at_once`` job locks, by the solve's id. Procrastinate runs the jobs
        of one lock one after the other, in the order they were queued, so that however many workers
        take solves, at most ``at_once`` solves run at once across all of them."""
        return f"solve-slot-{solve_id % self._slots}"

    async def submit(self, solve_id: int) -> None:
        """Queue the solve, once: a solve already waiting in the queue is not queued again."""
        deferrer = self._app.configure_task(
            SOLVE_TASK, queue=SOLVES_QUEUE, queueing_lock=f"solve-{solve_id}", lock=self.slot(solve_id)
        )
        try:
            await deferrer.defer_async(solve_id=solve_id)
        except AlreadyEnqueued:
            log.info("solve_already_queued", solve=solve_id)


def worker_name() -> str:
    """This worker's name in the logs: host and process id."""
    return f"{socket.gethostname()}-{os.getpid()}"


def worker_options(
    env: JobEnvironment,
    *,
    concurrency: int,
    queues: Sequence[str] | None = None,
    shutdown_graceful_timeout_s: float | None = None,
    install_signal_handlers: bool = True,
    name: str | None = None,
    middleware: Sequence[Callable[..., Awaitable[Any]]] = (),
) -> dict[str, Any]:
    """The keyword arguments of ``App.run_worker_async`` for a worker of the service.

    ``concurrency`` jobs at once; ``queues`` (None: all); on a stop signal (SIGTERM, SIGINT) the worker
    takes no new job and waits ``shutdown_graceful_timeout_s`` (None: for ever) for its running jobs,
    then cancels them, and their retry strategies put them back in the queue. It heart-beats every third
    of ``env.stalled_after_s``. ``middleware`` wraps every job inside the domain context (metrics, say).
    """
    return {
        "concurrency": concurrency,
        "queues": list(queues) if queues else None,
        "name": name or worker_name(),
        "shutdown_graceful_timeout": shutdown_graceful_timeout_s,
        "install_signal_handlers": install_signal_handlers,
        "additional_context": {ENVIRONMENT_KEY: env},
        "update_heartbeat_interval": env.stalled_after_s / 3,
        "stalled_worker_timeout": env.stalled_after_s,
        "worker_middleware": [_in_domain_context, *middleware],
    }


async def _in_domain_context(
    call_next: Callable[[], Awaitable[Any]], context: procrastinate.JobContext, worker: object
) -> Any:
    """Worker middleware: the job runs in the worker's domain context, timed into the job metrics
    (``spareline_job_duration_seconds``, ``spareline_job_failures``) under its task's name."""
    task = context.job.task_name.removeprefix(TASK_PREFIX)
    with environment(context).enter(), job_timer(task):
        return await call_next()


def queue_depth_gauge(app: procrastinate.App) -> ScrapeGauge:
    """A scrape-time gauge of the queue's jobs waiting and running, by queue (`observability.scrape_gauge`
    registers it in the web process)."""

    async def queue_depth(now: datetime) -> list[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "spareline_job_queue_jobs",
            "Jobs of the job queue waiting (todo) and running (doing), by queue.",
            labels=["queue", "status"],
        )
        for status in ("todo", "doing"):
            for row in await app.job_manager.list_queues_async(status=status):
                family.add_metric([row["name"], status], row[status])
        return [family]

    return queue_depth
