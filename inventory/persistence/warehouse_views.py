"""The warehouse's read views that need SQL of their own (both engines run the same): a page of stock
levels, part by depot, filtered and ordered in the database.

`WarehouseViews` is a part of `inventory.persistence.Store`; the stock service calls it as
``current_store().stock_overview(...)``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

STOCK_ONLY = {
    "short": "l.on_hand - l.reserved <= 0",
    "with_stock": "l.on_hand + l.in_transit + l.defective + l.quarantined > 0",
}
"""The stock overview's ``only`` filters: nothing available to promise (everything on hand is reserved,
or there is none), or some stock of any kind."""

_OVERVIEW = (
    "SELECT p.part_number, p.description, p.serialized, d.code AS depot, d.name AS depot_name, "
    "d.timezone, l.on_hand, l.reserved, l.in_transit, l.defective, l.quarantined "
    "FROM part p CROSS JOIN stock_level l JOIN depot d ON d.id = l.depot"
)
"""Parts first, in part number order (SQLite takes a ``CROSS JOIN``'s tables in the order written): a
page reads parts through their unique index and each part's levels through ``(part, depot)``, sorting
only the few depots of a part, and stops at the page's end instead of sorting every level."""
LIKE_ESCAPE = "\\"


def like_pattern(text: str) -> str:
    """``%text%`` in lower case, its own ``%``, ``_`` and escape characters taken literally."""
    escaped = (
        text.lower()
        .replace(LIKE_ESCAPE, LIKE_ESCAPE * 2)
        .replace("%", LIKE_ESCAPE + "%")
        .replace("_", LIKE_ESCAPE + "_")
    )
    return f"%{escaped}%"


class WarehouseViews:
    """Read views of the warehouse's screens (a mixin of `Store`, whose ``_execute`` runs them)."""

    async def _execute(self, sql: str, *args: object) -> Sequence[Mapping[str, Any]]:
        raise NotImplementedError

    async def stock_overview(
        self,
        *,
        depot: str | None,
        search: str | None,
        only: str | None,
        limit: int,
        offset: int = 0,
        after: tuple[str, str] | None = None,
        part_number: str | None = None,
        category: str | None = None,
    ) -> Sequence[Mapping[str, Any]]:
        """Stock levels of parts at depots, ordered by part number then depot code.

        ``depot`` (a code) keeps one depot (read through the index on ``(depot, part)``); ``part_number``
        keeps one part and ``category`` the parts of one category (exactly); ``search``
        keeps parts whose number or description contains it, in any case; ``only`` is a key of
        `STOCK_ONLY`; ``after`` (a part number and a depot code) starts after that row, for reading a
        long list page by page without an offset.
        """
        conditions: list[str] = ["l.part = p.id"]
        args: list[object] = []
        if depot is not None:
            conditions.append("l.depot = (SELECT id FROM depot WHERE code = {})")
            args.append(depot)
        if part_number is not None:
            conditions.append("p.part_number = {}")
            args.append(part_number)
        if category is not None:
            conditions.append("p.category = {}")
            args.append(category)
        if search:
            pattern = like_pattern(search)
            conditions.append(
                f"(LOWER(p.part_number) LIKE {{}} ESCAPE '{LIKE_ESCAPE}' "
                f"OR LOWER(p.description) LIKE {{}} ESCAPE '{LIKE_ESCAPE}')"
            )
            args += [pattern, pattern]
        if only is not None:
            conditions.append(STOCK_ONLY[only])
        if after is not None:
            conditions.append("(p.part_number > {} OR (p.part_number = {} AND d.code > {}))")
            args += [after[0], after[0], after[1]]
        where = f" WHERE {' AND '.join(conditions)}"
        return await self._execute(
            f"{_OVERVIEW}{where} ORDER BY p.part_number, d.code LIMIT {{}} OFFSET {{}}", *args, limit, offset
        )
