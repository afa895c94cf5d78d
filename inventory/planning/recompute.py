"""Recomputing every part's demand forecast at every depot from the issue history: the periodic job's
work (`inventory.planning.series` builds and fits the series)."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import datetime, timedelta

from inventory.persistence import write_transaction
from inventory.planning.series import HISTORY_WEEKS, ForecastRow, Issue, forecast_rows, weekly_series
from inventory.planning.tables import DemandForecast, SupplyRoute
from inventory.tickets.tables import Reservation

_INSERT_BATCH = 2_000


async def recompute_forecasts(now: datetime, *, weeks: int = HISTORY_WEEKS) -> int:
    """Replace every stored forecast with one from the issue history of the ``weeks`` before ``now``;
    the number of series forecast. The fitting runs in a worker thread, off the event loop."""
    since = now - timedelta(weeks=weeks)
    issued = await Reservation.select(
        Reservation.depot,
        Reservation.part,
        Reservation.closed_at,
        Reservation.quantity,
        Reservation.ticket.customer.tier.as_alias("tier"),
    ).where((Reservation.status == "issued") & (Reservation.closed_at >= since))
    routes = await SupplyRoute.select(SupplyRoute.depot, SupplyRoute.lead_time_days)
    lead_times = {row["depot"]: row["lead_time_days"] for row in routes}

    def fit() -> list[ForecastRow]:
        issues = (
            Issue(row["depot"], row["part"], row["closed_at"], row["quantity"], row["tier"]) for row in issued
        )
        series, tiers = weekly_series(issues, now, weeks)
        return forecast_rows(series, tiers, lead_times)

    rows = await asyncio.to_thread(fit)
    async with write_transaction():
        await DemandForecast.delete(force=True)
        for start in range(0, len(rows), _INSERT_BATCH):
            await DemandForecast.insert(
                *(
                    DemandForecast(**dataclasses.asdict(row), computed_at=now)
                    for row in rows[start : start + _INSERT_BATCH]
                )
            )
    return len(rows)
