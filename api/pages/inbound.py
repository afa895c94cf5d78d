"""The warehouse's inbound and count screens, on the same services as the API:

* ``GET /notices``, ``GET /notices/{id}``: advance shipping notices of a depot and what arrived against
  each (receiving by scanning is the receipt screen, ``/receipts/new?notice=<id>``);
* ``GET, POST /counts``, ``GET /counts/{id}``, ``POST /counts/{id}/lines``, ``.../close``, ``.../approve``:
  stock counts, one line per scan, the variances, a second person's approval;
* ``GET /returns``, ``POST /returns/{id}/receive``: failed units expected back, booked in graded;
* ``GET, POST /vendor-returns``, ``POST /vendor-returns/{id}/ship``, ``.../credit``, ``.../replacements``:
  returns to vendors, closed credited or with the vendor's replacement units received (scanned one per
  line as ``serial box batch``).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.status_codes import HTTP_422_UNPROCESSABLE_ENTITY
from pydantic import BaseModel, ConfigDict, Field

from api.idempotency import PageAnswer, idempotent_page
from api.pages.depot_choice import all_depots, chosen_code, zones
from api.pagination import PageRequest, page_of
from api.params import PathId
from api.security import allow
from api.settings import Settings
from api.web.errors import refusal
from api.web.forms import read_form
from api.web.locale import presenter_of
from api.web.render import render_page
from inventory import quarantine, stock
from inventory.accounts import Principal, Role
from inventory.errors import AlreadyExists, DomainError, InvalidRequest, InvalidTransition
from inventory.stock import counts, notices, vendor_returns
from inventory.tickets import ReturnGrade as Grade
from inventory.tickets import returns
from presentation import N_, VOCABULARY

WAREHOUSE = (Role.WAREHOUSE, Role.ADMIN)
MAX_PARTS_FIELD = 2_000
RETURN_VIEWS = ("expected", "overdue", "received")
SCANNED_SEPARATORS = re.compile(r"[\s,;]+")
"""What separates serial, box and batch on a scanned line: spaces, tabs, commas or semicolons."""

VOCABULARY.define("stock-state", {"scrapped": N_("Scrapped"), "lost": N_("Lost")})
VOCABULARY.define(
    "movement-kind", {"write_off": N_("Written off"), "vendor_return": N_("Returned to the vendor")}
)
VOCABULARY.define(
    "problem",
    {
        "second-person-required": N_(
            "A second person must approve this: not who asked for it or did the work"
        ),
        "serial-mismatch": N_("The unit handed in is not the failed unit recorded"),
    },
)
VOCABULARY.define(
    "notice-finding",
    {
        "missing": N_("Announced, did not arrive"),
        "unexpected": N_("Not on the notice: quarantined"),
        "batch_differs": N_("Batch differs from the notice: quarantined"),
        "box_differs": N_("Box differs from the notice: quarantined"),
        "excess": N_("More than announced: quarantined"),
    },
)
VOCABULARY.define("notice-status", {"open": N_("Expected"), "received": N_("Received")})
VOCABULARY.define(
    "count-status", {"open": N_("Counting"), "closed": N_("Closed, to approve"), "approved": N_("Approved")}
)
VOCABULARY.define(
    "variance-kind",
    {"missing": N_("Missing serial"), "unknown": N_("Unknown serial"), "quantity": N_("Quantity differs")},
)
VOCABULARY.define(
    "count-outcome",
    {
        "lost": N_("Written off as lost"),
        "found": N_("Booked in, quarantined"),
        "adjust": N_("Quantity corrected"),
        "investigate": N_("Nothing booked: to investigate"),
    },
)
VOCABULARY.define(
    "return-grade",
    {"repairable": N_("Repairable"), "scrap": N_("Scrap"), "vendor_return": N_("Back to the vendor")},
)
VOCABULARY.define(
    "return-view",
    {"expected": N_("Expected back"), "overdue": N_("Overdue, to chase"), "received": N_("Received")},
)
VOCABULARY.define("return-status", {"expected": N_("Expected back"), "received": N_("Received")})
VOCABULARY.define(
    "rma-status",
    {"open": N_("Open"), "shipped": N_("Shipped"), "credited": N_("Credited"), "replaced": N_("Replaced")},
)


# --- notices -----------------------------------------------------------------------------------------


@get("/notices", name="notices", guards=[allow(*WAREHOUSE)])
async def notices_page(
    request: Request[Any, Any, Any],
    page: NamedDependency[PageRequest],
    depot: Annotated[str | None, QueryParameter(max_length=32)] = None,
    received: Annotated[bool, QueryParameter()] = False,
) -> Any:
    """A depot's advance shipping notices: those expected, or those received."""
    depots = await all_depots()
    chosen = chosen_code(depot, depots)
    rows = await notices.list_notices(
        depot=chosen,
        status=notices.RECEIVED if received else notices.OPEN,
        supplier=None,
        limit=page.fetch,
        offset=page.offset,
    )
    context = {
        "depots": depots,
        "depot": chosen,
        "received": received,
        "rows": page_of(rows, page),
        "zones": zones(depots),
    }
    return render_page(request, "pages/inbound/notices.html", context, block="results")


@get("/notices/{notice_id:int}", name="notice", guards=[allow(*WAREHOUSE)])
async def notice_page(request: Request[Any, Any, Any], notice_id: PathId) -> Any:
    """One notice: its manifest, what arrived as announced, and what was found."""
    record = await notices.get_notice(notice_id)
    context = {"notice": record, "zones": zones(await all_depots())}
    return render_page(request, "pages/inbound/notice.html", context)


# --- counts ------------------------------------------------------------------------------------------


class CountForm(BaseModel):
    depot: str = Field(min_length=1, max_length=32)
    parts: str = Field(default="", max_length=MAX_PARTS_FIELD)

    def part_numbers(self) -> list[str]:
        return sorted({number for number in self.parts.replace(",", " ").split() if number})


class CountLineForm(BaseModel):
    part_number: str = Field(min_length=1, max_length=64)
    serial: str | None = Field(default=None, max_length=100)
    batch_number: str | None = Field(default=None, max_length=100)
    quantity: int | None = Field(default=None, gt=0, le=1_000_000)


async def _valid(request: Request[Any, Any, Any], model: type[BaseModel]) -> Any:
    """The form's model; a form that makes none is refused (422, the first bad field named)."""
    form = await read_form(request, model)
    if form.data is None:
        name, message = next(iter(form.errors.items()))
        raise InvalidRequest(f"{name}: {message}", field=name)
    return form.data


@get("/counts", name="counts", guards=[allow(*WAREHOUSE)])
async def counts_page(
    request: Request[Any, Any, Any],
    page: NamedDependency[PageRequest],
    depot: Annotated[str | None, QueryParameter(max_length=32)] = None,
) -> Any:
    """A depot's counts, newest first, and a form to open one."""
    depots = await all_depots()
    chosen = chosen_code(depot, depots)
    rows = await counts.list_counts(depot=chosen, status=None, limit=page.fetch, offset=page.offset)
    context = {"depots": depots, "depot": chosen, "rows": page_of(rows, page), "zones": zones(depots)}
    return render_page(request, "pages/inbound/counts.html", context, block="results")


@post("/counts", name="count-open", guards=[allow(*WAREHOUSE)])
async def count_open(
    request: Request[Any, Any, Any], principal: NamedDependency[Principal], now: NamedDependency[datetime]
) -> Any:
    """Open a count of a depot (every part, or the part numbers listed)."""
    data = await _valid(request, CountForm)
    return await _open_count(request=request, principal=principal, now=now, data=data, idempotency_key=None)


@idempotent_page
async def _open_count(
    request: Request[Any, Any, Any], principal: Principal, now: datetime, data: CountForm
) -> PageAnswer:
    record = await counts.open_count(
        depot=data.depot, part_numbers=data.part_numbers(), actor=principal.username, now=now
    )
    return PageAnswer(location=f"/counts/{record.id}")


@get("/counts/{count_id:int}", name="count", guards=[allow(*WAREHOUSE)])
async def count_page(
    request: Request[Any, Any, Any],
    count_id: PathId,
    principal: NamedDependency[Principal],
    part: Annotated[str | None, QueryParameter(max_length=64)] = None,
    batch: Annotated[str | None, QueryParameter(max_length=100)] = None,
) -> Any:
    """A count: the scan form while open, its latest lines, its variances once closed."""
    record = await counts.get_count(count_id)
    depots = await all_depots()
    involved = {record.opened_by, record.closed_by, *(line.counted_by for line in record.lines)}
    context = {
        "count": record,
        "zone": zones(depots).get(record.depot, "UTC"),
        "part": part or (record.parts[0] if len(record.parts) == 1 else ""),
        "batch": batch or "",
        "may_approve": principal.username not in involved,
    }
    return render_page(request, "pages/inbound/count.html", context)


@post("/counts/{count_id:int}/lines", name="count-line", guards=[allow(*WAREHOUSE)])
async def count_line(
    request: Request[Any, Any, Any],
    count_id: PathId,
    principal: NamedDependency[Principal],
    now: NamedDependency[datetime],
) -> Any:
    """One scanned line; back to the count with the part (and batch) kept for the next scan."""
    data = await _valid(request, CountLineForm)
    return await _count_line(
        request=request, principal=principal, now=now, count_id=count_id, data=data, idempotency_key=None
    )


@idempotent_page
async def _count_line(
    request: Request[Any, Any, Any], principal: Principal, now: datetime, count_id: int, data: CountLineForm
) -> PageAnswer:
    await counts.add_line(
        count_id,
        part_number=data.part_number,
        serial=data.serial or None,
        batch_number=data.batch_number or None,
        quantity=data.quantity,
        actor=principal.username,
        now=now,
    )
    keep = {"part": data.part_number, **({"batch": data.batch_number} if data.batch_number else {})}
    return PageAnswer(location=f"/counts/{count_id}?{urlencode(keep)}")


@post("/counts/{count_id:int}/close", name="count-close", guards=[allow(*WAREHOUSE)])
@idempotent_page
async def count_close(
    request: Request[Any, Any, Any],
    count_id: PathId,
    principal: NamedDependency[Principal],
    now: NamedDependency[datetime],
) -> PageAnswer:
    """Close the count: its variances are found."""
    await counts.close_count(count_id, actor=principal.username, now=now)
    return PageAnswer(location=f"/counts/{count_id}")


@post("/counts/{count_id:int}/approve", name="count-approve", guards=[allow(*WAREHOUSE)])
@idempotent_page
async def count_approve(
    request: Request[Any, Any, Any],
    count_id: PathId,
    principal: NamedDependency[Principal],
    now: NamedDependency[datetime],
) -> PageAnswer:
    """A second person approves: the adjustments are booked."""
    await counts.approve_count(count_id, actor=principal.username, now=now)
    return PageAnswer(location=f"/counts/{count_id}")


# --- returns -----------------------------------------------------------------------------------------


class ReturnForm(BaseModel):
    depot: str = Field(min_length=1, max_length=32)
    serial: str = Field(min_length=1, max_length=100)
    grade: Grade


@get("/returns", name="returns", guards=[allow(*WAREHOUSE)])
async def returns_page(
    request: Request[Any, Any, Any],
    page: NamedDependency[PageRequest],
    now: NamedDependency[datetime],
    settings: NamedDependency[Settings],
    depot: Annotated[str | None, QueryParameter(max_length=32)] = None,
    view: Annotated[str, QueryParameter(max_length=10)] = "expected",
) -> Any:
    """Failed units expected back at a depot (or overdue, or received), each with a form to book it in."""
    if view not in RETURN_VIEWS:
        raise InvalidRequest(f"unknown view {view!r}", field="view")
    depots = await all_depots()
    chosen = chosen_code(depot, depots)
    rows = await returns.list_returns(
        status="received" if view == "received" else "expected",
        depot=chosen,
        ticket=None,
        overdue=True if view == "overdue" else None,
        now=now,
        overdue_days=settings.return_overdue_days,
        limit=page.fetch,
        offset=page.offset,
    )
    context = {
        "depots": depots,
        "depot": chosen,
        "view": view,
        "rows": page_of(rows, page),
        "zones": zones(depots),
        "grades": list(Grade),
        "done": request.query_params.get("done"),
    }
    return render_page(request, "pages/inbound/returns.html", context, block="results")


@post("/returns/{return_id:int}/receive", name="return-receive", guards=[allow(*WAREHOUSE)])
async def return_receive(
    request: Request[Any, Any, Any],
    return_id: PathId,
    principal: NamedDependency[Principal],
    now: NamedDependency[datetime],
    settings: NamedDependency[Settings],
) -> Any:
    """Book a failed unit in, graded."""
    data = await _valid(request, ReturnForm)
    return await _receive_return(
        request=request,
        principal=principal,
        now=now,
        settings=settings,
        return_id=return_id,
        data=data,
        idempotency_key=None,
    )


@idempotent_page
async def _receive_return(
    request: Request[Any, Any, Any],
    principal: Principal,
    now: datetime,
    settings: Settings,
    return_id: int,
    data: ReturnForm,
) -> PageAnswer:
    await quarantine.receive_return(
        return_id,
        depot=data.depot,
        serial=data.serial,
        grade=data.grade,
        box_number=None,
        batch_number=None,
        actor=principal.username,
        now=now,
        overdue_days=settings.return_overdue_days,
    )
    return PageAnswer(location=f"/returns?{urlencode({'depot': data.depot, 'done': return_id})}")


# --- vendor returns ----------------------------------------------------------------------------------


class VendorReturnForm(BaseModel):
    depot: str = Field(min_length=1, max_length=32)
    vendor: str = Field(min_length=1, max_length=200)
    rma_number: str = Field(min_length=1, max_length=100)
    part_number: str = Field(min_length=1, max_length=64)
    serials: str = Field(min_length=1, max_length=20_000)


class CreditForm(BaseModel):
    note: str = Field(default="", max_length=500)


class ReplacementsForm(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    part_number: str = Field(min_length=1, max_length=64)
    units: str = Field(min_length=1, max_length=20_000)


def scanned_units(text: str) -> tuple[list[stock.ReceivedUnit], int | None]:
    """The units of a field scanned one per line as ``serial box batch`` (blank lines skipped), and the
    number of the first line that is not three codes (None when all are)."""
    units: list[stock.ReceivedUnit] = []
    for number, line in enumerate(text.splitlines(), start=1):
        codes = [code for code in SCANNED_SEPARATORS.split(line) if code]
        if not codes:
            continue
        if len(codes) != 3:
            return units, number
        units.append(stock.ReceivedUnit(*codes))
    return units, None


@get("/vendor-returns", name="vendor-returns", guards=[allow(*WAREHOUSE)])
async def vendor_returns_page(
    request: Request[Any, Any, Any],
    page: NamedDependency[PageRequest],
    depot: Annotated[str | None, QueryParameter(max_length=32)] = None,
) -> Any:
    """A depot's returns to vendors, newest first, and a form to open one."""
    context = await _vendor_returns_context(depot, page)
    return render_page(request, "pages/inbound/vendor_returns.html", context, block="results")


async def _vendor_returns_context(
    depot: str | None, page: PageRequest, replacing: dict[str, Any] | None = None
) -> dict[str, Any]:
    depots = await all_depots()
    chosen = chosen_code(depot, depots)
    rows = await vendor_returns.list_vendor_returns(
        status=None, depot=chosen, vendor=None, limit=page.fetch, offset=page.offset
    )
    return {
        "depots": depots,
        "depot": chosen,
        "rows": page_of(rows, page),
        "zones": zones(depots),
        "replacing": replacing or {},
    }


@post("/vendor-returns", name="vendor-return-open", guards=[allow(*WAREHOUSE)])
async def vendor_return_open(
    request: Request[Any, Any, Any], principal: NamedDependency[Principal], now: NamedDependency[datetime]
) -> Any:
    """Open a return of defective units (serials scanned one per line) to their vendor."""
    data = await _valid(request, VendorReturnForm)
    return await _open_vendor_return(
        request=request, principal=principal, now=now, data=data, idempotency_key=None
    )


@idempotent_page
async def _open_vendor_return(
    request: Request[Any, Any, Any], principal: Principal, now: datetime, data: VendorReturnForm
) -> PageAnswer:
    serials = list(dict.fromkeys(serial for serial in data.serials.split() if serial))
    await quarantine.create_vendor_return(
        vendor=data.vendor,
        rma_number=data.rma_number,
        depot=data.depot,
        units=[(data.part_number, serial) for serial in serials],
        note="",
        actor=principal.username,
        now=now,
    )
    return PageAnswer(location=f"/vendor-returns?{urlencode({'depot': data.depot})}")


@post("/vendor-returns/{return_id:int}/ship", name="vendor-return-ship", guards=[allow(*WAREHOUSE)])
@idempotent_page
async def vendor_return_ship(
    request: Request[Any, Any, Any],
    return_id: PathId,
    principal: NamedDependency[Principal],
    now: NamedDependency[datetime],
) -> PageAnswer:
    """Ship a vendor return: its units leave the depot."""
    record = await quarantine.ship_vendor_return(return_id, actor=principal.username, now=now)
    return PageAnswer(location=f"/vendor-returns?{urlencode({'depot': record.depot})}")


@post("/vendor-returns/{return_id:int}/credit", name="vendor-return-credit", guards=[allow(*WAREHOUSE)])
async def vendor_return_credit(
    request: Request[Any, Any, Any],
    return_id: PathId,
    principal: NamedDependency[Principal],
    now: NamedDependency[datetime],
) -> Any:
    """Close a shipped vendor return as credited."""
    data = await _valid(request, CreditForm)
    return await _credit(
        request=request, principal=principal, now=now, return_id=return_id, data=data, idempotency_key=None
    )


@idempotent_page
async def _credit(
    request: Request[Any, Any, Any], principal: Principal, now: datetime, return_id: int, data: CreditForm
) -> PageAnswer:
    record = await vendor_returns.credit_vendor_return(
        return_id, note=data.note, actor=principal.username, now=now
    )
    return PageAnswer(location=f"/vendor-returns?{urlencode({'depot': record.depot})}")


REPLACEMENT_WORDS = {
    "part": N_("Unknown part number"),
    "bulk": N_("This part is not serialized: replacements are units with a serial"),
    "serials": N_("Serials already known, or scanned twice: %(serials)s"),
    "box": N_("A box holds one batch: box %(box)s has several"),
}
"""What a refusal of the replacements form says beside the field it is about."""


@post(
    "/vendor-returns/{return_id:int}/replacements",
    name="vendor-return-replacements",
    guards=[allow(*WAREHOUSE)],
)
async def vendor_return_replacements(
    request: Request[Any, Any, Any],
    return_id: PathId,
    page: NamedDependency[PageRequest],
    principal: NamedDependency[Principal],
    now: NamedDependency[datetime],
) -> Any:
    """Receive the vendor's replacement units against a shipped return (the part, then the units
    scanned one per line as ``serial box batch``); a form that is refused comes back as typed, with its
    errors in words."""
    form = await read_form(request, ReplacementsForm)
    units, bad_line = scanned_units(form.data.units if form.data else "")
    errors = dict(form.errors)
    if form.data is not None and (bad_line is not None or not units):
        errors["units"] = presenter_of(request).gettext(
            N_("Line %(line)s: scan the serial, the box and the batch"), line=bad_line or 1
        )
    if errors or form.data is None:
        replacing = {"id": return_id, "values": form.values, "errors": errors}
        return await _replacements_again(request, return_id, page, replacing, HTTP_422_UNPROCESSABLE_ENTITY)
    try:
        return await _replaced(
            request=request,
            principal=principal,
            now=now,
            return_id=return_id,
            line=stock.ReceiptLine(form.data.part_number, len(units), None, tuple(units)),
            idempotency_key=None,
        )
    except (InvalidRequest, AlreadyExists, InvalidTransition) as exc:
        status, refused = refusal(exc)
        replacing = {
            "id": return_id,
            "values": form.values,
            "errors": _replacement_errors(request, exc),
            "refused": refused,
        }
        return await _replacements_again(request, return_id, page, replacing, status)


async def _replacements_again(
    request: Request[Any, Any, Any], return_id: int, page: PageRequest, replacing: dict[str, Any], status: int
) -> Any:
    record = await vendor_returns.get_vendor_return(return_id)
    context = await _vendor_returns_context(record.depot, page, replacing)
    return render_page(request, "pages/inbound/vendor_returns.html", context, status_code=status)


def _replacement_errors(request: Request[Any, Any, Any], exc: DomainError) -> dict[str, str]:
    """The refusal's words beside the field it is about (none for a return in the wrong state)."""
    where = str(exc.details.get("field") or "")
    if isinstance(exc, InvalidTransition):
        return {}
    if isinstance(exc, AlreadyExists):
        name, words = "units", REPLACEMENT_WORDS["serials"]
    elif where.endswith("part_number"):
        name, words = "part_number", REPLACEMENT_WORDS["part"]
    elif where.endswith("box_number"):
        name, words = "units", REPLACEMENT_WORDS["box"]
    else:
        name, words = "part_number", REPLACEMENT_WORDS["bulk"]
    serials = ", ".join(exc.details.get("serials") or [])
    values = {"serials": serials, "box": exc.details.get("box_number", "")}
    return {name: presenter_of(request).gettext(words) % values}


@idempotent_page
async def _replaced(
    request: Request[Any, Any, Any],
    principal: Principal,
    now: datetime,
    return_id: int,
    line: stock.ReceiptLine,
) -> PageAnswer:
    record = await vendor_returns.receive_replacements(
        return_id, lines=[line], actor=principal.username, now=now
    )
    return PageAnswer(location=f"/vendor-returns?{urlencode({'depot': record.depot})}")


ROUTES = [
    notices_page,
    notice_page,
    counts_page,
    count_open,
    count_page,
    count_line,
    count_close,
    count_approve,
    returns_page,
    return_receive,
    vendor_returns_page,
    vendor_return_open,
    vendor_return_ship,
    vendor_return_credit,
    vendor_return_replacements,
]
