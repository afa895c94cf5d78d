"""The dispatcher's attention list: tickets that lost what was arranged for them.

* ``GET /dispatch/attention`` the open items, oldest first: which ticket, what happened (e.g. its
  reserved part went to a more urgent ticket), the plan and stop that lost it, when
  (`inventory.tickets.attention_list`, as ``GET /api/v1/dispatch/attention``);
* ``POST /dispatch/attention/{id}/resolve`` takes an item off the list once the dispatcher has dealt with it
  (`inventory.tickets.resolve_attention`, as ``POST /api/v1/dispatch/attention/{id}/resolve``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import Request, get, post
from litestar.di import NamedDependency

from api.idempotency import PageAnswer, idempotent_page
from api.pagination import PageRequest, page_of
from api.params import PathId
from api.security import allow
from api.web.render import render_page
from inventory import tickets
from inventory.accounts import Principal, Role
from presentation import N_, VOCABULARY

DISPATCHERS = (Role.DISPATCHER, Role.ADMIN)
TEMPLATE = "pages/attention/list.html"

VOCABULARY.define(
    "attention-reason",
    {
        "preempted": N_("Its reserved part went to a more urgent ticket"),
        "stop_failed": N_("A planned stop for it failed; the next re-plan plans it again"),
    },
)


@get("/dispatch/attention", name="attention", guards=[allow(*DISPATCHERS)])
async def attention(request: Request[Any, Any, Any], page: NamedDependency[PageRequest]) -> Any:
    """The open items of the dispatcher's list, oldest first."""
    items = page_of(await tickets.attention_list(limit=page.fetch, offset=page.offset), page)
    resolved = request.query_params.get("resolved")
    return render_page(request, TEMPLATE, {"page": items, "resolved": resolved})


@post("/dispatch/attention/{item_id:int}/resolve", name="attention-resolve", guards=[allow(*DISPATCHERS)])
@idempotent_page
async def resolve(
    request: Request[Any, Any, Any],
    item_id: PathId,
    principal: NamedDependency[Principal],
    now: NamedDependency[datetime],
) -> PageAnswer:
    """Take an item off the list."""
    await tickets.resolve_attention(item_id, actor=principal.username, now=now)
    return PageAnswer(location=f"/dispatch/attention?resolved={item_id}")


ROUTES = [attention, resolve]
