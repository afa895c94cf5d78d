"""Path, query and header parameters shared by several controllers."""

from __future__ import annotations

from typing import Annotated

from litestar.params import HeaderParameter, PathParameter

from api.schemas.base import MAX_ID

PathId = Annotated[int, PathParameter(ge=1, le=MAX_ID, description="A record's id (1 to 2147483647).")]
"""A record id in the path: out of the range any id can have, it is a 422 naming the parameter."""

RESPOND_ASYNC = "respond-async"

Prefer = Annotated[
    str | None,
    HeaderParameter(
        name="Prefer",
        max_length=1000,
        description=(
            "`respond-async` (RFC 7240): answer 202 Accepted at once with the solve and its Location instead "
            "of waiting for the plan."
        ),
    ),
]
"""The optional ``Prefer`` header of a request that starts a solve."""


def prefers_async(prefer: str | None) -> bool:
    """Whether a ``Prefer`` header (RFC 7240: comma-separated preferences, each ``token[=value]`` with
    ``;`` parameters, tokens compared case-insensitively) asks for ``respond-async``."""
    if not prefer:
        return False
    return any(
        item.split(";", 1)[0].split("=", 1)[0].strip().lower() == RESPOND_ASYNC for item in prefer.split(",")
    )
