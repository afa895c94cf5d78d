"""Liveness and readiness: open to everyone, no token needed."""

from __future__ import annotations

import asyncio
from typing import Any

from litestar import Response, get
from litestar.di import NamedDependency
from litestar.status_codes import HTTP_503_SERVICE_UNAVAILABLE
from piccolo.engine.base import Engine
from piccolo.querystring import QueryString

from api.database import MigrationCheck
from api.errors import PROBLEM_TYPE
from api.openapi import PROBLEM_MEDIA_TYPE
from api.settings import Settings
from inventory.persistence import current_engine, engine_kind

READINESS_RETRY_AFTER_S = "5"


@get(
    "/health",
    tags=["health"],
    operation_id="health",
    summary="Check that the service is up",
    description=(
        "Answers while the process runs, naming the database engine it is configured for. Touches no "
        "database."
    ),
    sync_to_thread=False,
)
def health() -> dict[str, str]:
    """The process is up; names the database engine it is configured for."""
    return {"status": "ok", "database": engine_kind(current_engine())}


@get(
    "/health/ready",
    tags=["health"],
    operation_id="readiness",
    summary="Check that the service can serve",
    description=(
        "200 when the database answers within PG_CONNECT_TIMEOUT_S and has every migration of this code "
        "applied; otherwise a 503 problem with `Retry-After`, naming the engine and the error or the "
        "pending migrations. A load balancer sends traffic only to a ready process."
    ),
)
async def readiness(
    settings: NamedDependency[Settings], migration_check: NamedDependency[MigrationCheck]
) -> Response[dict[str, Any]]:
    """The database answers within PG_CONNECT_TIMEOUT_S and has every migration of the code applied;
    otherwise a 503 problem with Retry-After, naming the engine and the error or the pending migrations
    (a web process started before its release has migrated must get no traffic yet)."""
    engine = current_engine()

    async def probe() -> list[str]:
        await engine.run_querystring(QueryString("SELECT 1"))
        return await migration_check.pending()

    checked = asyncio.ensure_future(probe())
    checked.add_done_callback(lambda done: done.cancelled() or done.exception())
    # A task of its own, so that the answer does not wait for the driver's clean-up after a timeout.
    await asyncio.wait({checked}, timeout=settings.pg_connect_timeout_s)
    if checked.done() and checked.exception() is None:
        pending = checked.result()
        if not pending:
            return Response({"status": "ready", "database": engine_kind(engine)})
        return _not_ready(
            engine,
            f"the database lacks {len(pending)} migration(s) of this code; the release step "
            "(python -m api migrate) has not applied them yet",
            pending_migrations=pending,
        )
    error = type(checked.exception()).__name__ if checked.done() else "TimeoutError"
    checked.cancel()
    return _not_ready(
        engine, "the database did not answer; the service cannot serve requests now", error=error
    )


def _not_ready(engine: Engine, detail: str, **extra: object) -> Response[dict[str, Any]]:
    return Response(
        {
            "type": PROBLEM_TYPE.format("not-ready"),
            "title": "Not ready",
            "status": HTTP_503_SERVICE_UNAVAILABLE,
            "detail": detail,
            "database": engine_kind(engine),
            **extra,
        },
        status_code=HTTP_503_SERVICE_UNAVAILABLE,
        media_type=PROBLEM_MEDIA_TYPE,
        headers={"Retry-After": READINESS_RETRY_AFTER_S},
    )
