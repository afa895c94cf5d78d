"""Solver child processes: the same plans as in-process for a fixed seed, a hard timeout that kills an
overrunning process, crashes told apart, and a shutdown that kills what still runs."""

from __future__ import annotations

import asyncio
import os
import pickle
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from geo.travel import Point
from routing.assembly import (
    DeliveryOrder,
    Engineer,
    Job,
    Place,
    PlanClock,
    Van,
    dispatch_problem,
    nbd_problem,
)
from routing.errors import NoSolution, SolverCrashed, SolverOverran
from routing.model import Limits
from routing.nbd import solve_by_depot
from routing.osrm import SourceMatrix, matrix_source
from routing.planning import PlanningPolicy
from routing.solver import solve
from routing.solver_pool import SolverPool
from routing.work import DispatchWork, NbdWork, light, solve_dispatch, solve_nbd

DAY = date(2026, 11, 25)
DEPOTS = {"PEK": Point(39.90, 116.40), "SHA": Point(31.23, 121.47)}
ITERATIONS = 200
ESTIMATE = SourceMatrix(matrix_source(None))


def local(hour: float) -> datetime:
    return datetime(2026, 11, 25, tzinfo=UTC) + timedelta(hours=hour - 8)


def nbd_work(seed: int) -> NbdWork:
    orders = tuple(
        DeliveryOrder(
            f"T{n}@{depot}",
            depot,
            Place(f"S{n}", Point(base.latitude + (n % 7) * 0.02, base.longitude - (n % 5) * 0.03)),
            local(9),
            local(18),
            timedelta(minutes=10),
            5.0,
            10.0,
        )
        for depot, base in DEPOTS.items()
        for n in range(12)
    )
    vans = tuple(
        Van(f"{depot}-{k}", depot, 40.0, 3000.0, local(8), local(19)) for depot in DEPOTS for k in (1, 2)
    )
    clock = PlanClock.for_date(DAY)
    return NbdWork(DEPOTS, orders, vans, clock, (), ESTIMATE, Limits(), 1.0, seed, ITERATIONS)


def dispatch_work(seed: int) -> DispatchWork:
    home = Place("PEK", DEPOTS["PEK"])
    skills = frozenset({"server"})
    engineers = tuple(
        Engineer(f"E{k}", home, skills, local(8), local(18), timedelta(hours=8)) for k in (1, 2)
    )
    jobs = tuple(
        Job(
            f"T{n}",
            Place(f"S{n}", Point(39.9 + n * 0.01, 116.4 - n * 0.01)),
            local(8),
            local(12 + n % 4),
            False,
            1 + n % 3,
            skills,
            timedelta(minutes=45),
        )
        for n in range(8)
    )
    clock = PlanClock.for_date(DAY)
    return DispatchWork(engineers, jobs, (), clock, ESTIMATE, Limits(), 1.0, seed, ITERATIONS)


def same_plan(a, b) -> bool:
    """Plans equal but for how long they took."""
    return (a.routes, dict(a.unassigned), a.objective, a.lateness_cost) == (
        b.routes,
        dict(b.unassigned),
        b.objective,
        b.lateness_cost,
    )


def pid_then_sleep(path: str) -> None:
    Path(path).write_text(str(os.getpid()))
    time.sleep(600)


def exit_abruptly(code: int) -> None:
    os._exit(code)


def raise_no_solution(message: str) -> None:
    raise NoSolution(message, vehicle="V1")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def pid_in(path: Path) -> int | None:
    text = path.read_text() if path.exists() else ""
    return int(text) if text else None


async def started(path: Path) -> int:
    while True:
        pid = pid_in(path)
        if pid is not None:
            return pid
        await asyncio.sleep(0.02)


@pytest.fixture
async def pool():
    pool = SolverPool(1)
    yield pool
    await pool.close()


async def test_a_solve_in_a_solver_process_gives_the_plan_it_gives_in_process(pool: SolverPool) -> None:
    work = nbd_work(seed=3)
    problem = nbd_problem(work.depots, work.orders, work.vans, work.clock, matrix=work.matrix)
    before = solve_by_depot(problem, time_limit_s=1.0, seed=3, iterations=ITERATIONS)
    returned, plan = await pool.run(solve_nbd, work, timeout_s=60)
    assert plan.routes
    assert same_plan(plan, before)
    assert returned == light(problem)
    assert returned.seconds == returned.metres == ()
    engineers = dispatch_work(seed=3)
    problem = dispatch_problem(engineers.engineers, engineers.jobs, (), engineers.clock)
    before = solve(problem, time_limit_s=1.0, seed=3, iterations=ITERATIONS)
    _problem, plan = await pool.run(solve_dispatch, engineers, timeout_s=60)
    assert plan.routes
    assert same_plan(plan, before)


async def test_an_overrunning_solve_is_killed_and_raises_solver_overran(
    pool: SolverPool, tmp_path: Path
) -> None:
    marker = tmp_path / "pid"
    with pytest.raises(SolverOverran) as overran:
        await pool.run(pid_then_sleep, str(marker), timeout_s=0.5)
    assert overran.value.details == {"timeout_s": 0.5}
    pid = pid_in(marker)
    assert pid is not None
    assert not alive(pid)
    # The pool carries on with a new process.
    marker.unlink()
    with pytest.raises(SolverOverran):
        await pool.run(pid_then_sleep, str(marker), timeout_s=0.5)


async def test_errors_of_the_work_come_back_and_a_crash_is_told_apart(pool: SolverPool) -> None:
    with pytest.raises(NoSolution) as raised:
        await pool.run(raise_no_solution, "pins cannot hold", timeout_s=60)
    assert raised.value.message == "pins cannot hold"
    assert raised.value.details == {"vehicle": "V1"}
    with pytest.raises(SolverCrashed) as crashed:
        await pool.run(exit_abruptly, 3, timeout_s=60)
    assert crashed.value.details == {"exitcode": 3}


async def test_closing_the_pool_kills_a_running_solve(pool: SolverPool, tmp_path: Path) -> None:
    marker = tmp_path / "pid"
    running = asyncio.create_task(pool.run(pid_then_sleep, str(marker), timeout_s=600))
    pid = await started(marker)
    assert pid != os.getpid()
    assert alive(pid)
    await pool.close()
    assert not alive(pid)
    with pytest.raises(asyncio.CancelledError):
        await running


async def test_cancelling_the_caller_kills_its_solve(pool: SolverPool, tmp_path: Path) -> None:
    marker = tmp_path / "pid"
    running = asyncio.create_task(pool.run(pid_then_sleep, str(marker), timeout_s=600))
    pid = await started(marker)
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running
    marker.unlink()
    with pytest.raises(SolverOverran):
        await pool.run(pid_then_sleep, str(marker), timeout_s=0.5)
    assert not alive(pid)


def test_the_policy_and_its_work_cross_into_processes() -> None:
    work = nbd_work(seed=1)
    assert pickle.loads(pickle.dumps(work)) == work
    policy = PlanningPolicy(overrun_margin_s=5)
    assert policy.solve_timeout_s(1) == 6
    assert policy.solve_timeout_s(60) == 72
    assert pickle.loads(pickle.dumps(policy.matrix)) == policy.matrix
