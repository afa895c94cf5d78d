"""The courier fleet, the field engineers and periodic inspections: registering and listing them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from inventory.customers.tables import Asset
from inventory.errors import AlreadyExists, InvalidRequest, NotFound
from inventory.persistence import insert_unique, write_transaction
from inventory.stock.catalogue import depot_ids
from routing.dispatch_rules import skill_for_asset, working_days
from routing.tables import Engineer, Inspection, Vehicle

_SKILL = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


@dataclass(frozen=True, slots=True)
class VehicleRecord:
    code: str
    depot: str
    capacity_kg: float
    capacity_l: float
    shift_start: time
    shift_end: time
    active: bool = True


@dataclass(frozen=True, slots=True)
class EngineerRecord:
    code: str
    name: str
    home_depot: str
    skills: tuple[str, ...]
    shift_start: time
    shift_end: time
    max_working_minutes: int
    active: bool = True
    working_days: tuple[str, ...] = ()
    """Weekdays the shift covers whatever the calendar says; empty: the home depot's working days."""


async def add_vehicle(vehicle: VehicleRecord, *, now: datetime) -> VehicleRecord:
    """Register a vehicle at a depot.

    Raises:
        InvalidRequest: unknown depot, a shift that ends before it starts, or no capacity.
        AlreadyExists: the code is taken.
    """
    _check_shift(vehicle.shift_start, vehicle.shift_end)
    if vehicle.capacity_kg <= 0 or vehicle.capacity_l <= 0:
        raise InvalidRequest("a vehicle needs a positive weight and volume capacity", field="capacity_kg")
    async with write_transaction():
        depot_id = (await depot_ids([vehicle.depot], field="depot"))[vehicle.depot]
        if await Vehicle.exists().where(Vehicle.code == vehicle.code):
            raise AlreadyExists(f"vehicle {vehicle.code} already exists", field="code")
        row = Vehicle(
            code=vehicle.code,
            depot=depot_id,
            capacity_kg=vehicle.capacity_kg,
            capacity_l=vehicle.capacity_l,
            shift_start=vehicle.shift_start,
            shift_end=vehicle.shift_end,
            active=vehicle.active,
            created_at=now,
        )
        await insert_unique(row, AlreadyExists(f"vehicle {vehicle.code} already exists", field="code"))
    return vehicle


async def get_vehicle(code: str) -> VehicleRecord:
    """One vehicle by code.

    Raises:
        NotFound: no such vehicle.
    """
    rows = await _vehicles(Vehicle.code == code, limit=1, offset=0)
    if not rows:
        raise NotFound(f"vehicle {code} not found", field="code")
    return rows[0]


async def list_vehicles(*, depot: str | None, limit: int, offset: int) -> list[VehicleRecord]:
    """Vehicles by code, of one depot if given."""
    return await _vehicles(None if depot is None else Vehicle.depot.code == depot, limit=limit, offset=offset)


async def _vehicles(condition: Any, *, limit: int, offset: int) -> list[VehicleRecord]:
    query = Vehicle.select(
        Vehicle.code,
        Vehicle.depot.code.as_alias("depot"),
        Vehicle.capacity_kg,
        Vehicle.capacity_l,
        Vehicle.shift_start,
        Vehicle.shift_end,
        Vehicle.active,
    ).order_by(Vehicle.code)
    if condition is not None:
        query = query.where(condition)
    return [VehicleRecord(**row) for row in await query.limit(limit).offset(offset)]


async def add_engineer(engineer: EngineerRecord, *, now: datetime) -> EngineerRecord:
    """Register a field engineer at a home depot.

    Raises:
        InvalidRequest: unknown depot, a malformed skill, a shift that ends before it starts, or a
            working-hours limit outside 1 to 16 hours.
        AlreadyExists: the code is taken.
    """
    _check_shift(engineer.shift_start, engineer.shift_end)
    bad = [skill for skill in engineer.skills if not _SKILL.match(skill)]
    if bad:
        raise InvalidRequest(f"skills are lower-case words with dashes: {bad}", field="skills")
    if not 60 <= engineer.max_working_minutes <= 960:
        raise InvalidRequest("max_working_minutes must be between 60 and 960", field="max_working_minutes")
    try:
        weekdays = working_days(engineer.working_days)
    except ValueError as error:
        raise InvalidRequest(str(error), field="working_days") from None
    async with write_transaction():
        depot_id = (await depot_ids([engineer.home_depot], field="home_depot"))[engineer.home_depot]
        if await Engineer.exists().where(Engineer.code == engineer.code):
            raise AlreadyExists(f"engineer {engineer.code} already exists", field="code")
        row = Engineer(
            code=engineer.code,
            name=engineer.name,
            home_depot=depot_id,
            skills=" ".join(sorted(set(engineer.skills))),
            shift_start=engineer.shift_start,
            shift_end=engineer.shift_end,
            max_working_minutes=engineer.max_working_minutes,
            active=engineer.active,
            created_at=now,
            working_days=weekdays,
        )
        await insert_unique(row, AlreadyExists(f"engineer {engineer.code} already exists", field="code"))
    return await get_engineer(engineer.code)


async def get_engineer(code: str) -> EngineerRecord:
    """One engineer by code.

    Raises:
        NotFound: no such engineer.
    """
    rows = await _engineers(code=code, depot=None, skill=None, limit=1, offset=0)
    if not rows:
        raise NotFound(f"engineer {code} not found", field="code")
    return rows[0]


async def list_engineers(
    *, depot: str | None, skill: str | None, limit: int, offset: int
) -> list[EngineerRecord]:
    """Engineers by code, of one home depot and with one skill if given."""
    return await _engineers(code=None, depot=depot, skill=skill, limit=limit, offset=offset)


async def _engineers(
    *, code: str | None, depot: str | None, skill: str | None, limit: int, offset: int
) -> list[EngineerRecord]:
    query = Engineer.select(
        Engineer.code,
        Engineer.name,
        Engineer.home_depot.code.as_alias("home_depot"),
        Engineer.skills,
        Engineer.shift_start,
        Engineer.shift_end,
        Engineer.max_working_minutes,
        Engineer.active,
        Engineer.working_days,
    ).order_by(Engineer.code)
    if code is not None:
        query = query.where(Engineer.code == code)
    if depot is not None:
        query = query.where(Engineer.home_depot.code == depot)
    rows = await query.limit(limit).offset(offset) if skill is None else await query
    records = [
        EngineerRecord(
            **{
                **row,
                "skills": tuple(row["skills"].split()),
                "working_days": tuple(row["working_days"].split()),
            }
        )
        for row in rows
    ]
    if skill is not None:
        records = [record for record in records if skill in record.skills][offset : offset + limit]
    return records


def _check_shift(start: time, end: time) -> None:
    if end <= start:
        raise InvalidRequest("the shift must end after it starts", field="shift_end")


@dataclass(frozen=True, slots=True)
class InspectionRecord:
    id: int
    asset_serial: str
    site: str
    customer: str
    due_on: date
    duration_minutes: int
    skill: str
    status: str


async def add_inspection(
    asset_serial: str, due_on: date, duration_minutes: int, skill: str | None, *, actor: str, now: datetime
) -> InspectionRecord:
    """Plan a periodic inspection of an asset; the skill defaults to the one its model needs.

    Raises:
        NotFound: no such asset.
        InvalidRequest: a malformed skill or a duration outside 15 minutes to 8 hours.
    """
    asset = await Asset.select(Asset.id, Asset.model).where(Asset.serial == asset_serial).first()
    if asset is None:
        raise NotFound(f"asset {asset_serial} not found", field="asset_serial")
    skill = skill or skill_for_asset(asset["model"])
    if not _SKILL.match(skill):
        raise InvalidRequest("skills are lower-case words with dashes", field="skill")
    if not 15 <= duration_minutes <= 480:
        raise InvalidRequest("duration_minutes must be between 15 and 480", field="duration_minutes")
    async with write_transaction():
        row = Inspection(
            asset=asset["id"],
            due_on=due_on,
            duration_minutes=duration_minutes,
            skill=skill,
            created_by=actor,
            created_at=now,
        )
        await row.save()
    return (await _inspections(Inspection.id == row.id, limit=1, offset=0))[0]


async def list_inspections(
    *, status: str | None, due_by: date | None, limit: int, offset: int
) -> list[InspectionRecord]:
    """Inspections by due date, of one status and due on or before a date if given."""
    condition = Inspection.id > 0
    if status is not None:
        condition &= Inspection.status == status
    if due_by is not None:
        condition &= Inspection.due_on <= due_by
    return await _inspections(condition, limit=limit, offset=offset)


async def _inspections(condition: Any, *, limit: int, offset: int) -> list[InspectionRecord]:
    rows = (
        await Inspection.select(
            Inspection.id,
            Inspection.asset.serial.as_alias("asset_serial"),
            Inspection.asset.site.code.as_alias("site"),
            Inspection.asset.customer.code.as_alias("customer"),
            Inspection.due_on,
            Inspection.duration_minutes,
            Inspection.skill,
            Inspection.status,
        )
        .where(condition)
        .order_by(Inspection.due_on)
        .order_by(Inspection.id)
        .limit(limit)
        .offset(offset)
    )
    return [InspectionRecord(**row) for row in rows]
