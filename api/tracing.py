"""OpenTelemetry server spans for the web, through Litestar's `OpenTelemetryPlugin`, when there is a
tracer provider (`observability.tracing.configured_tracer_provider`: only when the environment names an
OTLP endpoint).

Litestar runs the OpenTelemetry middleware around its router, before the route is known. A span starts
named by the method alone (the raw path would give every ticket its own span name), and once routed
(`_NameSpanByRoute`, a middleware of the route) it is renamed ``GET /api/v1/tickets/{ticket_id}``
with ``http.route`` the route template. Health checks and scrapes are not traced; ASGI's per-message
receive and send spans are left out.
"""

from __future__ import annotations

from typing import Any

from litestar.config.app import AppConfig
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.plugins import InitPlugin, PluginProtocol
from litestar.plugins.opentelemetry import OpenTelemetryConfig, OpenTelemetryPlugin
from litestar.types import ASGIApp, Receive, Scope, Send
from opentelemetry import trace
from opentelemetry.semconv.attributes.http_attributes import HTTP_ROUTE

UNTRACED_PATHS = [r"^/health", r"^/metrics$"]


def _method_only(scope: Scope) -> tuple[str, dict[str, Any]]:
    """The name of a span before routing: the method (as OpenTelemetry's HTTP conventions name a span
    whose route is not known), no attributes."""
    return str(scope.get("method") or scope["type"]).strip(), {}


class _NameSpanByRoute(ASGIMiddleware):
    """Names the request's server span by its method and route template, and sets ``http.route``."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        span = trace.get_current_span()
        route = scope.get("path_template")
        if route and span.is_recording():
            span.update_name(f"{scope['method']} {route}")
            span.set_attribute(HTTP_ROUTE, route)
        await next_app(scope, receive, send)


class _RouteOnSpans(InitPlugin):
    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        app_config.middleware.insert(0, _NameSpanByRoute())
        return app_config


def tracing_plugins(provider: trace.TracerProvider | None) -> list[PluginProtocol]:
    """The plugins that trace each request with ``provider``; none without one."""
    if provider is None:
        return []
    config = OpenTelemetryConfig(
        tracer_provider=provider,
        scope_span_details_extractor=_method_only,
        exclude=UNTRACED_PATHS,
        exclude_spans=["receive", "send"],
    )
    return [OpenTelemetryPlugin(config), _RouteOnSpans()]
