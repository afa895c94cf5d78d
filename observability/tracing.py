"""OpenTelemetry tracing, switched on only when the environment names an OTLP endpoint.

``OTEL_EXPORTER_OTLP_ENDPOINT`` (or the traces-only ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``) set and
``OTEL_SDK_DISABLED`` not ``true``: the process gets one SDK tracer provider, installed as the global one,
that sends spans in batches with OTLP over HTTP (protobuf) to that endpoint, with the resource
``service.name`` ``spareline`` (or ``OTEL_SERVICE_NAME``), ``service.version`` and ``host.name``; and
asyncpg's queries become spans. The exporter reads the rest of the standard variables itself
(``OTEL_EXPORTER_OTLP_HEADERS``, ``..._TIMEOUT``, ``..._CERTIFICATE``...). Unset: nothing is installed,
and the OpenTelemetry API stays a no-op.

The variables are read from the process's environment, never from a ``.env`` file: the exporter reads
them there.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping

from opentelemetry import trace
from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
from opentelemetry.sdk.resources import HOST_NAME, SERVICE_NAME, SERVICE_VERSION, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor, SpanExporter

from observability.service import SERVICE_NAME as SPARELINE
from observability.service import host_name, service_version

ENDPOINT_VARIABLES = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")

_lock = threading.Lock()
_installed: TracerProvider | None = None


def tracing_requested(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether the environment asks for traces: an OTLP endpoint, and the SDK not disabled."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    return any(environ.get(name, "").strip() for name in ENDPOINT_VARIABLES)


def tracer_provider(exporter: SpanExporter, *, batch: bool = True) -> TracerProvider:
    """A tracer provider for this service sending its spans to ``exporter``, in batches from a
    background thread (or each as it ends, with ``batch`` false: for tests)."""
    resource = Resource.create(
        {
            SERVICE_NAME: os.environ.get("OTEL_SERVICE_NAME") or SPARELINE,
            SERVICE_VERSION: service_version(),
            HOST_NAME: host_name(),
        }
    )
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(exporter) if batch else SimpleSpanProcessor(exporter))
    return provider


def configured_tracer_provider() -> TracerProvider | None:
    """The process's tracer provider if the environment asks for traces (`tracing_requested`), else None
    and nothing installed.

    The first call makes it (OTLP over HTTP), installs it as OpenTelemetry's global provider and
    instruments asyncpg; later calls (another application in the same process) return the same one.
    """
    global _installed  # noqa: PLW0603 - one provider per process, as OpenTelemetry's global is
    if not tracing_requested():
        return None
    with _lock:
        if _installed is None:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            provider = tracer_provider(OTLPSpanExporter())
            trace.set_tracer_provider(provider)
            instrument_asyncpg(provider)
            _installed = provider
    return _installed


def instrument_asyncpg(provider: TracerProvider) -> AsyncPGInstrumentor:
    """Make every asyncpg query of this process a span of ``provider`` (statements without their
    parameters); the returned instrumentor's ``uninstrument()`` undoes it."""
    instrumentor = AsyncPGInstrumentor(capture_parameters=False)
    instrumentor.instrument(tracer_provider=provider)
    return instrumentor


__all__ = [
    "ENDPOINT_VARIABLES",
    "configured_tracer_provider",
    "instrument_asyncpg",
    "tracer_provider",
    "tracing_requested",
]
