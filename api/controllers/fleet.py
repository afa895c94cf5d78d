"""The courier fleet, the field engineers and periodic inspections."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from typing import Annotated

from litestar import Controller, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

import routing
from api.idempotency import idempotent
from api.pagination import Page, PageRequest, page_of
from api.params import PathId
from api.query import query_choice
from api.schemas.fleet import (
    AbsenceOut,
    AvailabilityIn,
    EngineerAvailabilityOut,
    EngineerIn,
    EngineerOut,
    InspectionIn,
    InspectionOut,
    VehicleAvailabilityOut,
    VehicleIn,
    VehicleOut,
)
from api.schemas.routing import PositionIn, PositionOut
from api.security import allow
from inventory.accounts import STAFF, Principal, Role
from inventory.time_window import TimeBounds, check_inspection_day, check_reported_time

PLANNERS = (Role.ADMIN, Role.DISPATCHER)
VAN_REPORTERS = (Role.ADMIN, Role.DISPATCHER, Role.WAREHOUSE)


async def report_position(
    kind: str,
    code: str,
    data: PositionIn,
    principal: Principal,
    now: datetime,
    time_bounds: TimeBounds,
) -> PositionOut:
    """Keep a reported position of a van or an engineer (``at`` no later than now, within the clock skew)."""
    if data.at is not None:
        check_reported_time("at", data.at, now=now, bounds=time_bounds)
    position = await routing.report_position(
        kind,
        code,
        latitude=data.latitude,
        longitude=data.longitude,
        at=data.at or now,
        actor=principal.username,
        now=now,
    )
    return PositionOut.of(code, position)


class VehicleController(Controller):
    path = "/vehicles"
    tags = ["fleet"]
    guards = [allow(*STAFF)]

    @get(
        operation_id="listVehicles",
        summary="List vans",
        description="Courier vans by code, of one `depot` if given, with their capacity and shift.",
    )
    async def list_vehicles(
        self, page: NamedDependency[PageRequest], depot: FromQuery[str | None] = None
    ) -> Page[VehicleOut]:
        """Courier vehicles by code, of one depot if given."""
        rows = await routing.list_vehicles(depot=depot, limit=page.fetch, offset=page.offset)
        return page_of([VehicleOut.model_validate(row, from_attributes=True) for row in rows], page)

    @post(
        operation_id="addVehicle",
        summary="Register a van",
        description=(
            "Adds a courier van at a depot with its weight and volume capacity and its daily shift "
            "(local times); plans made from then on may use it."
        ),
        guards=[allow(*PLANNERS)],
    )
    @idempotent
    async def add_vehicle(self, data: JSONBody[VehicleIn], now: NamedDependency[datetime]) -> VehicleOut:
        """Register a vehicle at a depot with its weight and volume capacity and its shift."""
        record = await routing.add_vehicle(data.to_record(), now=now)
        return VehicleOut.model_validate(record, from_attributes=True)

    @post(
        "/{code:str}/position",
        operation_id="reportVehiclePosition",
        summary="Report where a van is",
        description=(
            "Keeps where the van was at `at` (default now). A re-plan during the day starts the van "
            "from its latest position. Dispatchers, administrators and the warehouse (which sends the "
            "vans out) may report it."
        ),
        guards=[allow(*VAN_REPORTERS)],
    )
    @idempotent
    async def report_position(
        self,
        code: FromPath[str],
        data: JSONBody[PositionIn],
        principal: NamedDependency[Principal],
        now: NamedDependency[datetime],
        time_bounds: NamedDependency[TimeBounds],
    ) -> PositionOut:
        """Keep where the van was at ``at``; a re-plan during the day starts it from there."""
        return await report_position(routing.VEHICLE, code, data, principal, now, time_bounds)

    @patch(
        "/{code:str}",
        operation_id="changeVehicleAvailability",
        summary="Change a van's shift, activity or absences",
        description=(
            "Changes the van's daily shift (local times) or whether it is active, and adds absences "
            "(from-to, with a reason). Every later plan honours them, also during the day: it works "
            "the longest stretch of its shift left that no absence covers; committed stops not yet "
            "started of one absent are re-planned and named in the plan's `pins_released`. The answer "
            "lists the absences not yet over. Dispatchers and administrators may change it."
        ),
        guards=[allow(*PLANNERS)],
    )
    @idempotent
    async def change(
        self,
        code: FromPath[str],
        data: JSONBody[AvailabilityIn],
        principal: NamedDependency[Principal],
        now: NamedDependency[datetime],
    ) -> VehicleAvailabilityOut:
        """Change the van's shift or activity, add absences; later plans honour them."""
        absences = await routing.change_availability(
            routing.VEHICLE, code, data.to_change(), actor=principal.username, now=now
        )
        record = await routing.get_vehicle(code)
        return VehicleAvailabilityOut.model_validate(
            {**asdict(record), "absences": [AbsenceOut.model_validate(asdict(a)) for a in absences]}
        )

    @delete(
        "/{code:str}/absences/{absence_id:int}",
        operation_id="removeVehicleAbsence",
        summary="Remove a van's absence",
        description=(
            "Removes one absence of the van (its `id` as the van's availability lists it), e.g. one "
            "entered by mistake or ended early; the removal is recorded in the audit chain and later "
            "plans no longer count it. Dispatchers and administrators may remove it."
        ),
        guards=[allow(*PLANNERS)],
    )
    async def remove_absence(
        self,
        code: FromPath[str],
        absence_id: PathId,
        principal: NamedDependency[Principal],
        now: NamedDependency[datetime],
    ) -> None:
        """Remove one absence of the van; later plans no longer count it."""
        await routing.remove_absence(routing.VEHICLE, code, absence_id, actor=principal.username, now=now)


class EngineerController(Controller):
    path = "/engineers"
    tags = ["fleet"]
    guards = [allow(*STAFF)]

    @get(
        operation_id="listEngineers",
        summary="List field engineers",
        description="Field engineers by code, of one home `depot` and with one `skill` if given.",
    )
    async def list_engineers(
        self,
        page: NamedDependency[PageRequest],
        depot: FromQuery[str | None] = None,
        skill: FromQuery[str | None] = None,
    ) -> Page[EngineerOut]:
        """Field engineers by code, of one home depot and with one skill if given."""
        rows = await routing.list_engineers(depot=depot, skill=skill, limit=page.fetch, offset=page.offset)
        return page_of([EngineerOut.model_validate(row, from_attributes=True) for row in rows], page)

    @post(
        operation_id="addEngineer",
        summary="Register a field engineer",
        description=(
            "Adds an engineer with a home depot, skills, daily shift and working-hours limit; dispatch "
            "plans made from then on may send them."
        ),
        guards=[allow(*PLANNERS)],
    )
    @idempotent
    async def add_engineer(self, data: JSONBody[EngineerIn], now: NamedDependency[datetime]) -> EngineerOut:
        """Register an engineer with home depot, skills, shift and daily working-hours limit."""
        record = await routing.add_engineer(data.to_record(), now=now)
        return EngineerOut.model_validate(record, from_attributes=True)

    @post(
        "/{code:str}/position",
        operation_id="reportEngineerPosition",
        summary="Report where an engineer is",
        description=(
            "Keeps where the engineer was at `at` (default now). A re-plan during the day starts the "
            "engineer from the latest position. Dispatchers and administrators may report it."
        ),
        guards=[allow(*PLANNERS)],
    )
    @idempotent
    async def report_position(
        self,
        code: FromPath[str],
        data: JSONBody[PositionIn],
        principal: NamedDependency[Principal],
        now: NamedDependency[datetime],
        time_bounds: NamedDependency[TimeBounds],
    ) -> PositionOut:
        """Keep where the engineer was at ``at``; a re-plan during the day starts them from there."""
        return await report_position(routing.ENGINEER, code, data, principal, now, time_bounds)

    @patch(
        "/{code:str}",
        operation_id="changeEngineerAvailability",
        summary="Change an engineer's shift, activity or absences",
        description=(
            "Changes the engineer's daily shift (local times) or whether they is active, and adds absences "
            "(from-to, with a reason). Every later plan honours them, also during the day: they work "
            "the longest stretch of their shift left that no absence covers; committed stops not yet "
            "started of one absent are re-planned and named in the plan's `pins_released`. The answer "
            "lists the absences not yet over. Dispatchers and administrators may change it."
        ),
        guards=[allow(*PLANNERS)],
    )
    @idempotent
    async def change(
        self,
        code: FromPath[str],
        data: JSONBody[AvailabilityIn],
        principal: NamedDependency[Principal],
        now: NamedDependency[datetime],
    ) -> EngineerAvailabilityOut:
        """Change the engineer's shift or activity, add absences (e.g. off sick); later plans honour them."""
        absences = await routing.change_availability(
            routing.ENGINEER, code, data.to_change(), actor=principal.username, now=now
        )
        record = await routing.get_engineer(code)
        return EngineerAvailabilityOut.model_validate(
            {**asdict(record), "absences": [AbsenceOut.model_validate(asdict(a)) for a in absences]}
        )

    @delete(
        "/{code:str}/absences/{absence_id:int}",
        operation_id="removeEngineerAbsence",
        summary="Remove an engineer's absence",
        description=(
            "Removes one absence of the engineer (its `id` as the engineer's availability lists it), "
            "e.g. one entered by mistake or an engineer back early; the removal is recorded in the "
            "audit chain and later plans no longer count it. Dispatchers and administrators may remove it."
        ),
        guards=[allow(*PLANNERS)],
    )
    async def remove_absence(
        self,
        code: FromPath[str],
        absence_id: PathId,
        principal: NamedDependency[Principal],
        now: NamedDependency[datetime],
    ) -> None:
        """Remove one absence of the engineer; later plans no longer count it."""
        await routing.remove_absence(routing.ENGINEER, code, absence_id, actor=principal.username, now=now)


INSPECTION_STATES = ("planned", "done")


class InspectionController(Controller):
    path = "/inspections"
    tags = ["fleet"]
    guards = [allow(*STAFF)]

    @get(
        operation_id="listInspections",
        summary="List periodic inspections",
        description=(
            "Periodic inspections by due date; `state` (planned or done) and `due_by` narrow the list."
        ),
    )
    async def list_inspections(
        self,
        page: NamedDependency[PageRequest],
        state_name: Annotated[str | None, QueryParameter(name="state", description="planned or done")] = None,
        due_by: FromQuery[date | None] = None,
    ) -> Page[InspectionOut]:
        """Periodic inspections by due date; ``state`` and ``due_by`` narrow the list."""
        status = query_choice(state_name, INSPECTION_STATES, name="state")
        rows = await routing.list_inspections(
            status=status, due_by=due_by, limit=page.fetch, offset=page.offset
        )
        return page_of([InspectionOut.model_validate(row, from_attributes=True) for row in rows], page)

    @post(
        operation_id="addInspection",
        summary="Plan a periodic inspection",
        description=(
            "Plans an inspection of an asset by a due date, with its duration and the skill it needs: an "
            "optional visit that dispatch plans fit into engineers' free time."
        ),
        guards=[allow(*PLANNERS)],
    )
    @idempotent
    async def add_inspection(
        self,
        data: JSONBody[InspectionIn],
        principal: NamedDependency[Principal],
        now: NamedDependency[datetime],
        time_bounds: NamedDependency[TimeBounds],
    ) -> InspectionOut:
        """Plan a periodic inspection of an asset: an optional visit that dispatch fits into free time."""
        check_inspection_day("due_on", data.due_on, today=now.date(), bounds=time_bounds)
        record = await routing.add_inspection(
            data.asset_serial,
            data.due_on,
            data.duration_minutes,
            data.skill,
            actor=principal.username,
            now=now,
        )
        return InspectionOut.model_validate(record, from_attributes=True)
