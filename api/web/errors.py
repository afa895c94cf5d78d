"""Errors on the pages, answered as pages: the same mapping as the API's, shown in words.

`PageErrors` wraps every exception handler of the application (``api/errors.py``'s problem mapping, the
routing errors, the unexpected ones) once they are all registered. For a page request, the API's handler
still decides the status, title and detail (and logs what it logs); the answer is then a page in the
reader's language instead of a problem document:

* no session, or an expired one: to the sign-in page, ``/login?next=<this page>``;
* a role the page does not admit: 403, "You may not open this page";
* a missing object, or another company's: 404 in words;
* a domain error: its status, and its problem in words (`PROBLEM_WORDS`, by the problem's code; the
  areas add the codes of their own errors with ``VOCABULARY.define("problem", ...)``), the service's own
  sentence under "Details".

For htmx the answer is the ``problem`` block alone, put into the page's ``#problem`` region
(``HX-Retarget``). Any other request (the API, the health checks) gets the API's answer unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlsplit

from litestar import Request, Response
from litestar.config.app import AppConfig
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.plugins import InitPluginProtocol
from litestar.response import Redirect
from litestar.status_codes import HTTP_204_NO_CONTENT, HTTP_303_SEE_OTHER

from api.errors import PROBLEM_TYPE, problem_document
from api.security import PAGE_OPT
from api.web.render import is_htmx, render_page
from api.web.sessions import local_path
from inventory.errors import DomainError
from presentation import N_, VOCABULARY

PROBLEM_TEMPLATE = "pages/problem.html"
NOT_PAGES = ("/api/", "/schema", "/health", "/metrics", "/static/")
"""Paths that are never pages, even for a browser."""
CSRF_FAILED = "CSRF token verification failed"
"""Litestar's CSRF middleware's words for a form without a valid token."""

VOCABULARY.define(
    "problem",
    {
        "bad-request": N_("The request could not be read"),
        "not-found": N_("Not found: it does not exist, or you may not see it"),
        "forbidden": N_("You may not open this page"),
        "csrf": N_("The form has expired: reload the page and send it again"),
        "method-not-allowed": N_("This address cannot be used that way"),
        "request-entity-too-large": N_("What was sent is too large"),
        "validation-error": N_("Some of what was entered is not valid"),
        "conflict": N_("This clashes with the current state: reload and try again"),
        "already-exists": N_("This already exists"),
        "duplicate-delivery": N_("This delivery was already received"),
        "insufficient-stock": N_("There is not enough stock for this"),
        "invalid-transition": N_("This is not possible in its current state"),
        "inactive": N_("This is no longer in use: it takes no new work"),
        "not-permitted": N_("Your role may not do this"),
        "invalid-request": N_("This breaks a rule of the service"),
        "idempotency-key-reused": N_("This form was already sent with other values: reload it"),
        "throttled": N_("Too many attempts: wait a little and try again"),
        "too-many-sign-in-attempts": N_("Too many sign-in attempts: wait a minute and try again"),
        "domain-error": N_("This cannot be done"),
        "database-unavailable": N_("The service is briefly unavailable: try again in a few seconds"),
        "database-busy": N_("The service is busy: try again in a moment"),
        "internal-error": N_("Something went wrong on our side; it has been logged"),
        "too-many-requests": N_("Too many requests: wait a little and try again"),
        "service-unavailable": N_("The service is briefly unavailable: try again in a few seconds"),
    },
)

STATUS_CODES = {
    400: "bad-request",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    413: "request-entity-too-large",
    422: "invalid-request",
    429: "too-many-requests",
    500: "internal-error",
    503: "service-unavailable",
}
"""The problem's code when it has none of its own words."""


def is_page_request(request: Request[Any, Any, Any]) -> bool:
    """Whether the request is for a page: a route of the page router, or an address that is no route at
    all, asked for by a browser (``Accept: text/html``) outside the API's and the service's paths."""
    handler = request.scope.get("route_handler")
    if handler is not None:
        return bool(handler.opt.get(PAGE_OPT))
    path = request.scope.get("path", "")
    return not path.startswith(NOT_PAGES) and "text/html" in request.headers.get("accept", "")


def sign_in_address(request: Request[Any, Any, Any]) -> str:
    """``/login?next=<the page the reader was on>`` (the page asked for, htmx's current page, or for a
    form the page it was sent from)."""
    if is_htmx(request):
        current = urlsplit(request.headers.get("hx-current-url", ""))
        target = current.path + (f"?{current.query}" if current.query else "")
    elif request.method in ("GET", "HEAD"):
        query = request.scope.get("query_string", b"").decode("latin-1")
        target = request.scope["path"] + (f"?{query}" if query else "")
    else:
        referer = urlsplit(request.headers.get("referer", ""))
        target = referer.path + (f"?{referer.query}" if referer.query else "")
    target = local_path(target)
    return "/login" if target == "/" else f"/login?next={quote(target, safe='/')}"


def to_sign_in(request: Request[Any, Any, Any]) -> Response[Any]:
    """Send the reader to the sign-in page, then back."""
    location = sign_in_address(request)
    if is_htmx(request):
        return Response(None, status_code=HTTP_204_NO_CONTENT, headers={"HX-Redirect": location})
    return Redirect(location, status_code=HTTP_303_SEE_OTHER)


def problem_code(status: int, problem: dict[str, Any], exc: Exception) -> str:
    """The code whose words say what went wrong: the problem's own, if it has words, else the status's."""
    if isinstance(exc, PermissionDeniedException) and exc.detail == CSRF_FAILED:
        return "csrf"
    code = str(problem.get("type", "")).removeprefix(PROBLEM_TYPE.format(""))
    if VOCABULARY.message("problem", code) is not None:
        return code
    return STATUS_CODES.get(status, "internal-error" if status >= 500 else "bad-request")


def refusal(exc: DomainError) -> tuple[int, dict[str, Any]]:
    """A service's refusal of a form, as the form shows it beside what was typed: the status the API
    would answer, the code whose words say it (``code|words("problem")``), the service's own sentence
    (``detail``), the field it names and the error's other details."""
    document = problem_document(exc)
    status = int(document["status"])
    problem = {
        "code": problem_code(status, document, exc),
        "detail": exc.message,
        "field": exc.details.get("field"),
        "details": exc.details,
    }
    return status, problem


def problem_page(request: Request[Any, Any, Any], answer: Response[Any], exc: Exception) -> Response[Any]:
    """The page (or, for htmx, the ``problem`` block) saying in words what the API's ``answer`` says."""
    problem = answer.content if isinstance(answer.content, dict) else {}
    status = answer.status_code
    headers = {
        name: value for name, value in answer.headers.items() if name.lower() in ("retry-after", "allow")
    }
    if is_htmx(request):
        headers |= {"HX-Retarget": "#problem", "HX-Reswap": "innerHTML"}
    context = {
        "status": status,
        "code": problem_code(status, problem, exc),
        "detail": problem.get("detail"),
        "errors": problem.get("errors") or [],
        "retry_after": headers.get("Retry-After") or headers.get("retry-after"),
    }
    return render_page(
        request, PROBLEM_TEMPLATE, context, block="problem", status_code=status, headers=headers
    )


Handler = Callable[[Request[Any, Any, Any], Exception], Response[Any]]


def page_aware(handler: Handler) -> Handler:
    """``handler`` for everything but pages; for pages, its answer shown as a page."""

    def handle(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
        if not is_page_request(request):
            return handler(request, exc)
        if isinstance(exc, NotAuthorizedException):
            return to_sign_in(request)
        return problem_page(request, handler(request, exc), exc)

    return handle


class PageErrors(InitPluginProtocol):
    """Answers the pages' errors as pages. List it after every plugin that registers exception handlers
    (the problem details plugin), so that it wraps them all."""

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        app_config.exception_handlers = {
            key: page_aware(handler) for key, handler in app_config.exception_handlers.items()
        }
        return app_config
