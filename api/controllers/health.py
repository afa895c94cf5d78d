"""Liveness and readiness: open to everyone, no token needed."""

from __future__ import annotations

import asyncio
from typing import Any

from litestar import Response, get
from litestar.di import NamedDependency
from litestar.status_codes import HTTP_503_SERVICE_UNAVAILABLE
from piccolo.querystring import QueryString

from api.errors import PROBLEM_TYPE
from api.openapi import PROBLEM_MEDIA_TYPE
from api.settings import Settings
from inventory.persistence import current_engine, engine_kind

READINESS_RETRY_AFTER_S = "5"


@get("/health", tags=["health"], operation_id="health", sync_to_thread=False)
def health() -> dict[str, str]:
    """The process is up; names the database engine it is configured for."""
    return {"status": "ok", "database": engine_kind(current_engine())}


@get("/health/ready", tags=["health"], operation_id="readiness")
async def readiness(settings: NamedDependency[Settings]) -> Response[dict[str, Any]]:
    """The database answers a query within PG_CONNECT_TIMEOUT_S; otherwise a 503 problem with
    Retry-After, naming the engine and the error."""
    engine = current_engine()
    probe = asyncio.ensure_future(engine.run_querystring(QueryString("SELECT 1")))
    probe.add_done_callback(lambda done: done.cancelled() or done.exception())
    # A task of its own, so that the answer does not wait for the driver's clean-up after a timeout.
    await asyncio.wait({probe}, timeout=settings.pg_connect_timeout_s)
    if probe.done() and probe.exception() is None:
        return Response({"status": "ready", "database": engine_kind(engine)})
    error = type(probe.exception()).__name__ if probe.done() else "TimeoutError"
    probe.cancel()
    return Response(
        {
            "type": PROBLEM_TYPE.format("not-ready"),
            "title": "Not ready",
            "status": HTTP_503_SERVICE_UNAVAILABLE,
            "detail": "the database did not answer; the service cannot serve requests now",
            "database": engine_kind(engine),
            "error": error,
        },
        status_code=HTTP_503_SERVICE_UNAVAILABLE,
        media_type=PROBLEM_MEDIA_TYPE,
        headers={"Retry-After": READINESS_RETRY_AFTER_S},
    )
