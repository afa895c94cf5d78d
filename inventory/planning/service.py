"""The depot hierarchy, stock policies, and replenishment suggestions and their acceptance."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from inventory.errors import InvalidRequest, NotFound, SuggestionAccepted, SuggestionStale
from inventory.persistence import write_transaction
from inventory.planning.hierarchy import check_route
from inventory.planning.records import (
    AcceptedRecord,
    ForecastRecord,
    PolicyRecord,
    SuggestionRecord,
    SupplyRouteRecord,
)
from inventory.planning.replenishment import (
    Levels,
    PolicyKind,
    Position,
    SuggestionKind,
    Supply,
    check_policy,
    parse_suggestion_id,
    propose,
    suggestion_id,
)
from inventory.planning.tables import AcceptedSuggestion, DemandForecast, StockPolicy, SupplyRoute
from inventory.stock.catalogue import depot_ids, part_rows
from inventory.stock.model import MovementKind
from inventory.stock.tables import Depot, Movement, Part, StockLevel
from inventory.stock.transfers import dispatch_transfer

# --- the hierarchy ---------------------------------------------------------------------------------


async def supply_routes() -> list[SupplyRouteRecord]:
    """Every depot's supply route, by depot code."""
    rows = await SupplyRoute.select(
        SupplyRoute.depot.code.as_alias("depot"),
        SupplyRoute.supplier_depot.code.as_alias("supplier_depot"),
        SupplyRoute.lead_time_days,
        SupplyRoute.updated_at,
        SupplyRoute.updated_by,
    ).order_by(SupplyRoute.depot.code)
    return [SupplyRouteRecord(**row) for row in rows]


async def set_supply_route(
    depot: str, *, supplier_depot: str | None, lead_time_days: int, actor: str, now: datetime
) -> SupplyRouteRecord:
    """Set where ``depot`` gets its stock: from ``supplier_depot`` or, with None, from the suppliers
    (the top of the hierarchy), after ``lead_time_days``.

    Raises:
        InvalidRequest: an unknown depot, a lead time out of range, or a route that makes a cycle.
    """
    named = {"depot": depot} | ({"supplier_depot": supplier_depot} if supplier_depot else {})
    async with write_transaction():
        ids = await depot_ids(named)
        routes = {route.depot: route.supplier_depot for route in await supply_routes()}
        check_route(routes, depot, supplier_depot, lead_time_days)
        values = {
            SupplyRoute.supplier_depot: ids.get(supplier_depot) if supplier_depot else None,
            SupplyRoute.lead_time_days: lead_time_days,
            SupplyRoute.updated_at: now,
            SupplyRoute.updated_by: actor,
        }
        changed = (
            await SupplyRoute.update(values).where(SupplyRoute.depot == ids[depot]).returning(SupplyRoute.id)
        )
        if not changed:
            await SupplyRoute.insert(
                SupplyRoute(
                    depot=ids[depot],
                    supplier_depot=values[SupplyRoute.supplier_depot],
                    lead_time_days=lead_time_days,
                    updated_at=now,
                    updated_by=actor,
                )
            )
    return SupplyRouteRecord(depot, supplier_depot, lead_time_days, now, actor)


# --- policies --------------------------------------------------------------------------------------


async def list_policies(
    *, depot: str, part_number: str | None, limit: int, offset: int
) -> list[PolicyRecord]:
    """A depot's stock policies by part number, with the levels in force.

    Raises:
        NotFound: no such depot.
    """
    depot_id = await _depot_id(depot)
    query = (
        StockPolicy.select(
            StockPolicy.part.as_alias("part_id"),
            StockPolicy.part.part_number.as_alias("part_number"),
            StockPolicy.kind,
            StockPolicy.reorder_level,
            StockPolicy.target_level,
            StockPolicy.updated_at,
            StockPolicy.updated_by,
        )
        .where(StockPolicy.depot == depot_id)
        .order_by(StockPolicy.part.part_number)
        .limit(limit)
        .offset(offset)
    )
    if part_number is not None:
        query = query.where(StockPolicy.part.part_number == part_number)
    rows = await query
    forecasts = await _forecasts(depot_id, [row["part_id"] for row in rows])
    return [_policy(depot, row, forecasts.get(row["part_id"])) for row in rows]


async def set_policy(
    *,
    depot: str,
    part_number: str,
    kind: PolicyKind,
    reorder_level: int | None,
    target_level: int | None,
    actor: str,
    now: datetime,
) -> PolicyRecord:
    """Set a depot's stock policy for a part (replacing the one before).

    Raises:
        InvalidRequest: an unknown depot or part, or levels that do not fit the kind.
    """
    check_policy(kind, reorder_level, target_level)
    async with write_transaction():
        depot_id = (await depot_ids([depot]))[depot]
        parts = await part_rows([part_number])
        if part_number not in parts:
            raise InvalidRequest(f"unknown part {part_number!r}", field="part_number")
        part_id = parts[part_number]["id"]
        values = {
            StockPolicy.kind: kind.value,
            StockPolicy.reorder_level: reorder_level,
            StockPolicy.target_level: target_level,
            StockPolicy.updated_at: now,
            StockPolicy.updated_by: actor,
        }
        changed = (
            await StockPolicy.update(values)
            .where((StockPolicy.depot == depot_id) & (StockPolicy.part == part_id))
            .returning(StockPolicy.id)
        )
        if not changed:
            await StockPolicy.insert(
                StockPolicy(
                    depot=depot_id,
                    part=part_id,
                    kind=kind.value,
                    reorder_level=reorder_level,
                    target_level=target_level,
                    updated_at=now,
                    updated_by=actor,
                )
            )
    forecast = (await _forecasts(depot_id, [part_id])).get(part_id)
    row = {
        "part_number": part_number,
        "kind": kind.value,
        "reorder_level": reorder_level,
        "target_level": target_level,
        "updated_at": now,
        "updated_by": actor,
    }
    return _policy(depot, row, forecast)


def _policy(depot: str, row: dict, forecast: tuple[ForecastRecord, int, int] | None) -> PolicyRecord:
    levels = _levels(row, forecast)
    return PolicyRecord(
        depot=depot,
        part_number=row["part_number"],
        kind=row["kind"],
        reorder_level=levels.reorder_level,
        target_level=levels.target_level,
        forecast=forecast[0] if forecast else None,
        updated_at=row["updated_at"],
        updated_by=row["updated_by"],
    )


def _levels(row: dict, forecast: tuple[ForecastRecord, int, int] | None) -> Levels:
    kind = PolicyKind(row["kind"])
    if kind is PolicyKind.AUTO:
        reorder, target = (forecast[1], forecast[2]) if forecast else (0, 0)
        return Levels(PolicyKind.MIN_MAX, reorder, target)
    return Levels(kind, row["reorder_level"], row["target_level"])


async def _forecasts(depot_id: int, part_ids: list[int]) -> dict[int, tuple[ForecastRecord, int, int]]:
    """The stored forecasts of the parts at the depot, with the levels they imply, by part id."""
    if not part_ids:
        return {}
    rows = await DemandForecast.select().where(
        (DemandForecast.depot == depot_id) & DemandForecast.part.is_in(part_ids)
    )
    return {
        row["part"]: (
            ForecastRecord(
                demand_class=row["demand_class"],
                method=row["method"],
                per_week=row["per_week"],
                adi=row["adi"],
                cv2=row["cv2"],
                demand_weeks=row["demand_weeks"],
                history_weeks=row["history_weeks"],
                service_level=row["service_level"],
                lead_time_days=row["lead_time_days"],
                computed_at=row["computed_at"],
            ),
            row["reorder_level"],
            row["target_level"],
        )
        for row in rows
    }


async def _depot_id(code: str) -> int:
    row = await Depot.select(Depot.id).where(Depot.code == code).first()
    if row is None:
        raise NotFound(f"depot {code} not found")
    return row["id"]


# --- suggestions -----------------------------------------------------------------------------------


async def suggestions(depot: str) -> list[SuggestionRecord]:
    """What the depot should order now, by part number: a transfer from its supplying depot, or a
    purchase if it is at the top of the hierarchy; none without a supply route.

    Raises:
        NotFound: no such depot.
    """
    return await _suggest(await _depot_id(depot), depot, part_ids=None)


async def _suggest(depot_id: int, depot: str, part_ids: list[int] | None) -> list[SuggestionRecord]:
    route = (
        await SupplyRoute.select(
            SupplyRoute.supplier_depot,
            SupplyRoute.supplier_depot.code.as_alias("source"),
            SupplyRoute.lead_time_days,
        )
        .where(SupplyRoute.depot == depot_id)
        .first()
    )
    if route is None:
        return []
    query = StockPolicy.select(
        StockPolicy.part.as_alias("part_id"),
        StockPolicy.part.part_number.as_alias("part_number"),
        StockPolicy.kind,
        StockPolicy.reorder_level,
        StockPolicy.target_level,
    ).where(StockPolicy.depot == depot_id)
    if part_ids is not None:
        query = query.where(StockPolicy.part.is_in(part_ids))
    policies = await query.order_by(StockPolicy.part.part_number)
    if not policies:
        return []
    ids = [row["part_id"] for row in policies]
    forecasts = await _forecasts(depot_id, ids)
    levels = await _stock_levels(depot_id, ids)
    source_levels = await _stock_levels(route["supplier_depot"], ids) if route["supplier_depot"] else {}
    on_order = await _on_order(depot_id, ids) if route["supplier_depot"] is None else {}
    found = []
    for row in policies:
        part_id = row["part_id"]
        forecast = forecasts.get(part_id)
        policy_levels = _levels(row, forecast)
        on_hand, reserved, in_transit = levels.get(part_id, (0, 0, 0))
        position = Position(on_hand, reserved, in_transit, on_order.get(part_id, 0))
        source_stock = source_levels.get(part_id, (0, 0, 0))
        supply = Supply(
            source=route["source"],
            lead_time_days=route["lead_time_days"],
            source_available=source_stock[0] - source_stock[1] if route["source"] else None,
        )
        proposal = propose(policy_levels, position, supply)
        if proposal is None:
            continue
        basis = forecast[0].computed_at if forecast and row["kind"] == PolicyKind.AUTO else None
        found.append(
            SuggestionRecord(
                id=suggestion_id(depot_id, part_id, proposal, supply, policy_levels, position, basis),
                kind=proposal.kind.value,
                depot=depot,
                part_number=row["part_number"],
                source_depot=supply.source,
                quantity=proposal.quantity,
                needed=proposal.needed,
                short_by=proposal.short_by,
                policy=row["kind"],
                reorder_level=policy_levels.reorder_level,
                target_level=policy_levels.target_level,
                inventory_position=position.inventory_position,
                on_hand=position.on_hand,
                reserved=position.reserved,
                in_transit=position.in_transit,
                on_order=position.on_order,
                lead_time_days=supply.lead_time_days,
                forecast=forecast[0] if forecast else None,
            )
        )
    return found


async def _stock_levels(depot_id: int, part_ids: list[int]) -> dict[int, tuple[int, int, int]]:
    """``part id -> (on hand, reserved, in transit)`` at a depot."""
    rows = await StockLevel.select(
        StockLevel.part, StockLevel.on_hand, StockLevel.reserved, StockLevel.in_transit
    ).where((StockLevel.depot == depot_id) & StockLevel.part.is_in(part_ids))
    return {row["part"]: (row["on_hand"], row["reserved"], row["in_transit"]) for row in rows}


async def _on_order(depot_id: int, part_ids: Iterable[int]) -> dict[int, int]:
    """``part id -> quantity on order``: purchases accepted for the depot less what of the part has been
    received there since the first of them."""
    orders = await AcceptedSuggestion.select(
        AcceptedSuggestion.part, AcceptedSuggestion.quantity, AcceptedSuggestion.accepted_at
    ).where(
        (AcceptedSuggestion.depot == depot_id)
        & (AcceptedSuggestion.kind == SuggestionKind.PURCHASE.value)
        & AcceptedSuggestion.part.is_in(list(part_ids))
    )
    ordered: dict[int, int] = defaultdict(int)
    since: dict[int, datetime] = {}
    for row in orders:
        ordered[row["part"]] += row["quantity"]
        since[row["part"]] = min(since.get(row["part"], row["accepted_at"]), row["accepted_at"])
    open_orders = {}
    for part_id, quantity in ordered.items():
        received = await Movement.select(Movement.quantity).where(
            (Movement.kind == MovementKind.RECEIPT.value)
            & (Movement.to_depot == depot_id)
            & (Movement.part == part_id)
            & (Movement.at >= since[part_id])
        )
        open_orders[part_id] = max(quantity - sum(row["quantity"] for row in received), 0)
    return open_orders


async def accept(suggestion: str, *, actor: str, now: datetime) -> AcceptedRecord:
    """Accept a suggestion: a transfer is dispatched from the supplying depot (`dispatch_transfer`, in
    the same transaction); a purchase is recorded as on order. Once only.

    Raises:
        NotFound: no suggestion has this id.
        SuggestionAccepted: it was accepted before.
        SuggestionStale: the stock, policy, route or forecast it rests on has changed since.
        InsufficientStock: the supplying depot's stock went meanwhile.
    """
    named = parse_suggestion_id(suggestion)
    if named is None:
        raise NotFound(f"suggestion {suggestion} not found")
    if await AcceptedSuggestion.exists().where(AcceptedSuggestion.suggestion == suggestion):
        raise SuggestionAccepted(f"suggestion {suggestion} was already accepted", suggestion=suggestion)
    depot_id, part_id = named
    depot = await Depot.select(Depot.code).where(Depot.id == depot_id).first()
    if depot is None or not await Part.exists().where(Part.id == part_id):
        raise NotFound(f"suggestion {suggestion} not found")
    current = next(iter(await _suggest(depot_id, depot["code"], part_ids=[part_id])), None)
    if current is None or current.id != suggestion:
        raise SuggestionStale(
            f"suggestion {suggestion} no longer matches the stock; ask for the suggestions again",
            suggestion=suggestion,
            current=current.id if current else None,
        )
    async with write_transaction():
        transfer_id = None
        if current.kind == SuggestionKind.TRANSFER:
            transfer = await dispatch_transfer(
                part_number=current.part_number,
                from_depot=current.source_depot or "",
                to_depot=current.depot,
                quantity=current.quantity,
                serials=None,
                reason=f"replenishment {suggestion}",
                actor=actor,
                now=now,
            )
            transfer_id = transfer.id
        await AcceptedSuggestion.insert(
            AcceptedSuggestion(
                suggestion=suggestion,
                kind=current.kind,
                depot=depot_id,
                part=part_id,
                quantity=current.quantity,
                transfer=transfer_id,
                accepted_at=now,
                accepted_by=actor,
            )
        )
    return AcceptedRecord(
        suggestion=suggestion,
        kind=current.kind,
        depot=current.depot,
        part_number=current.part_number,
        quantity=current.quantity,
        transfer_id=transfer_id,
        accepted_at=now,
        accepted_by=actor,
    )
