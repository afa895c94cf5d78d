"""The warehouse's searchable lists: serialized units (a batch recall: every unit of a batch and where it
is now), bulk stock by batch (``/stock/batches``), the movement ledger (``/stock/movements``) and goods
receipts (``/receipts``).

Handlers are thin: they read the filters of a GET form, call the same services as the JSON API's lists
(`inventory.stock.lists`) and render a page of rows; htmx asks for the ``results`` block only. Dates are
days in the local time of the chosen depot (of China's zone when no depot is chosen).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from litestar import Request, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from api.pagination import PageRequest, page_of
from api.security import allow
from api.web.render import render_page
from inventory import stock, traceability
from inventory.accounts import Role
from inventory.errors import InvalidRequest
from inventory.stock import MovementKind, UnitStatus

WAREHOUSE = (Role.WAREHOUSE, Role.ADMIN)
BATCH_DEPOTS = 100
"""Depots listed with a recalled batch's bulk stock."""
DEFAULT_ZONE = "Asia/Shanghai"
"""The zone of the date filters when no depot is chosen."""

Code = Annotated[str | None, QueryParameter(max_length=100)]
Day = Annotated[str | None, QueryParameter(max_length=10)]


def _text(value: str | None) -> str | None:
    """A filter as typed: blank is no filter."""
    return (value or "").strip() or None


def _choice(value: str | None, allowed: type[MovementKind] | type[UnitStatus], field: str) -> str | None:
    """A coded filter, one of ``allowed``'s values.

    Raises:
        InvalidRequest: the value is not one of them.
    """
    value = _text(value)
    if value is not None and value not in {member.value for member in allowed}:
        raise InvalidRequest(f"unknown {field} {value!r}", field=field)
    return value


def _day(value: str | None, field: str) -> date | None:
    """A day from a date field (``YYYY-MM-DD``).

    Raises:
        InvalidRequest: it is not a date.
    """
    value = _text(value)
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidRequest(f"{field} must be a date, e.g. 2026-12-07", field=field) from None


def day_window(since: date | None, until: date | None, zone: str) -> tuple[datetime | None, datetime | None]:
    """The instants from the start of ``since`` to the end of ``until`` (both days included) in ``zone``.

    Raises:
        InvalidRequest: ``until`` is before ``since``.
    """
    if since is not None and until is not None and until < since:
        raise InvalidRequest("the last day is before the first", field="until")
    local = ZoneInfo(zone)
    start = datetime.combine(since, time(), local) if since else None
    end = datetime.combine(until + timedelta(days=1), time(), local) if until else None
    return start, end


async def _depots() -> list[stock.DepotRecord]:
    return await stock.list_depots(limit=1_000, offset=0)


def _address(request: Request[Any, Any, Any]) -> str:
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


@get("/stock/units", name="units", guards=[allow(*WAREHOUSE)])
async def units_page(
    request: Request[Any, Any, Any],
    page: NamedDependency[PageRequest],
    part_number: Code = None,
    depot: Code = None,
    status: Code = None,
    box: Code = None,
    batch: Code = None,
) -> Any:
    """Serialized units where they are now, by part, depot, state, box or batch; a batch alone is a
    recall: every unit of the batch wherever it is (issued ones included) and its bulk stock."""
    filters = {
        "part_number": _text(part_number),
        "depot": _text(depot),
        "status": _choice(status, UnitStatus, "status"),
        "box_number": _text(box),
        "batch_number": _text(batch),
    }
    units = await stock.list_units(**filters, limit=page.fetch, offset=page.offset)
    bulk = (
        await stock.list_batches(
            batch_number=filters["batch_number"],
            part_number=filters["part_number"],
            depot=filters["depot"],
            limit=BATCH_DEPOTS,
        )
        if filters["batch_number"]
        else []
    )
    fitted = await traceability.fitted_units(
        (unit.serial, unit.part_number) for unit in units if unit.status == UnitStatus.ISSUED
    )
    depots = await _depots()
    context = {
        "filters": filters,
        "units": page_of(units, page),
        "fitted": fitted,
        "bulk": bulk,
        "depots": depots,
        "zones": {d.code: d.timezone for d in depots},
        "statuses": [member.value for member in UnitStatus],
    }
    return render_page(
        request, "pages/stock_lists/units.html", context, block="results", push_url=_address(request)
    )


@get("/stock/batches", name="batches", guards=[allow(*WAREHOUSE)])
async def batches_page(
    request: Request[Any, Any, Any],
    page: NamedDependency[PageRequest],
    part_number: Code = None,
    depot: Code = None,
    batch: Code = None,
) -> Any:
    """Bulk (counted, not serialized) stock per batch at each depot, by state."""
    filters = {"part_number": _text(part_number), "depot": _text(depot), "batch_number": _text(batch)}
    rows = await stock.list_batches(**filters, limit=page.fetch, offset=page.offset)
    context = {"filters": filters, "rows": page_of(rows, page), "depots": await _depots()}
    return render_page(
        request, "pages/stock_lists/batches.html", context, block="results", push_url=_address(request)
    )


@get("/stock/movements", name="movements", guards=[allow(*WAREHOUSE)])
async def movements_page(
    request: Request[Any, Any, Any],
    page: NamedDependency[PageRequest],
    part_number: Code = None,
    depot: Code = None,
    serial: Code = None,
    kind: Code = None,
    reference: Code = None,
    actor: Code = None,
    since: Day = None,
    until: Day = None,
) -> Any:
    """The append-only ledger, newest first: by part, depot (out of or into it), serial, kind, what
    the movement belongs to, who made it and the days it was made."""
    depots = await _depots()
    zones = {d.code: d.timezone for d in depots}
    filters = {
        "part_number": _text(part_number),
        "depot": _text(depot),
        "serial": _text(serial),
        "kind": _choice(kind, MovementKind, "kind"),
        "reference": _text(reference),
        "actor": _text(actor),
    }
    days = {"since": _day(since, "since"), "until": _day(until, "until")}
    start, end = day_window(days["since"], days["until"], zones.get(filters["depot"] or "", DEFAULT_ZONE))
    rows = await stock.list_movements(**filters, since=start, until=end, limit=page.fetch, offset=page.offset)
    context = {
        "filters": filters | days,
        "rows": page_of(rows, page),
        "depots": depots,
        "zones": zones,
        "kinds": [member.value for member in MovementKind],
    }
    return render_page(
        request, "pages/stock_lists/movements.html", context, block="results", push_url=_address(request)
    )


@get("/receipts", name="receipts", guards=[allow(*WAREHOUSE)])
async def receipts_page(
    request: Request[Any, Any, Any],
    page: NamedDependency[PageRequest],
    depot: Code = None,
    supplier: Code = None,
    reference: Code = None,
    since: Day = None,
    until: Day = None,
) -> Any:
    """Supplier deliveries booked in, newest first: by depot, supplier, delivery note and days."""
    depots = await _depots()
    zones = {d.code: d.timezone for d in depots}
    filters = {"depot": _text(depot), "supplier": _text(supplier), "reference": _text(reference)}
    days = {"since": _day(since, "since"), "until": _day(until, "until")}
    start, end = day_window(days["since"], days["until"], zones.get(filters["depot"] or "", DEFAULT_ZONE))
    rows = await stock.list_receipts(**filters, since=start, until=end, limit=page.fetch, offset=page.offset)
    context = {"filters": filters | days, "rows": page_of(rows, page), "depots": depots, "zones": zones}
    return render_page(
        request, "pages/stock_lists/receipts.html", context, block="results", push_url=_address(request)
    )


ROUTES = [units_page, batches_page, movements_page, receipts_page]
