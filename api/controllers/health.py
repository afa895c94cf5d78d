"""Liveness and readiness: open to everyone, no token needed."""

from __future__ import annotations

from typing import Any

from litestar import Response, get
from litestar.status_codes import HTTP_503_SERVICE_UNAVAILABLE
from piccolo.querystring import QueryString

from inventory.persistence import current_engine, engine_kind


@get("/health", tags=["health"], operation_id="health", sync_to_thread=False)
def health() -> dict[str, str]:
    """The process is up; names the database engine it is configured for."""
    return {"status": "ok", "database": engine_kind(current_engine())}


@get("/health/ready", tags=["health"], operation_id="readiness")
async def readiness() -> Response[dict[str, Any]]:
    """The database answers a query; 503 otherwise."""
    engine = current_engine()
    try:
        await engine.run_querystring(QueryString("SELECT 1"))
    except Exception as exc:
        return Response(
            {"status": "unavailable", "database": engine_kind(engine), "error": type(exc).__name__},
            status_code=HTTP_503_SERVICE_UNAVAILABLE,
        )
    return Response({"status": "ready", "database": engine_kind(engine)})
