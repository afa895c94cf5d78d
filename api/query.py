"""Query parameters: an empty one (``?breached=&order=due``) means "not given", on every route."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import parse_qsl, urlencode

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from inventory.errors import InvalidRequest


class DropEmptyQueryParameters(ASGIMiddleware):
    """Removes query parameters whose value is empty before a handler's parameters are read."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        query = scope.get("query_string", b"")
        if b"=&" in query + b"&" or query.endswith(b"="):
            pairs = parse_qsl(query.decode("latin-1"), keep_blank_values=True)
            scope = {
                **scope,
                "query_string": urlencode([(k, v) for k, v in pairs if v != ""]).encode("latin-1"),
            }
        await next_app(scope, receive, send)


def query_choice(value: str | None, allowed: Iterable[str], *, name: str) -> str | None:
    """A query parameter that must be one of ``allowed`` (None when not given).

    For parameters whose Python name cannot be their query name (``state`` is Litestar's own), so that a
    bad value is reported under the name the client sent.

    Raises:
        InvalidRequest: the value is none of them.
    """
    allowed = tuple(str(item) for item in allowed)
    if value is None or value in allowed:
        return value
    raise InvalidRequest(f"{name} must be one of {', '.join(allowed)}", field=name)
