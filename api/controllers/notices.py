"""Advance shipping notices, and receiving a delivery against its notice."""

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
from api.schemas.notices import NoticeIn, NoticeOut, NoticeReceiptIn
from api.security import allow
from inventory import quarantine
from inventory.accounts import STAFF, Principal, Role
from inventory.stock import notices

MOVERS = (Role.ADMIN, Role.WAREHOUSE)


class NoticeController(Controller):
    path = "/stock/notices"
    tags = ["stock"]
    guards = [allow(*STAFF)]

    @post(
        operation_id="createShippingNotice",
        summary="Record an advance shipping notice",
        description=(
            "A supplier's advance shipping notice for a delivery note to a depot: the manifest of every "
            "unit (serial, box, batch) and bulk batch it brings, checked as a receipt is. 409 if a notice "
            "of the same delivery note (supplier and reference) exists or the note was already booked in."
        ),
        guards=[allow(*MOVERS)],
    )
    @idempotent
    async def create(
        self, data: JSONBody[NoticeIn], principal: NamedDependency[Principal], now: NamedDependency[datetime]
    ) -> NoticeOut:
        """Record an advance shipping notice with its manifest."""
        record = await notices.create_notice(
            depot=data.depot,
            supplier=data.supplier,
            reference=data.reference,
            lines=[line.to_line() for line in data.lines],
            actor=principal.username,
            now=now,
        )
        return NoticeOut.of(record)

    @get(
        operation_id="listShippingNotices",
        summary="List advance shipping notices",
        description="Notices, newest first; filter by `depot`, `status` (`open`, `received`) and `supplier`.",
    )
    async def list_notices(
        self,
        page: NamedDependency[PageRequest],
        depot: FromQuery[str | None] = None,
        supplier: FromQuery[str | None] = None,
        status_name: Annotated[
            str | None, QueryParameter(name="status", description="open or received")
        ] = None,
    ) -> Page[NoticeOut]:
        """Notices, newest first."""
        status = query_choice(status_name, (notices.OPEN, notices.RECEIVED), name="status")
        rows = await notices.list_notices(
            depot=depot, status=status, supplier=supplier, limit=page.fetch, offset=page.offset
        )
        return page_of([NoticeOut.of(row) for row in rows], page)

    @get(
        "/{notice_id:int}",
        operation_id="getShippingNotice",
        summary="Get an advance shipping notice",
        description="One notice: its manifest, how much of each line arrived as announced, and its findings.",
    )
    async def get_notice(self, notice_id: PathId) -> NoticeOut:
        """One notice with its manifest and findings."""
        return NoticeOut.of(await notices.get_notice(notice_id))

    @post(
        "/{notice_id:int}/receive",
        operation_id="receiveAgainstNotice",
        summary="Receive a delivery against its notice",
        description=(
            "Books what arrived at the notice's depot in one receipt of its delivery note: units and "
            "batches as announced become available; unexpected units, units whose batch or box differs "
            "from the manifest, and bulk beyond it are booked to `quarantined` with the reason; what did "
            "not arrive is reported `missing`. The answer is the notice with its findings. 409 if the "
            "notice or its delivery note was already received, or a serial is already known; 409 "
            "`sanitization-required` for a returned secure unit not yet sanitized (it is booked in at the "
            "returns desk)."
        ),
        guards=[allow(*MOVERS)],
        status_code=HTTP_200_OK,
    )
    @idempotent
    async def receive(
        self,
        notice_id: PathId,
        data: JSONBody[NoticeReceiptIn],
        principal: NamedDependency[Principal],
        now: NamedDependency[datetime],
    ) -> NoticeOut:
        """Receive against a notice: matches booked, differences quarantined, missing reported."""
        record = await quarantine.receive_against_notice(
            notice_id, lines=[line.to_line() for line in data.lines], actor=principal.username, now=now
        )
        return NoticeOut.of(record)
