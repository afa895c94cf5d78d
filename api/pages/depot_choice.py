"""The depot a warehouse screen shows: every depot for its chooser, the one asked for (the first when
none is), and their time zones for the times shown."""

from __future__ import annotations

from inventory import stock
from inventory.errors import InvalidRequest


async def all_depots() -> list[stock.DepotRecord]:
    """Every depot, for a screen's chooser."""
    return await stock.list_depots(limit=1_000, offset=0)


def chosen_code(code: str | None, depots: list[stock.DepotRecord]) -> str:
    """The depot asked for, or the first when none is.

    Raises:
        InvalidRequest: a code that names no depot.
    """
    codes = [depot.code for depot in depots]
    if code in codes:
        return code
    if code:
        raise InvalidRequest(f"unknown depot {code!r}", field="depot")
    return codes[0] if codes else ""


def zones(depots: list[stock.DepotRecord]) -> dict[str, str]:
    """Each depot's time zone, by code."""
    return {depot.code: depot.timezone for depot in depots}
