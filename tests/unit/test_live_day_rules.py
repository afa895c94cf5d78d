"""The rules of a re-plan during the day, without a server: which pins cannot hold, the way home and the
stops started, and the stretch of a shift that absences leave."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from geo.travel import Point
from routing.assembly import Job, Place
from routing.availability import Absence, free_shift
from routing.check import check_plan
from routing.live_day import LiveDay
from routing.model import RoutingProblem, Stop, StopKind, TimeWindow, UnassignedReason, Vehicle
from routing.pins import broken_pins
from routing.solver import solve
from routing.stop_log import StopState
from routing.stop_status import StopStatus
from routing.work import keeping_what_holds, reachable_shifts

HOUR = 3600


def line(n: int) -> tuple[list[list[int]], list[list[int]]]:
    """Locations on a line, 10 minutes and 10 km apart."""
    seconds = [[600 * abs(a - b) for b in range(n)] for a in range(n)]
    return seconds, [[10_000 * abs(a - b) for b in range(n)] for a in range(n)]


def problem(stops: tuple[Stop, ...], vehicles: tuple[Vehicle, ...]) -> RoutingProblem:
    seconds, metres = line(8)
    return RoutingProblem(seconds, metres, stops, vehicles, dimensions=("parts",))


VAN = Vehicle("v", 0, 0, (10,), TimeWindow(8 * HOUR, 12 * HOUR))


def test_pins_that_cannot_hold_are_left_out_with_their_partner() -> None:
    stops = (
        Stop("a", 1, 600, (1,), TimeWindow(8 * HOUR, 9 * HOUR), pinned_vehicle="v", pinned_position=0),
        Stop("gone", 2, 600, (1,), TimeWindow(0, 7 * HOUR), pinned_vehicle="v", pinned_position=1),
        Stop("b", 3, 600, (1,), TimeWindow(8 * HOUR, 12 * HOUR), pinned_vehicle="v", pinned_position=3),
        Stop(
            "b:pickup",
            2,
            60,
            (1,),
            kind=StopKind.PICKUP,
            pickup_of="b",
            pinned_vehicle="v",
            pinned_position=2,
        ),
        Stop(
            "skill", 4, 600, (0,), required_skills=frozenset({"gpu"}), pinned_vehicle="v", pinned_position=4
        ),
    )
    assert broken_pins(problem(stops, (VAN,))) == {"gone", "skill"}
    late = (*stops[:2], replace(stops[2], window=TimeWindow(0, 7 * HOUR)), *stops[3:])
    assert broken_pins(problem(late, (VAN,))) == {"gone", "skill", "b", "b:pickup"}


def test_a_replan_keeps_what_holds_and_names_the_rest() -> None:
    stops = (
        Stop("kept", 1, 600, (0,), TimeWindow(8 * HOUR, 12 * HOUR), pinned_vehicle="v", pinned_position=0),
        Stop("late", 2, 600, (0,), TimeWindow(0, 7 * HOUR), pinned_vehicle="v", pinned_position=1),
        Stop("new", 3, 600, (0,), TimeWindow(8 * HOUR, 12 * HOUR)),
    )
    full = problem(stops, (VAN,))
    kept, plan = keeping_what_holds(full, lambda part: solve(part, time_limit_s=1))
    assert plan.unassigned == {"late": UnassignedReason.PIN_INFEASIBLE}
    assert plan.routes[0].visits[0].stop_id == "kept"
    assert check_plan(kept, plan) == []


def test_a_vehicle_finishes_what_it_started_and_goes_home() -> None:
    far = Vehicle("far", 7, 0, (10,), TimeWindow(17 * HOUR, 18 * HOUR), max_working=HOUR)
    started = Stop("here", 6, HOUR, (0,), pinned_vehicle="far", pinned_position=0, started=True)
    stretched = reachable_shifts(problem((started,), (far,)))
    vehicle = stretched.vehicles[0]
    # 10 minutes to the stop, an hour there, an hour back to the depot (6 steps).
    assert vehicle.shift.end == 17 * HOUR + 600 + HOUR + 6 * 600
    assert vehicle.max_working == vehicle.shift.end - 17 * HOUR
    idle = reachable_shifts(problem((), (far,))).vehicles[0]
    assert idle.shift.end == 18 * HOUR + 10 * 60, "seven steps home take 70 minutes"
    plan = solve(stretched, time_limit_s=1)
    assert [visit.stop_id for visit in plan.routes[0].visits] == ["here"]


def test_absences_leave_the_longest_free_stretch() -> None:
    start = datetime(2026, 12, 8, 8, 30, tzinfo=UTC)
    end = start + timedelta(hours=10)

    def away(hours_from: float, hours_to: float) -> Absence:
        return Absence(start + timedelta(hours=hours_from), start + timedelta(hours=hours_to), "")

    assert free_shift(start, end, []) == (start, end)
    assert free_shift(start, end, [away(2, 3)]) == (start + timedelta(hours=3), end)
    assert free_shift(start, end, [away(6, 12)]) == (start, start + timedelta(hours=6))
    assert free_shift(start, end, [away(-1, 11)]) is None
    assert free_shift(start, end, [away(2, 3), away(5, 6)]) == (start + timedelta(hours=6), end)
    assert free_shift(start, end, [away(4, 6)]) == (start, start + timedelta(hours=4)), (
        "the earlier of equals"
    )


def _state(key: str, status: str, at: datetime) -> StopState:
    return StopState(key, "e1", StopStatus(status), at, at if status == "arrived" else None, PLACE)


PLACE = Place("SITE", Point(31.2, 121.4))


def test_what_the_day_so_far_means_for_a_visit() -> None:
    at = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)
    live = LiveDay(
        {
            "T1:pickup": _state("T1:pickup", "cancelled", at),
            "T2:pickup": _state("T2:pickup", "done", at),
            "T2": _state("T2", "arrived", at),
            "T3": _state("T3", "done", at),
        }
    )
    assert live.pickup_failed("T1")
    assert live.released == {"T1": "pickup_failed"}
    assert not live.pickup_failed("T2")
    assert not live.keeps("T3")
    assert live.keeps("T2")
    job = Job(
        "T2",
        PLACE,
        at - timedelta(hours=2),
        at - timedelta(minutes=30),
        True,
        5,
        frozenset({"server"}),
        timedelta(hours=1),
        pickup_depot=PLACE,
    )
    now = at + timedelta(minutes=20)
    seen = live.job(job, now)
    assert seen.pickup_depot is None, "the part is on board"
    assert seen.service == timedelta(minutes=40), "what is left of the visit"
    assert not seen.hard
    assert seen.deadline == now


def _plan(*routes: tuple[str, list[tuple[str, str]]]) -> SimpleNamespace:
    """A committed plan as `LiveDay.pins` reads it: routes of (vehicle, [(stop key, stop status)])."""
    return SimpleNamespace(
        routes=[
            SimpleNamespace(vehicle=vehicle, stops=[SimpleNamespace(key=k, status=st) for k, st in stops])
            for vehicle, stops in routes
        ]
    )


def test_a_failed_stop_returns_to_be_planned_and_is_pinned_once_committed_again() -> None:
    at = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)
    states = {
        "T1": _state("T1", "failed", at),
        "T2:pickup": _state("T2:pickup", "failed", at),
        "T3": _state("T3", "done", at),
        "T4": _state("T4", "cancelled", at),
    }
    live = LiveDay(states)
    assert live.returning("T1")
    assert live.plans("T1")
    assert not live.keeps("T1")
    assert not live.pickup_failed("T2"), "a failed pickup is tried again with its visit"
    assert not live.plans("T3"), "a stop done is history"
    assert not live.plans("T4"), "a stop cancelled is history"
    committed = _plan(
        (
            "e1",
            [("T3", "done"), ("T1", "failed"), ("T2:pickup", "failed"), ("T2", "planned"), ("T5", "planned")],
        )
    )
    keys = {"T1", "T2:pickup", "T2", "T5"}
    pins = live.pins([committed], keys, {"e1": None})
    assert set(pins) == {"T5"}, "the failed stops and the visit of the failed pickup are planned freely"
    assert live.released == {"T1": "stop_failed", "T2": "stop_failed", "T2:pickup": "stop_failed"}

    # A later plan carries T1 again and is committed: T1 is to do there, pinned like any other stop.
    again = LiveDay(states, replanned=frozenset({"T1"}))
    assert again.keeps("T1")
    assert not again.returning("T1")
    pins = again.pins([_plan(("e2", [("T1", "planned"), ("T5", "planned")]))], {"T1", "T5"}, {"e2": None})
    assert [(key, pin.vehicle, pin.position, pin.started) for key, pin in sorted(pins.items())] == [
        ("T1", "e2", 0, False),
        ("T5", "e2", 1, False),
    ]


def test_the_time_worked_today_counts_from_the_first_event() -> None:
    set_out = datetime(2026, 12, 8, 8, 10, tzinfo=UTC)
    live = LiveDay(
        {
            "T1": _state("T1", "en_route", set_out),
            "T2": _state("T2", "done", set_out + timedelta(hours=2)),
            "T9": StopState("T9", "e2", StopStatus.DONE, set_out - timedelta(hours=1), None, PLACE),
        }
    )
    now = datetime(2026, 12, 8, 14, 0, tzinfo=UTC)
    assert live.worked("e1", now) == timedelta(hours=5, minutes=50)
    assert live.worked("e2", now) == timedelta(hours=6, minutes=50)
    assert live.worked("e3", now) == timedelta(0), "not at work yet"
    assert live.worked("e1", set_out - timedelta(minutes=5)) == timedelta(0), "events after now do not count"
