"""The metric objects background jobs use, and scrape-time gauges that fail or hang."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from prometheus_client import REGISTRY
from prometheus_client.core import GaugeMetricFamily

from observability.metrics import ScrapeGauges, job_timer, solve_timer

NOW = datetime(2026, 11, 24, 2, tzinfo=UTC)


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_a_job_is_timed_by_outcome_and_its_failures_counted():
    succeeded = sample("spareline_job_duration_seconds_count", task="unit-job", outcome="succeeded")
    failed = sample("spareline_job_duration_seconds_count", task="unit-job", outcome="failed")
    failures = sample("spareline_job_failures_total", task="unit-job")
    with job_timer("unit-job"):
        pass
    with pytest.raises(ValueError, match="bad input"), job_timer("unit-job"):
        raise ValueError("bad input")
    assert (
        sample("spareline_job_duration_seconds_count", task="unit-job", outcome="succeeded") == succeeded + 1
    )
    assert sample("spareline_job_duration_seconds_count", task="unit-job", outcome="failed") == failed + 1
    assert sample("spareline_job_failures_total", task="unit-job") == failures + 1


def test_a_cancelled_job_is_no_failure():
    failures = sample("spareline_job_failures_total", task="unit-cancelled")
    cancelled = sample("spareline_job_duration_seconds_count", task="unit-cancelled", outcome="cancelled")
    with pytest.raises(asyncio.CancelledError), job_timer("unit-cancelled"):
        raise asyncio.CancelledError
    assert (
        sample("spareline_job_duration_seconds_count", task="unit-cancelled", outcome="cancelled")
        == cancelled + 1
    )
    assert sample("spareline_job_failures_total", task="unit-cancelled") == failures


def test_a_solve_is_timed_with_the_outcome_it_names():
    labels = {"kind": "unit", "backend": "ortools"}
    outcomes = ("solved", "infeasible", "error")
    before = {o: sample("spareline_solve_duration_seconds_count", **labels, outcome=o) for o in outcomes}
    with solve_timer("unit", "ortools"):
        pass
    with solve_timer("unit", "ortools") as solve:
        solve.outcome = "infeasible"
    with pytest.raises(RuntimeError), solve_timer("unit", "ortools"):
        raise RuntimeError("solver crashed")
    for outcome in outcomes:
        count = sample("spareline_solve_duration_seconds_count", **labels, outcome=outcome)
        assert count == before[outcome] + 1, outcome


async def test_scrape_gauges_run_once_each_and_a_bad_one_leaves_the_rest():
    gauges = ScrapeGauges(timeout_s=0.05)

    async def queue_depth(now: datetime) -> list[GaugeMetricFamily]:
        return [GaugeMetricFamily("unit_queue_depth", "Jobs waiting.", value=now.hour)]

    async def broken(_now: datetime) -> list[GaugeMetricFamily]:
        raise RuntimeError("away")

    async def hanging(_now: datetime) -> list[GaugeMetricFamily]:
        await asyncio.Event().wait()
        return []

    for function in (queue_depth, broken, hanging, queue_depth):
        gauges.register(function)
    families = await gauges.collect(NOW)
    by_name = {family.name: family for family in families}
    assert [s.value for s in by_name["unit_queue_depth"].samples] == [2]  # registered once
    up = {s.labels["gauge"]: s.value for s in by_name["spareline_scrape_gauge_up"].samples}
    assert up == {"queue_depth": 1, "broken": 0, "hanging": 0}
    gauges.unregister(broken)
    gauges.unregister(hanging)
    assert list(gauges) == [queue_depth]
