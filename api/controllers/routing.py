"""Delivery route plans, urgent 4-hour deliveries and engineer dispatch.

A solve reads the day, runs its CPU work in a solver process (`routing.SolverPool`) and only then takes
the write transaction that keeps the plan, so that a long solve never holds the database or the event
loop.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK

import routing
from api.idempotency import idempotent
from api.params import PathId
from api.schemas.routing import DayPlanIn, PlanOut, UrgentIn, UrgentOut
from api.security import allow
from api.settings import Settings
from inventory.accounts import STAFF, Principal, Role
from inventory.time_window import check_plan_day
from routing import DISPATCH, NBD, Limits, SourceMatrix, commit_plan, get_plan, matrix_source

PLANNERS = (Role.ADMIN, Role.DISPATCHER)


def planning_policy(settings: Settings) -> routing.PlanningPolicy:
    """The planning policy of the settings, with solver processes of its own (started when first
    needed; `routing.PlanningPolicy.close` stops them)."""
    source = matrix_source(settings.routing_osrm_url, timeout_s=settings.routing_osrm_timeout_s)
    return routing.PlanningPolicy(
        delivery_service=timedelta(minutes=settings.routing_delivery_service_minutes),
        visit_service=timedelta(minutes=settings.dispatch_visit_minutes),
        hard_deadline_tiers=frozenset(settings.dispatch_hard_deadline_tiers),
        inspection_prize_s=round(settings.dispatch_inspection_prize_minutes * 60),
        limits=Limits(
            settings.routing_max_stops, settings.routing_max_vehicles, settings.routing_max_time_limit_s
        ),
        matrix=SourceMatrix(source),
        matrix_source="osrm" if settings.routing_osrm_url else "estimate",
        max_concurrent_solves=settings.routing_max_concurrent_solves,
        time_bounds=settings.time_bounds(),
        overrun_margin_s=settings.routing_solve_margin_s,
    )


@dataclass(frozen=True, slots=True)
class Plans:
    """What the delivery and the dispatch controllers do with their plans, which differ only in kind."""

    kind: str
    solve_day: Callable[..., Awaitable[routing.SolvedPlan]]

    async def solve(
        self,
        data: DayPlanIn,
        now: datetime,
        planning_policy: routing.PlanningPolicy,
        settings: Settings,
    ) -> routing.SolvedPlan:
        """Solve a day (outside any transaction: `idempotent` runs it as its prepare step)."""
        check_plan_day("date", data.date, today=now.date(), bounds=settings.time_bounds())
        time_limit_s = data.time_limit_s
        return await self.solve_day(
            data.date,
            data.depots,
            time_limit_s=settings.routing_default_time_limit_s if time_limit_s is None else time_limit_s,
            seed=data.seed,
            now=now,
            policy=planning_policy,
        )

    @staticmethod
    async def keep(solved: routing.SolvedPlan, principal: Principal, now: datetime) -> PlanOut:
        """Keep a solved plan as a draft."""
        return PlanOut.of(await routing.keep_plan(solved, actor=principal.username, now=now))

    async def get(self, plan_id: int, *, any_kind: bool = False) -> PlanOut:
        """A kept plan of this kind (or of any kind)."""
        return PlanOut.of(await get_plan(plan_id, kind=None if any_kind else self.kind))

    async def commit(self, plan_id: int, principal: Principal, now: datetime) -> PlanOut:
        """Make a draft of this kind the committed plan of its day and depots."""
        return PlanOut.of(await commit_plan(plan_id, kind=self.kind, actor=principal.username, now=now))


DELIVERIES = Plans(NBD, routing.solve_nbd_day)
DISPATCHES = Plans(DISPATCH, routing.solve_dispatch_day)


async def find_urgent_delivery(
    data: UrgentIn, now: datetime, planning_policy: routing.PlanningPolicy
) -> tuple[routing.UrgentResult, routing.SolvedPlan | None]:
    """How a reserved part can reach its site in time (outside any transaction, as a prepare step)."""
    return await routing.urgent_delivery(data.reservation_id, now=now, policy=planning_policy)


class RoutingController(Controller):
    path = "/routing"
    tags = ["routing"]
    guards = [allow(*STAFF)]

    @post("/nbd-plans", operation_id="planNextBusinessDay", guards=[allow(*PLANNERS)])
    @idempotent(prepare=DELIVERIES.solve)
    async def plan_nbd(
        self,
        data: JSONBody[DayPlanIn],
        principal: NamedDependency[Principal],
        now: NamedDependency[datetime],
        planning_policy: NamedDependency[routing.PlanningPolicy],
        settings: NamedDependency[Settings],
        prepared: routing.SolvedPlan,
    ) -> PlanOut:
        """Plan the next-business-day deliveries due on a date, from the given depots (all if none).

        Every order (a ticket's parts reserved at one depot) goes on a van of that depot within the
        site's delivery window; stops that cannot be served come back unassigned with the reason.
        The plan is kept as a draft; committing it pins its stops for later re-plans.
        """
        return await DELIVERIES.keep(prepared, principal, now)

    @get("/plans/{plan_id:int}", operation_id="getPlan")
    async def get_plan(self, plan_id: PathId) -> PlanOut:
        """A kept delivery or dispatch plan: routes with ordered stops and times, unassigned stops."""
        return await DELIVERIES.get(plan_id, any_kind=True)

    @post(
        "/plans/{plan_id:int}/commit",
        operation_id="commitDeliveryPlan",
        guards=[allow(*PLANNERS)],
        status_code=HTTP_200_OK,
    )
    @idempotent
    async def commit(
        self, plan_id: PathId, principal: NamedDependency[Principal], now: NamedDependency[datetime]
    ) -> PlanOut:
        """Make a delivery plan the day's committed plan for its depots (409 if it was superseded)."""
        return await DELIVERIES.commit(plan_id, principal, now)

    @post("/urgent", operation_id="planUrgentDelivery", guards=[allow(*PLANNERS)], status_code=HTTP_200_OK)
    @idempotent(prepare=find_urgent_delivery)
    async def urgent(
        self,
        data: JSONBody[UrgentIn],
        principal: NamedDependency[Principal],
        now: NamedDependency[datetime],
        planning_policy: NamedDependency[routing.PlanningPolicy],
        prepared: tuple[routing.UrgentResult, routing.SolvedPlan | None],
    ) -> UrgentOut:
        """Can this reserved part reach its site by the delivery due time, and how.

        Inserted into the day's committed delivery plans without making any planned stop late, or
        sent as a dedicated run. When feasible, the new plan is kept as a draft (``plan_id``).
        """
        result, solved = prepared
        plan_id = None
        if solved is not None:
            plan_id = (await routing.keep_plan(solved, actor=principal.username, now=now)).id
        return UrgentOut.of(result).model_copy(update={"plan_id": plan_id})


class DispatchController(Controller):
    path = "/dispatch"
    tags = ["dispatch"]
    guards = [allow(*STAFF)]

    @post("/plans", operation_id="planDispatch", guards=[allow(*PLANNERS)])
    @idempotent(prepare=DISPATCHES.solve)
    async def plan(
        self,
        data: JSONBody[DayPlanIn],
        principal: NamedDependency[Principal],
        now: NamedDependency[datetime],
        planning_policy: NamedDependency[routing.PlanningPolicy],
        settings: NamedDependency[Settings],
        prepared: routing.SolvedPlan,
    ) -> PlanOut:
        """Send engineers to the open tickets that need a site visit on a date.

        Skills match; a part reserved at a depot and not brought by a committed delivery is collected
        there first by the same engineer; late arrivals cost by severity and tier; inspections fill
        free time; visits of the committed dispatch plan stay with their engineers in their order.
        """
        return await DISPATCHES.keep(prepared, principal, now)

    @get("/plans/{plan_id:int}", operation_id="getDispatchPlan")
    async def get_plan(self, plan_id: PathId) -> PlanOut:
        """A kept dispatch plan."""
        return await DISPATCHES.get(plan_id)

    @post(
        "/plans/{plan_id:int}/commit",
        operation_id="commitDispatchPlan",
        guards=[allow(*PLANNERS)],
        status_code=HTTP_200_OK,
    )
    @idempotent
    async def commit(
        self, plan_id: PathId, principal: NamedDependency[Principal], now: NamedDependency[datetime]
    ) -> PlanOut:
        """Commit a dispatch plan: its visits are pinned in every later re-plan of the day."""
        return await DISPATCHES.commit(plan_id, principal, now)
