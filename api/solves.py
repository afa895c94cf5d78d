"""The application's solve queue: where plan requests hand their solves (`routing.SolveQueue`).

An application keeps its queue in ``app.state`` (`SOLVE_QUEUE_KEY`); controllers get it by dependency
injection (``solves``). In the queue mode it is the job queue's (`jobs.QueuedSolves`: the workers call
`routing.run_solve`, `api.worker`); in the in-process mode `create_app` builds the embedded one,
`InProcessSolves`: each solve an asyncio task of the serving process's event
loop, in the application's domain context, whose CPU work runs in the planning policy's solver processes
(`routing.SolverPool`), so that the loop keeps serving while it solves.

The embedded queue is for a service that runs its solves in the process that serves (SQLite's single
server; development): the solves of a process that stops are lost with it. So, at start-up, it marks the
solves still ``queued`` or ``solving`` from before ``failed`` ("the service restarted during the solve; ask
again") rather than running them again: whoever asked synchronously is gone with the old process, the day
may have changed since, and a plan nobody waits for should not take minutes of solver time. (Several
processes sharing one database would fail each other's solves at start-up this way: they need a job
queue, which retries its own.) On shutdown it cancels its tasks, which kills their solver processes,
marks those solves ``failed`` the same way, and stops the solver processes.

A run that fails with anything but a domain error (the database away) is tried again after
`RETRY_DELAYS_S`; after the last, the solve is marked failed.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime

import anyio.to_thread
import structlog
from litestar import Litestar
from litestar.datastructures import State

import routing
from api.domain_context import DomainContext

SOLVE_QUEUE_KEY = "solve_queue"
"""Where an application keeps its `routing.SolveQueue` in ``app.state``."""
PLANNING_KEY = "planning"
"""Where an application keeps its `routing.PlanningPolicy` (and so its solver processes)."""
RETRY_DELAYS_S = (1.0, 5.0)
"""Pauses before running again a solve whose run failed with anything but a domain error."""
RECOVERY_RETRY_S = 5.0
RESTARTED = "the service restarted during the solve; ask again"
STOPPED = "the service stopped during the solve; ask again"
GAVE_UP = "the solve could not be finished ({error}); ask again"

log = structlog.get_logger("api.solves")


class InProcessSolves:
    """The embedded `routing.SolveQueue`: a task per solve in this process's event loop."""

    def __init__(
        self, domain: DomainContext, policy: routing.PlanningPolicy, clock: Callable[[], datetime]
    ) -> None:
        self.domain = domain
        self.policy = policy
        self.clock = clock
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._recovery: asyncio.Task[None] | None = None

    async def submit(self, solve_id: int) -> None:
        """Start running the solve in a task of its own (once, however often it is submitted)."""
        if solve_id in self._tasks:
            return
        task = asyncio.create_task(self._run(solve_id), name=f"solve-{solve_id}")
        self._tasks[solve_id] = task
        task.add_done_callback(lambda _done: self._tasks.pop(solve_id, None))

    @property
    def running(self) -> frozenset[int]:
        """The solves this queue is running now."""
        return frozenset(self._tasks)

    async def _run(self, solve_id: int) -> None:
        with self.domain.entered():
            for delay in (*RETRY_DELAYS_S, None):
                try:
                    await routing.run_solve(solve_id, policy=self.policy, now=self.clock())
                    return
                except Exception as exc:
                    if delay is None:
                        log.exception("solve_given_up", solve=solve_id, error_type=type(exc).__name__)
                        await self._abort([solve_id], GAVE_UP.format(error=type(exc).__name__))
                        return
                    log.warning("solve_retry", solve=solve_id, error_type=type(exc).__name__, delay_s=delay)
                    await asyncio.sleep(delay)

    async def start(self) -> None:
        """Mark the solves a previous run of the service left unfinished failed.

        Runs in the background: the service starts even if the database is away, and this retries every
        `RECOVERY_RETRY_S` until it gets through (only solves asked for before the start count).
        """
        self._recovery = asyncio.create_task(self._recover(self.clock()), name="solves-recovery")

    async def _recover(self, started: datetime) -> None:
        with self.domain.entered():
            while True:
                try:
                    aborted = await routing.abort_unfinished_solves(
                        requested_before=started, reason=RESTARTED, now=self.clock()
                    )
                except Exception as exc:
                    log.warning(
                        "solves_recovery_retry", error_type=type(exc).__name__, delay_s=RECOVERY_RETRY_S
                    )
                    await asyncio.sleep(RECOVERY_RETRY_S)
                    continue
                if aborted:
                    log.warning("solves_abandoned_by_restart", solves=aborted)
                return

    async def stop(self) -> None:
        """Cancel the running solves (their solver processes are killed) and mark them failed."""
        if self._recovery is not None:
            self._recovery.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._recovery
        tasks = dict(self._tasks)
        for task in tasks.values():
            task.cancel()
        await asyncio.gather(*tasks.values(), return_exceptions=True)
        if tasks:
            with self.domain.entered():
                await self._abort(sorted(tasks), STOPPED)

    async def _abort(self, solve_ids: list[int], reason: str) -> None:
        for solve_id in solve_ids:
            try:
                await routing.abort_solve(solve_id, reason=reason, now=self.clock())
            except Exception:
                log.exception("solve_abort_failed", solve=solve_id)


def provide_solves(state: State) -> routing.SolveQueue:
    """The application's solve queue (a dependency)."""
    return state[SOLVE_QUEUE_KEY]


def provide_planning_policy(state: State) -> routing.PlanningPolicy:
    """The application's planning policy (a dependency)."""
    return state[PLANNING_KEY]


def solves_lifespan():
    """An app lifespan for its solves: the fork server of the solver processes warmed in the background,
    the embedded queue started (and stopped), and the solver processes stopped at the end."""

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        queue, policy = app.state.get(SOLVE_QUEUE_KEY), app.state[PLANNING_KEY]
        warming = asyncio.create_task(anyio.to_thread.run_sync(routing.warm_up))
        if isinstance(queue, InProcessSolves):
            await queue.start()
        try:
            yield
        finally:
            try:
                if isinstance(queue, InProcessSolves):
                    await queue.stop()
            finally:
                await policy.close()
                with contextlib.suppress(Exception):
                    await warming

    return lifespan
