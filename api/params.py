"""Path and query parameters shared by several controllers."""

from __future__ import annotations

from typing import Annotated

from litestar.params import PathParameter

from api.schemas.base import MAX_ID

PathId = Annotated[int, PathParameter(ge=1, le=MAX_ID, description="A record's id (1 to 2147483647).")]
"""A record id in the path: out of the range any id can have, it is a 422 naming the parameter."""
