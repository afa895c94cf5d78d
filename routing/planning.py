"""Making plans: next-business-day deliveries, engineer dispatch and urgent 4-hour deliveries.

Reads the day from the database (`routing.plan_inputs`) in the calling process, keeps committed stops
pinned, and hands the CPU-heavy rest (building the problem with its travel matrix, solving it, inserting
an urgent delivery: `routing.work`) to a solver child process of the policy's pools
(`routing.solver_pool`), with a hard timeout of the time limit plus a margin. The caller keeps the plan
(`keep_plan`, `routing.plan_store`). Every solve has a time limit, capped by the policy's limits.

Day plans are asked for as solves (`routing.solves`), which a queue runs outside the request; the urgent
check answers at once, its insertion running in a pool of its own so that it never waits behind a day's
solve.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from geo.travel import Point
from inventory.errors import Conflict, InvalidTransition, NotFound
from inventory.stock.tables import Depot
from inventory.tickets.sourcing import PICK_AND_PACK
from inventory.tickets.tables import Reservation
from inventory.time_window import TimeBounds
from routing.assembly import (
    Locations,
    Matrix,
    Pin,
    Place,
    PlanClock,
    UrgentDelivery,
    Van,
    estimate_matrix,
    van_vehicle,
)
from routing.availability import ENGINEER, VEHICLE
from routing.live_day import live_day, present_fleet
from routing.model import (
    Limits,
    Route,
    RoutePlan,
    RoutingProblem,
    Stop,
    StopKind,
    TimeWindow,
    UnassignedReason,
)
from routing.plan_inputs import StopInfo, delivery_day, dispatch_day, still_held, urgent_key, vans_of
from routing.plan_store import (
    DISPATCH,
    NBD,
    PlanView,
    StopView,
    committed_plans,
    delivered_by_courier,
    get_plan,
    save_plan,
    solver_route,
    stop_info,
)
from routing.solver import check_limits
from routing.solver_pool import SolverPool
from routing.tables import Vehicle as VehicleRow
from routing.urgent import UrgentAnswer, UrgentOption
from routing.work import DispatchWork, NbdWork, UrgentWork, insert_urgent_delivery, solve_dispatch, solve_nbd

OVERRUN_SHARE = 0.2
"""A solve may overrun its time limit by this share of it (or the policy's margin, if more) before its
process is killed: building the problem and the travel matrix come on top of the solver's own limit."""
URGENT_TIME_LIMIT_S = 0.0
"""An urgent insertion has no solver time limit of its own: it gets the margin alone."""


@dataclass(frozen=True, slots=True)
class PlanningPolicy:
    """How plans are made; the API builds it from the settings.

    Attributes:
        hard_deadline_tiers: customer tiers whose on-site deadline is hard (never late) in dispatch.
        inspection_prize_s: what an inspection is worth, in seconds of travel an engineer may spend on it.
        matrix: metres and seconds between points. It crosses into the solver processes, so it must
            pickle: a module-level function or an object such as `routing.osrm.SourceMatrix`.
        max_concurrent_solves: day solves running at once in this process (the size of ``pool``); more
            wait their turn.
        time_bounds: the days a plan may be made for, around today.
        overrun_margin_s: the least a solve may overrun its time limit before its process is killed
            (see `solve_timeout_s`).
        pool: the solver processes of day plans, made from ``max_concurrent_solves`` when not given.
        urgent_pool: one solver process for urgent insertions, so that they never wait behind a day's
            solve.
    """

    delivery_service: timedelta = timedelta(minutes=10)
    visit_service: timedelta = timedelta(minutes=60)
    hard_deadline_tiers: frozenset[str] = frozenset()
    inspection_prize_s: int = 4 * 3600
    limits: Limits = field(default_factory=Limits)
    matrix: Matrix = estimate_matrix
    matrix_source: str = "estimate"
    max_concurrent_solves: int = 1
    time_bounds: TimeBounds = field(default_factory=TimeBounds)
    overrun_margin_s: float = 5.0
    pool: SolverPool = field(default=None, compare=False, repr=False)  # type: ignore[assignment]
    urgent_pool: SolverPool = field(default=None, compare=False, repr=False)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.pool is None:
            object.__setattr__(self, "pool", SolverPool(self.max_concurrent_solves))
        if self.urgent_pool is None:
            object.__setattr__(self, "urgent_pool", SolverPool(1))

    def solve_timeout_s(self, time_limit_s: float) -> float:
        """How long a solve's process may run before it is killed: the limit plus the larger of the
        margin and `OVERRUN_SHARE` of the limit."""
        return time_limit_s + max(self.overrun_margin_s, OVERRUN_SHARE * time_limit_s)

    def wait_s(self, time_limit_s: float) -> float:
        """How long a caller may wait for a solve of ``time_limit_s`` before answering that it still runs:
        its process's timeout plus the margin again, for reading the day and keeping the plan."""
        return self.solve_timeout_s(time_limit_s) + self.overrun_margin_s

    async def close(self) -> None:
        """Stop the solver processes (a solve still running is killed); they start again when needed."""
        await self.pool.close()
        await self.urgent_pool.close()


def _stats(problem: RoutingProblem, plan: RoutePlan, source: str, **extra: Any) -> dict[str, Any]:
    s = plan.stats
    return {
        "backend": s.backend,
        "backend_reason": s.backend_reason,
        "wall_s": round(s.wall_s, 3),
        "status": str(s.status),
        "seed": s.seed,
        "time_limit_s": s.time_limit_s,
        "objective": plan.objective,
        "lateness_cost": plan.lateness_cost,
        "vehicles_available": len(problem.vehicles),
        "vehicles_used": len(plan.routes),
        "stops": len(problem.stops),
        "stops_routed": sum(len(route.visits) for route in plan.routes),
        "stops_unassigned": len(plan.unassigned),
        "stops_pinned": sum(1 for stop in problem.stops if stop.pinned_vehicle is not None),
        "late_stops": sum(1 for route in plan.routes for visit in route.visits if visit.lateness),
        "travel_seconds": sum(route.travel_seconds for route in plan.routes),
        "distance_metres": sum(route.distance_metres for route in plan.routes),
        "travel_source": source,
        "notes": list(plan.notes),
        **extra,
    }


@dataclass(frozen=True, slots=True)
class SolvedPlan:
    """A solved plan not yet kept: what `keep_plan` stores."""

    kind: str
    day: date
    depots: tuple[str, ...]
    clock: PlanClock
    problem: RoutingProblem
    plan: RoutePlan
    info: dict[str, StopInfo]
    vehicle_depots: dict[str, str]
    stats: dict[str, Any]
    based_on: int | None = None


async def keep_plan(solved: SolvedPlan, *, actor: str, now: datetime) -> PlanView:
    """Keep a solved plan as a draft and read it back."""
    plan_id = await save_plan(
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
    return await get_plan(plan_id)


async def solve_nbd_day(
    day: date,
    depots: Sequence[str] | None,
    *,
    time_limit_s: float,
    seed: int,
    now: datetime,
    policy: PlanningPolicy,
    unpin: Sequence[int] = (),
) -> SolvedPlan:
    """Plan the deliveries due on ``day`` from ``depots`` (all when empty); `keep_plan` keeps it.

    Planned during the day, it starts from the present (`routing.live_day`): vans where they are,
    stops done or cancelled left out, failed ones planned again, stops in progress first, the committed
    stops not yet started pinned in their order unless ``unpin`` (stop ids) lets them go; committed
    stops that can no longer be kept come back unassigned as ``pin_infeasible``.

    Raises:
        InvalidRequest: an unknown depot or stop to unpin. InvalidTransition: a stop to unpin is in
            progress or done. ProblemTooLarge: too many stops or vans, or too long a limit.
    """
    data = await delivery_day(day, depots, service=policy.delivery_service, now=now)
    committed = await committed_plans(NBD, day, list(data.depots))
    live = await live_day(NBD, day, committed, unpin)
    vans, available = await present_fleet(VEHICLE, data.vans, live, day=day, now=now)
    carried = [
        item
        for item in await _carried_urgent(committed, {van.code: van.depot for van in data.vans})
        if live.plans(item.id) and not live.pickup_failed(item.id)
    ]
    loaded = {item.id for item in carried if live.finished(f"{item.id}:pickup")}
    orders = [live.order(order, now) for order in data.orders if live.plans(order.id)]
    check_limits(
        policy.limits,
        stops=len(orders) + 2 * len(carried),
        vehicles=len(vans),
        time_limit_s=time_limit_s,
    )
    keys = {order.id for order in orders} | {item.id for item in carried}
    keys |= {f"{item.id}:pickup" for item in carried if item.id not in loaded}
    pins = live.pins(committed, keys, available)
    orders = [replace(order, pin=pins.get(order.id)) for order in orders]
    windows = _urgent_windows(committed)
    orders += [
        live.order(live.loaded(item, windows[item.id], pins.get(item.id)), now)
        for item in carried
        if item.id in loaded
    ]
    urgent = [
        replace(item, pin=pins.get(item.id), pickup_pin=pins.get(f"{item.id}:pickup"))
        for item in carried
        if item.id not in loaded
    ]
    info = {
        **data.info,
        **{
            view.key: stop_info(view)
            for plan in committed
            for route in plan.routes
            for view in route.stops
            if view.key in keys - data.info.keys()
        },
    }
    clock = PlanClock.for_date(day)
    work = NbdWork(
        data.depots,
        tuple(orders),
        tuple(vans),
        clock,
        tuple(urgent),
        policy.matrix,
        policy.limits,
        time_limit_s,
        seed,
    )
    problem, plan = await policy.pool.run(solve_nbd, work, timeout_s=policy.solve_timeout_s(time_limit_s))
    return SolvedPlan(
        NBD,
        day,
        tuple(data.depots),
        clock,
        problem,
        plan,
        info,
        {van.code: van.depot for van in data.vans},
        _stats(problem, plan, policy.matrix_source, pins_released=dict(sorted(live.released.items()))),
    )


def _urgent_windows(plans: Sequence[PlanView]) -> dict[str, tuple[datetime, datetime]]:
    """The delivery windows of the committed urgent deliveries, by key."""
    return {
        stop.key: (stop.window_start or stop.due_from, stop.window_end or stop.due_by)
        for plan in plans
        for route in plan.routes
        for stop in route.stops
        if stop.kind == "delivery" and stop.key.startswith("U")
    }


async def solve_dispatch_day(
    day: date,
    depots: Sequence[str] | None,
    *,
    time_limit_s: float,
    seed: int,
    now: datetime,
    policy: PlanningPolicy,
    unpin: Sequence[int] = (),
) -> SolvedPlan:
    """Dispatch the engineers of ``depots`` (all when empty) on ``day``; `keep_plan` keeps it.

    Visits of the committed dispatch plan of the day stay with their engineers in their order; parts
    that a committed delivery plan brings to the site are not collected. Planned during the day, it
    starts from the present as `solve_nbd_day` does: engineers where they are, within their shift and
    outside their absences, visits done left out, failed ones planned again, a part collected no longer
    to collect.

    Raises:
        InvalidRequest: an unknown depot or stop to unpin. InvalidTransition: a stop to unpin is in
            progress or done. ProblemTooLarge: too many stops or engineers, or too long a limit.
    """
    delivered = delivered_by_courier(await committed_plans(NBD, day))
    data = await dispatch_day(
        day,
        depots,
        visit_service=policy.visit_service,
        hard_tiers=policy.hard_deadline_tiers,
        inspection_prize=policy.inspection_prize_s,
        delivered=delivered,
        now=now,
    )
    committed = await committed_plans(DISPATCH, day)
    live = await live_day(DISPATCH, day, committed, unpin)
    engineers, available = await present_fleet(ENGINEER, data.engineers, live, day=day, now=now)
    jobs = [
        live.job(job, now)
        for job in data.jobs
        if live.plans(job.id) and (job.pickup_depot is None or not live.pickup_failed(job.id))
    ]
    inspections = [live.inspection(item, now) for item in data.inspections if live.plans(item.id)]
    keys = {job.id for job in jobs} | {item.id for item in inspections}
    keys |= {f"{job.id}:pickup" for job in jobs if job.pickup_depot is not None}
    check_limits(
        policy.limits,
        stops=len(keys),
        vehicles=len(engineers),
        time_limit_s=time_limit_s,
    )
    pins = live.pins(committed, keys, available)
    # A committed visit whose site is closed now (its hours are over) is not pinned: it comes back closed.
    jobs = [
        job if job.closed else replace(job, pin=pins.get(job.id), pickup_pin=pins.get(f"{job.id}:pickup"))
        for job in jobs
    ]
    inspections = [item if item.closed else replace(item, pin=pins.get(item.id)) for item in inspections]
    clock = PlanClock.for_date(day)
    work = DispatchWork(
        tuple(engineers),
        tuple(jobs),
        tuple(inspections),
        clock,
        policy.matrix,
        policy.limits,
        time_limit_s,
        seed,
    )
    problem, plan = await policy.pool.run(
        solve_dispatch, work, timeout_s=policy.solve_timeout_s(time_limit_s)
    )
    return SolvedPlan(
        DISPATCH,
        day,
        tuple(sorted(set(data.home_depots.values()))) if depots else (),
        clock,
        problem,
        plan,
        {key: value for key, value in data.info.items() if key in keys},
        data.home_depots,
        _stats(problem, plan, policy.matrix_source, pins_released=dict(sorted(live.released.items()))),
    )


async def _carried_urgent(committed: Sequence[PlanView], van_depots: dict[str, str]) -> list[UrgentDelivery]:
    """Urgent deliveries of the committed plans whose parts are still held, to keep in a re-plan."""
    found = [
        (route, stop)
        for plan in committed
        for route in plan.routes
        for stop in route.stops
        if stop.kind == "delivery" and stop.key.startswith("U") and route.vehicle in van_depots
    ]
    held = await still_held([stop.reservation for _route, stop in found if stop.reservation is not None])
    carried = []
    for route, stop in found:
        pickup = next((s for s in route.stops if s.key == f"{stop.key}:pickup"), None)
        if stop.reservation not in held or pickup is None:
            continue
        placeholder = Pin(route.vehicle, 0)
        carried.append(
            UrgentDelivery(
                stop.key,
                van_depots[route.vehicle],
                Place(pickup.place, Point(pickup.latitude, pickup.longitude)),
                Place(stop.place, Point(stop.latitude, stop.longitude)),
                stop.window_start,
                stop.window_end,
                timedelta(seconds=stop.service_seconds),
                timedelta(seconds=pickup.service_seconds),
                stop.weight_g,
                stop.volume_ml,
                placeholder,
                placeholder,
            )
        )
    return carried


@dataclass(frozen=True, slots=True)
class UrgentDelay:
    """A planned stop that an urgent option makes begin later (never past its limits)."""

    key: str
    ticket: int | None
    seconds: int


@dataclass(frozen=True, slots=True)
class UrgentChoice:
    """One way of taking the part to its site: a van's route of ``day`` (or a dedicated run), where the
    pickup and the delivery go in it, when, the slack before the due time (negative: the miss), and the
    planned stops it delays."""

    vehicle: str
    dedicated: bool
    day: date
    pickup_position: int
    delivery_position: int
    pickup_at: datetime
    eta: datetime
    slack_seconds: int
    delays: tuple[UrgentDelay, ...] = ()


@dataclass(frozen=True, slots=True)
class UrgentResult:
    """The answer to "can this part reach its site in time, and how".

    When the due time cannot be kept, ``earliest_eta`` is the earliest arrival any van can make (today,
    or on its next shift when none can today) and ``misses_by_seconds`` how much after the due time;
    ``options`` ranks up to three ways, best first (by cost when on time, else by ETA).
    """

    reservation: int
    feasible: bool
    due_by: datetime
    vehicle: str | None = None
    dedicated: bool = False
    pickup_at: datetime | None = None
    eta: datetime | None = None
    reason: str | None = None
    plan_id: int | None = None
    based_on: tuple[int, ...] = ()
    earliest_eta: datetime | None = None
    misses_by_seconds: int | None = None
    options: tuple[UrgentChoice, ...] = ()


_KINDS = {"delivery": StopKind.DELIVERY, "pickup": StopKind.PICKUP}


class _DayModel:
    """The day's committed delivery plans read back as one problem and plan, plus the urgent stops."""

    def __init__(
        self, clock: PlanClock, vans: list[Van], depots: dict[str, Point], plans: list[PlanView]
    ) -> None:
        self.clock = clock
        self.places = Locations()
        self.info: dict[str, StopInfo] = {}
        self.vehicle_depots = {van.code: van.depot for van in vans}
        self.vehicles = [van_vehicle(van, depots, self.places, clock) for van in vans]
        self.stops: list[Stop] = []
        self.routes: list[Route] = []
        self.unassigned: dict[str, UnassignedReason] = {}
        for plan in plans:
            for route in plan.routes:
                for stop in route.stops:
                    self._add(stop)
                self.routes.append(solver_route(route, clock))
            for stop in plan.unassigned:
                self._add(stop)
                self.unassigned[stop.key] = UnassignedReason(stop.unassigned_reason)

    def _add(self, view: StopView) -> None:
        info = stop_info(view)
        self.stops.append(
            Stop(
                view.key,
                self.places.index(info.place),
                view.service_seconds,
                (view.weight_g, view.volume_ml),
                self.clock.window(view.window_start, view.window_end),
                _KINDS.get(view.kind, StopKind.VISIT),
                optional=view.optional,
                penalty=view.prize,
                pickup_of=view.pickup_of,
                required_skills=frozenset(view.skills),
            )
        )
        self.info[view.key] = info

    def urgent_work(
        self, stop: Stop, *, pickup_location: int, now: int, pickup_service: int, policy: PlanningPolicy
    ) -> UrgentWork:
        """The committed plans and ``stop``, for `routing.work.insert_urgent_delivery`."""
        return UrgentWork(
            tuple(self.places.points),
            tuple(self.stops),
            tuple(self.vehicles),
            tuple(self.routes),
            dict(self.unassigned),
            stop,
            pickup_location,
            now,
            pickup_service,
            policy.matrix,
            policy.limits,
        )


async def _vans_of_day(day: date) -> tuple[list[Van], dict[str, Point]]:
    """Every active van with its whole shift on ``day``, and the depots they start from."""
    rows = await Depot.select(Depot.code, Depot.latitude, Depot.longitude, Depot.timezone).where(
        Depot.id.is_in(VehicleRow.select(VehicleRow.depot).where(VehicleRow.active == True))  # noqa: E712
    )
    zones = {row["code"]: ZoneInfo(row["timezone"]) for row in rows}
    vans = await vans_of(day, list(zones), zones, now=datetime.min.replace(tzinfo=UTC))
    return vans, {row["code"]: Point(row["latitude"], row["longitude"]) for row in rows}


async def urgent_delivery(
    reservation_id: int, *, now: datetime, policy: PlanningPolicy
) -> tuple[UrgentResult, SolvedPlan | None]:
    """Can the reserved part reach the ticket's site by its delivery due time, and how.

    The part is collected at the reservation's depot (after pick and pack) by a van of the day's
    committed delivery plans without making any planned stop late, or by a dedicated run of a free
    van, whichever costs less. A feasible answer is kept as a new draft plan of the day (the
    committed plans with the two new stops, returned for `keep_plan`) for the dispatcher to commit.
    The answer ranks up to three options with their slack and the planned stops they delay. When the
    due time cannot be kept it says the earliest arrival and the miss: today's, or, when no van can take
    the part today at all, on the vans' next shift (the next day's committed plans).

    Raises:
        NotFound: no such reservation. InvalidTransition: it no longer holds stock.
        Conflict: the committed plans no longer match the fleet or travel times (re-plan first).
    """
    row = (
        await Reservation.select(
            Reservation.id,
            Reservation.status,
            Reservation.quantity,
            Reservation.ticket.id.as_alias("ticket"),
            Reservation.ticket.delivery_due_by.as_alias("due_by"),
            Reservation.part.weight_kg.as_alias("weight_kg"),
            Reservation.part.volume_l.as_alias("volume_l"),
            Reservation.depot.code.as_alias("depot"),
            Reservation.depot.latitude.as_alias("depot_latitude"),
            Reservation.depot.longitude.as_alias("depot_longitude"),
            Reservation.depot.timezone.as_alias("timezone"),
            Reservation.ticket.site.id.as_alias("site"),
            Reservation.ticket.site.code.as_alias("site_code"),
            Reservation.ticket.site.latitude.as_alias("latitude"),
            Reservation.ticket.site.longitude.as_alias("longitude"),
        )
        .where(Reservation.id == reservation_id)
        .first()
    )
    if row is None:
        raise NotFound(f"reservation {reservation_id} not found", field="reservation_id")
    if row["status"] != "active":
        raise InvalidTransition(f"reservation {reservation_id} is {row['status']}", state=row["status"])
    today = now.astimezone(ZoneInfo(row["timezone"])).date()
    day, model, plans, answer = await _urgent_on(today, row, reservation_id, now=now, policy=policy)
    if answer is not None and not answer.feasible and not answer.options:
        # Nothing can take it today, not even late: the vans' next shift gives the earliest arrival.
        later = await _urgent_on(today + timedelta(days=1), row, reservation_id, now=now, policy=policy)
        if later[3] is not None and (later[3].feasible or later[3].options):
            day, model, plans, answer = later
    clock = model.clock
    base = tuple(plan.id for plan in plans)
    choices = tuple(_choice(option, day, clock, model) for option in (answer.options if answer else ()))
    if answer is None or not answer.feasible:
        reason = UnassignedReason.NO_VEHICLE if answer is None else answer.reason
        earliest = None if answer is None or answer.earliest_eta is None else clock.at(answer.earliest_eta)
        result = UrgentResult(
            reservation_id,
            False,
            row["due_by"],
            reason=str(reason),
            based_on=base,
            earliest_eta=earliest,
            misses_by_seconds=None if answer is None else answer.misses_by,
            options=choices,
        )
        return result, None
    if answer.plan is None or answer.problem is None:
        raise AssertionError("a feasible urgent answer carries its plan")
    solved = SolvedPlan(
        NBD,
        day,
        tuple(sorted({d for plan in plans for d in plan.depots} | {row["depot"]})),
        clock,
        answer.problem,
        answer.plan,
        model.info,
        model.vehicle_depots,
        {
            **_stats(answer.problem, answer.plan, policy.matrix_source),
            "urgent_reservation": reservation_id,
            "based_on": list(base),
        },
        base[-1] if base else None,
    )
    result = UrgentResult(
        reservation_id,
        True,
        row["due_by"],
        answer.vehicle_id,
        answer.dedicated,
        clock.at(answer.pickup_time) if answer.pickup_time is not None else None,
        clock.at(answer.eta) if answer.eta is not None else None,
        None,
        None,
        base,
        options=choices,
    )
    return result, solved


def _choice(option: UrgentOption, day: date, clock: PlanClock, model: _DayModel) -> UrgentChoice:
    return UrgentChoice(
        option.vehicle_id,
        option.dedicated,
        day,
        option.pickup_position,
        option.delivery_position,
        clock.at(option.pickup_time),
        clock.at(option.eta),
        option.slack,
        tuple(
            UrgentDelay(key, model.info[key].ticket if key in model.info else None, seconds)
            for key, seconds in option.delays
        ),
    )


async def _urgent_on(
    day: date, row: dict, reservation_id: int, *, now: datetime, policy: PlanningPolicy
) -> tuple[date, _DayModel, list[PlanView], UrgentAnswer | None]:
    """The urgent insertion into the committed delivery plans of ``day``, with that day's vans.

    Raises:
        InvalidTransition: the reservation is already in the day's plan.
        Conflict: the committed plans no longer match the fleet or travel times.
    """
    clock = PlanClock.for_date(day)
    plans = await committed_plans(NBD, day)
    model = _DayModel(clock, *await _vans_of_day(day), plans)
    key = urgent_key(reservation_id)
    if key in model.info:
        raise InvalidTransition(
            f"reservation {reservation_id} is already in the day's plan", field="reservation_id"
        )
    depot = Place(row["depot"], Point(row["depot_latitude"], row["depot_longitude"]))
    site = Place(row["site_code"], Point(row["latitude"], row["longitude"]))
    pickup_at, site_at = model.places.index(depot), model.places.index(site)
    now_s, due_s = clock.seconds(now), clock.seconds(row["due_by"])
    stop = Stop(
        key,
        site_at,
        round(policy.delivery_service.total_seconds()),
        (
            round(row["weight_kg"] * row["quantity"] * 1000),
            round(row["volume_l"] * row["quantity"] * 1000),
        ),
        TimeWindow(min(now_s, due_s), due_s),
    )
    model.info[key] = StopInfo(
        "delivery",
        site,
        row["ticket"],
        reservation_id,
        site=row["site"],
        depot=row["depot"],
        due_from=now,
        due_by=row["due_by"],
    )
    model.info[f"{key}:pickup"] = StopInfo("pickup", depot, row["ticket"], reservation_id, depot=row["depot"])
    work = model.urgent_work(
        stop,
        pickup_location=pickup_at,
        now=now_s,
        pickup_service=round(PICK_AND_PACK.total_seconds()),
        policy=policy,
    )
    outcome = await policy.urgent_pool.run(
        insert_urgent_delivery, work, timeout_s=policy.solve_timeout_s(URGENT_TIME_LIMIT_S)
    )
    if outcome.mismatch:
        raise Conflict("the day's committed delivery plans no longer match the fleet; re-plan first")
    return day, model, plans, outcome.answer
