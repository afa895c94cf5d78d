"""One place that turns errors into RFC 9457 problem responses (``application/problem+json``).

Domain errors map by class (the lookup walks the MRO, so subclasses inherit their base's status; a
`Throttled` error is a 429 with ``Retry-After``);
validation errors become 422 naming each bad field as the client sent it; a database that is away (gone,
refusing, locked or too slow) becomes 503 with ``Retry-After``; anything unexpected is logged and becomes a
bare 500.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

import asyncpg
import structlog
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.params import ParameterKwarg
from litestar.plugins.problem_details import (
    ProblemDetailsConfig,
    ProblemDetailsException,
    ProblemDetailsPlugin,
)
from litestar.status_codes import (
    HTTP_403_FORBIDDEN,
    HTTP_404_NOT_FOUND,
    HTTP_409_CONFLICT,
    HTTP_422_UNPROCESSABLE_ENTITY,
    HTTP_429_TOO_MANY_REQUESTS,
    HTTP_500_INTERNAL_SERVER_ERROR,
    HTTP_503_SERVICE_UNAVAILABLE,
)

from inventory.errors import Conflict, DomainError, InvalidRequest, NotFound, NotPermitted, Throttled
from inventory.persistence import DatabaseUnavailable, is_busy, is_unavailable, is_unique_violation
from routing import (
    InfeasiblePlan,
    InvalidProblem,
    NoSolution,
    RoutingError,
    SolveAborted,
    SolverOverran,
)

PROBLEM_TYPE = "urn:spareline:problem:{}"
UNAVAILABLE_RETRY_AFTER_S = "5"
"""``Retry-After`` of a 503 for a database that is away (a lock held past the busy timeout says 1)."""

STATUS_BY_ERROR: dict[type[DomainError], tuple[int, str]] = {
    NotFound: (HTTP_404_NOT_FOUND, "Not found"),
    Conflict: (HTTP_409_CONFLICT, "Conflict with the current state"),
    NotPermitted: (HTTP_403_FORBIDDEN, "Not permitted"),
    InvalidRequest: (HTTP_422_UNPROCESSABLE_ENTITY, "The request breaks a rule"),
    Throttled: (HTTP_429_TOO_MANY_REQUESTS, "Too many attempts"),
    DomainError: (HTTP_422_UNPROCESSABLE_ENTITY, "The request cannot be carried out"),
}

ROUTING_STATUS: dict[type[RoutingError], tuple[int, str]] = {
    InvalidProblem: (HTTP_422_UNPROCESSABLE_ENTITY, "The planning request cannot be solved as given"),
    NoSolution: (HTTP_409_CONFLICT, "No plan keeps the committed stops"),
    SolverOverran: (HTTP_503_SERVICE_UNAVAILABLE, "The solver overran its time limit and was stopped"),
    SolveAborted: (HTTP_503_SERVICE_UNAVAILABLE, "The solve was interrupted; ask again"),
}
"""Routing errors by class. A solver that overran (its process killed) or a solve interrupted by a
restart is the service's momentary failure, not the request's: 503, to ask again (with a smaller time
limit or fewer depots, if it overran). Other routing errors (a plan the checker rejects, a solver process
that crashed) are faults of the service: logged, 500."""

log = structlog.get_logger("api.errors")


def _by_class(
    table: dict[type, tuple[int, str]],
    exc: DomainError | RoutingError,
    headers: dict[str, str] | None = None,
) -> ProblemDetailsException:
    """Status and title from the nearest class of ``exc`` in ``table``; its code, message and details."""
    status, title = next(table[cls] for cls in type(exc).__mro__ if cls in table)
    extra = _jsonable(exc.details)
    if status == HTTP_422_UNPROCESSABLE_ENTITY and isinstance(extra.get("field"), str):
        # Named the same way as a validation error's fields, so that clients read one shape.
        extra.setdefault("errors", [{"field": extra["field"], "message": exc.message}])
    return ProblemDetailsException(
        status_code=status,
        type_=PROBLEM_TYPE.format(exc.code),
        title=title,
        detail=exc.message,
        extra=extra,
        headers=headers,
    )


def domain_problem(exc: DomainError) -> ProblemDetailsException:
    """The problem response for a domain error: status by class, its message and its details; a
    `Throttled` error also says in ``Retry-After`` when to try again."""
    if isinstance(exc, Throttled):
        return _by_class(STATUS_BY_ERROR, exc, headers={"Retry-After": str(exc.retry_after_s)})
    return _by_class(STATUS_BY_ERROR, exc)


def routing_problem(request: Request[Any, Any, Any], exc: RoutingError) -> Response[Any]:
    """Routing errors: bad or oversized problems 422, committed stops that cannot hold 409, a solver
    that overran or a solve interrupted 503.

    A plan rejected by the independent checker is a fault of the service, logged and answered 500.
    """
    if not _routing_status_known(exc):
        return unexpected_problem(request, exc)
    return _by_class(ROUTING_STATUS, exc).to_response(request)


def _routing_status_known(exc: RoutingError) -> bool:
    return not isinstance(exc, InfeasiblePlan) and any(cls in ROUTING_STATUS for cls in type(exc).__mro__)


def problem_document(exc: DomainError | RoutingError) -> dict[str, Any]:
    """The members of the problem document a request failing with ``exc`` is answered with (``type``,
    ``title``, ``status``, ``detail`` and the error's own), e.g. to show why a solve failed."""
    if isinstance(exc, RoutingError):
        problem = _by_class(ROUTING_STATUS, exc) if _routing_status_known(exc) else _internal(exc)
    else:
        problem = domain_problem(exc)
    document: dict[str, Any] = {
        "type": problem.type_,
        "title": problem.title,
        "status": problem.status_code,
        "detail": problem.detail,
    }
    if isinstance(problem.extra, dict):
        document.update(problem.extra)
    return document


def validation_problem(
    exc: ValidationException, names: Mapping[str, str] | None = None
) -> ProblemDetailsException:
    """422 with one entry per bad field: ``{"field": "lines[0].quantity", "message": ...}``. A parameter is
    named as the client sends it (``names``: the handler's name for it to that one)."""
    errors = []
    for item in exc.extra if isinstance(exc.extra, list) else []:
        if isinstance(item, dict):
            message = item.get("message")
            key = item.get("key")
            errors.append(
                {
                    "field": (names or {}).get(key, key) if key else item.get("source") or "body",
                    # Pydantic prefixes the service's own messages; the client needs only the message.
                    "message": message.removeprefix("Value error, ") if isinstance(message, str) else message,
                }
            )
    return ProblemDetailsException(
        status_code=HTTP_422_UNPROCESSABLE_ENTITY,
        type_=PROBLEM_TYPE.format("validation-error"),
        title="The request is not valid",
        detail=exc.detail,
        extra={"errors": errors},
    )


def validation_answer(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    """A validation error's problem, naming each bad parameter as the request did: a handler takes a
    query parameter ``state`` as ``request_state`` (``state`` is the framework's own argument), and the
    client reads ``state``."""
    return validation_problem(exc, parameter_names(request)).to_response(request)


def parameter_names(request: Request[Any, Any, Any]) -> dict[str, str]:
    """The names by which the request's handler and its dependencies take a parameter under another
    name (``QueryParameter(name=...)``) to the names the client sends."""
    handler = request.scope.get("route_handler")
    if handler is None:
        return {}
    signatures = [
        handler.parsed_fn_signature,
        *(provider.parsed_fn_signature for provider in handler.resolve_dependencies().values()),
    ]
    return {
        name: field.kwarg_definition.name
        for signature in signatures
        for name, field in signature.parameters.items()
        if isinstance(field.kwarg_definition, ParameterKwarg) and field.kwarg_definition.name
    }


def http_problem(exc: HTTPException) -> ProblemDetailsException:
    """Litestar's own HTTP errors (401, 403, 404 route, 405, 413 ...) as problems."""
    phrase = HTTPStatus(exc.status_code).phrase
    return ProblemDetailsException(
        status_code=exc.status_code,
        type_=PROBLEM_TYPE.format(phrase.lower().replace(" ", "-")),
        title=phrase,
        detail=exc.detail,
        headers=exc.headers,
        extra=exc.extra if isinstance(exc.extra, dict) else None,
    )


def database_problem(exc: Exception) -> ProblemDetailsException:
    """A constraint the service did not pre-check (a race lost to a concurrent request) is a conflict."""
    if is_unique_violation(exc) or isinstance(
        exc, sqlite3.IntegrityError | asyncpg.IntegrityConstraintViolationError
    ):
        return ProblemDetailsException(
            status_code=HTTP_409_CONFLICT,
            type_=PROBLEM_TYPE.format("conflict"),
            title="Conflict with the current state",
            detail="the change conflicts with data written at the same time; read again and retry",
        )
    return _internal(exc)


def unavailable_problem(exc: Exception) -> ProblemDetailsException:
    """The database gone, refusing connections, locked past the busy timeout or not answering within
    the service's timeouts: 503 with ``Retry-After``, not a 500. Other errors of these classes are
    faults of the service: logged, 500."""
    if is_busy(exc):
        return ProblemDetailsException(
            status_code=HTTP_503_SERVICE_UNAVAILABLE,
            type_=PROBLEM_TYPE.format("database-busy"),
            title="Database busy",
            detail="another writer held the database for longer than the busy timeout; retry shortly",
            headers={"Retry-After": "1"},
        )
    if not is_unavailable(exc):
        log.error("database_error", error_type=type(exc).__name__, error=str(exc), exc_info=exc)
        return _internal(exc)
    log.warning("database_unavailable", error_type=type(exc).__name__, error=str(exc))
    return ProblemDetailsException(
        status_code=HTTP_503_SERVICE_UNAVAILABLE,
        type_=PROBLEM_TYPE.format("database-unavailable"),
        title="Database unavailable",
        detail="the database could not be reached or did not answer in time; retry shortly",
        headers={"Retry-After": UNAVAILABLE_RETRY_AFTER_S},
    )


def unexpected_problem(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Log the error with its traceback and answer a bare 500 that leaks nothing."""
    log.exception("unhandled_error", path=request.url.path, error_type=type(exc).__name__)
    return _internal(exc).to_response(request)


def status_for(exc: Exception) -> int:
    """The status the answer to ``exc`` gets (the mapping below, without building the answer or logging):
    for what counts a request before its answer is made, such as the request metrics."""
    if isinstance(exc, HTTPException):
        return exc.status_code
    if isinstance(exc, DomainError):
        return next(STATUS_BY_ERROR[cls][0] for cls in type(exc).__mro__ if cls in STATUS_BY_ERROR)
    if isinstance(exc, RoutingError) and not isinstance(exc, InfeasiblePlan):
        statuses = [ROUTING_STATUS[cls][0] for cls in type(exc).__mro__ if cls in ROUTING_STATUS]
        return statuses[0] if statuses else HTTP_500_INTERNAL_SERVER_ERROR
    if is_unique_violation(exc) or isinstance(
        exc, sqlite3.IntegrityError | asyncpg.IntegrityConstraintViolationError
    ):
        return HTTP_409_CONFLICT
    if is_busy(exc) or is_unavailable(exc):
        return HTTP_503_SERVICE_UNAVAILABLE
    return HTTP_500_INTERNAL_SERVER_ERROR


def problem_details_plugin() -> ProblemDetailsPlugin:
    """The plugin wiring the mappings above into the app; `routing_problem` and `validation_answer`,
    which read the request, are the app's own exception handlers."""
    return ProblemDetailsPlugin(
        ProblemDetailsConfig(
            exception_to_problem_detail_map={
                DomainError: domain_problem,
                HTTPException: http_problem,
                sqlite3.IntegrityError: database_problem,
                sqlite3.DatabaseError: unavailable_problem,
                asyncpg.IntegrityConstraintViolationError: database_problem,
                asyncpg.PostgresError: unavailable_problem,
                asyncpg.InterfaceError: unavailable_problem,
                DatabaseUnavailable: unavailable_problem,
                TimeoutError: unavailable_problem,
            }
        )
    )


def _internal(_exc: Exception) -> ProblemDetailsException:
    return ProblemDetailsException(
        status_code=HTTP_500_INTERNAL_SERVER_ERROR,
        type_=PROBLEM_TYPE.format("internal-error"),
        title="Internal error",
        detail="the error was logged; quote the X-Request-ID header when reporting it",
    )


PROBLEM_MEMBERS = frozenset({"type", "title", "status", "detail", "instance"})
"""RFC 9457's own members: a domain detail of the same name is renamed ``domain_<name>``, so that
``status`` is always the HTTP status."""


def _jsonable(details: dict[str, Any]) -> dict[str, Any]:
    return {
        f"domain_{key}" if key in PROBLEM_MEMBERS else key: (
            value if isinstance(value, int | float | str | bool | list | dict | None) else str(value)
        )
        for key, value in details.items()
    }
