"""Delivery route plans, urgent 4-hour deliveries and engineer dispatch.

A plan request becomes a solve (`routing.request_solve`) that the application's queue runs outside the
request (`routing.run_solve`: the day is read, the CPU work runs in a solver process, the plan is kept
as a draft). The request answers 202 with the solve at once (``Prefer: respond-async``) or waits for it
without blocking the event loop and answers as a synchronous solve would: 201 with the plan, or the
problem the solve failed with. ``Idempotency-Key`` is the solve's own: a retry is the same solve. The
urgent check answers at once; its insertion runs in a solver process too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_202_ACCEPTED

import routing
from api.errors import problem_document
from api.idempotency import IdempotencyKey, fingerprint, idempotent
from api.openapi import AcceptedOperation
from api.pagination import Page, PageRequest, page_of
from api.params import RESPOND_ASYNC, PathId, Prefer, prefers_async
from api.schemas.lists import PlanSummaryOut
from api.schemas.routing import (
    DayPlanIn,
    MoveIn,
    MoveOut,
    PlanOut,
    SolveOut,
    StopEventIn,
    StopOut,
    UrgentIn,
    UrgentOut,
)
from api.security import allow
from api.settings import Settings
from inventory.accounts import STAFF, Principal, Role
from inventory.time_window import TimeBounds, check_reported_time
from routing import DISPATCH, NBD, Limits, SourceMatrix, commit_plan, get_plan, matrix_source

PLANNERS = (Role.ADMIN, Role.DISPATCHER)
VAN_REPORTERS = (Role.ADMIN, Role.DISPATCHER, Role.WAREHOUSE)
"""Who reports what happens at a van's stops: the planners, and the warehouse, which sends the vans out
and may hand parts out already (a delivery done issues its reservations)."""
REPLAYED = "Idempotency-Replayed"


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
    """What the delivery and the dispatch controllers do with their plans, which differ only in kind and
    in the names of their routes (for the URLs they answer with)."""

    kind: str
    plan_route: str
    solve_route: str

    async def request(
        self,
        request: Request[Any, Any, Any],
        data: DayPlanIn,
        *,
        principal: Principal,
        now: datetime,
        settings: Settings,
        policy: routing.PlanningPolicy,
        solves: routing.SolveQueue,
        prefer: str | None,
        key: str | None,
    ) -> Response[Any]:
        """Ask for a plan of a day: a solve, handed to the queue unless the same key made it before.

        With ``Prefer: respond-async`` the answer is 202 with the solve at once; otherwise the request waits
        for it (asynchronously) and answers the plan (201) or the problem it failed with, or 202 if it
        runs longer than its time limit and margins.
        """
        time_limit_s = data.time_limit_s
        solve = await routing.request_solve(
            self.kind,
            data.date,
            data.depots,
            time_limit_s=settings.routing_default_time_limit_s if time_limit_s is None else time_limit_s,
            seed=data.seed,
            actor=principal.username,
            now=now,
            key=key,
            fingerprint=None if key is None else fingerprint(data),
            policy=policy,
            unpin=data.unpin,
        )
        if not solve.replayed:
            await solves.submit(solve.id)
        headers = {REPLAYED: "true"} if solve.replayed else {}
        if prefers_async(prefer):
            return self.accepted(request, solve, {**headers, "Preference-Applied": RESPOND_ASYNC})
        solve = await routing.wait_for_solve(solve.id, timeout_s=policy.wait_s(solve.time_limit_s))
        if solve.state == routing.DONE and solve.plan_id is not None:
            plan = PlanOut.of(await get_plan(solve.plan_id))
            return Response(plan.model_dump(mode="json"), status_code=HTTP_201_CREATED, headers=headers)
        if solve.failure is not None:
            raise solve.failure.exception()
        return self.accepted(request, solve, headers)

    def accepted(
        self, request: Request[Any, Any, Any], solve: routing.SolveView, headers: dict[str, str]
    ) -> Response[Any]:
        """202 with the solve and its Location."""
        location = request.app.route_reverse(self.solve_route, solve_id=solve.id)
        return Response(
            self.solve_out(request, solve).model_dump(mode="json"),
            status_code=HTTP_202_ACCEPTED,
            headers={**headers, "Location": location},
        )

    async def solve(
        self, request: Request[Any, Any, Any], solve_id: int, *, any_kind: bool = False
    ) -> SolveOut:
        """A solve of this kind (or of any kind)."""
        solve = await routing.get_solve(solve_id, kind=None if any_kind else self.kind)
        return self.solve_out(request, solve)

    @staticmethod
    def solve_out(request: Request[Any, Any, Any], solve: routing.SolveView) -> SolveOut:
        plan = None
        if solve.plan_id is not None:
            plan = request.app.route_reverse(PLANS_OF[solve.kind].plan_route, plan_id=solve.plan_id)
        problem = None if solve.failure is None else problem_document(solve.failure.exception())
        return SolveOut.of(solve, plan=plan, problem=problem)

    async def get(self, plan_id: int, *, any_kind: bool = False) -> PlanOut:
        """A kept plan of this kind (or of any kind)."""
        return PlanOut.of(await get_plan(plan_id, kind=None if any_kind else self.kind))

    async def commit(self, plan_id: int, principal: Principal, now: datetime) -> PlanOut:
        """Make a draft of this kind the committed plan of its day and depots."""
        return PlanOut.of(await commit_plan(plan_id, kind=self.kind, actor=principal.username, now=now))

    async def stop_event(
        self,
        plan_id: int,
        stop_id: int,
        data: StopEventIn,
        *,
        principal: Principal,
        now: datetime,
        time_bounds: TimeBounds,
    ) -> StopOut:
        """Move a stop of this kind's committed plan to the event's status."""
        if data.at is not None:
            check_reported_time("at", data.at, now=now, bounds=time_bounds)
        stop = await routing.record_stop_event(
            plan_id,
            stop_id,
            kind=self.kind,
            status=routing.StopStatus(data.type),
            at=data.at or now,
            reason=data.reason,
            actor=principal.username,
            now=now,
        )
        return StopOut.of(stop)

    async def move(
        self,
        plan_id: int,
        data: MoveIn,
        *,
        principal: Principal,
        now: datetime,
        policy: routing.PlanningPolicy,
    ) -> MoveOut:
        """Evaluate a move on a plan of this kind; made (not a dry run), it is a new draft plan."""
        result = await routing.move_stop(
            plan_id,
            data.to_request(),
            kind=self.kind,
            matrix=policy.matrix,
            actor=principal.username,
            now=now,
        )
        return MoveOut.of(result)


DELIVERIES = Plans(NBD, "routing-plan", "routing-solve")
DISPATCHES = Plans(DISPATCH, "dispatch-plan", "dispatch-solve")
PLANS_OF = {NBD: DELIVERIES, DISPATCH: DISPATCHES}


def _move_description(who: str, how: str) -> str:
    return (
        f"Moves a stop of the plan (`stop`, its id) or a ticket's stop (`ticket`) to the {who} `to`, at "
        "`position` of its route (its end if not given); a pickup goes with the stop it is for. It is "
        f"evaluated from now, as a re-plan starts: {how}. `dry_run` answers whether it can be made, "
        "every stop whose time changes and by how much its lateness changes, and the overtime, without "
        "changing anything. Otherwise the move is kept as a new draft plan based on this one (`plan_id`), "
        "to commit: plans are never edited. Windows and hard deadlines always bind; making a "
        "stop later past its soft deadline, or a route end past its shift, needs `override_reason`, which "
        "is kept on the stop and in the audit chain (409 without it). Dispatchers and administrators."
    )


SOLVE_ACCEPTED = {
    HTTP_202_ACCEPTED: ResponseSpec(
        data_container=SolveOut,
        description="The plan is being made: the solve, at its Location. Answered at once to "
        "`Prefer: respond-async`, and when the solve runs longer than its time limit and margins.",
        generate_examples=False,
    )
}


async def find_urgent_delivery(
    data: UrgentIn, now: datetime, planning_policy: routing.PlanningPolicy
) -> tuple[routing.UrgentResult, routing.SolvedPlan | None]:
    """How a reserved part can reach its site in time (outside any transaction, as a prepare step)."""
    return await routing.urgent_delivery(data.reservation_id, now=now, policy=planning_policy)


PlanState = Literal["draft", "committed", "superseded"]


class RoutingController(Controller):
    path = "/routing"
    guards = [allow(*STAFF)]

    @post(
        "/nbd-plans",
        operation_id="planNextBusinessDay",
        tags=["routing"],
        summary="Plan next-business-day deliveries",
        description=(
            "Plans the deliveries due on `date` from the given depots (every depot if none): each order "
            "(a ticket's parts reserved at one depot) rides on a van of that depot, inside the site's "
            "delivery window, within the van's capacity and shift. Stops that cannot be served come back "
            "unassigned with the reason. The plan is kept as a draft; committing it pins its stops in "
            "every later re-plan.\n\n"
            "The solve runs outside the request. The answer waits for it and is 201 with the plan (or "
            "the problem it failed with); with `Prefer: respond-async`, or when it runs past its time "
            "limit, it is 202 with the solve at its `Location`, to follow until it is done. The same "
            "`Idempotency-Key` and body give the same solve, not a second one."
        ),
        guards=[allow(*PLANNERS)],
        responses=SOLVE_ACCEPTED,
        operation_class=AcceptedOperation,
    )
    async def plan_nbd(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[DayPlanIn],
        principal: NamedDependency[Principal],
        now: NamedDependency[datetime],
        planning_policy: NamedDependency[routing.PlanningPolicy],
        settings: NamedDependency[Settings],
        solves: NamedDependency[routing.SolveQueue],
        prefer: Prefer = None,
        idempotency_key: IdempotencyKey = None,
    ) -> Response[PlanOut]:
        """Plan the next-business-day deliveries due on a date, from the given depots (all if none).

        Every order (a ticket's parts reserved at one depot) goes on a van of that depot within the
        site's delivery window; stops that cannot be served come back unassigned with the reason.
        The plan is kept as a draft; committing it pins its stops for later re-plans. The solve runs
        outside the request: the answer waits for the plan (201), or is 202 with the solve at once
        (``Prefer: respond-async``). The same ``Idempotency-Key`` and body give the same solve.
        """
        return await DELIVERIES.request(
            request,
            data,
            principal=principal,
            now=now,
            settings=settings,
            policy=planning_policy,
            solves=solves,
            prefer=prefer,
            key=idempotency_key,
        )

    @get(
        "/solves/{solve_id:int}",
        operation_id="getSolve",
        tags=["solves"],
        summary="Follow a plan being made",
        description=(
            "A delivery or dispatch solve: `queued`, `solving`, then `done` with its draft plan "
            "(`plan_id`, `plan`) or `failed` with the problem a waiting request would have been answered "
            "with."
        ),
        name="routing-solve",
    )
    async def get_solve(self, request: Request[Any, Any, Any], solve_id: PathId) -> SolveOut:
        """A delivery or dispatch plan being made: its state, then its plan or why it failed."""
        return await DELIVERIES.solve(request, solve_id, any_kind=True)

    @get(
        "/plans",
        operation_id="listDeliveryPlans",
        tags=["routing"],
        summary="List delivery plans",
        description=(
            "Kept next-business-day delivery plans, newest first, without their routes: the day, the "
            "state (`draft`, `committed`, `superseded`), the depots and the solver's figures. Filter by "
            "`date` and `state`."
        ),
    )
    async def list_plans(
        self,
        page: NamedDependency[PageRequest],
        day: Annotated[date | None, QueryParameter(name="date", description="The day planned.")] = None,
        state_name: Annotated[
            PlanState | None, QueryParameter(name="state", description="draft, committed or superseded.")
        ] = None,
    ) -> Page[PlanSummaryOut]:
        """List delivery plans, newest first."""
        rows = await routing.list_plans(
            kind=routing.NBD, day=day, status=state_name, limit=page.fetch, offset=page.offset
        )
        return page_of([PlanSummaryOut.model_validate(row) for row in rows], page)

    @get(
        "/plans/{plan_id:int}",
        operation_id="getPlan",
        tags=["routing"],
        summary="Get a plan",
        description=(
            "A kept delivery or dispatch plan: each van's or engineer's route with its ordered stops and "
            "their times, the stops left unassigned and why, and the solver's figures."
        ),
        name="routing-plan",
    )
    async def get_plan(self, plan_id: PathId) -> PlanOut:
        """A kept delivery or dispatch plan: routes with ordered stops and times, unassigned stops."""
        return await DELIVERIES.get(plan_id, any_kind=True)

    @post(
        "/plans/{plan_id:int}/commit",
        operation_id="commitDeliveryPlan",
        tags=["routing"],
        summary="Commit a delivery plan",
        description=(
            "Makes a draft delivery plan the committed plan of its day and depots: its stops are pinned, "
            "and later re-plans and urgent insertions never move them. 409 if a newer plan superseded "
            "it."
        ),
        guards=[allow(*PLANNERS)],
        status_code=HTTP_200_OK,
    )
    @idempotent
    async def commit(
        self, plan_id: PathId, principal: NamedDependency[Principal], now: NamedDependency[datetime]
    ) -> PlanOut:
        """Make a delivery plan the day's committed plan for its depots (409 if it was superseded)."""
        return await DELIVERIES.commit(plan_id, principal, now)

    @post(
        "/plans/{plan_id:int}/stops/{stop_id:int}/events",
        operation_id="recordDeliveryStopEvent",
        tags=["routing"],
        summary="Report a delivery stop's progress",
        description=(
            "Reports what happened at a stop of the committed delivery plan: `en_route`, `arrived`, then "
            "`done`, or `failed` (with a `reason`); a stop not yet reached may be `cancelled`. `at` "
            "(default now) says when. A delivery `done` issues the reservations it carries. 409 for a "
            "transition the stop's status does not allow or "
            "a plan that is not committed. Done, failed and cancelled stops are the day's history: a "
            "re-plan no longer plans them; stops en route or arrived stay first on their van."
        ),
        guards=[allow(*VAN_REPORTERS)],
        status_code=HTTP_200_OK,
    )
    @idempotent
    async def stop_event(
        self,
        plan_id: PathId,
        stop_id: PathId,
        data: JSONBody[StopEventIn],
        principal: NamedDependency[Principal],
        now: NamedDependency[datetime],
        time_bounds: NamedDependency[TimeBounds],
    ) -> StopOut:
        """Report what happened at a stop of a committed delivery plan; a delivery done issues its parts."""
        return await DELIVERIES.stop_event(
            plan_id, stop_id, data, principal=principal, now=now, time_bounds=time_bounds
        )

    @post(
        "/plans/{plan_id:int}/moves",
        operation_id="moveDeliveryStop",
        tags=["routing"],
        summary="Move a delivery stop to a van",
        description=_move_description(
            "van", "each van where it is; only a van of the depot holding the parts"
        ),
        guards=[allow(*PLANNERS)],
        status_code=HTTP_200_OK,
    )
    @idempotent
    async def move(
        self,
        plan_id: PathId,
        data: JSONBody[MoveIn],
        principal: NamedDependency[Principal],
        now: NamedDependency[datetime],
        planning_policy: NamedDependency[routing.PlanningPolicy],
    ) -> MoveOut:
        """Move a delivery to a van at a position: a dry run, or a new draft plan to commit."""
        return await DELIVERIES.move(plan_id, data, principal=principal, now=now, policy=planning_policy)

    @post(
        "/urgent",
        operation_id="planUrgentDelivery",
        tags=["routing"],
        summary="Check an urgent 4-hour delivery",
        description=(
            "Can this reserved part still reach its site by the ticket's delivery due time, and how? The "
            "part is inserted into the day's committed delivery plans without making any planned stop "
            "late, or sent as a dedicated run; the answer names the van, the pickup time and the ETA, or "
            "why it cannot be done. When feasible, the new plan is kept as a draft (`plan_id`) to "
            "commit.\n\n"
            "`options` ranks up to three ways (insertions into vans' routes and a dedicated run), each "
            "with its ETA, its slack before the due time and the planned stops it delays and by how "
            "much. When the due time cannot be kept, `earliest_eta` is the earliest arrival any van can "
            "make, today or on the vans' next shift, and `misses_by_seconds` how late that is; the options "
            "are then ranked by ETA."
        ),
        guards=[allow(*PLANNERS)],
        status_code=HTTP_200_OK,
    )
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
    guards = [allow(*STAFF)]

    @post(
        "/plans",
        operation_id="planDispatch",
        tags=["dispatch"],
        summary="Plan engineer visits",
        description=(
            "Sends engineers to the open tickets that need a site visit on `date`: skills match, a part "
            "reserved at a depot and not brought by a committed delivery is collected there first by the "
            "same engineer, late arrivals cost by severity and tier, periodic inspections fill free "
            "time, and the visits of the committed dispatch plan stay with their engineers in their "
            "order. With `depots`, the engineers of those depots visit the sites of their areas only (a "
            "site is in the area of the engineers' home depot nearest to it); the plan reports no other "
            "stop. The plan is kept as a draft.\n\n"
            "The solve runs outside the request, as for delivery plans: 201 with the plan, or 202 with "
            "the solve at its `Location` (`Prefer: respond-async`). The same `Idempotency-Key` and body "
            "give the same solve."
        ),
        guards=[allow(*PLANNERS)],
        responses=SOLVE_ACCEPTED,
        operation_class=AcceptedOperation,
    )
    async def plan(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[DayPlanIn],
        principal: NamedDependency[Principal],
        now: NamedDependency[datetime],
        planning_policy: NamedDependency[routing.PlanningPolicy],
        settings: NamedDependency[Settings],
        solves: NamedDependency[routing.SolveQueue],
        prefer: Prefer = None,
        idempotency_key: IdempotencyKey = None,
    ) -> Response[PlanOut]:
        """Send engineers to the open tickets that need a site visit on a date.

        Skills match; a part reserved at a depot and not brought by a committed delivery is collected
        there first by the same engineer; late arrivals cost by severity and tier; inspections fill
        free time; visits of the committed dispatch plan stay with their engineers in their order. The
        solve runs outside the request, as for delivery plans (201 with the plan, or 202 with the solve).
        """
        return await DISPATCHES.request(
            request,
            data,
            principal=principal,
            now=now,
            settings=settings,
            policy=planning_policy,
            solves=solves,
            prefer=prefer,
            key=idempotency_key,
        )

    @get(
        "/solves/{solve_id:int}",
        operation_id="getDispatchSolve",
        tags=["solves"],
        summary="Follow a dispatch plan being made",
        description=(
            "A dispatch solve: `queued`, `solving`, then `done` with its draft plan or `failed` with its "
            "problem."
        ),
        name="dispatch-solve",
    )
    async def get_solve(self, request: Request[Any, Any, Any], solve_id: PathId) -> SolveOut:
        """A dispatch plan being made: its state, then its plan or why it failed."""
        return await DISPATCHES.solve(request, solve_id)

    @get(
        "/plans",
        operation_id="listDispatchPlans",
        tags=["dispatch"],
        summary="List dispatch plans",
        description=(
            "Kept engineer dispatch plans, newest first, without their routes: the day, the state "
            "(`draft`, `committed`, `superseded`), the depots and the solver's figures. Filter by `date` "
            "and `state`."
        ),
    )
    async def list_plans(
        self,
        page: NamedDependency[PageRequest],
        day: Annotated[date | None, QueryParameter(name="date", description="The day planned.")] = None,
        state_name: Annotated[
            PlanState | None, QueryParameter(name="state", description="draft, committed or superseded.")
        ] = None,
    ) -> Page[PlanSummaryOut]:
        """List dispatch plans, newest first."""
        rows = await routing.list_plans(
            kind=routing.DISPATCH, day=day, status=state_name, limit=page.fetch, offset=page.offset
        )
        return page_of([PlanSummaryOut.model_validate(row) for row in rows], page)

    @get(
        "/plans/{plan_id:int}",
        operation_id="getDispatchPlan",
        tags=["dispatch"],
        summary="Get a dispatch plan",
        description=(
            "A kept dispatch plan: each engineer's route of pickups and visits with their times, and the "
            "visits left unassigned and why."
        ),
        name="dispatch-plan",
    )
    async def get_plan(self, plan_id: PathId) -> PlanOut:
        """A kept dispatch plan."""
        return await DISPATCHES.get(plan_id)

    @post(
        "/plans/{plan_id:int}/commit",
        operation_id="commitDispatchPlan",
        tags=["dispatch"],
        summary="Commit a dispatch plan",
        description=(
            "Makes a draft dispatch plan the committed plan of its day: its visits stay with their "
            "engineers, in their order, in every later re-plan. 409 if a newer plan superseded it."
        ),
        guards=[allow(*PLANNERS)],
        status_code=HTTP_200_OK,
    )
    @idempotent
    async def commit(
        self, plan_id: PathId, principal: NamedDependency[Principal], now: NamedDependency[datetime]
    ) -> PlanOut:
        """Commit a dispatch plan: its visits are pinned in every later re-plan of the day."""
        return await DISPATCHES.commit(plan_id, principal, now)

    @post(
        "/plans/{plan_id:int}/moves",
        operation_id="moveDispatchStop",
        tags=["dispatch"],
        summary="Move a visit to an engineer",
        description=_move_description(
            "engineer", "each engineer where they are, with the skills, outside absences"
        ),
        guards=[allow(*PLANNERS)],
        status_code=HTTP_200_OK,
    )
    @idempotent
    async def move(
        self,
        plan_id: PathId,
        data: JSONBody[MoveIn],
        principal: NamedDependency[Principal],
        now: NamedDependency[datetime],
        planning_policy: NamedDependency[routing.PlanningPolicy],
    ) -> MoveOut:
        """Move a visit to an engineer at a position: a dry run, or a new draft plan to commit."""
        return await DISPATCHES.move(plan_id, data, principal=principal, now=now, policy=planning_policy)

    @post(
        "/plans/{plan_id:int}/stops/{stop_id:int}/events",
        operation_id="recordDispatchStopEvent",
        tags=["dispatch"],
        summary="Report an engineer stop's progress",
        description=(
            "Reports what happened at a stop of the committed dispatch plan: `en_route`, `arrived`, then "
            "`done`, or `failed` (with a `reason`); a stop not yet reached may be `cancelled`. `at` "
            "(default now) says when. A visit `done` records the engineer on site on its ticket at the "
            "time they arrived (the ticket's own `engineer_on_site` event); an inspection `done` is "
            "marked done. 409 for a transition the stop's status does not allow or "
            "a plan that is not committed. Done, failed and cancelled stops are the day's history: a "
            "re-plan no longer plans them; stops en route or arrived stay first on their engineer."
        ),
        guards=[allow(*PLANNERS)],
        status_code=HTTP_200_OK,
    )
    @idempotent
    async def stop_event(
        self,
        plan_id: PathId,
        stop_id: PathId,
        data: JSONBody[StopEventIn],
        principal: NamedDependency[Principal],
        now: NamedDependency[datetime],
        time_bounds: NamedDependency[TimeBounds],
    ) -> StopOut:
        """Report what happened at a stop of a committed dispatch plan; a visit done meets on-site."""
        return await DISPATCHES.stop_event(
            plan_id, stop_id, data, principal=principal, now=now, time_bounds=time_bounds
        )
