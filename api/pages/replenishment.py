"""The replenishment screens: a depot's suggestions with their reasons and an accept button
(``/replenishment``), and its stock policies, to view and set (``/replenishment/policies``).

Handlers are thin: they call the same services as the JSON API (`inventory.planning`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import PathParameter, QueryParameter
from litestar.status_codes import HTTP_422_UNPROCESSABLE_ENTITY
from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.idempotency import PageAnswer, idempotent_page
from api.pagination import PageRequest, page_of
from api.security import allow
from api.web.forms import read_form
from api.web.render import render_page
from inventory import planning, stock
from inventory.accounts import Principal, Role
from inventory.errors import NotFound
from inventory.planning import PolicyKind
from presentation import N_, VOCABULARY

PLANNERS = (Role.WAREHOUSE, Role.ADMIN)

VOCABULARY.define(
    "suggestion-kind",
    {"transfer": N_("Transfer from the supplying depot"), "purchase": N_("Purchase from a supplier")},
)
VOCABULARY.define(
    "policy-kind",
    {
        "min_max": N_("Minimum and maximum"),
        "reorder_point": N_("Reorder point and order-up-to level"),
        "auto": N_("Automatic, from the demand forecast"),
    },
)
VOCABULARY.define(
    "demand-class",
    {
        "smooth": N_("Smooth"),
        "erratic": N_("Erratic"),
        "intermittent": N_("Intermittent"),
        "lumpy": N_("Lumpy"),
    },
)
VOCABULARY.define(
    "forecast-method",
    {
        "croston": N_("Croston"),
        "sba": N_("Syntetos-Boylan approximation"),
        "tsb": N_("Teunter-Syntetos-Babai"),
    },
)
VOCABULARY.define(
    "problem",
    {
        "suggestion-stale": N_(
            "This suggestion no longer matches the stock, the policy or the forecast. The list shows what "
            "to order now."
        ),
        "suggestion-accepted": N_("This suggestion was already accepted."),
    },
)

SuggestionId = Annotated[
    str, PathParameter(min_length=20, max_length=64, pattern=r"^[0-9]+-[0-9]+-[0-9a-f]{16}$")
]


class PolicyForm(BaseModel):
    """A depot's policy for a part."""

    model_config = ConfigDict(str_strip_whitespace=True)

    depot: str = Field(min_length=1, max_length=32)
    part_number: str = Field(min_length=1, max_length=64)
    kind: PolicyKind
    reorder_level: int | None = Field(default=None, ge=0, le=1_000_000)
    target_level: int | None = Field(default=None, ge=0, le=1_000_000)

    @model_validator(mode="after")
    def _levels_fit_the_kind(self) -> PolicyForm:
        if self.kind is PolicyKind.AUTO:
            self.reorder_level = self.target_level = None
        elif self.reorder_level is None or self.target_level is None:
            raise ValueError(N_("Give both levels, or choose the automatic policy"))
        elif self.target_level < self.reorder_level:
            raise ValueError(N_("The target level is below the reorder level"))
        return self


async def _depots() -> list[stock.DepotRecord]:
    return await stock.list_depots(limit=1_000, offset=0)


def _chosen(code: str | None, depots: list[stock.DepotRecord]) -> stock.DepotRecord:
    """The depot named by ``code``, else the first one.

    Raises:
        NotFound: ``code`` names no depot, or there is none.
    """
    for depot in depots:
        if depot.code == code or not code:
            return depot
    raise NotFound(f"depot {code} not found" if code else "there are no depots yet")


@get("/replenishment", name="replenishment", guards=[allow(*PLANNERS)])
async def suggestions_page(
    request: Request[Any, Any, Any],
    page: NamedDependency[PageRequest],
    depot: Annotated[str | None, QueryParameter(max_length=32)] = None,
    accepted: Annotated[str | None, QueryParameter(max_length=64)] = None,
    transfer: Annotated[int | None, QueryParameter(ge=1, le=2_000_000_000)] = None,
) -> Any:
    """What a depot should order now, each suggestion with its reasons, to accept."""
    depots = await _depots()
    chosen = _chosen(depot, depots)
    found = await planning.suggestions(chosen.code)
    routes = {route.depot: route for route in await planning.supply_routes()}
    context = {
        "depots": depots,
        "depot": chosen,
        "route": routes.get(chosen.code),
        "rows": page_of(found[page.offset : page.offset + page.fetch], page),
        "accepted": accepted,
        "transfer": transfer,
    }
    return render_page(request, "pages/replenishment/suggestions.html", context, block="results")


@post("/replenishment/{suggestion_id:str}/accept", name="replenishment-accept", guards=[allow(*PLANNERS)])
@idempotent_page
async def accept_suggestion(
    request: Request[Any, Any, Any],
    suggestion_id: SuggestionId,
    principal: NamedDependency[Principal],
    now: NamedDependency[datetime],
) -> PageAnswer:
    """Accept a suggestion (the same service as the API): the transfer leaves, or the purchase is on order."""
    record = await planning.accept(suggestion_id, actor=principal.username, now=now)
    query = {"depot": record.depot, "accepted": record.part_number}
    if record.transfer_id is not None:
        query["transfer"] = str(record.transfer_id)
    return PageAnswer(location=f"/replenishment?{urlencode(query)}")


@get("/replenishment/policies", name="replenishment-policies", guards=[allow(*PLANNERS)])
async def policies_page(
    request: Request[Any, Any, Any],
    page: NamedDependency[PageRequest],
    depot: Annotated[str | None, QueryParameter(max_length=32)] = None,
    saved: Annotated[str | None, QueryParameter(max_length=64)] = None,
) -> Any:
    """A depot's stock policies with the levels in force and the forecasts behind the automatic ones."""
    depots = await _depots()
    chosen = _chosen(depot, depots)
    return render_page(
        request,
        "pages/replenishment/policies.html",
        await _policies_context(chosen, depots, page, saved=saved),
        block="results",
    )


@post("/replenishment/policies", name="replenishment-policy-set", guards=[allow(*PLANNERS)])
async def set_policy(
    request: Request[Any, Any, Any],
    page: NamedDependency[PageRequest],
    principal: NamedDependency[Principal],
    now: NamedDependency[datetime],
) -> Any:
    """Set a part's policy at the depot (the same service as the API); then the depot's policies."""
    form = await read_form(request, PolicyForm)
    if form.data is None:
        depots = await _depots()
        chosen = _chosen(str(form.values.get("depot") or ""), depots)
        context = await _policies_context(chosen, depots, page, values=form.values, errors=form.errors)
        return render_page(
            request, "pages/replenishment/policies.html", context, status_code=HTTP_422_UNPROCESSABLE_ENTITY
        )
    return await _save_policy(
        request=request, principal=principal, now=now, data=form.data, idempotency_key=None
    )


@idempotent_page
async def _save_policy(
    request: Request[Any, Any, Any], principal: Principal, now: datetime, data: PolicyForm
) -> PageAnswer:
    await planning.set_policy(
        depot=data.depot,
        part_number=data.part_number,
        kind=data.kind,
        reorder_level=data.reorder_level,
        target_level=data.target_level,
        actor=principal.username,
        now=now,
    )
    query = urlencode({"depot": data.depot, "saved": data.part_number})
    return PageAnswer(location=f"/replenishment/policies?{query}")


async def _policies_context(
    chosen: stock.DepotRecord,
    depots: list[stock.DepotRecord],
    page: PageRequest,
    *,
    saved: str | None = None,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
) -> dict[str, Any]:
    rows = await planning.list_policies(
        depot=chosen.code, part_number=None, limit=page.fetch, offset=page.offset
    )
    return {
        "depots": depots,
        "depot": chosen,
        "rows": page_of(rows, page),
        "saved": saved,
        "kinds": list(PolicyKind),
        "values": values or {"kind": "min_max"},
        "errors": errors or {},
    }


ROUTES = [suggestions_page, accept_suggestion, policies_page, set_policy]
