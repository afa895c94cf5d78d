"""The periodic jobs in the web process, where there is no job queue (BACKGROUND=in-process, the default
on SQLite): the in-process runner (`jobs.InProcessRunner`) over the same registry as the queue's
workers (`jobs.PERIODIC_JOBS`), every SWEEP_INTERVAL_S seconds in the app's domain context: SLA
breaches, reservation expiry, audit checkpoints (by AUDIT_CHECKPOINT_EVERY_ENTRIES and
AUDIT_CHECKPOINT_EVERY_SECONDS) and the audit queue's purge at each tick; the idempotency records'
purge hourly.

SQLite serves one web process (`api.single_process`), so the jobs run once. `sweep_once` runs the
every-minute jobs once (``python -m api sweep``).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

from litestar import Litestar

from api.domain_context import domain_context
from api.settings import Settings
from jobs import (
    PERIODIC_JOBS,
    InProcessRunner,
    PeriodicParams,
    checkpoint_audit,
    mark_breaches_and_expire,
    purge_audit_queue,
)


@dataclass(frozen=True, slots=True)
class SweepResult:
    breaches: int
    expired_reservations: int
    checkpoint_seq: int | None
    audit_queue_purged: int


async def sweep_once(
    now: datetime, *, checkpoint_every_entries: int = 1_000, checkpoint_every_seconds: float = 3_600
) -> SweepResult:
    """Run the every-minute periodic jobs once, in the context in use: expire reservations past their
    time, mark milestones past their due time, sign an audit checkpoint when one is due, and remove
    the audit queue's linked rows."""
    params = PeriodicParams(checkpoint_every_entries, checkpoint_every_seconds)
    swept = await mark_breaches_and_expire(now, params)
    checkpoint = await checkpoint_audit(now, params)
    purged = await purge_audit_queue(now, params)
    return SweepResult(
        swept["breaches"] or 0,
        swept["expired_reservations"] or 0,
        checkpoint["checkpoint_seq"],
        purged["audit_queue_purged"] or 0,
    )


def sweeper_lifespan(settings: Settings, clock: Callable[[], datetime]):
    """An app lifespan running the periodic jobs in the background, in the app's domain context (off
    when SWEEP_INTERVAL_S is 0)."""

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        if settings.sweep_interval_s <= 0:
            yield
            return
        runner = InProcessRunner(
            PERIODIC_JOBS,
            params=settings.periodic_params(),
            clock=clock,
            enter=domain_context(app).entered,
            tick_s=settings.sweep_interval_s,
        )
        task = asyncio.create_task(runner.run_forever())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    return lifespan
