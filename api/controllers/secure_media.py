"""Failed secure media, kept by classified customers or returned to a depot: retention records, their
events, documents and certificates, the sanitization policies, the compliance report and evidence packs."""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, MediaType, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException
from litestar.params import FromQuery, JSONBody, QueryParameter, RawBody
from litestar.response import Template
from litestar.status_codes import HTTP_201_CREATED, HTTP_415_UNSUPPORTED_MEDIA_TYPE

from api.idempotency import idempotent
from api.openapi import DocumentDownloadOperation, DocumentUploadOperation
from api.pagination import Page, PageRequest, page_of
from api.params import PathId
from api.query import query_choice
from api.schemas.secure_media import (
    DocumentOut,
    PolicyIn,
    PolicyOut,
    ReportOut,
    RetentionEventIn,
    RetentionOut,
)
from api.security import allow
from api.settings import Settings
from inventory import secure_media
from inventory.accounts import EVERYONE, STAFF, Principal, Role
from inventory.errors import InvalidRequest
from inventory.secure_media import (
    ACCEPTED_DOCUMENTS,
    REGISTER_COLUMNS,
    WHO_MAY,
    Certificate,
    Custody,
    EventType,
    RetentionState,
    certificate_of,
    evidence_pack,
    register_row,
)
from inventory.time_window import TimeBounds, check_reported_time
from presentation import instant

STATE_FILTER = "one of " + ", ".join(state.value for state in RetentionState)
CUSTODY_FILTER = "one of " + ", ".join(custody.value for custody in Custody)
UPLOAD_MEDIA_TYPES = frozenset({*ACCEPTED_DOCUMENTS, "application/octet-stream"})
"""What an upload may declare itself as; its real type is told by its content."""


def _who_records() -> str:
    """Which roles may record which event, by custody (`WHO_MAY`), in words."""
    parts = []
    for custody, by_event in WHO_MAY.items():
        kinds = "; ".join(
            f"{event.value}: {', '.join(role.value for role in Role if role.value in roles)}"
            for event, roles in by_event.items()
        )
        parts.append(f"**Who records which event ({custody.value} custody):** {kinds}.")
    text = " ".join(parts)
    everyone = [roles for by_event in WHO_MAY.values() for roles in by_event.values()]
    if readers := [role.value for role in Role if all(role.value not in roles for roles in everyone)]:
        text += f" Other roles ({', '.join(readers)}) read the records but record no event (403)."
    return text


def period_of(start: datetime | None, end: datetime | None) -> tuple[datetime | None, datetime | None]:
    """A period ``[from, to)`` as given, or `InvalidRequest` if it ends before it starts."""
    for name, moment in (("from", start), ("to", end)):
        if moment is not None and moment.tzinfo is None:
            raise InvalidRequest(f"{name} needs a time zone offset", field=name)
    if start is not None and end is not None and end <= start:
        raise InvalidRequest("to must be after from", field="to")
    return start, end


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
            "Failed data-bearing parts, oldest first: kept by classified customers (`custody` "
            "`customer`) or returned to a depot to be sanitized there (`depot`), with their state "
            "(retained, destruction recorded, verified, closed), whether destruction is overdue and "
            "their age. Filters: `state`, `custody`, `customer`, `overdue`, and age in days "
            "(`min_age_days`, `max_age_days`)."
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
        custody_name: Annotated[
            str | None, QueryParameter(name="custody", description=CUSTODY_FILTER)
        ] = None,
    ) -> Page[RetentionOut]:
        """Failed secure parts kept by customers, oldest first; customers see only their own.

        Filters: ``state``, ``customer``, ``overdue``, and age in days (``min_age_days``, ``max_age_days``).
        """
        state = query_choice(state_name, RetentionState, name="state")
        custody = query_choice(custody_name, Custody, name="custody")
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
            custody=None if custody is None else Custody(custody),
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

    @post(
        "/{record_id:int}/documents",
        operation_id="uploadRetentionDocument",
        summary="Upload a record's document",
        description=(
            "Uploads the signed certificate of sanitization (a PDF, PNG or JPEG file, at most "
            "`DOCUMENT_MAX_BYTES`) as the raw request body, its name in `filename`, sent as "
            "`application/pdf`, `image/png`, `image/jpeg` or `application/octet-stream` (else 415). Its "
            "type is told by its content, not by the name or `Content-Type` (not one of those three: 422 "
            "`document-rejected`); the "
            "service computes its SHA-256, stores it (a folder, or an S3-compatible bucket) and records a "
            "`document` event whose audit chain entry carries the hash. A destruction record that gives "
            "no `certificate_sha256` takes the hash of the latest upload. Who may: warehouse and "
            "compliance; also dispatchers and the customer itself for parts the customer keeps. Not on "
            "closed records (409)."
        ),
        status_code=HTTP_201_CREATED,
        operation_class=DocumentUploadOperation,
    )
    @idempotent(payload=lambda body: {"sha256": _sha256(body or b"")})
    async def upload_document(
        self,
        request: Request[Any, Any, Any],
        record_id: PathId,
        body: RawBody,
        principal: NamedDependency[Principal],
        now: NamedDependency[datetime],
        settings: NamedDependency[Settings],
        filename: Annotated[str, QueryParameter(min_length=1, max_length=200)] = "certificate",
    ) -> DocumentOut:
        """Upload the signed certificate (PDF, PNG or JPEG, typed by its content); the service hashes,
        stores and chains it."""
        media_type, _ = request.content_type
        if media_type not in UPLOAD_MEDIA_TYPES:
            raise HTTPException(
                status_code=HTTP_415_UNSUPPORTED_MEDIA_TYPE,
                detail=f"send the document with Content-Type one of {', '.join(sorted(UPLOAD_MEDIA_TYPES))}",
            )
        document = await secure_media.add_document(
            record_id,
            body,
            filename=filename,
            actor=principal.username,
            role=principal.role.value,
            now=now,
            viewer=principal.viewer,
            max_bytes=settings.document_max_bytes,
        )
        return DocumentOut.of(document)

    @get(
        "/{record_id:int}/documents/{document_id:int}",
        operation_id="openRetentionDocument",
        summary="Open a record's document",
        description=(
            "The uploaded document itself, with its content type, opened in the browser. Its bytes are "
            "checked against the SHA-256 recorded at upload first: a stored document that no longer has "
            "it is a 409 `document-altered`, never served. Changes nothing."
        ),
        media_type="application/octet-stream",
        operation_class=DocumentDownloadOperation,
    )
    async def open_document(
        self, record_id: PathId, document_id: PathId, principal: NamedDependency[Principal]
    ) -> Response[bytes]:
        """The uploaded document, checked against its recorded SHA-256."""
        opened = await secure_media.open_document(record_id, document_id, viewer=principal.viewer)
        return document_response(opened)

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


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def document_response(opened: secure_media.OpenedDocument) -> Response[bytes]:
    """A stored document as the API and the pages serve it: its own content type, shown inline, never
    sniffed as something else, and sandboxed (no script runs in it)."""
    name = opened.document.filename.encode("ascii", "replace").decode().replace('"', "")
    return Response(
        opened.content,
        media_type=opened.document.content_type,
        headers={
            "Content-Disposition": f'inline; filename="{name}"',
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox",
            "Cache-Control": "private, no-store",
        },
    )


def certificate_context(shown: Certificate) -> dict[str, Any]:
    """What ``certificate.html`` shows of a certificate."""
    destruction = shown.destruction or {}
    return {
        "record": shown.record,
        "destruction": shown.destruction,
        "performed_at": instant(destruction.get("performed_at")),
        "checkpoint": shown.checkpoint,
        "checkpoint_at": instant(shown.checkpoint.at if shown.checkpoint else None),
        "public_key": shown.public_key,
        "printed_at": shown.printed_at,
        "proof": shown.proof,
        "development_keys": shown.development_keys,
        "certificate_uploaded": bool(destruction)
        and destruction.get("certificate_sha256") in {d.sha256 for d in shown.record.documents},
    }


def certificate_html(request: Request[Any, Any, Any], shown: Certificate) -> str:
    """The certificate rendered as the page the service prints, in the reader's language."""
    template = request.app.template_engine.get_template("certificate.html")  # type: ignore[union-attr]
    return template.render(request=request, **certificate_context(shown))


def certificate_page(shown: Certificate, headers: dict[str, str] | None = None) -> Template:
    """A record's printable certificate (``api/templates/certificate.html``) as the API and the pages give
    it: in the reader's language (its ``Accept-Language``, or the language chosen on the pages), every
    time in the local time of the record's site."""
    return Template(
        template_name="certificate.html",
        context=certificate_context(shown),
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
        summary="Report on secure media",
        description=(
            "Totals by state, the overdue count, the ageing of undestroyed parts (0-7, 8-30, 31-90 and "
            "over 90 days) and every record with its events, documents and audit chain entries. Filters: "
            "`customer`, `state`, `custody` (`customer` or `depot`), and the period the records were "
            "opened in, `from` (included) and `to` (excluded), ISO 8601 with an offset. `Accept: text/csv` "
            "gives the records as a CSV file: every field, the latest destruction (every NIST SP 800-88 "
            "field and its policy), verification and closing, the documents and all events as JSON; times "
            "in ISO 8601 UTC and again in the local time of the record's site; `yes`/`no` booleans; no "
            "cell a spreadsheet would run as a formula. At most `REPORT_MAX_ROWS` records (more: 422, ask "
            "for a shorter period). Changes nothing."
        ),
        media_type=MediaType.JSON,
    )
    async def report(
        self,
        request: Request[Any, Any, Any],
        settings: NamedDependency[Settings],
        now: NamedDependency[datetime],
        customer: Annotated[str | None, QueryParameter(max_length=32)] = None,
        state_name: Annotated[str | None, QueryParameter(name="state", description=STATE_FILTER)] = None,
        custody_name: Annotated[
            str | None, QueryParameter(name="custody", description=CUSTODY_FILTER)
        ] = None,
        start: Annotated[datetime | None, QueryParameter(name="from")] = None,
        end: Annotated[datetime | None, QueryParameter(name="to")] = None,
    ) -> Response[Any]:
        """Totals by state, overdue count, ageing of undestroyed parts and every record with its events,
        documents and chain entries; ``Accept: text/csv`` gives the records as CSV."""
        state = query_choice(state_name, RetentionState, name="state")
        custody = query_choice(custody_name, Custody, name="custody")
        retained_from, retained_to = period_of(start, end)
        report = await secure_media.report(
            customer=customer,
            viewer=None,
            now=now,
            limit=settings.report_max_rows,
            whole=True,
            state=None if state is None else RetentionState(state),
            custody=None if custody is None else Custody(custody),
            retained_from=retained_from,
            retained_to=retained_to,
        )
        if "text/csv" in request.headers.get("accept", ""):
            return Response(
                _csv(report, now),
                media_type="text/csv; charset=utf-8",
                headers={"Content-Disposition": f'attachment; filename="secure-media-{now:%Y%m%d}.csv"'},
            )
        return Response(ReportOut.of(report).model_dump(mode="json"))

    @get(
        "/evidence-packs",
        operation_id="evidencePack",
        summary="Download an evidence pack",
        description=(
            "A zip an auditor checks offline: the register of the records opened in the period `from` "
            "(included) to `to` (excluded) of `customer` (every customer if not given); per record its "
            "JSON, its certificate as HTML and PDF, and its uploaded documents; the unbroken piece of the "
            "audit chain from the records' first entry to the signed checkpoint covering their last; the "
            "checkpoints and the public key; `manifest.json` (every file's SHA-256) signed with the audit "
            "key; and `verify_pack.py`, a documented verifier needing only Python and `cryptography`. "
            "At most `EVIDENCE_PACK_MAX_RECORDS` records (more: 422, ask for a shorter period). "
            "Sign a checkpoint first (`POST /api/v1/audit/checkpoints`) for the newest entries to be "
            "covered. Changes nothing."
        ),
        media_type="application/zip",
    )
    async def evidence(
        self,
        request: Request[Any, Any, Any],
        settings: NamedDependency[Settings],
        now: NamedDependency[datetime],
        customer: Annotated[str | None, QueryParameter(max_length=32)] = None,
        start: Annotated[datetime | None, QueryParameter(name="from")] = None,
        end: Annotated[datetime | None, QueryParameter(name="to")] = None,
    ) -> Response[bytes]:
        """The evidence pack of a customer's records opened in a period, with its offline verifier."""
        retained_from, retained_to = period_of(start, end)
        pack = await evidence_pack(
            customer=customer,
            retained_from=retained_from,
            retained_to=retained_to,
            now=now,
            render_html=lambda shown: certificate_html(request, shown),
            max_records=settings.evidence_pack_max_records,
            max_entries=settings.evidence_pack_max_entries,
        )
        return Response(
            pack.content,
            media_type="application/zip",
            headers={"Content-Disposition": f'attachment; filename="{pack.filename}"'},
        )


class SanitizationPolicyController(Controller):
    path = "/compliance/sanitization-policies"
    tags = ["compliance"]

    @get(
        operation_id="listSanitizationPolicies",
        summary="List sanitization policies",
        description=(
            "Which NIST SP 800-88 methods and techniques each classification level and media type allows "
            "(`*`: every media type of the level without a policy of its own). A destruction record "
            "outside its policy is refused (422 `sanitization-policy-violated`, naming the policy); media "
            "without a policy only need a technique of their method. Changes nothing."
        ),
        guards=[allow(*STAFF)],
    )
    async def list_policies(self) -> list[PolicyOut]:
        """Every sanitization policy, by classification level and media type."""
        return [PolicyOut.of(view) for view in await secure_media.list_policies()]

    @post(
        operation_id="setSanitizationPolicy",
        summary="Set a sanitization policy",
        description=(
            "Creates or replaces the policy of one classification level and media type; the change is an "
            "entry in the audit chain. Destruction records already made keep the policy they were checked "
            "against (it is part of their event)."
        ),
        guards=[allow(Role.COMPLIANCE, Role.ADMIN)],
        status_code=200,
    )
    @idempotent
    async def set_policy(
        self, data: JSONBody[PolicyIn], principal: NamedDependency[Principal], now: NamedDependency[datetime]
    ) -> PolicyOut:
        """Create or replace the policy of one classification level and media type."""
        view = await secure_media.set_policy(
            classification_level=data.classification_level,
            media_type=data.media_type,
            methods=[method.value for method in data.methods],
            techniques=[technique.value for technique in data.techniques],
            note=data.note,
            actor=principal.username,
            now=now,
        )
        return PolicyOut.of(view)


def _csv(report: secure_media.Report, now: datetime) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(REGISTER_COLUMNS)
    writer.writerows(register_row(item, now) for item in report.items)
    return out.getvalue()
