"""The customer portal: a customer company's own open tickets with their next milestone and delivery, its
assets with their warranty, reporting a fault, following a ticket, asking for a replacement part after
the entitlement check, and, for classified customers, the failed data-bearing parts they keep with their
certificates.

Customers only. Staff who open these pages get the 403 page rather than a redirect to their home: the
same deny-by-default answer as every other page and the API (staff follow customers' tickets on the
staff screens, and their navigation never links here). Every read and change passes
``principal.viewer`` to the same services as the API (`inventory.tickets`, `inventory.customers`,
`inventory.secure_media`), which answer NotFound for another company's ticket, asset or record: the 404
page.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from litestar import MediaType, Request, get, post
from litestar.di import NamedDependency
from litestar.params import PathParameter, QueryParameter
from litestar.response import Template
from litestar.status_codes import HTTP_422_UNPROCESSABLE_ENTITY
from pydantic import BaseModel, ConfigDict, Field

from api.controllers.replacements import hold_terms
from api.controllers.secure_media import certificate_page
from api.idempotency import PageAnswer, idempotent_page
from api.pagination import PageRequest, page_of
from api.params import PathId
from api.schemas.base import MAX_ID
from api.security import allow
from api.settings import Settings
from api.web.forms import Form, read_form
from api.web.render import render_page
from inventory import customers, secure_media, tickets
from inventory.accounts import Principal, Role
from inventory.customers import get_asset, list_assets, sites_by_code
from inventory.errors import NotPermitted
from inventory.tickets import Milestone, Severity
from presentation import N_, VOCABULARY

PORTAL = (Role.CUSTOMER,)
REQUESTS_SHOWN = 50
"""A ticket's page shows up to this many of its replacement requests, oldest first."""
ASSET_CHOICES = 300
"""Up to this many assets, the fault form lists them to choose from; a company with more types the
serial."""

VOCABULARY.define(
    "portal-severity",
    {"critical": N_("Critical"), "major": N_("Major"), "minor": N_("Minor")},
)
VOCABULARY.define(
    "portal-severity-meaning",
    {
        "critical": N_("Big impact on your core business, or a serious loss"),
        "major": N_("A slight impact on the business, and no loss"),
        "minor": N_("No impact on the business"),
    },
)
VOCABULARY.define(
    "portal-tier",
    {"standard": N_("Standard"), "premium": N_("Premium"), "platinum": N_("Platinum")},
)
VOCABULARY.define(
    "portal-delivery",
    {"4h": N_("Parts within 4 hours"), "nbd": N_("Parts the next business day")},
)
VOCABULARY.define(
    "portal-support-hours",
    {
        "7x24": N_("Support around the clock, every day"),
        "business": N_("Support 9:00 to 18:00 on working days"),
    },
)
VOCABULARY.define(
    "portal-way",
    {
        "van": N_("Delivered to your site by our courier van"),
        "engineer": N_("Your engineer brings it to the site"),
        "collection": N_("You collect it at our depot"),
        "none": N_("We are arranging how it reaches you"),
    },
)
VOCABULARY.define(
    "portal-ticket-status",
    {"open": N_("Open"), "closed": N_("Closed")},
)
VOCABULARY.define(
    "portal-milestone",
    {
        Milestone.RESPONSE: N_("Response from the service desk"),
        Milestone.ON_SITE: N_("Engineer on site"),
        Milestone.RESTORE: N_("Service restored"),
        Milestone.REPLACEMENT: N_("Replacement or loaner"),
    },
)
VOCABULARY.define(
    "portal-clock",
    {
        "met": N_("Met on time"),
        "met_late": N_("Met late"),
        "overdue": N_("Overdue"),
        "paused": N_("Paused while we wait for you"),
        "pending": N_("Pending"),
    },
)
VOCABULARY.define(
    "portal-ticket-event",
    {
        "opened": N_("Fault reported"),
        "responded": N_("The service desk responded"),
        "engineer_on_site": N_("Engineer on site"),
        "restored": N_("Service restored"),
        "closed": N_("Ticket closed"),
        "waiting_customer": N_("Waiting for you"),
        "resumed": N_("Work resumed"),
    },
)
VOCABULARY.define(
    "portal-shipment",
    {
        "active": N_("Reserved for you at the depot"),
        "issued": N_("Handed out for your ticket"),
        "released": N_("Reservation released"),
        "expired": N_("Reservation expired"),
        "preempted": N_("Taken for a more urgent ticket"),
    },
)
VOCABULARY.define(
    "portal-coverage",
    {
        "in_warranty": N_("In warranty"),
        "post_warranty_parts_only": N_("After the warranty, years 1 to 3: repair labour free, parts at cost"),
        "post_warranty_costs_only": N_(
            "After the warranty, years 4 to 10: travel, lodging and parts at cost, no repair fee"
        ),
        "expired": N_("Coverage ended"),
    },
)
VOCABULARY.define(
    "portal-charge",
    {"free": N_("Free of charge"), "at_cost": N_("Charged at cost")},
)
VOCABULARY.define(
    "portal-refusal",
    {
        "ticket_closed": N_("The ticket is closed."),
        "no_asset": N_("The ticket names no asset: replacement parts are given for an asset under coverage."),
        "coverage_ended": N_("The asset's coverage has ended."),
    },
)
VOCABULARY.define(
    "portal-entitlement",
    {"granted": N_("Granted"), "refused": N_("Refused")},
)
VOCABULARY.define(
    "portal-request-state",
    {
        "requested": N_("Requested"),
        "approved": N_("Approved: the part is reserved for you"),
        "pending_dispatcher": N_("With our dispatcher: the promised time cannot be kept from stock"),
        "refused": N_("Refused"),
        "fulfilled": N_("Fulfilled: the part was handed out"),
        "withdrawn": N_("Withdrawn"),
        "charge_accepted": N_("You accepted the charge"),
    },
)
VOCABULARY.define(
    "portal-availability",
    {
        "four_hours": N_("Available for 4-hour delivery"),
        "next_business_day": N_("Next business day"),
        "not_available": N_("Not available"),
    },
)
VOCABULARY.define(
    "portal-part-step",
    {
        "reserved": N_("Reserved for you at the depot"),
        "way_van": N_("Delivery by van planned"),
        "way_engineer": N_("The engineer will bring it"),
        "way_collection": N_("Ready for you to collect"),
        "picked": N_("Picked up at the depot"),
        "on_the_van": N_("On the van to your site"),
        "delivered": N_("Handed out for your ticket"),
        "released": N_("Reservation released"),
        "expired": N_("Reservation expired"),
        "preempted": N_("Taken for a more urgent ticket"),
    },
)
VOCABULARY.define(
    "portal-request-refusal",
    {
        "ticket_closed": N_("The ticket is closed."),
        "no_asset": N_("The ticket names no asset: replacement parts are given for an asset under coverage."),
        "coverage_ended": N_("The asset's coverage has ended."),
        "dispatcher": N_("Our dispatcher refused it."),
    },
)
VOCABULARY.define(
    "portal-retention-state",
    {
        "retained": N_("Kept by you, not yet destroyed"),
        "destruction_recorded": N_("Destruction recorded, awaiting verification"),
        "verified": N_("Destruction verified"),
        "closed": N_("Closed: destruction verified"),
    },
)
VOCABULARY.define(
    "problem",
    {
        "not-entitled": N_("Your contract or the asset's coverage does not include this"),
        "no-feasible-source": N_("No depot can deliver this part within the promised time"),
        "part-does-not-fit": N_("This part does not fit the asset, or more were asked for than it holds"),
    },
)


class TicketForm(BaseModel):
    """A fault report: the asset, the severity and what is wrong."""

    model_config = ConfigDict(str_strip_whitespace=True)

    asset_serial: str = Field(min_length=1, max_length=100)
    severity: Severity
    summary: str = Field(min_length=1, max_length=1000)


class ReplacementForm(BaseModel):
    """A request for a replacement part for the ticket: one of the parts that fit its asset."""

    model_config = ConfigDict(str_strip_whitespace=True)

    part_number: str = Field(min_length=1, max_length=64)
    quantity: int = Field(default=1, ge=1, le=100)
    reason: str = Field(default="", max_length=500)


class NoteForm(BaseModel):
    """A note on the ticket (the customer's notes are always visible to it and to the service desk)."""

    model_config = ConfigDict(str_strip_whitespace=True)

    body: str = Field(min_length=1, max_length=2000)


def _viewer(principal: Principal) -> str:
    """The customer company of the signed-in customer (the guard admits customers only)."""
    if principal.viewer is None:
        raise NotPermitted("the portal is for customers")
    return principal.viewer


@get("/portal", name="portal", guards=[allow(*PORTAL)])
async def portal_home(
    request: Request[Any, Any, Any],
    principal: NamedDependency[Principal],
    now: NamedDependency[datetime],
    page: NamedDependency[PageRequest],
    asset_offset: Annotated[int, QueryParameter(ge=0, le=10_000_000)] = 0,
) -> Any:
    """The company's open tickets, nearest milestone first, and its assets with their warranty; htmx
    refreshes the tickets (their countdowns) alone."""
    viewer = _viewer(principal)
    customer = await customers.get_customer(viewer, viewer=viewer)
    open_tickets = await tickets.list_progress(
        viewer=viewer, status="open", asset=None, limit=page.fetch, offset=page.offset, now=now
    )
    assets_request = PageRequest(limit=page.limit, offset=asset_offset)
    assets = await tickets.list_covered_assets(
        customer=None, viewer=viewer, limit=assets_request.fetch, offset=asset_offset, now=now
    )
    context = {
        "customer": customer,
        "tickets": page_of(open_tickets, page),
        "assets": page_of(assets, assets_request),
        "asset_sites": await sites_by_code((item.asset.customer, item.asset.site) for item in assets),
    }
    return render_page(request, "pages/portal/home.html", context, block="tickets")


@get("/portal/tickets/new", name="portal-new-ticket", guards=[allow(*PORTAL)])
async def new_ticket(
    request: Request[Any, Any, Any],
    principal: NamedDependency[Principal],
    asset: Annotated[str | None, QueryParameter(max_length=100)] = None,
) -> Any:
    """The fault form: the asset (one of the company's), the severity with its meaning, the summary."""
    values = {"asset_serial": asset or "", "severity": "", "summary": ""}
    return render_page(request, "pages/portal/new_ticket.html", await _ticket_form(principal, values))


@post("/portal/tickets", name="portal-open-ticket", guards=[allow(*PORTAL)])
async def open_ticket(
    request: Request[Any, Any, Any], principal: NamedDependency[Principal], now: NamedDependency[datetime]
) -> Any:
    """Open the ticket through the ticket service, at the asset's site; then its page."""
    form = await read_form(request, TicketForm)
    if form.data is None:
        context = await _ticket_form(principal, form.values, form.errors)
        return render_page(
            request,
            "pages/portal/new_ticket.html",
            context,
            block="ticket_form",
            status_code=HTTP_422_UNPROCESSABLE_ENTITY,
        )
    return await _open(request=request, principal=principal, now=now, data=form.data, idempotency_key=None)


@idempotent_page
async def _open(
    request: Request[Any, Any, Any], principal: Principal, now: datetime, data: TicketForm
) -> PageAnswer:
    viewer = _viewer(principal)
    asset = await get_asset(data.asset_serial, viewer=viewer)
    record = await tickets.open_ticket(
        customer=None,
        site=asset.site,
        asset_serial=asset.serial,
        severity=data.severity,
        summary=data.summary,
        reported_at=None,
        user_caused=False,
        actor=principal.username,
        now=now,
        viewer=viewer,
    )
    return PageAnswer(location=f"/portal/tickets/{record.id}?opened=1")


async def _ticket_form(
    principal: Principal, values: dict[str, Any], errors: dict[str, str] | None = None
) -> dict[str, Any]:
    viewer = _viewer(principal)
    choices = await list_assets(customer=None, viewer=viewer, limit=ASSET_CHOICES + 1, offset=0)
    listed = len(choices) <= ASSET_CHOICES
    sites = await sites_by_code((asset.customer, asset.site) for asset in choices) if listed else {}
    return {
        "values": values,
        "errors": errors or {},
        "assets": choices if listed else None,
        "sites": sites,
        "severities": list(Severity),
    }


@get("/portal/tickets/{ticket_id:int}", name="portal-ticket", guards=[allow(*PORTAL)])
async def portal_ticket(
    request: Request[Any, Any, Any],
    ticket_id: PathId,
    principal: NamedDependency[Principal],
    now: NamedDependency[datetime],
    shown_request: Annotated[int | None, QueryParameter(name="request", ge=1, le=MAX_ID)] = None,
    opened: Annotated[bool, QueryParameter()] = False,
) -> Any:
    """One of the company's tickets: its milestones, its delivery and the parts on their way, the
    entitlement check, the parts that fit its asset and its replacement requests (accept a charge,
    withdraw), and its timeline with notes, in the site's local time."""
    context = await _ticket_context(ticket_id, principal, now)
    context |= {"shown_request": shown_request, "opened": opened}
    return render_page(request, "pages/portal/ticket.html", context, block="progress")


@post(
    "/portal/tickets/{ticket_id:int}/replacement-requests", name="portal-replacement", guards=[allow(*PORTAL)]
)
async def request_replacement(
    request: Request[Any, Any, Any],
    ticket_id: PathId,
    principal: NamedDependency[Principal],
    now: NamedDependency[datetime],
    settings: NamedDependency[Settings],
) -> Any:
    """Ask for one of the parts that fit the ticket's asset: the replacement request service as the API's
    (`POST /api/v1/tickets/{id}/replacement-requests`), which checks the fit and the entitlement and
    approves it with a reservation, waits for the acceptance of a charge, or passes it to the
    dispatcher. Refusals are its domain errors, in words."""
    form = await read_form(request, ReplacementForm)
    if form.data is None:
        context = await _ticket_context(ticket_id, principal, now, form)
        return render_page(
            request,
            "pages/portal/ticket.html",
            context,
            block="replacement_form",
            status_code=HTTP_422_UNPROCESSABLE_ENTITY,
        )
    return await _request(
        request=request,
        principal=principal,
        now=now,
        data=form.data,
        ticket_id=ticket_id,
        settings=settings,
        idempotency_key=None,
    )


@idempotent_page
async def _request(
    request: Request[Any, Any, Any],
    principal: Principal,
    now: datetime,
    data: ReplacementForm,
    ticket_id: int,
    settings: Settings,
) -> PageAnswer:
    record = await tickets.request_replacement(
        ticket_id,
        tickets.ReplacementAsk(data.part_number, data.quantity, data.reason),
        actor=principal.username,
        viewer=_viewer(principal),
        now=now,
        hold=hold_terms(settings),
    )
    return PageAnswer(location=f"/portal/tickets/{ticket_id}?request={record.id}#replacement")


@post(
    "/portal/replacement-requests/{request_id:int}/accept",
    name="portal-accept-charge",
    guards=[allow(*PORTAL)],
)
@idempotent_page
async def accept_charge(
    request: Request[Any, Any, Any],
    request_id: PathId,
    principal: NamedDependency[Principal],
    now: NamedDependency[datetime],
    settings: NamedDependency[Settings],
) -> PageAnswer:
    """Accept the charge of a part at cost: the request is then approved, or passed to the dispatcher."""
    record = await tickets.accept_charge(
        request_id, actor=principal.username, viewer=_viewer(principal), now=now, hold=hold_terms(settings)
    )
    return PageAnswer(location=f"/portal/tickets/{record.ticket}?request={record.id}#replacement")


@post(
    "/portal/replacement-requests/{request_id:int}/withdraw",
    name="portal-withdraw-request",
    guards=[allow(*PORTAL)],
)
@idempotent_page
async def withdraw_request(
    request: Request[Any, Any, Any],
    request_id: PathId,
    principal: NamedDependency[Principal],
    now: NamedDependency[datetime],
) -> PageAnswer:
    """Withdraw a request before its part is handed out; a part reserved for it is released."""
    record = await tickets.withdraw_request(
        request_id, actor=principal.username, viewer=_viewer(principal), now=now
    )
    return PageAnswer(location=f"/portal/tickets/{record.ticket}?request={record.id}#replacement")


@post("/portal/tickets/{ticket_id:int}/notes", name="portal-note", guards=[allow(*PORTAL)])
async def add_note(
    request: Request[Any, Any, Any],
    ticket_id: PathId,
    principal: NamedDependency[Principal],
    now: NamedDependency[datetime],
) -> Any:
    """Add a note to the ticket; it shows on the timeline, for the service desk too."""
    form = await read_form(request, NoteForm)
    if form.data is None:
        context = await _ticket_context(ticket_id, principal, now, note_form=form)
        return render_page(
            request,
            "pages/portal/ticket.html",
            context,
            block="note_form",
            status_code=HTTP_422_UNPROCESSABLE_ENTITY,
        )
    return await _note(
        request=request,
        principal=principal,
        now=now,
        data=form.data,
        ticket_id=ticket_id,
        idempotency_key=None,
    )


@idempotent_page
async def _note(
    request: Request[Any, Any, Any], principal: Principal, now: datetime, data: NoteForm, ticket_id: int
) -> PageAnswer:
    await tickets.add_note(
        ticket_id,
        data.body,
        customer_visible=True,
        actor=principal.username,
        role=principal.role.value,
        viewer=_viewer(principal),
        now=now,
    )
    return PageAnswer(location=f"/portal/tickets/{ticket_id}#history")


async def _ticket_context(
    ticket_id: int,
    principal: Principal,
    now: datetime,
    form: Form[ReplacementForm] | None = None,
    note_form: Form[NoteForm] | None = None,
) -> dict[str, Any]:
    viewer = _viewer(principal)
    progress = await tickets.get_progress(ticket_id, viewer=viewer, now=now)
    serial = progress.ticket.asset_serial
    timeline = await tickets.ticket_timeline(ticket_id, viewer=viewer, now=now)
    requests = await tickets.list_requests(
        ticket=ticket_id, state=None, viewer=viewer, limit=REQUESTS_SHOWN, offset=0
    )
    fulfilment = await tickets.fulfilment_of(
        ticket_id,
        at_risk=progress.ticket.at_risk,
        predicted_late_seconds=progress.ticket.predicted_late_seconds,
        reservations=[shipment.reservation for shipment in progress.shipments],
    )
    return {
        "progress": progress,
        "fulfilment": fulfilment,
        "ways": {part.reservation: part for part in fulfilment.parts},
        "ticket": progress.ticket,
        "zone": progress.site.timezone,
        "timeline": [entry for entry in timeline.entries if entry.kind != "milestone"],
        "terms": await tickets.replacement_terms(ticket_id, viewer=viewer, now=now),
        "fitting": None
        if serial is None
        else (await tickets.asset_parts(serial, viewer=viewer, now=now)).parts,
        "requests": requests,
        "replacement_values": form.values if form else {"part_number": "", "quantity": "1", "reason": ""},
        "replacement_errors": form.errors if form else {},
        "note_values": note_form.values if note_form else {"body": ""},
        "note_errors": note_form.errors if note_form else {},
    }


async def _fitting(serial: str, viewer: str, now: datetime) -> tuple[tickets.FittingPart, ...]:
    return (await tickets.asset_parts(serial, viewer=viewer, now=now)).parts


@get("/portal/assets/{serial:str}", name="portal-asset", guards=[allow(*PORTAL)])
async def portal_asset(
    request: Request[Any, Any, Any],
    serial: Annotated[str, PathParameter(min_length=1, max_length=100)],
    principal: NamedDependency[Principal],
    now: NamedDependency[datetime],
    page: NamedDependency[PageRequest],
) -> Any:
    """One of the company's assets: its warranty end, coverage phase and the downtime that extended it,
    and its tickets, from which a replacement part may be requested."""
    viewer = _viewer(principal)
    covered = await tickets.get_covered_asset(serial, viewer=viewer, now=now)
    sites = await sites_by_code([(covered.asset.customer, covered.asset.site)])
    history = await tickets.list_progress(
        viewer=viewer, status=None, asset=serial, limit=page.fetch, offset=page.offset, now=now
    )
    context = {
        "covered": covered,
        "site": sites[(covered.asset.customer, covered.asset.site)],
        "tickets": page_of(history, page),
    }
    return render_page(request, "pages/portal/asset.html", context)


@get("/portal/retentions", name="portal-retentions", guards=[allow(*PORTAL)])
async def portal_retentions(
    request: Request[Any, Any, Any],
    principal: NamedDependency[Principal],
    now: NamedDependency[datetime],
    page: NamedDependency[PageRequest],
) -> Any:
    """The failed data-bearing parts the company keeps (classified customers), oldest first: state,
    age, destruction due, and each record's certificate."""
    viewer = _viewer(principal)
    customer = await customers.get_customer(viewer, viewer=viewer)
    records = await secure_media.list_records(
        state=None,
        customer=None,
        overdue=None,
        viewer=viewer,
        now=now,
        limit=page.fetch,
        offset=page.offset,
    )
    context = {
        "customer": customer,
        "records": page_of(records, page),
        "sites": await sites_by_code((record.customer, record.site) for record in records),
    }
    return render_page(request, "pages/portal/retentions.html", context)


@get(
    "/portal/retentions/{record_id:int}/certificate",
    name="portal-certificate",
    guards=[allow(*PORTAL)],
    media_type=MediaType.HTML,
)
async def portal_certificate(
    record_id: PathId, principal: NamedDependency[Principal], now: NamedDependency[datetime]
) -> Template:
    """A kept part's certificate of sanitization, as the API prints it
    (``GET /api/v1/secure-media/retentions/{id}/certificate``)."""
    shown = await secure_media.certificate_of(record_id, viewer=_viewer(principal), now=now)
    return certificate_page(
        shown, headers={"Content-Disposition": f'inline; filename="certificate-{record_id}.html"'}
    )


ROUTES = [
    portal_home,
    new_ticket,
    open_ticket,
    portal_ticket,
    request_replacement,
    accept_charge,
    withdraw_request,
    add_note,
    portal_asset,
    portal_retentions,
    portal_certificate,
]
