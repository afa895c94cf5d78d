"""Depots and the parts catalogue."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict
from datetime import datetime
from decimal import Decimal

from inventory.audit.log import append
from inventory.changes import change_of
from inventory.errors import AlreadyExists, Inactive, InvalidRequest, NotFound
from inventory.persistence import insert_unique, write_transaction
from inventory.stock.records import DepotRecord, PartRecord
from inventory.stock.tables import Depot, Part

CENT = Decimal("0.01")
_DEPOT_COLUMNS = (
    Depot.code,
    Depot.name,
    Depot.kind,
    Depot.latitude,
    Depot.longitude,
    Depot.timezone,
    Depot.calendar_region,
    Depot.order_cutoff,
    Depot.active,
)
_PART_COLUMNS = (
    Part.part_number,
    Part.description,
    Part.category,
    Part.serialized,
    Part.secure_media,
    Part.unit_cost,
    Part.weight_kg,
    Part.volume_l,
    Part.active,
)


async def create_depot(depot: DepotRecord, *, now: datetime) -> DepotRecord:
    """Register a depot.

    Raises:
        AlreadyExists: the code is taken.
    """
    async with write_transaction():
        if await Depot.exists().where(Depot.code == depot.code):
            raise AlreadyExists(f"depot {depot.code} already exists", field="code")
        conflict = AlreadyExists(f"depot {depot.code} already exists", field="code")
        await insert_unique(Depot(**asdict(depot), created_at=now), conflict)
    return depot


async def list_depots(*, limit: int, offset: int) -> list[DepotRecord]:
    """Depots ordered by code."""
    rows = await Depot.select(*_DEPOT_COLUMNS).order_by(Depot.code).limit(limit).offset(offset)
    return [_depot(row) for row in rows]


async def depots_by_code(codes: Iterable[str]) -> dict[str, DepotRecord]:
    """The depots named by ``codes`` (those that exist), by code: one statement, whatever their number."""
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    rows = await Depot.select(*_DEPOT_COLUMNS).where(Depot.code.is_in(wanted))
    return {row["code"]: DepotRecord(**row) for row in rows}


async def get_depot(code: str) -> DepotRecord:
    """One depot by code.

    Raises:
        NotFound: no such depot.
    """
    row = await Depot.select(*_DEPOT_COLUMNS).where(Depot.code == code).first()
    if row is None:
        raise NotFound(f"depot {code} not found")
    return _depot(row)


async def update_depot(code: str, fields: Mapping[str, object], *, actor: str, now: datetime) -> DepotRecord:
    """Change a depot's fields (its code stays), or deactivate it (``active: false``): an inactive depot
    takes no new work and stays readable. The change and the values before it are an audit entry
    (``depot.changed``); a request that changes nothing writes nothing.

    Raises:
        NotFound: no such depot.
    """
    async with write_transaction():
        current = await get_depot(code)
        change = change_of(asdict(current), fields)
        if change:
            await Depot.update(change.after).where(Depot.code == code)
            await append("depot.changed", f"depot:{code}", change.payload(), actor=actor, at=now)
    return DepotRecord(**{**asdict(current), **change.after})


async def create_part(part: PartRecord, *, now: datetime) -> PartRecord:
    """Add a part number to the catalogue.

    Raises:
        AlreadyExists: the part number is taken.
    """
    async with write_transaction():
        if await Part.exists().where(Part.part_number == part.part_number):
            raise AlreadyExists(f"part {part.part_number} already exists", field="part_number")
        conflict = AlreadyExists(f"part {part.part_number} already exists", field="part_number")
        await insert_unique(Part(**asdict(part), created_at=now), conflict)
    return part


async def list_parts(*, category: str | None, limit: int, offset: int) -> list[PartRecord]:
    """Parts ordered by part number, optionally of one category."""
    query = Part.select(*_PART_COLUMNS).order_by(Part.part_number).limit(limit).offset(offset)
    if category is not None:
        query = query.where(Part.category == category)
    return [_part(row) for row in await query]


async def get_part(part_number: str) -> PartRecord:
    """One part by part number.

    Raises:
        NotFound: no such part.
    """
    row = await Part.select(*_PART_COLUMNS).where(Part.part_number == part_number).first()
    if row is None:
        raise NotFound(f"part {part_number} not found")
    return _part(row)


async def update_part(
    part_number: str, fields: Mapping[str, object], *, actor: str, now: datetime
) -> PartRecord:
    """Change a part's fields (its number and whether it is serialized stay), or deactivate it: an
    inactive part is neither received, sent nor reserved, and stays readable. Audited as
    ``part.changed`` with the values before and after; a request that changes nothing writes nothing.

    Raises:
        NotFound: no such part.
    """
    async with write_transaction():
        current = await get_part(part_number)
        wanted = {**fields}
        if "unit_cost" in wanted:
            wanted["unit_cost"] = Decimal(str(wanted["unit_cost"])).quantize(CENT)
        change = change_of(asdict(current), wanted)
        if change:
            await Part.update(change.after).where(Part.part_number == part_number)
            await append("part.changed", f"part:{part_number}", change.payload(), actor=actor, at=now)
    return PartRecord(**{**asdict(current), **change.after})


async def refuse_inactive(
    *, depots: Iterable[tuple[str, str]] = (), parts: Iterable[tuple[str, str]] = ()
) -> None:
    """Refuse new work that names an inactive depot or part: ``(request field, code)`` pairs.

    Raises:
        Inactive: one of them is inactive (the first, under its own field).
    """
    for field, code in depots:
        if await Depot.exists().where((Depot.code == code) & (Depot.active == False)):  # noqa: E712
            raise Inactive(f"depot {code} is inactive: it takes no new work", field=field, depot=code)
    for field, number in dict.fromkeys(parts):
        if await Part.exists().where((Part.part_number == number) & (Part.active == False)):  # noqa: E712
            raise Inactive(f"part {number} is inactive: it is no longer stocked", field=field, part=number)


async def inactive_depots() -> set[str]:
    """The codes of the depots that take no new work (few: one query)."""
    return {row["code"] for row in await Depot.select(Depot.code).where(Depot.active == False)}  # noqa: E712


async def depot_ids(codes: Iterable[str] | Mapping[str, str], *, field: str = "depot") -> dict[str, int]:
    """``code -> id`` for depots named in a request.

    ``codes`` is either the codes, all from the request field ``field``, or a mapping from each request
    field to the code it gives, so that an unknown code is reported under its own field.

    Raises:
        InvalidRequest: a code names no depot (the request refers to something that is not there).
    """
    given = list(codes.items()) if isinstance(codes, Mapping) else [(field, code) for code in codes]
    rows = await Depot.select(Depot.id, Depot.code).where(Depot.code.is_in(list({code for _, code in given})))
    found = {row["code"]: row["id"] for row in rows}
    missing = sorted((code, name) for name, code in given if code not in found)
    if missing:
        code, name = missing[0]
        raise InvalidRequest(f"unknown depot {code!r}", field=name)
    return found


async def part_rows(part_numbers: Iterable[str]) -> dict[str, dict]:
    """``part_number -> {id, serialized, secure_media}`` for the parts that exist."""
    rows = await Part.select(Part.id, Part.part_number, Part.serialized, Part.secure_media).where(
        Part.part_number.is_in(list(set(part_numbers)))
    )
    return {row["part_number"]: row for row in rows}


def _part(row: dict) -> PartRecord:
    # SQLite hands NUMERIC back without its scale; money always has two decimals.
    return PartRecord(
        **{**row, "unit_cost": Decimal(row["unit_cost"]).quantize(CENT), "active": bool(row["active"])}
    )


def _depot(row: dict) -> DepotRecord:
    return DepotRecord(**{**row, "active": bool(row["active"])})
