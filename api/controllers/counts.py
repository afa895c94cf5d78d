"""Stock counts (scan, close, approve) and write-offs of serialized units, each approved by a second
person."""

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
from api.schemas.counts import CountIn, CountLineIn, CountLineOut, CountOut, WriteOffIn, WriteOffOut
from api.security import allow
from inventory import quarantine
from inventory.accounts import STAFF, Principal, Role
from inventory.stock import UnitStatus, counts, write_offs

MOVERS = (Role.ADMIN, Role.WAREHOUSE)


def _count(record) -> CountOut:
    return CountOut.model_validate(record, from_attributes=True)


def _write_off(record) -> WriteOffOut:
    return WriteOffOut.model_validate(record, from_attributes=True)


class CountController(Controller):
    path = "/stock/counts"
    tags = ["counts"]
    guards = [allow(*STAFF)]

    @post(
        operation_id="openCount",
        summary="Open a stock count",
        description="A count of a depot's shelves: of every part, or of the `parts` named.",
        guards=[allow(*MOVERS)],
    )
    @idempotent
    async def open(
        self, data: JSONBody[CountIn], principal: NamedDependency[Principal], now: NamedDependency[datetime]
    ) -> CountOut:
        """Open a count of a depot."""
        return _count(
            await counts.open_count(
                depot=data.depot, part_numbers=data.parts, actor=principal.username, now=now
            )
        )

    @get(
        operation_id="listCounts",
        summary="List stock counts",
        description=(
            "Counts, newest first, with their variances; filter by `depot` and `status` (`open`, "
            "`closed`, `approved`)."
        ),
    )
    async def list_counts(
        self,
        page: NamedDependency[PageRequest],
        depot: FromQuery[str | None] = None,
        status_name: Annotated[
            str | None, QueryParameter(name="status", description="open, closed or approved")
        ] = None,
    ) -> Page[CountOut]:
        """Counts, newest first."""
        status = query_choice(status_name, counts.STATES, name="status")
        rows = await counts.list_counts(depot=depot, status=status, limit=page.fetch, offset=page.offset)
        return page_of([_count(row) for row in rows], page)

    @get(
        "/{count_id:int}",
        operation_id="getCount",
        summary="Get a stock count",
        description=(
            "One count: its parts, its latest lines and, once closed, its variances and what approval books."
        ),
    )
    async def get_count(self, count_id: PathId) -> CountOut:
        """One count."""
        return _count(await counts.get_count(count_id))

    @post(
        "/{count_id:int}/lines",
        operation_id="addCountLine",
        summary="Enter a counted line",
        description=(
            "One scan: a serial of a serialized part, or a quantity of a bulk part's batch (several lines "
            "of a batch add up). 409 for a serial already counted or a count no longer open; 422 for a "
            "part outside the count."
        ),
        guards=[allow(*MOVERS)],
    )
    @idempotent
    async def add_line(
        self,
        count_id: PathId,
        data: JSONBody[CountLineIn],
        principal: NamedDependency[Principal],
        now: NamedDependency[datetime],
    ) -> CountLineOut:
        """Enter one scanned line of a count."""
        record = await counts.add_line(
            count_id,
            part_number=data.part_number,
            serial=data.serial,
            batch_number=data.batch_number,
            quantity=data.quantity,
            actor=principal.username,
            now=now,
        )
        return CountLineOut.model_validate(record, from_attributes=True)

    @post(
        "/{count_id:int}/close",
        operation_id="closeCount",
        summary="Close a stock count",
        description=(
            "No more lines: the variances against the books (missing serials, unknown serials, bulk "
            "quantity differences per batch) are found and kept with what approval will book."
        ),
        guards=[allow(*MOVERS)],
        status_code=HTTP_200_OK,
    )
    @idempotent
    async def close(
        self, count_id: PathId, principal: NamedDependency[Principal], now: NamedDependency[datetime]
    ) -> CountOut:
        """Close a count and find its variances."""
        return _count(await counts.close_count(count_id, actor=principal.username, now=now))

    @post(
        "/{count_id:int}/approve",
        operation_id="approveCount",
        summary="Approve a stock count",
        description=(
            "A second person (not who opened, counted or closed it) approves a closed count; its "
            "variances are booked in one transaction, each a movement with the count as its reference. "
            "403 `second-person-required`; 409 if the count is not closed or stock moved since it closed."
        ),
        guards=[allow(*MOVERS)],
        status_code=HTTP_200_OK,
    )
    @idempotent
    async def approve(
        self, count_id: PathId, principal: NamedDependency[Principal], now: NamedDependency[datetime]
    ) -> CountOut:
        """Approve a closed count and book its adjustments."""
        return _count(await counts.approve_count(count_id, actor=principal.username, now=now))


class WriteOffController(Controller):
    path = "/stock/write-offs"
    tags = ["counts"]
    guards = [allow(*STAFF)]

    @post(
        operation_id="requestWriteOff",
        summary="Ask for a unit to be written off",
        description=(
            "A serialized unit that is available, quarantined or defective at a depot, to be written off "
            "as `scrapped` or `lost`, with a reason; booked when a second person approves. 409 if one is "
            "already pending for the unit."
        ),
        guards=[allow(*MOVERS)],
    )
    @idempotent
    async def request_write_off(
        self,
        data: JSONBody[WriteOffIn],
        principal: NamedDependency[Principal],
        now: NamedDependency[datetime],
    ) -> WriteOffOut:
        """Ask for a write-off."""
        record = await write_offs.request_write_off(
            part_number=data.part_number,
            depot=data.depot,
            serial=data.serial,
            outcome=UnitStatus(data.outcome),
            reason=data.reason,
            actor=principal.username,
            now=now,
        )
        return _write_off(record)

    @get(
        operation_id="listWriteOffs",
        summary="List write-offs",
        description=(
            "Write-offs, newest first; filter by `depot` and `status` (`pending`, `approved`, `rejected`)."
        ),
    )
    async def list_write_offs(
        self,
        page: NamedDependency[PageRequest],
        depot: FromQuery[str | None] = None,
        status_name: Annotated[
            str | None, QueryParameter(name="status", description="pending, approved or rejected")
        ] = None,
    ) -> Page[WriteOffOut]:
        """Write-offs, newest first."""
        status = query_choice(status_name, write_offs.STATES, name="status")
        rows = await write_offs.list_write_offs(
            depot=depot, status=status, limit=page.fetch, offset=page.offset
        )
        return page_of([_write_off(row) for row in rows], page)

    @get(
        "/{write_off_id:int}",
        operation_id="getWriteOff",
        summary="Get a write-off",
        description="One write-off: the unit, the reason, who asked and who decided, and when.",
    )
    async def get_write_off(self, write_off_id: PathId) -> WriteOffOut:
        """One write-off."""
        return _write_off(await write_offs.get_write_off(write_off_id))

    @post(
        "/{write_off_id:int}/approve",
        operation_id="approveWriteOff",
        summary="Approve a write-off",
        description=(
            "A second person (not who asked) approves: the unit leaves the depot as scrapped or lost, a "
            "movement with the write-off as its reference. 403 `second-person-required`; 409 if it is not "
            "pending or the unit moved; 409 `sanitization-required` (naming the rule "
            "`returned-secure-media-sanitized`) for a returned secure unit scrapped before its "
            "sanitization is verified."
        ),
        guards=[allow(*MOVERS)],
        status_code=HTTP_200_OK,
    )
    @idempotent
    async def approve(
        self, write_off_id: PathId, principal: NamedDependency[Principal], now: NamedDependency[datetime]
    ) -> WriteOffOut:
        """Approve a write-off and book it."""
        return _write_off(
            await quarantine.decide_write_off(write_off_id, approve=True, actor=principal.username, now=now)
        )

    @post(
        "/{write_off_id:int}/reject",
        operation_id="rejectWriteOff",
        summary="Reject a write-off",
        description="Nothing is booked; who asked may also withdraw it this way. 409 if it is not pending.",
        guards=[allow(*MOVERS)],
        status_code=HTTP_200_OK,
    )
    @idempotent
    async def reject(
        self, write_off_id: PathId, principal: NamedDependency[Principal], now: NamedDependency[datetime]
    ) -> WriteOffOut:
        """Reject a write-off."""
        return _write_off(
            await quarantine.decide_write_off(write_off_id, approve=False, actor=principal.username, now=now)
        )
