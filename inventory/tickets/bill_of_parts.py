"""The bills of field-replaceable parts of asset models: what fits an asset, with its availability in
words, and the fit and quantity rule (`inventory.tickets.fit`) applied to a ticket's request.

``viewer`` confines a read to one customer company (NotFound for another's asset).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from geo.travel import Point
from inventory.customers import service as customers
from inventory.customers.records import AssetRecord
from inventory.customers.tables import Asset, Site
from inventory.errors import InvalidRequest
from inventory.persistence import current_store
from inventory.stock.tables import Part
from inventory.tickets.fit import FIT_RULES, BillLine, FitDecision, check_fit, positions
from inventory.tickets.sourcing import Availability, DepotStock, availability
from inventory.tickets.tables import ModelPart, ReplacementRequest, Reservation

HOLDING = ("active", "issued")
"""Reservations that count against the installed quantity: held at the depot or handed out."""
WAITING = ("requested", "pending_dispatcher")
"""Replacement requests not yet holding stock that count against it too."""


class PartDoesNotFit(InvalidRequest):
    """The part does not fit the ticket's asset, or more are asked for than are installed."""

    code = "part-does-not-fit"


@dataclass(frozen=True, slots=True)
class FittingPart:
    """A part that fits an asset: where it goes, its name and its availability in words."""

    part_number: str
    description: str
    installed: int
    supersedes: str | None
    """The installed part this one replaces (an alternate), or None for the installed part itself."""
    availability: Availability


@dataclass(frozen=True, slots=True)
class AssetParts:
    asset: AssetRecord
    parts: tuple[FittingPart, ...]


async def bill_of(model: str) -> list[BillLine]:
    """The bill of field-replaceable parts of an asset model (empty if it has none)."""
    rows = await ModelPart.select(
        ModelPart.part.part_number.as_alias("part_number"),
        ModelPart.installed,
        ModelPart.supersedes.part_number.as_alias("supersedes"),
    ).where(ModelPart.model == model)
    return [BillLine(row["part_number"], row["installed"], row["supersedes"]) for row in rows]


async def set_bill(model: str, lines: Iterable[BillLine], *, now: datetime) -> None:
    """Give ``model`` its bill (replacing any it had), in the caller's transaction.

    Raises:
        InvalidRequest: a part number the catalogue does not know, or an alternate of a part the bill
            does not install.
    """
    lines = list(lines)
    try:
        positions(lines)
    except ValueError as error:
        raise InvalidRequest(str(error), field="bill") from error
    numbers = sorted(
        {line.part_number for line in lines} | {line.supersedes for line in lines if line.supersedes}
    )
    ids = {
        row["part_number"]: row["id"]
        for row in await Part.select(Part.id, Part.part_number).where(Part.part_number.is_in(numbers or [""]))
    }
    unknown = [number for number in numbers if number not in ids]
    if unknown:
        raise InvalidRequest(f"unknown parts {unknown}", field="bill")
    await ModelPart.delete().where(ModelPart.model == model)
    if lines:
        await ModelPart.insert(
            *(
                ModelPart(
                    model=model,
                    part=ids[line.part_number],
                    installed=line.installed,
                    supersedes=None if line.supersedes is None else ids[line.supersedes],
                    created_at=now,
                )
                for line in lines
            )
        )


async def asset_parts(serial: str, *, viewer: str | None, now: datetime) -> AssetParts:
    """The parts that fit an asset, installed parts first with their alternates after each, with their
    availability for the asset's site in words.

    Raises:
        NotFound: no such asset, or not the viewer's company's.
    """
    asset = await customers.get_asset(serial, viewer=viewer)
    bill = await bill_of(asset.model)
    site = (
        await Site.select(Site.latitude, Site.longitude)
        .where((Site.customer.code == asset.customer) & (Site.code == asset.site))
        .first()
    )
    point = Point(site["latitude"], site["longitude"])
    numbers = sorted({line.part_number for line in bill})
    parts = {
        row["part_number"]: row
        for row in await Part.select(Part.id, Part.part_number, Part.description).where(
            Part.part_number.is_in(numbers or [""])
        )
    }
    store = current_store()
    listed = []
    for position in positions(bill):
        for number in position.part_numbers:
            rows = await store.depot_stock(parts[number]["id"])
            stock = [
                DepotStock(r["code"], Point(r["latitude"], r["longitude"]), r["available"]) for r in rows
            ]
            listed.append(
                FittingPart(
                    number,
                    parts[number]["description"],
                    position.installed,
                    None if number == position.part_number else position.part_number,
                    availability(stock, point, now=now),
                )
            )
    return AssetParts(asset, tuple(listed))


async def check_ticket_fit(
    ticket_id: int,
    asset_id: int | None,
    part_number: str,
    quantity: int,
    *,
    ignore_request: int | None = None,
) -> FitDecision:
    """The fit and quantity rule for a request on a ticket: the part must fit the ticket's asset, and the
    ticket may hold no more of its position than is installed (held and handed-out parts, and replacement
    requests still waiting for stock, counted).

    Raises:
        PartDoesNotFit: with the rule (``rule``) and, for too many, how many more may be asked for.
    """
    decision = await ticket_fit(ticket_id, asset_id, part_number, quantity, ignore_request=ignore_request)
    if decision.refusal is not None:
        raise PartDoesNotFit(
            f"{quantity} of {part_number}: {FIT_RULES[decision.refusal]}",
            rule=decision.refusal.value,
            field="quantity" if decision.position is not None else "part_number",
            may_still_hold=decision.may_still_hold,
        )
    return decision


async def ticket_fit(
    ticket_id: int,
    asset_id: int | None,
    part_number: str,
    quantity: int,
    *,
    ignore_request: int | None = None,
) -> FitDecision:
    """`check_ticket_fit`'s decision, without raising."""
    model = None
    if asset_id is not None:
        row = await Asset.select(Asset.model).where(Asset.id == asset_id).first()
        model = None if row is None else row["model"]
    bill = [] if model is None else await bill_of(model)
    return check_fit(bill, part_number, quantity, await _held(ticket_id, bill, ignore_request))


async def _held(ticket_id: int, bill: Sequence[BillLine], ignore_request: int | None) -> Mapping[str, int]:
    """What the ticket holds or waits for, by part number, of the parts on the bill."""
    numbers = sorted({line.part_number for line in bill})
    if not numbers:
        return {}
    held: dict[str, int] = {}
    reservations = await Reservation.select(
        Reservation.part.part_number.as_alias("part_number"), Reservation.quantity
    ).where(
        (Reservation.ticket == ticket_id)
        & Reservation.status.is_in(list(HOLDING))
        & Reservation.part.part_number.is_in(numbers)
    )
    waiting = ReplacementRequest.select(
        ReplacementRequest.part.part_number.as_alias("part_number"), ReplacementRequest.quantity
    ).where(
        (ReplacementRequest.ticket == ticket_id)
        & ReplacementRequest.state.is_in(list(WAITING))
        & ReplacementRequest.part.part_number.is_in(numbers)
    )
    if ignore_request is not None:
        waiting = waiting.where(ReplacementRequest.id != ignore_request)
    for row in [*reservations, *await waiting]:
        held[row["part_number"]] = held.get(row["part_number"], 0) + row["quantity"]
    return held
