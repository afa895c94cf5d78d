"""Sanitization on the compliance screens: the policy table (``/compliance/policies``: which methods and
techniques each classification level and media type allows; officers change it), the documents of a
record (the signed certificate uploaded on the record's page, opened again checked against its hash),
and the evidence pack download of the register.

Handlers are thin: they call the same services as the API (`inventory.secure_media`), and the policy form
is checked by the API's own request model (`api.schemas.secure_media.PolicyIn`).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.status_codes import HTTP_422_UNPROCESSABLE_ENTITY
from pydantic import ValidationError

from api.controllers.secure_media import certificate_html, document_response
from api.idempotency import PageAnswer, idempotent_page
from api.params import PathId
from api.schemas.secure_media import PolicyIn
from api.security import allow
from api.settings import Settings
from api.web.locale import presenter_of
from api.web.render import render_page
from inventory import secure_media
from inventory.accounts import Principal, Role
from inventory.errors import InvalidRequest
from inventory.secure_media import TECHNIQUES_BY_METHOD, SanitizationMethod, evidence_pack
from presentation import N_

OFFICERS = (Role.COMPLIANCE, Role.ADMIN)
POLICY_READERS = (*OFFICERS, Role.WAREHOUSE, Role.DISPATCHER)
"""Who reads the policy table: the officers who set it, and the staff who sanitize by it."""
DOCUMENT_HOLDERS = (Role.WAREHOUSE, Role.DISPATCHER, Role.COMPLIANCE)
"""Who may upload a record's document on these screens (the service decides per record's custody)."""
DOCUMENT_READERS = (*OFFICERS, Role.WAREHOUSE, Role.DISPATCHER)
PERIOD_ZONE = "Asia/Shanghai"
"""The evidence pack's period is entered in China Standard Time, the time of every site of the service."""

# --- the policy table ------------------------------------------------------------------------------


@get("/compliance/policies", name="compliance-policies", guards=[allow(*POLICY_READERS)])
async def policies(request: Request[Any, Any, Any], principal: NamedDependency[Principal]) -> Any:
    """Every sanitization policy; officers also see the form that sets one."""
    return await _render_policies(request, principal)


async def _render_policies(
    request: Request[Any, Any, Any],
    principal: Principal,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    done: bool = False,
) -> Any:
    context = {
        "policies": await secure_media.list_policies(),
        "may_set": principal.role in OFFICERS,
        "methods": [
            (method.value, sorted(technique.value for technique in TECHNIQUES_BY_METHOD[method]))
            for method in SanitizationMethod
        ],
        "levels": ["", "restricted", "confidential", "secret", "top secret"],
        "values": values or {},
        "errors": errors or {},
        "done": done,
    }
    return render_page(request, "pages/sanitization/policies.html", context, status_code=status_code)


@get("/compliance/policies/saved", name="compliance-policies-saved", guards=[allow(*POLICY_READERS)])
async def policies_saved(request: Request[Any, Any, Any], principal: NamedDependency[Principal]) -> Any:
    """The policy table after a change."""
    return await _render_policies(request, principal, done=True)


@post("/compliance/policies/changes", name="compliance-policy-set", guards=[allow(*OFFICERS)])
async def policy_submit(
    request: Request[Any, Any, Any], principal: NamedDependency[Principal], now: NamedDependency[datetime]
) -> Any:
    """Create or replace the policy of one classification level and media type (officers)."""
    form = await request.form()
    values = {
        "classification_level": form.get("classification_level") or "",
        "media_type": (form.get("media_type") or "").strip(),
        "methods": form.getall("methods"),
        "techniques": form.getall("techniques"),
        "note": form.get("note") or "",
    }
    try:
        policy = PolicyIn.model_validate(values, strict=False)
        return await _policy_saved(
            request=request, data=policy, principal=principal, now=now, idempotency_key=None
        )
    except ValidationError as exc:
        errors = {
            str(error["loc"][0]): presenter_of(request).gettext(N_("Not valid")) for error in exc.errors()
        }
    except InvalidRequest as exc:
        errors = {str(exc.details.get("field", "form")): exc.message}
    return await _render_policies(
        request, principal, values=values, errors=errors, status_code=HTTP_422_UNPROCESSABLE_ENTITY
    )


@idempotent_page
async def _policy_saved(
    request: Request[Any, Any, Any], data: PolicyIn, principal: Principal, now: datetime
) -> PageAnswer:
    await secure_media.set_policy(
        classification_level=data.classification_level,
        media_type=data.media_type,
        methods=[method.value for method in data.methods],
        techniques=[technique.value for technique in data.techniques],
        note=data.note,
        actor=principal.username,
        now=now,
    )
    return PageAnswer(location="/compliance/policies/saved")


# --- documents -------------------------------------------------------------------------------------


@post(
    "/compliance/retentions/{record_id:int}/documents",
    name="compliance-document-upload",
    guards=[allow(*DOCUMENT_HOLDERS)],
)
async def document_submit(
    request: Request[Any, Any, Any],
    record_id: PathId,
    principal: NamedDependency[Principal],
    now: NamedDependency[datetime],
    settings: NamedDependency[Settings],
) -> Any:
    """Upload the signed certificate (a PDF or a photo of it) to the record."""
    return await _document_saved(
        request=request,
        record_id=record_id,
        principal=principal,
        now=now,
        settings=settings,
        idempotency_key=None,
    )


@idempotent_page
async def _document_saved(
    request: Request[Any, Any, Any], record_id: int, principal: Principal, now: datetime, settings: Settings
) -> PageAnswer:
    form = await request.form()
    upload = form.get("document")
    if not isinstance(upload, UploadFile):
        raise InvalidRequest("choose the document to upload", field="document")
    content = await upload.read(settings.document_max_bytes + 1)
    await secure_media.add_document(
        record_id,
        content,
        filename=upload.filename or "",
        actor=principal.username,
        role=principal.role.value,
        now=now,
        viewer=None,
        max_bytes=settings.document_max_bytes,
    )
    return PageAnswer(location=f"/compliance/retentions/{record_id}?done=document")


@get(
    "/compliance/retentions/{record_id:int}/documents/{document_id:int}",
    name="compliance-document",
    guards=[allow(*DOCUMENT_READERS)],
)
async def document(record_id: PathId, document_id: PathId) -> Response[bytes]:
    """The uploaded document itself, served only while it has the hash recorded at upload."""
    return document_response(await secure_media.open_document(record_id, document_id, viewer=None))


# --- evidence packs --------------------------------------------------------------------------------


@get("/compliance/evidence-packs.zip", name="compliance-evidence-pack", guards=[allow(*OFFICERS)])
async def evidence(
    request: Request[Any, Any, Any],
    now: NamedDependency[datetime],
    settings: NamedDependency[Settings],
    customer: Annotated[str | None, QueryParameter(max_length=32)] = None,
    start: Annotated[date | None, QueryParameter(name="from")] = None,
    end: Annotated[date | None, QueryParameter(name="to")] = None,
) -> Response[bytes]:
    """The evidence pack of the records opened from the day ``from`` to the day ``to`` (both included,
    China Standard Time), as the API's ``GET /api/v1/compliance/evidence-packs`` gives it."""
    zone = ZoneInfo(PERIOD_ZONE)
    retained_from = None if start is None else datetime.combine(start, time(), zone)
    retained_to = None if end is None else datetime.combine(end, time(), zone) + timedelta(days=1)
    if retained_from is not None and retained_to is not None and retained_to <= retained_from:
        raise InvalidRequest("the period ends before it starts", field="to")
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


ROUTES = [policies, policies_saved, policy_submit, document_submit, document, evidence]
