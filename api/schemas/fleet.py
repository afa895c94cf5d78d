"""Vehicles and engineers."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, StringConstraints

from api.schemas.base import TIME_OF_DAY_PATTERN, Code, Day, Instant, RequestModel, ResponseModel, TimeOfDay
from routing import Absence, AvailabilityChange, EngineerRecord, VehicleRecord

Skill = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WORKING_DAYS = (
    "the weekdays the engineer's shift covers, whatever the calendar says (e.g. a weekend rota: "
    '["sat", "sun"]); empty: the working days of the home depot\'s business calendar, its holidays off '
    "and its make-up working days on"
)


class VehicleIn(RequestModel):
    code: Code
    depot: Code
    capacity_kg: float = Field(gt=0, le=40_000)
    capacity_l: float = Field(gt=0, le=100_000)
    shift_start: TimeOfDay = time(8, 0)
    shift_end: TimeOfDay = time(19, 0)

    def to_record(self) -> VehicleRecord:
        return VehicleRecord(**self.model_dump())


class VehicleOut(ResponseModel):
    code: str
    depot: str
    capacity_kg: float
    capacity_l: float
    shift_start: TimeOfDay
    shift_end: TimeOfDay
    active: bool


class EngineerIn(RequestModel):
    code: Code
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    home_depot: Code
    skills: list[Skill] = Field(default_factory=list, max_length=30)
    shift_start: TimeOfDay = time(8, 30)
    shift_end: TimeOfDay = time(18, 30)
    max_working_minutes: int = Field(default=480, ge=60, le=960)
    working_days: list[Weekday] = Field(default_factory=list, max_length=7, description=WORKING_DAYS)

    def to_record(self) -> EngineerRecord:
        return EngineerRecord(
            **{**self.model_dump(), "skills": tuple(self.skills), "working_days": tuple(self.working_days)}
        )


class EngineerOut(ResponseModel):
    code: str
    name: str
    home_depot: str
    skills: list[str]
    shift_start: TimeOfDay
    shift_end: TimeOfDay
    max_working_minutes: int
    active: bool
    working_days: list[str] = Field(description=WORKING_DAYS)


class InspectionIn(RequestModel):
    asset_serial: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    due_on: Day
    duration_minutes: int = Field(default=60, ge=15, le=480)
    skill: Skill | None = None


class InspectionOut(ResponseModel):
    id: int
    asset_serial: str
    site: str
    customer: str
    due_on: date
    duration_minutes: int
    skill: str
    status: str


LocalTime = Annotated[str, StringConstraints(pattern=TIME_OF_DAY_PATTERN)]
"""A local time of day such as 08:30 (a time left out stays as it is)."""


class AbsenceIn(RequestModel):
    starts_at: Instant
    ends_at: Instant
    reason: Annotated[str, StringConstraints(max_length=500)] = ""


class AvailabilityIn(RequestModel):
    """What changes of a van or an engineer; what is left out stays as it is. ``absences`` are added."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "absences": [
                        {
                            "starts_at": "2026-12-08T13:00:00+08:00",
                            "ends_at": "2026-12-09T18:30:00+08:00",
                            "reason": "ill",
                        }
                    ]
                },
                {"shift_end": "16:00"},
                {"active": False},
            ]
        }
    )

    shift_start: LocalTime | None = None
    shift_end: LocalTime | None = None
    active: bool | None = None
    absences: list[AbsenceIn] = Field(default_factory=list, max_length=20)

    def to_change(self) -> AvailabilityChange:
        return AvailabilityChange(
            None if self.shift_start is None else time.fromisoformat(self.shift_start),
            None if self.shift_end is None else time.fromisoformat(self.shift_end),
            self.active,
            tuple(Absence(a.starts_at, a.ends_at, a.reason) for a in self.absences),
        )


class AbsenceOut(ResponseModel):
    id: int = Field(description="removes it: `DELETE .../absences/{id}`")
    starts_at: datetime
    ends_at: datetime
    reason: str


class VehicleAvailabilityOut(VehicleOut):
    absences: list[AbsenceOut] = Field(description="absences not yet over")


class EngineerAvailabilityOut(EngineerOut):
    absences: list[AbsenceOut] = Field(description="absences not yet over")
