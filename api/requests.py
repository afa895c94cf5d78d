"""What a request body must be before it is decoded: JSON, by its Content-Type, and nested at most
`MAX_JSON_DEPTH` deep (so that a hostile body cannot exhaust the decoder's recursion)."""

from __future__ import annotations

import re
from typing import Any

from litestar import Request
from litestar.exceptions import ClientException, HTTPException
from litestar.status_codes import HTTP_415_UNSUPPORTED_MEDIA_TYPE

MAX_JSON_DEPTH = 32
"""Deepest nesting of arrays and objects a body may have; the service's own bodies need five."""

_STRINGS_AND_BRACKETS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def is_json_media_type(media_type: str) -> bool:
    """``application/json`` or a structured ``+json`` type such as ``application/merge-patch+json``."""
    media_type = media_type.strip().lower()
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


def nests_deeper_than(body: bytes, limit: int) -> bool:
    """Whether arrays and objects in the JSON ``body`` nest more than ``limit`` deep.

    Brackets inside strings do not count. The body need not be valid JSON; the decoder judges that.
    """
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    depth = 0
    for token in _STRINGS_AND_BRACKETS.finditer(body):
        bracket = token.group()
        if bracket in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        elif bracket in (b"]", b"}"):
            depth -= 1
    return False


class ServiceRequest(Request[Any, Any, Any]):
    """Litestar's request, refusing a body that is not JSON (415) or nests too deep (400)."""

    async def json(self) -> Any:
        body = await self.body()
        if body:
            media_type, _ = self.content_type
            if not is_json_media_type(media_type):
                raise HTTPException(
                    status_code=HTTP_415_UNSUPPORTED_MEDIA_TYPE,
                    detail="the body must be JSON, sent with Content-Type: application/json",
                )
            if nests_deeper_than(body, MAX_JSON_DEPTH):
                raise ClientException(f"the JSON body nests deeper than {MAX_JSON_DEPTH} levels")
        return await super().json()
