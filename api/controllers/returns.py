"""Failed units expected back from customers' tickets, and returns to vendors under an RMA."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK

from api.idempotency import idempotent
from api.pagination import Page, PageRequest, page_of
from api.params import PathId
from api.query import query_choice
from api.schemas.returns import (
    CreditIn,
    ReplacementsIn,
    ReturnOut,
    ReturnReceiveIn,
    VendorReturnIn,
    VendorReturnOut,
)
from api.security import allow
from api.settings import Settings
from inventory import quarantine
from inventory.accounts import STAFF, Principal, Role
from inventory.stock import RmaState, vendor_returns
from inventory.tickets import returns

MOVERS = (Role.ADMIN, Role.WAREHOUSE)


class ReturnController(Controller):
    path = "/returns"
    tags = ["returns"]
    guards = [allow(*STAFF)]

    @get(
        operation_id="listReturns",
        summary="List failed units expected back",
        description=(
            "Failed units taken out of customers' assets when parts were issued, expected back at a depot "
            "(secure media kept by customers are retention records instead), oldest first. Filter by "
            "`status` (`expected`, `received`), `depot`, `ticket`, and `overdue=true` for those still not "
            "back `RETURN_OVERDUE_DAYS` after the part was issued, to chase."
        ),
    )
    async def list_returns(
        self,
        page: NamedDependency[PageRequest],
        now: NamedDependency[datetime],
        settings: NamedDependency[Settings],
        depot: FromQuery[str | None] = None,
        ticket: Annotated[int | None, QueryParameter(ge=1, le=2**31 - 1)] = None,
        overdue: FromQuery[bool | None] = None,
        status_name: Annotated[
            str | None, QueryParameter(name="status", description="expected or received")
        ] = None,
    ) -> Page[ReturnOut]:
        """Failed units expected back, oldest first."""
        status = query_choice(status_name, (returns.EXPECTED, returns.RECEIVED), name="status")
        rows = await returns.list_returns(
            status=status,
            depot=depot,
            ticket=ticket,
            overdue=overdue,
            now=now,
            overdue_days=settings.return_overdue_days,
            limit=page.fetch,
            offset=page.offset,
        )
        return page_of([ReturnOut.model_validate(row, from_attributes=True) for row in rows], page)

    @get(
        "/{return_id:int}",
        operation_id="getReturn",
        summary="Get an expected return",
        description="One failed unit expected back, or received and graded.",
    )
    async def get_return(
        self, return_id: PathId, now: NamedDependency[datetime], settings: NamedDependency[Settings]
    ) -> ReturnOut:
        """One expected or received return."""
        record = await returns.get_return(return_id, now=now, overdue_days=settings.return_overdue_days)
        return ReturnOut.model_validate(record, from_attributes=True)

    @post(
        "/{return_id:int}/receive",
        operation_id="receiveReturn",
        summary="Book a failed unit in",
        description=(
            "Books the failed unit of a ticket in at a depot as defective stock, graded `repairable`, "
            "`vendor_return` or `scrap` (written off at once); a movement in the ledger. 422 "
            "`serial-mismatch` naming both serials if the unit handed in is not the failed serial "
            "recorded; 409 if the return was already received. A returned secure unit is not scrapped "
            "before its sanitization is verified: graded `scrap`, it is a 409 `sanitization-required` "
            "naming the rule `returned-secure-media-sanitized` (grade it otherwise, sanitize it, then "
            "write it off)."
        ),
        guards=[allow(*MOVERS)],
        status_code=HTTP_200_OK,
    )
    @idempotent
    async def receive(
        self,
        return_id: PathId,
        data: JSONBody[ReturnReceiveIn],
        principal: NamedDependency[Principal],
        now: NamedDependency[datetime],
        settings: NamedDependency[Settings],
    ) -> ReturnOut:
        """Book a failed unit in at a depot, graded."""
        record = await quarantine.receive_return(
            return_id,
            depot=data.depot,
            serial=data.serial,
            grade=data.grade,
            box_number=data.box_number,
            batch_number=data.batch_number,
            actor=principal.username,
            now=now,
            overdue_days=settings.return_overdue_days,
        )
        return ReturnOut.model_validate(record, from_attributes=True)


class VendorReturnController(Controller):
    path = "/vendor-returns"
    tags = ["returns"]
    guards = [allow(*STAFF)]

    @post(
        operation_id="createVendorReturn",
        summary="Open a return to a vendor",
        description=(
            "Lists defective units at a depot on the vendor's RMA number (`open`). 422 for a unit that is "
            "not defective stock there; 409 for an RMA number of the vendor already used, or a unit on "
            "another pending return."
        ),
        guards=[allow(*MOVERS)],
    )
    @idempotent
    async def create(
        self,
        data: JSONBody[VendorReturnIn],
        principal: NamedDependency[Principal],
        now: NamedDependency[datetime],
    ) -> VendorReturnOut:
        """Open a vendor return (RMA) of defective units."""
        record = await quarantine.create_vendor_return(
            vendor=data.vendor,
            rma_number=data.rma_number,
            depot=data.depot,
            units=[(unit.part_number, unit.serial) for unit in data.units],
            note=data.note,
            actor=principal.username,
            now=now,
        )
        return VendorReturnOut.of(record)

    @get(
        operation_id="listVendorReturns",
        summary="List returns to vendors",
        description="Vendor returns, newest first; filter by `status`, `depot` and `vendor`.",
    )
    async def list_vendor_returns(
        self,
        page: NamedDependency[PageRequest],
        depot: FromQuery[str | None] = None,
        vendor: FromQuery[str | None] = None,
        status_name: Annotated[
            str | None, QueryParameter(name="status", description="open, shipped, credited or replaced")
        ] = None,
    ) -> Page[VendorReturnOut]:
        """Vendor returns, newest first."""
        status = query_choice(status_name, RmaState, name="status")
        rows = await vendor_returns.list_vendor_returns(
            status=status, depot=depot, vendor=vendor, limit=page.fetch, offset=page.offset
        )
        return page_of([VendorReturnOut.of(row) for row in rows], page)

    @get(
        "/{return_id:int}",
        operation_id="getVendorReturn",
        summary="Get a return to a vendor",
        description="One vendor return with its units (their states now) and the replacements received.",
    )
    async def get_vendor_return(self, return_id: PathId) -> VendorReturnOut:
        """One vendor return."""
        return VendorReturnOut.of(await vendor_returns.get_vendor_return(return_id))

    @post(
        "/{return_id:int}/ship",
        operation_id="shipVendorReturn",
        summary="Ship a return to its vendor",
        description=(
            "The units leave the depot: each from defective stock to `returned_to_vendor`, a movement "
            "with the RMA as its reference (`shipped`). 409 unless the return is open and its units are "
            "still defective at the depot."
        ),
        guards=[allow(*MOVERS)],
        status_code=HTTP_200_OK,
    )
    @idempotent
    async def ship(
        self, return_id: PathId, principal: NamedDependency[Principal], now: NamedDependency[datetime]
    ) -> VendorReturnOut:
        """Ship the units to the vendor."""
        return VendorReturnOut.of(
            await quarantine.ship_vendor_return(return_id, actor=principal.username, now=now)
        )

    @post(
        "/{return_id:int}/credit",
        operation_id="creditVendorReturn",
        summary="Close a return as credited",
        description="The vendor credited the shipped units (`credited`). 409 unless the return has shipped.",
        guards=[allow(*MOVERS)],
        status_code=HTTP_200_OK,
    )
    @idempotent
    async def credit(
        self,
        return_id: PathId,
        data: JSONBody[CreditIn],
        principal: NamedDependency[Principal],
        now: NamedDependency[datetime],
    ) -> VendorReturnOut:
        """Close the return as credited."""
        return VendorReturnOut.of(
            await vendor_returns.credit_vendor_return(
                return_id, note=data.note, actor=principal.username, now=now
            )
        )

    @post(
        "/{return_id:int}/replacements",
        operation_id="receiveVendorReplacements",
        summary="Receive the vendor's replacement units",
        description=(
            "Books the units the vendor sent in place of the returned ones in at the return's depot as "
            "available stock, with the RMA as their reference (`replaced`). 409 unless the return has "
            "shipped, or for a serial already known."
        ),
        guards=[allow(*MOVERS)],
        status_code=HTTP_200_OK,
    )
    @idempotent
    async def replacements(
        self,
        return_id: PathId,
        data: JSONBody[ReplacementsIn],
        principal: NamedDependency[Principal],
        now: NamedDependency[datetime],
    ) -> VendorReturnOut:
        """Receive the vendor's replacement units against the return."""
        record = await vendor_returns.receive_replacements(
            return_id, lines=[line.to_line() for line in data.lines], actor=principal.username, now=now
        )
        return VendorReturnOut.of(record)
