"""The route solves' series: each solve that ends, done or failed, is observed once in
``spareline_solve_duration_seconds`` by kind, solver backend and outcome, by whichever process ran it
(a worker of the job queue, or the embedded queue of the web on SQLite)."""

from __future__ import annotations

import structlog

import routing
from observability import SOLVE_DURATION

log = structlog.get_logger("jobs.solve_metrics")


async def observe_solve(solve: routing.SolveView) -> None:
    """Observe a finished solve: from its start to its end; the outcome is ``done`` or the error it
    failed with (e.g. ``no-solution``); the backend is the one its plan records (``none`` if it made
    no plan). A solve not finished yet, or never started, is not observed."""
    if solve.state not in ("done", "failed") or solve.started_at is None or solve.finished_at is None:
        return
    backend = "none"
    if solve.plan_id is not None:
        try:
            backend = str((await routing.get_plan(solve.plan_id)).stats.get("backend", "none"))
        except Exception:  # the solve is done whatever its metrics read
            log.warning("solve_backend_unknown", solve=solve.id, exc_info=True)
            backend = "unknown"
    outcome = "done" if solve.failure is None else solve.failure.code
    seconds = (solve.finished_at - solve.started_at).total_seconds()
    SOLVE_DURATION.labels(solve.kind, backend, outcome).observe(max(0.0, seconds))
