"""Receipts, transfers, corrections, stock levels and serial traceability."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_200_OK

from api.idempotency import idempotent
from api.openapi import OptionalBodyOperation
from api.pagination import Page, PageRequest, page_of
from api.params import PathId
from api.schemas.stock import (
    AdjustmentIn,
    ChangeAccepted,
    InstalledOut,
    ReceiptIn,
    ReceiptOut,
    StatusChangeIn,
    StockLevelOut,
    TransferIn,
    TransferOut,
    TransferReceiveIn,
    UnitOut,
)
from api.security import allow
from inventory import quarantine, stock
from inventory.accounts import STAFF, Principal, Role
from inventory.tickets import installed_unit_coverage

MOVERS = (Role.ADMIN, Role.WAREHOUSE)


def _what_landed(data: TransferReceiveIn | None) -> dict[str, Any] | None:
    """A receipt naming nothing and one without a body are the same request: everything in transit."""
    return (data or TransferReceiveIn()).model_dump(mode="json", exclude_none=True) or None


class StockController(Controller):
    path = "/stock"
    tags = ["stock"]
    guards = [allow(*STAFF)]

    @get(
        operation_id="listStock",
        summary="List stock levels",
        description=(
            "Stock per depot and part: on hand, reserved, available, in transit towards the depot, "
            "defective and quarantined, as the ledger says. Filter by `part_number`, `depot` and "
            "`category`."
        ),
    )
    async def list_stock(
        self,
        page: NamedDependency[PageRequest],
        part_number: FromQuery[str | None] = None,
        depot: FromQuery[str | None] = None,
        category: FromQuery[str | None] = None,
    ) -> Page[StockLevelOut]:
        """Stock per depot and part: on hand, reserved, available, in transit (inbound), defective."""
        rows = await stock.stock_levels(
            part_number=part_number, depot=depot, category=category, limit=page.fetch, offset=page.offset
        )
        return page_of([StockLevelOut.of(row) for row in rows], page)

    @get(
        "/units/{serial:str}",
        operation_id="traceUnit",
        summary="Trace a serial",
        description=(
            "A unit's current depot and status and its whole movement history: who moved it, when, from "
            "where to where, and why. An issued unit also shows the asset it was fitted into and the "
            "coverage it carries there. `part_number` tells apart two parts that share a serial."
        ),
    )
    async def trace_unit(
        self, serial: FromPath[str], now: NamedDependency[datetime], part_number: FromQuery[str | None] = None
    ) -> UnitOut:
        """A serial's current state and its whole movement history: who, when, what, where, why.

        An issued unit also shows the asset it was fitted into and the coverage it carries from there.
        """
        record = await stock.trace_unit(serial, part_number=part_number)
        unit = UnitOut.model_validate(record, from_attributes=True)
        installed = await installed_unit_coverage(record.part_number, record.serial, now)
        if installed is not None:
            asset, coverage = installed
            unit.installed = InstalledOut(
                asset_serial=asset, warranty_end=coverage.end, coverage_phase=coverage.phase
            )
        return unit

    @get(
        "/transfers/{transfer_id:int}",
        operation_id="getTransfer",
        summary="Get a transfer",
        description="One transfer between depots: what it carries and how much has landed.",
    )
    async def get_transfer(self, transfer_id: PathId) -> TransferOut:
        """One transfer and what it carries."""
        return TransferOut.model_validate(await stock.get_transfer(transfer_id), from_attributes=True)

    @post(
        "/receipts",
        operation_id="receiveStock",
        summary="Receive a supplier delivery",
        description=(
            "Books a delivery note in at a depot: serialized parts unit by unit (serial, box, batch), "
            "bulk parts by batch and quantity. All lines or nothing; every unit gets its receipt "
            "movement in the ledger. 409 for a known or repeated serial, or a delivery note (supplier "
            "and reference) booked before; 422 for a box that mixes batches, a quantity that does not "
            "match the units, or a serialized part without units. A returned secure unit not yet "
            "sanitized is booked in at the returns desk, not here: 409 `sanitization-required` naming the "
            "rule `returned-secure-media-sanitized`."
        ),
        guards=[allow(*MOVERS)],
    )
    @idempotent
    async def receive(
        self, data: JSONBody[ReceiptIn], principal: NamedDependency[Principal], now: NamedDependency[datetime]
    ) -> ReceiptOut:
        """Book a supplier delivery in; all lines or nothing.

        409 for a known or repeated serial, or a delivery note (supplier and reference) booked before;
        422 for a box that mixes batches, a quantity that does not match the units, or a serialized part
        without units.
        """
        record = await quarantine.receive_stock(
            depot=data.depot,
            supplier=data.supplier,
            reference=data.reference,
            lines=[line.to_line() for line in data.lines],
            actor=principal.username,
            now=now,
        )
        return ReceiptOut.model_validate(record, from_attributes=True)

    @post(
        "/transfers",
        operation_id="dispatchTransfer",
        summary="Send stock to another depot",
        description=(
            "Takes the named serials, or a quantity of a bulk part (oldest batch first), out of the "
            "source depot's available stock now; they are in transit until the destination receives "
            "them."
        ),
        guards=[allow(*MOVERS)],
    )
    @idempotent
    async def dispatch(
        self,
        data: JSONBody[TransferIn],
        principal: NamedDependency[Principal],
        now: NamedDependency[datetime],
    ) -> TransferOut:
        """Send stock to another depot: it leaves the source now and is in transit until received."""
        record = await stock.dispatch_transfer(
            part_number=data.part_number,
            from_depot=data.from_depot,
            to_depot=data.to_depot,
            quantity=data.quantity,
            serials=data.serials,
            reason=data.reason,
            actor=principal.username,
            now=now,
        )
        return TransferOut.model_validate(record, from_attributes=True)

    @post(
        "/transfers/{transfer_id:int}/receive",
        operation_id="receiveTransfer",
        summary="Receive a transfer",
        description=(
            "Lands a transfer at its destination: everything still in transit (no body), or only the "
            "`serials` named or the bulk `quantity` given; the rest stays in transit and the transfer is "
            "`partially_received` until all of it has landed. 422 for serials the transfer does not "
            "carry; 409 if it, or a unit named, has already landed."
        ),
        operation_class=OptionalBodyOperation,
        guards=[allow(*MOVERS)],
        status_code=HTTP_200_OK,
    )
    @idempotent(payload=_what_landed)
    async def receive_transfer(
        self,
        transfer_id: PathId,
        principal: NamedDependency[Principal],
        now: NamedDependency[datetime],
        data: Annotated[
            TransferReceiveIn | None,
            Body(
                media_type=RequestEncodingType.JSON,
                description="What landed; none for everything in transit.",
            ),
        ] = None,
    ) -> TransferOut:
        """Land a transfer at its destination: everything still in transit, or (a partial receipt) the
        ``serials`` named or the bulk ``quantity`` given; the rest stays in transit and the transfer is
        ``partially_received`` until it has all landed.

        422 for serials the transfer does not carry (named); 409 if it, or a unit named, already landed.
        """
        arrived = data or TransferReceiveIn()
        record = await stock.receive_transfer(
            transfer_id,
            serials=arrived.serials,
            quantity=arrived.quantity,
            actor=principal.username,
            now=now,
        )
        return TransferOut.model_validate(record, from_attributes=True)

    @post(
        "/status-changes",
        operation_id="changeStockStatus",
        summary="Change the status of stock",
        description=(
            "Quarantines, releases from quarantine, marks defective or returns to vendor: one serial, or "
            "a quantity of one bulk batch (with `from_status`). The change is a movement in the ledger, "
            "with its reason. A returned secure unit (a depot-custody sanitization record) cannot leave "
            "quarantine or defective stock before its sanitization is verified, nor go back to stock once "
            "destroyed: 409 `sanitization-required`, naming the rule."
        ),
        guards=[allow(*MOVERS)],
    )
    @idempotent
    async def change_status(
        self,
        data: JSONBody[StatusChangeIn],
        principal: NamedDependency[Principal],
        now: NamedDependency[datetime],
    ) -> ChangeAccepted:
        """Quarantine, release from quarantine, mark defective or return to vendor: one serial, or a quantity
        of one bulk batch (with ``from_status``)."""
        await quarantine.change_status(
            part_number=data.part_number,
            depot=data.depot,
            to_status=data.to_status,
            serial=data.serial,
            batch_number=data.batch_number,
            quantity=data.quantity,
            from_status=data.from_status,
            reason=data.reason,
            actor=principal.username,
            now=now,
        )
        return ChangeAccepted(part_number=data.part_number, depot=data.depot)

    @post(
        "/adjustments",
        operation_id="adjustBulkStock",
        summary="Correct a bulk count",
        description=(
            "Corrects the available count of a bulk batch after a stock count, up or down, with a "
            "reason; the correction is a movement in the ledger."
        ),
        guards=[allow(*MOVERS)],
    )
    @idempotent
    async def adjust(
        self,
        data: JSONBody[AdjustmentIn],
        principal: NamedDependency[Principal],
        now: NamedDependency[datetime],
    ) -> ChangeAccepted:
        """Correct a bulk batch's available count after a stock count, with a reason."""
        await stock.adjust_bulk(
            part_number=data.part_number,
            depot=data.depot,
            batch_number=data.batch_number,
            delta=data.delta,
            reason=data.reason,
            actor=principal.username,
            now=now,
        )
        return ChangeAccepted(part_number=data.part_number, depot=data.depot)
