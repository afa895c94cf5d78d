"""The warehouse's screens: the scan box (``/scan``), stock by part and depot (``/stock``, with CSV), a
unit's whole life (``/stock/units/{serial}``), receiving a delivery by scanning (``/receipts/new``),
transfers between depots (``/transfers``) and the pick list of reservations (``/reservations``). The
searchable lists (units, batches, movements, receipts) are `api.pages.stock_lists`.

Handlers are thin: they read the form or the query, call the same services as the JSON API
(`inventory.stock`, `inventory.tickets`, `inventory.issuing`, `inventory.traceability`) and render. The
scanning screens keep what was scanned in the page itself (hidden fields), send it with each scan, and
get the whole working area back checked (`api.pages.scanning`); the final submit goes through the same
service as the API, which checks everything again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Stream
from litestar.status_codes import HTTP_303_SEE_OTHER, HTTP_404_NOT_FOUND, HTTP_422_UNPROCESSABLE_ENTITY

from api.idempotency import PageAnswer, idempotent_page
from api.pages import warehouse_scanning as scanning
from api.pagination import PageRequest, page_of
from api.params import PathId
from api.security import allow
from api.settings import Settings
from api.web.downloads import csv_download
from api.web.navigation import NAVIGATION
from api.web.render import render_page
from inventory import quarantine, stock, tickets, traceability
from inventory.accounts import Principal, Role
from inventory.errors import InvalidRequest, NotFound
from inventory.issuing import issue
from presentation import N_, VOCABULARY

WAREHOUSE = (Role.WAREHOUSE, Role.ADMIN)
CSV_PAGE = 1_000
"""Rows read per query while the CSV export streams."""
CSV_COLUMNS = (
    "part_number", "description", "depot", "on_hand", "reserved", "available", "in_transit", "defective",
    "quarantined", "as_of",
)  # fmt: skip

VOCABULARY.define(
    "stock-state",
    {
        "available": N_("Available"),
        "reserved": N_("Reserved"),
        "in_transit": N_("In transit"),
        "defective": N_("Defective"),
        "quarantined": N_("Quarantined"),
        "issued": N_("Issued to a customer"),
        "retained_by_customer": N_("Kept by the customer"),
        "destroyed": N_("Destroyed"),
        "returned_to_vendor": N_("Returned to the vendor"),
    },
)
VOCABULARY.define(
    "movement-kind",
    {
        "receipt": N_("Received from a supplier"),
        "transfer_out": N_("Sent to another depot"),
        "transfer_in": N_("Received from another depot"),
        "issue": N_("Issued for a ticket"),
        "return": N_("Returned"),
        "adjustment": N_("Stock correction"),
        "status_change": N_("Status changed"),
    },
)
VOCABULARY.define(
    "transfer-status",
    {
        "in_transit": N_("In transit"),
        "partially_received": N_("Partly received"),
        "received": N_("Received"),
    },
)
VOCABULARY.define(
    "reservation-status",
    {
        "active": N_("Held"),
        "issued": N_("Issued"),
        "released": N_("Released"),
        "expired": N_("Expired"),
        "preempted": N_("Taken by a more urgent ticket"),
    },
)
VOCABULARY.define(
    "severity",
    {"critical": N_("Critical"), "major": N_("Major"), "minor": N_("Minor")},
)
VOCABULARY.define("delivery-service", {"4h": N_("Within 4 hours"), "nbd": N_("Next business day")})
VOCABULARY.define(
    "stock-only",
    {"short": N_("Nothing available"), "with_stock": N_("With stock")},
)
VOCABULARY.define(
    "transfer-view",
    {"inbound": N_("Inbound"), "outbound": N_("Outbound"), "done": N_("Received")},
)

VOCABULARY.define(
    "scan-message",
    {
        "not-a-code": N_("That is not a code: letters, digits and . / - _ only, up to 100 characters."),
        "unknown-part": N_("Not a known part number:"),
        "bulk-part": N_("This part is counted, not serialized: enter the box's quantity instead of serials."),
        "serialized-part": N_("This part is serialized: scan each unit's serial instead of a quantity."),
        "box-first": N_("Scan the box label first: box number, part number, batch."),
        "quantity-needed": N_("Enter the quantity in the box."),
        "too-many": N_("Too many lines on one screen: receive these first. Most lines:"),
        "depot-needed": N_("Choose the depot."),
        "delivery-note-needed": N_("Enter the supplier and the delivery note number."),
        "nothing-scanned": N_("Scan at least one unit or enter a quantity."),
        "has-errors": N_("Some lines have errors (marked below): remove or correct them first."),
        "depots-needed": N_("Choose the depot to send from and the depot to send to."),
        "same-depot": N_("The source and the destination are the same depot."),
        "part-needed": N_("Enter the part number to send."),
        "nothing-to-send": N_("Scan the serials to send, or enter a quantity."),
        "scanned-twice": N_("Already scanned:"),
    },
)
VOCABULARY.define(
    "scan-finding",
    {
        "duplicate": N_("Scanned twice"),
        "box-mixes-batches": N_("This box already holds another batch of this part"),
        "serial-known": N_("Already known for this part: it cannot be received again"),
        "serial-other-part": N_("This serial is already known for another part"),
        "serial-pattern": N_("Does not look like this part's serials"),
        "box-known": N_("This box was already received"),
        "box-known-other": N_("This box was received before with another part or batch"),
        "batch-other-part": N_("This batch is already known for another part"),
        "unknown-part": N_("Not a known part number"),
        "serial-unknown": N_("No unit has this serial"),
        "serial-of-other-part": N_("This serial belongs to another part"),
        "not-available-here": N_("Not available at the source depot"),
        "not-carried": N_("Not in this transfer"),
        "already-landed": N_("Already received"),
    },
)
VOCABULARY.define("finding-severity", {"error": N_("Error"), "warning": N_("Check"), "ok": N_("OK")})
VOCABULARY.define(
    "finding-value",
    {
        "part": N_("Part"),
        "parts": N_("Parts"),
        "status": N_("Status"),
        "depot": N_("Depot"),
        "box": N_("Box"),
        "batch": N_("Batch"),
        "other": N_("Batch already in the box"),
        "prefix": N_("Serials begin with"),
        "known": N_("Received before as"),
    },
)
VOCABULARY.define(
    "scan-step",
    {
        "box": N_("Scan the box number on the label"),
        "part": N_("Scan the part number on the label"),
        "batch": N_("Scan the batch number on the label"),
        "serial": N_("Scan a serial"),
    },
)
VOCABULARY.define(
    "code-kind",
    {
        "unit": N_("Unit"),
        "box": N_("Box"),
        "batch": N_("Batch"),
        "depot": N_("Depot"),
        "bin": N_("Storage bin"),
        "ticket": N_("Ticket"),
        "reservation": N_("Reservation"),
    },
)

STATE_TONES = {
    "available": "ok",
    "reserved": "info",
    "in_transit": "info",
    "defective": "bad",
    "quarantined": "warn",
    "partially_received": "warn",
    "received": "ok",
    "active": "info",
    "issued": "ok",
}


def _tone(code: str) -> str:
    return STATE_TONES.get(code, "neutral")


def _may_open(role: Role, path: str) -> bool:
    """Whether the navigation lets ``role`` open the screen at ``path``."""
    return any(link.path == path and role in link.roles for link in NAVIGATION)


async def _depots() -> list[stock.DepotRecord]:
    """Every depot, by code, for the depot choosers (a few hundred at most)."""
    return await stock.list_depots(limit=1_000, offset=0)


def _chosen(code: str | None, depots: list[stock.DepotRecord]) -> stock.DepotRecord:
    """The depot named by ``code``, else the first one.

    Raises:
        NotFound: ``code`` names no depot.
    """
    if code:
        for depot in depots:
            if depot.code == code:
                return depot
        raise NotFound(f"depot {code} not found")
    if not depots:
        raise NotFound("there are no depots yet")
    return depots[0]


# --- the scan box ------------------------------------------------------------------------------------


def _address_of(match: traceability.CodeMatch, role: Role) -> str:
    """Where a scanned code's object is shown."""
    if match.kind == "unit":
        return f"/stock/units/{quote(match.key, safe='')}?{urlencode({'part_number': match.part_number})}"
    if match.kind == "box":
        return f"/stock/units?{urlencode({'box': match.key})}"
    if match.kind == "batch":
        return f"/stock/units?{urlencode({'batch': match.key})}"
    if match.kind == "depot":
        return f"/stock?{urlencode({'depot': match.key})}"
    if match.kind == "bin":
        return f"/stock?{urlencode({'depot': match.key.partition('/')[0]})}"
    if match.kind == "ticket":
        if _may_open(role, "/tickets"):
            return f"/tickets/{match.key}"
        return f"/reservations?{urlencode({'ticket': match.key})}"
    return (
        f"/reservations?{urlencode({'depot': match.detail, 'highlight': match.key})}#reservation-{match.key}"
    )


@get("/scan", name="scan", guards=[allow(*WAREHOUSE)])
async def scan(
    request: Request[Any, Any, Any],
    principal: NamedDependency[Principal],
    code: Annotated[str, QueryParameter(max_length=200)] = "",
) -> Any:
    """Jump to what a scanned code names (303); a choice when it names several things; words when it
    names nothing."""
    code = code.strip()
    matches = await traceability.resolve_code(code) if code else []
    if len(matches) == 1:
        return Redirect(_address_of(matches[0], principal.role), status_code=HTTP_303_SEE_OTHER)
    choices = [(match, _address_of(match, principal.role)) for match in matches]
    status = HTTP_404_NOT_FOUND if code and not matches else 200
    return render_page(
        request, "pages/warehouse/scan.html", {"code": code, "choices": choices}, status_code=status
    )


# --- stock -------------------------------------------------------------------------------------------


def _stock_filters(depot: str | None, q: str | None, only: str | None) -> dict[str, Any]:
    if only is not None and only not in stock.STOCK_FILTERS:
        raise InvalidRequest(f"unknown filter {only!r}", field="only")
    return {"depot": depot or None, "search": (q or "").strip() or None, "only": only or None}


@get("/stock", name="stock", guards=[allow(*WAREHOUSE)])
async def stock_page(
    request: Request[Any, Any, Any],
    page: NamedDependency[PageRequest],
    now: NamedDependency[datetime],
    depot: Annotated[str | None, QueryParameter(max_length=32)] = None,
    q: Annotated[str | None, QueryParameter(max_length=100)] = None,
    only: Annotated[str | None, QueryParameter(max_length=20)] = None,
    format: Annotated[str | None, QueryParameter(max_length=10)] = None,
) -> Any:
    """Stock by part and depot: on hand, reserved, available, in transit, defective, quarantined;
    filtered by depot, part number or name, and what is short or in stock; a page at a time."""
    filters = _stock_filters(depot, q, only)
    if format == "csv":
        return _stock_csv(filters, now)
    rows = await stock.stock_overview(**filters, limit=page.fetch, offset=page.offset)
    context = {
        "rows": page_of(rows, page),
        "depots": await _depots(),
        "filters": {"depot": depot or "", "q": q or "", "only": only or ""},
        "csv_address": "/stock.csv" + (f"?{request.url.query}" if request.url.query else ""),
    }
    push = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return render_page(request, "pages/warehouse/stock.html", context, block="results", push_url=push)


@get("/stock.csv", name="stock-csv", guards=[allow(*WAREHOUSE)])
async def stock_csv(
    now: NamedDependency[datetime],
    depot: Annotated[str | None, QueryParameter(max_length=32)] = None,
    q: Annotated[str | None, QueryParameter(max_length=100)] = None,
    only: Annotated[str | None, QueryParameter(max_length=20)] = None,
) -> Stream:
    """The stock screen's filtered rows as CSV, all of them, read a thousand at a time."""
    return _stock_csv(_stock_filters(depot, q, only), now)


def _stock_csv(filters: dict[str, Any], now: datetime) -> Stream:
    async def batches() -> AsyncIterator[list[list[object]]]:
        after: tuple[str, str] | None = None
        while True:
            chunk = await stock.stock_overview(**filters, limit=CSV_PAGE, after=after)
            yield [_csv_row(row, now) for row in chunk]
            if len(chunk) < CSV_PAGE:
                return
            after = (chunk[-1].part_number, chunk[-1].depot)

    return csv_download(CSV_COLUMNS, batches(), f"stock-{now:%Y%m%dT%H%MZ}.csv")


def _csv_row(row: stock.StockRow, now: datetime) -> list[object]:
    from zoneinfo import ZoneInfo

    return [
        row.part_number,
        row.description,
        row.depot,
        row.on_hand,
        row.reserved,
        row.available,
        row.in_transit,
        row.defective,
        row.quarantined,
        now.astimezone(ZoneInfo(row.timezone)).isoformat(timespec="seconds"),
    ]


@get("/stock/units/{serial:str}", name="unit", guards=[allow(*WAREHOUSE)])
async def unit_page(
    request: Request[Any, Any, Any],
    principal: NamedDependency[Principal],
    serial: FromPath[str],
    part_number: Annotated[str | None, QueryParameter(max_length=64)] = None,
) -> Any:
    """A unit's whole life as a timeline: movements with their audit entries, the reservations and
    tickets it served, the asset it went into; its state, place, part, box and batch."""
    try:
        life = await traceability.unit_life(serial, part_number=part_number or None)
    except InvalidRequest as exc:
        if exc.field != "part_number":
            raise
        matches = await traceability.resolve_code(serial)
        choices = [(m, _address_of(m, principal.role)) for m in matches if m.kind == "unit"]
        return render_page(request, "pages/warehouse/scan.html", {"code": serial, "choices": choices})
    context = {"life": life, "may_open_tickets": _may_open(principal.role, "/tickets")}
    return render_page(request, "pages/warehouse/unit.html", context)


# --- receiving ---------------------------------------------------------------------------------------


@get("/receipts/new", name="receipt-form", guards=[allow(*WAREHOUSE)])
async def receipt_form(
    request: Request[Any, Any, Any],
    depot: Annotated[str | None, QueryParameter(max_length=32)] = None,
    done: Annotated[int | None, QueryParameter(ge=1, le=2_000_000_000)] = None,
    notice: Annotated[int | None, QueryParameter(ge=1, le=2_000_000_000)] = None,
) -> Any:
    """Receive a delivery by scanning: the depot and delivery note (or the shipping notice that announced
    it), then each box's label and serials."""
    depots = await _depots()
    if notice is not None:
        announced = await stock.notices.get_notice(notice)
        state = scanning.ReceiptState(
            depot=announced.depot,
            supplier=announced.supplier,
            reference=announced.reference,
            notice=announced.id,
        )
    else:
        state = scanning.ReceiptState(depot=_chosen(depot, depots).code)
    received = await stock.get_receipt(done) if done else None
    return await _render_receipt(request, state, depots, {}, received=received)


@post("/receipts/new", name="receipt-scan", guards=[allow(*WAREHOUSE)], status_code=200)
async def receipt_scan(request: Request[Any, Any, Any]) -> Any:
    """One step of the receipt screen (a scan, a new box, a line removed): the working area again,
    every line checked."""
    state = scanning.ReceiptState.of(await request.form())
    parts = await _part_flags(state)
    message = state.apply(parts)
    return await _render_receipt(request, state, await _depots(), parts, message=message)


@post("/receipts", name="receipt-submit", guards=[allow(*WAREHOUSE)])
async def receipt_submit(
    request: Request[Any, Any, Any], principal: NamedDependency[Principal], now: NamedDependency[datetime]
) -> Any:
    """Book the delivery in, all or nothing, through the receipt service. A form sent again with the same
    key goes where the first went; lines with errors send the screen back (422), every line marked."""
    state = scanning.ReceiptState.of(await request.form())
    parts = await _part_flags(state)
    state.apply(parts, scanning=False)
    try:
        return await _book_receipt(
            request=request, principal=principal, now=now, state=state, parts=parts, idempotency_key=None
        )
    except _Refused as refused:
        return await _render_receipt(
            request, state, await _depots(), parts, message=refused.message, checked=refused.checked,
            status_code=HTTP_422_UNPROCESSABLE_ENTITY,
        )  # fmt: skip


class _Refused(Exception):
    """A scanning screen's submit that its own checks refuse (raised inside the idempotent run, so that
    the key is not kept): the message and the checked lines to show again."""

    def __init__(self, message: str, checked: Any = None) -> None:
        super().__init__(message)
        self.message = scanning.Message(message)
        self.checked = checked


@idempotent_page
async def _book_receipt(
    request: Request[Any, Any, Any],
    principal: Principal,
    now: datetime,
    state: scanning.ReceiptState,
    parts: dict[str, bool],
) -> PageAnswer:
    checked = await scanning.check_receipt(state, parts)
    problem = state.missing_fields() or ("nothing-scanned" if state.empty else None)
    if problem is None and checked.errors:
        problem = "has-errors"
    if problem is not None:
        raise _Refused(problem, checked)
    if state.notice is not None:
        await quarantine.receive_against_notice(
            state.notice, lines=state.lines(), actor=principal.username, now=now
        )
        return PageAnswer(location=f"/notices/{state.notice}")
    record = await quarantine.receive_stock(
        depot=state.depot,
        supplier=state.supplier,
        reference=state.reference,
        lines=state.lines(),
        actor=principal.username,
        now=now,
    )
    return PageAnswer(location=f"/receipts/new?{urlencode({'depot': record.depot, 'done': record.id})}")


async def _part_flags(state: scanning.ReceiptState) -> dict[str, bool]:
    """Whether each part number on the screen is serialized (unknown parts are missing)."""
    numbers = state.part_numbers()
    found = {}
    for number in numbers:
        try:
            found[number] = (await stock.get_part(number)).serialized
        except NotFound:
            continue
    return found


async def _render_receipt(
    request: Request[Any, Any, Any],
    state: scanning.ReceiptState,
    depots: list[stock.DepotRecord],
    parts: dict[str, bool],
    *,
    message: scanning.Message | None = None,
    received: Any = None,
    checked: scanning.CheckedReceipt | None = None,
    status_code: int = 200,
) -> Any:
    checked = checked or await scanning.check_receipt(state, parts)
    notice = await stock.notices.get_notice(state.notice) if state.notice is not None else None
    context = {
        "notice": notice,
        "against": scanning.against_notice(state, notice.lines) if notice is not None else None,
        "state": state,
        "checked": checked,
        "depots": depots,
        "message": message,
        "received": received,
        "received_zone": next((d.timezone for d in depots if received and d.code == received.depot), "UTC"),
    }
    return render_page(
        request, "pages/warehouse/receipt.html", context, block="receipt", status_code=status_code
    )


# --- transfers ---------------------------------------------------------------------------------------


TRANSFER_STATUSES = ("in_transit", "partially_received", "received")


@get("/transfers", name="transfers", guards=[allow(*WAREHOUSE)])
async def transfers_page(
    request: Request[Any, Any, Any],
    page: NamedDependency[PageRequest],
    depot: Annotated[str | None, QueryParameter(max_length=32)] = None,
    view: Annotated[str, QueryParameter(max_length=10)] = "inbound",
    part_number: Annotated[str | None, QueryParameter(max_length=100)] = None,
    status: Annotated[str | None, QueryParameter(max_length=20)] = None,
) -> Any:
    """A depot's transfers: inbound and outbound still in transit (oldest first), or those received;
    with a part number or a status, every transfer of that direction matching them (newest first)."""
    if view not in ("inbound", "outbound", "done"):
        raise InvalidRequest(f"unknown view {view!r}", field="view")
    part_number, status = (part_number or "").strip() or None, status or None
    if status is not None and status not in TRANSFER_STATUSES:
        raise InvalidRequest(f"unknown status {status!r}", field="status")
    depots = await _depots()
    chosen = _chosen(depot, depots)
    outbound = view == "outbound"
    if part_number or status:
        rows = await stock.search_transfers(
            status=status or ("received" if view == "done" else None),
            from_depot=chosen.code if outbound else None,
            to_depot=None if outbound else chosen.code,
            part_number=part_number,
            limit=page.fetch,
            offset=page.offset,
        )
    else:
        rows = await stock.list_transfers(
            chosen.code,
            direction="outbound" if outbound else "inbound",
            open_only=view != "done",
            limit=page.fetch,
            offset=page.offset,
        )
    context = {
        "depots": depots,
        "depot": chosen,
        "view": view,
        "filters": {"part_number": part_number or "", "status": status or ""},
        "statuses": TRANSFER_STATUSES,
        "rows": page_of(rows, page),
        "zones": {d.code: d.timezone for d in depots},
    }
    push = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return render_page(request, "pages/warehouse/transfers.html", context, block="results", push_url=push)


@get("/transfers/new", name="transfer-form", guards=[allow(*WAREHOUSE)])
async def transfer_form(
    request: Request[Any, Any, Any], depot: Annotated[str | None, QueryParameter(max_length=32)] = None
) -> Any:
    """Send stock to another depot: the part, the destination, then the serials scanned (or a quantity)."""
    depots = await _depots()
    state = scanning.DispatchState(from_depot=_chosen(depot, depots).code)
    return await _render_dispatch(request, state, depots)


@post("/transfers/new", name="transfer-scan", guards=[allow(*WAREHOUSE)], status_code=200)
async def transfer_scan(request: Request[Any, Any, Any]) -> Any:
    """One step of the dispatch screen: a serial scanned or removed, checked against the source depot."""
    state = scanning.DispatchState.of(await request.form())
    message = state.apply()
    return await _render_dispatch(request, state, await _depots(), message=message)


@post("/transfers", name="transfer-dispatch", guards=[allow(*WAREHOUSE)])
async def transfer_dispatch(
    request: Request[Any, Any, Any], principal: NamedDependency[Principal], now: NamedDependency[datetime]
) -> Any:
    """Dispatch the transfer through the transfer service (the source must hold what is sent)."""
    state = scanning.DispatchState.of(await request.form())
    state.apply(scanning=False)
    try:
        return await _book_dispatch(
            request=request, principal=principal, now=now, state=state, idempotency_key=None
        )
    except _Refused as refused:
        return await _render_dispatch(
            request, state, await _depots(), message=refused.message, checked=refused.checked,
            status_code=HTTP_422_UNPROCESSABLE_ENTITY,
        )  # fmt: skip


@idempotent_page
async def _book_dispatch(
    request: Request[Any, Any, Any], principal: Principal, now: datetime, state: scanning.DispatchState
) -> PageAnswer:
    checked = await scanning.check_dispatch(state)
    problem = state.missing_fields()
    if problem is None and checked.errors:
        problem = "has-errors"
    if problem is not None:
        raise _Refused(problem, checked)
    record = await stock.dispatch_transfer(
        part_number=state.part_number,
        from_depot=state.from_depot,
        to_depot=state.to_depot,
        quantity=None if state.serials else state.quantity,
        serials=state.serials or None,
        reason=state.reason,
        actor=principal.username,
        now=now,
    )
    return PageAnswer(location=f"/transfers/{record.id}?sent=1")


async def _render_dispatch(
    request: Request[Any, Any, Any],
    state: scanning.DispatchState,
    depots: list[stock.DepotRecord],
    *,
    message: scanning.Message | None = None,
    checked: scanning.CheckedDispatch | None = None,
    status_code: int = 200,
) -> Any:
    checked = checked or await scanning.check_dispatch(state)
    context = {"state": state, "checked": checked, "depots": depots, "message": message}
    return render_page(
        request, "pages/warehouse/dispatch.html", context, block="dispatch", status_code=status_code
    )


@get("/transfers/{transfer_id:int}", name="transfer", guards=[allow(*WAREHOUSE)])
async def transfer_page(
    request: Request[Any, Any, Any],
    transfer_id: PathId,
    sent: Annotated[bool, QueryParameter()] = False,
    received: Annotated[bool, QueryParameter()] = False,
) -> Any:
    """One transfer: what it carries and what has landed; receive it by scanning what arrived."""
    record = await stock.get_transfer(transfer_id)
    state = scanning.ArrivalState(transfer=transfer_id)
    return await _render_arrival(request, record, state, sent=sent, received=received)


@post("/transfers/{transfer_id:int}", name="transfer-arrival-scan", guards=[allow(*WAREHOUSE)],
      status_code=200)  # fmt: skip
async def transfer_arrival_scan(request: Request[Any, Any, Any], transfer_id: PathId) -> Any:
    """One step of receiving a transfer: a serial scanned or removed, checked against what it carries."""
    record = await stock.get_transfer(transfer_id)
    state = scanning.ArrivalState.of(await request.form(), transfer_id)
    message = state.apply()
    return await _render_arrival(request, record, state, message=message)


@post("/transfers/{transfer_id:int}/receive", name="transfer-receive", guards=[allow(*WAREHOUSE)])
async def transfer_receive(
    request: Request[Any, Any, Any],
    transfer_id: PathId,
    principal: NamedDependency[Principal],
    now: NamedDependency[datetime],
) -> Any:
    """Land what was scanned (or everything, or a bulk quantity) through the transfer service; what is not
    named stays in transit."""
    record = await stock.get_transfer(transfer_id)
    state = scanning.ArrivalState.of(await request.form(), transfer_id)
    state.apply(scanning=False)
    try:
        return await _book_arrival(
            request=request, principal=principal, now=now, state=state, idempotency_key=None
        )
    except _Refused as refused:
        record = await stock.get_transfer(transfer_id)
        return await _render_arrival(
            request, record, state, message=refused.message, status_code=HTTP_422_UNPROCESSABLE_ENTITY
        )


@idempotent_page
async def _book_arrival(
    request: Request[Any, Any, Any], principal: Principal, now: datetime, state: scanning.ArrivalState
) -> PageAnswer:
    record = await stock.get_transfer(state.transfer)
    if any(line.serial for line in record.lines) and not state.serials:
        raise _Refused("nothing-scanned")
    if state.errors(record):
        raise _Refused("has-errors")
    await stock.receive_transfer(
        state.transfer,
        serials=state.serials or None,
        quantity=state.quantity if not state.serials else None,
        actor=principal.username,
        now=now,
    )
    return PageAnswer(location=f"/transfers/{state.transfer}?received=1")


async def _render_arrival(
    request: Request[Any, Any, Any],
    record: Any,
    state: scanning.ArrivalState,
    *,
    message: scanning.Message | None = None,
    sent: bool = False,
    received: bool = False,
    status_code: int = 200,
) -> Any:
    zones = await stock.depot_zones([record.from_depot, record.to_depot])
    context = {
        "transfer": record,
        "state": state,
        "lines": state.lines(record),
        "findings": state.findings(record),
        "zones": zones,
        "message": message,
        "sent": sent,
        "received": received,
    }
    return render_page(
        request, "pages/warehouse/transfer.html", context, block="arrival", status_code=status_code
    )


# --- picking -----------------------------------------------------------------------------------------


@get("/reservations", name="reservations", guards=[allow(*WAREHOUSE)])
async def reservations_page(
    request: Request[Any, Any, Any],
    page: NamedDependency[PageRequest],
    now: NamedDependency[datetime],
    depot: Annotated[str | None, QueryParameter(max_length=32)] = None,
    ticket: Annotated[int | None, QueryParameter(ge=1, le=2_000_000_000)] = None,
    part_number: Annotated[str | None, QueryParameter(max_length=100)] = None,
    highlight: Annotated[int | None, QueryParameter(ge=1, le=2_000_000_000)] = None,
    done: Annotated[str | None, QueryParameter(max_length=10)] = None,
) -> Any:
    """What to pick for which ticket at a depot (of one part, if named), the soonest delivery due first;
    issue or release."""
    depots = await _depots()
    chosen = None if ticket is not None and not depot else _chosen(depot, depots)
    part_number = (part_number or "").strip() or None
    rows = await tickets.depot_pick_list(
        chosen.code if chosen else None,
        ticket=ticket,
        part_number=part_number,
        limit=page.fetch,
        offset=page.offset,
    )
    context = {
        "depots": depots,
        "depot": chosen,
        "ticket": ticket,
        "part_number": part_number or "",
        "rows": page_of(rows, page),
        "highlight": highlight,
        "done": done if done in ("issued", "released") else None,
        "soon": now + timedelta(hours=4),
        "now": now,
    }
    return render_page(request, "pages/warehouse/reservations.html", context, block="results")


@post("/reservations/{reservation_id:int}/issue", name="reservation-issue", guards=[allow(*WAREHOUSE)])
@idempotent_page
async def reservation_issue(
    request: Request[Any, Any, Any],
    reservation_id: PathId,
    principal: NamedDependency[Principal],
    now: NamedDependency[datetime],
    settings: NamedDependency[Settings],
) -> PageAnswer:
    """Hand the reserved parts out for the ticket (the same service as the API's issue)."""
    form = await request.form()
    serial = str(form.get("serial") or "").strip() or None
    failed = str(form.get("failed_serial") or "").strip() or None
    record = await issue(
        reservation_id,
        serial=serial,
        failed_serial=failed,
        actor=principal.username,
        now=now,
        destruction_days=settings.retention_destruction_days,
    )
    return PageAnswer(location=_back_to_picking(record.depot, reservation_id, "issued"))


@post("/reservations/{reservation_id:int}/release", name="reservation-release", guards=[allow(*WAREHOUSE)])
@idempotent_page
async def reservation_release(
    request: Request[Any, Any, Any],
    reservation_id: PathId,
    principal: NamedDependency[Principal],
    now: NamedDependency[datetime],
) -> PageAnswer:
    """Give the held stock back to the depot (the same service as the API's release)."""
    record = await tickets.release(reservation_id, actor=principal.username, now=now)
    return PageAnswer(location=_back_to_picking(record.depot, reservation_id, "released"))


def _back_to_picking(depot: str, reservation_id: int, done: str) -> str:
    return f"/reservations?{urlencode({'depot': depot, 'highlight': reservation_id, 'done': done})}"


ROUTES = [
    scan,
    stock_page,
    stock_csv,
    unit_page,
    receipt_form,
    receipt_scan,
    receipt_submit,
    transfers_page,
    transfer_form,
    transfer_scan,
    transfer_dispatch,
    transfer_page,
    transfer_arrival_scan,
    transfer_receive,
    reservations_page,
    reservation_issue,
    reservation_release,
]
