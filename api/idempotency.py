"""``Idempotency-Key`` for mutating POSTs, declared on a handler with `idempotent`.

The key record, the business change and the stored answer commit in one transaction, so a request either
happened once with its answer kept, or did not happen at all. A retry with the same key and body replays
the first answer (``Idempotency-Replayed: true``); the same key with another body is a 422. Keys are
scoped to the caller, method and path, and purged after `inventory.accounts.IDEMPOTENCY_RETENTION`
(`inventory.accounts.purge_idempotency_records`, an hourly periodic job).

Concurrency: the unique ``(scope, key)`` index is the only arbiter. On PostgreSQL a second insert of the
same key waits for the first transaction and then finds its stored answer; on SQLite the write
transaction is ``BEGIN IMMEDIATE``, so the two never overlap. A request that fails rolls its key back
with everything else, and may be retried.

`idempotent` is a plain decorator under the route decorator. Litestar learns what to inject into the
wrapper from its ``__signature__`` and annotations (the standard `inspect.signature` protocol, which it
reads as for any handler), and sends the `Response` it returns as it is; tests/api/test_idempotent_handlers.py
checks both.

The web pages' forms use the same mechanism through `idempotent_page`: the key comes from the form's
hidden ``idempotency_key`` field (a new one each time the form is rendered) or the header, the payload is
the form's fields, and the stored answer is where the browser goes next (a `PageAnswer`), so a form sent
twice changes things once and both sends land on the same page.

The wrapped handler's ``principal``, ``now`` and ``settings`` come from one dependency, ``call`` (a
`Call`), instead of one dependency each. Litestar awaits a handler's only dependency directly, but
resolves two or more as tasks of an anyio task group, a task each; on SQLite that cost about a tenth of
the server's CPU per API reservation (decision record 18).
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from litestar import Request, Response
from litestar.di import NamedDependency
from litestar.params import HeaderParameter
from pydantic import BaseModel

from api.settings import Settings
from api.web.render import see_other
from inventory.accounts import IdempotencyRecord, Principal
from inventory.errors import IdempotencyKeyReused, InvalidRequest
from inventory.persistence import run, wait_durable, write_transaction

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255

IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name=HEADER,
        min_length=1,
        max_length=MAX_KEY_LENGTH,
        description="Makes the POST safe to retry: the same key and body replay the first answer for 24 h.",
    ),
]
"""The optional header, which `idempotent` declares on every handler it wraps (validated and documented)."""

Payload = BaseModel | dict[str, Any] | None

PREPARED = "prepared"
"""The parameter through which a handler receives what its ``prepare`` step made."""


@dataclass(frozen=True, slots=True)
class Call:
    """Who makes a request, when, and under which settings: the ``call`` dependency, from which
    `idempotent` gives its handler the parameters named like its fields."""

    principal: Principal
    now: datetime
    settings: Settings


FROM_CALL = ("principal", "now", "settings")
"""Handler parameters that `idempotent` fills from the request's `Call`."""

_NEEDS: dict[str, Any] = {
    "request": Request[Any, Any, Any],
    "call": NamedDependency[Call],
    "idempotency_key": IdempotencyKey,
}
"""What `idempotent` needs of every request; a handler that does not take them itself is given them."""


def idempotent(
    handler: Callable[..., Awaitable[BaseModel]] | None = None,
    /,
    *,
    payload: Callable[[Any], Payload] | None = None,
    prepare: Callable[..., Awaitable[Any]] | None = None,
) -> Any:
    """Run a route handler in one write transaction, once per ``Idempotency-Key`` if the request has one.

    Placed under the route decorator (``@post(...)`` then ``@idempotent``), it wraps a handler that makes
    the business change and returns its answer (a pydantic model); the answer has the handler's status
    code. The wrapped handler additionally takes the ``Idempotency-Key`` header (documented and validated
    by Litestar as any parameter) and the request, unless it takes them itself, and the ``call``
    dependency, from which its own ``principal``, ``now`` and ``settings`` are given.

    Args:
        payload: what makes two requests "the same", from the handler's ``data`` (default: ``data``
            itself, None for a handler without a body). Leave secrets out of it.
        prepare: slow work that must not hold the write transaction (a solve). It runs first, outside the
            transaction, and only if the request has not been answered before (a retry replays without
            it). It takes handler parameters by name, and what it returns is passed to the handler as
            ``prepared``.
    """

    def decorate(fn: Callable[..., Awaitable[BaseModel]]) -> Callable[..., Awaitable[Response[Any]]]:
        return _wrap(fn, payload or _data, prepare)

    return decorate if handler is None else decorate(handler)


FORM_FIELD = "idempotency_key"
"""The hidden field of a page's form that carries its ``Idempotency-Key``."""
CSRF_FIELD = "_csrf_token"


class PageAnswer(BaseModel):
    """What a page's change answers: the address the browser goes to next (e.g. the new record's page)."""

    location: str


def idempotent_page(
    handler: Callable[..., Awaitable[PageAnswer]] | None = None,
    /,
    *,
    payload: Callable[[Any], Payload] | None = None,
    prepare: Callable[..., Awaitable[Any]] | None = None,
) -> Any:
    """`idempotent` for a page's form: under ``@post(...)``, around a handler that makes the change and
    returns a `PageAnswer`. The browser is sent to its ``location`` (303, or ``HX-Redirect`` for htmx),
    and sending the same form again (same key and fields) sends it there again without a second change.

    The key is the ``Idempotency-Key`` header or the form's `FORM_FIELD` (the ``form_keys()`` macro
    renders both hidden fields a form needs); a form without one runs once per send, in one write
    transaction all the same. ``payload`` (default: the form's fields but the CSRF token and the key)
    says what makes two sends "the same", from the handler's ``data`` when given; ``prepare`` is slow
    work outside the transaction, as for `idempotent`.
    """

    def decorate(fn: Callable[..., Awaitable[PageAnswer]]) -> Callable[..., Awaitable[Response[Any]]]:
        return _wrap(fn, payload or _data, prepare, page=True)

    return decorate if handler is None else decorate(handler)


async def _form_key_and_fields(request: Request[Any, Any, Any]) -> tuple[str | None, dict[str, Any]]:
    form = await request.form()
    fields = {name: form.getall(name) for name in form if name not in (CSRF_FIELD, FORM_FIELD)}
    key = form.get(FORM_FIELD) or None
    if key is not None and (not isinstance(key, str) or len(key) > MAX_KEY_LENGTH):
        raise InvalidRequest(
            f"the form's {FORM_FIELD} must be at most {MAX_KEY_LENGTH} characters", field=FORM_FIELD
        )
    return key, fields


def _wrap(
    fn: Callable[..., Awaitable[BaseModel]],
    payload: Callable[[Any], Payload],
    prepare: Callable[..., Awaitable[Any]] | None,
    *,
    page: bool = False,
) -> Callable[..., Awaitable[Response[Any]]]:
    signature = inspect.signature(fn)
    own = {name for name in signature.parameters if name != PREPARED}
    if (prepare is None) == (PREPARED in signature.parameters):
        raise TypeError(f"{fn.__qualname__}: a handler takes '{PREPARED}' exactly when it has a prepare step")
    prepare_takes = () if prepare is None else tuple(inspect.signature(prepare).parameters)
    if missing := [name for name in prepare_takes if name not in own]:
        raise TypeError(f"{fn.__qualname__} must take what its prepare step needs: {', '.join(missing)}")

    @functools.wraps(fn)
    async def handle(*args: Any, **kwargs: Any) -> Response[Any]:
        call: Call | None = kwargs.pop("call", None)
        if call is None:
            # Called by another handler with its own parameters rather than by Litestar.
            call = Call(kwargs["principal"], kwargs["now"], kwargs.get("settings"))  # type: ignore[arg-type]
        kwargs.update((name, getattr(call, name)) for name in FROM_CALL if name in own)
        # A handler takes its body as ``data`` (parsed) or, for raw bytes such as a document, ``body``.
        key, body = (
            kwargs["idempotency_key"],
            payload(kwargs["data"] if "data" in kwargs else kwargs.get("body")),
        )
        if page:
            form_key, fields = await _form_key_and_fields(kwargs["request"])
            key = key or form_key
            body = fields if "data" not in kwargs else body
        once = _Once(kwargs["request"], call.principal, body, key)
        given = {name: value for name, value in kwargs.items() if name in own}
        if prepare is not None:
            replay = await once.answered_before()
            if replay is not None:
                return see_other(kwargs["request"], replay.content["location"]) if page else replay
            given[PREPARED] = await prepare(**{name: kwargs[name] for name in prepare_takes})
        answer = await once.run(lambda: fn(*args, **given), now=call.now)
        if page:
            return see_other(kwargs["request"], answer.content["location"])
        return answer

    # Litestar reads what to inject from the handler's signature and annotations: the handler's own,
    # without ``prepared`` and those filled from the call, and what this wrapper needs that the handler
    # does not take.
    hidden = {PREPARED, *FROM_CALL}
    added = {name: annotation for name, annotation in _NEEDS.items() if name not in own}
    handle.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[
            *(parameter for name, parameter in signature.parameters.items() if name not in hidden),
            *(
                inspect.Parameter(
                    name,
                    inspect.Parameter.KEYWORD_ONLY,
                    default=None if name == "idempotency_key" else inspect.Parameter.empty,
                    annotation=annotation,
                )
                for name, annotation in added.items()
            ),
        ]
    )
    handle.__annotations__ = {
        **{name: value for name, value in fn.__annotations__.items() if name not in hidden},
        **added,
    }
    return handle


def _data(data: Any) -> Payload:
    return data


class _Once:
    """One request's run under its key (or, without a key, simply in a write transaction)."""

    def __init__(
        self, request: Request[Any, Any, Any], principal: Principal, payload: Payload, key: str | None
    ) -> None:
        self.request = request
        self.principal = principal
        self.payload = payload
        self.key = key

    @property
    def scope(self) -> str:
        """Keys are per user, method and path: the same key on another route is another request."""
        return f"{self.principal.id}|{self.request.method}|{self.request.url.path}"

    async def run(self, action: Callable[[], Awaitable[BaseModel]], *, now: datetime) -> Response[Any]:
        """Run ``action`` in a write transaction, after claiming the key if there is one."""
        status_code = self.request.route_handler.status_code
        if self.key is None:
            async with write_transaction():
                result = await action()
            return Response(result.model_dump(mode="json"), status_code=status_code)
        scope, body_print = self.scope, fingerprint(self.payload)
        async with write_transaction():
            claimed = await run(
                "INSERT INTO idempotency_record (scope, key, fingerprint, status_code, response_body, "
                "created_at) VALUES ({}, {}, {}, 0, '', {}) ON CONFLICT (scope, key) DO NOTHING RETURNING id",
                scope,
                self.key,
                body_print,
                now,
            )
            if not claimed:
                return await self._replay(scope, body_print)
            result = await action()
            body = result.model_dump(mode="json")
            await run(
                "UPDATE idempotency_record SET status_code = {}, response_body = {} WHERE id = {}",
                status_code,
                json.dumps(body),
                claimed[0]["id"],
            )
        return Response(body, status_code=status_code)

    async def answered_before(self) -> Response[Any] | None:
        """The stored answer for this key, if the request was already answered (`run` still decides who
        stores)."""
        if self.key is None:
            return None
        scope = self.scope
        done = await IdempotencyRecord.exists().where(
            (IdempotencyRecord.scope == scope)
            & (IdempotencyRecord.key == self.key)
            & (IdempotencyRecord.status_code != 0)
        )
        return await self._replay(scope, fingerprint(self.payload)) if done else None

    async def _replay(self, scope: str, fingerprint: str) -> Response[Any]:
        stored = (
            await IdempotencyRecord.select(
                IdempotencyRecord.fingerprint, IdempotencyRecord.status_code, IdempotencyRecord.response_body
            )
            .where((IdempotencyRecord.scope == scope) & (IdempotencyRecord.key == self.key))
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


def fingerprint(payload: Payload) -> str:
    """What makes two requests "the same": the SHA-256 of the canonical JSON of their payload."""
    body = payload.model_dump(mode="json") if isinstance(payload, BaseModel) else payload
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()
