"""Control characters in a request's path or query never reach a handler (or the database, where
PostgreSQL refuses a NUL byte in text): a path with one names nothing (404), a query with one is
malformed (400). Bodies are checked field by field by `api.schemas.base.RequestModel` (422)."""

from __future__ import annotations

from urllib.parse import parse_qsl

from litestar.exceptions import ClientException, NotFoundException
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from api.schemas.base import control_character


class RefuseControlCharacters(ASGIMiddleware):
    """404 for a path, 400 for a query parameter, that carries a control character."""

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        if control_character(scope["path"]) is not None:
            raise NotFoundException("no such resource: the path contains a control character")
        query = scope.get("query_string", b"")
        if query:
            for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
                if control_character(name) is not None or control_character(value) is not None:
                    raise ClientException(
                        f"query parameter {name!r} contains a control character",
                        extra={"errors": [{"field": name, "message": "control characters are not allowed"}]},
                    )
        await next_app(scope, receive, send)
