"""Building day problems from deliveries and visits, and solving deliveries one depot at a time."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from geo.travel import Point
from routing.assembly import (
    DeliveryOrder,
    Engineer,
    Inspection,
    Job,
    Pin,
    Place,
    PlanClock,
    Van,
    depot_skill,
    dispatch_problem,
    nbd_problem,
)
from routing.check import check_plan
from routing.dispatch_rules import (
    area_of,
    lateness_weight,
    skill_for_asset,
    skill_for_part,
    working_days,
    works_on,
)
from routing.model import StopKind, UnassignedReason
from routing.nbd import solve_by_depot, split_by_depot
from routing.solver import solve

DAY = date(2026, 11, 25)
DEPOTS = {"PEK": Point(39.90, 116.40), "SHA": Point(31.23, 121.47), "CAN": Point(23.13, 113.26)}


def local(hour: float) -> datetime:
    return datetime(2026, 11, 25, tzinfo=UTC) + timedelta(hours=hour - 8)


def order(number: int, depot: str, *, kg: float = 5.0) -> DeliveryOrder:
    base = DEPOTS[depot]
    site = Place(
        f"S{number}", Point(base.latitude + (number % 7) * 0.02, base.longitude - (number % 5) * 0.03)
    )
    return DeliveryOrder(
        f"T{number}@{depot}", depot, site, local(9), local(18), timedelta(minutes=10), kg, 10.0
    )


def van(code: str, depot: str, kg: float = 500.0) -> Van:
    return Van(code, depot, kg, 3000.0, local(8), local(19))


def test_plan_clock_round_trips_and_covers_every_zone():
    clock = PlanClock.for_date(DAY)
    assert clock.seconds(datetime(2026, 11, 25, 0, 0, tzinfo=UTC)) == 86_400
    assert clock.at(clock.seconds(local(9.5))) == local(9.5)
    assert clock.seconds(datetime(2026, 11, 24, 8, 0, tzinfo=UTC) - timedelta(days=3)) == 0
    assert clock.window(None, None).start == 0


def test_orders_ride_only_on_vans_of_their_depot():
    orders = [order(n, depot) for n, depot in enumerate(["PEK"] * 6 + ["SHA"] * 5 + ["CAN"] * 2)]
    problem = nbd_problem(DEPOTS, orders, [van("V-PEK", "PEK"), van("V-SHA", "SHA")], PlanClock.for_date(DAY))
    assert problem.stops[0].required_skills == {depot_skill("PEK")}
    assert problem.stops[0].demand == (5000, 10000)
    parts, orphans = split_by_depot(problem)
    assert set(parts) == {depot_skill("PEK"), depot_skill("SHA")}
    assert set(orphans) == {"T11@CAN", "T12@CAN"}
    assert all(reason is UnassignedReason.NO_VEHICLE for reason in orphans.values())
    plan = solve_by_depot(problem, time_limit_s=1, seed=1)
    assert check_plan(problem, plan) == []
    assert plan.unassigned == orphans
    for route in plan.routes:
        depot = route.vehicle_id.removeprefix("V-")
        assert all(visit.stop_id.endswith(f"@{depot}") for visit in route.visits)


def test_a_depot_plan_is_the_same_as_solving_the_whole_problem_for_one_depot():
    orders = [order(n, "SHA") for n in range(8)]
    problem = nbd_problem(DEPOTS, orders, [van("V1", "SHA"), van("V2", "SHA")], PlanClock.for_date(DAY))
    split = solve_by_depot(problem, time_limit_s=0.5, seed=3, iterations=200)
    whole = solve(problem, time_limit_s=0.5, seed=3, iterations=200)
    assert split.objective == whole.objective


def test_heavy_orders_come_back_without_capacity():
    problem = nbd_problem(
        DEPOTS,
        [order(1, "PEK", kg=800.0), order(2, "PEK")],
        [van("V", "PEK", kg=100.0)],
        PlanClock.for_date(DAY),
    )
    plan = solve_by_depot(problem, time_limit_s=0.5)
    assert plan.unassigned == {"T1@PEK": UnassignedReason.NO_CAPACITY}


def test_pinned_orders_keep_their_van_and_order():
    orders = [order(n, "PEK") for n in range(6)]
    pinned = list(orders)
    pinned[4] = replace(orders[4], pin=Pin("V2", 0))
    pinned[1] = replace(orders[1], pin=Pin("V2", 1))
    problem = nbd_problem(DEPOTS, pinned, [van("V1", "PEK"), van("V2", "PEK")], PlanClock.for_date(DAY))
    plan = solve_by_depot(problem, time_limit_s=1)
    route = plan.route_of("V2")
    assert route is not None
    keys = [visit.stop_id for visit in route.visits]
    assert keys.index(orders[4].id) < keys.index(orders[1].id)


def test_dispatch_problem_pairs_pickups_with_visits_and_weights_lateness():
    home = Place("PEK", DEPOTS["PEK"])
    engineers = [Engineer("E1", home, frozenset({"storage"}), local(8.5), local(18.5), timedelta(hours=8))]
    site = Place("S1", Point(39.95, 116.30))
    job = Job(
        "T1",
        site,
        local(9),
        local(13),
        False,
        lateness_weight("critical", "platinum"),
        frozenset({skill_for_part("disk")}),
        timedelta(hours=1),
        pickup_depot=home,
    )
    inspection = Inspection(
        "I1", site, frozenset({"storage"}), timedelta(minutes=45), local(9), local(17), 14_400
    )
    problem = dispatch_problem(engineers, [job], [inspection], PlanClock.for_date(DAY))
    kinds = {stop.id: stop.kind for stop in problem.stops}
    assert kinds == {"T1:pickup": StopKind.PICKUP, "T1": StopKind.VISIT, "I1": StopKind.VISIT}
    assert problem.stops[1].lateness_weight == 12
    plan = solve(problem, time_limit_s=1)
    assert check_plan(problem, plan) == []
    visits = [visit.stop_id for visit in plan.routes[0].visits]
    assert visits.index("T1:pickup") < visits.index("T1")


@pytest.mark.parametrize(
    ("model", "skill"),
    [
        ("Data centre core switch", "network"),
        ("Mid-range storage array", "storage"),
        ("GPU server", "gpu"),
        ("2U rack server gen 4", "server"),
        (None, "server"),
    ],
)
def test_skill_for_asset(model, skill):
    assert skill_for_asset(model) == skill


def test_without_vans_every_order_comes_back_for_want_of_a_vehicle():
    problem = nbd_problem(DEPOTS, [order(1, "PEK"), order(2, "SHA")], [], PlanClock.for_date(DAY))
    for plan in (solve_by_depot(problem, time_limit_s=0.5), solve(problem, time_limit_s=0.5)):
        assert plan.routes == ()
        assert set(plan.unassigned.values()) == {UnassignedReason.NO_VEHICLE}
        assert len(plan.unassigned) == 2
        assert check_plan(problem, plan) == []


def test_a_site_lies_in_the_area_of_the_nearest_engineers_depot() -> None:
    homes = {"PEK-C": Point(39.9042, 116.4074), "TSN-F": Point(39.3434, 117.3616)}
    assert area_of(Point(39.95, 116.3), homes) == "PEK-C"
    assert area_of(Point(39.1, 117.2), homes) == "TSN-F"
    assert area_of(Point(39.0, 117.0), {}) is None


def test_engineers_work_their_calendar_unless_their_shift_names_weekdays() -> None:
    sunday, monday = date(2026, 11, 29), date(2026, 11, 30)
    assert works_on(monday, "", calendar_working_day=True)
    assert not works_on(sunday, "", calendar_working_day=False)
    assert works_on(sunday, "sat sun", calendar_working_day=False)
    assert not works_on(monday, "sat sun", calendar_working_day=True)
    assert working_days(["sun", "sat", "sun"]) == "sat sun"
    assert working_days([]) == ""
    with pytest.raises(ValueError, match="weekday"):
        working_days(["sunday"])


def test_a_business_hours_visit_keeps_to_the_sites_hours_and_a_closed_site_is_said_closed() -> None:
    home = Place("PEK", DEPOTS["PEK"])
    engineers = [Engineer("E1", home, frozenset({"storage"}), local(8), local(20), timedelta(hours=12))]
    site = Place("S1", Point(39.95, 116.30))
    need = frozenset({"storage"})
    # Reported at 16:30, an hour's work: it must begin by 17:00 to end by closing at 18:00.
    evening = Job(
        "T1", site, local(16.5), local(20), False, 1, need, timedelta(hours=1), latest_start=local(17)
    )
    sunday = Job("T2", site, local(9), local(13), False, 12, need, timedelta(hours=1), closed=True)
    inspection = Inspection("I1", site, need, timedelta(minutes=45), local(9), local(17), 14_400, closed=True)
    clock = PlanClock.for_date(DAY)
    problem = dispatch_problem(engineers, [evening, sunday], [inspection], clock)
    assert problem.stops[0].window == clock.window(local(16.5), local(17))
    plan = solve(problem, time_limit_s=1)
    assert check_plan(problem, plan) == []
    assert plan.unassigned == {"T2": UnassignedReason.SITE_CLOSED, "I1": UnassignedReason.SITE_CLOSED}
    (visit,) = plan.routes[0].visits
    assert clock.seconds(local(16.5)) <= visit.start <= clock.seconds(local(17))
