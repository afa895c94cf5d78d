"""The OpenAPI document tells which problems each operation can answer.

Every error of the service is an RFC 9457 problem (``application/problem+json``, `Problem`). Which
statuses an operation can answer follows from what it takes and who may call it, so `ProblemResponses`
derives them as routes are registered instead of every handler listing them by hand:

* every operation behind a token: 400 (a malformed request: bad JSON, control characters in the path or
  query), 401, 503 (the database is unreachable);
* with a role guard: 403; with path parameters, a body or a query: 404 and 422;
* with a body: 413 and 415; a POST: 409;
* a handler whose statuses follow no such rule lists them in ``opt={"problems": (...)}`` (the token
  endpoint).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPIHeader, OpenAPIResponse, OpenAPIType, Operation, RequestBody, Schema
from litestar.params import ParameterKwarg
from litestar.plugins import ReceiveRoutePlugin
from litestar.routes import BaseRoute, HTTPRoute
from pydantic import BaseModel, ConfigDict, Field

from api.security import OPEN_PATHS

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
    has_body = "data" in parameters
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
