"""The OpenAPI document: what each operation can answer, who may call it, and what its bodies look like.

Problems. Every error of the service is an RFC 9457 problem (``application/problem+json``, `Problem`). Which
statuses an operation can answer follows from what it takes and who may call it, so `ProblemResponses`
derives them as routes are registered instead of every handler listing them by hand:

* every operation behind a token: 400 (a malformed request: bad JSON, control characters in the path or
  query), 401, 503 (the database is unreachable);
* with a role guard: 403; with path parameters, a body or a query: 404 and 422;
* with a body: 413 and 415; a POST: 409;
* a handler whose statuses follow no such rule lists them in ``opt={"problems": (...)}`` (the token
  endpoint).

Who may call it. A handler writes what it does (``summary=``, ``description=`` on its route decorator);
`OperationNotes` adds what follows from the route itself, so that it cannot drift from it: the roles its
`api.security.allow` guards admit (a customer only for its own company), or that it needs no token, and
whether an ``Idempotency-Key`` makes it safe to retry.

Bodies. `ModelSchemas` documents pydantic models as Litestar does, with two things Litestar 2.25 leaves out:
a model's own examples (``json_schema_extra={"examples": [...]}`` in its ``model_config``, as pydantic
documents them) and a ``RootModel`` as its root type (Litestar documents an object with a ``root`` field).

Groups. `TAGS` names the resources in the order a reader meets them, each with what it holds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from http import HTTPStatus
from inspect import cleandoc
from typing import TYPE_CHECKING, Any

from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import (
    BaseSchemaObject,
    OpenAPIFormat,
    OpenAPIHeader,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    Reference,
    RequestBody,
    Schema,
    Tag,
)
from litestar.params import HeaderParameter, ParameterKwarg
from litestar.plugins import ReceiveRoutePlugin
from litestar.plugins.pydantic import PydanticSchemaPlugin
from litestar.routes import BaseRoute, HTTPRoute
from litestar.typing import FieldDefinition
from pydantic import BaseModel, ConfigDict, Field, RootModel

from api.idempotency import HEADER as IDEMPOTENCY_HEADER
from api.security import OPEN_PATHS
from api.settings import Settings
from inventory.accounts import IDEMPOTENCY_RETENTION, Role

if TYPE_CHECKING:
    from litestar._openapi.schema_generation import SchemaCreator

PROBLEM_MEDIA_TYPE = "application/problem+json"

DESCRIPTIONS = {
    400: "Malformed request: invalid or too deeply nested JSON, or control characters in the path or query.",
    401: "No valid bearer token or session.",
    403: "The caller's role may not do this.",
    404: "Not found, or not visible to the caller.",
    409: "Conflicts with the current state; the problem says what to do.",
    413: "The body is larger than MAX_BODY_BYTES.",
    415: "The body is not JSON (Content-Type must be application/json).",
    422: "The request is not valid or breaks a rule; ``errors`` names each bad field.",
    429: "Too many attempts; retry after the time in Retry-After.",
    503: "The database is unavailable or busy; retry after the time in Retry-After.",
}

QUERY_DEPENDENCIES = frozenset({"page"})
"""Dependencies that read query parameters of their own (``limit``, ``offset``)."""


class FieldError(BaseModel):
    field: str = Field(description="The bad field: a body path such as lines[0].quantity, or a parameter.")
    message: str | None


class Problem(BaseModel):
    """An RFC 9457 problem. ``status`` is always the HTTP status; a domain problem adds its own members."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(description="A URN naming the kind of problem, e.g. urn:spareline:problem:not-found.")
    title: str
    status: int = Field(ge=400, le=599)
    detail: str | None = None
    errors: list[FieldError] | None = Field(default=None, description="Each bad field (422).")


def problem_responses(statuses: set[int]) -> dict[int, ResponseSpec]:
    """Response specs for ``statuses``, each a problem document."""
    return {
        status: ResponseSpec(
            data_container=Problem,
            media_type=PROBLEM_MEDIA_TYPE,
            description=DESCRIPTIONS.get(status, HTTPStatus(status).phrase),
            generate_examples=False,
        )
        for status in sorted(statuses)
    }


def statuses_for(handler: HTTPRouteHandler, *, path: str, path_parameters: bool) -> set[int]:
    """The problem statuses ``handler`` can answer (see the module's documentation)."""
    if "problems" in handler.opt:
        return set(handler.opt["problems"])
    if path.startswith("/schema") or path == "/health":
        return set()
    statuses = {400, 503}
    if not any(re.match(pattern, path) for pattern in OPEN_PATHS):
        statuses.add(401)
    if handler.resolve_guards():
        statuses.add(403)
    parameters = handler.parsed_fn_signature.parameters
    has_body = "data" in parameters or "body" in parameters
    has_query = any(
        isinstance(field.kwarg_definition, ParameterKwarg) or name in QUERY_DEPENDENCIES
        for name, field in parameters.items()
    )
    if has_body or has_query or path_parameters:
        statuses |= {404, 422}
    if has_body:
        statuses |= {413, 415}
    if "POST" in handler.http_methods:
        statuses.add(409)
    return statuses


class ProblemResponses(ReceiveRoutePlugin):
    """Documents the problem responses of every HTTP operation as its route is registered; responses a
    handler declares itself are kept."""

    def receive_route(self, route: BaseRoute) -> None:
        if not isinstance(route, HTTPRoute):
            return
        for handler in route.route_handlers:
            statuses = statuses_for(handler, path=route.path, path_parameters=bool(route.path_parameters))
            own: dict[int, Any] = dict(handler.responses or {})
            handler.responses = {**problem_responses(statuses), **own}


@dataclass
class OptionalBodyOperation(Operation):
    """An operation whose JSON body may be left out (Litestar documents every body as required)."""

    def __post_init__(self) -> None:
        if isinstance(self.request_body, RequestBody):
            self.request_body.required = False


@dataclass
class DocumentUploadOperation(Operation):
    """An operation whose body is a document's raw bytes (a PDF, PNG or JPEG file), not JSON."""

    def __post_init__(self) -> None:
        binary = OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY))
        self.request_body = RequestBody(
            content=dict.fromkeys(("application/pdf", "image/png", "image/jpeg"), binary),
            description="The document's bytes; its type is told by its content.",
            required=True,
        )


@dataclass
class DocumentDownloadOperation(Operation):
    """An operation that answers a document's own bytes: a PDF, PNG or JPEG file."""

    def __post_init__(self) -> None:
        found = (self.responses or {}).get("200")
        if isinstance(found, OpenAPIResponse):
            binary = OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY))
            found.content = dict.fromkeys(("application/pdf", "image/png", "image/jpeg"), binary)


ACCEPTED_HEADERS = {
    "Location": "Where the solve is: GET it until its state is done (then it names the plan) or failed.",
    "Preference-Applied": "respond-async, when the request asked for it (RFC 7240).",
}


@dataclass
class AcceptedOperation(Operation):
    """An operation that may answer 202 Accepted with a solve: its 202 documents the solve's
    ``Location`` and ``Preference-Applied``."""

    def __post_init__(self) -> None:
        accepted = (self.responses or {}).get("202")
        if isinstance(accepted, OpenAPIResponse):
            accepted.headers = {
                name: OpenAPIHeader(
                    schema=Schema(type=OpenAPIType.STRING), description=text, required=name == "Location"
                )
                for name, text in ACCEPTED_HEADERS.items()
            }


def is_open(path: str) -> bool:
    """Whether the route at ``path`` needs no token (`api.security.OPEN_PATHS`)."""
    return any(re.match(pattern, path) for pattern in OPEN_PATHS)


def admitted_roles(handler: HTTPRouteHandler) -> frozenset[Role] | None:
    """The roles that every role guard of ``handler`` admits (each `api.security.allow` guard carries its
    ``roles``), or None for a handler without one."""
    admitted: frozenset[Role] | None = None
    for guard in handler.resolve_guards():
        roles = getattr(guard, "roles", None)
        if roles is not None:
            admitted = frozenset(roles) if admitted is None else admitted & roles
    return admitted


def takes_idempotency_key(handler: HTTPRouteHandler) -> bool:
    """Whether ``handler`` reads an ``Idempotency-Key`` header (`api.idempotency.idempotent` adds it)."""
    return any(
        isinstance(field.kwarg_definition, HeaderParameter)
        and field.kwarg_definition.name == IDEMPOTENCY_HEADER
        for field in handler.parsed_fn_signature.parameters.values()
    )


def who_may_call(handler: HTTPRouteHandler, *, path: str) -> str | None:
    """The operation's callers in words: anyone (an open path), or the roles its guards admit."""
    if is_open(path):
        return "**Who may call it:** anyone; no token is needed."
    roles = admitted_roles(handler)
    if roles is None:
        return None
    names = ", ".join(role.value for role in Role if role in roles)
    text = f"**Roles:** {names}. Any other role is refused (403)."
    if Role.CUSTOMER in roles:
        text += (
            " A customer user sees and acts on its own company's records only: another company's are "
            "not found (404)."
        )
    return text


RETRY_NOTE = (
    f"**Safe to retry** with an `{IDEMPOTENCY_HEADER}` header: the same key and body within "
    f"{IDEMPOTENCY_RETENTION.total_seconds() / 3600:g} h give the first answer again, marked "
    "`Idempotency-Replayed: true`, and change nothing more; the same key with another body is a 422."
)


def operation_notes(handler: HTTPRouteHandler, *, path: str) -> str:
    """What the route itself says about an operation: who may call it, and whether it is safe to retry."""
    notes = [who_may_call(handler, path=path), RETRY_NOTE if takes_idempotency_key(handler) else None]
    return "\n\n".join(note for note in notes if note)


class OperationNotes(ReceiveRoutePlugin):
    """Ends every operation's description with `operation_notes`, derived from its route as the route is
    registered, so that the document names the roles the guards really admit."""

    def receive_route(self, route: BaseRoute) -> None:
        if not isinstance(route, HTTPRoute):
            return
        for handler in route.route_handlers:
            notes = operation_notes(handler, path=route.path)
            own = handler.description or ""
            # A route is received again when another route joins its path: add the notes once.
            if notes and not own.endswith(notes):
                handler.description = f"{own}\n\n{notes}" if own else notes


def model_examples(model: type[BaseModel]) -> list[Any] | None:
    """The examples a model declares in its ``model_config`` (``json_schema_extra={"examples": [...]}``)."""
    extra = model.model_config.get("json_schema_extra")
    examples = extra.get("examples") if isinstance(extra, dict) else None
    return list(examples) if isinstance(examples, list) else None


@dataclass
class Verbatim(BaseSchemaObject):
    """A value the document carries as it is. Litestar leaves out the null members of the values it
    renders, but an example's nulls belong to it (a required nullable field); a spec object renders itself
    (`BaseSchemaObject.to_schema`), and this one renders its value untouched."""

    value: Any

    def to_schema(self) -> Any:  # type: ignore[override]
        return self.value


class ModelSchemas(PydanticSchemaPlugin):
    """Pydantic models as Litestar documents them, with their own examples, and a ``RootModel`` documented as
    its root type (a discriminated union as the ``oneOf`` of its members, each naming its ``type``).

    Registered before `litestar.plugins.pydantic.PydanticPlugin` (whose schema plugin it replaces: Litestar
    uses the first schema plugin that takes a type)."""

    def to_openapi_schema(self, field_definition: FieldDefinition, schema_creator: SchemaCreator) -> Schema:
        model = field_definition.annotation
        if isinstance(model, type) and issubclass(model, RootModel):
            schema = self._root_schema(model, schema_creator)
        else:
            schema = super().to_openapi_schema(field_definition, schema_creator)
        if isinstance(model, type) and issubclass(model, BaseModel) and (examples := model_examples(model)):
            schema.examples = [Verbatim(example) for example in examples]
        return schema

    @staticmethod
    def _root_schema(model: type[RootModel[Any]], schema_creator: SchemaCreator) -> Schema:
        root = model.model_fields["root"]
        documented = schema_creator.for_field_definition(FieldDefinition.from_annotation(root.annotation))
        schema = Schema(one_of=[documented]) if isinstance(documented, Reference) else documented
        if model.__doc__:
            schema.description = cleandoc(model.__doc__)
        return schema


TAGS = [
    Tag(name=name, description=description)
    for name, description in (
        ("accounts", "Sign in for a bearer token; user administration."),
        ("depots", "Central warehouses, regional hubs and forward stocking locations."),
        ("parts", "The catalogue of part numbers: serialized or bulk, secure media or not."),
        (
            "stock",
            "Receipts, transfers between depots, corrections, stock levels per depot and part, and every "
            "serial's life in the ledger.",
        ),
        (
            "counts",
            "Stock counts of a depot (one line per scan, variances, a second person's approval) and "
            "write-offs of serialized units.",
        ),
        (
            "returns",
            "Failed units expected back from customers, booked in graded, and returns to vendors under "
            "their RMA numbers.",
        ),
        (
            "replenishment",
            "Stock policies per depot and part, the depot hierarchy, and suggested transfers and purchases "
            "from demand forecasts of intermittent demand, accepted into transfers.",
        ),
        ("customers", "Customer companies with their tier and entitlements, and their sites."),
        ("assets", "The installed base: each asset's warranty end and coverage phase."),
        (
            "tickets",
            "Fault tickets with their SLA clocks and delivery promise, their events, and the parts reserved "
            "for them.",
        ),
        ("reservations", "Parts held for a ticket at a depot: issue them, or release them."),
        (
            "replacement requests",
            "A customer's request for a part: what fits the asset, the entitlement decision and its charge, "
            "the dispatcher's queue, withdrawal.",
        ),
        (
            "fulfilment",
            "How each reserved part reaches its site (one way: van, engineer or customer collection) with "
            "its committed ETA, and the dispatcher's list of tickets that lost what was arranged.",
        ),
        ("routing", "Next-business-day delivery plans and urgent 4-hour deliveries, by van from the depots."),
        ("dispatch", "Engineer visits: who goes where, collecting which part on the way."),
        ("solves", "Plans being made: follow a solve until it names its plan or its problem."),
        ("fleet", "Courier vans, field engineers and periodic inspections."),
        (
            "notifications",
            "Webhook and e-mail subscriptions to ticket, plan and stop events, signed as Standard "
            "Webhooks says, with each subscription's delivery log.",
        ),
        (
            "secure media",
            "Failed data-bearing parts kept by classified customers: custody, destruction (NIST SP 800-88 "
            "fields), verification and certificates.",
        ),
        ("compliance", "The secure media report: totals, overdue parts and ageing, in JSON or CSV."),
        ("audit", "The tamper-evident audit chain: verify it, and export its signed checkpoints."),
        ("health", "Liveness and readiness of the service; no token needed."),
    )
]
"""The resources of the API in the order a reader meets them (operations are grouped by these)."""


def describe_service(settings: Settings, *, token_path: str) -> str:
    """The document's description: what Spareline is and how to use its API (with ``settings``' limits)."""
    return f"""\
Spareline keeps the spare parts of after-sales support: stock across depots with serial, box and batch
traceability in an append-only ledger; fault tickets with their SLA clocks and delivery promise (next
business day or 4 hours); parts reserved at the depot that can keep the promise; delivery routes and
engineer visits; the custody and destruction record of failed data-bearing parts that classified customers
keep; and a tamper-evident audit chain of every change.

**Authentication.** Exchange a username and password for a bearer token at `POST {token_path}`, then
send `Authorization: Bearer <token>` with every request. A token lasts `expires_in` seconds
({settings.token_ttl_seconds} here); sign in again when it has expired. Each operation names the roles that
may call it (admin, warehouse, dispatcher, compliance, customer); a customer user sees only its own
company's records, and another company's are not found (404). `/health`, `/health/ready` and this document
need no token.

**Problems.** Every error is an RFC 9457 problem document (`application/problem+json`): `type` (a URN such
as `urn:spareline:problem:not-found`), `title`, `status`, `detail`, and for a 422 `errors`, one entry per
bad field. A domain problem adds members of its own (a reservation no depot can keep names the nearest
alternatives). A 429 or a 503 says in `Retry-After` when to try again. A request that fails changes
nothing.

**Idempotency keys.** The POSTs that change something take an `Idempotency-Key` header (1 to 255
characters, e.g. a UUID). The same key and body within {IDEMPOTENCY_RETENTION.total_seconds() / 3600:g} h
give the first answer again, marked `Idempotency-Replayed: true`, without doing anything twice; the same key
with another body is a 422. Keys belong to the user, the method and the path.

**Pagination.** Lists take `limit` (default {settings.default_page_size}, at most {settings.max_page_size})
and `offset`, and answer `{{"items", "limit", "offset", "next_offset"}}`; `next_offset` is null on the last
page.

**Times** are ISO 8601 with an offset. Send them with yours (`2026-12-07T09:18:00+08:00`); answers give them
in UTC (`2026-12-07T01:18:00Z`). Dates (`2026-12-08`) and times of day (`08:30`) are local to the depot or
site, whose `timezone` is named (`Asia/Shanghai`). Business-hours SLA clocks count 9:00-18:00 on China's
working days, make-up working days included.
"""
