"""Traceability across the inventory: a serialized unit's whole life (its movements, the reservations and
tickets it served, the asset it went into, the audit entries that recorded it), and what a scanned code
names (a unit, a box, a batch, a depot, a ticket or a reservation). Above the stock, tickets and audit
packages, as `inventory.issuing` is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from inventory.audit.log import entries_about
from inventory.audit_chain import Entry
from inventory.labels import BIN_LOCATION
from inventory.stock.queries import find_unit, unit_history
from inventory.stock.records import MovementRecord
from inventory.stock.tables import BulkStock, Depot, Part, StockUnit
from inventory.tickets.tables import InstalledPart, Reservation, ReservationItem, Ticket

MAX_MATCHES = 10
"""Most units named by one scanned serial that a choice lists."""


@dataclass(frozen=True, slots=True)
class UnitReservation:
    """A reservation that held the unit, and the ticket it held it for."""

    id: int
    ticket: int
    depot: str
    status: str
    created_at: datetime
    closed_at: datetime | None
    active: bool
    site_name: str
    site_timezone: str
    customer: str


@dataclass(frozen=True, slots=True)
class Installation:
    """The unit fitted into a customer's asset for a ticket."""

    ticket: int
    asset_serial: str | None
    asset_model: str | None
    replaces_serial: str | None
    installed_at: datetime
    site_name: str
    site_timezone: str


@dataclass(frozen=True, slots=True)
class LifeStep:
    """One movement of the unit with the audit chain entry that recorded it (None: not found)."""

    movement: MovementRecord
    audit: Entry | None


@dataclass(frozen=True, slots=True)
class UnitLife:
    """Everything known of one serialized unit."""

    part_number: str
    description: str
    serial: str
    box_number: str
    batch_number: str
    depot: str | None
    status: str
    received_at: datetime
    steps: list[LifeStep]
    reservations: list[UnitReservation]
    installation: Installation | None
    depot_timezones: dict[str, str] = field(default_factory=dict)
    depot_names: dict[str, str] = field(default_factory=dict)


async def unit_life(serial: str, *, part_number: str | None = None) -> UnitLife:
    """The whole life of the unit with ``serial`` (of ``part_number``), oldest first.

    Raises:
        NotFound: no unit has that serial (of that part).
        InvalidRequest: the serial exists for several parts and ``part_number`` was not given.
    """
    unit = await find_unit(serial, part_number=part_number)
    history = await unit_history(unit["id"])
    entries = await entries_about(sorted({m.reference for m in history if m.reference}))
    part = await Part.select(Part.description).where(Part.part_number == unit["part_number"]).first()
    codes = {code for m in history for code in (m.from_depot, m.to_depot) if code} | (
        {unit["depot"]} if unit["depot"] else set()
    )
    depots = await Depot.select(Depot.code, Depot.name, Depot.timezone).where(
        Depot.code.is_in(sorted(codes) or [""])
    )
    return UnitLife(
        part_number=unit["part_number"],
        description=part["description"] if part else "",
        serial=unit["serial"],
        box_number=unit["box_number"],
        batch_number=unit["batch_number"],
        depot=unit["depot"],
        status=unit["status"],
        received_at=unit["received_at"],
        steps=[LifeStep(movement, _recording(movement, entries)) for movement in history],
        reservations=await _reservations(unit["id"]),
        installation=await _installation(unit["id"]),
        depot_timezones={row["code"]: row["timezone"] for row in depots},
        depot_names={row["code"]: row["name"] for row in depots},
    )


def _recording(movement: MovementRecord, entries: list[Entry]) -> Entry | None:
    """The audit entry that recorded ``movement``: same subject, action and moment."""
    action = f"stock.{movement.kind}"
    for entry in entries:
        if (
            entry.subject == movement.reference
            and entry.action == action
            and datetime.fromisoformat(entry.at) == movement.at
        ):
            return entry
    return None


async def _reservations(unit_id: int) -> list[UnitReservation]:
    held = await ReservationItem.select(ReservationItem.reservation, ReservationItem.active).where(
        ReservationItem.unit == unit_id
    )
    if not held:
        return []
    active = {row["reservation"]: row["active"] for row in held}
    rows = (
        await Reservation.select(
            Reservation.id,
            Reservation.ticket,
            Reservation.depot.code.as_alias("depot"),
            Reservation.status,
            Reservation.created_at,
            Reservation.closed_at,
            Reservation.ticket.site.name.as_alias("site_name"),
            Reservation.ticket.site.timezone.as_alias("site_timezone"),
            Reservation.ticket.customer.name.as_alias("customer"),
        )
        .where(Reservation.id.is_in(sorted(active)))
        .order_by(Reservation.id)
    )
    return [UnitReservation(**row, active=bool(active[row["id"]])) for row in rows]


async def _installation(unit_id: int) -> Installation | None:
    row = (
        await InstalledPart.select(
            InstalledPart.ticket,
            InstalledPart.asset.serial.as_alias("asset_serial"),
            InstalledPart.asset.model.as_alias("asset_model"),
            InstalledPart.replaces_serial,
            InstalledPart.installed_at,
            InstalledPart.ticket.site.name.as_alias("site_name"),
            InstalledPart.ticket.site.timezone.as_alias("site_timezone"),
        )
        .where(InstalledPart.unit == unit_id)
        .order_by(InstalledPart.id, ascending=False)
        .first()
    )
    return None if row is None else Installation(**row)


@dataclass(frozen=True, slots=True)
class FittedAt:
    """Where an issued unit is now: the ticket it was issued to, that ticket's customer and site, and the
    asset it was fitted into."""

    ticket: int
    customer: str
    site: str
    asset: str | None


async def fitted_units(units: Iterable[tuple[str, str]]) -> dict[tuple[str, str], FittedAt]:
    """Where each of ``units`` (serial, part number) was last fitted, by that pair; units never fitted
    are left out. One statement whatever their number: a batch recall asks it of every issued unit."""
    wanted = set(units)
    if not wanted:
        return {}
    rows = (
        await InstalledPart.select(
            InstalledPart.unit.serial.as_alias("serial"),
            InstalledPart.unit.part.part_number.as_alias("part_number"),
            InstalledPart.ticket,
            InstalledPart.ticket.customer.code.as_alias("customer"),
            InstalledPart.ticket.site.code.as_alias("site"),
            InstalledPart.asset.serial.as_alias("asset"),
        )
        .where(InstalledPart.unit.serial.is_in(sorted({serial for serial, _ in wanted})))
        .order_by(InstalledPart.id)
    )
    fitted = {}
    for row in rows:  # oldest first: a unit fitted again (repaired, issued anew) keeps its last fitting
        key = (row["serial"], row["part_number"])
        if key in wanted:
            fitted[key] = FittedAt(row["ticket"], row["customer"], row["site"], row["asset"])
    return fitted


@dataclass(frozen=True, slots=True)
class CodeMatch:
    """Something a scanned code names: ``kind`` (``unit``, ``box``, ``batch``, ``depot``, ``bin``,
    ``ticket``, ``reservation``), its ``key`` (serial, box or batch number, depot code, bin, id), and
    what tells it apart (the part number of a unit, a count of units, a depot's name, a bin's or a
    reservation's depot). A batch's ``count`` is its units and its rows of bulk stock (one per depot),
    ``bulk`` the latter alone: a batch of a counted part has no units to list."""

    kind: str
    key: str
    part_number: str | None = None
    count: int = 0
    detail: str = ""
    bulk: int = 0


TICKET_CODE = re.compile(r"^(?:T-?)?(\d{1,9})$", re.IGNORECASE)
RESERVATION_CODE = re.compile(r"^R-?(\d{1,9})$", re.IGNORECASE)


async def resolve_code(code: str) -> list[CodeMatch]:
    """Everything ``code`` names, each through an index: units with it as serial (several parts may
    share a serial), a box, a batch (of units or of bulk stock), a depot, a storage bin
    (``DEPOT/LOCATION``, as `inventory.labels` prints it), a ticket (``T-123`` or
    ``123``) or a reservation (``R-123``). Empty when it names nothing."""
    code = code.strip()
    if not code:
        return []
    matches: list[CodeMatch] = []
    units = (
        await StockUnit.select(StockUnit.serial, StockUnit.part.part_number.as_alias("part_number"))
        .where(StockUnit.serial == code)
        .limit(MAX_MATCHES)
    )
    matches += [CodeMatch("unit", row["serial"], part_number=row["part_number"]) for row in units]
    in_box = await StockUnit.count().where(StockUnit.box_number == code)
    if in_box:
        matches.append(CodeMatch("box", code, count=in_box))
    in_batch = await StockUnit.count().where(StockUnit.batch_number == code)
    bulk = await BulkStock.count().where(BulkStock.batch_number == code)
    if in_batch or bulk:
        matches.append(CodeMatch("batch", code, count=in_batch + bulk, bulk=bulk))
    depot = await Depot.select(Depot.code, Depot.name).where(Depot.code == code.upper()).first()
    if depot is not None:
        matches.append(CodeMatch("depot", depot["code"], detail=depot["name"]))
    bin_depot, _, location = code.partition("/")
    if location and BIN_LOCATION.match(location):
        holder = await Depot.select(Depot.code, Depot.name).where(Depot.code == bin_depot.upper()).first()
        if holder is not None:
            matches.append(CodeMatch("bin", f"{holder['code']}/{location}", detail=holder["name"]))
    ticket = TICKET_CODE.match(code)
    if ticket and await Ticket.exists().where(Ticket.id == int(ticket.group(1))):
        matches.append(CodeMatch("ticket", ticket.group(1)))
    reservation = RESERVATION_CODE.match(code)
    if reservation:
        row = (
            await Reservation.select(Reservation.id, Reservation.depot.code.as_alias("depot"))
            .where(Reservation.id == int(reservation.group(1)))
            .first()
        )
        if row is not None:
            matches.append(CodeMatch("reservation", str(row["id"]), detail=row["depot"]))
    return matches


__all__ = [
    "CodeMatch",
    "FittedAt",
    "Installation",
    "LifeStep",
    "UnitLife",
    "UnitReservation",
    "fitted_units",
    "resolve_code",
    "unit_life",
]
