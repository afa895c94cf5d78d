"""The live re-planning benchmark's day: at 16:40 exactly its 120 business-hours stops are done, the
rest are pinned from where each van is, and the re-plan from the present passes the checker."""

from __future__ import annotations

from bench.routing_live import DONE, NEW, REPLAN_AT, STOPS, VANS, afternoon, figure, live_day
from routing.solver import solve


def test_the_day_is_replanned_at_16_40_with_120_stops_done() -> None:
    morning = live_day()
    assert (len(morning.stops), len(morning.vehicles)) == (STOPS, VANS)
    plan = solve(morning, time_limit_s=2)
    assert not plan.unassigned

    problem, done = afternoon(plan, morning)

    assert (REPLAN_AT, done) == (16 * 3600 + 40 * 60, DONE)
    pinned = [stop for stop in problem.stops if stop.pinned_vehicle is not None]
    assert len(pinned) == STOPS - DONE
    assert len(problem.stops) == STOPS - DONE + NEW
    assert all(vehicle.shift.start == REPLAN_AT for vehicle in problem.vehicles)
    first = figure("first feasible", problem, limit=2.0, pinned=True, iterations=1)
    assert first.errors == 0
    assert sum(first.unassigned.values()) < NEW
