"""Delivery route plans, urgent 4-hour deliveries and engineer dispatch.

A solve reads the day, runs in a worker thread and only then takes the write transaction that keeps
the plan, so that a long solve never holds the database.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK

from api.idempotency import IdempotencyKey, answered_before, run_once
from api.params import PathId
from api.schemas.routing import DayPlanIn, PlanOut, UrgentIn, UrgentOut
from api.security import STAFF, Principal, Role, allow
from api.settings import Settings
from inventory.time_window import check_plan_day
from routing import planning
from routing.model import Limits
from routing.osrm import matrix_source
from routing.plan_store import DISPATCH, NBD, commit_plan, get_plan

PLANNERS = (Role.ADMIN, Role.DISPATCHER)


def planning_policy(settings: Settings) -> planning.PlanningPolicy:
    """The planning policy of the settings (one per process, so its solve limiter is shared)."""
    source = matrix_source(settings.routing_osrm_url, timeout_s=settings.routing_osrm_timeout_s)

    def matrix(points: Any) -> tuple[list[list[int]], list[list[int]]]:
        result = source.matrix(points)
        return result.metres, result.seconds

    return planning.PlanningPolicy(
        delivery_service=timedelta(minutes=settings.routing_delivery_service_minutes),
        visit_service=timedelta(minutes=settings.dispatch_visit_minutes),
        hard_deadline_tiers=frozenset(settings.dispatch_hard_deadline_tiers),
        inspection_prize_s=round(settings.dispatch_inspection_prize_minutes * 60),
        limits=Limits(
            settings.routing_max_stops, settings.routing_max_vehicles, settings.routing_max_time_limit_s
        ),
        matrix=matrix,
        matrix_source="osrm" if settings.routing_osrm_url else "estimate",
        max_concurrent_solves=settings.routing_max_concurrent_solves,
    )


async def _plan_and_keep(
    request: Request[Any, Any, Any],
    data: DayPlanIn,
    principal: Principal,
    now: datetime,
    key: str | None,
    solve: Callable[..., Awaitable[planning.SolvedPlan]],
    policy: planning.PlanningPolicy,
    settings: Settings,
) -> Response[PlanOut]:
    """Solve outside any transaction (a retried request replays instead), then keep the plan once."""
    check_plan_day("date", data.date, today=now.date(), bounds=settings.time_bounds())
    replay = await answered_before(request, principal, data, key=key)
    if replay is not None:
        return replay
    solved = await solve(
        data.date,
        data.depots,
        time_limit_s=settings.routing_default_time_limit_s
        if data.time_limit_s is None
        else data.time_limit_s,
        seed=data.seed,
        now=now,
        policy=policy,
    )

    async def keep() -> PlanOut:
        return PlanOut.of(await planning.keep_plan(solved, actor=principal.username, now=now))

    return await run_once(request, principal, data, keep, key=key, now=now)


class RoutingController(Controller):
    path = "/routing"
    tags = ["routing"]
    guards = [allow(*STAFF)]

    @post("/nbd-plans", operation_id="planNextBusinessDay", guards=[allow(*PLANNERS)])
    async def plan_nbd(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[DayPlanIn],
        principal: NamedDependency[Principal],
        now: NamedDependency[datetime],
        planning_policy: NamedDependency[planning.PlanningPolicy],
        settings: NamedDependency[Settings],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[PlanOut]:
        """Plan the next-business-day deliveries due on a date, from the given depots (all if none).

        Every order (a ticket's parts reserved at one depot) goes on a van of that depot within the
        site's delivery window; stops that cannot be served come back unassigned with the reason.
        The plan is kept as a draft; committing it pins its stops for later re-plans.
        """
        return await _plan_and_keep(
            request,
            data,
            principal,
            now,
            idempotency_key,
            planning.solve_nbd_day,
            planning_policy,
            settings,
        )

    @get("/plans/{plan_id:int}", operation_id="getPlan")
    async def get_plan(self, plan_id: PathId) -> PlanOut:
        """A kept delivery or dispatch plan: routes with ordered stops and times, unassigned stops."""
        return PlanOut.of(await get_plan(plan_id))

    @post(
        "/plans/{plan_id:int}/commit",
        operation_id="commitDeliveryPlan",
        guards=[allow(*PLANNERS)],
        status_code=HTTP_200_OK,
    )
    async def commit(
        self,
        request: Request[Any, Any, Any],
        plan_id: PathId,
        principal: NamedDependency[Principal],
        now: NamedDependency[datetime],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[PlanOut]:
        """Make a delivery plan the day's committed plan for its depots (409 if it was superseded)."""

        async def act() -> PlanOut:
            return PlanOut.of(await commit_plan(plan_id, kind=NBD, actor=principal.username, now=now))

        return await run_once(request, principal, None, act, key=idempotency_key, now=now)

    @post("/urgent", operation_id="planUrgentDelivery", guards=[allow(*PLANNERS)], status_code=HTTP_200_OK)
    async def urgent(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[UrgentIn],
        principal: NamedDependency[Principal],
        now: NamedDependency[datetime],
        planning_policy: NamedDependency[planning.PlanningPolicy],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[UrgentOut]:
        """Can this reserved part reach its site by the delivery due time, and how.

        Inserted into the day's committed delivery plans without making any planned stop late, or
        sent as a dedicated run. When feasible, the new plan is kept as a draft (``plan_id``).
        """
        replay = await answered_before(request, principal, data, key=idempotency_key)
        if replay is not None:
            return replay
        result, solved = await planning.urgent_delivery(data.reservation_id, now=now, policy=planning_policy)

        async def keep() -> UrgentOut:
            plan_id = None
            if solved is not None:
                plan_id = (await planning.keep_plan(solved, actor=principal.username, now=now)).id
            return UrgentOut.of(result).model_copy(update={"plan_id": plan_id})

        return await run_once(request, principal, data, keep, key=idempotency_key, now=now)


class DispatchController(Controller):
    path = "/dispatch"
    tags = ["dispatch"]
    guards = [allow(*STAFF)]

    @post("/plans", operation_id="planDispatch", guards=[allow(*PLANNERS)])
    async def plan(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[DayPlanIn],
        principal: NamedDependency[Principal],
        now: NamedDependency[datetime],
        planning_policy: NamedDependency[planning.PlanningPolicy],
        settings: NamedDependency[Settings],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[PlanOut]:
        """Send engineers to the open tickets that need a site visit on a date.

        Skills match; a part reserved at a depot and not brought by a committed delivery is collected
        there first by the same engineer; late arrivals cost by severity and tier; inspections fill
        free time; visits of the committed dispatch plan stay with their engineers in their order.
        """
        return await _plan_and_keep(
            request,
            data,
            principal,
            now,
            idempotency_key,
            planning.solve_dispatch_day,
            planning_policy,
            settings,
        )

    @get("/plans/{plan_id:int}", operation_id="getDispatchPlan")
    async def get_plan(self, plan_id: PathId) -> PlanOut:
        """A kept dispatch plan."""
        return PlanOut.of(await get_plan(plan_id, kind=DISPATCH))

    @post(
        "/plans/{plan_id:int}/commit",
        operation_id="commitDispatchPlan",
        guards=[allow(*PLANNERS)],
        status_code=HTTP_200_OK,
    )
    async def commit(
        self,
        request: Request[Any, Any, Any],
        plan_id: PathId,
        principal: NamedDependency[Principal],
        now: NamedDependency[datetime],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[PlanOut]:
        """Commit a dispatch plan: its visits are pinned in every later re-plan of the day."""

        async def act() -> PlanOut:
            return PlanOut.of(await commit_plan(plan_id, kind=DISPATCH, actor=principal.username, now=now))

        return await run_once(request, principal, None, act, key=idempotency_key, now=now)
