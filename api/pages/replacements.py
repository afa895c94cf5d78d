"""The dispatcher's queue of replacement requests that stock or time cannot keep: each with why, the
ticket and customer, and the depots that have the part (how many, when it would arrive, whether that
keeps the promise).

* ``GET /replacements`` the queue, oldest first (`inventory.tickets.list_requests` with state
  ``pending_dispatcher``, as ``GET /api/v1/replacement-requests?state=pending_dispatcher``);
* ``POST /replacements/{id}/approve`` reserves the part at the chosen depot (as
  ``POST /api/v1/replacement-requests/{id}/approve``);
* ``POST /replacements/{id}/refuse`` refuses it with a note the customer reads.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.status_codes import HTTP_422_UNPROCESSABLE_ENTITY
from pydantic import BaseModel, ConfigDict, Field

from api.controllers.replacements import hold_terms
from api.idempotency import PageAnswer, idempotent_page
from api.pagination import PageRequest, page_of
from api.params import PathId
from api.security import allow
from api.settings import Settings
from api.web.forms import read_form
from api.web.render import render_page
from inventory import tickets
from inventory.accounts import Principal, Role
from presentation import N_, VOCABULARY

DISPATCHERS = (Role.DISPATCHER, Role.ADMIN)
TEMPLATE = "pages/replacements/queue.html"
PENDING = "pending_dispatcher"

VOCABULARY.define(
    "replacement-charge",
    {"free": N_("Free of charge"), "at_cost": N_("Charged at cost")},
)


class ApproveForm(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    depot: str = Field(min_length=1, max_length=32)


class RefuseForm(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    note: str = Field(min_length=1, max_length=500)


@get("/replacements", name="replacements", guards=[allow(*DISPATCHERS)])
async def queue(request: Request[Any, Any, Any], page: NamedDependency[PageRequest]) -> Any:
    """The requests waiting for a dispatcher, oldest first, with their alternatives."""
    rows = await tickets.list_requests(
        ticket=None, state=PENDING, viewer=None, limit=page.fetch, offset=page.offset
    )
    done = request.query_params.get("done")
    return render_page(request, TEMPLATE, {"page": page_of(rows, page), "done": done, "errors": {}})


@post("/replacements/{request_id:int}/approve", name="replacement-approve", guards=[allow(*DISPATCHERS)])
async def approve(
    request: Request[Any, Any, Any],
    request_id: PathId,
    principal: NamedDependency[Principal],
    now: NamedDependency[datetime],
    settings: NamedDependency[Settings],
    page: NamedDependency[PageRequest],
) -> Any:
    """Reserve the part at the chosen depot for the request."""
    form = await read_form(request, ApproveForm)
    if form.data is None:
        return await _invalid(request, page, request_id, form.errors)
    return await _approve(
        request=request,
        principal=principal,
        now=now,
        settings=settings,
        request_id=request_id,
        depot=form.data.depot,
        idempotency_key=None,
    )


@idempotent_page
async def _approve(
    request: Request[Any, Any, Any],
    principal: Principal,
    now: datetime,
    settings: Settings,
    request_id: int,
    depot: str,
) -> PageAnswer:
    await tickets.approve_request(
        request_id, depot=depot, actor=principal.username, now=now, hold=hold_terms(settings)
    )
    return PageAnswer(location=f"/replacements?done={request_id}")


@post("/replacements/{request_id:int}/refuse", name="replacement-refuse", guards=[allow(*DISPATCHERS)])
async def refuse(
    request: Request[Any, Any, Any],
    request_id: PathId,
    principal: NamedDependency[Principal],
    now: NamedDependency[datetime],
    page: NamedDependency[PageRequest],
) -> Any:
    """Refuse the request with a note the customer reads."""
    form = await read_form(request, RefuseForm)
    if form.data is None:
        return await _invalid(request, page, request_id, form.errors)
    return await _refuse(
        request=request,
        principal=principal,
        now=now,
        request_id=request_id,
        note=form.data.note,
        idempotency_key=None,
    )


@idempotent_page
async def _refuse(
    request: Request[Any, Any, Any], principal: Principal, now: datetime, request_id: int, note: str
) -> PageAnswer:
    await tickets.refuse_request(request_id, note=note, actor=principal.username, now=now)
    return PageAnswer(location=f"/replacements?done={request_id}")


async def _invalid(
    request: Request[Any, Any, Any], page: PageRequest, request_id: int, errors: dict[str, str]
) -> Any:
    rows = await tickets.list_requests(
        ticket=None, state=PENDING, viewer=None, limit=page.fetch, offset=page.offset
    )
    context = {"page": page_of(rows, page), "done": None, "errors": {request_id: errors}}
    return render_page(request, TEMPLATE, context, status_code=HTTP_422_UNPROCESSABLE_ENTITY)


ROUTES = [queue, approve, refuse]
