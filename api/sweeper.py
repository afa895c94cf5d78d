"""The background sweep, every SWEEP_INTERVAL_S seconds: SLA breaches, reservation expiry, audit
checkpoints (by AUDIT_CHECKPOINT_EVERY_ENTRIES and AUDIT_CHECKPOINT_EVERY_SECONDS), and the removal of
linked audit queue rows.

Each application runs one, in its own domain context (`api.domain_context`); the sweeps claim every
change with a conditional update, so running them in several processes at once is safe (the work is
simply shared).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

import structlog
from litestar import Litestar

from api.domain_context import DomainContext, domain_context
from api.settings import Settings
from inventory.audit import checkpoint_if_due, purge_linked
from inventory.tickets import expire_due, sweep_breaches

log = structlog.get_logger("api.sweeper")


@dataclass(frozen=True, slots=True)
class SweepResult:
    breaches: int
    expired_reservations: int
    checkpoint_seq: int | None
    audit_queue_purged: int


async def sweep_once(
    now: datetime, *, checkpoint_every_entries: int = 1_000, checkpoint_every_seconds: float = 3_600
) -> SweepResult:
    """Expire reservations past their time, mark milestones past their due time, sign an audit checkpoint
    when the chain has grown by ``checkpoint_every_entries`` since the last one or its oldest entry not
    covered by one is ``checkpoint_every_seconds`` old, and remove the audit queue's linked rows."""
    expired = await expire_due(now)
    breaches = await sweep_breaches(now)
    checkpoint = await checkpoint_if_due(
        now, every_entries=checkpoint_every_entries, every_seconds=checkpoint_every_seconds
    )
    purged = await purge_linked()
    return SweepResult(breaches, expired, checkpoint.seq if checkpoint else None, purged)


def sweeper_lifespan(settings: Settings, clock: Callable[[], datetime]):
    """An app lifespan running `sweep_once` in the background, in the app's domain context (off when
    SWEEP_INTERVAL_S is 0)."""

    async def loop(domain: DomainContext) -> None:
        with domain.entered():
            while True:
                try:
                    result = await sweep_once(
                        clock(),
                        checkpoint_every_entries=settings.audit_checkpoint_every_entries,
                        checkpoint_every_seconds=settings.audit_checkpoint_every_seconds,
                    )
                    if result.breaches or result.expired_reservations:
                        log.info(
                            "sweep",
                            breaches=result.breaches,
                            expired_reservations=result.expired_reservations,
                        )
                except Exception:
                    log.exception("sweep_failed")
                await asyncio.sleep(settings.sweep_interval_s)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        if settings.sweep_interval_s <= 0:
            yield
            return
        task = asyncio.create_task(loop(domain_context(app)))
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    return lifespan
