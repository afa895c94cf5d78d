"""When vans and engineers can work: changing their shift or whether they are active during the day, and
their absences (from-to, with a reason), which every later plan honours.

A plan gives a van or engineer the longest stretch of what is left of its shift that no absence
covers (`free_shift`); one absent for a part of that stretch loses its committed stops not yet started
(they are re-planned, and named), one absent for all of it is not planned at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from inventory.audit.log import append
from inventory.changes import change_of
from inventory.errors import InvalidRequest, NotFound
from inventory.persistence import write_transaction
from routing.tables import Engineer, FleetAbsence
from routing.tables import Vehicle as VehicleRow

VEHICLE, ENGINEER = "vehicle", "engineer"
"""The two kinds of thing that report positions and have absences: vans and engineers."""
MAX_ABSENCE = timedelta(days=366)
MAX_ABSENCES = 20


@dataclass(frozen=True, slots=True)
class Absence:
    starts_at: datetime
    ends_at: datetime
    reason: str
    id: int | None = None
    """The kept absence's id (None: not kept yet)."""


@dataclass(frozen=True, slots=True)
class AvailabilityChange:
    """What a dispatcher changes of a van or an engineer; ``None`` keeps it as it is."""

    shift_start: time | None = None
    shift_end: time | None = None
    active: bool | None = None
    absences: tuple[Absence, ...] = ()


def free_shift(
    start: datetime, end: datetime, absences: Sequence[Absence]
) -> tuple[datetime, datetime] | None:
    """The longest stretch of ``start``..``end`` that no absence covers (the earliest of equals), or
    None when the absences cover all of it."""
    free: list[tuple[datetime, datetime]] = [(start, end)]
    for absence in absences:
        rest: list[tuple[datetime, datetime]] = []
        for begins, ends in free:
            if absence.ends_at <= begins or absence.starts_at >= ends:
                rest.append((begins, ends))
                continue
            if absence.starts_at > begins:
                rest.append((begins, absence.starts_at))
            if absence.ends_at < ends:
                rest.append((absence.ends_at, ends))
        free = rest
    if not free:
        return None
    return max(free, key=lambda stretch: (stretch[1] - stretch[0], -stretch[0].timestamp()))


async def absences_of(
    kind: str, codes: Sequence[str], *, since: datetime, until: datetime
) -> dict[str, list[Absence]]:
    """The absences of ``codes`` that overlap ``since``..``until``, by code."""
    if not codes:
        return {}
    rows = (
        await FleetAbsence.select(
            FleetAbsence.id,
            FleetAbsence.code,
            FleetAbsence.starts_at,
            FleetAbsence.ends_at,
            FleetAbsence.reason,
        )
        .where(
            (FleetAbsence.kind == kind)
            & FleetAbsence.code.is_in(list(codes))
            & (FleetAbsence.starts_at < until)
            & (FleetAbsence.ends_at > since)
        )
        .order_by(FleetAbsence.starts_at)
        .order_by(FleetAbsence.id)
    )
    found: dict[str, list[Absence]] = {}
    for row in rows:
        found.setdefault(row["code"], []).append(
            Absence(row["starts_at"], row["ends_at"], row["reason"], row["id"])
        )
    return found


async def change_availability(
    kind: str, code: str, change: AvailabilityChange, *, actor: str, now: datetime
) -> list[Absence]:
    """Change the shift, whether active, and add absences of van or engineer ``code``; answers its
    absences not yet over. Audited as ``vehicle.changed`` or ``engineer.changed`` with the shift and
    activity before and after and the absences added (nothing when nothing changes).

    Raises:
        NotFound: no such van or engineer.
        InvalidRequest: a shift that ends before it starts, an absence that ends before it starts, is
            over already, or lasts longer than a year, or too many absences at once.
    """
    table = VehicleRow if kind == VEHICLE else Engineer
    if len(change.absences) > MAX_ABSENCES:
        raise InvalidRequest(f"at most {MAX_ABSENCES} absences at once", field="absences")
    for absence in change.absences:
        if absence.ends_at <= absence.starts_at or absence.ends_at - absence.starts_at > MAX_ABSENCE:
            raise InvalidRequest("an absence ends after it starts, within a year", field="absences")
        if absence.ends_at <= now:
            raise InvalidRequest("the absence is over already", field="absences")
    async with write_transaction():
        row = (
            await table.select(table.shift_start, table.shift_end, table.active)
            .where(table.code == code)
            .first()
        )
        if row is None:
            raise NotFound(f"{kind} {code} not found", field="code")
        shift_start = change.shift_start or row["shift_start"]
        shift_end = change.shift_end or row["shift_end"]
        if shift_end <= shift_start:
            raise InvalidRequest("the shift must end after it starts", field="shift_end")
        values = {table.shift_start: shift_start, table.shift_end: shift_end}
        if change.active is not None:
            values[table.active] = change.active
        await table.update(values).where(table.code == code)
        requested = {"shift_start": shift_start, "shift_end": shift_end}
        if change.active is not None:
            requested["active"] = change.active
        changed = change_of({**row, "active": bool(row["active"])}, requested)
        if changed or change.absences:
            payload = {
                **changed.payload(),
                "absences_added": [
                    {"from": a.starts_at.isoformat(), "to": a.ends_at.isoformat(), "reason": a.reason}
                    for a in change.absences
                ],
            }
            await append(f"{kind}.changed", f"{kind}:{code}", payload, actor=actor, at=now)
        if change.absences:
            await FleetAbsence.insert(
                *(
                    FleetAbsence(
                        kind=kind,
                        code=code,
                        starts_at=absence.starts_at,
                        ends_at=absence.ends_at,
                        reason=absence.reason,
                        created_by=actor,
                        created_at=now,
                    )
                    for absence in change.absences
                )
            )
    return await absences_ahead(kind, code, now=now)


async def absences_ahead(kind: str, code: str, *, now: datetime) -> list[Absence]:
    """The absences of van or engineer ``code`` not yet over at ``now``."""
    return (await absences_of(kind, [code], since=now, until=now + 10 * MAX_ABSENCE)).get(code, [])


async def remove_absence(
    kind: str, code: str, absence_id: int, *, actor: str, now: datetime
) -> list[Absence]:
    """Remove absence ``absence_id`` of van or engineer ``code`` (e.g. entered by mistake, or the engineer
    is back early), with an audit entry naming what it was; later plans count it no more. Answers the
    absences not yet over.

    Raises:
        NotFound: no such van or engineer, or no such absence of it.
    """
    table = VehicleRow if kind == VEHICLE else Engineer
    async with write_transaction():
        if not await table.exists().where(table.code == code):
            raise NotFound(f"{kind} {code} not found", field="code")
        removed = (
            await FleetAbsence.delete()
            .where(
                (FleetAbsence.id == absence_id) & (FleetAbsence.kind == kind) & (FleetAbsence.code == code)
            )
            .returning(FleetAbsence.starts_at, FleetAbsence.ends_at, FleetAbsence.reason)
        )
        if not removed:
            raise NotFound(f"absence {absence_id} of {kind} {code} not found", field="id")
        await append(
            "absence.removed",
            f"{kind}:{code}",
            {"absence": absence_id, **removed[0]},
            actor=actor,
            at=now,
        )
    return await absences_ahead(kind, code, now=now)
