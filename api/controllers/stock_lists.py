"""The warehouse's lists: transfers, receipts, movements, serialized units and bulk batches, filtered and
paginated, for staff."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromQuery, QueryParameter

from api.pagination import Page, PageRequest, page_of
from api.schemas.lists import BatchRowOut, ReceiptRowOut, TransferRowOut, UnitRowOut
from api.schemas.stock import MovementOut
from api.security import allow
from inventory import stock, traceability
from inventory.accounts import STAFF
from inventory.errors import InvalidRequest
from inventory.stock import MovementKind, UnitStatus

TransferStatus = Literal["in_transit", "partially_received", "received"]


def _code(description: str) -> Any:
    return QueryParameter(min_length=1, max_length=200, description=description)


DepotCode = Annotated[str | None, _code("A depot's code.")]
PartNumberQuery = Annotated[str | None, _code("A part number.")]
Since = Annotated[
    datetime | None, QueryParameter(description="From this moment on (inclusive, with its UTC offset).")
]
Until = Annotated[
    datetime | None, QueryParameter(description="Before this moment (exclusive, with its UTC offset).")
]


def _window(since: datetime | None, until: datetime | None) -> None:
    """A window of time needs offsets (the database compares instants) and must not run backwards."""
    for name, moment in (("since", since), ("until", until)):
        if moment is not None and moment.utcoffset() is None:
            raise InvalidRequest(f"{name} needs a UTC offset, e.g. 2026-12-07T08:00:00+08:00", field=name)
    if since is not None and until is not None and until <= since:
        raise InvalidRequest("until must be after since", field="until")


class StockListController(Controller):
    path = "/stock"
    tags = ["stock"]
    guards = [allow(*STAFF)]

    @get(
        "/transfers",
        operation_id="listTransfers",
        summary="List transfers",
        description=(
            "Transfers between depots, newest first: what each carries, how much has landed and its "
            "status. Filter by `status`, `from_depot`, `to_depot` and `part_number`."
        ),
    )
    async def list_transfers(
        self,
        page: NamedDependency[PageRequest],
        status: FromQuery[TransferStatus | None] = None,
        from_depot: DepotCode = None,
        to_depot: DepotCode = None,
        part_number: PartNumberQuery = None,
    ) -> Page[TransferRowOut]:
        """Transfers, newest first."""
        rows = await stock.search_transfers(
            status=status,
            from_depot=from_depot,
            to_depot=to_depot,
            part_number=part_number,
            limit=page.fetch,
            offset=page.offset,
        )
        return page_of([TransferRowOut.model_validate(row) for row in rows], page)

    @get(
        "/receipts",
        operation_id="listReceipts",
        summary="List goods receipts",
        description=(
            "Supplier deliveries booked in, newest first. Filter by `depot`, `supplier` and `reference` "
            "(as written on the delivery note) and by the time received (`since` inclusive, `until` "
            "exclusive, each with its UTC offset)."
        ),
    )
    async def list_receipts(
        self,
        page: NamedDependency[PageRequest],
        depot: DepotCode = None,
        supplier: Annotated[str | None, _code("The supplier, as on the delivery note.")] = None,
        reference: Annotated[str | None, _code("The delivery note's reference.")] = None,
        since: Since = None,
        until: Until = None,
    ) -> Page[ReceiptRowOut]:
        """Goods receipts, newest first."""
        _window(since, until)
        rows = await stock.list_receipts(
            depot=depot,
            supplier=supplier,
            reference=reference,
            since=since,
            until=until,
            limit=page.fetch,
            offset=page.offset,
        )
        return page_of([ReceiptRowOut.model_validate(row) for row in rows], page)

    @get(
        "/movements",
        operation_id="listMovements",
        summary="Search the movement ledger",
        description=(
            "Rows of the append-only ledger, newest first. Filter by `part_number`, `depot` (out of or "
            "into it), `serial`, `kind`, `reference` (a receipt, transfer or reservation), `actor` and "
            "time (`since` inclusive, `until` exclusive, each with its UTC offset)."
        ),
    )
    async def list_movements(
        self,
        page: NamedDependency[PageRequest],
        part_number: PartNumberQuery = None,
        depot: DepotCode = None,
        serial: Annotated[str | None, _code("A unit's serial.")] = None,
        kind: FromQuery[MovementKind | None] = None,
        reference: Annotated[str | None, _code("What the movement belongs to, e.g. transfer:12.")] = None,
        actor: Annotated[str | None, _code("Who moved the stock (a username).")] = None,
        since: Since = None,
        until: Until = None,
    ) -> Page[MovementOut]:
        """Ledger rows, newest first."""
        _window(since, until)
        rows = await stock.list_movements(
            part_number=part_number,
            depot=depot,
            serial=serial,
            kind=kind,
            reference=reference,
            actor=actor,
            since=since,
            until=until,
            limit=page.fetch,
            offset=page.offset,
        )
        return page_of([MovementOut.model_validate(row) for row in rows], page)

    @get(
        "/units",
        operation_id="listUnits",
        summary="List serialized units",
        description=(
            "Serialized units where they are now, oldest first. Filter by `part_number`, `depot`, "
            "`status`, `box_number` and `batch_number`: `batch_number` alone is a batch recall, every "
            "unit of the batch wherever it is, issued ones included, each with the ticket, customer, "
            "site and asset it was fitted for."
        ),
    )
    async def list_units(
        self,
        page: NamedDependency[PageRequest],
        part_number: PartNumberQuery = None,
        depot: DepotCode = None,
        status: FromQuery[UnitStatus | None] = None,
        box_number: Annotated[str | None, _code("A box number.")] = None,
        batch_number: Annotated[str | None, _code("A factory batch number.")] = None,
    ) -> Page[UnitRowOut]:
        """Serialized units, oldest first."""
        rows = await stock.list_units(
            part_number=part_number,
            depot=depot,
            status=status,
            box_number=box_number,
            batch_number=batch_number,
            limit=page.fetch,
            offset=page.offset,
        )
        fitted = await traceability.fitted_units(
            (row.serial, row.part_number) for row in rows if row.status == UnitStatus.ISSUED
        )
        return page_of([UnitRowOut.of(row, fitted.get((row.serial, row.part_number))) for row in rows], page)

    @get(
        "/batches",
        operation_id="listBatches",
        summary="List bulk stock by batch",
        description=(
            "Bulk (non-serialized) stock per batch at each depot: available, reserved, in transit, "
            "defective and quarantined. Filter by `part_number`, `depot` and `batch_number`."
        ),
    )
    async def list_batches(
        self,
        page: NamedDependency[PageRequest],
        part_number: PartNumberQuery = None,
        depot: DepotCode = None,
        batch_number: Annotated[str | None, _code("A factory batch number.")] = None,
    ) -> Page[BatchRowOut]:
        """Bulk stock per batch and depot."""
        rows = await stock.list_batches(
            part_number=part_number,
            depot=depot,
            batch_number=batch_number,
            limit=page.fetch,
            offset=page.offset,
        )
        return page_of([BatchRowOut.model_validate(row) for row in rows], page)
