"""Secure media kept by classified customers: retention records, their events, certificates and the
compliance report."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, MediaType, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody, QueryParameter
from litestar.response import Template

from api.idempotency import idempotent
from api.pagination import Page, PageRequest, page_of
from api.params import PathId
from api.query import query_choice
from api.schemas.secure_media import ReportOut, RetentionEventIn, RetentionOut
from api.security import allow
from api.settings import Settings
from inventory import secure_media
from inventory.accounts import EVERYONE, Principal, Role
from inventory.secure_media import (
    WHO_MAY,
    Certificate,
    EventType,
    RetentionState,
    age_bucket,
    certificate_of,
)
from inventory.time_window import TimeBounds, check_reported_time
from presentation import instant

CSV_COLUMNS = (
    "id",
    "customer",
    "customer_name",
    "site",
    "asset_serial",
    "part_number",
    "failed_serial",
    "media_type",
    "classification_level",
    "custodian",
    "state",
    "overdue",
    "age_days",
    "age_bucket",
    "created_at",
    "destruction_due",
    "ticket",
)


STATE_FILTER = "one of " + ", ".join(state.value for state in RetentionState)


def _who_records() -> str:
    """Which roles may record which event (`WHO_MAY`), in words."""
    kinds = "; ".join(
        f"{event.value}: {', '.join(role.value for role in Role if role.value in roles)}"
        for event, roles in WHO_MAY.items()
    )
    text = f"**Who records which event:** {kinds}."
    if readers := [role.value for role in Role if all(role.value not in roles for roles in WHO_MAY.values())]:
        text += f" Other roles ({', '.join(readers)}) read the records but record no event (403)."
    return text


RECORD_EVENT = (
    "Adds one event to a record: custody (handed over, stored, moved, signed for), destruction (the fields "
    "of the NIST SP 800-88 certificate of sanitization), verification of the destruction record (accepted "
    "or rejected), or closing the record. Events are never edited: a correction is a new event that names "
    "the one it `corrects`. Each event is also an entry in the audit chain.\n\n" + _who_records()
)
"""The description of recording an event, with the roles that may record each kind (`WHO_MAY`)."""


class RetentionController(Controller):
    path = "/secure-media/retentions"
    tags = ["secure media"]
    guards = [allow(*EVERYONE)]

    @get(
        operation_id="listRetentions",
        summary="List retention records",
        description=(
            "Failed data-bearing parts kept by classified customers, oldest first, with their state "
            "(retained, destruction recorded, verified, closed), whether destruction is overdue and "
            "their age. Filters: `state`, `customer`, `overdue`, and age in days (`min_age_days`, "
            "`max_age_days`)."
        ),
    )
    async def list_retentions(
        self,
        page: NamedDependency[PageRequest],
        principal: NamedDependency[Principal],
        now: NamedDependency[datetime],
        state_name: Annotated[str | None, QueryParameter(name="state", description=STATE_FILTER)] = None,
        customer: FromQuery[str | None] = None,
        overdue: FromQuery[bool | None] = None,
        min_age_days: Annotated[int | None, QueryParameter(ge=0, le=36_500)] = None,
        max_age_days: Annotated[int | None, QueryParameter(ge=0, le=36_500)] = None,
    ) -> Page[RetentionOut]:
        """Failed secure parts kept by customers, oldest first; customers see only their own.

        Filters: ``state``, ``customer``, ``overdue``, and age in days (``min_age_days``, ``max_age_days``).
        """
        state = query_choice(state_name, RetentionState, name="state")
        rows = await secure_media.list_records(
            state=None if state is None else RetentionState(state),
            customer=customer,
            overdue=overdue,
            viewer=principal.viewer,
            now=now,
            limit=page.fetch,
            offset=page.offset,
            min_age_days=min_age_days,
            max_age_days=max_age_days,
        )
        return page_of([RetentionOut.of(row) for row in rows], page)

    @get(
        "/{record_id:int}",
        operation_id="getRetention",
        summary="Get a retention record",
        description=(
            "One record with its custody, destruction and verification events and the audit chain "
            "entries that recorded them."
        ),
    )
    async def get_retention(
        self, record_id: PathId, principal: NamedDependency[Principal], now: NamedDependency[datetime]
    ) -> RetentionOut:
        """One record with its custody, destruction and verification events and their audit chain entries."""
        return RetentionOut.of(await secure_media.get_record(record_id, viewer=principal.viewer, now=now))

    @post(
        "/{record_id:int}/events",
        operation_id="recordRetentionEvent",
        summary="Record a retention event",
        description=RECORD_EVENT,
    )
    @idempotent
    async def record_event(
        self,
        record_id: PathId,
        data: JSONBody[RetentionEventIn],
        principal: NamedDependency[Principal],
        now: NamedDependency[datetime],
        time_bounds: NamedDependency[TimeBounds],
    ) -> RetentionOut:
        """Custody (warehouse, dispatcher), destruction (also the customer, for its own parts),
        verification and close (compliance only). Nothing is ever edited: corrections are new events."""
        body = data.root
        for field in ("at", "performed_at"):
            if (value := getattr(body, field, None)) is not None:
                check_reported_time(field, value, now=now, bounds=time_bounds)
        view = await secure_media.record_event(
            record_id,
            EventType(body.type),
            body.model_dump(mode="python", exclude={"type"}, exclude_none=True),
            actor=principal.username,
            role=principal.role.value,
            now=now,
            viewer=principal.viewer,
        )
        return RetentionOut.of(view)

    @get(
        "/{record_id:int}/certificate",
        operation_id="retentionCertificate",
        summary="Print a destruction certificate",
        description=(
            "A printable HTML certificate of the record: every field, the NIST SP 800-88 destruction "
            "fields, the audit chain entries that prove them and the last signed checkpoint with its "
            "public key; it says prominently where the record does not match its entries, and whether "
            "the audit keys are the development ones. In the language of `Accept-Language` (English or "
            "Simplified Chinese), every time in the local time of the record's site. Changes nothing."
        ),
        media_type=MediaType.HTML,
    )
    async def certificate(
        self, record_id: PathId, principal: NamedDependency[Principal], now: NamedDependency[datetime]
    ) -> Template:
        """A printable certificate: every field of the record and the audit chain entries that prove it,
        whether the record matches those entries (and, prominently, where it does not), and whether the
        audit keys are the development ones."""
        return certificate_page(await certificate_of(record_id, viewer=principal.viewer, now=now))


def certificate_page(shown: Certificate, headers: dict[str, str] | None = None) -> Template:
    """A record's printable certificate (``api/templates/certificate.html``) as the API and the pages give
    it: in the reader's language (its ``Accept-Language``, or the language chosen on the pages), every
    time in the local time of the record's site."""
    destruction = shown.destruction or {}
    return Template(
        template_name="certificate.html",
        context={
            "record": shown.record,
            "destruction": shown.destruction,
            "performed_at": instant(destruction.get("performed_at")),
            "checkpoint": shown.checkpoint,
            "checkpoint_at": instant(shown.checkpoint.at if shown.checkpoint else None),
            "public_key": shown.public_key,
            "printed_at": shown.printed_at,
            "proof": shown.proof,
            "development_keys": shown.development_keys,
        },
        media_type=MediaType.HTML,
        headers=headers,
    )


class ComplianceController(Controller):
    path = "/compliance"
    tags = ["compliance"]
    guards = [allow(Role.COMPLIANCE, Role.ADMIN)]

    @get(
        "/secure-media/report",
        operation_id="secureMediaReport",
        summary="Report on retained secure media",
        description=(
            "Totals by state, the overdue count, the ageing of undestroyed parts (0-7, 8-30, 31-90 and "
            "over 90 days) and every record, of one `customer` if given. `Accept: text/csv` gives the "
            "records as a CSV file. Changes nothing."
        ),
        media_type=MediaType.JSON,
    )
    async def report(
        self,
        request: Request[Any, Any, Any],
        settings: NamedDependency[Settings],
        now: NamedDependency[datetime],
        customer: FromQuery[str | None] = None,
    ) -> Response[Any]:
        """Totals by state, overdue count, ageing of undestroyed parts (0-7, 8-30, 31-90, over 90 days)
        and every record; ``Accept: text/csv`` gives the records as CSV."""
        report = await secure_media.report(
            customer=customer, viewer=None, now=now, limit=settings.report_max_rows
        )
        if "text/csv" in request.headers.get("accept", ""):
            return Response(
                _csv(report, now),
                media_type="text/csv; charset=utf-8",
                headers={"Content-Disposition": f'attachment; filename="secure-media-{now:%Y%m%d}.csv"'},
            )
        return Response(ReportOut.of(report).model_dump(mode="json"))


def _csv(report: secure_media.Report, now: datetime) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for item in report.items:
        row = {name: getattr(item, name, None) for name in CSV_COLUMNS}
        row["age_bucket"] = age_bucket(item.created_at, now)
        writer.writerow(["" if row[name] is None else row[name] for name in CSV_COLUMNS])
    return out.getvalue()
