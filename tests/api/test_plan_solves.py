"""Plan requests become solves run outside the request, in solver processes, on both engines (on
PostgreSQL through the job queue, on SQLite through the embedded queue).

``Prefer: respond-async`` answers 202 with the solve at its Location, which goes queued or solving, then
done with its plan (or failed with the problem a waiting request was answered with); without it the
request waits and answers as before. One Idempotency-Key is one solve, also for two requests at once.
Requests are served while a solve runs; a service that stops or restarts fails its unfinished solves and
kills their processes.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import httpx
import pytest
from litestar import Litestar
from prometheus_client import REGISTRY

import routing
from api.app import create_app
from api.controllers.routing import planning_policy
from api.domain_context import domain_context
from api.settings import Settings
from api.solves import ABANDONED, SOLVE_QUEUE_KEY, STOPPED, InProcessSolves
from fixtures.demo import load_demo
from jobs import QueuedSolves
from routing import SolverPool
from routing.tables import PlanSolve, RoutePlanRecord
from tests.api.solver_gate import gated
from tests.conftest import SettableClock, test_settings

A = TypeVar("A")
T = TypeVar("T")

CHINA = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 11, 24)
TOMORROW = date(2026, 11, 25)
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=CHINA)
MINUTE = timedelta(minutes=1)
BODY = {"date": str(TOMORROW), "time_limit_s": 0.5}
DEPLOYED = {"worker_in_web": True, "worker_queues": ["solves"]}
"""Solves run as a deployment runs them: on PostgreSQL by the job queue (here a worker of the solves'
queue in the web process), on SQLite by the embedded queue."""
EMBEDDED = {"background": "in-process"}
"""The embedded queue on either engine, for what it alone does (its shutdown, its heartbeats)."""
ASYNC = {"Prefer": "respond-async"}


@dataclass
class Served:
    app: Litestar
    client: httpx.AsyncClient
    headers: dict[str, dict[str, str]]


@asynccontextmanager
async def serving(
    settings: Settings,
    *,
    policy: routing.PlanningPolicy | None = None,
    demo: bool = True,
    clock: Callable[[], datetime] = lambda: NOW,
    heartbeat_s: float | None = None,
) -> AsyncIterator[Served]:
    """The service on ``settings`` (and ``policy``) at `NOW`, its lifespan running, the demo loaded."""
    app = create_app(settings, clock=clock, policy=policy)
    if heartbeat_s is not None:
        app.state[SOLVE_QUEUE_KEY].heartbeat_s = heartbeat_s
    async with (
        app.lifespan(),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client,
    ):
        if demo:
            with domain_context(app).entered():
                await load_demo(password="demo", passwords=settings.passwords(), now=NOW)
        headers = {}
        for user in ("dispatcher", "warehouse", "zhb") if demo else ():
            response = await client.post("/api/v1/auth/token", json={"username": user, "password": "demo"})
            headers[user] = {"Authorization": f"Bearer {response.json()['access_token']}"}
        yield Served(app, client, headers)


async def settled(client: httpx.AsyncClient, location: str, headers: dict[str, str]) -> dict[str, Any]:
    """The solve at ``location`` once it is done or failed, checking every state it shows on the way."""
    while True:
        response = await client.get(location, headers=headers)
        assert response.status_code == 200, response.text
        solve = response.json()
        assert solve["state"] in {"queued", "solving", "done", "failed"}
        if solve["state"] in {"done", "failed"}:
            return solve
        await asyncio.sleep(0.02)


async def eventually(condition: Callable[[], bool]) -> None:
    while True:
        if condition():
            return
        await asyncio.sleep(0.02)


async def counts(app: Litestar) -> tuple[int, int]:
    """Solves and plans in the database."""
    with domain_context(app).entered():
        return await PlanSolve.count(), await RoutePlanRecord.count()


@pytest.fixture
def settings(database_url: str) -> Settings:
    return test_settings(database_url, **DEPLOYED)


async def test_respond_async_answers_202_and_the_solve_leads_to_its_plan(settings: Settings) -> None:
    async with serving(settings) as served:
        client, dispatcher = served.client, served.headers["dispatcher"]
        queue = served.app.state[SOLVE_QUEUE_KEY]
        assert isinstance(queue, InProcessSolves if settings.is_sqlite else QueuedSolves)
        for path, kind in (("/api/v1/routing/nbd-plans", "nbd"), ("/api/v1/dispatch/plans", "dispatch")):
            body = {**BODY, "date": str(TOMORROW if kind == "nbd" else TODAY)}
            response = await client.post(path, json=body, headers={**dispatcher, **ASYNC})
            assert response.status_code == 202, response.text
            assert response.headers["Preference-Applied"] == "respond-async"
            accepted = response.json()
            prefix = "/api/v1/routing" if kind == "nbd" else "/api/v1/dispatch"
            assert response.headers["Location"] == f"{prefix}/solves/{accepted['id']}"
            assert accepted["kind"] == kind
            assert accepted["state"] in {"queued", "solving"}
            assert accepted["plan_id"] is None
            assert accepted["problem"] is None
            assert accepted["requested_by"] == "dispatcher"
            solve = await settled(client, response.headers["Location"], dispatcher)
            assert solve["state"] == "done", solve
            assert solve["attempts"] == 1
            times = [datetime.fromisoformat(solve[f]) for f in ("requested_at", "started_at", "finished_at")]
            assert times == sorted(times)
            assert solve["plan"] == f"{prefix}/plans/{solve['plan_id']}"
            plan = await client.get(solve["plan"], headers=dispatcher)
            assert plan.status_code == 200
            assert plan.json()["kind"] == kind
            assert plan.json()["status"] == "draft"
            # Staff read solves as they read plans; customers do not.
            assert (
                await client.get(response.headers["Location"], headers=served.headers["warehouse"])
            ).is_success
            assert (
                await client.get(response.headers["Location"], headers=served.headers["zhb"])
            ).status_code == 403
        assert (await client.get("/api/v1/routing/solves/999999", headers=dispatcher)).status_code == 404
        # The dispatch routes show dispatch solves only; the routing routes any (as for plans).
        nbd_solve, dispatch_solve = 1, 2
        assert (
            await client.get(f"/api/v1/dispatch/solves/{nbd_solve}", headers=dispatcher)
        ).status_code == 404
        assert (await client.get(f"/api/v1/routing/solves/{dispatch_solve}", headers=dispatcher)).is_success
        # Without the preference the request waits and answers the plan, as it always did.
        waited = await client.post("/api/v1/routing/nbd-plans", json=BODY, headers=dispatcher)
        assert waited.status_code == 201, waited.text
        assert "Preference-Applied" not in waited.headers
        assert waited.json()["kind"] == "nbd"
        assert await counts(served.app) == (3, 3)


async def test_one_idempotency_key_is_one_solve_even_for_two_requests_at_once(settings: Settings) -> None:
    async with serving(settings) as served:
        client = served.client
        headers = {**served.headers["dispatcher"], "Idempotency-Key": "plan-2026-11-25"}
        first, second = await asyncio.gather(
            client.post("/api/v1/routing/nbd-plans", json=BODY, headers=headers),
            client.post("/api/v1/routing/nbd-plans", json=BODY, headers=headers),
        )
        assert first.status_code == second.status_code == 201, (first.text, second.text)
        assert first.json()["id"] == second.json()["id"]
        assert sorted(r.headers.get("Idempotency-Replayed", "") for r in (first, second)) == ["", "true"]
        assert await counts(served.app) == (1, 1)
        # Asked again asynchronously with the same key: the same solve, at the same place.
        accepted = await client.post("/api/v1/routing/nbd-plans", json=BODY, headers={**headers, **ASYNC})
        assert accepted.status_code == 202
        assert accepted.headers["Idempotency-Replayed"] == "true"
        assert accepted.json()["state"] == "done"
        assert accepted.json()["plan_id"] == first.json()["id"]
        # The same key with another body is refused; the same key on the dispatch route is another request.
        other = await client.post("/api/v1/routing/nbd-plans", json={**BODY, "seed": 7}, headers=headers)
        assert other.status_code == 422
        assert other.json()["type"] == "urn:spareline:problem:idempotency-key-reused"
        assert other.json()["errors"] == [
            {"field": "Idempotency-Key", "message": "this Idempotency-Key was used for a different request"}
        ]
        dispatch = await client.post(
            "/api/v1/dispatch/plans", json={**BODY, "date": str(TODAY)}, headers={**headers, **ASYNC}
        )
        assert dispatch.status_code == 202
        assert "Idempotency-Replayed" not in dispatch.headers
        await settled(client, dispatch.headers["Location"], headers)
        assert await counts(served.app) == (2, 2)


async def test_a_failing_solve_keeps_the_problem_a_waiting_request_is_answered_with(
    database_url: str,
) -> None:
    async with serving(test_settings(database_url, routing_max_stops=5, **DEPLOYED)) as served:
        client, dispatcher = served.client, served.headers["dispatcher"]
        waited = await client.post("/api/v1/routing/nbd-plans", json=BODY, headers=dispatcher)
        assert waited.status_code == 422
        assert waited.headers["content-type"] == "application/problem+json"
        assert waited.json()["type"] == "urn:spareline:problem:routing-problem-too-large"
        accepted = await client.post("/api/v1/routing/nbd-plans", json=BODY, headers={**dispatcher, **ASYNC})
        assert accepted.status_code == 202
        solve = await settled(client, accepted.headers["Location"], dispatcher)
        assert solve["state"] == "failed"
        assert solve["plan_id"] is None
        assert solve["plan"] is None
        assert solve["problem"] == waited.json()
        assert await counts(served.app) == (2, 0)
        # What can be refused before solving is refused before any solve is stored.
        for body in (
            {**BODY, "time_limit_s": 3600},
            {**BODY, "depots": ["NOPE"]},
            {**BODY, "date": "2030-01-01"},
        ):
            refused = await client.post(
                "/api/v1/routing/nbd-plans", json=body, headers={**dispatcher, **ASYNC}
            )
            assert refused.status_code == 422, refused.text
        assert await counts(served.app) == (2, 0)


class GatedPool(SolverPool):
    """Solver processes whose work waits at a gate (`tests.api.solver_gate`) before it runs."""

    def __init__(self, folder: Path) -> None:
        super().__init__(1)
        self.started, self.gate = folder / "started", folder / "gate"

    async def run(self, function: Callable[[A], T], argument: A, *, timeout_s: float) -> T:
        call = (function, argument, str(self.started), str(self.gate))
        return await super().run(gated, call, timeout_s=timeout_s)  # type: ignore[arg-type]

    @property
    def pid(self) -> int:
        return int(self.started.read_text())


def gated_policy(settings: Settings, folder: Path) -> tuple[routing.PlanningPolicy, GatedPool]:
    pool = GatedPool(folder)
    return replace(planning_policy(settings), pool=pool), pool


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def test_requests_are_served_while_a_solve_runs(database_url: str, tmp_path: Path) -> None:
    settings = test_settings(database_url, routing_solve_margin_s=300, **EMBEDDED)
    policy, pool = gated_policy(settings, tmp_path)
    async with serving(settings, policy=policy) as served:
        client, dispatcher = served.client, served.headers["dispatcher"]
        accepted = await client.post("/api/v1/routing/nbd-plans", json=BODY, headers={**dispatcher, **ASYNC})
        assert accepted.status_code == 202
        location = accepted.headers["Location"]
        await eventually(pool.started.exists)
        # The solve is running in its process, which cannot finish before the gate opens: meanwhile the
        # service answers.
        health = await client.get("/health")
        assert health.status_code == 200
        assert (await client.get(location, headers=dispatcher)).json()["state"] == "solving"
        assert (await client.get("/api/v1/vehicles", headers=dispatcher)).status_code == 200
        assert alive(pool.pid)
        assert pool.pid != os.getpid()
        pool.gate.touch()
        solve = await settled(client, location, dispatcher)
        assert solve["state"] == "done"
        assert (await client.get(solve["plan"], headers=dispatcher)).status_code == 200


async def test_a_stopping_service_fails_its_unfinished_solves_and_kills_their_processes(
    database_url: str, tmp_path: Path
) -> None:
    settings = test_settings(database_url, routing_solve_margin_s=300, **EMBEDDED)
    policy, pool = gated_policy(settings, tmp_path)
    async with serving(settings, policy=policy) as served:
        client, dispatcher = served.client, served.headers["dispatcher"]
        accepted = await client.post("/api/v1/routing/nbd-plans", json=BODY, headers={**dispatcher, **ASYNC})
        location = accepted.headers["Location"]
        await eventually(pool.started.exists)
        # A solve stored but never handed to a queue, as if the service had died right after storing it.
        with domain_context(served.app).entered():
            orphan = await routing.request_solve(
                "dispatch", TODAY, None, time_limit_s=1, seed=0, actor="dispatcher", now=NOW - MINUTE
            )
    assert not alive(pool.pid)
    async with serving(settings, demo=False) as again:
        with domain_context(again.app).entered():
            stopped = await routing.get_solve(accepted.json()["id"])
            assert stopped.state == "failed"
            assert stopped.failure is not None
            assert stopped.failure.code == "routing-solve-aborted"
            assert stopped.failure.detail == STOPPED
            # Failed as the service started, before it served anything.
            left = await routing.get_solve(orphan.id)
            assert left.state == "failed"
            assert left.failure is not None
            assert left.failure.detail == ABANDONED
        token = await again.client.post(
            "/api/v1/auth/token", json={"username": "dispatcher", "password": "demo"}
        )
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        shown = (await again.client.get(location, headers=headers)).json()
        assert shown["state"] == "failed"
        assert shown["problem"]["status"] == 503
        assert shown["problem"]["type"] == "urn:spareline:problem:routing-solve-aborted"
        assert await counts(again.app) == (2, 0)


async def test_a_starting_service_fails_solves_nobody_runs_but_not_those_another_process_runs(
    postgres_url: str, tmp_path: Path
) -> None:
    """Several web processes share a database on PostgreSQL only (SQLite serves one)."""
    settings = test_settings(postgres_url, routing_solve_margin_s=300, **EMBEDDED)
    policy, pool = gated_policy(settings, tmp_path)
    clock = SettableClock()
    clock.now = NOW
    async with serving(settings, policy=policy, clock=clock, heartbeat_s=0.05) as first:
        dispatcher = first.headers["dispatcher"]
        accepted = await first.client.post(
            "/api/v1/routing/nbd-plans", json=BODY, headers={**dispatcher, **ASYNC}
        )
        running = accepted.json()["id"]
        await eventually(pool.started.exists)
        with domain_context(first.app).entered():
            orphan = await routing.request_solve(
                "dispatch", TODAY, None, time_limit_s=1, seed=0, actor="dispatcher", now=NOW
            )
            # Later, when the first service has renewed the heartbeat of the solve it runs:
            clock.now = NOW + 5 * MINUTE
            while True:
                row = await PlanSolve.select(PlanSolve.heartbeat_at).where(PlanSolve.id == running).first()
                if row["heartbeat_at"] is not None and row["heartbeat_at"] >= clock.now:
                    break
                await asyncio.sleep(0.02)
        # another process of the service starts on the same database.
        async with serving(settings, demo=False, clock=clock, heartbeat_s=0.05) as second:
            with domain_context(second.app).entered():
                assert (await routing.get_solve(running)).state == "solving"
                left = await routing.get_solve(orphan.id)
                assert left.state == "failed"
                assert left.failure is not None
                assert left.failure.detail == ABANDONED
        pool.gate.touch()
        solve = await settled(first.client, accepted.headers["Location"], dispatcher)
        assert solve["state"] == "done"


def solves_observed(kind: str, outcome: str) -> float:
    """``spareline_solve_duration_seconds_count`` of this process for ``kind`` and ``outcome``, all
    backends together."""
    return sum(
        sample.value
        for family in REGISTRY.collect()
        if family.name == "spareline_solve_duration_seconds"
        for sample in family.samples
        if sample.name.endswith("_count")
        and sample.labels.get("kind") == kind
        and sample.labels.get("outcome") == outcome
    )


async def test_every_finished_solve_is_observed_by_kind_and_outcome(settings: Settings) -> None:
    async with serving(settings) as served:
        before = solves_observed("nbd", "done")
        response = await served.client.post(
            "/api/v1/routing/nbd-plans", json=BODY, headers={**served.headers["dispatcher"], **ASYNC}
        )
        assert response.status_code == 202, response.text
        solve = await settled(served.client, response.headers["Location"], served.headers["dispatcher"])
        assert solve["state"] == "done"
        await eventually(lambda: solves_observed("nbd", "done") == before + 1)
