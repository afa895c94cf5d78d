"""A dispatcher's move evaluated without a solver: times before and after, lateness, overrides."""

from __future__ import annotations

from routing.model import RoutingProblem, Stop, StopKind, TimeWindow, Vehicle
from routing.moves import evaluate_move, moved_order

HOUR = 3600


def problem(stops: tuple[Stop, ...], vehicles: tuple[Vehicle, ...]) -> RoutingProblem:
    """Locations on a line, 10 minutes apart; the depot at 0."""
    seconds = [[600 * abs(a - b) for b in range(8)] for a in range(8)]
    return RoutingProblem(seconds, seconds, stops, vehicles, dimensions=("parts",))


A = Vehicle("a", 0, 0, (5,), TimeWindow(8 * HOUR, 18 * HOUR), skills=frozenset({"server"}))
B = Vehicle("b", 0, 0, (5,), TimeWindow(8 * HOUR, 11 * HOUR), skills=frozenset({"server"}))
C = Vehicle("c", 0, 0, (5,), TimeWindow(8 * HOUR, 18 * HOUR))
STOPS = (
    Stop("s1", 1, 600, (1,), kind=StopKind.VISIT, required_skills=frozenset({"server"}), deadline=9 * HOUR),
    Stop("s2", 2, 600, (1,), kind=StopKind.VISIT, deadline=9 * HOUR),
    Stop("s3", 3, HOUR, (1,), kind=StopKind.VISIT, deadline=17 * HOUR),
)


def test_the_order_after_a_move() -> None:
    orders = {"a": ["s1", "s2"], "b": ["s3"]}
    assert moved_order(orders, ["s2"], "b", 0) == {"a": ["s1"], "b": ["s2", "s3"]}
    assert moved_order(orders, ["s2"], "b", 0, first=1) == {"a": ["s1"], "b": ["s3", "s2"]}
    assert moved_order(orders, ["s1"], "c", 9) == {"a": ["s2"], "b": ["s3"], "c": ["s1"]}


def test_a_move_that_keeps_every_deadline_needs_no_override() -> None:
    outcome = evaluate_move(problem(STOPS, (A, B)), {"a": ["s1", "s2"], "b": ["s3"]}, ["s2"], "b", 0)
    assert outcome.feasible
    assert outcome.needs_override == ()
    moved = next(change for change in outcome.changes if change.stop_id == "s2")
    assert (moved.vehicle_before, moved.vehicle_after) == ("a", "b")
    assert moved.start_after == 8 * HOUR + 1200
    assert [visit.stop_id for visit in outcome.routes["b"].visits] == ["s2", "s3"]


def test_lateness_and_overtime_need_an_override() -> None:
    late = (*STOPS[:2], Stop("s3", 7, 2 * HOUR, (1,), kind=StopKind.VISIT, deadline=8 * HOUR + 4500))
    orders = {"a": ["s1", "s2"], "b": ["s3"]}
    outcome = evaluate_move(problem(late, (A, B)), orders, ["s1"], "b", 0)
    assert not outcome.feasible
    assert set(outcome.needs_override) == {"deadline:s3", "shift_end:b"}
    assert outcome.overtime["b"] > 0
    forced = evaluate_move(problem(late, (A, B)), orders, ["s1"], "b", 0, override=True)
    assert forced.feasible


def test_skills_capacity_and_windows_always_bind() -> None:
    orders = {"a": ["s1"], "c": []}
    assert evaluate_move(problem(STOPS, (A, C)), orders, ["s1"], "c", 0).reason == "skills"
    heavy = (Stop("s1", 1, 600, (9,), kind=StopKind.VISIT), *STOPS[1:])
    assert evaluate_move(problem(heavy, (A, C)), orders, ["s1"], "c", 0).reason == "capacity"
    closed = (Stop("s1", 7, 600, (1,), TimeWindow(0, 8 * HOUR + 600), kind=StopKind.VISIT), *STOPS[1:])
    assert evaluate_move(problem(closed, (A, C)), orders, ["s1"], "c", 0, override=True).reason == "window"
