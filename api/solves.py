"""The application's solve queue: where plan requests hand their solves (`routing.SolveQueue`).

An application keeps its queue in ``app.state`` (`SOLVE_QUEUE_KEY`); controllers get it by dependency
injection (``solves``). In the queue mode it is the job queue's (`jobs.QueuedSolves`: the workers call
`routing.run_solve`, `api.worker`); in the in-process mode `create_app` builds the embedded one,
`InProcessSolves`: each solve an asyncio task of the serving process's event
loop, in the application's domain context, whose CPU work runs in the planning policy's solver processes
(`routing.SolverPool`), so that the loop keeps serving while it solves.

The solves of a process that dies die with it. The embedded queue does not run them again: whoever asked
synchronously is gone with the old process, the day may have changed since, and a plan nobody waits for
should not take minutes of solver time. It marks them ``failed`` ("the service that ran the solve stopped
or restarted; ask again"), so that whoever polls the solve learns it at once. To tell a dead process's
solves from those another live process (another uvicorn worker on the same database) is running, each
queue records a heartbeat on the solves it holds every `HEARTBEAT_S` (`routing.touch_solves`) and, at
start-up and then as often, fails the unfinished solves whose heartbeat (or request) is older than
`STALE_AFTER_HEARTBEATS` heartbeats (`routing.abort_stale_solves`). On shutdown it cancels its tasks,
which kills their solver processes, marks those solves ``failed`` at once, and stops the solver
processes.

A run that fails with anything but a domain error (the database away) is tried again after
`RETRY_DELAYS_S`; after the last, the solve is marked failed.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

import anyio.to_thread
import structlog
from litestar import Litestar
from litestar.datastructures import State

import routing
from api.domain_context import DomainContext
from jobs import observe_solve

SOLVE_QUEUE_KEY = "solve_queue"
"""Where an application keeps its `routing.SolveQueue` in ``app.state``."""
PLANNING_KEY = "planning"
"""Where an application keeps its `routing.PlanningPolicy` (and so its solver processes)."""
RETRY_DELAYS_S = (1.0, 5.0)
"""Pauses before running again a solve whose run failed with anything but a domain error."""
HEARTBEAT_S = 10.0
STALE_AFTER_HEARTBEATS = 3
"""An unfinished solve without a heartbeat for this many heartbeats has nobody running it."""
ABANDONED = "the service that ran the solve stopped or restarted; ask again"
STOPPED = "the service stopped during the solve; ask again"
GAVE_UP = "the solve could not be finished ({error}); ask again"

log = structlog.get_logger("api.solves")


class InProcessSolves:
    """The embedded `routing.SolveQueue`: a task per solve in this process's event loop."""

    def __init__(
        self,
        domain: DomainContext,
        policy: routing.PlanningPolicy,
        clock: Callable[[], datetime],
        *,
        heartbeat_s: float = HEARTBEAT_S,
    ) -> None:
        self.domain = domain
        self.policy = policy
        self.clock = clock
        self.heartbeat_s = heartbeat_s
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._keeper: asyncio.Task[None] | None = None

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
                    solved = await routing.run_solve(solve_id, policy=self.policy, now=self.clock())
                except Exception as exc:
                    if delay is None:
                        log.exception("solve_given_up", solve=solve_id, error_type=type(exc).__name__)
                        await self._abort([solve_id], GAVE_UP.format(error=type(exc).__name__))
                        return
                    log.warning("solve_retry", solve=solve_id, error_type=type(exc).__name__, delay_s=delay)
                    await asyncio.sleep(delay)
                else:
                    await observe_solve(solved)
                    return

    async def start(self) -> None:
        """Fail the solves nobody runs any more (left by a process that stopped), then keep doing so, and
        keep the heartbeat of this queue's solves, in the background.

        The first pass runs before the service serves; if the database is away it is only logged, and the
        background passes carry on once it is back.
        """
        with self.domain.entered():
            await self._keep_once()
        self._keeper = asyncio.create_task(self._keep(), name="solves-keeper")

    async def _keep(self) -> None:
        with self.domain.entered():
            while True:
                await asyncio.sleep(self.heartbeat_s)
                await self._keep_once()

    async def _keep_once(self) -> None:
        now = self.clock()
        try:
            await routing.touch_solves(sorted(self._tasks), now=now)
            abandoned = await routing.abort_stale_solves(
                stale_before=now - timedelta(seconds=STALE_AFTER_HEARTBEATS * self.heartbeat_s),
                reason=ABANDONED,
                now=now,
            )
        except Exception as exc:
            log.warning("solves_heartbeat_failed", error_type=type(exc).__name__)
            return
        if abandoned:
            log.warning("solves_abandoned", solves=abandoned)

    async def stop(self) -> None:
        """Cancel the running solves (their solver processes are killed) and mark them failed."""
        if self._keeper is not None:
            self._keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._keeper
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
    the embedded queue started (and stopped), and the solver processes stopped at the end (so it must
    come before a lifespan whose work uses them, such as a job queue's worker in the web process)."""

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
