"""The depot hierarchy: each depot is supplied by another depot or, at the top, by the suppliers; the
routes may not form a cycle. Plain Python."""

from __future__ import annotations

from collections.abc import Mapping

from inventory.errors import InvalidRequest

MAX_LEAD_TIME_DAYS = 365


def check_route(
    routes: Mapping[str, str | None], depot: str, supplier: str | None, lead_time_days: int
) -> None:
    """Raise `InvalidRequest` unless ``depot`` may be supplied by ``supplier`` (None: the suppliers)
    after ``lead_time_days``, given the other ``routes`` (depot -> its supplying depot)."""
    if not 0 <= lead_time_days <= MAX_LEAD_TIME_DAYS:
        raise InvalidRequest(
            f"a lead time lies between 0 and {MAX_LEAD_TIME_DAYS} days", field="lead_time_days"
        )
    if supplier is None:
        return
    if supplier == depot:
        raise InvalidRequest("a depot cannot supply itself", field="supplier_depot")
    seen = {depot}
    current: str | None = supplier
    while current is not None:
        if current in seen:
            raise InvalidRequest(
                f"{supplier} is supplied, directly or not, by {depot}: the hierarchy would be a cycle",
                field="supplier_depot",
            )
        seen.add(current)
        current = routes.get(current)
