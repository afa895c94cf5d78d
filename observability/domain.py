"""Gauges of the domain, read from the database at each scrape: how far the background sweep is behind,
and the state of the audit chain (`DOMAIN_GAUGES`, which the web registers in
`observability.metrics.SCRAPE_GAUGES`).

They run in the scraping application's domain context and ask the domain services
(`inventory.tickets.sweep_lag`, `inventory.audit.chain_status`), a few indexed reads per scrape.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from prometheus_client.core import GaugeMetricFamily, Metric

from inventory.audit import chain_status
from inventory.tickets import sweep_lag


async def sweep_lag_gauges(now: datetime) -> Iterable[Metric]:
    """``spareline_sweep_lag_seconds{sweep}``: the age of the oldest work the sweep has not done."""
    lag = await sweep_lag(now)
    family = GaugeMetricFamily(
        "spareline_sweep_lag_seconds",
        "Age of the oldest work the background sweep has not done yet: an SLA milestone past due and not "
        "marked breached (sweep=sla_breaches), an active reservation past its expiry (sweep="
        "reservation_expiry); 0 when none waits.",
        labels=["sweep"],
    )
    family.add_metric(["sla_breaches"], lag.unmarked_breach_s)
    family.add_metric(["reservation_expiry"], lag.unexpired_reservation_s)
    return [family]


async def audit_chain_gauges(now: datetime) -> Iterable[Metric]:
    """The audit chain's length, its last checkpoint's age and what it does not cover, and its queue."""
    status = await chain_status(now)
    families = [
        GaugeMetricFamily(
            "spareline_audit_chain_length",
            "Entries in the audit chain (the head's seq).",
            value=status.length,
        ),
        GaugeMetricFamily(
            "spareline_audit_uncovered_entries",
            "Audit chain entries after the last signed checkpoint.",
            value=status.uncovered,
        ),
        GaugeMetricFamily(
            "spareline_audit_queue_rows",
            "Audit entries queued for linking or purging (PostgreSQL's audit_pending; 0 on SQLite).",
            value=status.queue_rows,
        ),
    ]
    age = GaugeMetricFamily(
        "spareline_audit_checkpoint_age_seconds",
        "Seconds since the last audit checkpoint was signed (no sample before the first one).",
    )
    if status.checkpoint_age_s is not None:
        age.add_metric([], status.checkpoint_age_s)
    families.append(age)
    return families


DOMAIN_GAUGES = (sweep_lag_gauges, audit_chain_gauges)
