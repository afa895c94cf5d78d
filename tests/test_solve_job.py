"""The solve job gives up as the queue's retry strategy does: after its last attempt fails, the solve
is marked ``failed`` (nobody will run it any more), while an earlier failure leaves it for the retry."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime

import procrastinate
import pytest
from procrastinate.testing import InMemoryConnector

import routing
from jobs import SOLVE_RETRY
from jobs.queue import ENVIRONMENT_KEY, SOLVE_TASK, SOLVES_QUEUE, JobEnvironment, solve
from tests.conftest import in_domain, test_settings

NOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
LAST_ATTEMPT = SOLVE_RETRY.max_attempts


class DatabaseAway(Exception):
    """An infrastructure error: the job's retry strategy retries it."""


async def failing_run(solve_id: int, *, policy: object, now: datetime) -> None:
    raise DatabaseAway("connection refused")


def context_of(solve_id: int, attempts: int, settings) -> procrastinate.JobContext:
    env = JobEnvironment(
        enter=lambda: None,  # type: ignore[arg-type,return-value]
        clock=lambda: NOW,
        params=settings.periodic_params(),
        run_solve=failing_run,
        abort_solve=routing.abort_solve,
    )
    job = procrastinate.jobs.Job(
        id=1,
        queue=SOLVES_QUEUE,
        lock=None,
        queueing_lock=None,
        task_name=SOLVE_TASK,
        task_kwargs={"solve_id": solve_id},
        attempts=attempts,
    )
    return procrastinate.JobContext(
        app=procrastinate.App(connector=InMemoryConnector()),
        job=job,
        start_timestamp=time.time(),
        abort_reason=lambda: None,
        additional_context={ENVIRONMENT_KEY: env},
    )


@pytest.mark.parametrize(
    ("attempts", "state"), [(0, "queued"), (LAST_ATTEMPT - 1, "queued"), (LAST_ATTEMPT, "failed")]
)
async def test_only_the_last_failed_attempt_fails_the_solve(
    database_url: str, attempts: int, state: str
) -> None:
    settings = test_settings(database_url)
    with in_domain(settings):
        requested = await routing.request_solve(
            "dispatch", date(2026, 12, 7), None, time_limit_s=1, seed=0, actor="dispatcher", now=NOW
        )
        with pytest.raises(DatabaseAway):
            await solve(context_of(requested.id, attempts, settings), requested.id)
        after = await routing.get_solve(requested.id)
    assert after.state == state
    if state == "failed":
        assert after.failure is not None
        assert after.failure.code == "routing-solve-aborted"
        assert f"after {LAST_ATTEMPT + 1} attempts" in after.failure.detail
