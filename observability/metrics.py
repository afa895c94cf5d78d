"""Prometheus metrics of the service's processes, and their exposition.

Three kinds of series:

* **Counted as things happen**, in the process where they happen: the web's requests (Litestar's
  Prometheus middleware, set up in `api.metrics`), and the metric objects here for background jobs and
  route solves (`JOB_DURATION`, `JOB_FAILURES`, `SOLVE_DURATION`; `job_timer` and `solve_timer` time a
  block into them). They are ``prometheus_client`` metrics on its default registry.
* **Computed when scraped**: gauges read from the database at each scrape (`SCRAPE_GAUGES`: the sweep's
  lag and the audit chain's state from `observability.domain`, and whatever else registers, such as a job
  queue's depth). Each is an async function of the time of the scrape returning metric families.
* **Static**: ``spareline_build_info``.

Several processes (uvicorn's workers, a job worker's children) each count their own. With
``PROMETHEUS_MULTIPROC_DIR`` set in the environment *before* ``prometheus_client`` is imported, each
process writes its values to files in that directory, and `exposition` adds up every process's files
(``prometheus_client.multiprocess.MultiProcessCollector``). The directory must be emptied before the
processes start (`reset_multiprocess_dir`), never while they run; files of a process that has ended
still count (counters and histograms must), except its live gauges, which `mark_process_dead` removes.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import structlog
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
    start_http_server,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from observability.service import SERVICE_NAME, service_version

log = structlog.get_logger("observability.metrics")

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
_LEGACY_MULTIPROC_ENV = "prometheus_multiproc_dir"

JOB_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0)
SOLVE_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0)

JOB_DURATION = Histogram(
    "spareline_job_duration_seconds",
    "How long background jobs ran, by task and outcome (succeeded, failed, cancelled).",
    ["task", "outcome"],
    buckets=JOB_BUCKETS,
)
JOB_FAILURES = Counter(
    "spareline_job_failures",
    "Background jobs that ended with an error, by task.",
    ["task"],
)
SOLVE_DURATION = Histogram(
    "spareline_solve_duration_seconds",
    "How long route solves ran, by kind (e.g. nbd, urgent, dispatch), solver backend and outcome.",
    ["kind", "backend", "outcome"],
    buckets=SOLVE_BUCKETS,
)


@contextmanager
def job_timer(task: str) -> Iterator[None]:
    """Time a job's block into `JOB_DURATION`: outcome ``succeeded``, ``failed`` (an exception, also
    counted in `JOB_FAILURES`) or ``cancelled`` (cancellation, interrupt or exit). Exceptions pass on."""
    started = time.perf_counter()
    outcome = "cancelled"
    try:
        yield
        outcome = "succeeded"
    except Exception:
        outcome = "failed"
        JOB_FAILURES.labels(task).inc()
        raise
    finally:
        JOB_DURATION.labels(task, outcome).observe(time.perf_counter() - started)


@dataclass(slots=True)
class SolveOutcome:
    """What a timed solve ended as; the block sets ``outcome`` (e.g. ``infeasible``) to say more."""

    outcome: str = "solved"


@contextmanager
def solve_timer(kind: str, backend: str) -> Iterator[SolveOutcome]:
    """Time a solve's block into `SOLVE_DURATION`, with the outcome the block set (``solved`` unless it
    said otherwise; ``error`` for an exception it did not name, ``cancelled`` for a cancellation)."""
    result = SolveOutcome()
    started = time.perf_counter()
    try:
        yield result
    except Exception:
        if result.outcome == "solved":
            result.outcome = "error"
        raise
    except BaseException:
        result.outcome = "cancelled"
        raise
    finally:
        SOLVE_DURATION.labels(kind, backend, result.outcome).observe(time.perf_counter() - started)


ScrapeGauge = Callable[[datetime], Awaitable[Iterable[Metric]]]
"""An async function computing gauges at a scrape: given the time of the scrape, metric families (e.g.
``prometheus_client.core.GaugeMetricFamily``). It runs in the scraping application's domain context,
so it may call the domain services."""

SCRAPE_TIMEOUT_S = 5.0
"""How long one scrape-time gauge function may take before the scrape goes on without it."""


class ScrapeGauges:
    """The gauge functions run at every scrape, in registration order.

    A function that fails or takes longer than ``timeout_s`` leaves its families out of that scrape,
    logs why, and shows as ``spareline_scrape_gauge_up{gauge="<its name>"} 0`` (1 when it answered).
    """

    def __init__(self, timeout_s: float = SCRAPE_TIMEOUT_S) -> None:
        self.timeout_s = timeout_s
        self._functions: list[ScrapeGauge] = []

    def register(self, function: ScrapeGauge) -> ScrapeGauge:
        """Run ``function`` at every scrape from now on (once, however often it is registered); returns
        it, so that it serves as a decorator."""
        if function not in self._functions:
            self._functions.append(function)
        return function

    def unregister(self, function: ScrapeGauge) -> None:
        """Stop running ``function`` at scrapes."""
        if function in self._functions:
            self._functions.remove(function)

    def __iter__(self) -> Iterator[ScrapeGauge]:
        return iter(tuple(self._functions))

    async def collect(self, now: datetime) -> list[Metric]:
        """Every registered function's families at ``now``, one function after the other, then
        ``spareline_scrape_gauge_up``."""
        families: list[Metric] = []
        up = GaugeMetricFamily(
            "spareline_scrape_gauge_up",
            "Whether a gauge computed at scrape time answered in this scrape (1) or failed (0).",
            labels=["gauge"],
        )
        for function in self:
            name = getattr(function, "__name__", repr(function))
            try:
                async with asyncio.timeout(self.timeout_s):
                    computed = list(await function(now))
            except Exception as exc:
                log.warning("scrape_gauge_failed", gauge=name, error_type=type(exc).__name__, error=str(exc))
                up.add_metric([name], 0)
                continue
            families.extend(computed)
            up.add_metric([name], 1)
        families.append(up)
        return families


SCRAPE_GAUGES = ScrapeGauges()
"""The process's scrape-time gauges; `scrape_gauge` registers one."""

scrape_gauge = SCRAPE_GAUGES.register


def build_info() -> GaugeMetricFamily:
    """``spareline_build_info{service, version} 1``."""
    family = GaugeMetricFamily(
        "spareline_build_info",
        "The running service and its version (always 1).",
        labels=["service", "version"],
    )
    family.add_metric([SERVICE_NAME, service_version()], 1)
    return family


class _Families(Collector):
    """Families computed beforehand, for one exposition."""

    def __init__(self, families: Iterable[Metric]) -> None:
        self._families = list(families)

    def collect(self) -> Iterable[Metric]:
        return iter(self._families)


class _Registry(Collector):
    """Everything another registry holds (this process's default registry)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._registry = registry

    def collect(self) -> Iterable[Metric]:
        return self._registry.collect()


def multiprocess_dir() -> Path | None:
    """The directory of multiprocess mode, or None when each process exposes only its own metrics."""
    value = os.environ.get(MULTIPROC_ENV) or os.environ.get(_LEGACY_MULTIPROC_ENV)
    return Path(value) if value else None


def check_multiprocess_dir() -> None:
    """Refuse to serve metrics in multiprocess mode without its directory, rather than fail every request
    that counts something.

    Raises:
        ValueError: ``PROMETHEUS_MULTIPROC_DIR`` names no directory.
    """
    path = multiprocess_dir()
    if path is not None and not path.is_dir():
        raise ValueError(
            f"{MULTIPROC_ENV}={path} is not a directory: create it (empty) before the service starts"
        )


def reset_multiprocess_dir(path: Path | None = None) -> int:
    """Empty the multiprocess directory (``path``, else ``PROMETHEUS_MULTIPROC_DIR``) of the files earlier
    processes left, creating it if it is missing; do this before the processes that write there start.

    Only ``prometheus_client``'s own files (``*.db``) are removed, whatever else the directory holds.

    Returns:
        How many files were removed (0 also when no directory is configured).
    """
    path = path or multiprocess_dir()
    if path is None:
        return 0
    path.mkdir(parents=True, exist_ok=True)
    removed = 0
    for file in path.glob("*.db"):
        file.unlink(missing_ok=True)
        removed += 1
    return removed


def mark_process_dead(pid: int | None = None) -> None:
    """In multiprocess mode, drop the live gauges (e.g. requests in progress) of a process that is ending
    or has ended (this one by default); its counters and histograms keep counting."""
    path = multiprocess_dir()
    if path is not None and path.is_dir():
        multiprocess.mark_process_dead(pid if pid is not None else os.getpid(), str(path))


def exposition(extra: Iterable[Metric] = ()) -> bytes:
    """The Prometheus text exposition: this process's metrics or, in multiprocess mode, every process's
    (added up from the directory's files), then ``spareline_build_info`` and ``extra`` (the scrape-time
    gauges).

    In multiprocess mode the per-process collectors of ``prometheus_client`` (``process_*``, ``python_*``)
    are not exposed: they describe one process only.
    """
    registry = process_registry()
    registry.register(_Families(extra))
    return generate_latest(registry)


def process_registry() -> CollectorRegistry:
    """A registry of what `exposition` exposes without the scrape-time gauges: for a process that serves
    no web requests (a job worker) to expose on a port of its own."""
    registry = CollectorRegistry(auto_describe=False)
    path = multiprocess_dir()
    if path is not None:
        multiprocess.MultiProcessCollector(registry, path=str(path))
    else:
        registry.register(_Registry(REGISTRY))
    registry.register(_Families([build_info()]))
    return registry


def serve_process_metrics(address: str, port: int) -> None:
    """Expose `process_registry` over HTTP on ``address:port`` (any path), from a daemon thread of
    ``prometheus_client``, for as long as the process lives."""
    start_http_server(port, addr=address, registry=process_registry())
    log.info("metrics_served", address=address, port=port)


__all__ = [
    "JOB_DURATION",
    "JOB_FAILURES",
    "MULTIPROC_ENV",
    "SCRAPE_GAUGES",
    "SOLVE_DURATION",
    "ScrapeGauge",
    "ScrapeGauges",
    "SolveOutcome",
    "build_info",
    "check_multiprocess_dir",
    "exposition",
    "job_timer",
    "mark_process_dead",
    "multiprocess_dir",
    "process_registry",
    "reset_multiprocess_dir",
    "scrape_gauge",
    "serve_process_metrics",
    "solve_timer",
]
