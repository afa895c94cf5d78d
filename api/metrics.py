"""``GET /metrics``: Prometheus metrics through Litestar's Prometheus integration, for internal clients only.

* **Request series** (`REQUEST_METRICS`, Litestar's `PrometheusConfig` and its middleware): requests,
  their duration and errors (5xx) per method, route template (``/api/v1/tickets/{ticket_id}``, never
  the raw path: ``group_path``) and status. The middleware is the outermost of each routed request, so
  authentication's 401 counts as a 401.
* **Everything else** comes from `observability.metrics.exposition`: the other processes' series in
  multiprocess mode (``PROMETHEUS_MULTIPROC_DIR``, as Litestar's `PrometheusController` does), the build
  info, and the gauges computed at each scrape in the application's domain context
  (`observability.metrics.SCRAPE_GAUGES`: the domain's, `observability.domain.DOMAIN_GAUGES`, and
  whatever else registers).

The path needs no token, like ``/health``; it answers only clients in METRICS_ALLOWED_NETWORKS (loopback
by default), and 404, as for a route that does not exist, to anyone else.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from ipaddress import IPv4Network, IPv6Address, IPv6Network, ip_address
from typing import Any

from litestar import Litestar, Request, Response, get
from litestar.config.app import AppConfig
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.handlers.base import BaseRouteHandler
from litestar.plugins import InitPlugin
from litestar.plugins.prometheus import PrometheusConfig, PrometheusController, PrometheusMiddleware
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from litestar.types import Message, Receive, Scope, Send
from prometheus_client import CONTENT_TYPE_LATEST

from api.errors import status_for
from observability.domain import DOMAIN_GAUGES
from observability.metrics import SCRAPE_GAUGES, check_multiprocess_dir, exposition, mark_process_dead

METRICS_PATH = "/metrics"

Network = IPv4Network | IPv6Network

REQUEST_BUCKETS: list[str | float] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]
"""Request duration buckets: Prometheus's defaults, and 30 s and 60 s for the slowest plans."""


def client_allowed(host: str | None, networks: Sequence[Network]) -> bool:
    """Whether the client address ``host`` lies in one of ``networks`` (an IPv4 address mapped into IPv6
    counts as itself; a missing or unreadable address never does)."""
    if not host:
        return False
    try:
        address = ip_address(host)
    except ValueError:
        return False
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in networks)


class RaisedStatusPrometheusMiddleware(PrometheusMiddleware):
    """Litestar's Prometheus middleware, counting answers that a middleware after it raises with the
    status they get.

    Litestar 2.25.0's own middleware learns the status only from the response it sees sent; an exception
    raised by a later middleware (authentication's 401, a 503 when the database is away while the user is
    loaded) is answered further out, so it counted those as 200s taking no time. This one counts them
    with the status `api.errors.status_for` gives them and the time until they were raised. Exemplars are
    not used.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request[Any, Any, Any](scope, receive)
        if self._config.excluded_http_methods and request.method in self._config.excluded_http_methods:
            await self.app(scope, receive, send)
            return
        labels = {**self._get_default_labels(request), **self._get_extra_labels(request)}
        started = time.perf_counter()
        answer: dict[str, Any] = {"status": None, "ended": None}

        async def counting_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
            elif message["type"] == "http.response.body":
                answer["ended"] = time.perf_counter()
            await send(message)

        in_progress = self.requests_in_progress(labels).labels(*labels.values())
        in_progress.inc()
        try:
            await self.app(scope, receive, counting_send)
        except Exception as exc:
            if answer["status"] is None:
                answer["status"] = status_for(exc)
            raise
        finally:
            in_progress.dec()
            labels["status_code"] = answer["status"] or HTTP_500_INTERNAL_SERVER_ERROR
            duration = (answer["ended"] or time.perf_counter()) - started
            values = list(labels.values())
            if labels["status_code"] >= HTTP_500_INTERNAL_SERVER_ERROR:
                self.requests_error_count(labels).labels(*values).inc()
            self.request_count(labels).labels(*values).inc()
            self.request_time(labels).labels(*values).observe(duration)


REQUEST_METRICS = PrometheusConfig(
    app_name="spareline",
    prefix="spareline",
    group_path=True,
    buckets=REQUEST_BUCKETS,
    exclude=[f"^{METRICS_PATH}$"],
    middleware_class=RaisedStatusPrometheusMiddleware,
)
"""``spareline_requests_total``, ``spareline_request_duration_seconds``, ``spareline_requests_error_total``
(5xx) and ``spareline_requests_in_progress``, labelled ``method``, ``path`` (the route template),
``status_code`` and ``app_name``. Scrapes themselves are not counted."""


def metrics_controller(networks: Sequence[Network]) -> type[PrometheusController]:
    """The ``/metrics`` controller of one application, answering only clients in ``networks``."""
    allowed = tuple(networks)

    # A coroutine, so that Litestar calls it inline instead of handing it to a worker thread.
    async def internal_only(
        connection: ASGIConnection[Any, Any, Any, Any], _handler: BaseRouteHandler
    ) -> None:
        client = connection.scope.get("client")
        if not client_allowed(client[0] if client else None, allowed):
            raise NotFoundException()

    class MetricsController(PrometheusController):
        path = METRICS_PATH
        include_in_schema = False
        guards = [internal_only]

        @get()
        async def get(self, now: NamedDependency[datetime]) -> Response[bytes]:
            """The Prometheus text exposition, with the scrape-time gauges at the app's ``now``."""
            gauges = await SCRAPE_GAUGES.collect(now)
            return Response(exposition(gauges), headers={"Content-Type": CONTENT_TYPE_LATEST})

    return MetricsController


class Metrics(InitPlugin):
    """Request metrics, ``/metrics`` and the domain's scrape-time gauges for one application.

    Its middleware goes first, after the other plugins have put theirs first: so it sees every routed
    request, and counts the answers that authentication raises.

    Raises:
        ValueError: ``PROMETHEUS_MULTIPROC_DIR`` is set but is no directory.
    """

    def __init__(self, networks: Sequence[Network]) -> None:
        self._networks = tuple(networks)

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        check_multiprocess_dir()
        for gauge in DOMAIN_GAUGES:
            SCRAPE_GAUGES.register(gauge)
        app_config.route_handlers.append(metrics_controller(self._networks))
        app_config.middleware.insert(0, REQUEST_METRICS.middleware)
        app_config.lifespan.append(_live_gauges_end_with_the_process)
        return app_config


@asynccontextmanager
async def _live_gauges_end_with_the_process(_app: Litestar) -> AsyncIterator[None]:
    """In multiprocess mode, a process that stops serving leaves no requests in progress behind."""
    try:
        yield
    finally:
        mark_process_dead()
