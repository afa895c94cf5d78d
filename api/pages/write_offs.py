"""The warehouse's write-offs screen, on the same services as the API (`inventory.stock.write_offs`, decided
through `inventory.quarantine`, which refuses to scrap returned secure media before its sanitization is
verified):

* ``GET /write-offs?depot=``: a depot's write-offs, newest first, and the form that asks for one (part
  number and serial typed or scanned, scrapped or lost, and why);
* ``POST /write-offs``: ask for a unit to be written off; a refusal is shown in words beside what was
  typed;
* ``POST /write-offs/{id}/approve``, ``.../reject``: a second person approves (the unit is booked out),
  or anyone rejects; who asked may withdraw it by rejecting.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
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
from api.web.errors import refusal
from api.web.forms import read_form
from api.web.locale import presenter_of
from api.web.render import render_page
from inventory import quarantine
from inventory.accounts import Principal, Role
from inventory.errors import AlreadyExists, DomainError, InvalidRequest
from inventory.stock import UnitStatus, write_offs
from presentation import N_, VOCABULARY

WAREHOUSE = (Role.WAREHOUSE, Role.ADMIN)
TEMPLATE = "pages/write_offs/list.html"
OUTCOMES = ("scrapped", "lost")

VOCABULARY.define(
    "write-off-status",
    {
        "pending": N_("Waiting for a second person"),
        "approved": N_("Approved, booked out"),
        "rejected": N_("Rejected"),
    },
)
FIELD_WORDS = {
    ("invalid", "depot"): N_("Unknown depot"),
    ("invalid", "part_number"): N_("Unknown part, or a bulk part: bulk stock is corrected by a count"),
    ("invalid", "serial"): N_("No unit with this serial is available, quarantined or defective at the depot"),
    ("invalid", "outcome"): N_("Choose scrapped or lost"),
    ("invalid", "reason"): N_("Say why the unit is written off"),
    ("exists", "serial"): N_("A write-off of this unit is already waiting for a second person"),
}
"""What a refusal of the form says beside the field it names."""


class WriteOffForm(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    depot: str = Field(min_length=1, max_length=32)
    part_number: str = Field(min_length=1, max_length=64)
    serial: str = Field(min_length=1, max_length=100)
    outcome: Literal["scrapped", "lost"]
    reason: str = Field(min_length=1, max_length=500)


async def _context(
    request: Request[Any, Any, Any],
    depot: str | None,
    page: PageRequest,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    refused: dict[str, Any] | None = None,
) -> dict[str, Any]:
    depots = await all_depots()
    chosen = chosen_code(depot, depots)
    rows = await write_offs.list_write_offs(depot=chosen, status=None, limit=page.fetch, offset=page.offset)
    asked = request.query_params.get("asked")
    return {
        "depots": depots,
        "depot": chosen,
        "rows": page_of(rows, page),
        "zones": zones(depots),
        "outcomes": OUTCOMES,
        "values": values or {"outcome": "scrapped"},
        "errors": errors or {},
        "refused": refused,
        "asked": int(asked) if asked and asked.isdigit() else None,
    }


@get("/write-offs", name="write-offs", guards=[allow(*WAREHOUSE)])
async def write_offs_page(
    request: Request[Any, Any, Any],
    page: NamedDependency[PageRequest],
    depot: Annotated[str | None, QueryParameter(max_length=32)] = None,
) -> Any:
    """A depot's write-offs, newest first, each pending one with Approve and Reject, and the form that
    asks for one."""
    return render_page(request, TEMPLATE, await _context(request, depot, page), block="results")


@post("/write-offs", name="write-off-request", guards=[allow(*WAREHOUSE)])
async def write_off_request(
    request: Request[Any, Any, Any],
    page: NamedDependency[PageRequest],
    principal: NamedDependency[Principal],
    now: NamedDependency[datetime],
) -> Any:
    """Ask for a unit to be written off; a form the service refuses comes back with its words."""
    form = await read_form(request, WriteOffForm)
    depot = str(form.values.get("depot") or "") or None
    if form.data is None:
        context = await _context(request, depot, page, values=form.values, errors=form.errors)
        return render_page(request, TEMPLATE, context, status_code=HTTP_422_UNPROCESSABLE_ENTITY)
    try:
        return await _requested(
            request=request, principal=principal, now=now, data=form.data, idempotency_key=None
        )
    except (InvalidRequest, AlreadyExists) as exc:
        status, refused = refusal(exc)
        errors = _field_errors(request, exc)
        context = await _context(request, depot, page, values=form.values, errors=errors, refused=refused)
        return render_page(request, TEMPLATE, context, status_code=status)


def _field_errors(request: Request[Any, Any, Any], exc: DomainError) -> dict[str, str]:
    kind = "exists" if isinstance(exc, AlreadyExists) else "invalid"
    name = str(exc.details.get("field") or "")
    words = FIELD_WORDS.get((kind, name))
    return {name: presenter_of(request).gettext(words)} if words else {}


@idempotent_page
async def _requested(
    request: Request[Any, Any, Any], principal: Principal, now: datetime, data: WriteOffForm
) -> PageAnswer:
    record = await write_offs.request_write_off(
        part_number=data.part_number,
        depot=data.depot,
        serial=data.serial,
        outcome=UnitStatus(data.outcome),
        reason=data.reason,
        actor=principal.username,
        now=now,
    )
    return PageAnswer(location=f"/write-offs?{urlencode({'depot': record.depot, 'asked': record.id})}")


@post("/write-offs/{write_off_id:int}/approve", name="write-off-approve", guards=[allow(*WAREHOUSE)])
@idempotent_page
async def write_off_approve(
    request: Request[Any, Any, Any],
    write_off_id: PathId,
    principal: NamedDependency[Principal],
    now: NamedDependency[datetime],
) -> PageAnswer:
    """A second person approves: the unit leaves the depot as scrapped or lost."""
    record = await quarantine.decide_write_off(write_off_id, approve=True, actor=principal.username, now=now)
    return PageAnswer(location=f"/write-offs?{urlencode({'depot': record.depot})}")


@post("/write-offs/{write_off_id:int}/reject", name="write-off-reject", guards=[allow(*WAREHOUSE)])
@idempotent_page
async def write_off_reject(
    request: Request[Any, Any, Any],
    write_off_id: PathId,
    principal: NamedDependency[Principal],
    now: NamedDependency[datetime],
) -> PageAnswer:
    """Reject (or, for who asked, withdraw) a write-off: nothing is booked."""
    record = await quarantine.decide_write_off(write_off_id, approve=False, actor=principal.username, now=now)
    return PageAnswer(location=f"/write-offs?{urlencode({'depot': record.depot})}")


ROUTES = [write_offs_page, write_off_request, write_off_approve, write_off_reject]
