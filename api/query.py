"""An empty query parameter (``?breached=&order=due``) means "not given", on every route."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from litestar.types import ASGIApp, Receive, Scope, Send


class DropEmptyQueryParameters:
    """ASGI middleware removing query parameters whose value is empty before routing and validation."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        query = scope.get("query_string", b"") if scope["type"] == "http" else b""
        if b"=&" in query + b"&" or query.endswith(b"="):
            pairs = parse_qsl(query.decode("latin-1"), keep_blank_values=True)
            scope = {
                **scope,
                "query_string": urlencode([(k, v) for k, v in pairs if v != ""]).encode("latin-1"),
            }
        await self.app(scope, receive, send)
