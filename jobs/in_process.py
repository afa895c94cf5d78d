"""The in-process runner of the periodic jobs: the embedded default, where there is no queue (SQLite).

One loop in the one web process runs the jobs of a registry (`jobs.periodic.PERIODIC_JOBS`): at each
tick, every job whose ``every_s`` has passed since its last run (or that runs at every tick), one after
the other. A job that fails is logged and tried again at its next turn; the others run on. The caller
gives the domain context the jobs run in, the clock and the values they need.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime

import structlog

from jobs.periodic import PeriodicJob, PeriodicParams
from observability import job_timer

log = structlog.get_logger("jobs.in_process")


class InProcessRunner:
    """Runs the periodic jobs of ``registry`` every ``tick_s`` seconds in the context ``enter`` gives."""

    def __init__(
        self,
        registry: Sequence[PeriodicJob],
        *,
        params: PeriodicParams,
        clock: Callable[[], datetime],
        enter: Callable[[], AbstractContextManager[object]],
        tick_s: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._registry = tuple(registry)
        self._params = params
        self._clock = clock
        self._enter = enter
        self._tick_s = tick_s
        self._monotonic = monotonic
        self._last_run: dict[str, float] = {}

    def due(self) -> list[PeriodicJob]:
        """The jobs due at this tick."""
        now = self._monotonic()
        return [
            job
            for job in self._registry
            if job.every_s is None
            or job.name not in self._last_run
            or now - self._last_run[job.name] >= job.every_s
        ]

    async def tick(self) -> dict[str, object]:
        """Run every job due now, in the caller's context; what each did (or None if it failed)."""
        done: dict[str, object] = {}
        with self._enter():
            for job in self.due():
                self._last_run[job.name] = self._monotonic()
                try:
                    with job_timer(job.name):
                        done[job.name] = await job.run(self._clock(), self._params)
                except Exception:
                    log.exception("periodic_job_failed", job=job.name)
                    done[job.name] = None
        return done

    async def run_forever(self) -> None:
        """Tick until cancelled."""
        while True:
            await self.tick()
            await asyncio.sleep(self._tick_s)
