"""structlog set-up (JSON lines in production, readable in development) and request ids (`RequestIds`).

Every line carries the process id, the host name and the service's version (``pid``, ``host``,
``version``), and, while an OpenTelemetry span is current, its ``trace_id`` and ``span_id`` (hex, as
trace back ends show them).
"""

from __future__ import annotations

import logging
import os
import re
import sys
import time
import uuid
from dataclasses import dataclass
from typing import Any

import structlog
from litestar.config.app import AppConfig
from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.plugins import InitPlugin
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from opentelemetry import trace

from api.settings import Settings
from observability import host_name, service_version

_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def configure_logging(settings: Settings) -> None:
    """Route structlog and the standard library (uvicorn, piccolo) through one renderer."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _add_process,
        _add_trace,
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if settings.json_logs
        else structlog.dev.ConsoleRenderer(
            colors=sys.stderr.isatty(), exception_formatter=structlog.dev.plain_traceback
        )
    )
    structlog.configure(
        # Dropping events below the level first makes a disabled ``log.info`` nearly free.
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info if settings.json_logs else _keep,
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
    # Procrastinate logs every job's deferral, start and end at INFO: a dozen lines a minute for the
    # periodic jobs alone. Its warnings and errors (a failed job) show; the rest with LOG_LEVEL=DEBUG.
    logging.getLogger("procrastinate").setLevel(
        logging.DEBUG if settings.log_level == "DEBUG" else logging.WARNING
    )


def _keep(_logger: Any, _name: str, event: dict[str, Any]) -> dict[str, Any]:
    return event


def _add_process(_logger: Any, _name: str, event: dict[str, Any]) -> dict[str, Any]:
    """The process id (read for each line: a forked worker has its own), host name and version."""
    event.setdefault("pid", os.getpid())
    event.setdefault("host", host_name())
    event.setdefault("version", service_version())
    return event


def _add_trace(_logger: Any, _name: str, event: dict[str, Any]) -> dict[str, Any]:
    """The current span's trace and span ids, when one is recording (never without tracing)."""
    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        event.setdefault("trace_id", format(context.trace_id, "032x"))
        event.setdefault("span_id", format(context.span_id, "016x"))
    return event


REQUEST_ID_HEADER = "X-Request-ID"
_TRACE = "spareline.request"
"""Where a request's `_Trace` is kept in the ASGI scope's per-request ``state``."""


@dataclass(slots=True)
class _Trace:
    id: str
    started: float
    status: int | None = None


class RequestIds(InitPlugin):
    """Give every request an id (the caller's ``X-Request-ID`` if it is sane), bind it to every log line,
    return it in the ``X-Request-ID`` response header, and log one line per request.

    Built from Litestar's documented extension points only:

    * a ``before_send`` hook, which Litestar calls for every message the application sends, whether
      the answer comes from a handler, an exception handler, the authentication middleware or the
      router itself (404 for an unknown route, 405), stamps the header and writes the access line;
    * a middleware inserted ahead of the authentication middleware (plugins see the configuration
      after the ``on_app_init`` hooks, so after the JWT backend put its middleware first; only
      `api.domain_context.EnterDomainContext`, added after it, runs earlier), so the id is bound
      before authentication and every handler run. Litestar runs middleware only for a route it
      has found; an answer the router gives itself gets its id when it is sent.
    """

    def __init__(self) -> None:
        self._log = structlog.get_logger("api.access")

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        app_config.middleware.insert(0, _BindRequestId())
        app_config.before_send.append(self._before_send)
        return app_config

    async def _before_send(self, message: Message, scope: Scope) -> None:
        if scope["type"] != "http":
            return
        trace = _trace(scope)
        if message["type"] == "http.response.start":
            trace.status = message["status"]
            MutableScopeHeaders.from_message(message)[REQUEST_ID_HEADER] = trace.id
        elif message["type"] == "http.response.body" and not message.get("more_body", False):
            self._log.info(
                "request",
                method=scope["method"],
                path=scope["path"],
                status=trace.status,
                duration_ms=round((time.perf_counter() - trace.started) * 1000, 2),
            )
            structlog.contextvars.clear_contextvars()


class _BindRequestId(ASGIMiddleware):
    """Binds the request's id to the log context before anything else of a routed request runs."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        _trace(scope)
        await next_app(scope, receive, send)


def _trace(scope: Scope) -> _Trace:
    """The request's id and start, made on first use, when its id is also bound to the log context."""
    state = scope.setdefault("state", {})
    trace = state.get(_TRACE)
    if trace is None:
        trace = state[_TRACE] = _Trace(_incoming_request_id(scope) or uuid.uuid4().hex, time.perf_counter())
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=trace.id)
    return trace


def _incoming_request_id(scope: Scope) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == b"x-request-id":
            candidate = value.decode("latin-1")
            return candidate if _SAFE_REQUEST_ID.match(candidate) else None
    return None
