"""Plan solves: a request for a day's plan is a row (`routing.tables.PlanSolve`) that a queue runs outside
the request that asked for it.

* `request_solve` checks what it can without solving (the day's window, the time limit, the depots) and
  stores the solve ``queued``. With an ``Idempotency-Key`` the unique index on the caller, the route
  (the kind) and the key decides: the same key and body give the solve already stored (``replayed``),
  also when both requests arrive at once; another body is `IdempotencyKeyReused` (422).
* The application hands the new solve to its `SolveQueue` (the embedded one runs it in the web process's
  event loop; a job queue in worker processes), which calls `run_solve`: it claims the solve
  (``queued``/``solving`` -> ``solving``, one more attempt), reads the day, runs the CPU work in a
  solver process (`routing.planning`, `routing.solver_pool`), and keeps the plan as a draft and marks
  the solve ``done`` in one transaction. An error of the request or the day (a domain or routing error:
  `NoSolution`, `ProblemTooLarge`, `InvalidRequest`, `SolverOverran`, ...) marks it ``failed`` with the
  error (`SolveFailure`), which the API answers as the problem document it would have answered at once;
  anything else (the database away, the worker shutting down) propagates, so that the queue runs it
  again. A solve already ``done`` or ``failed`` is returned unchanged.
* `get_solve` reads one, and `wait_for_solve` waits for it to finish by polling its row with
  asynchronous sleeps (a few reads per second at most): it never blocks the event loop, needs no
  connection of its own and works the same on both engines and from any process, where PostgreSQL's
  LISTEN/NOTIFY would hold a connection per waiter and has no SQLite counterpart.
* `abort_solve` marks a solve that will not finish (its service stopping) ``failed`` with `SolveAborted`;
  `touch_solves` is the heartbeat of the solves a runner holds, and `abort_stale_solves` fails those
  whose heartbeat stopped (their runner died).
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any, Protocol, runtime_checkable

import structlog

from inventory.errors import DomainError, IdempotencyKeyReused, InvalidRequest, NotFound
from inventory.persistence import run, write_transaction
from inventory.stock.catalogue import depot_ids
from inventory.time_window import check_plan_day
from routing.errors import (
    InfeasiblePlan,
    InvalidProblem,
    RoutingError,
    SolveAborted,
    SolverCrashed,
    SolverOverran,
)
from routing.plan_store import DISPATCH, NBD, save_plan
from routing.planning import PlanningPolicy, SolvedPlan, solve_dispatch_day, solve_nbd_day
from routing.solver import check_limits
from routing.tables import PlanSolve

log = structlog.get_logger(__name__)

QUEUED, SOLVING, DONE, FAILED = "queued", "solving", "done", "failed"
UNFINISHED = (QUEUED, SOLVING)
FINISHED = (DONE, FAILED)
SOLVERS = {NBD: solve_nbd_day, DISPATCH: solve_dispatch_day}
"""The kinds of plan a solve makes, and how."""
IDEMPOTENCY_HEADER = "Idempotency-Key"
DEFAULT_POLL_S = 0.25


@runtime_checkable
class SolveQueue(Protocol):
    """Where the application hands a new solve to be run (`run_solve`), outside the request.

    Runtime-checkable, so that a framework may check what it injects against it."""

    async def submit(self, solve_id: int) -> None:
        """Have solve ``solve_id`` run soon; return without waiting for it."""
        ...


@dataclass(frozen=True, slots=True)
class SolveFailure:
    """Why a solve failed: the error it raised, by class, code, message and details.

    The API answers it as the problem document of that error (`exception` rebuilds it), so that a solve
    that fails in the background reads as the same problem as a request that failed at once.
    """

    error: str
    code: str
    detail: str
    details: dict[str, Any]

    @classmethod
    def of(cls, exc: RoutingError | DomainError) -> SolveFailure:
        details = json.loads(json.dumps(exc.details, default=str))
        return cls(_class_name(type(exc)), exc.code, exc.message, details)

    def to_json(self) -> str:
        return json.dumps(
            {"error": self.error, "code": self.code, "detail": self.detail, "details": self.details},
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> SolveFailure:
        data = json.loads(text)
        return cls(data["error"], data["code"], data["detail"], data.get("details") or {})

    def exception(self) -> RoutingError | DomainError:
        """The error again, to raise (an error class since removed comes back as a `DomainError`)."""
        cls = _error_classes().get(self.error, DomainError)
        try:
            return cls(self.detail, **self.details)
        except TypeError:
            return cls(self.detail)


@dataclass(frozen=True, slots=True)
class SolveView:
    """A solve as stored.

    Attributes:
        plan_id: the draft plan, once ``done``.
        failure: why it failed, once ``failed``.
        replayed: `request_solve` found it stored under the same Idempotency-Key (it made no new one).
        unpin: the committed stops (ids) to plan freely again.
    """

    id: int
    kind: str
    date: date
    depots: tuple[str, ...]
    time_limit_s: float
    seed: int
    state: str
    plan_id: int | None
    failure: SolveFailure | None
    attempts: int
    requested_by: str
    requested_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    replayed: bool = False
    unpin: tuple[int, ...] = ()

    @property
    def finished(self) -> bool:
        return self.state in FINISHED


async def request_solve(
    kind: str,
    day: date,
    depots: Sequence[str] | None,
    *,
    time_limit_s: float,
    seed: int,
    actor: str,
    now: datetime,
    key: str | None = None,
    fingerprint: str | None = None,
    policy: PlanningPolicy | None = None,
    unpin: Sequence[int] = (),
) -> SolveView:
    """Store a request for a plan of ``kind`` (``nbd`` or ``dispatch``) for ``day``, ``queued``.

    ``depots`` empty means every depot; ``unpin`` names committed stops (by id) to plan freely again.
    With a ``key`` (an Idempotency-Key), the same ``actor``, kind and
    key give the solve stored first (``replayed``) if ``fingerprint`` (of the request's body) matches.
    With a ``policy`` the day must lie in its window and the time limit within its limits; without one
    only a positive, finite time limit is checked here (`run_solve` checks its own policy's limits).

    Raises:
        InvalidRequest: an unknown kind or depot, or a day outside the policy's window.
        ProblemTooLarge: a time limit beyond the policy's limits.
        IdempotencyKeyReused: the key was used for another request of this kind by this actor.
    """
    if kind not in SOLVERS:
        raise InvalidRequest(f"unknown kind of plan {kind!r}", field="kind")
    if policy is not None:
        check_plan_day("date", day, today=now.date(), bounds=policy.time_bounds)
        check_limits(policy.limits, stops=0, vehicles=0, time_limit_s=time_limit_s)
    elif not (math.isfinite(time_limit_s) and time_limit_s > 0):
        raise InvalidProblem(f"time limit must be positive, got {time_limit_s}", field="time_limit_s")
    names = tuple(depots or ())
    if names:
        await depot_ids(list(names), field="depots")
    scope = kind if key is not None else None
    printed = (fingerprint or "") if key is not None else None
    async with write_transaction():
        rows = await run(
            "INSERT INTO plan_solve (kind, plan_date, depots, time_limit_s, seed, state, attempts, "
            "requested_by, requested_at, idempotency_scope, idempotency_key, fingerprint, unpin) "
            "VALUES ({}, {}, {}, {}, {}, {}, 0, {}, {}, {}, {}, {}, {}) ON CONFLICT DO NOTHING RETURNING id",
            kind,
            day,
            " ".join(names),
            float(time_limit_s),
            seed,
            QUEUED,
            actor,
            now,
            scope,
            key,
            printed,
            " ".join(str(stop) for stop in sorted(set(unpin))),
        )
    if rows:
        return await get_solve(rows[0]["id"])
    stored = (
        await PlanSolve.select(PlanSolve.id, PlanSolve.fingerprint)
        .where(
            (PlanSolve.requested_by == actor)
            & (PlanSolve.idempotency_scope == scope)
            & (PlanSolve.idempotency_key == key)
        )
        .first()
    )
    if stored is None or stored["fingerprint"] != printed:
        raise IdempotencyKeyReused(
            f"this {IDEMPOTENCY_HEADER} was used for a different request", field=IDEMPOTENCY_HEADER
        )
    return replace(await get_solve(stored["id"]), replayed=True)


async def get_solve(solve_id: int, kind: str | None = None) -> SolveView:
    """A solve (of ``kind``, when given).

    Raises:
        NotFound: no such solve (of that kind).
    """
    query = PlanSolve.select().where(PlanSolve.id == solve_id)
    if kind is not None:
        query = query.where(PlanSolve.kind == kind)
    row = await query.first()
    if row is None:
        raise NotFound(f"solve {solve_id} not found", field="id")
    return SolveView(
        row["id"],
        row["kind"],
        row["plan_date"],
        tuple(row["depots"].split()),
        row["time_limit_s"],
        row["seed"],
        row["state"],
        row["plan"],
        SolveFailure.from_json(row["problem"]) if row["problem"] else None,
        row["attempts"],
        row["requested_by"],
        row["requested_at"],
        row["started_at"],
        row["finished_at"],
        unpin=tuple(int(stop) for stop in row["unpin"].split()),
    )


async def wait_for_solve(solve_id: int, *, timeout_s: float, poll_s: float = DEFAULT_POLL_S) -> SolveView:
    """The solve once it is ``done`` or ``failed``, or as it is after ``timeout_s`` seconds.

    Polls the row with asynchronous sleeps, from a few milliseconds up to ``poll_s`` apart.

    Raises:
        NotFound: no such solve.
    """
    deadline = time.monotonic() + timeout_s
    pause = min(0.02, poll_s)
    while True:
        view = await get_solve(solve_id)
        left = deadline - time.monotonic()
        if view.finished or left <= 0:
            return view
        await asyncio.sleep(min(pause, left))
        pause = min(poll_s, pause * 2)


async def run_solve(solve_id: int, *, policy: PlanningPolicy, now: datetime) -> SolveView:
    """Run a solve: claim it, make its plan in a solver process, keep it as a draft; mark it done.

    ``now`` is when the run starts: the plan starts no route before it. A solve already ``done`` or
    ``failed`` is returned unchanged; one found ``solving`` is the retry of a run that did not end (a
    crash or a shutdown) and runs again.

    Raises:
        NotFound: no such solve.
        Exception: anything but a domain or routing error (the database away, cancellation), for the
            queue to run it again.
    """
    started = time.monotonic()
    async with write_transaction():
        claimed = await run(
            "UPDATE plan_solve SET state = {}, attempts = attempts + 1, started_at = {}"
            " WHERE id = {} AND state IN ({}, {}) RETURNING id",
            SOLVING,
            now,
            solve_id,
            QUEUED,
            SOLVING,
        )
    solve = await get_solve(solve_id)
    if not claimed:
        return solve
    try:
        solved = await SOLVERS[solve.kind](
            solve.date,
            solve.depots,
            time_limit_s=solve.time_limit_s,
            seed=solve.seed,
            now=now,
            policy=policy,
            unpin=solve.unpin,
        )
    except (RoutingError, DomainError) as exc:
        _log_failure(solve, exc)
        return await _fail(solve_id, SolveFailure.of(exc), now=_after(now, started), only_if=(SOLVING,))
    try:
        async with write_transaction():
            plan_id = await _save(solved, actor=solve.requested_by, now=now)
            done = await run(
                "UPDATE plan_solve SET state = {}, plan = {}, finished_at = {} WHERE id = {} AND state = {}"
                " RETURNING id",
                DONE,
                plan_id,
                _after(now, started),
                solve_id,
                SOLVING,
            )
            if not done:
                raise _NoLongerSolving
    except _NoLongerSolving:
        log.info("solve_plan_dropped", solve=solve_id, reason="the solve was finished meanwhile")
    else:
        log.info("solve_done", solve=solve_id, kind=solve.kind, plan=plan_id, attempts=solve.attempts)
    return await get_solve(solve_id)


async def abort_solve(solve_id: int, *, reason: str, now: datetime) -> SolveView:
    """Mark an unfinished solve ``failed`` with `SolveAborted` (``reason``); a finished one is unchanged."""
    return await _fail(solve_id, SolveFailure.of(SolveAborted(reason)), now=now, only_if=UNFINISHED)


async def touch_solves(solve_ids: Sequence[int], *, now: datetime) -> None:
    """Record that the unfinished solves ``solve_ids`` are still being run (their runner's heartbeat)."""
    if not solve_ids:
        return
    async with write_transaction():
        await PlanSolve.update({PlanSolve.heartbeat_at: now}).where(
            PlanSolve.id.is_in(list(solve_ids)) & PlanSolve.state.is_in(list(UNFINISHED))
        )


async def abort_stale_solves(*, stale_before: datetime, reason: str, now: datetime) -> list[int]:
    """Mark ``failed`` with `SolveAborted` (``reason``) every solve still ``queued`` or ``solving`` whose
    last heartbeat (`touch_solves`), or its request if it has none, is older than ``stale_before``: nobody
    runs it any more. Their ids."""
    failure = SolveFailure.of(SolveAborted(reason))
    async with write_transaction():
        rows = await run(
            "UPDATE plan_solve SET state = {}, problem = {}, finished_at = {}"
            " WHERE state IN ({}, {}) AND COALESCE(heartbeat_at, requested_at) < {} RETURNING id",
            FAILED,
            failure.to_json(),
            now,
            QUEUED,
            SOLVING,
            stale_before,
        )
    return sorted(row["id"] for row in rows)


class _NoLongerSolving(Exception):
    """The solve was marked finished while it ran (aborted at a shutdown): its plan is not kept."""


async def _save(solved: SolvedPlan, *, actor: str, now: datetime) -> int:
    return await save_plan(
        kind=solved.kind,
        day=solved.day,
        depots=solved.depots,
        clock=solved.clock,
        problem=solved.problem,
        plan=solved.plan,
        info=solved.info,
        vehicle_depots=solved.vehicle_depots,
        stats=solved.stats,
        actor=actor,
        now=now,
        based_on=solved.based_on,
    )


async def _fail(
    solve_id: int, failure: SolveFailure, *, now: datetime, only_if: tuple[str, str] | tuple[str]
) -> SolveView:
    """Mark the solve failed if it is in one of the states ``only_if``."""
    first, *other = only_if
    async with write_transaction():
        await run(
            "UPDATE plan_solve SET state = {}, problem = {}, finished_at = {}"
            " WHERE id = {} AND state IN ({}, {})",
            FAILED,
            failure.to_json(),
            now,
            solve_id,
            first,
            other[0] if other else first,
        )
    return await get_solve(solve_id)


def _after(now: datetime, started: float) -> datetime:
    """``now`` plus the time since ``started`` (a monotonic reading): when a run that began at ``now``
    ends, on the clock it was given."""
    return now + timedelta(seconds=time.monotonic() - started)


def _log_failure(solve: SolveView, exc: RoutingError | DomainError) -> None:
    fields = {"solve": solve.id, "kind": solve.kind, "code": exc.code, "error": exc.message}
    if isinstance(exc, InfeasiblePlan | SolverCrashed):
        log.error("solve_failed", **fields, exc_info=exc)
    elif isinstance(exc, SolverOverran):
        log.warning("solve_failed", **fields)
    else:
        log.info("solve_failed", **fields)


def _class_name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _error_classes() -> dict[str, type[RoutingError] | type[DomainError]]:
    """Every routing and domain error class by its full name."""
    found: dict[str, Any] = {}
    pending: list[type] = [RoutingError, DomainError]
    while pending:
        cls = pending.pop()
        found[_class_name(cls)] = cls
        pending.extend(cls.__subclasses__())
    return found
