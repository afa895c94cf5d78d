"""Offset pagination with a hard maximum page size."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Generic, TypeVar

from litestar.di import NamedDependency
from litestar.params import QueryParameter
from pydantic import BaseModel

from api.settings import Settings
from inventory.errors import InvalidRequest

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class PageRequest:
    limit: int
    offset: int

    @property
    def fetch(self) -> int:
        """Rows to ask the database for: one more than a page, to know whether another page exists."""
        return self.limit + 1


class Page(BaseModel, Generic[T]):
    """A page of a list: ``next_offset`` is null on the last page."""

    items: list[T]
    limit: int
    offset: int
    next_offset: int | None


def provide_page(
    settings: NamedDependency[Settings],
    limit: Annotated[
        int | None, QueryParameter(ge=1, description="Page size (at most MAX_PAGE_SIZE).")
    ] = None,
    offset: Annotated[int, QueryParameter(ge=0, le=10_000_000, description="Rows to skip.")] = 0,
) -> PageRequest:
    """Read ``limit``/``offset`` and refuse a page larger than the configured maximum."""
    size = settings.default_page_size if limit is None else limit
    if size > settings.max_page_size:
        raise InvalidRequest(f"limit may be at most {settings.max_page_size}", field="limit")
    return PageRequest(limit=size, offset=offset)


def page_of(rows: Sequence[T], request: PageRequest) -> Page[T]:
    """Cut a fetched ``limit + 1`` rows down to a page."""
    more = len(rows) > request.limit
    return Page[T](
        items=list(rows[: request.limit]),
        limit=request.limit,
        offset=request.offset,
        next_offset=request.offset + request.limit if more else None,
    )
