"""The periodic jobs of the service, one registry for both ways of running them.

Each job is a plain async function of the time and the values it needs (`PeriodicParams`); it runs in
the domain context of whoever calls it (`DomainContext.entered()` and the engine being served), never in
one of its own. Two runners use this registry:

* the job queue (`jobs.queue`, PostgreSQL): each job is a Procrastinate task deferred on its ``cron``;
  the database defers it once per period however many workers run, and a job lock keeps two runs of
  one job from overlapping;
* the in-process runner (`jobs.in_process`, the embedded default on SQLite): one loop in the one web
  process runs each job every ``every_s`` seconds, or at each of its ticks when that is None.

Every job is also safe to run twice at once (each change is claimed by a conditional update, a delete
or the head row lock), so a late run after a worker restart changes nothing twice.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import structlog

from inventory import accounts
from inventory.audit import checkpoint_if_due, purge_linked
from inventory.notifications import DeliveryPolicy, deliver_due, purge_notifications
from inventory.planning import recompute_forecasts
from inventory.tickets import expire_due, sweep_breaches

log = structlog.get_logger("jobs.periodic")

Outcome = Mapping[str, int | None]
"""What a run did, by name (counts, the position of a checkpoint signed), for the logs."""


@dataclass(frozen=True, slots=True)
class PeriodicParams:
    """The settings the periodic jobs read (AUDIT_CHECKPOINT_EVERY_ENTRIES and _SECONDS, how
    notifications are delivered: WEBHOOK_* and SMTP_*, and how long they are kept:
    NOTIFICATION_RETENTION_DAYS)."""

    checkpoint_every_entries: int = 1_000
    checkpoint_every_seconds: float = 3_600
    delivery: DeliveryPolicy = field(default_factory=DeliveryPolicy)
    notification_retention: timedelta = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class PeriodicJob:
    """One periodic job.

    ``name`` is stable: it names the Procrastinate task (``spareline.<name>``), its periodic id, its job
    lock and its queueing lock. ``cron`` is when the queue defers it (UTC; a sixth field counts
    seconds). ``every_s`` is how often the in-process runner runs it; None for every tick of the runner
    (SWEEP_INTERVAL_S, the in-process "minute").
    """

    name: str
    cron: str
    every_s: float | None
    run: Callable[[datetime, PeriodicParams], Awaitable[Outcome]]


async def mark_breaches_and_expire(now: datetime, params: PeriodicParams) -> Outcome:
    """Release the reservations past their expiry, then record the SLA milestones past their due time
    as breached (in the ticket's clocks, the audit chain and the log)."""
    expired = await expire_due(now)
    breaches = await sweep_breaches(now)
    if breaches or expired:
        log.info("sweep", breaches=breaches, expired_reservations=expired)
    return {"breaches": breaches, "expired_reservations": expired}


async def checkpoint_audit(now: datetime, params: PeriodicParams) -> Outcome:
    """Sign an audit checkpoint when one is due (`inventory.audit.checkpoint_if_due`: at most one per
    chain head, each logged as ``audit_checkpoint_signed``)."""
    checkpoint = await checkpoint_if_due(
        now,
        every_entries=params.checkpoint_every_entries,
        every_seconds=params.checkpoint_every_seconds,
    )
    return {"checkpoint_seq": checkpoint.seq if checkpoint else None}


async def purge_audit_queue(now: datetime, params: PeriodicParams) -> Outcome:
    """Remove the audit chain's queue rows that are linked (PostgreSQL; SQLite queues none)."""
    return {"audit_queue_purged": await purge_linked()}


async def purge_idempotency(now: datetime, params: PeriodicParams) -> Outcome:
    """Delete the answers kept for ``Idempotency-Key`` retries past their retention."""
    purged = await accounts.purge_idempotency_records(now)
    if purged:
        log.info("idempotency_records_purged", purged=purged)
    return {"idempotency_records_purged": purged}


async def purge_login_attempts(now: datetime, params: PeriodicParams) -> Outcome:
    """Delete the counters of the shared login throttle whose window has closed."""
    return {"login_attempts_purged": await accounts.purge_login_attempts(now)}


async def deliver_notifications(now: datetime, params: PeriodicParams) -> Outcome:
    """Send the webhooks and e-mails due (`inventory.notifications.deliver_due`): new events, and
    retries whose backoff has passed."""
    return await deliver_due(now, params.delivery)


async def purge_old_notifications(now: datetime, params: PeriodicParams) -> Outcome:
    """Delete the notification events, deliveries and attempts past their retention, never one still
    due (`inventory.notifications.purge_notifications`)."""
    purged = await purge_notifications(now, params.notification_retention)
    if any(purged.values()):
        log.info("notifications_purged", **purged)
    return purged


async def recompute_demand_forecasts(now: datetime, params: PeriodicParams) -> Outcome:
    """Forecast every part's demand at every depot from the issue history, and the stock levels of the
    auto policies (`inventory.planning.recompute_forecasts`); never done in a request."""
    series = await recompute_forecasts(now)
    log.info("demand_forecasts_recomputed", series=series)
    return {"forecast_series": series}


MINUTE = "* * * * *"
EVERY_TEN_SECONDS = "* * * * * */10"

PERIODIC_JOBS: tuple[PeriodicJob, ...] = (
    PeriodicJob("sla-breaches-and-reservation-expiry", MINUTE, None, mark_breaches_and_expire),
    PeriodicJob("audit-queue-purge", MINUTE, None, purge_audit_queue),
    PeriodicJob("audit-checkpoint", MINUTE, None, checkpoint_audit),
    PeriodicJob("notification-delivery", EVERY_TEN_SECONDS, None, deliver_notifications),
    PeriodicJob("idempotency-purge", "7 * * * *", 3_600, purge_idempotency),
    PeriodicJob("login-attempt-purge", "37 * * * *", 3_600, purge_login_attempts),
    PeriodicJob("notification-purge", "47 * * * *", 3_600, purge_old_notifications),
    PeriodicJob("demand-forecasts", "23 2 * * *", 86_400, recompute_demand_forecasts),
)
"""Every periodic job of the service, run by the queue's workers or by the in-process runner. The job
queue adds its own upkeep to these (`jobs.queue`: stalled job recovery, old job removal)."""
