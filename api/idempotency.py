"""``Idempotency-Key`` for mutating POSTs.

The key record, the business change and the stored answer commit in one transaction, so a request either
happened once with its answer kept, or did not happen at all. A retry with the same key and body replays
the first answer (``Idempotency-Replayed: true``); the same key with another body is a 422. Keys are
scoped to the caller, method and path, and purged after `RETENTION`.

Concurrency: the unique ``(scope, key)`` index is the only arbiter. On PostgreSQL a second insert of the
same key waits for the first transaction and then finds its stored answer; on SQLite the write
transaction is ``BEGIN IMMEDIATE``, so the two never overlap. A request that fails rolls its key back
with everything else, and may be retried.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Annotated, Any

from litestar import Request, Response
from litestar.params import HeaderParameter
from pydantic import BaseModel

from api.security import Principal
from api.tables import IdempotencyRecord
from inventory.errors import InvalidRequest
from inventory.persistence import run, wait_durable, write_transaction

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
RETENTION = timedelta(hours=24)

IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name=HEADER,
        min_length=1,
        max_length=MAX_KEY_LENGTH,
        description="Makes the POST safe to retry: the same key and body replay the first answer for 24 h.",
    ),
]
"""The optional header, declared on every mutating handler so that it is validated and documented."""


class IdempotencyKeyReused(InvalidRequest):
    """The key was already used for a request with a different body."""

    code = "idempotency-key-reused"


async def run_once(
    request: Request[Any, Any, Any],
    principal: Principal,
    payload: BaseModel | dict[str, Any] | None,
    action: Callable[[], Awaitable[BaseModel]],
    *,
    key: str | None,
    now: datetime,
) -> Response[Any]:
    """Run ``action`` in a write transaction, once per ``Idempotency-Key`` if the request has one.

    ``payload`` is what makes two requests "the same"; leave secrets out of it. The answer has the
    handler's status code (201 unless its decorator says otherwise).
    """
    status_code = request.route_handler.status_code
    if key is None:
        async with write_transaction():
            result = await action()
        return Response(result.model_dump(mode="json"), status_code=status_code)
    scope = _scope(request, principal)
    fingerprint = _fingerprint(payload)
    async with write_transaction():
        claimed = await run(
            "INSERT INTO idempotency_record (scope, key, fingerprint, status_code, response_body, "
            "created_at) VALUES ({}, {}, {}, 0, '', {}) ON CONFLICT (scope, key) DO NOTHING RETURNING id",
            scope,
            key,
            fingerprint,
            now,
        )
        if not claimed:
            return await _replay(scope, key, fingerprint)
        result = await action()
        body = result.model_dump(mode="json")
        await run(
            "UPDATE idempotency_record SET status_code = {}, response_body = {} WHERE id = {}",
            status_code,
            json.dumps(body),
            claimed[0]["id"],
        )
    return Response(body, status_code=status_code)


async def answered_before(
    request: Request[Any, Any, Any],
    principal: Principal,
    payload: BaseModel | dict[str, Any] | None,
    *,
    key: str | None,
) -> Response[Any] | None:
    """The stored answer for this key, if the request was already answered.

    Lets a slow handler (a solve) skip its work on a retry; `run_once` still decides who stores.
    """
    if key is None:
        return None
    scope = _scope(request, principal)
    done = await IdempotencyRecord.exists().where(
        (IdempotencyRecord.scope == scope)
        & (IdempotencyRecord.key == key)
        & (IdempotencyRecord.status_code != 0)
    )
    return await _replay(scope, key, _fingerprint(payload)) if done else None


async def purge_expired(now: datetime) -> int:
    """Delete records older than `RETENTION`; returns how many."""
    rows = (
        await IdempotencyRecord.delete()
        .where(IdempotencyRecord.created_at < now - RETENTION)
        .returning(IdempotencyRecord.id)
    )
    return len(rows)


def _scope(request: Request[Any, Any, Any], principal: Principal) -> str:
    """Keys are per user, method and path: the same key on another route is another request."""
    return f"{principal.id}|{request.method}|{request.url.path}"


async def _replay(scope: str, key: str, fingerprint: str) -> Response[Any]:
    stored = (
        await IdempotencyRecord.select(
            IdempotencyRecord.fingerprint, IdempotencyRecord.status_code, IdempotencyRecord.response_body
        )
        .where((IdempotencyRecord.scope == scope) & (IdempotencyRecord.key == key))
        .first()
    )
    if stored is None or stored["fingerprint"] != fingerprint:
        raise IdempotencyKeyReused(f"this {HEADER} was used for a different request", field=HEADER)
    await wait_durable()  # the first answer's transaction may not be on disk yet
    return Response(
        json.loads(stored["response_body"]),
        status_code=stored["status_code"],
        headers={"Idempotency-Replayed": "true"},
    )


def _fingerprint(payload: BaseModel | dict[str, Any] | None) -> str:
    body = payload.model_dump(mode="json") if isinstance(payload, BaseModel) else payload
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()
