"""Observability shared by the service's processes: Prometheus metrics (`observability.metrics`), the
domain's scrape-time gauges (`observability.domain`), OpenTelemetry tracing (`observability.tracing`) and
what a process says about itself (`observability.service`).

It imports no web framework: the web (`api`) and background job processes use it alike.
"""

from observability.metrics import (
    JOB_DURATION,
    JOB_FAILURES,
    SCRAPE_GAUGES,
    SOLVE_DURATION,
    ScrapeGauge,
    SolveOutcome,
    exposition,
    job_timer,
    mark_process_dead,
    reset_multiprocess_dir,
    scrape_gauge,
    serve_process_metrics,
    solve_timer,
)
from observability.service import SERVICE_NAME, host_name, service_version

__all__ = [
    "JOB_DURATION",
    "JOB_FAILURES",
    "SCRAPE_GAUGES",
    "SERVICE_NAME",
    "SOLVE_DURATION",
    "ScrapeGauge",
    "SolveOutcome",
    "exposition",
    "host_name",
    "job_timer",
    "mark_process_dead",
    "reset_multiprocess_dir",
    "scrape_gauge",
    "serve_process_metrics",
    "service_version",
    "solve_timer",
]
