"""OpenTelemetry: a server span per request named by its route, log lines carrying its ids, PostgreSQL
queries as its children, and nothing at all without an OTLP endpoint in the environment."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest
from litestar.plugins.opentelemetry import OpenTelemetryPlugin
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from api.app import create_app
from observability.tracing import (
    ENDPOINT_VARIABLES,
    configured_tracer_provider,
    instrument_asyncpg,
    tracer_provider,
    tracing_requested,
)
from tests.conftest import ROOT, test_settings

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"


@pytest.fixture
def spans() -> Iterator[tuple[TracerProvider, InMemorySpanExporter]]:
    """A tracer provider keeping every span it ends in memory (not the process's global one)."""
    exporter = InMemorySpanExporter()
    provider = tracer_provider(exporter, batch=False)
    yield provider, exporter
    provider.shutdown()


def server_spans(exporter: InMemorySpanExporter) -> list[ReadableSpan]:
    return [span for span in exporter.get_finished_spans() if span.kind == SpanKind.SERVER]


def status_of(span: ReadableSpan) -> object:
    attributes = span.attributes or {}
    return attributes.get("http.response.status_code", attributes.get("http.status_code"))


async def test_a_request_is_a_server_span_named_by_its_route(database_url, spans, capsys):
    provider, exporter = spans
    app = create_app(
        test_settings(database_url, log_format="json", log_level="INFO"), tracer_provider=provider
    )
    async with (
        app.lifespan(),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client,
    ):
        assert (await client.get("/api/v1/depots/PEK-C")).status_code == 401
        assert (await client.get("/health")).status_code == 200
        assert (await client.get("/metrics")).status_code == 200
        assert (await client.get("/no/such/route")).status_code == 404
    logged = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    logging.getLogger().handlers.clear()

    routed, unrouted = server_spans(exporter)  # health checks and scrapes are not traced
    assert routed.name == "GET /api/v1/depots/{code}"
    assert routed.attributes["http.route"] == "/api/v1/depots/{code}"
    assert status_of(routed) == 401
    assert routed.resource.attributes["service.name"] == "spareline"
    assert unrouted.name == "GET"  # no route: never the raw path
    assert "http.route" not in unrouted.attributes
    assert not [span for span in exporter.get_finished_spans() if span.kind != SpanKind.SERVER]

    access = [
        line
        for line in logged
        if line.get("event") == "request" and line.get("path") == "/api/v1/depots/PEK-C"
    ]
    assert len(access) == 1
    assert access[0]["trace_id"] == format(routed.context.trace_id, "032x")
    assert access[0]["span_id"] == format(routed.context.span_id, "016x")
    health = next(line for line in logged if line.get("event") == "request" and line.get("path") == "/health")
    assert "trace_id" not in health


async def test_a_caller_s_trace_goes_on_through_the_service(sqlite_url, spans):
    provider, exporter = spans
    app = create_app(test_settings(sqlite_url), tracer_provider=provider)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        await client.get("/api/v1/depots", headers={"traceparent": TRACEPARENT})
    (span,) = server_spans(exporter)
    assert format(span.context.trace_id, "032x") == TRACE_ID
    assert span.parent is not None
    assert format(span.parent.span_id, "016x") == "00f067aa0ba902b7"


async def test_postgres_queries_are_spans_of_the_request(postgres_url, spans):
    provider, exporter = spans
    instrumentor = instrument_asyncpg(provider)
    try:
        app = create_app(test_settings(postgres_url), tracer_provider=provider)
        async with (
            app.lifespan(),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client,
        ):
            exporter.clear()  # the pool's own connection set-up
            response = await client.post("/api/v1/auth/token", json={"username": "nobody", "password": "x"})
            assert response.status_code == 401  # after looking the user up
    finally:
        instrumentor.uninstrument()
    (server,) = server_spans(exporter)
    queries = [
        span
        for span in exporter.get_finished_spans()
        if span.kind == SpanKind.CLIENT and span.context.trace_id == server.context.trace_id
    ]
    assert queries
    assert all(span.attributes.get("db.system") == "postgresql" for span in queries)
    assert all(span.parent is not None and span.parent.span_id == server.context.span_id for span in queries)


def test_without_an_otlp_endpoint_nothing_is_traced(sqlite_url, monkeypatch):
    for name in ENDPOINT_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    app = create_app(test_settings(sqlite_url))
    assert not [plugin for plugin in app.plugins if isinstance(plugin, OpenTelemetryPlugin)]
    assert configured_tracer_provider() is None
    assert not isinstance(trace.get_tracer_provider(), TracerProvider)  # OpenTelemetry's no-op default


def test_only_an_endpoint_asks_for_traces():
    assert not tracing_requested({})
    assert not tracing_requested({"OTEL_SERVICE_NAME": "spareline", "OTEL_EXPORTER_OTLP_ENDPOINT": " "})
    assert tracing_requested({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"})
    assert tracing_requested({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"})
    disabled = {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "OTEL_SDK_DISABLED": "true"}
    assert not tracing_requested(disabled)


WITH_ENDPOINT = """
import sys
from litestar.plugins.opentelemetry import OpenTelemetryPlugin
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from api.app import create_app
from tests.conftest import test_settings

app = create_app(test_settings(sys.argv[1]))
provider = trace.get_tracer_provider()
assert isinstance(provider, TracerProvider), provider
assert provider.resource.attributes["service.name"] == "spareline", provider.resource.attributes
assert provider.resource.attributes["service.version"] == "0.1.0", provider.resource.attributes
exporter = provider._active_span_processor._span_processors[0].span_exporter
assert isinstance(exporter, OTLPSpanExporter), exporter
assert exporter._endpoint == "http://127.0.0.1:9/v1/traces", exporter._endpoint
assert app.plugins.get(OpenTelemetryPlugin).config.tracer_provider is provider
assert AsyncPGInstrumentor().is_instrumented_by_opentelemetry
other = create_app(test_settings(sys.argv[1]))
assert other.plugins.get(OpenTelemetryPlugin).config.tracer_provider is provider
print("traced")
"""


def test_an_otlp_endpoint_installs_one_tracer_provider_for_the_process(sqlite_url):
    env = {name: value for name, value in os.environ.items() if not name.startswith("OTEL_")}
    # Nothing listens there, and no span is made, so nothing is sent.
    env["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://127.0.0.1:9"
    done = subprocess.run(
        [sys.executable, "-c", WITH_ENDPOINT, sqlite_url],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == "traced"
