"""Recomputing every part's demand forecast at every depot from the issue history: the periodic job's
work (`inventory.planning.series` builds and fits the series)."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import datetime, timedelta

from inventory.persistence import current_store, write_transaction
from inventory.planning.series import HISTORY_WEEKS, Issue, forecast_rows, weekly_series
from inventory.planning.tables import SupplyRoute


async def recompute_forecasts(now: datetime, *, weeks: int = HISTORY_WEEKS) -> int:
    """Replace every stored forecast with one from the issue history of the ``weeks`` before ``now``;
    the number of series forecast. The fitting runs in a worker thread, off the event loop; the rows are
    read and written in bulk (`inventory.persistence.planning_data`)."""
    store = current_store()
    issued = await store.issue_history(now - timedelta(weeks=weeks))
    routes = await SupplyRoute.select(SupplyRoute.depot, SupplyRoute.lead_time_days)
    lead_times = {row["depot"]: row["lead_time_days"] for row in routes}

    def fit() -> list[tuple[object, ...]]:
        issues = (
            Issue(row["depot"], row["part"], row["closed_at"], row["quantity"], row["tier"]) for row in issued
        )
        series, tiers = weekly_series(issues, now, weeks)
        return [(*dataclasses.astuple(row), now) for row in forecast_rows(series, tiers, lead_times)]

    rows = await asyncio.to_thread(fit)
    async with write_transaction():
        await store.replace_forecasts(rows)
    return len(rows)
